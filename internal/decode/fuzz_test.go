package decode

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/flowir/flowir/internal/flow"
)

// fuzzFormats are the formats the fuzzers pick from with their first argument.
var fuzzFormats = func() []flow.Format {
	var fs []flow.Format
	for _, s := range []string{
		"", // default
		v5Format,
		tcpFlagFormat,
		"version resource-id srcaddr encryption-status log-status",
		natFormat,
	} {
		if s == "" {
			fs = append(fs, flow.DefaultFormat())
			continue
		}
		f, err := flow.ParseFormat(s)
		if err != nil {
			panic(err)
		}
		fs = append(fs, f)
	}
	all := flow.AllVPCFormat()
	return append(fs, flow.TGWDefaultFormat(), all, flow.Format{Cols: all.Cols[:29]}, flow.Format{Cols: all.Cols[:39]})
}()

func fuzzFormat(sel uint8) flow.Format { return fuzzFormats[int(sel)%len(fuzzFormats)] }

// fieldMax is the largest value an integer field may hold.
func fieldMax(id flow.FieldID) int64 {
	fd := flow.Get(id)
	switch {
	case fd.Max != 0:
		return fd.Max
	case fd.Kind == flow.KindInt32:
		return 1<<31 - 1
	}
	return 1<<63 - 1
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' }

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

var reasons = map[string]bool{
	ReasonFieldCount: true, ReasonBadNumber: true, ReasonOutOfRange: true, ReasonBadIP: true,
	ReasonBadValue: true, ReasonBadUTF8: true, ReasonTooLong: true, ReasonEmpty: true,
	ReasonNUL: true, ReasonControlChar: true, ReasonBadHeader: true,
}

// hasControl reports whether s holds a character no flow log value may: a
// C0 control other than the separators, DEL, or a C1 control.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != ' ' && r != '\t' || r >= 0x7f && r <= 0x9f })
}

// checkDecoded checks a decoded record against its line, re-reading the line
// independently of the decoder: strings.FieldsFunc for the tokens, strconv
// for integers, net/netip for addresses.
func checkDecoded(t *testing.T, f flow.Format, line []byte, r *flow.Record) {
	t.Helper()
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1] // Decode ignores one trailing CR
	}
	if !utf8.Valid(line) || len(line) > MaxLineBytes || hasControl(string(line)) {
		t.Fatalf("decoded a line that is invalid UTF-8, too long or holds a control character: %q", line)
	}
	toks := strings.FieldsFunc(string(line), isBlank)
	if len(toks) != len(f.Cols) {
		t.Fatalf("decoded %d tokens with a %d-field format: %q", len(toks), len(f.Cols), line)
	}
	if extra := r.Present &^ formatMask(f); extra != 0 {
		t.Fatalf("Present has bits outside the format: %b", extra)
	}
	unknown := 0
	for i, c := range f.Cols {
		tok := toks[i]
		if !c.Known {
			if unknown >= len(r.Extra) || r.ExtraNames[unknown] != c.Name {
				t.Fatalf("unknown field %s missing from Extra", c.Name)
			}
			v := r.Extra[unknown]
			unknown++
			if (tok == "-") != (v == nil) || (v != nil && string(v) != tok) {
				t.Fatalf("extra %s = %q, token %q", c.Name, v, tok)
			}
			continue
		}
		if tok == "-" {
			if r.Has(c.ID) {
				t.Fatalf("%s is `-` but present", c.Name)
			}
			continue
		}
		if !r.Has(c.ID) {
			t.Fatalf("%s = %q but not present", c.Name, tok)
		}
		fd := flow.Get(c.ID)
		switch fd.Kind {
		case flow.KindInt32, flow.KindInt64:
			n := r.Num[c.ID]
			if n < fd.Min || n > fieldMax(c.ID) {
				t.Fatalf("%s = %d, out of its range %d..%d", c.Name, n, fd.Min, fieldMax(c.ID))
			}
			want, err := strconv.ParseInt(tok, 10, 64)
			if err != nil || want != n || strings.ContainsAny(tok, "+-_") {
				t.Fatalf("%s = %d from %q (strconv: %d, %v)", c.Name, n, tok, want, err)
			}
		case flow.KindIP:
			// The canonical form (issue 17.16): RFC 5952, IPv4-mapped
			// addresses as IPv4.
			a, err := netip.ParseAddr(tok)
			if err != nil || a.Zone() != "" || string(r.Str[c.ID]) != a.Unmap().String() {
				t.Fatalf("%s = %q from %q, netip: %v", c.Name, r.Str[c.ID], tok, err)
			}
		case flow.KindEnum:
			ok := false
			for _, v := range fd.Values {
				ok = ok || v == tok
			}
			if !ok || string(r.Str[c.ID]) != tok {
				t.Fatalf("%s = %q from %q, not in %v", c.Name, r.Str[c.ID], tok, fd.Values)
			}
		default:
			if string(r.Str[c.ID]) != tok || !flow.ValidValue(c.ID, r.Str[c.ID]) {
				t.Fatalf("%s = %q from %q", c.Name, r.Str[c.ID], tok)
			}
		}
	}
	if unknown != len(r.Extra) || len(r.Extra) != len(r.ExtraNames) {
		t.Fatalf("%d extras for %d unknown fields", len(r.Extra), unknown)
	}
}

// checkRejected checks a reject's reason against the line.
func checkRejected(t *testing.T, f flow.Format, line []byte, err error) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("error %T %v is not a *LineError", err, err)
	}
	if !reasons[le.Reason] || le.Detail == "" {
		t.Fatalf("bad LineError %+v", le)
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if nul := bytes.IndexByte(line, 0) >= 0; nul != (le.Reason == ReasonNUL) {
		t.Fatalf("reason %s for a line with NUL bytes: %v", le.Reason, nul)
	}
	if le.Reason == ReasonControlChar && (!utf8.Valid(line) || !hasControl(string(line))) {
		t.Fatalf("control-character reject of %q", line)
	}
	if le.Pos == 0 {
		if le.Field != "" {
			t.Fatalf("whole-line error with field %q", le.Field)
		}
		return
	}
	if le.Pos > len(f.Cols) || le.Field != f.Cols[le.Pos-1].Name {
		t.Fatalf("error at field %d (%s) in a %d-field format", le.Pos, le.Field, len(f.Cols))
	}
	toks := strings.FieldsFunc(string(line), isBlank)
	tok := toks[le.Pos-1]
	c := f.Cols[le.Pos-1]
	switch le.Reason {
	case ReasonNUL, ReasonControlChar:
		if !hasControl(tok) {
			t.Fatalf("%s: %q has no control character, rejected as %s", c.Name, tok, le.Reason)
		}
	case ReasonBadNumber:
		// strconv cannot say this alone: it reports a range error as soon
		// as the digits overflow, before it sees a later non-digit.
		if allDigits(tok) {
			t.Fatalf("%s: %q is a whole number, rejected as bad-number", c.Name, tok)
		}
	case ReasonOutOfRange:
		n, err := strconv.ParseUint(tok, 10, 64)
		if !allDigits(tok) || !errors.Is(err, strconv.ErrRange) && (err != nil || n <= uint64(fieldMax(c.ID)) && n >= uint64(flow.Get(c.ID).Min)) {
			t.Fatalf("%s: %q (%d, %v) rejected as out-of-range", c.Name, tok, n, err)
		}
	case ReasonBadIP:
		if a, err := netip.ParseAddr(tok); err == nil && a.Zone() == "" {
			t.Fatalf("%s: %q is an address, rejected as bad-ip", c.Name, tok)
		}
	case ReasonBadValue:
		// flow's FuzzValidValue checks ValidValue against an independent
		// definition of each value set.
		if flow.ValidValue(c.ID, []byte(tok)) {
			t.Fatalf("%s: %q is a value of the field, rejected", c.Name, tok)
		}
	default:
		t.Fatalf("reason %s with a field position", le.Reason)
	}
}

// addExternalSeeds adds every line (line == true) or every whole file of the
// external data as seeds, with the index of a fitting format.
func addExternalSeeds(f *testing.F, line bool, add func(sel uint8, b []byte)) {
	files := []struct {
		path string
		sel  uint8
	}{
		{"elastic-integrations/test-extra-samples.log", 0},
		{"elastic-integrations/test-tcp-flag-sequence.log", 2},
		{"elastic-integrations/test-v5-all-fields.log", 7},
		{"elastic-integrations/test-ecs-samples.log", 8},
		{"elastic-integrations/test-v8-samples.log", 6},
		{"elastic-integrations/test-tgw-samples.log", 5},
		{"elastic-integrations/test-with-message-field.log", 0},
		{"opensearch-catalog/raw.log", 0},
		{"vectordotdev-vrl/parse_aws_vpc_flow_log.expected.jsonl", 0},
	}
	for _, x := range files {
		b, err := os.ReadFile(filepath.Join(externalDir, x.path))
		if err != nil {
			continue // seeds are optional; the corpus under testdata still runs
		}
		if !line {
			// Whole files, cut to a few kilobytes at a line end: big seeds
			// slow every execution and the minimizer down.
			if len(b) > 8<<10 {
				b = b[:bytes.LastIndexByte(b[:8<<10], '\n')+1]
			}
			add(x.sel, b)
			continue
		}
		ls := bytes.Split(b, []byte("\n"))
		if len(ls) > 40 {
			ls = ls[:40]
		}
		for _, l := range ls {
			add(x.sel, l)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{awsAcceptSSH, awsRejectRDP, awsNoData, awsSkipData, awsPingIn, awsIPv6SSH, awsAcceptSSH + "\r", "", " \t", "-"} {
		f.Add(uint8(0), []byte(s))
	}
	f.Add(uint8(1), []byte(awsV5Egress))
	f.Add(uint8(2), []byte(awsDoubleSpace))
	f.Add(uint8(3), []byte("10 res-0abc 2001:db8::1 - OK"))
	f.Add(uint8(4), []byte(natLine))
	addExternalSeeds(f, true, func(sel uint8, b []byte) { f.Add(sel, b) })
	f.Fuzz(func(t *testing.T, sel uint8, line []byte) {
		format := fuzzFormat(sel)
		d := NewTextDecoder(format)
		var r flow.Record
		if err := d.Decode(line, &r); err != nil {
			checkRejected(t, format, line, err)
			return
		}
		checkDecoded(t, format, line, &r)
	})
}

// countLines counts the lines of a stream the way a reader of text should:
// every newline ends one, and trailing bytes without one make one more.
func countLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte("\n")))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// summary is what a reader made of a stream, for comparing two reads.
type summary struct {
	kinds []ItemKind
	raws  []string
}

func readFuzz(t *testing.T, r io.Reader, format flow.Format) (summary, *TextReader) {
	t.Helper()
	tr := NewTextReader(r, format)
	var s summary
	for {
		it, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read error from an in-memory stream: %v", err)
		}
		if it.Line != int64(len(s.kinds)+1) || it.Format == nil {
			t.Fatalf("item %d has Line %d, Format %v", len(s.kinds)+1, it.Line, it.Format)
		}
		if it.TGW != it.Format.IsTGW() || it.Mask != formatMask(*it.Format) {
			t.Fatalf("line %d: TGW %v, Mask %x for format %q", it.Line, it.TGW, it.Mask, it.Format.Header())
		}
		switch it.Kind {
		case ItemRecord:
			checkDecoded(t, *it.Format, it.Raw, it.Record)
		case ItemReject:
			if it.Err == nil || !reasons[it.Err.Reason] || len(it.Raw) > RawLimit {
				t.Fatalf("line %d: reject %+v with %d raw bytes", it.Line, it.Err, len(it.Raw))
			}
		case ItemHeader:
			if _, ok := flow.HeaderFormat(it.Raw); !ok {
				t.Fatalf("line %d: header item %q is not a header", it.Line, it.Raw)
			}
		default:
			t.Fatalf("line %d: kind %d", it.Line, it.Kind)
		}
		s.kinds = append(s.kinds, it.Kind)
		s.raws = append(s.raws, string(it.Raw))
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("Next after the end: %v", err)
	}
	return s, tr
}

func FuzzTextReader(f *testing.F) {
	f.Add(uint8(0), []byte(lines(defaultHeader, awsAcceptSSH, awsNoData)))
	f.Add(uint8(0), []byte(lines(awsAcceptSSH, natFormat, natLine, defaultHeader, awsSkipData)))
	f.Add(uint8(0), []byte("\xef\xbb\xbf"+defaultHeader+"\r\n"+awsAcceptSSH+"\r\n"+awsIPv6SSH))
	f.Add(uint8(0), []byte("\n\n\r\n"))
	f.Add(uint8(0), []byte(""))
	f.Add(uint8(3), []byte("version resource-id srcaddr\n1 x ::1\n"))
	addExternalSeeds(f, false, func(sel uint8, b []byte) { f.Add(sel, b) })
	f.Fuzz(func(t *testing.T, sel uint8, in []byte) {
		format := fuzzFormat(sel)
		s, tr := readFuzz(t, bytes.NewReader(in), format)
		if want := countLines(in); tr.Lines != want {
			t.Fatalf("Lines = %d, the input has %d lines", tr.Lines, want)
		}
		if tr.Lines != tr.Records+tr.Rejects+tr.Headers {
			t.Fatalf("Lines %d != Records %d + Rejects %d + Headers %d", tr.Lines, tr.Records, tr.Rejects, tr.Headers)
		}
		// How the bytes arrive must not matter.
		s2, _ := readFuzz(t, iotest.OneByteReader(bytes.NewReader(in)), format)
		if len(s2.kinds) != len(s.kinds) {
			t.Fatalf("%d items read whole, %d read byte by byte", len(s.kinds), len(s2.kinds))
		}
		for i := range s.kinds {
			if s.kinds[i] != s2.kinds[i] || s.raws[i] != s2.raws[i] {
				t.Fatalf("item %d differs when read byte by byte", i+1)
			}
		}
	})
}
