package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the report as Markdown (GitHub's dialect: pipe
// tables): the same sections as the HTML, with each chart as a table of its
// buckets. Values from the case are escaped so that none becomes markup,
// HTML or a link: a renderer shows them as the text they are.
func WriteMarkdown(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	p("# %s\n\n", md(r.Title))
	p("- case: %s\n", md(r.Case))
	since, until := "the first record", "the last record"
	if !r.Since.IsZero() {
		since = tm(r.Since)
	}
	if !r.Until.IsZero() {
		until = tm(r.Until)
	}
	p("- window: from %s until %s\n", since, until)
	p("- records in it: %d", r.Records)
	if r.Records > 0 {
		p(", starting %s, ending %s", tm(r.First), tm(r.Last))
	}
	p("\n- generated: %s by flowir %s\n", tm(r.GeneratedAt), md(r.Version))
	p("- command: %s\n\n", code(r.Command))

	cu := r.Custody
	p("## Chain of custody\n\n")
	p("- sources: %d (%d complete, %d partial, %d failed, %d superseded), %d bytes; SHA-256 of each in the appendix\n",
		cu.Sources, cu.Complete, cu.Partial, cu.Failed, cu.Superseded, cu.Bytes)
	p("- lines: %d = %d records + %d rejected + %d headers + %d outside an ingest's time window\n", cu.Lines, cu.Records, cu.Rejects, cu.Headers, cu.OutOfWindow)
	if cu.RejectsNotKept > 0 {
		p("- %d rejected lines are counted, not kept with their text\n", cu.RejectsNotKept)
	}
	p("\n### Rejected lines by reason\n\n")
	mdTable(bw, cu.RejectReasons)
	p("### Partial and failed sources\n\n")
	mdTable(bw, cu.Problems)
	p("### Coverage gaps\n\n%s\n\n", md(cu.Gaps.Note))
	if cu.GapsNote != "" {
		p("%s\n\n", md(cu.GapsNote))
	} else {
		mdTable(bw, cu.Gaps)
	}

	p("## Traffic over time\n\n")
	if len(r.Traffic) == 0 {
		p("No records in the window.\n\n")
	}
	if len(r.Traffic) == 2 {
		by, rec := r.Traffic[0], r.Traffic[1]
		p("One row per %s of record start.\n\n", stepText(by.Step))
		t := &Table{Columns: []string{"from", "accepted_bytes", "rejected_bytes", "accepted_records", "rejected_records"}, Numeric: []bool{false, true, true, true, true}}
		for i, s := range by.Start {
			t.Rows = append(t.Rows, []string{tm(s), num(by.Series[0].Values[i]), num(by.Series[1].Values[i]), num(rec.Series[0].Values[i]), num(rec.Series[1].Values[i])})
		}
		mdTable(bw, t)
	}
	for _, t := range r.Tables {
		p("## %s\n\n%s (query %s)\n\n", md(t.Title), md(t.Note), t.Query)
		mdTable(bw, t)
	}

	p("## Findings\n\n%s\n\n", mdPara(r.FindingsNote))
	for _, g := range severityGroups(r.Findings) {
		p("### %s (%d)\n\n", md(g.Severity), len(g.Findings))
		for _, f := range g.Findings {
			p("#### %s %s\n\n%s\n\n", md(f.Rule), code(f.ID), mdPara(f.Summary))
			port := ""
			if f.Port != "" {
				port = ":" + f.Port
			}
			p("- actor: %s\n- target: %s%s %s\n- direction: %s\n- first / last seen: %s / %s\n- records, bytes: %d, %d\n- ATT&CK: %s\n",
				md(f.Actor), md(f.Target), port, md(f.Protocol), md(f.Direction), tm(f.FirstSeen), tm(f.LastSeen), f.Records, f.Bytes, md(f.Technique))
			if f.Suppressed != "" {
				p("- suppressed: %s\n", md(f.Suppressed))
			}
			if f.Timeline != nil && len(f.Timeline.Start) > 0 {
				var parts []string
				for i, s := range f.Timeline.Start {
					if v := f.Timeline.Series[0].Values[i]; v > 0 {
						parts = append(parts, s.UTC().Format("01-02 15:04")+" "+num(v))
					}
				}
				p("- evidence records per %s: %s\n", stepText(f.Timeline.Step), strings.Join(parts, "; "))
			}
			p("\nEvidence query:\n\n%s\n", fence(f.EvidenceSQL))
		}
	}

	p("## IOC hits\n\n")
	if r.IOCHits != nil {
		p("%s\n\n", md(r.IOCHits.Note))
		mdTable(bw, r.IOCHits)
	} else {
		p("%s\n\n", md(r.IOCNote))
	}
	p("## Exposure\n\n")
	if r.Exposure != nil {
		p("%s\n\n", md(r.Exposure.Note))
		mdTable(bw, r.Exposure)
	} else {
		p("%s\n\n", md(r.ExposureNote))
	}

	p("## Appendix: queries\n\nEvery query that produced a number in this report, with its bound parameters (? in order), or the flowir command that prints the same numbers.\n\n")
	for _, q := range r.Queries {
		p("### %s: %s\n\n", q.ID, md(q.Purpose))
		if q.Command != "" {
			p("Command: %s\n\n", code(q.Command))
		}
		if q.SQL != "" {
			p("%s\n", fence(q.SQL))
			if len(q.Args) > 0 {
				p("Parameters: %s\n\n", code(strings.Join(q.Args, ", ")))
			}
		}
	}
	p("## Appendix: sources and SHA-256\n\n")
	if cu.SourceList != nil {
		mdTable(bw, cu.SourceList)
	}
	return bw.Flush()
}

func num(v float64) string { return Cell(int64(v)) }

// mdTable writes a pipe table, or "No rows.".
func mdTable(w io.Writer, t *Table) {
	if t == nil || len(t.Rows) == 0 {
		fmt.Fprint(w, "No rows.\n\n")
		return
	}
	row := func(cells []string) {
		fmt.Fprint(w, "|")
		for _, c := range cells {
			fmt.Fprint(w, " ", md(c), " |")
		}
		fmt.Fprintln(w)
	}
	row(t.Columns)
	fmt.Fprint(w, "|")
	for i := range t.Columns {
		if i < len(t.Numeric) && t.Numeric[i] {
			fmt.Fprint(w, " ---: |")
		} else {
			fmt.Fprint(w, " --- |")
		}
	}
	fmt.Fprintln(w)
	for _, r := range t.Rows {
		row(r)
	}
	fmt.Fprintln(w)
}

// mdEscaper makes text inert in Markdown: HTML's special characters become
// entities (a renderer passes raw HTML through), Markdown's punctuation is
// backslash-escaped, and line breaks become spaces (they would end a table
// row or start a block).
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"#", `\#`, "|", `\|`, "!", `\!`, "~", `\~`, "://", "&#58;//", "www.", "www&#46;", "WWW.", "WWW&#46;", "@", "&#64;",
	"\r\n", " ", "\n", " ", "\r", " ", "\t", " ",
)

func md(s string) string { return mdEscaper.Replace(s) }

// mdPara is md for text that begins a line: a leading -, +, = or "1."
// would start a list or underline a heading.
func mdPara(s string) string {
	s = md(s)
	if s != "" && strings.ContainsRune("-+=", rune(s[0])) {
		return `\` + s
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (s[i] == '.' || s[i] == ')') {
		return s[:i] + `\` + s[i:]
	}
	return s
}

// code is s as inline code, fenced by more backticks than it holds in a
// row, with HTML's special characters kept literal by the code span.
func code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	n := longestRun(s, '`') + 1
	f := strings.Repeat("`", n)
	return f + " " + s + " " + f
}

// fence is s as a fenced code block whose fence is longer than any run of
// tildes in s.
func fence(s string) string {
	f := strings.Repeat("~", max(3, longestRun(s, '~')+1))
	return f + "sql\n" + strings.TrimRight(s, "\n") + "\n" + f + "\n"
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
