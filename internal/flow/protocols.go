package flow

import "strings"

// IANA protocol numbers flowir names. The flow log's protocol field holds
// the number; these are the names flowir prints for it and accepts for it
// (security groups and network ACLs write them too).
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

var protocolNames = map[int]string{ProtoICMP: "icmp", ProtoTCP: "tcp", ProtoUDP: "udp", ProtoICMPv6: "icmpv6"}

// ProtocolName names an IANA protocol number: tcp, udp, icmp or icmpv6;
// false for any other number (callers print those as numbers, each in its
// own way).
func ProtocolName(p int) (string, bool) {
	n, ok := protocolNames[p]
	return n, ok
}

// ProtocolNumber reads a protocol name ProtocolName gives (any case, and
// icmp6 for icmpv6); false for anything else.
func ProtocolNumber(name string) (int, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "icmp6" {
		name = "icmpv6"
	}
	for p, n := range protocolNames {
		if n == name {
			return p, true
		}
	}
	return 0, false
}
