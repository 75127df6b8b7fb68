package inventory

import (
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// u128 is an address as a 128-bit number (IPv4 in the low 32 bits).
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a u128) add1() u128 {
	lo, c := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + c, lo}
}

func (a u128) sub1() u128 {
	lo, b := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - b, lo}
}

// lowMask returns 2^n - 1.
func lowMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{0, 1<<uint(n) - 1}
	case n == 64:
		return u128{0, math.MaxUint64}
	case n < 128:
		return u128{1<<uint(n-64) - 1, math.MaxUint64}
	}
	return u128{math.MaxUint64, math.MaxUint64}
}

func (a u128) or(b u128) u128 { return u128{a.hi | b.hi, a.lo | b.lo} }

func (a u128) trailingZeros() int {
	if a.lo != 0 {
		return bits.TrailingZeros64(a.lo)
	}
	if a.hi != 0 {
		return 64 + bits.TrailingZeros64(a.hi)
	}
	return 128
}

func (a u128) float() float64 { return float64(a.hi)*math.Exp2(64) + float64(a.lo) }

func addrU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return u128{hi, lo}
}

func u128Addr(x u128, v6 bool) netip.Addr {
	if !v6 {
		v := uint32(x.lo)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(x.hi >> (8 * i))
		b[15-i] = byte(x.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

// span is an inclusive address range.
type span struct{ lo, hi u128 }

// ipSet is a set of addresses of one family: sorted, disjoint, non-adjacent
// ranges. The zero value is the empty IPv4 set.
type ipSet struct {
	v6 bool
	s  []span
}

func familyBits(v6 bool) int {
	if v6 {
		return 128
	}
	return 32
}

// fullSet is every address of the family.
func fullSet(v6 bool) ipSet {
	return ipSet{v6: v6, s: []span{{u128{}, lowMask(familyBits(v6))}}}
}

// prefixSet is the set of one CIDR.
func prefixSet(p netip.Prefix) ipSet {
	p = p.Masked()
	lo := addrU128(p.Addr())
	host := familyBits(p.Addr().Is6()) - p.Bits()
	return ipSet{v6: p.Addr().Is6(), s: []span{{lo, lo.or(lowMask(host))}}}
}

// parseCIDRSet parses a CIDR (or a bare address) into a set.
func parseCIDRSet(c string) (ipSet, error) {
	c = strings.TrimSpace(c)
	if !strings.Contains(c, "/") {
		a, err := netip.ParseAddr(c)
		if err != nil {
			return ipSet{}, fmt.Errorf("not a CIDR: %q", c)
		}
		return prefixSet(netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())), nil
	}
	p, err := netip.ParsePrefix(c)
	if err != nil {
		return ipSet{}, fmt.Errorf("not a CIDR: %q", c)
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return prefixSet(p), nil
}

func mustSet(cidrs ...string) ipSet {
	var out ipSet
	for i, c := range cidrs {
		s, err := parseCIDRSet(c)
		if err != nil {
			panic(err)
		}
		if i == 0 {
			out = s
		} else {
			out = out.union(s)
		}
	}
	return out
}

func (a ipSet) empty() bool { return len(a.s) == 0 }

func (a ipSet) equal(b ipSet) bool {
	if a.v6 != b.v6 || len(a.s) != len(b.s) {
		return false
	}
	for i := range a.s {
		if a.s[i] != b.s[i] {
			return false
		}
	}
	return true
}

// normalize sorts nothing (callers keep order) but merges overlapping and
// adjacent ranges of an ordered list.
func normalize(v6 bool, in []span) ipSet {
	var out []span
	for _, x := range in {
		if n := len(out); n > 0 {
			last := &out[n-1]
			// adjacent or overlapping: x.lo <= last.hi+1
			if last.hi.cmp(lowMask(familyBits(v6))) == 0 || x.lo.cmp(last.hi.add1()) <= 0 {
				if x.hi.cmp(last.hi) > 0 {
					last.hi = x.hi
				}
				continue
			}
		}
		out = append(out, x)
	}
	return ipSet{v6: v6, s: out}
}

func (a ipSet) union(b ipSet) ipSet {
	if a.empty() {
		return ipSet{v6: b.v6, s: append([]span(nil), b.s...)}
	}
	if b.empty() {
		return a
	}
	merged := make([]span, 0, len(a.s)+len(b.s))
	i, j := 0, 0
	for i < len(a.s) || j < len(b.s) {
		if j >= len(b.s) || (i < len(a.s) && a.s[i].lo.cmp(b.s[j].lo) <= 0) {
			merged = append(merged, a.s[i])
			i++
		} else {
			merged = append(merged, b.s[j])
			j++
		}
	}
	return normalize(a.v6, merged)
}

func (a ipSet) intersect(b ipSet) ipSet {
	out := ipSet{v6: a.v6}
	i, j := 0, 0
	for i < len(a.s) && j < len(b.s) {
		lo, hi := a.s[i].lo, a.s[i].hi
		if b.s[j].lo.cmp(lo) > 0 {
			lo = b.s[j].lo
		}
		if b.s[j].hi.cmp(hi) < 0 {
			hi = b.s[j].hi
		}
		if lo.cmp(hi) <= 0 {
			out.s = append(out.s, span{lo, hi})
		}
		if a.s[i].hi.cmp(b.s[j].hi) < 0 {
			i++
		} else {
			j++
		}
	}
	return out
}

func (a ipSet) complement() ipSet {
	out := ipSet{v6: a.v6}
	max := lowMask(familyBits(a.v6))
	next := u128{}
	atEnd := false
	for _, x := range a.s {
		if x.lo.cmp(next) > 0 {
			out.s = append(out.s, span{next, x.lo.sub1()})
		}
		if x.hi.cmp(max) == 0 {
			atEnd = true
			break
		}
		next = x.hi.add1()
	}
	if !atEnd {
		out.s = append(out.s, span{next, max})
	}
	return out
}

func (a ipSet) minus(b ipSet) ipSet { return a.intersect(b.complement()) }

// contains reports whether every address of b is in a.
func (a ipSet) contains(b ipSet) bool { return b.minus(a).empty() }

// size is the number of addresses (approximate beyond 2^53).
func (a ipSet) size() float64 {
	var n float64
	for _, x := range a.s {
		n += x.hi.float() - x.lo.float() + 1
	}
	return n
}

// prefixes returns the fewest CIDRs that cover the set exactly.
func (a ipSet) prefixes() []netip.Prefix {
	var out []netip.Prefix
	fb := familyBits(a.v6)
	for _, x := range a.s {
		lo := x.lo
		for {
			// the largest aligned block at lo that fits in [lo, x.hi]
			n := lo.trailingZeros()
			if n > fb {
				n = fb
			}
			for n > 0 && lo.or(lowMask(n)).cmp(x.hi) > 0 {
				n--
			}
			out = append(out, netip.PrefixFrom(u128Addr(lo, a.v6), fb-n))
			end := lo.or(lowMask(n))
			if end.cmp(x.hi) >= 0 {
				break
			}
			lo = end.add1()
		}
	}
	return out
}

// String renders the set as comma-separated CIDRs ("" when empty).
func (a ipSet) String() string {
	ps := a.prefixes()
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// The internet, for flowir, is every address that can be a peer across an
// internet gateway: IPv4 minus the ranges of flow.NotInternet; IPv6 global
// unicast (2000::/3, which no range of flow.NotInternet overlaps). The
// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) stay in, because examples and test inventories use them as
// public addresses.
var internet4, internet6 = internetSets()

func internetSets() (v4, v6 ipSet) {
	v4, v6 = fullSet(false), prefixSet(flow.GlobalUnicast6)
	for _, r := range flow.NotInternet() {
		if r.Prefix.Addr().Is4() {
			v4 = v4.minus(prefixSet(r.Prefix))
		} else {
			v6 = v6.minus(prefixSet(r.Prefix))
		}
	}
	return v4, v6
}

func internet(v6 bool) ipSet {
	if v6 {
		return internet6
	}
	return internet4
}

// isInternetAddr reports whether a is an internet address in that sense.
func isInternetAddr(a netip.Addr) bool {
	a = a.Unmap()
	s := prefixSet(netip.PrefixFrom(a, a.BitLen()))
	return internet(a.Is6()).contains(s)
}

// IsInternetAddr reports whether addr (text) is an address on the internet:
// public IPv4 (documentation ranges included) or global unicast IPv6.
func IsInternetAddr(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	return isInternetAddr(a)
}
