package output

import (
	"math/big"
	"strconv"
	"strings"
)

// Kind is what a column holds, as far as the table cares: it decides the
// alignment of the column and whether its cells may be shortened to fit the
// terminal. Responders copy addresses and ids out of the table into the next
// command, so those are never cut; only free text gives way.
type Kind uint8

const (
	// KindAuto takes the kind from the column's Type and, failing that, from
	// its name (see KindOf) and its values.
	KindAuto Kind = iota
	// KindText is free text (a title, a comment, a detail): left-aligned,
	// the only kind shortened with "…" when the table is too wide.
	KindText
	// KindAddress is an IP address, CIDR or host name: left-aligned, never
	// shortened.
	KindAddress
	// KindID is an identifier (eni-…, i-…, vpc-…, an account, a finding id):
	// left-aligned, never shortened.
	KindID
	// KindNumber is a number: right-aligned, never shortened.
	KindNumber
	// KindBytes is a count of bytes: right-aligned, never shortened, and
	// shown readable ("4.5 GB", decimal units of 1000) in a table printed to
	// a terminal. Every other format, and a table written to a file or a
	// pipe, keeps the exact integer.
	KindBytes
)

var kindNames = [...]string{"auto", "text", "address", "id", "number", "bytes"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// KindOf guesses the kind of a column from its name, following the names
// flowir's queries and the flow log schema use: srcaddr, pkt_dstaddr,
// address, peer, threat_ip, vpc_cidr, public_ips are addresses; interface_id, account,
// etag are ids; bytes, bytes_out, total_bytes are byte counts. It returns
// KindAuto for any other name. Commands that declare their columns say the
// kind; the guess is for results whose columns come from SQL (query, sql).
func KindOf(name string) Kind {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "bytes" || strings.HasPrefix(n, "bytes_") || strings.HasSuffix(n, "_bytes"):
		return KindBytes
	case n == "address" || n == "addr" || n == "ip" || n == "peer" || n == "cidr" ||
		strings.HasSuffix(n, "addr") || strings.HasSuffix(n, "address") ||
		strings.HasSuffix(n, "_ip") || strings.HasSuffix(n, "_cidr") || strings.HasSuffix(n, "_peer") ||
		strings.HasSuffix(n, "_ips") || strings.HasSuffix(n, "_addresses"):
		return KindAddress
	case n == "id" || strings.HasSuffix(n, "_id") || n == "account" || n == "etag" || n == "target":
		return KindID
	}
	return KindAuto
}

// class is how the table lays out a column of kind k.
func (k Kind) class() colClass {
	switch k {
	case KindText:
		return classText
	case KindAddress, KindID:
		return classFixed
	case KindNumber, KindBytes:
		return classNumber
	}
	return classUnknown
}

// byteUnits are the decimal (SI) units readable byte counts use: 1 kB is
// 1000 bytes, as AWS bills transfer and CloudWatch reports bytes.
var byteUnits = [...]string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB", "RB", "QB"}

// readableBytes returns v, a count of bytes, as a person reads it: "512 B"
// below 1000, otherwise one decimal and a decimal unit ("4.5 GB"). ok is
// false when v is not an integer (NULL, text), which is then shown as is.
func readableBytes(v any) (s string, ok bool) {
	digits, ok := appendInteger(nil, v)
	if !ok {
		switch x := v.(type) {
		case *big.Int:
			if x == nil {
				return "", false
			}
			digits = x.Append(nil, 10)
		case big.Int:
			digits = x.Append(nil, 10)
		default:
			return "", false
		}
	}
	str := string(digits)
	neg := strings.HasPrefix(str, "-")
	str = strings.TrimPrefix(str, "-")
	if len(str) <= 3 {
		return string(digits) + " B", true
	}
	n, _, err := big.ParseFloat(str, 10, 128, big.ToNearestEven)
	if err != nil {
		return "", false
	}
	thousand := big.NewFloat(1000)
	unit := -1
	for n.Cmp(thousand) >= 0 && unit < len(byteUnits)-1 {
		n.Quo(n, thousand)
		unit++
	}
	text := n.Text('f', 1)
	// 999.96 kB rounds to "1000.0": say 1.0 MB instead.
	if strings.HasPrefix(text, "1000") && unit < len(byteUnits)-1 {
		n.Quo(n, thousand)
		unit++
		text = n.Text('f', 1)
	}
	if neg {
		text = "-" + text
	}
	return text + " " + byteUnits[unit], true
}
