package output

import (
	"bytes"
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

	for _, width := range []int{natural, natural + 50, 120, 80, 70} {
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
		// Short values in shortened columns stay whole.
		if !strings.Contains(lines[2], "10.0.0.1") || !strings.Contains(lines[2], "short") {
			t.Errorf("width %d: short values cut: %q", width, lines[2])
		}
		// Every line has the same layout: the bytes column ends at the
		// same place.
		endOf := func(line, s string) int { return displayWidth(line[:strings.Index(line, s)+len(s)]) }
		if endOf(lines[1], "9007199254740993") != endOf(lines[2], "7  short")-len("  short") {
			t.Errorf("width %d: columns misaligned:\n%s", width, strings.Join(lines, "\n"))
		}
	}

	// Too narrow for even the fixed columns: text columns shrink to their
	// minimum and the line overflows rather than cutting a number.
	lines := render(20)
	if !strings.Contains(lines[1], "9007199254740993") || !strings.Contains(lines[1], "2001…") {
		t.Errorf("narrow: %q", lines[1])
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
