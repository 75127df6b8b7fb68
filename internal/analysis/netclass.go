package analysis

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// PrefixSet answers "which of these networks contain this address?" for IPv4
// and IPv6 networks of every prefix length, exactly (bit arithmetic on
// netip.Prefix, never string prefixes: 10.1.1.1 is not in 10.1.1.10/32, and
// 192.0.2.45 is not in 192.0.2.4/32).
//
// It keeps one hash table per (family, prefix length) that occurs in the set;
// a lookup masks the address to each of those lengths and probes the table.
// That costs at most 33 (IPv4) or 129 (IPv6) probes and in practice a
// handful, whatever the number of networks, and it returns every matching
// entry, not just the longest: an address inside both 203.0.113.0/24 and
// 203.0.113.66/32 matches both IOC entries, and a report must say so.
type PrefixSet struct {
	byLen [2][]map[netip.Prefix][]int // [family][bits] -> entry ids; nil when no entry has that length
	lens  [2][]int                    // the lengths present, longest first
	n     int
}

// NewPrefixSet returns an empty set.
func NewPrefixSet() *PrefixSet {
	s := &PrefixSet{}
	s.byLen[0] = make([]map[netip.Prefix][]int, 33)
	s.byLen[1] = make([]map[netip.Prefix][]int, 129)
	return s
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// Add adds network p under entry id. p is masked (its host bits cleared);
// IPv4-mapped IPv6 networks (::ffff:0:0/96 and longer) are stored as the
// IPv4 networks they denote, because flow logs write IPv4 addresses in
// dotted form.
func (s *PrefixSet) Add(p netip.Prefix, id int) {
	p = canonicalPrefix(p)
	f := family(p.Addr())
	b := p.Bits()
	m := s.byLen[f][b]
	if m == nil {
		m = map[netip.Prefix][]int{}
		s.byLen[f][b] = m
		s.lens[f] = append(s.lens[f], b)
		slices.SortFunc(s.lens[f], func(x, y int) int { return y - x })
	}
	if !slices.Contains(m[p], id) {
		m[p] = append(m[p], id)
		s.n++
	}
}

// Len is the number of (network, id) entries in the set.
func (s *PrefixSet) Len() int { return s.n }

// Lookup appends to dst the ids of every entry whose network contains a,
// longest prefix first, and returns the extended slice. An IPv4-mapped IPv6
// address is looked up as the IPv4 address it carries; an address with a
// zone never matches.
func (s *PrefixSet) Lookup(dst []int, a netip.Addr) []int {
	if !a.IsValid() || a.Zone() != "" {
		return dst
	}
	a = a.Unmap()
	f := family(a)
	for _, b := range s.lens[f] {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		dst = append(dst, s.byLen[f][b][p]...)
	}
	return dst
}

// Contains reports whether any network of the set contains a.
func (s *PrefixSet) Contains(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	f := family(a)
	for _, b := range s.lens[f] {
		p, err := a.Prefix(b)
		if err == nil && s.byLen[f][b][p] != nil {
			return true
		}
	}
	return false
}

// canonicalPrefix masks p and turns an IPv4-mapped IPv6 network into its
// IPv4 form (::ffff:192.0.2.0/120 is 192.0.2.0/24). A mapped network shorter
// than /96 covers more than the mapped space and is kept as IPv6.
func canonicalPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return netip.PrefixFrom(a, p.Bits()).Masked()
}

// NetRange is one network of the internal address space, with where it came
// from, for reports ("10.0.0.0/8 RFC 1918 private").
type NetRange struct {
	Prefix netip.Prefix
	Label  string
}

// DefaultInternal is the address space flowir treats as internal (the
// monitored network's side) without being told: every range that never
// holds an internet peer (flow.NotInternet: private, shared, link-local,
// loopback, unique-local, multicast and reserved). Public ranges of the
// organisation and VPC CIDRs that are not private come from --internal, the
// detection config file, or the VPC inventory.
func DefaultInternal() []NetRange {
	var out []NetRange
	for _, r := range flow.NotInternet() {
		out = append(out, NetRange{Prefix: r.Prefix, Label: r.Label})
	}
	return out
}

// NetClass decides whether an address is internal (inside the monitored
// network) or external. It is a set of CIDR ranges, each with a label, plus
// single addresses known to belong to the network (for example the IPv6
// addresses of the case's own network interfaces, which are public unicast
// addresses and so cannot be told apart by range).
//
// The internal set is an input: callers start from DefaultInternal and add
// --internal ranges, VPC CIDRs from an inventory, and so on.
type NetClass struct {
	ranges []NetRange
	set    *PrefixSet
}

// NewNetClass returns a classifier for the given ranges.
func NewNetClass(ranges []NetRange) *NetClass {
	c := &NetClass{set: NewPrefixSet()}
	for _, r := range ranges {
		c.Add(r)
	}
	return c
}

// Add adds one internal range.
func (c *NetClass) Add(r NetRange) {
	r.Prefix = canonicalPrefix(r.Prefix)
	c.ranges = append(c.ranges, r)
	c.set.Add(r.Prefix, len(c.ranges)-1)
}

// Ranges returns the internal ranges in the order they were added.
func (c *NetClass) Ranges() []NetRange { return slices.Clone(c.ranges) }

// Internal reports whether a is inside one of the internal ranges.
func (c *NetClass) Internal(a netip.Addr) bool { return c.set.Contains(a) }

// InternalText is Internal for an address in text form; text that is not an
// IP address is external.
func (c *NetClass) InternalText(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && c.Internal(a)
}

// Why returns the label of the first range containing a, or "".
func (c *NetClass) Why(a netip.Addr) string {
	ids := c.set.Lookup(nil, a)
	if len(ids) == 0 {
		return ""
	}
	return c.ranges[slices.Min(ids)].Label
}

// ParseCIDROrAddr parses a network ("10.0.0.0/8") or a single address
// ("203.0.113.5", taken as /32 or /128). Host bits in a network are an
// error here: on a command line they are more likely a typo than a choice.
func ParseCIDROrAddr(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR network (expected e.g. 10.0.0.0/8 or 2001:db8::/32)", s)
		}
		if p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q has an IPv6 zone; give the network without %%zone", s)
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set: did you mean %s?", s, p.Masked())
		}
		return canonicalPrefix(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR network", s)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q has an IPv6 zone; give the address without %%zone", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// PrefixBounds returns the first and last address of a network.
func PrefixBounds(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr()
	b := first.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	last, _ = netip.AddrFromSlice(b)
	return first, last
}
