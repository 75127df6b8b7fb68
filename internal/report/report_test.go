package report

import (
	"bytes"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostile are values an attacker controls in a case: threat comments, Name
// tags, unknown header fields, file names.
var hostile = []string{
	`</script><script>alert(1)</script>`,
	`"><img src=http://evil.example/x.png onerror=alert(2)>`,
	`' onmouseover='alert(3)`,
	`<a href="https://evil.example/">click</a>`,
	"| col | injected |\n# heading\n[link](http://evil.example/)",
	"![img](https://evil.example/i.png) `code` *bold* www.evil.example a@evil.example",
	"- list item",
	"1. numbered",
}

// hostileReport is a report whose every case-derived field holds hostile text.
func hostileReport() *Report {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	h := strings.Join(hostile, " ")
	tab := func(id string) *Table {
		t := &Table{ID: id, Title: "T " + id, Note: h, Columns: []string{"a", h}, Numeric: []bool{false, true}, Query: "q1"}
		for _, v := range hostile {
			t.Rows = append(t.Rows, []string{v, "1"})
		}
		return t
	}
	ch := &Chart{ID: "traffic-bytes", Title: "Bytes", Unit: "bytes", Step: time.Hour,
		Start:  []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)},
		Series: []Series{{Name: h, Class: "accepted", Values: []float64{5, 0, 10}}, {Name: "rejected", Class: "rejected", Values: []float64{1, 2, 0}}}}
	r := &Report{Title: h, Case: h, GeneratedAt: t0, Version: h, Command: "flowir report --title '" + h + "'", Records: 3, First: t0, Last: t0.Add(3 * time.Hour),
		Traffic: []*Chart{ch, ch},
		Tables:  []*Table{tab("top-talkers"), tab("top-pairs")},
		IOCHits: tab("ioc-hits"), Exposure: tab("exposure"),
		Queries: []Query{{ID: "q1", Purpose: h, SQL: "SELECT '" + h + "'", Args: []string{h}, Command: h}},
	}
	r.Custody.RejectReasons, r.Custody.Problems, r.Custody.Gaps, r.Custody.SourceList = tab("rejects"), tab("problems"), tab("gaps"), tab("sources")
	for _, sev := range []string{"high", h} {
		r.Findings = append(r.Findings, Finding{ID: "0123456789ab", Rule: h, Severity: sev, Technique: h, Actor: h, Target: h, Port: "22", Protocol: "tcp",
			Direction: h, FirstSeen: t0, LastSeen: t0.Add(time.Hour), Records: 3, Bytes: big.NewInt(4), Summary: h, EvidenceSQL: "SELECT * FROM flows WHERE x = '" + h + "'",
			Suppressed: h, Timeline: ch})
	}
	return r
}

// attrRE finds the attributes of a tag with their values.
var attrRE = regexp.MustCompile(`\s([a-zA-Z:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)

// externalAttr are the attributes that load or open a URL.
var externalAttr = map[string]bool{"src": true, "href": true, "action": true, "srcset": true, "xlink:href": true, "poster": true, "data": true, "formaction": true, "background": true}

// tagRE finds the markup of a page: escaped text holds no '<'.
var tagRE = regexp.MustCompile(`<[!/a-zA-Z][^>]*>`)

// checkInert fails when a page has an element that runs code or fetches or
// opens anything outside it: a script, an event-handler attribute, an
// external src/href/action, a CSS url() or @import.
func checkInert(t *testing.T, page string) {
	t.Helper()
	for _, tag := range tagRE.FindAllString(page, -1) {
		low := strings.ToLower(tag)
		if strings.HasPrefix(low, "<script") || strings.HasPrefix(low, "<img") || strings.HasPrefix(low, "<iframe") || strings.HasPrefix(low, "<link") {
			t.Errorf("element %s", tag)
		}
		for _, a := range attrRE.FindAllStringSubmatch(tag, -1) {
			name, val := strings.ToLower(a[1]), strings.Trim(a[2], `"'`)
			if strings.HasPrefix(name, "on") {
				t.Errorf("event handler %s in %s", name, tag)
			}
			if externalAttr[name] && regexp.MustCompile(`(?i)^\s*([a-z][a-z0-9+.-]*:|//)`).MatchString(val) {
				t.Errorf("%s refers to something outside the page: %s=%q", tag, name, val)
			}
		}
	}
	if regexp.MustCompile(`(?i)url\(|@import`).MatchString(page) {
		t.Error("CSS fetching a resource")
	}
}

func TestHTMLEscapesHostileValues(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	checkInert(t, page)
	// The escaped text is there, so escaping did not drop it.
	if !strings.Contains(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile comment is not shown as text")
	}
	if !strings.Contains(page, `default-src 'none'`) {
		t.Error("no Content-Security-Policy forbidding requests")
	}
}

func TestMarkdownEscapesHostileValues(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	// Outside code spans and fences (the command, parameters, finding ids
	// and queries, which a renderer shows literally), no value may become
	// HTML, a link, an image, a heading, a list or a table cell of its own.
	prose := regexp.MustCompile("(?s)~~~+sql\n.*?\n~~~+\n").ReplaceAllString(doc, "")
	prose = regexp.MustCompile("(?m)^(- command|Command|Parameters): .*$|^#### .*$").ReplaceAllString(prose, "")
	for _, bad := range []string{"<script", "<img", "<a ", "](http", "http://", "https://", "www.evil", "@evil", "\n# heading", "| injected |", "![img]", "\n- list item", "\n1. numbered"} {
		if strings.Contains(prose, bad) {
			i := strings.Index(prose, bad)
			t.Errorf("the Markdown holds %q: ...%s...", bad, prose[max(0, i-80):min(len(prose), i+80)])
		}
	}
	// Every row of a table has as many cells as its header.
	cells := func(line string) int {
		n := 0
		for i := 0; i < len(line); i++ {
			if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
				n++
			}
		}
		return n - 1
	}
	head := 0
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			head = 0
			continue
		}
		if head == 0 {
			head = cells(line)
		} else if n := cells(line); n != head {
			t.Errorf("table row with %d cells under a header of %d: %s", n, head, line)
		}
	}
	if head := strings.Count(doc, "\n| a | "); head != 0 && head < 6 {
		t.Errorf("%d tables with the hostile header", head)
	}
}

func TestChartLayout(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	ch := &Chart{Unit: "bytes", Step: time.Hour, Start: []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour), t0.Add(3 * time.Hour)},
		Series: []Series{{Name: "accepted", Class: "accepted", Values: []float64{100, 0, 300, 50}}, {Name: "rejected", Class: "rejected", Values: []float64{100, 0, 0, 0}}}}
	l := ch.Layout(1000, 220)
	if len(l.Bars) != 4 { // zero values draw nothing
		t.Fatalf("bars: %+v", l.Bars)
	}
	// The tallest stack (300) reaches the top of the scale, 500 (1-2-5).
	base := l.PlotBottom
	var first0, first1 Bar
	for _, b := range l.Bars {
		if b.From == t0.Format(time.RFC3339) && b.Class == "accepted" {
			first0 = b
		}
		if b.From == t0.Format(time.RFC3339) && b.Class == "rejected" {
			first1 = b
		}
	}
	if first0.Y+first0.H != base || first1.Y+first1.H != first0.Y || first0.H != first1.H {
		t.Errorf("first stack: %+v %+v (base %v)", first0, first1, base)
	}
	if l.YTicks[4].Label != "500" || l.XTicks[0].Label != "11-20 00:00" {
		t.Errorf("ticks %+v %+v", l.YTicks, l.XTicks)
	}
	if !strings.Contains(first1.Title, "100 rejected bytes") || first1.To != t0.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("title %q to %q", first1.Title, first1.To)
	}
	if (&Chart{}).Empty() != true || ch.Empty() {
		t.Error("Empty")
	}
}

func TestBucketFor(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		want time.Duration
	}{
		{time.Hour, time.Minute},
		{48 * time.Hour, 30 * time.Minute},
		{30 * 24 * time.Hour, 12 * time.Hour},
		{5000 * 24 * time.Hour, 365 * 24 * time.Hour},
	} {
		if got := bucketFor(c.span, 120); got != c.want {
			t.Errorf("bucketFor(%v) = %v, want %v", c.span, got, c.want)
		}
	}
}
