package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// STIX 2.1 indicators.
//
// flowir loads every IPv4 or IPv6 address and CIDR network that a pattern
// names and that alone satisfies it, i.e. that is reachable through OR:
//
//	[ipv4-addr:value = '203.0.113.66']
//	[ipv4-addr:value = '198.51.100.0/24']            (a CIDR compared with =)
//	[ipv4-addr:value ISSUBSET '198.51.100.0/24']
//	[ipv6-addr:value = '2001:db8::66' OR ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]
//	[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'x.example']   (loads 192.0.2.1)
//
// An address test that one address cannot decide is skipped with a warning
// that says why, never widened silently into "any traffic with this
// address": one joined by AND (to another comparison or observation), under
// FOLLOWEDBY or a qualifier (WITHIN, START/STOP, REPEATS), negated (NOT),
// with another operator (!=, LIKE, ...), on another property of the address
// object, or through network-traffic's src_ref/dst_ref (one side of a
// connection only). The rest of the pattern still loads. Tests of other
// objects (domains, URLs, file hashes, ports) are not addresses; an
// indicator with no address test at all, and objects that are not
// indicators, are counted as skipped, never as errors. A pattern that names
// an address object but cannot be parsed is an invalid entry.
//
// valid_from and valid_until are kept with each entry, and revoked
// indicators are loaded marked revoked: whether a hit counts is a question
// about the time of the traffic ("did we touch it while it was bad"), so
// the report counts, per indicator, the records outside the validity window
// and says whether the indicator is expired or revoked; nothing is dropped.
// The line reported for an indicator is the line where its JSON object
// starts.

type stixObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Revoked     bool   `json:"revoked"`
	ValidFrom   string `json:"valid_from"`
	ValidUntil  string `json:"valid_until"`
}

// parseSTIXIOCs reads a bundle ({"type":"bundle","objects":[...]}), a JSON
// array of objects, or a single indicator object.
func parseSTIXIOCs(f *IOCFile, data []byte) error {
	lineAt := lineIndex(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: not a STIX JSON document: %v", f.Path, err)
	}
	each := func() error { // decode array elements until ']'
		for dec.More() {
			off := skipJSONSpace(data, int(dec.InputOffset()))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("%s:%d: malformed JSON: %v", f.Path, lineAt(off), err)
			}
			stixObjectEntry(f, raw, lineAt(off))
		}
		_, err := dec.Token() // ']'
		return err
	}
	switch tok {
	case json.Delim('['):
		if err := each(); err != nil {
			return err
		}
	case json.Delim('{'):
		// Walk the top-level keys: "objects" is streamed, the rest decoded.
		var top stixObject
		sawObjects := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: malformed JSON: %v", f.Path, err)
			}
			key, _ := kt.(string)
			if key == "objects" {
				t, err := dec.Token()
				if err != nil || t != json.Delim('[') {
					return fmt.Errorf("%s: \"objects\" of a STIX bundle must be an array", f.Path)
				}
				sawObjects = true
				if err := each(); err != nil {
					return err
				}
				continue
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("%s: malformed JSON: %v", f.Path, err)
			}
			switch key {
			case "type":
				_ = json.Unmarshal(v, &top.Type)
			}
		}
		if _, err := dec.Token(); err != nil { // '}'
			return fmt.Errorf("%s: malformed JSON: %v", f.Path, err)
		}
		if !sawObjects {
			// Not a bundle: a single object.
			stixObjectEntry(f, json.RawMessage(data), lineAt(skipJSONSpace(data, 0)))
		} else if top.Type != "" && top.Type != "bundle" {
			f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: 1, Warning: true,
				Reason: fmt.Sprintf("top-level object has type %q with an \"objects\" array; read it as a bundle", top.Type)})
		}
	default:
		return fmt.Errorf("%s: not a STIX document: expected a JSON object or array", f.Path)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: unexpected data after the JSON document", f.Path)
	}
	return nil
}

// stixObjectEntry turns one STIX object into entries or a problem.
func stixObjectEntry(f *IOCFile, raw json.RawMessage, line int) {
	var o stixObject
	if err := json.Unmarshal(raw, &o); err != nil {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Reason: "not a STIX object: " + err.Error()})
		return
	}
	if o.Type != "indicator" {
		f.Skipped++
		return
	}
	if o.PatternType != "" && o.PatternType != "stix" {
		f.Skipped++
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: o.ID, Warning: true,
			Reason: fmt.Sprintf("pattern_type %q is not read (only STIX patterns are)", o.PatternType)})
		return
	}
	values, skips, err := stixPatternAddresses(o.Pattern)
	if errors.Is(err, errNoAddress) {
		f.Skipped++
		return
	}
	if err != nil {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: shorten(o.Pattern),
			Reason: fmt.Sprintf("indicator %s: %v", o.ID, err)})
		return
	}
	for _, sk := range skips {
		what := "an address test"
		if len(sk.values) > 0 {
			what = strings.Join(sk.values, ", ")
		}
		f.SkippedTests += max(len(sk.values), 1)
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: shorten(what), Warning: true,
			Reason: fmt.Sprintf("indicator %s: not loaded: %s", o.ID, sk.reason)})
	}
	if len(values) == 0 {
		f.Skipped++
		return
	}
	from, until := stixValidity(f, o, line)
	comment := o.Name
	if comment == "" {
		comment = o.Description
	}
	for _, v := range values {
		if e := f.addEntry(v, comment, line, o.ID); e != nil {
			e.ValidFrom, e.ValidUntil, e.Revoked = from, until, o.Revoked
		}
	}
}

// stixValidity reads valid_from and valid_until (RFC 3339 timestamps); one
// that cannot be read, or a valid_until not after valid_from, is ignored
// with a warning, leaving that side of the window open.
func stixValidity(f *IOCFile, o stixObject, line int) (from, until time.Time) {
	parse := func(name, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: shorten(v), Warning: true,
				Reason: fmt.Sprintf("indicator %s: %s is not an RFC 3339 timestamp; ignored", o.ID, name)})
			return time.Time{}
		}
		return t.UTC()
	}
	from, until = parse("valid_from", o.ValidFrom), parse("valid_until", o.ValidUntil)
	if !from.IsZero() && !until.IsZero() && !until.After(from) {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: o.ValidUntil, Warning: true,
			Reason: fmt.Sprintf("indicator %s: valid_until is not after valid_from; valid_until ignored", o.ID)})
		until = time.Time{}
	}
	return from, until
}

// stixSkip is a group of address tests a pattern names but flowir does not
// load, and why.
type stixSkip struct {
	values []string
	reason string
}

// stixYield is what a part of a pattern gives: the addresses and networks
// reachable through OR alone (any one of them satisfies the part), and the
// address tests that cannot be decided by one address.
type stixYield struct {
	values []string
	skips  []stixSkip
}

func (y *stixYield) add(o stixYield) {
	y.values = append(y.values, o.values...)
	y.skips = append(y.skips, o.skips...)
}

// demote moves the loadable values of y to a skip with the reason: the part
// they are in needs more than one address to be true.
func (y stixYield) demote(reason string) stixYield {
	out := stixYield{skips: y.skips}
	if len(y.values) > 0 {
		out.skips = append([]stixSkip{{values: y.values, reason: reason}}, y.skips...)
	}
	return out
}

type tokKind int

const (
	tokPunct  tokKind = iota // [ ] ( ) ,
	tokOp                    // = != < > <= >=
	tokWord                  // keywords: OR AND IN ISSUBSET ...
	tokPath                  // object paths: ipv4-addr:value
	tokString                // '...' (unescaped)
	tokOther                 // numbers, t'...', b'...', h'...', booleans
)

type stixToken struct {
	kind tokKind
	text string
}

func stixTokens(s string) ([]stixToken, error) {
	var out []stixToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("[](),", c) >= 0:
			out = append(out, stixToken{tokPunct, string(c)})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, fmt.Errorf("stray '!' in the pattern")
			}
			out = append(out, stixToken{tokOp, op})
			i = j
		case c == '\'' || ((c == 't' || c == 'b' || c == 'h') && i+1 < len(s) && s[i+1] == '\''):
			prefixed := c != '\''
			if prefixed {
				i++
			}
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '\\' && j+1 < len(s) {
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if s[j] == '\'' {
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string in the pattern")
			}
			kind := tokString
			if prefixed {
				kind = tokOther
			}
			out = append(out, stixToken{kind, b.String()})
			i = j
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && strings.IndexByte("()',=<>!", s[j]) < 0 &&
				!(s[j] == ']' && !strings.Contains(s[i:j], "[")) && !(s[j] == '[' && j == i) {
				j++
				// A quoted step of an object path: file:hashes.'SHA-256'.
				if j+1 < len(s) && s[j] == '\'' && (s[j-1] == '.' || s[j-1] == ':') && strings.Contains(s[i:j], ":") {
					k := strings.IndexByte(s[j+1:], '\'')
					if k < 0 {
						return nil, fmt.Errorf("unterminated quoted step in an object path")
					}
					j += k + 2
				}
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q in the pattern", s[i:i+1])
			}
			w := s[i:j]
			kind := tokWord
			switch {
			case strings.Contains(w, ":"):
				kind = tokPath
			case w[0] >= '0' && w[0] <= '9' || w[0] == '-':
				kind = tokOther
			case w == "true" || w == "false":
				kind = tokOther
			}
			out = append(out, stixToken{kind, w})
			i = j
		}
	}
	return out, nil
}

// errNoAddress says a pattern names no IP address test at all: a domain,
// URL or file hash indicator, counted as skipped, never an error.
var errNoAddress = errors.New("the pattern tests no IP address")

// stixPatternAddresses reads a STIX pattern (see the comment at the top of
// this file) and returns the addresses and networks to load and the address
// tests skipped with their reasons. errNoAddress: the pattern tests no IP
// address; another error: the pattern names one but cannot be read.
func stixPatternAddresses(pattern string) ([]string, []stixSkip, error) {
	namesIP := strings.Contains(pattern, "ipv4-addr") || strings.Contains(pattern, "ipv6-addr")
	toks, err := stixTokens(pattern)
	if err == nil {
		p := &stixParser{toks: toks}
		var y stixYield
		y, err = p.pattern()
		if err == nil && p.pos != len(p.toks) {
			err = fmt.Errorf("unexpected %q in the pattern", p.toks[p.pos].text)
		}
		if err == nil {
			if len(y.values) == 0 && len(y.skips) == 0 {
				return nil, nil, errNoAddress
			}
			return y.values, y.skips, nil
		}
	}
	// A pattern flowir cannot parse is a problem only if it is about IP
	// addresses: it names the address object types, as a path
	// (ipv4-addr:value) or as a value (dst_ref.type = 'ipv4-addr').
	if !namesIP {
		return nil, nil, errNoAddress
	}
	return nil, nil, err
}

// stixParser reads STIX patterning (STIX 2.1, section 9) with its
// precedence: FOLLOWEDBY binds loosest, then OR, then AND, in observation
// expressions as in comparison expressions (AND before OR).
type stixParser struct {
	toks []stixToken
	pos  int
}

func (p *stixParser) peek() stixToken {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return stixToken{kind: -1}
}

func (p *stixParser) word(w string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, w)
}

func (p *stixParser) punct(c string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == c
}

func (p *stixParser) expect(c string) error {
	if !p.punct(c) {
		if t := p.peek(); t.kind >= 0 {
			return fmt.Errorf("expected '%s' in the pattern, got %q", c, t.text)
		}
		return fmt.Errorf("expected '%s' in the pattern, got its end", c)
	}
	p.pos++
	return nil
}

// binary reads operand (KEYWORD operand)*; when the keyword joins two or
// more operands, the values of all of them are demoted with reason.
func (p *stixParser) binary(keyword, reason string, operand func() (stixYield, error)) (stixYield, error) {
	y, err := operand()
	if err != nil {
		return y, err
	}
	joined := false
	for p.word(keyword) {
		p.pos++
		joined = true
		o, err := operand()
		if err != nil {
			return o, err
		}
		y.add(o)
	}
	if joined && reason != "" {
		return y.demote(reason), nil
	}
	return y, nil
}

// pattern := orObs (FOLLOWEDBY orObs)*
func (p *stixParser) pattern() (stixYield, error) {
	return p.binary("FOLLOWEDBY", "FOLLOWEDBY: a sequence of observations cannot be decided by one address", p.orObs)
}

// orObs := andObs (OR andObs)*: any one is enough, so every value is loaded.
func (p *stixParser) orObs() (stixYield, error) { return p.binary("OR", "", p.andObs) }

// andObs := observation (AND observation)*
func (p *stixParser) andObs() (stixYield, error) {
	return p.binary("AND", "observations joined by AND: one address cannot show that both were seen", p.observation)
}

// observation := ('[' comparison ']' | '(' pattern ')') qualifier*
func (p *stixParser) observation() (stixYield, error) {
	var y stixYield
	var err error
	switch {
	case p.punct("["):
		p.pos++
		if y, err = p.orCmp(); err != nil {
			return y, err
		}
		if err := p.expect("]"); err != nil {
			return y, err
		}
	case p.punct("("):
		p.pos++
		if y, err = p.pattern(); err != nil {
			return y, err
		}
		if err := p.expect(")"); err != nil {
			return y, err
		}
	default:
		return y, fmt.Errorf("expected '[' to start an observation, got %q", p.peek().text)
	}
	for {
		var q string
		switch {
		case p.word("WITHIN"):
			q = "WITHIN"
			err = p.qualifier("SECONDS")
		case p.word("REPEATS"):
			q = "REPEATS"
			err = p.qualifier("TIMES")
		case p.word("START"):
			q = "START/STOP"
			err = p.qualifier("STOP")
			if err == nil {
				p.pos-- // STOP takes a timestamp too
				err = p.qualifier("")
			}
		default:
			return y, nil
		}
		if err != nil {
			return y, err
		}
		y = y.demote("qualifier " + q + ": flowir cannot check the time or repetition of observations, only addresses")
	}
}

// qualifier consumes KEYWORD literal [then], e.g. WITHIN 600 SECONDS.
func (p *stixParser) qualifier(then string) error {
	kw := p.peek().text
	p.pos++
	if t := p.peek(); t.kind != tokOther {
		return fmt.Errorf("qualifier %s needs a number or timestamp", kw)
	}
	p.pos++
	if then != "" {
		if !p.word(then) {
			return fmt.Errorf("qualifier %s: expected %s", kw, then)
		}
		p.pos++
	}
	return nil
}

// orCmp := andCmp (OR andCmp)*
func (p *stixParser) orCmp() (stixYield, error) { return p.binary("OR", "", p.andCmp) }

// andCmp := test (AND test)*
func (p *stixParser) andCmp() (stixYield, error) {
	return p.binary("AND", "AND in a comparison joins it with other conditions, which flowir cannot check from an address", p.test)
}

// test := '(' orCmp ')' | EXISTS path | path [NOT] operator literal-or-set
func (p *stixParser) test() (stixYield, error) {
	var y stixYield
	if p.punct("(") {
		p.pos++
		y, err := p.orCmp()
		if err != nil {
			return y, err
		}
		return y, p.expect(")")
	}
	if p.word("EXISTS") {
		p.pos++
		if p.peek().kind != tokPath {
			return y, fmt.Errorf("expected an object path after EXISTS")
		}
		p.pos++
		return y, nil
	}
	t := p.peek()
	if t.kind != tokPath {
		return y, fmt.Errorf("expected an object path such as ipv4-addr:value, got %q", t.text)
	}
	path := t.text
	p.pos++
	not := p.word("NOT")
	if not {
		p.pos++
	}
	op := p.peek()
	if op.kind != tokOp && op.kind != tokWord {
		return y, fmt.Errorf("expected an operator after %s", path)
	}
	p.pos++
	var lits []stixToken
	if op.kind == tokWord && strings.EqualFold(op.text, "IN") {
		if err := p.expect("("); err != nil {
			return y, err
		}
		for {
			v := p.peek()
			if v.kind != tokString && v.kind != tokOther {
				return y, fmt.Errorf("expected a value in the IN list")
			}
			lits = append(lits, v)
			p.pos++
			if p.punct(")") {
				p.pos++
				break
			}
			if err := p.expect(","); err != nil {
				return y, fmt.Errorf("expected ',' or ')' in the IN list")
			}
		}
	} else {
		v := p.peek()
		if v.kind != tokString && v.kind != tokOther {
			return y, fmt.Errorf("expected a value after %s %s", path, op.text)
		}
		lits = append(lits, v)
		p.pos++
	}
	var vals []string
	for _, l := range lits {
		if l.kind == tokString {
			vals = append(vals, l.text)
		}
	}
	obj, prop, _ := strings.Cut(path, ":")
	isAddrObj := obj == "ipv4-addr" || obj == "ipv6-addr"
	if !isAddrObj {
		// A reference to an address from another object (network-traffic's
		// src_ref/dst_ref) with an address value: direction-bound, so
		// loading the address would also match the other direction.
		if strings.HasSuffix(prop, "_ref.value") || strings.HasSuffix(prop, "].value") {
			var ips []string
			for _, v := range vals {
				if _, _, err := ParseIOCValue(v); err == nil {
					ips = append(ips, v)
				}
			}
			if len(ips) > 0 {
				return stixYield{skips: []stixSkip{{ips, path + " reaches the address through another object (network-traffic src_ref/dst_ref name one side of a connection); loaded alone it would match the address in any traffic"}}}, nil
			}
		}
		return y, nil // a domain, URL, hash, port ...: not an address test
	}
	switch opText := strings.ToUpper(op.text); {
	case prop != "value":
		y.skips = append(y.skips, stixSkip{vals, "tests " + path + ", not the address itself (only ipv4-addr:value and ipv6-addr:value are read)"})
	case not:
		y.skips = append(y.skips, stixSkip{vals, "NOT: a negated address test matches almost every address"})
	case opText == "=" || opText == "ISSUBSET" || opText == "IN":
		if len(vals) != len(lits) {
			return y, fmt.Errorf("%s %s: expected quoted addresses", path, op.text)
		}
		y.values = vals
	default:
		y.skips = append(y.skips, stixSkip{vals, fmt.Sprintf("operator %s on %s: only =, IN and ISSUBSET are read", op.text, path)})
	}
	return y, nil
}

// lineIndex returns a function from byte offset to 1-based line number.
func lineIndex(data []byte) func(int) int {
	var starts []int
	starts = append(starts, 0)
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return func(off int) int {
		lo, hi := 0, len(starts)-1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if starts[mid] <= off {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo + 1
	}
}

// skipJSONSpace returns the offset of the first byte at or after off that is
// neither white space nor a comma (json.Decoder's InputOffset points just
// after the previous token).
func skipJSONSpace(data []byte, off int) int {
	for off < len(data) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\n' || data[off] == '\r' || data[off] == ',') {
		off++
	}
	return off
}
