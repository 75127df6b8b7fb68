package output

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTableAlignment(t *testing.T) {
	r := &Result{
		Columns: []Column{{Name: "addr", Type: "VARCHAR"}, {Name: "n", Type: "BIGINT"}, {Name: "untyped"}, {Name: "when"}},
		Rows: [][]any{
			{"10.0.0.1", int64(5), 1.5, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
			{"2001:db8::1", int64(12345), nil, nil},
		},
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatTable, r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"addr             n  untyped  when\n" +
		"10.0.0.1         5      1.5  2024-01-02T03:04:05Z\n" +
		"2001:db8::1  12345\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestTableWidth(t *testing.T) {
	long := strings.Repeat("abcdefghij", 10)
	r := &Result{
		Columns: []Column{
			{Name: "start_time", Type: "TIMESTAMP"},
			{Name: "srcaddr", Type: "VARCHAR"},
			{Name: "bytes", Type: "BIGINT"},
			{Name: "comment", Type: "VARCHAR"},
			{Name: "tags"},
		},
		Rows: [][]any{
			{time.Date(2024, 3, 10, 8, 15, 0, 0, time.UTC), "2001:db8:1234:5678::1", int64(9007199254740993), long, "短い日本語のタグです"},
			{time.Date(2024, 3, 10, 8, 16, 0, 0, time.UTC), "10.0.0.1", int64(7), "short", nil},
		},
	}
	render := func(width int) []string {
		var buf bytes.Buffer
		if err := Write(&buf, FormatTable, r, Options{Width: width}); err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	}

	unlimited := render(0)
	if !strings.Contains(unlimited[1], long) {
		t.Errorf("Width 0 truncated: %q", unlimited[1])
	}
	natural := displayWidth(unlimited[1])

	for _, width := range []int{natural, natural + 50, 120, 80} {
		lines := render(width)
		for i, l := range lines {
			if w := displayWidth(l); w > width {
				t.Errorf("width %d: line %d is %d columns: %q", width, i, w, l)
			}
		}
		// Numbers and times are never shortened.
		if !strings.Contains(lines[1], "9007199254740993") || !strings.Contains(lines[1], "2024-03-10T08:15:00Z") {
			t.Errorf("width %d: number or time truncated: %q", width, lines[1])
		}
		if width >= natural {
			if !reflect.DeepEqual(lines, unlimited) {
				t.Errorf("width %d: table changed although it fits", width)
			}
		} else if !strings.Contains(lines[1], "…") {
			t.Errorf("width %d: no ellipsis in %q", width, lines[1])
		}
		// Addresses are never shortened; short text stays whole.
		if !strings.Contains(lines[1], "2001:db8:1234:5678::1") ||
			!strings.Contains(lines[2], "10.0.0.1") || !strings.Contains(lines[2], "short") {
			t.Errorf("width %d: short values cut: %q", width, lines[2])
		}
		// Every line has the same layout: the bytes column ends at the
		// same place.
		endOf := func(line, s string) int { return displayWidth(line[:strings.Index(line, s)+len(s)]) }
		if endOf(lines[1], "9007199254740993") != endOf(lines[2], "7  short")-len("  short") {
			t.Errorf("width %d: columns misaligned:\n%s", width, strings.Join(lines, "\n"))
		}
	}

	// Too narrow for the columns that may not be shortened (75 columns
	// with the text at its minimum): a record view, every value whole.
	for _, width := range []int{74, 20} {
		got := strings.Join(render(width), "\n")
		want := "start_time: 2024-03-10T08:15:00Z\n" +
			"srcaddr:    2001:db8:1234:5678::1\n" +
			"bytes:      9007199254740993\n" +
			"comment:    " + long + "\n" +
			"tags:       短い日本語のタグです\n" +
			"\n" +
			"start_time: 2024-03-10T08:16:00Z\n" +
			"srcaddr:    10.0.0.1\n" +
			"bytes:      7\n" +
			"comment:    short\n" +
			"tags:"
		if got != want {
			t.Errorf("width %d: got\n%s\nwant\n%s", width, got, want)
		}
	}
	if lines := render(75); !strings.HasPrefix(lines[0], "start_time  ") {
		t.Errorf("width 75 fits the table: %q", lines[0])
	}
}

// TestTable80Columns prints tables a responder meets at 80 columns: IPv6
// addresses, long ids, free text and byte counts. Addresses, ids and numbers
// are whole; the free text gives way; bytes read as 4.5 GB on a terminal;
// a table whose fixed columns alone are too wide becomes a record view.
func TestTable80Columns(t *testing.T) {
	ts := time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)
	hits := &Result{
		Columns: []Column{
			{Name: "address", Kind: KindAddress},
			{Name: "interface_id"},
			{Name: "bytes", Type: "HUGEINT"},
			{Name: "comment", Kind: KindText},
		},
		Rows: [][]any{
			{"2600:1f18:4a3:6c00:8d2e:1b7a:33f0:9c21", "eni-0a1b2c3d4e5f60718", int64(4_512_345_678), "C2 beacon seen by threat intel feed X, reported 2026-11-19 by the SOC"},
			{"10.0.1.25", "eni-0f1e2d3c4b5a69788", int64(180), "brute force"},
			{"203.0.113.99", "eni-0a1b2c3d4e5f60718", int64(999_960), nil},
		},
	}
	wide := &Result{
		Columns: []Column{
			{Name: "first_seen", Type: "TIMESTAMP"},
			{Name: "srcaddr", Type: "VARCHAR"},
			{Name: "dstaddr", Type: "VARCHAR"},
			{Name: "finding_id", Type: "VARCHAR"},
			{Name: "bytes_out", Type: "BIGINT"},
			{Name: "title", Kind: KindText},
		},
		Rows: [][]any{
			{ts, "2600:1f18:4a3:6c00:8d2e:1b7a:33f0:9c21", "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", "f-3b9e0c1d2a4f5e6b7c8d9e0f1a2b3c4d", int64(12_000_000_000_000), "Data exfiltration to an internet peer"},
			{ts.Add(time.Hour), "10.0.1.25", "198.51.100.7", "f-0123", int64(12), "Port scan"},
		},
	}
	cases := []struct {
		file string
		r    *Result
		opts Options
	}{
		{"hits_80.table", hits, Options{Width: 80, Terminal: true}},
		{"hits_80_pipe.table", hits, Options{}},
		{"wide_80.table", wide, Options{Width: 80, Terminal: true}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatTable, tc.r, tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.file, buf.Bytes())
			for i, l := range strings.Split(buf.String(), "\n") {
				if tc.opts.Width > 0 && displayWidth(l) > tc.opts.Width && !strings.HasPrefix(l, "comment:") {
					t.Errorf("line %d is %d columns: %q", i+1, displayWidth(l), l)
				}
			}
			for _, row := range tc.r.Rows {
				for i, v := range row {
					if s, ok := v.(string); ok && tc.r.Columns[i].Kind != KindText && !strings.Contains(buf.String(), s) {
						t.Errorf("%s %q shortened", tc.r.Columns[i].Name, s)
					}
				}
			}
		})
	}
}

func TestReadableBytes(t *testing.T) {
	for v, want := range map[any]string{
		int64(0): "0 B", int64(999): "999 B", int64(1000): "1.0 kB", int64(4_512_345_678): "4.5 GB",
		uint64(999_960): "1.0 MB", int64(-2500): "-2.5 kB", int32(1536): "1.5 kB",
		bigInt("170141183460469231731687303715884105727"): "170141183.5 QB",
	} {
		if got, ok := readableBytes(v); !ok || got != want {
			t.Errorf("readableBytes(%v) = %q, %v; want %q", v, got, ok, want)
		}
	}
	for _, v := range []any{nil, "12", 1.5} {
		if _, ok := readableBytes(v); ok {
			t.Errorf("readableBytes(%v) ok", v)
		}
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]Kind{
		"srcaddr": KindAddress, "pkt_dstaddr": KindAddress, "address": KindAddress, "peer": KindAddress,
		"threat_ip": KindAddress, "sourceaddress": KindAddress, "vpc_cidr": KindAddress, "public_ips": KindAddress,
		"interface_id": KindID, "account": KindID, "id": KindID, "etag": KindID,
		"bytes": KindBytes, "bytes_out": KindBytes, "total_bytes": KindBytes,
		"comment": KindAuto, "records": KindAuto, "action": KindAuto,
	} {
		if got := KindOf(name); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestFitWidths(t *testing.T) {
	tests := []struct {
		widths []int
		shrink []bool
		limit  int
		want   []int
	}{
		{[]int{10, 20}, []bool{true, true}, 0, []int{10, 20}},
		{[]int{10, 20}, []bool{true, true}, 32, []int{10, 20}},
		// The widest gives way first.
		{[]int{10, 20}, []bool{true, true}, 27, []int{10, 15}},
		// Then both share a cap; the leftover cell goes left.
		{[]int{10, 20}, []bool{true, true}, 17, []int{8, 7}},
		// Fixed columns keep their width.
		{[]int{30, 20}, []bool{false, true}, 40, []int{30, 8}},
		// Never below the minimum; overflow instead.
		{[]int{30, 20, 3}, []bool{false, true, true}, 10, []int{30, 5, 3}},
	}
	for _, tc := range tests {
		got := fitWidths(append([]int(nil), tc.widths...), tc.shrink, tc.limit)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("fitWidths(%v, %v, %d) = %v, want %v", tc.widths, tc.shrink, tc.limit, got, tc.want)
		}
	}
}

func TestTruncateAndWidth(t *testing.T) {
	tests := []struct {
		s    string
		w    int
		want string
	}{
		{"abcdef", 6, "abcdef"},
		{"abcdef", 5, "abcd…"},
		{"日本語テキスト", 6, "日本…"}, // 2+2+1; a third wide rune would not fit
		{"e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301e\u0301"},
		{"abc", 1, "…"},
	}
	for _, tc := range tests {
		got := tc.s
		if displayWidth(got) > tc.w {
			got = truncate(got, tc.w)
		}
		if got != tc.want || displayWidth(got) > tc.w {
			t.Errorf("truncate(%q, %d) = %q (width %d), want %q", tc.s, tc.w, got, displayWidth(got), tc.want)
		}
	}
	for s, want := range map[string]int{"": 0, "abc": 3, "日本": 4, "🎉": 2, "e\u0301": 1, "ｶ": 1, "Ａ": 2, "한국어": 6} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestTableSanitizes(t *testing.T) {
	r := &Result{
		Columns: []Column{{Name: "evil\x1b[2Jname"}, {Name: "n", Type: "INTEGER"}},
		Rows:    [][]any{{"line1\nline2\x1b]0;pwned\x07\u202e", int32(1)}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatTable, r, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Count(out, "\n") != 2 {
		t.Fatalf("control characters reached the table: %q", out)
	}
	if !strings.Contains(out, `line1\nline2\x1b]0;pwned\x07\u202e`) || !strings.Contains(out, `evil\x1b[2Jname`) {
		t.Errorf("escapes not shown: %q", out)
	}
}

// TestTableBlocks checks that a long table holds at most tableBlock rows,
// prints every row, and repeats the header when a later block is wider.
func TestTableBlocks(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, FormatTable, []Column{{Name: "n", Type: "BIGINT"}, {Name: "s", Type: "VARCHAR"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const rows = 2*tableBlock + 5
	for i := range rows {
		s := "x"
		if i >= tableBlock+tableBlock/2 {
			s = "wider text"
		}
		if err := w.WriteRow([]any{int64(i), s}); err != nil {
			t.Fatal(err)
		}
		if n := len(w.table.rows); n >= tableBlock {
			t.Fatalf("row %d: %d rows held", i, n)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var headers, data int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "n  s"):
			headers++
		case l != "":
			data++
		}
	}
	if data != rows || headers != 2 {
		t.Fatalf("%d data lines, %d headers; want %d and 2\n%s", data, headers, rows, out.String()[:200])
	}
	// The second block is aligned under its own header.
	if !strings.Contains(out.String(), "\n\n    n  s\n") || !strings.HasSuffix(out.String(), "20004  wider text\n") {
		t.Errorf("block layout:\n%s", out.String()[len(out.String())-300:])
	}
}

// checkGolden compares got with testdata/file (rewritten with -update).
func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
