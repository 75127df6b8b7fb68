package flow

import "net/netip"

// AddressRange is a range of the address space with what it is.
type AddressRange struct {
	Prefix netip.Prefix
	Label  string
}

// NotInternet lists the IPv4 and IPv6 ranges that never hold an internet
// peer, from IANA's special-purpose address registries (RFC 6890 and its
// updates) and the multicast and reserved blocks. It is the one definition
// flowir has: the detections and investigations count these ranges as the
// monitored network's side by default (analysis.DefaultInternal), and the
// exposure evaluation counts everything else as the internet
// (inventory.IsInternetAddr).
//
// IANA's documentation ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32) are deliberately not here: examples, test
// corpora and AWS's own documentation use them as public addresses.
//
// For IPv6 the internet is global unicast, 2000::/3 (every IPv6 range here
// lies outside it). The one IPv6 range outside 2000::/3 that carries
// internet traffic in a VPC is 64:ff9b::/96 (NAT64: an internet IPv4
// address written in IPv6, routed to a NAT gateway); it is not here, so the
// detections count it external, while the exposure evaluation, which asks
// which sources a security group admits from the internet, leaves it out.
func NotInternet() []AddressRange {
	mk := func(s, label string) AddressRange { return AddressRange{netip.MustParsePrefix(s), label} }
	return []AddressRange{
		mk("10.0.0.0/8", "RFC 1918 private"),
		mk("172.16.0.0/12", "RFC 1918 private"),
		mk("192.168.0.0/16", "RFC 1918 private"),
		mk("100.64.0.0/10", "RFC 6598 shared address space (carrier-grade NAT)"),
		mk("169.254.0.0/16", "RFC 3927 IPv4 link-local"),
		mk("127.0.0.0/8", "IPv4 loopback"),
		mk("0.0.0.0/8", "RFC 791 this network"),
		mk("224.0.0.0/4", "IPv4 multicast"),
		mk("240.0.0.0/4", "RFC 1112 reserved, and the limited broadcast 255.255.255.255"),
		mk("fc00::/7", "RFC 4193 IPv6 unique local"),
		mk("fe80::/10", "IPv6 link-local"),
		mk("::1/128", "IPv6 loopback"),
		mk("::/128", "IPv6 unspecified"),
		mk("ff00::/8", "IPv6 multicast"),
	}
}

// GlobalUnicast6 is the IPv6 global unicast space, where every IPv6
// internet address lies.
var GlobalUnicast6 = netip.MustParsePrefix("2000::/3")
