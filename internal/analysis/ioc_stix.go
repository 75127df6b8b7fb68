package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// STIX 2.1 indicators.
//
// flowir reads indicators whose pattern tests IP addresses:
//
//	[ipv4-addr:value = '203.0.113.66']
//	[ipv4-addr:value = '198.51.100.0/24']            (a CIDR compared with =)
//	[ipv4-addr:value ISSUBSET '198.51.100.0/24']
//	[ipv6-addr:value = '2001:db8::66' OR ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]
//	[ipv4-addr:value = '192.0.2.1'] OR [ipv6-addr:value = '2001:db8::1']
//
// Every address or network in such a disjunction becomes one entry. A pattern
// that also requires something flowir cannot check from an address alone
// (AND with other properties, !=, NOT, FOLLOWEDBY, WITHIN/START/STOP/REPEATS
// qualifiers, network-traffic:src_ref/dst_ref paths) is refused with the
// reason, rather than widened silently into "any traffic with this address".
// Indicators that test no IP address at all (domains, URLs, file hashes) and
// objects that are not indicators are counted as skipped. Revoked indicators
// are refused. The line reported for an indicator is the line where its JSON
// object starts.

type stixObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Revoked     bool   `json:"revoked"`
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
	values, err := stixPatternAddresses(o.Pattern)
	if errors.Is(err, errNoAddress) {
		f.Skipped++
		return
	}
	if err != nil {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: shorten(o.Pattern),
			Reason: fmt.Sprintf("indicator %s: %v", o.ID, err)})
		return
	}
	if o.Revoked {
		f.Problems = append(f.Problems, IOCProblem{File: f.Path, Line: line, Text: o.ID, Reason: "the indicator is revoked"})
		return
	}
	comment := o.Name
	if comment == "" {
		comment = o.Description
	}
	for _, v := range values {
		f.addEntry(v, comment, line, o.ID)
	}
}

var errNoAddress = errors.New("the pattern tests no IP address")

// stixPatternAddresses returns the address values of a pattern that is a
// disjunction of ipv4-addr:value / ipv6-addr:value tests (see the comment at
// the top of this file); errNoAddress if the pattern mentions no IP address
// object at all.
func stixPatternAddresses(pattern string) ([]string, error) {
	toks, err := stixTokens(pattern)
	if err != nil {
		if !strings.Contains(pattern, "ipv4-addr") && !strings.Contains(pattern, "ipv6-addr") {
			return nil, errNoAddress
		}
		return nil, err
	}
	// An indicator is about IP addresses if it names the address object
	// types anywhere, as a path (ipv4-addr:value) or as a value
	// (network-traffic:dst_ref.type = 'ipv4-addr'): then a pattern flowir
	// cannot read is a problem to report, not a skip.
	if !strings.Contains(pattern, "ipv4-addr") && !strings.Contains(pattern, "ipv6-addr") {
		return nil, errNoAddress
	}
	p := &stixParser{toks: toks}
	if err := p.pattern(); err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q in the pattern", p.toks[p.pos].text)
	}
	if len(p.values) == 0 {
		return nil, fmt.Errorf("no address value in the pattern")
	}
	return p.values, nil
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

// stixParser accepts the subset of STIX patterning described at the top of
// the file and collects the address values.
type stixParser struct {
	toks   []stixToken
	pos    int
	values []string
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

// pattern := observation (OR observation)*
func (p *stixParser) pattern() error {
	for {
		if err := p.observation(); err != nil {
			return err
		}
		switch {
		case p.word("OR"):
			p.pos++
		case p.word("AND"):
			return fmt.Errorf("observations joined by AND: flowir matches single addresses and cannot require two observations")
		case p.word("FOLLOWEDBY"):
			return fmt.Errorf("FOLLOWEDBY: flowir matches single addresses and cannot check a sequence")
		default:
			return nil
		}
	}
}

// observation := '[' comparison ']' | '(' pattern ')'; qualifiers are refused.
func (p *stixParser) observation() error {
	t := p.peek()
	switch {
	case t.kind == tokPunct && t.text == "[":
		p.pos++
		if err := p.comparison(); err != nil {
			return err
		}
		if t := p.peek(); t.kind != tokPunct || t.text != "]" {
			return fmt.Errorf("expected ']' in the pattern")
		}
		p.pos++
	case t.kind == tokPunct && t.text == "(":
		p.pos++
		if err := p.pattern(); err != nil {
			return err
		}
		if t := p.peek(); t.kind != tokPunct || t.text != ")" {
			return fmt.Errorf("expected ')' in the pattern")
		}
		p.pos++
	default:
		return fmt.Errorf("expected '[' to start an observation")
	}
	for _, q := range []string{"WITHIN", "START", "STOP", "REPEATS"} {
		if p.word(q) {
			return fmt.Errorf("qualifier %s: flowir cannot honour time windows or repetition in indicators", q)
		}
	}
	return nil
}

// comparison := test (OR test)*; AND is refused.
func (p *stixParser) comparison() error {
	for {
		if err := p.test(); err != nil {
			return err
		}
		switch {
		case p.word("OR"):
			p.pos++
		case p.word("AND"):
			return fmt.Errorf("AND in a comparison: flowir matches addresses only and cannot check the other conditions")
		default:
			return nil
		}
	}
}

// test := path ('=' | ISSUBSET) 'value' | path IN ('v', ...) | '(' comparison ')'
func (p *stixParser) test() error {
	t := p.peek()
	if t.kind == tokPunct && t.text == "(" {
		p.pos++
		if err := p.comparison(); err != nil {
			return err
		}
		if t := p.peek(); t.kind != tokPunct || t.text != ")" {
			return fmt.Errorf("expected ')' in the pattern")
		}
		p.pos++
		return nil
	}
	if t.kind != tokPath {
		return fmt.Errorf("expected an object path such as ipv4-addr:value, got %q", t.text)
	}
	path := t.text
	if path != "ipv4-addr:value" && path != "ipv6-addr:value" {
		return fmt.Errorf("tests %s: only ipv4-addr:value and ipv6-addr:value are read", path)
	}
	p.pos++
	if p.word("NOT") {
		return fmt.Errorf("NOT: a negated address test matches almost everything")
	}
	op := p.peek()
	p.pos++
	switch {
	case op.kind == tokOp && op.text == "=", op.kind == tokWord && strings.EqualFold(op.text, "ISSUBSET"):
		v := p.peek()
		if v.kind != tokString {
			return fmt.Errorf("expected a quoted address after %s", op.text)
		}
		p.pos++
		p.values = append(p.values, v.text)
	case op.kind == tokWord && strings.EqualFold(op.text, "IN"):
		if t := p.peek(); t.kind != tokPunct || t.text != "(" {
			return fmt.Errorf("expected '(' after IN")
		}
		p.pos++
		for {
			v := p.peek()
			if v.kind != tokString {
				return fmt.Errorf("expected a quoted address in the IN list")
			}
			p.values = append(p.values, v.text)
			p.pos++
			t := p.peek()
			p.pos++
			if t.kind == tokPunct && t.text == ")" {
				break
			}
			if t.kind != tokPunct || t.text != "," {
				return fmt.Errorf("expected ',' or ')' in the IN list")
			}
		}
	default:
		return fmt.Errorf("operator %q on %s: only =, IN and ISSUBSET are read", op.text, path)
	}
	return nil
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
