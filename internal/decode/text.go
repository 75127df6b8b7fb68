// Package decode turns the bytes of flow log deliveries into flow.Records: the
// space-separated text format of S3 and CloudWatch Logs, with the field order
// taken from a header line, a `--log-format` string, or AWS's default.
//
// It depends on the standard library only. Decoding a line allocates nothing
// on the success path: values are slices of the line, integers are parsed in
// place, IPv4 addresses are checked without conversion to string.
package decode

import (
	"bytes"
	"fmt"
	"net/netip"
	"unicode/utf8"

	"github.com/flowir/flowir/internal/flow"
)

// Reject reasons, stable strings kept in the `rejects` table.
const (
	ReasonFieldCount  = "field-count"
	ReasonBadNumber   = "bad-number"
	ReasonOutOfRange  = "out-of-range"
	ReasonBadIP       = "bad-ip"
	ReasonBadValue    = "bad-value"
	ReasonBadUTF8     = "invalid-utf8"
	ReasonTooLong     = "line-too-long"
	ReasonEmpty       = "empty-line"
	ReasonBadJSON     = "bad-json"
	ReasonUnsupported = "unsupported"
	// ReasonNUL is a line holding a NUL byte, wherever it is: AWS never
	// writes one, and a file with NUL bytes is binary or damaged.
	ReasonNUL = "nul-byte"
	// ReasonControlChar is a line holding another control character inside a
	// field (a carriage return, a vertical tab, an escape ...): no flow log
	// value holds one, and none could be stored and shown faithfully.
	ReasonControlChar = "control-character"
	// ReasonBadHeader is a line that has the shape of a header line (field
	// names) but is not one flowir can read: a field named twice, or mostly
	// names of no flow log field (flow.HeaderProblem).
	ReasonBadHeader = "bad-header"
)

// LineError says why a line is not a record: which field (1-based position in
// the format, and its name) and what was wrong with it.
type LineError struct {
	Reason string // one of the Reason constants
	Pos    int    // 1-based field position, 0 when the error is about the whole line
	Field  string // field name, "" when Pos is 0
	Detail string // human-readable explanation, including how to fix it when possible
}

func (e *LineError) Error() string {
	if e.Pos > 0 {
		return fmt.Sprintf("field %d (%s): %s", e.Pos, e.Field, e.Detail)
	}
	return e.Detail
}

type colSpec struct {
	id     flow.FieldID
	known  bool
	kind   flow.Kind
	min    int64
	max    int64
	name   string
	values [][]byte
}

// TextDecoder decodes lines of one text format. It is not safe for concurrent
// use; give each goroutine its own.
type TextDecoder struct {
	format  flow.Format
	cols    []colSpec
	toks    [][]byte
	unknown []string
	// ipText holds the canonical text of the line's addresses written in
	// another form (see canonicalIP); the record's values point into it.
	ipText []byte
}

// NewTextDecoder returns a decoder for lines written in format f.
func NewTextDecoder(f flow.Format) *TextDecoder {
	d := &TextDecoder{format: f, cols: make([]colSpec, len(f.Cols)), toks: make([][]byte, 0, len(f.Cols)+1), ipText: make([]byte, 0, 4*len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))}
	for i, c := range f.Cols {
		cs := colSpec{known: c.Known, name: c.Name, kind: flow.KindString}
		if c.Known {
			fd := flow.Get(c.ID)
			cs.id, cs.kind, cs.min, cs.max = c.ID, fd.Kind, fd.Min, fd.Max
			for _, v := range fd.Values {
				cs.values = append(cs.values, []byte(v))
			}
			switch {
			case cs.max != 0:
			case cs.kind == flow.KindInt32:
				cs.max = 1<<31 - 1
			case cs.kind == flow.KindInt64:
				cs.max = 1<<63 - 1
			}
		} else {
			d.unknown = append(d.unknown, c.Name)
		}
		d.cols[i] = cs
	}
	return d
}

// Format returns the format the decoder reads.
func (d *TextDecoder) Format() flow.Format { return d.format }

// MaxLineBytes is the longest line flowir decodes; a longer line is rejected
// (AWS never writes one: a full v8 record is well under 2 KiB).
const MaxLineBytes = 64 << 10

// Decode parses one line (without its trailing newline; a trailing CR is
// ignored) into r. On error r is left in an unspecified state and the error is
// a *LineError.
func (d *TextDecoder) Decode(line []byte, r *flow.Record) error {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) > MaxLineBytes {
		return &LineError{Reason: ReasonTooLong, Detail: fmt.Sprintf("line is %d bytes, longer than the %d-byte limit; this is not a flow log record", len(line), MaxLineBytes)}
	}
	toks := d.toks[:0]
	ctl := -1 // offset of the first control character, if any
	for i := 0; i < len(line); {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			if ctl < 0 && isControl(line, j) {
				ctl = j
			}
			j++
		}
		toks = append(toks, line[i:j])
		i = j
	}
	d.toks = toks
	// A NUL byte decides first, wherever it is: it marks binary or damaged
	// content, which is usually not valid UTF-8 either.
	if ctl >= 0 && bytes.IndexByte(line, 0) >= 0 {
		return d.controlError(line, toks, ctl)
	}
	if !utf8.Valid(line) {
		return &LineError{Reason: ReasonBadUTF8, Detail: "line is not valid UTF-8 text; is this a binary or differently encoded file?"}
	}
	if ctl >= 0 {
		return d.controlError(line, toks, ctl)
	}
	if len(toks) == 0 {
		return &LineError{Reason: ReasonEmpty, Detail: "empty line"}
	}
	if len(toks) != len(d.cols) {
		return &LineError{Reason: ReasonFieldCount, Detail: fmt.Sprintf("expected %d fields, found %d; the line does not match the log format %q (give the right one with --log-format, or check the file's header line)", len(d.cols), len(toks), shortFormat(d.format))}
	}
	r.Reset()
	d.ipText = d.ipText[:0]
	for i, t := range toks {
		c := &d.cols[i]
		null := len(t) == 1 && t[0] == '-'
		if !c.known {
			r.ExtraNames = append(r.ExtraNames, c.name)
			if null {
				r.Extra = append(r.Extra, nil)
			} else {
				r.Extra = append(r.Extra, t)
			}
			continue
		}
		if null {
			continue
		}
		switch c.kind {
		case flow.KindInt32, flow.KindInt64:
			n, ok, big := parseUint(t)
			if !ok {
				return &LineError{Reason: ReasonBadNumber, Pos: i + 1, Field: c.name, Detail: fmt.Sprintf("%q is not a non-negative whole number", clip(t))}
			}
			if big || n > c.max || n < c.min {
				return &LineError{Reason: ReasonOutOfRange, Pos: i + 1, Field: c.name, Detail: fmt.Sprintf("%s is out of range (%d to %d)%s", clip(t), c.min, c.max, rangeWhy(c.id))}
			}
			r.Num[c.id] = n
		case flow.KindIP:
			a, ok := parseIP(t)
			if !ok {
				return &LineError{Reason: ReasonBadIP, Pos: i + 1, Field: c.name, Detail: fmt.Sprintf("%q is not an IPv4 or IPv6 address", clip(t))}
			}
			r.Str[c.id], d.ipText = canonicalIP(a, t, d.ipText)
		case flow.KindEnum:
			ok := false
			for _, v := range c.values {
				if string(v) == string(t) {
					ok = true
					break
				}
			}
			if !ok {
				return &LineError{Reason: ReasonBadValue, Pos: i + 1, Field: c.name, Detail: fmt.Sprintf("%q is not %s; the line probably does not match the log format", clip(t), flow.Describe(c.id))}
			}
			r.Str[c.id] = t
		default:
			if !flow.ValidValue(c.id, t) {
				return &LineError{Reason: ReasonBadValue, Pos: i + 1, Field: c.name, Detail: fmt.Sprintf("%q is not %s; the line probably does not match the log format", clip(t), flow.Describe(c.id))}
			}
			r.Str[c.id] = t
		}
		r.Present |= 1 << c.id
	}
	return nil
}

// rangeWhy says why an integer field's bound is what it is, where that is
// not obvious from the field.
func rangeWhy(id flow.FieldID) string {
	switch id {
	case flow.Start, flow.End:
		return ": neither Unix seconds nor milliseconds of a time before 2100"
	case flow.Packets, flow.Bytes, flow.PacketsLostNoRoute, flow.PacketsLostBlackhole, flow.PacketsLostMTUExceeded, flow.PacketsLostTTLExpired:
		return ": more than any flow carries in one capture window"
	case flow.TrafficPath:
		return ": AWS documents the paths 1 to 8"
	case flow.Version:
		return ": flow log versions start at 2"
	case flow.TCPFlags:
		return ": the flags are 8 bits"
	case flow.Protocol:
		return ": IANA protocol numbers are 0 to 255"
	}
	return ""
}

// isControl reports whether line[i] starts a control character: a C0 control
// (other than the space and tab that separate fields), DEL, or a C1 control
// (U+0080 to U+009F, two bytes in UTF-8; in invalid UTF-8 the same bytes
// are refused as such anyway).
func isControl(line []byte, i int) bool {
	c := line[i]
	return c < 0x20 || c == 0x7f || c == 0xc2 && i+1 < len(line) && line[i+1] >= 0x80 && line[i+1] <= 0x9f
}

// controlError is the reject of a line with a control character at offset
// off: a NUL anywhere in the line makes it a nul-byte reject, any other a
// control-character one. When the line has the format's field count, the
// error names the field that holds the character.
func (d *TextDecoder) controlError(line []byte, toks [][]byte, off int) *LineError {
	e := &LineError{Reason: ReasonControlChar}
	if k := bytes.IndexByte(line, 0); k >= 0 {
		e.Reason, off = ReasonNUL, k
	}
	what := "a NUL byte"
	if e.Reason == ReasonControlChar {
		r, _ := utf8.DecodeRune(line[off:])
		what = fmt.Sprintf("the control character %U", r)
	}
	if len(toks) == len(d.cols) {
		for i, t := range toks {
			// Tokens are slices of line: the one holding off contains it.
			start := cap(line) - cap(t)
			if off >= start && off < start+len(t) {
				e.Pos, e.Field = i+1, d.cols[i].name
				e.Detail = fmt.Sprintf("%q holds %s; no flow log value does (a damaged or binary file?)", clip(t), what)
				return e
			}
		}
	}
	e.Detail = fmt.Sprintf("the line holds %s at byte %d; no flow log line does (a damaged or binary file?)", what, off+1)
	return e
}

// shortFormat renders a format for an error message, shortened when long.
func shortFormat(f flow.Format) string {
	h := f.Header()
	if len(h) > 120 {
		return h[:117] + "..."
	}
	return h
}

// clip shortens a value quoted in an error message.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:61]) + "..."
	}
	return string(b)
}

// parseUint parses a non-empty run of ASCII digits into a non-negative int64.
// ok is false when b is empty or holds any other byte. big is true when b is
// a run of digits whose value does not fit 63 bits: such a number is out of
// range for every field, not malformed.
func parseUint(b []byte) (n int64, ok, big bool) {
	if len(b) == 0 {
		return 0, false, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false, false
		}
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(b) > 19 {
		return 0, true, true
	}
	var u uint64
	for _, c := range b {
		u = u*10 + uint64(c-'0')
	}
	if u > 1<<63-1 {
		return 0, true, true
	}
	return int64(u), true, false
}

// parseIP parses b as an IPv4 address in dotted-decimal form (no leading
// zeros, as net/netip requires) or an IPv6 address without a zone. It
// accepts exactly what netip.ParseAddr accepts without a zone, but does not
// allocate: netip.ParseAddr needs a string, and converting the slice to one
// costs an allocation per address.
func parseIP(b []byte) (netip.Addr, bool) {
	if len(b) == 0 {
		return netip.Addr{}, false
	}
	for _, c := range b {
		if c == ':' {
			a, ok := parseIPv6(b)
			return netip.AddrFrom16(a), ok
		}
	}
	a, ok := parseIPv4(b)
	return netip.AddrFrom4(a), ok
}

// validIP reports whether b is an address parseIP accepts.
func validIP(b []byte) bool {
	_, ok := parseIP(b)
	return ok
}

// canonicalIP returns the one text form of an address every record stores
// (issue 17.16): an IPv4-mapped IPv6 address (::ffff:192.0.2.1) as the IPv4
// address it stands for, since AWS writes IPv4 addresses in dotted form and
// the IOC, investigation and named-query code all compare them so; any
// other IPv6 address in RFC 5952's form (lower case, the longest run of zero
// groups as ::), as net/netip prints it. Text already in that form (every
// IPv4 address, AWS's IPv6 addresses) is returned as it is; another form is
// written into buf, which is returned grown.
func canonicalIP(a netip.Addr, text, buf []byte) (canon, grown []byte) {
	if a.Is4() {
		return text, buf // dotted decimal without leading zeros: canonical
	}
	a = a.Unmap()
	n := len(buf)
	buf = a.AppendTo(buf)
	if string(buf[n:]) == string(text) {
		return text, buf[:n]
	}
	return buf[n:len(buf):len(buf)], buf
}

// parseIPv6 parses an IPv6 address in RFC 4291 text form: up to eight
// groups of one to four hex digits separated by colons, at most one "::"
// standing for one or more zero groups, and optionally a dotted IPv4
// address in place of the last two groups. A zone ("%eth0") is refused.
func parseIPv6(b []byte) (ip [16]byte, ok bool) {
	var g [8]uint16
	n := 0    // 16-bit groups read; an embedded IPv4 address counts for two
	ell := -1 // the groups before the "::", -1 without one
	i := 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ell = 0
		i = 2
		if i == len(b) {
			return ip, true
		}
	}
	for {
		j := i
		var v uint16
		for j < len(b) && j-i <= 4 && isHex(b[j]) {
			v = v<<4 | uint16(hexValue(b[j]))
			j++
		}
		if j == i || j-i > 4 {
			return ip, false
		}
		if j < len(b) && b[j] == '.' {
			// An embedded IPv4 address ends the address and fills the last
			// two groups: it needs exactly six groups before it, or fewer
			// and a "::" that stands for at least one more.
			if n > 6 || (ell < 0 && n != 6) || (ell >= 0 && n == 6) {
				return ip, false
			}
			v4, ok := parseIPv4(b[i:])
			if !ok {
				return ip, false
			}
			g[n], g[n+1] = uint16(v4[0])<<8|uint16(v4[1]), uint16(v4[2])<<8|uint16(v4[3])
			n += 2
			break
		}
		g[n] = v
		n++
		i = j
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return ip, false
		}
		i++
		if b[i] == ':' {
			if ell >= 0 {
				return ip, false
			}
			ell = n
			i++
			if i == len(b) {
				break
			}
		}
		if n == 8 {
			return ip, false
		}
	}
	if ell >= 0 {
		if n == 8 {
			return ip, false // "::" stands for at least one group
		}
		// The groups after the "::" go to the end; zeros fill the gap.
		k := n - ell
		copy(g[8-k:], g[ell:n])
		for x := ell; x < 8-k; x++ {
			g[x] = 0
		}
	} else if n != 8 {
		return ip, false
	}
	for x, v := range g {
		ip[2*x], ip[2*x+1] = byte(v>>8), byte(v)
	}
	return ip, true
}

func hexValue(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseIPv4 parses a dotted-decimal IPv4 address without leading zeros.
func parseIPv4(b []byte) (ip [4]byte, ok bool) {
	octets, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || n > 255 || (digits > 1 && b[i-digits] == '0') || octets == 4 {
				return ip, false
			}
			ip[octets] = byte(n)
			octets++
			n, digits = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || digits == 3 {
			return ip, false
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return ip, octets == 4
}
