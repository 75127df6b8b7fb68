package analysis

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestPrefixSetEveryLength checks every prefix length of both families at
// the network's boundaries: its first and last address match, the addresses
// just outside do not.
func TestPrefixSetEveryLength(t *testing.T) {
	bases := []netip.Addr{
		netip.MustParseAddr("203.0.113.77"),
		netip.MustParseAddr("2001:db8:bad:1::66"),
	}
	for _, base := range bases {
		for bits := 0; bits <= base.BitLen(); bits++ {
			p := netip.PrefixFrom(base, bits).Masked()
			s := NewPrefixSet()
			s.Add(p, 7)
			first, last := PrefixBounds(p)
			for _, a := range []netip.Addr{first, last, base} {
				if got := s.Lookup(nil, a); !slices.Equal(got, []int{7}) {
					t.Errorf("%s: Lookup(%s) = %v, want [7]", p, a, got)
				}
			}
			if prev := first.Prev(); prev.IsValid() && prev.BitLen() == first.BitLen() {
				if s.Contains(prev) {
					t.Errorf("%s contains %s, the address before it", p, prev)
				}
			}
			if next := last.Next(); next.IsValid() {
				if s.Contains(next) {
					t.Errorf("%s contains %s, the address after it", p, next)
				}
			}
			// The other family never matches, not even for /0.
			other := netip.MustParseAddr("::")
			if base.Is6() {
				other = netip.MustParseAddr("0.0.0.0")
			}
			if s.Contains(other) {
				t.Errorf("%s contains %s of the other family", p, other)
			}
		}
	}
}

func TestPrefixSetNoStringPrefixes(t *testing.T) {
	s := NewPrefixSet()
	s.Add(netip.MustParsePrefix("192.0.2.4/32"), 0)
	s.Add(netip.MustParsePrefix("10.1.1.1/32"), 1)
	s.Add(netip.MustParsePrefix("2001:db8::/127"), 2)
	for _, a := range []string{"192.0.2.45", "192.0.2.40", "10.1.1.10", "10.1.1.100", "2001:db8::2", "2001:db8::10"} {
		if s.Contains(netip.MustParseAddr(a)) {
			t.Errorf("%s matched: string-prefix matching", a)
		}
	}
	for _, a := range []string{"192.0.2.4", "10.1.1.1", "2001:db8::", "2001:db8::1"} {
		if !s.Contains(netip.MustParseAddr(a)) {
			t.Errorf("%s did not match", a)
		}
	}
}

func TestPrefixSetKeepsEveryMatch(t *testing.T) {
	s := NewPrefixSet()
	s.Add(netip.MustParsePrefix("203.0.113.0/24"), 1)
	s.Add(netip.MustParsePrefix("203.0.113.66/32"), 2)
	s.Add(netip.MustParsePrefix("203.0.0.0/16"), 3)
	s.Add(netip.MustParsePrefix("203.0.113.0/24"), 4) // a second entry, same network
	s.Add(netip.MustParsePrefix("203.0.113.7/24"), 5) // host bits: the same network
	got := s.Lookup(nil, netip.MustParseAddr("203.0.113.66"))
	want := []int{2, 1, 4, 5, 3} // longest first
	if !slices.Equal(got, want) {
		t.Errorf("Lookup = %v, want %v", got, want)
	}
	if s.Len() != 5 {
		t.Errorf("Len = %d, want 5", s.Len())
	}
	s.Add(netip.MustParsePrefix("203.0.113.0/24"), 1) // the same (network, id) again
	if s.Len() != 5 {
		t.Errorf("adding a duplicate changed Len to %d", s.Len())
	}
}

func TestPrefixSetMappedAndZones(t *testing.T) {
	s := NewPrefixSet()
	s.Add(netip.MustParsePrefix("::ffff:198.51.100.0/120"), 1) // = 198.51.100.0/24
	s.Add(netip.MustParsePrefix("192.0.2.0/24"), 2)
	if !s.Contains(netip.MustParseAddr("198.51.100.9")) {
		t.Error("an IPv4-mapped network does not match its IPv4 addresses")
	}
	if !s.Contains(netip.MustParseAddr("::ffff:192.0.2.9")) {
		t.Error("an IPv4-mapped address does not match its IPv4 network")
	}
	if s.Contains(netip.MustParseAddr("fe80::1%eth0")) || s.Contains(netip.Addr{}) {
		t.Error("a zoned or invalid address matched")
	}
}

// TestPrefixSetRandom compares Lookup with a brute-force scan of
// netip.Prefix.Contains over random networks and addresses chosen near them.
func TestPrefixSetRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var prefixes []netip.Prefix
	s := NewPrefixSet()
	for i := range 400 {
		var a netip.Addr
		if i%2 == 0 {
			a = netip.AddrFrom4([4]byte{byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		} else {
			var b [16]byte
			b[0], b[1], b[15] = 0x20, 0x01, byte(rng.IntN(256))
			b[2] = byte(rng.IntN(4))
			a = netip.AddrFrom16(b)
		}
		p := netip.PrefixFrom(a, rng.IntN(a.BitLen()+1)).Masked()
		prefixes = append(prefixes, p)
		s.Add(p, i)
	}
	for range 5000 {
		p := prefixes[rng.IntN(len(prefixes))]
		first, last := PrefixBounds(p)
		var a netip.Addr
		switch rng.IntN(4) {
		case 0:
			a = first
		case 1:
			a = last
		case 2:
			a = first.Prev()
		default:
			a = last.Next()
		}
		if !a.IsValid() {
			continue
		}
		var want []int
		for i, q := range prefixes {
			if q.Contains(a) {
				want = append(want, i)
			}
		}
		got := s.Lookup(nil, a)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("Lookup(%s) = %v, want %v", a, got, want)
		}
	}
}

func TestPrefixBounds(t *testing.T) {
	for _, c := range []struct{ p, first, last string }{
		{"203.0.113.0/24", "203.0.113.0", "203.0.113.255"},
		{"203.0.113.66/32", "203.0.113.66", "203.0.113.66"},
		{"0.0.0.0/0", "0.0.0.0", "255.255.255.255"},
		{"198.51.100.128/25", "198.51.100.128", "198.51.100.255"},
		{"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"2001:db8::/127", "2001:db8::", "2001:db8::1"},
	} {
		f, l := PrefixBounds(netip.MustParsePrefix(c.p))
		if f.String() != c.first || l.String() != c.last {
			t.Errorf("PrefixBounds(%s) = %s, %s; want %s, %s", c.p, f, l, c.first, c.last)
		}
	}
}

func TestNetClassDefaults(t *testing.T) {
	c := NewNetClass(DefaultInternal())
	for _, a := range []string{"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.255",
		"169.254.169.254", "127.0.0.1", "fd00::1", "fc00::1", "fe80::1", "::1",
		// Never an internet peer (flow.NotInternet): mDNS multicast, this
		// network, broadcast, reserved, IPv6 multicast and unspecified.
		"224.0.0.251", "239.255.255.250", "0.0.0.0", "255.255.255.255", "240.0.0.1", "ff02::1", "::"} {
		if !c.InternalText(a) {
			t.Errorf("%s is not internal", a)
		}
	}
	for _, a := range []string{"172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255", "192.169.0.1", "11.0.0.1",
		"203.0.113.5", "2001:db8::1", "fec0::1", "not an address", ""} {
		if c.InternalText(a) {
			t.Errorf("%s is internal", a)
		}
	}
	c.Add(NetRange{Prefix: netip.MustParsePrefix("2600:1f18:1234::/48"), Label: "VPC"})
	if !c.InternalText("2600:1f18:1234:5::9") || c.Why(netip.MustParseAddr("2600:1f18:1234:5::9")) != "VPC" {
		t.Error("an added range is not internal, or has the wrong label")
	}
	if c.Why(netip.MustParseAddr("10.1.2.3")) != "RFC 1918 private" {
		t.Errorf("Why(10.1.2.3) = %q", c.Why(netip.MustParseAddr("10.1.2.3")))
	}
}

func TestParseCIDROrAddr(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"10.0.0.0/8", "10.0.0.0/8", true},
		{" 203.0.113.5 ", "203.0.113.5/32", true},
		{"2001:db8::/32", "2001:db8::/32", true},
		{"::ffff:192.0.2.1", "192.0.2.1/32", true},
		{"10.0.0.1/8", "", false}, // host bits
		{"10.0.0.0/33", "", false},
		{"fe80::1%eth0", "", false},
		{"fe80::/10%eth0", "", false},
		{"example.com", "", false},
		{"010.0.0.1", "", false},
	} {
		p, err := ParseCIDROrAddr(c.in)
		if (err == nil) != c.ok || (c.ok && p.String() != c.want) {
			t.Errorf("ParseCIDROrAddr(%q) = %v, %v; want %s (ok=%v)", c.in, p, err, c.want, c.ok)
		}
	}
}
