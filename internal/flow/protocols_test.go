package flow

import "testing"

func TestProtocolNames(t *testing.T) {
	for _, c := range []struct {
		p    int
		name string
	}{{1, "icmp"}, {6, "tcp"}, {17, "udp"}, {58, "icmpv6"}} {
		if n, ok := ProtocolName(c.p); !ok || n != c.name {
			t.Errorf("ProtocolName(%d) = %q, %v; want %q", c.p, n, ok, c.name)
		}
		if p, ok := ProtocolNumber(" " + c.name + " "); !ok || p != c.p {
			t.Errorf("ProtocolNumber(%q) = %d, %v; want %d", c.name, p, ok, c.p)
		}
	}
	if p, ok := ProtocolNumber("ICMP6"); !ok || p != 58 {
		t.Errorf("ProtocolNumber(ICMP6) = %d, %v", p, ok)
	}
	for _, p := range []int{0, 47, 50, 255} {
		if n, ok := ProtocolName(p); ok {
			t.Errorf("ProtocolName(%d) = %q, named", p, n)
		}
	}
	if _, ok := ProtocolNumber("gre"); ok {
		t.Error("ProtocolNumber(gre) named")
	}
}
