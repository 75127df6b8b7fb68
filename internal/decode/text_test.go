package decode

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/flow"
)

// AWS's example records (flowlogs-reference.md §6.1, default format).
const (
	awsAcceptSSH  = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	awsRejectRDP  = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
	awsNoData     = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
	awsSkipData   = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
	awsPingIn     = "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK"
	awsPingReply  = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK"
	awsIPv6SSH    = "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"
	tcpFlagFormat = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
	// §6.2: the original has a doubled space after 43638.
	awsDoubleSpace = "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK"
	v5Format       = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"
	awsV5Egress    = "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK"
)

// render writes a decoded record as "name=value" pairs in format order, NULL
// for `-`, integers in decimal: a complete, comparable picture of the record.
func render(f flow.Format, r *flow.Record) map[string]string {
	m := make(map[string]string, len(f.Cols))
	extra := 0
	for _, c := range f.Cols {
		if !c.Known {
			v := "NULL"
			if extra < len(r.Extra) && r.Extra[extra] != nil {
				v = string(r.Extra[extra])
			}
			if extra >= len(r.ExtraNames) || r.ExtraNames[extra] != c.Name {
				v = "MISSING-EXTRA"
			}
			extra++
			m[c.Name] = v
			continue
		}
		switch {
		case !r.Has(c.ID):
			m[c.Name] = "NULL"
		case flow.Get(c.ID).Kind == flow.KindInt32 || flow.Get(c.ID).Kind == flow.KindInt64:
			m[c.Name] = strconv.FormatInt(r.Num[c.ID], 10)
		default:
			m[c.Name] = string(r.Str[c.ID])
		}
	}
	return m
}

// formatMask is the set of known fields a format names.
func formatMask(f flow.Format) uint64 {
	var m uint64
	for _, c := range f.Cols {
		if c.Known {
			m |= 1 << c.ID
		}
	}
	return m
}

func mustFormat(t testing.TB, s string) flow.Format {
	t.Helper()
	if s == "" {
		return flow.DefaultFormat()
	}
	f, err := flow.ParseFormat(s)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", s, err)
	}
	return f
}

// checkPairs compares "name=value ..." against a rendered record.
func checkPairs(t *testing.T, got map[string]string, want string) {
	t.Helper()
	for _, p := range strings.Fields(want) {
		name, val, _ := strings.Cut(p, "=")
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: not in the format", name)
			continue
		}
		if g != val {
			t.Errorf("%s = %q, want %q", name, g, val)
		}
	}
}

func TestDecode(t *testing.T) {
	const def = "" // the default format
	tests := []struct {
		name   string
		format string
		line   string
		want   string // "name=value" pairs; NULL for `-`
		reason string // reject reason; "" for a record
		pos    int    // 1-based field position of the error
		field  string // field name of the error
	}{
		// AWS examples, §6.1.
		{name: "aws accepted ssh", format: def, line: awsAcceptSSH,
			want: "version=2 account-id=123456789010 interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 dstaddr=172.31.16.21 srcport=20641 dstport=22 protocol=6 packets=20 bytes=4249 start=1418530010 end=1418530070 action=ACCEPT log-status=OK"},
		{name: "aws rejected rdp", format: def, line: awsRejectRDP, want: "srcaddr=172.31.9.69 dstport=3389 action=REJECT log-status=OK"},
		{name: "aws nodata", format: def, line: awsNoData,
			want: "version=2 account-id=123456789010 interface-id=eni-1235b8ca123456789 srcaddr=NULL dstaddr=NULL srcport=NULL dstport=NULL protocol=NULL packets=NULL bytes=NULL start=1431280876 end=1431280934 action=NULL log-status=NODATA"},
		{name: "aws skipdata", format: def, line: awsSkipData,
			want: "version=2 account-id=123456789010 interface-id=eni-11111111aaaaaaaaa srcaddr=NULL dstaddr=NULL srcport=NULL dstport=NULL protocol=NULL packets=NULL bytes=NULL start=1431280876 end=1431280934 action=NULL log-status=SKIPDATA"},
		{name: "aws icmp ping", format: def, line: awsPingIn, want: "srcport=0 dstport=0 protocol=1 packets=4 bytes=336 action=ACCEPT"},
		{name: "aws icmp reply rejected", format: def, line: awsPingReply, want: "srcaddr=172.31.16.139 dstaddr=203.0.113.12 action=REJECT"},
		{name: "aws ipv6", format: def, line: awsIPv6SSH,
			want: "srcaddr=2001:db8:1234:a100:8d6e:3477:df66:f105 dstaddr=2001:db8:1234:a102:3304:8879:34cf:4071 srcport=34892 dstport=22 packets=54 bytes=8855"},
		{name: "aws v5 egress", format: v5Format, line: awsV5Egress,
			want: "version=5 type=IPv4 region=ap-southeast-2 az-id=apse2-az3 sublocation-type=NULL sublocation-id=NULL tcp-flags=3 pkt-src-aws-service=NULL pkt-dst-aws-service=S3 traffic-path=8 flow-direction=egress log-status=OK"},
		{name: "aws nat gateway", format: "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", line: "- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5",
			want: "instance-id=NULL interface-id=eni-1235b8ca123456789 srcaddr=10.0.0.220 dstaddr=10.0.1.5 pkt-srcaddr=203.0.113.5 pkt-dstaddr=10.0.1.5"},

		// `-` is NULL for every kind.
		{name: "null int32", format: "srcport dstport", line: "- 443", want: "srcport=NULL dstport=443"},
		{name: "null int64", format: "bytes packets", line: "- -", want: "bytes=NULL packets=NULL"},
		{name: "null ip", format: "srcaddr pkt-dstaddr", line: "- -", want: "srcaddr=NULL pkt-dstaddr=NULL"},
		{name: "null enum", format: "action log-status", line: "- -", want: "action=NULL log-status=NULL"},
		{name: "null string", format: "interface-id vpc-id", line: "- vpc-1", want: "interface-id=NULL vpc-id=vpc-1"},
		{name: "null unknown", format: "version resource-id", line: "10 -", want: "version=10 resource-id=NULL"},
		{name: "double dash is not null", format: "resource-id", line: "--", want: "resource-id=--"},
		{name: "double dash is not an id", format: "interface-id", line: "--", reason: ReasonBadValue, pos: 1, field: "interface-id"},
		{name: "double dash number", format: "srcport", line: "--", reason: ReasonBadNumber, pos: 1, field: "srcport"},

		// Integers.
		{name: "port http", format: def, line: strings.Replace(awsAcceptSSH, " 20641 ", " http ", 1), reason: ReasonBadNumber, pos: 6, field: "srcport"},
		{name: "port 70000", format: def, line: strings.Replace(awsAcceptSSH, " 22 ", " 70000 ", 1), reason: ReasonOutOfRange, pos: 7, field: "dstport"},
		{name: "port 65535", format: "srcport dstport", line: "65535 0", want: "srcport=65535 dstport=0"},
		{name: "port 65536", format: "srcport", line: "65536", reason: ReasonOutOfRange, pos: 1, field: "srcport"},
		{name: "protocol 255", format: "protocol", line: "255", want: "protocol=255"},
		{name: "protocol 256", format: "protocol", line: "256", reason: ReasonOutOfRange, pos: 1, field: "protocol"},
		// The bounds of AWS's value sets (issue 12.5) and of what AWS can
		// write (issue 17.2); flow.MaxCounter and flow.MaxTime say why.
		{name: "tcp-flags 8 bits", format: "tcp-flags", line: "255", want: "tcp-flags=255"},
		{name: "tcp-flags 256", format: "tcp-flags", line: "256", reason: ReasonOutOfRange, pos: 1, field: "tcp-flags"},
		{name: "tcp-flags int32 max+1", format: "tcp-flags", line: "2147483648", reason: ReasonOutOfRange, pos: 1, field: "tcp-flags"},
		{name: "traffic-path 1 to 8", format: "traffic-path srcport", line: "1 0", want: "traffic-path=1"},
		{name: "traffic-path 8", format: "traffic-path", line: "8", want: "traffic-path=8"},
		{name: "traffic-path 0", format: "traffic-path", line: "0", reason: ReasonOutOfRange, pos: 1, field: "traffic-path"},
		{name: "traffic-path 9", format: "traffic-path", line: "9", reason: ReasonOutOfRange, pos: 1, field: "traffic-path"},
		{name: "version 2 and 99", format: "version dstport", line: "2 0", want: "version=2"},
		{name: "version 99", format: "version", line: "99", want: "version=99"},
		{name: "version 1", format: "version", line: "1", reason: ReasonOutOfRange, pos: 1, field: "version"},
		{name: "version 100", format: "version", line: "100", reason: ReasonOutOfRange, pos: 1, field: "version"},
		{name: "bytes 2^53-1", format: "bytes packets", line: "9007199254740991 9007199254740991", want: "bytes=9007199254740991 packets=9007199254740991"},
		{name: "bytes 2^53", format: "bytes", line: "9007199254740992", reason: ReasonOutOfRange, pos: 1, field: "bytes"},
		{name: "packets 2^53", format: "packets", line: "9007199254740992", reason: ReasonOutOfRange, pos: 1, field: "packets"},
		{name: "bytes int64 max", format: "bytes", line: "9223372036854775807", reason: ReasonOutOfRange, pos: 1, field: "bytes"},
		{name: "bytes int64 max+1", format: "bytes", line: "9223372036854775808", reason: ReasonOutOfRange, pos: 1, field: "bytes"},
		{name: "start milliseconds", format: "start end", line: "1616729292000 4102444800000", want: "start=1616729292000 end=4102444800000"},
		{name: "start zero", format: "start", line: "0", want: "start=0"},
		{name: "start past milliseconds of 2100", format: "start", line: "4102444800001", reason: ReasonOutOfRange, pos: 1, field: "start"},
		{name: "start 99999999999999", format: "start end", line: "99999999999999 1", reason: ReasonOutOfRange, pos: 1, field: "start"},
		{name: "end 99999999999999", format: "start end", line: "1 99999999999999", reason: ReasonOutOfRange, pos: 2, field: "end"},
		{name: "bytes 20 digits", format: "bytes", line: "99999999999999999999", reason: ReasonOutOfRange, pos: 1, field: "bytes"},
		{name: "bytes 40 digits", format: "bytes", line: strings.Repeat("9", 40), reason: ReasonOutOfRange, pos: 1, field: "bytes"},
		{name: "port 30 digits", format: "srcport", line: strings.Repeat("1", 30), reason: ReasonOutOfRange, pos: 1, field: "srcport"},
		{name: "leading zeros", format: "srcport bytes", line: "0022 0000000000000000000000000000042", want: "srcport=22 bytes=42"},
		{name: "many zeros", format: "packets", line: strings.Repeat("0", 30), want: "packets=0"},
		{name: "nine digit start", format: "start end", line: "164000066 1640000297", want: "start=164000066 end=1640000297"},
		{name: "negative", format: "packets", line: "-1", reason: ReasonBadNumber, pos: 1, field: "packets"},
		{name: "plus sign", format: "packets", line: "+1", reason: ReasonBadNumber, pos: 1, field: "packets"},
		{name: "decimal point", format: "bytes", line: "1.5", reason: ReasonBadNumber, pos: 1, field: "bytes"},
		{name: "exponent", format: "bytes", line: "1e3", reason: ReasonBadNumber, pos: 1, field: "bytes"},
		{name: "hex", format: "protocol", line: "0x6", reason: ReasonBadNumber, pos: 1, field: "protocol"},
		{name: "digits then junk", format: "end", line: "1418530070s", reason: ReasonBadNumber, pos: 1, field: "end"},
		{name: "long junk", format: "end", line: strings.Repeat("0", 25) + "x", reason: ReasonBadNumber, pos: 1, field: "end"},
		{name: "unicode digit", format: "protocol", line: "٦", reason: ReasonBadNumber, pos: 1, field: "protocol"},
		{name: "packets lost", format: "packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired", line: "0 1 - 9007199254740991",
			want: "packets-lost-no-route=0 packets-lost-blackhole=1 packets-lost-mtu-exceeded=NULL packets-lost-ttl-expired=9007199254740991"},
		{name: "packets lost 2^53", format: "packets-lost-blackhole", line: "9007199254740992", reason: ReasonOutOfRange, pos: 1, field: "packets-lost-blackhole"},

		// Addresses.
		{name: "bad ipv4 octet", format: def, line: strings.Replace(awsAcceptSSH, "172.31.16.139", "999.1.1.1", 1), reason: ReasonBadIP, pos: 4, field: "srcaddr"},
		{name: "ipv4 leading zero", format: "srcaddr", line: "010.0.0.1", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv4 leading zero last", format: "dstaddr", line: "10.0.0.01", reason: ReasonBadIP, pos: 1, field: "dstaddr"},
		{name: "ipv4 zeros", format: "srcaddr dstaddr", line: "0.0.0.0 255.255.255.255", want: "srcaddr=0.0.0.0 dstaddr=255.255.255.255"},
		{name: "ipv4 three octets", format: "srcaddr", line: "10.0.0", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv4 five octets", format: "srcaddr", line: "10.0.0.1.2", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv4 with port", format: "srcaddr", line: "10.0.0.1:80", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv4 cidr", format: "srcaddr", line: "10.0.0.0/8", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "hostname", format: "pkt-srcaddr", line: "localhost", reason: ReasonBadIP, pos: 1, field: "pkt-srcaddr"},
		{name: "ipv6 compressed", format: "srcaddr dstaddr pkt-srcaddr pkt-dstaddr", line: ":: ::1 2a02:cf40:: fe80::1:2",
			want: "srcaddr=:: dstaddr=::1 pkt-srcaddr=2a02:cf40:: pkt-dstaddr=fe80::1:2"},
		// One text form per address (issue 17.16): RFC 5952 for IPv6, and
		// an IPv4-mapped address as the IPv4 address it stands for.
		{name: "ipv6 upper case", format: "srcaddr", line: "2001:DB8::A", want: "srcaddr=2001:db8::a"},
		{name: "ipv6 zeros written out", format: "srcaddr dstaddr", line: "2001:0db8:0000:0000:0000:0000:0000:0001 0:0:0:0:0:0:0:0", want: "srcaddr=2001:db8::1 dstaddr=::"},
		{name: "ipv6 v4-mapped", format: "srcaddr", line: "::ffff:192.0.2.1", want: "srcaddr=192.0.2.1"},
		{name: "ipv6 v4-mapped in hex", format: "pkt-dstaddr", line: "::FFFF:C000:0201", want: "pkt-dstaddr=192.0.2.1"},
		{name: "ipv6 v4-compatible stays ipv6", format: "srcaddr", line: "::192.0.2.1", want: "srcaddr=::c000:201"},
		{name: "ipv6 zone", format: "srcaddr", line: "fe80::1%eth0", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv6 empty zone", format: "srcaddr", line: "fe80::1%", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv6 two ellipses", format: "srcaddr", line: "2001::db8::1", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv6 nine groups", format: "srcaddr", line: "1:2:3:4:5:6:7:8:9", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv6 five hex digits", format: "srcaddr", line: "2001:db8::12345", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv6 bracketed", format: "srcaddr", line: "[::1]", reason: ReasonBadIP, pos: 1, field: "srcaddr"},
		{name: "ipv6 mapped leading zero", format: "srcaddr", line: "::ffff:192.0.2.01", reason: ReasonBadIP, pos: 1, field: "srcaddr"},

		// Enumerations.
		{name: "action not in enum", format: def, line: strings.Replace(awsAcceptSSH, "ACCEPT", "ALLOW", 1), reason: ReasonBadValue, pos: 13, field: "action"},
		{name: "action lower case", format: def, line: strings.Replace(awsAcceptSSH, "ACCEPT", "accept", 1), reason: ReasonBadValue, pos: 13, field: "action"},
		{name: "log-status not in enum", format: def, line: strings.Replace(awsAcceptSSH, " OK", " FAILED", 1), reason: ReasonBadValue, pos: 14, field: "log-status"},
		{name: "log-status prefix", format: "log-status", line: "NODAT", reason: ReasonBadValue, pos: 1, field: "log-status"},

		// Every field's value set (issue 12.5): a Transit Gateway-shaped
		// line read with AWS's default format is a reject naming the field,
		// not a VPC record whose account id is "TransitGateway".
		{name: "tgw line in the default format", format: def, line: "6 TransitGateway eni-0123456789abcdef0 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK",
			reason: ReasonBadValue, pos: 2, field: "account-id"},
		{name: "account id unknown", format: def, line: strings.Replace(awsAcceptSSH, "123456789010", "unknown", 1), want: "account-id=unknown"},
		{name: "account id 13 digits", format: def, line: strings.Replace(awsAcceptSSH, "123456789010", "1234567890101", 1), reason: ReasonBadValue, pos: 2, field: "account-id"},
		{name: "interface id of another kind", format: def, line: strings.Replace(awsAcceptSSH, "eni-1235b8ca123456789", "tgw-attach-0123", 1), reason: ReasonBadValue, pos: 3, field: "interface-id"},
		{name: "interface id prefix alone", format: def, line: strings.Replace(awsAcceptSSH, "eni-1235b8ca123456789", "eni-", 1), reason: ReasonBadValue, pos: 3, field: "interface-id"},
		{name: "flow-direction", format: "flow-direction type", line: "ingress IPv6", want: "flow-direction=ingress type=IPv6"},
		{name: "flow-direction upper case", format: "flow-direction", line: "INGRESS", reason: ReasonBadValue, pos: 1, field: "flow-direction"},
		{name: "type", format: "type", line: "IPv5", reason: ReasonBadValue, pos: 1, field: "type"},
		{name: "vpc id as subnet id", format: "vpc-id subnet-id", line: "vpc-1 vpc-2", reason: ReasonBadValue, pos: 2, field: "subnet-id"},
		{name: "region", format: "region az-id", line: "not-a-region use1-az1", reason: ReasonBadValue, pos: 1, field: "region"},
		{name: "aws service", format: "pkt-src-aws-service", line: "s3", reason: ReasonBadValue, pos: 1, field: "pkt-src-aws-service"},
		{name: "resource-type", format: "resource-type tgw-id", line: "TransitGatewayAttachment tgw-0a1", want: "resource-type=TransitGatewayAttachment tgw-id=tgw-0a1"},
		{name: "tgw attachment as tgw id", format: "resource-type tgw-id", line: "TransitGateway tgw-attach-0a1", reason: ReasonBadValue, pos: 2, field: "tgw-id"},

		// Field count and blanks.
		{name: "missing field", format: def, line: strings.TrimSuffix(awsAcceptSSH, " OK"), reason: ReasonFieldCount},
		{name: "extra field", format: def, line: awsAcceptSSH + " OK", reason: ReasonFieldCount},
		{name: "runs of spaces and tabs", format: def, line: " \t2  123456789010\t\teni-1235b8ca123456789 \t 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK \t ",
			want: "version=2 account-id=123456789010 interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
		{name: "aws doubled space", format: tcpFlagFormat, line: awsDoubleSpace, want: "dstport=43638 pkt-srcaddr=10.0.0.62 tcp-flags=19"},
		{name: "crlf", format: def, line: awsAcceptSSH + "\r", want: "log-status=OK action=ACCEPT"},
		{name: "cr only line", format: def, line: "\r", reason: ReasonEmpty},
		{name: "cr inside is not a separator", format: "action log-status", line: "ACCEPT\rOK", reason: ReasonControlChar},
		// Control characters inside a field make the line a reject naming
		// the field (issue 12.11: one bare CR failed a whole batch's load);
		// a NUL anywhere is a nul-byte reject (issue 17.8), also before
		// invalid UTF-8 and in a line of the wrong field count.
		{name: "cr inside a field", format: def, line: strings.Replace(awsAcceptSSH, "eni-1235b8ca", "eni-aa\rbb", 1), reason: ReasonControlChar, pos: 3, field: "interface-id"},
		{name: "nul inside a field", format: def, line: strings.Replace(awsAcceptSSH, "eni-1235b8ca", "eni-aa\x00bb", 1), reason: ReasonNUL, pos: 3, field: "interface-id"},
		{name: "nul in an unknown field", format: "version resource-id", line: "2 res\x00", reason: ReasonNUL, pos: 2, field: "resource-id"},
		{name: "nul with invalid utf8", format: def, line: "\xff\xfe\x00\x01", reason: ReasonNUL},
		{name: "nul in a short line", format: def, line: "2 \x00", reason: ReasonNUL},
		{name: "vertical tab", format: def, line: strings.Replace(awsAcceptSSH, " 22 ", " 2\v2 ", 1), reason: ReasonControlChar, pos: 7, field: "dstport"},
		{name: "escape sequence", format: "interface-id vpc-id", line: "eni-\x1b[31m vpc-1", reason: ReasonControlChar, pos: 1, field: "interface-id"},
		{name: "delete", format: "interface-id vpc-id", line: "eni-1\x7f vpc-1", reason: ReasonControlChar, pos: 1, field: "interface-id"},
		{name: "c1 control", format: "interface-id vpc-id", line: "eni-1\u009b vpc-1", reason: ReasonControlChar, pos: 1, field: "interface-id"},
		{name: "lf inside a message", format: "action log-status", line: "ACCEPT\nX OK", reason: ReasonControlChar, pos: 1, field: "action"},
		{name: "empty line", format: def, line: "", reason: ReasonEmpty},
		{name: "blank line", format: def, line: " \t  ", reason: ReasonEmpty},
		{name: "invalid utf8", format: def, line: strings.Replace(awsAcceptSSH, "eni-", "eni-\xff", 1), reason: ReasonBadUTF8},
		{name: "utf8 in an unknown field", format: "resource-id vpc-id", line: "res-ü vpc-1", want: "resource-id=res-ü vpc-id=vpc-1"},
		{name: "utf8 in an id", format: "interface-id vpc-id", line: "eni-ü vpc-1", reason: ReasonBadValue, pos: 1, field: "interface-id"},

		// Unknown fields are kept in Extra, in format order.
		{name: "unknown fields kept", format: "version resource-id srcaddr encryption-status", line: "10 res-0abc 10.0.0.1 -",
			want: "version=10 resource-id=res-0abc srcaddr=10.0.0.1 encryption-status=NULL"},
		{name: "only string fields", format: "vpc-id subnet-id instance-id", line: "vpc-0abc subnet-1 i-123", want: "vpc-id=vpc-0abc subnet-id=subnet-1 instance-id=i-123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFormat(t, tt.format)
			d := NewTextDecoder(f)
			var r flow.Record
			err := d.Decode([]byte(tt.line), &r)
			if tt.reason != "" {
				if err == nil {
					t.Fatalf("Decode(%q) = %v, want reject %s", tt.line, render(f, &r), tt.reason)
				}
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("error %T %v is not a *LineError", err, err)
				}
				if le.Reason != tt.reason || le.Pos != tt.pos || le.Field != tt.field {
					t.Errorf("error = {%s %d %q} %q, want {%s %d %q}", le.Reason, le.Pos, le.Field, le.Error(), tt.reason, tt.pos, tt.field)
				}
				if le.Detail == "" {
					t.Error("empty Detail")
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.line, err)
			}
			if extra := r.Present &^ formatMask(f); extra != 0 {
				t.Errorf("Present has bits outside the format: %b", extra)
			}
			checkPairs(t, render(f, &r), tt.want)
		})
	}
}

func TestDecodeTooLong(t *testing.T) {
	d := NewTextDecoder(mustFormat(t, "resource-id")) // any text: the limit alone decides
	var r flow.Record
	tests := []struct {
		name   string
		line   string
		reason string
	}{
		{"at the limit", strings.Repeat("a", MaxLineBytes), ""},
		{"at the limit with cr", strings.Repeat("a", MaxLineBytes) + "\r", ""},
		{"one over", strings.Repeat("a", MaxLineBytes+1), ReasonTooLong},
		{"one over with cr", strings.Repeat("a", MaxLineBytes+1) + "\r", ReasonTooLong},
		{"a megabyte", strings.Repeat("a ", 1<<19), ReasonTooLong},
	}
	for _, tt := range tests {
		err := d.Decode([]byte(tt.line), &r)
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.reason != "" && (err == nil || err.(*LineError).Reason != tt.reason):
			t.Errorf("%s: error %v, want %s", tt.name, err, tt.reason)
		}
	}
}

func TestLineErrorMessage(t *testing.T) {
	d := NewTextDecoder(flow.DefaultFormat())
	var r flow.Record
	err := d.Decode([]byte(strings.Replace(awsAcceptSSH, " 20641 ", " http ", 1)), &r)
	if err == nil || !strings.HasPrefix(err.Error(), "field 6 (srcport): ") || !strings.Contains(err.Error(), `"http"`) {
		t.Errorf("error message = %v", err)
	}
	err = d.Decode([]byte("1 2 3"), &r)
	if err == nil || !strings.Contains(err.Error(), "expected 14 fields, found 3") {
		t.Errorf("field-count message = %v", err)
	}
	// A long value is clipped in the message.
	err = d.Decode([]byte(strings.Replace(awsAcceptSSH, "172.31.16.139", strings.Repeat("9", 200), 1)), &r)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("long value not clipped: %v", err)
	}
}

// A Record is reused from line to line: nothing of the previous line may
// leak into the next.
func TestDecodeReuse(t *testing.T) {
	f := mustFormat(t, "version srcaddr foo log-status bar")
	d := NewTextDecoder(f)
	var r flow.Record
	lines := []struct{ line, want string }{
		{"3 10.0.0.1 x OK y", "version=3 srcaddr=10.0.0.1 foo=x log-status=OK bar=y"},
		{"- - - NODATA -", "version=NULL srcaddr=NULL foo=NULL log-status=NODATA bar=NULL"},
		{"4 ::1 z SKIPDATA w", "version=4 srcaddr=::1 foo=z log-status=SKIPDATA bar=w"},
	}
	for _, l := range lines {
		if err := d.Decode([]byte(l.line), &r); err != nil {
			t.Fatalf("%q: %v", l.line, err)
		}
		if len(r.Extra) != 2 || len(r.ExtraNames) != 2 {
			t.Fatalf("%q: %d extras, want 2", l.line, len(r.Extra))
		}
		checkPairs(t, render(f, &r), l.want)
	}
	// A full record followed by a NODATA record with the default format.
	d = NewTextDecoder(flow.DefaultFormat())
	if err := d.Decode([]byte(awsAcceptSSH), &r); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode([]byte(awsNoData), &r); err != nil {
		t.Fatal(err)
	}
	for _, id := range []flow.FieldID{flow.SrcAddr, flow.SrcPort, flow.Bytes, flow.Action, flow.Protocol} {
		if r.Has(id) {
			t.Errorf("%s still present after a NODATA line", id)
		}
	}
	if len(r.Extra) != 0 {
		t.Errorf("extras from another format: %q", r.Extra)
	}
}

func TestDecoderFormat(t *testing.T) {
	f := mustFormat(t, tcpFlagFormat)
	if got := NewTextDecoder(f).Format(); !got.Equal(f) {
		t.Errorf("Format() = %q, want %q", got.Header(), f.Header())
	}
	// A decoder for an empty format rejects every non-empty line.
	var r flow.Record
	if err := NewTextDecoder(flow.Format{}).Decode([]byte("2"), &r); err == nil || err.(*LineError).Reason != ReasonFieldCount {
		t.Errorf("empty format: %v", err)
	}
}

// validIP must accept exactly what net/netip accepts without a zone.
func TestValidIPMatchesNetip(t *testing.T) {
	inputs := []string{
		"", ".", ":", "::", ":::", "::1", "1::", "1:", ":1", "1::2::3", "::ffff:1.2.3.4", "::1.2.3.4",
		"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8",
		"1:2:3:4:5:6:7", "0000:0000:0000:0000:0000:0000:0000:0001", "00000::1", "fffff::", "FFFF::",
		"g::", "1.2.3.4", "01.2.3.4", "1.2.3.4.", ".1.2.3.4", "1..2.3", "256.0.0.0", "1.2.3", "1.2.3.4.5",
		"1234.1.1.1", "1.2.3.4:5", "1.2::3", "::1.2.3", "::1.2.3.4.5", "::1.2.3.04", "::1.2.3.256",
		"fe80::1%eth0", "fe80::1%", "%eth0", "::%1", "1:2:3:4:5:6:7:8%1", "::ffff:1.2.3.4%x", "1.2.3.4%x",
		"2001:db8:1234:a100:8d6e:3477:df66:f105", "2a02:cf40::", "::a.2.3.4", "::1a.2.3.4", "::12345.1.1.1",
		"1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8", " ::1", "::1 ", "0.0.0.0", "0:0:0:0:0:0:0:0",
	}
	for _, s := range inputs {
		if got, want := validIP([]byte(s)), netipValid(s); got != want {
			t.Errorf("validIP(%q) = %v, netip says %v", s, got, want)
		}
	}
}

func netipValid(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

func FuzzValidIP(f *testing.F) {
	for _, s := range []string{"::", "::ffff:1.2.3.4", "1.2.3.4", "fe80::1%eth0", "2001:db8::1", "1:2:3:4:5:6:7:8", "::FFFF:C000:0201", "1::2:0:0:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseIP([]byte(s))
		if ok != netipValid(s) {
			t.Fatalf("parseIP(%q) = %v, netip says %v", s, ok, !ok)
		}
		if !ok {
			return
		}
		if want := netip.MustParseAddr(s); a != want {
			t.Fatalf("parseIP(%q) = %v, netip says %v", s, a, want)
		}
		canon, _ := canonicalIP(a, []byte(s), nil)
		if want := netip.MustParseAddr(s).Unmap().String(); string(canon) != want {
			t.Fatalf("canonicalIP(%q) = %q, want %q", s, canon, want)
		}
	})
}

// Decoding a valid line allocates nothing, for every kind of record.
func TestDecodeAllocs(t *testing.T) {
	tests := []struct {
		format, line string
	}{
		{"", awsAcceptSSH},
		{"", awsNoData},
		{"", awsIPv6SSH},
		{v5Format, awsV5Egress},
		{tcpFlagFormat, awsDoubleSpace},
		{"version resource-id srcaddr encryption-status", "10 res-0abc 2001:db8::1 -"},
		{"srcaddr dstaddr", "::ffff:192.0.2.1 2001:db8:1234:a102:3304:8879:34cf:4071"},
		{"srcaddr dstaddr pkt-srcaddr pkt-dstaddr", "2001:DB8:0:0:0:0:0:A 0:0:0:0:0:ffff:c000:201 ::FFFF:10.0.0.1 FE80::1"},
	}
	for _, tt := range tests {
		d := NewTextDecoder(mustFormat(t, tt.format))
		line := []byte(tt.line)
		var r flow.Record
		if err := d.Decode(line, &r); err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		n := testing.AllocsPerRun(100, func() {
			if err := d.Decode(line, &r); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("Decode(%q) allocates %v times per line, want 0", tt.line, n)
		}
	}
}
