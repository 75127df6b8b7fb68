package analysis

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IOC file formats.
const (
	IOCFormatCSV   = "csv"   // the playbook's incident_iocs CSV: threat_ip,threat_comment
	IOCFormatPlain = "plain" // one address or CIDR per line, # comments
	IOCFormatSTIX  = "stix"  // a STIX 2.1 bundle (or array, or single object) of indicators
)

// IOC is one indicator entry: an IPv4 or IPv6 address or network.
type IOC struct {
	// ThreatIP is the entry exactly as the file gives it (trimmed), e.g.
	// "203.0.113.0/24": the playbook's threat_ip column.
	ThreatIP string
	// Comment is the playbook's threat_comment: the CSV's second field, a
	// plain list's inline "# comment", or a STIX indicator's name (else its
	// description).
	Comment string
	// Prefix is the network the entry denotes, canonical: masked, and an
	// IPv4-mapped IPv6 entry in IPv4 form. A single address is a /32 or /128.
	Prefix netip.Prefix
	// Where the entry was read: file, 1-based line, format, and for STIX the
	// indicator's id.
	File   string
	Line   int
	Format string
	STIXID string
	// ValidFrom and ValidUntil are a STIX indicator's validity window (zero:
	// open on that side); Revoked says its producer withdrew it. CSV and
	// plain entries have no window.
	ValidFrom, ValidUntil time.Time
	Revoked               bool
}

// Key is the canonical text of the network, the identity of an entry: two
// entries with the same Key are the same indicator, whatever their files or
// spelling. A single address is written without a prefix length.
func (i IOC) Key() string { return PrefixKey(i.Prefix) }

// PrefixKey is the canonical text of a network: "203.0.113.0/24", or
// "203.0.113.66" for a single address.
func PrefixKey(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// Kind is "address" or "network".
func (i IOC) Kind() string {
	if i.Prefix.IsSingleIP() {
		return "address"
	}
	return "network"
}

// Family is 4 or 6.
func (i IOC) Family() int {
	if i.Prefix.Addr().Is6() {
		return 6
	}
	return 4
}

// IOCProblem is an entry that could not be loaded (Warning false) or was
// loaded with a remark (Warning true), with the file and line it came from.
type IOCProblem struct {
	File    string
	Line    int
	Text    string // the offending text, shortened
	Reason  string
	Warning bool
}

func (p IOCProblem) String() string {
	kind := "invalid entry"
	if p.Warning {
		kind = "warning"
	}
	s := fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, kind, p.Reason)
	if p.Text != "" {
		s += fmt.Sprintf(" (%q)", p.Text)
	}
	return s
}

// IOCFile is what parsing one indicator file produced.
type IOCFile struct {
	Path     string
	Format   string
	Entries  []IOC
	Problems []IOCProblem
	// Skipped counts STIX objects that load no address: not indicators
	// (identities, relationships, ...), indicators of domains, URLs or
	// hashes, and indicators whose every address test was skipped. Not
	// errors, but said.
	Skipped int
	// SkippedTests counts the address tests of STIX patterns that one
	// address cannot decide (AND, FOLLOWEDBY, qualifiers, NOT, ...), each
	// with a warning in Problems.
	SkippedTests int
}

// Invalid counts the entries that were refused.
func (f *IOCFile) Invalid() int {
	n := 0
	for _, p := range f.Problems {
		if !p.Warning {
			n++
		}
	}
	return n
}

// DetectIOCFormat guesses the format of an indicator file from its content:
// JSON (an object or array) is STIX; otherwise CSV when the first line that is
// neither blank nor a # comment has a comma outside a comment, else a plain
// list.
func DetectIOCFormat(data []byte) string {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	t := bytes.TrimLeftFunc(data, unicode.IsSpace)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return IOCFormatSTIX
	}
	for line := range strings.Lines(string(data)) {
		s := strings.TrimSpace(line)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if i := strings.Index(s, "#"); i >= 0 && !strings.Contains(s, `"`) {
			s = s[:i]
		}
		if strings.Contains(s, ",") {
			return IOCFormatCSV
		}
		return IOCFormatPlain
	}
	return IOCFormatPlain
}

// ParseIOCs parses one indicator file. format is IOCFormatCSV,
// IOCFormatPlain, IOCFormatSTIX or "" to detect it. Entries that cannot be
// used are listed in Problems with their line, never dropped silently; the
// error is for a file that cannot be read as its format at all (STIX that is
// not JSON, text that is not UTF-8).
func ParseIOCs(path string, data []byte, format string) (*IOCFile, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if format == "" {
		format = DetectIOCFormat(data)
	}
	f := &IOCFile{Path: path, Format: format}
	switch format {
	case IOCFormatCSV, IOCFormatPlain:
		if !utf8.Valid(data) {
			return nil, fmt.Errorf("%s: not UTF-8 text; save the list as UTF-8 (or give a STIX JSON bundle)", path)
		}
		if format == IOCFormatCSV {
			parseCSVIOCs(f, string(data))
		} else {
			parsePlainIOCs(f, string(data))
		}
	case IOCFormatSTIX:
		if err := parseSTIXIOCs(f, data); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown IOC format %q: use csv, plain or stix", format)
	}
	return f, nil
}

// addEntry validates one value and appends it to f, or records why not; it
// returns the entry appended, or nil.
func (f *IOCFile) addEntry(value, comment string, line int, stixID string) *IOC {
	value = strings.TrimSpace(value)
	p, warn, err := ParseIOCValue(value)
	if err != nil {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: shorten(value), Reason: err.Error()})
		return nil
	}
	if warn != "" {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: shorten(value), Reason: warn, Warning: true})
	}
	f.Entries = append(f.Entries, IOC{ThreatIP: value, Comment: strings.TrimSpace(comment), Prefix: p,
		File: f.Path, Line: line, Format: f.Format, STIXID: stixID})
	return &f.Entries[len(f.Entries)-1]
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	r := []rune(s)
	return string(r[:77]) + "..."
}

// ParseIOCValue parses an indicator value: an IPv4 or IPv6 address or CIDR
// network. It returns the canonical network and, for values it accepts with a
// change, a warning that says what was assumed:
//
//   - host bits set ("203.0.113.7/24"): the network 203.0.113.0/24 is used;
//   - IPv4-mapped IPv6 ("::ffff:203.0.113.7"): the IPv4 address is used,
//     since flow logs write IPv4 addresses in dotted form;
//   - defanged dots ("203.0.113[.]7"), common in threat reports: re-fanged;
//   - /0: accepted, but it matches every address of its family.
//
// Leading zeros in IPv4 ("010.0.0.1", octal or decimal?), zones
// ("fe80::1%eth0"), ranges ("a-b") and anything else are errors.
func ParseIOCValue(s string) (netip.Prefix, string, error) {
	var warns []string
	if s == "" {
		return netip.Prefix{}, "", fmt.Errorf("empty indicator")
	}
	if strings.Contains(s, "[.]") || strings.Contains(s, "(.)") || strings.Contains(s, "[:]") {
		s = strings.NewReplacer("[.]", ".", "(.)", ".", "[:]", ":").Replace(s)
		warns = append(warns, "defanged value read as "+s)
	}
	if strings.HasPrefix(s, "[") && strings.Contains(s, "]") { // [2001:db8::1] or [2001:db8::]/32
		i := strings.Index(s, "]")
		s = s[1:i] + s[i+1:]
	}
	if strings.ContainsAny(s, " \t") {
		return netip.Prefix{}, "", fmt.Errorf("not an IP address or CIDR network (contains a space)")
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		q, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, "", fmt.Errorf("not a valid CIDR network: %v", trimNetipErr(err))
		}
		if q.Addr().Zone() != "" {
			return netip.Prefix{}, "", fmt.Errorf("an IPv6 zone (%%%s) cannot appear in flow logs", q.Addr().Zone())
		}
		p = canonicalPrefix(q)
		if q.Addr().Is4In6() && q.Bits() >= 96 {
			warns = append(warns, "IPv4-mapped IPv6 network read as "+p.String())
		} else if q.Masked() != q {
			warns = append(warns, fmt.Sprintf("host bits set; matching the network %s", p))
		}
		if p.Bits() == 0 {
			warns = append(warns, "a /0 matches every address of its family")
		}
	} else {
		if lo, hi, ok := strings.Cut(s, "-"); ok {
			if _, err1 := netip.ParseAddr(strings.TrimSpace(lo)); err1 == nil {
				if _, err2 := netip.ParseAddr(strings.TrimSpace(hi)); err2 == nil {
					return netip.Prefix{}, "", fmt.Errorf("address ranges are not supported; give CIDR networks")
				}
			}
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, "", fmt.Errorf("not a valid IP address or CIDR network: %v", trimNetipErr(err))
		}
		if a.Zone() != "" {
			return netip.Prefix{}, "", fmt.Errorf("an IPv6 zone (%%%s) cannot appear in flow logs", a.Zone())
		}
		if a.Is4In6() {
			a = a.Unmap()
			warns = append(warns, "IPv4-mapped IPv6 address read as "+a.String())
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return p, strings.Join(warns, "; "), nil
}

// trimNetipErr drops the package's quoting of the whole input, which the
// problem report already shows.
func trimNetipErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 {
		return msg[i+3:]
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// parsePlainIOCs reads a plain list: one address or CIDR per line; blank
// lines and lines starting with # are skipped; text after a # on an entry
// line is the entry's comment ("203.0.113.66  # C2 server"). A first line
// "threat_ip" (a one-column header) is skipped.
func parsePlainIOCs(f *IOCFile, text string) {
	n := 0
	for line := range strings.Lines(text) {
		n++
		s := strings.TrimSpace(line)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		value, comment := s, ""
		if i := strings.Index(s, "#"); i >= 0 {
			value, comment = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		}
		if isHeaderWord(value) && len(f.Entries) == 0 && len(f.Problems) == 0 {
			continue
		}
		f.addEntry(value, comment, n, "")
	}
}

// isHeaderWord reports whether s looks like a column name (threat_ip, ip,
// indicator, ...) rather than an indicator: letters, digits, _ and spaces,
// starting with a letter, and not parseable as an address (IPv6 text such as
// "fe80::1" never gets here because of its colons; "dead" or "beef" alone
// are not addresses either).
func isHeaderWord(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i > 0 && (r == '_' || r == ' ' || r == '-' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	_, _, err := ParseIOCValue(s)
	return err != nil
}

// parseCSVIOCs reads the playbook's incident_iocs CSV the way its
// OpenCSVSerde table does: separator ',', quote '"', escape '\'; a quoted
// field may contain commas, doubled quotes ("") and line breaks. The first
// field is threat_ip, the second threat_comment. An optional header line
// (first field "threat_ip" or another column name) is skipped. Lines whose
// first character is # are comments. Extra fields are ignored with a warning,
// as the two-column table would ignore them.
func parseCSVIOCs(f *IOCFile, text string) {
	r := csvReader{s: text, line: 1}
	first := true
	for {
		startLine := r.line
		fields, err, ok := r.next()
		if !ok {
			return
		}
		if err != nil {
			f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: startLine, Text: shorten(strings.Join(fields, ",")), Reason: err.Error()})
			first = false
			continue
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // blank line
		}
		if strings.HasPrefix(strings.TrimSpace(fields[0]), "#") && !r.lastQuoted {
			continue
		}
		if first {
			first = false
			if isHeaderWord(strings.TrimSpace(fields[0])) {
				continue
			}
		}
		comment := ""
		if len(fields) > 1 {
			comment = fields[1]
		}
		if len(fields) > 2 {
			extra := strings.Join(fields[2:], ",")
			if strings.TrimSpace(extra) != "" {
				f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: startLine, Text: shorten(extra), Warning: true,
					Reason: fmt.Sprintf("%d fields; incident_iocs has two (threat_ip, threat_comment), so the rest is ignored: quote a comment that contains commas", len(fields))})
			}
		}
		f.addEntry(fields[0], comment, startLine, "")
	}
}

// csvReader splits CSV records with OpenCSV's rules (see parseCSVIOCs),
// counting lines so that every record knows where it started.
type csvReader struct {
	s          string
	pos        int
	line       int
	lastQuoted bool // the first field of the last record was quoted
}

// next returns the fields of the next record; ok is false at the end of the
// input. A record with an unterminated quote is returned with an error, and
// reading resumes on the line after the one where it started.
func (r *csvReader) next() (fields []string, err error, ok bool) {
	if r.pos >= len(r.s) {
		return nil, nil, false
	}
	var b strings.Builder
	inQuote, quoted, fieldStart := false, false, true
	r.lastQuoted = false
	startPos, startLine := r.pos, r.line
	for r.pos < len(r.s) {
		c := r.s[r.pos]
		switch {
		case inQuote && c == '\\' && r.pos+1 < len(r.s):
			nc := r.s[r.pos+1]
			if nc == '\n' {
				r.line++
			}
			b.WriteByte(nc)
			r.pos += 2
			continue
		case inQuote && c == '"':
			if r.pos+1 < len(r.s) && r.s[r.pos+1] == '"' {
				b.WriteByte('"')
				r.pos += 2
				continue
			}
			inQuote = false
		case inQuote:
			if c == '\n' {
				r.line++
			}
			b.WriteByte(c)
		case c == '"' && fieldStart:
			inQuote, quoted = true, true
			b.Reset() // spaces before the opening quote are not part of the value
			if len(fields) == 0 {
				r.lastQuoted = true
			}
		case c == ',':
			fields = append(fields, b.String())
			b.Reset()
			fieldStart, quoted = true, false
			r.pos++
			continue
		case c == '\r' && r.pos+1 < len(r.s) && r.s[r.pos+1] == '\n':
			r.pos++ // CRLF: the LF ends the record; a lone CR is text
			continue
		case c == '\n':
			fields = append(fields, b.String())
			r.pos++
			r.line++
			return fields, nil, true
		case c == ' ' || c == '\t':
			if !quoted {
				b.WriteByte(c)
			}
			r.pos++
			continue // spaces do not end fieldStart, so ` "a,b"` is still quoted
		default:
			// Text after a closing quote is kept, as OpenCSV keeps it.
			b.WriteByte(c)
		}
		fieldStart = false
		r.pos++
	}
	if inQuote {
		// Unterminated quote: report it on its first line and resume after it.
		end := strings.IndexByte(r.s[startPos:], '\n')
		text := r.s[startPos:]
		if end >= 0 {
			text = r.s[startPos : startPos+end]
			r.pos = startPos + end + 1
		} else {
			r.pos = len(r.s)
		}
		r.line = startLine + 1
		return []string{strings.TrimRight(text, "\r")}, fmt.Errorf("unterminated quoted field"), true
	}
	fields = append(fields, b.String())
	return fields, nil, true
}
