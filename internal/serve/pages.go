package serve

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/report"
	"github.com/flowir/flowir/internal/store"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// pageRows is the number of evidence records per page of a finding.
const pageRows = 200

// maxSQLRows is the number of rows the SQL console shows (CSV and JSON
// downloads have them all).
const maxSQLRows = 1000

// window reads ?since= and ?until= as flowir's --since/--until read them.
func (s *Server) window(r *http.Request) (since, until int64, err error) {
	q := r.URL.Query()
	st, ut, err := analysis.ParseWindow(strings.TrimSpace(q.Get("since")), strings.TrimSpace(q.Get("until")), s.opt.Now())
	if err != nil {
		return 0, 0, badf("%v", err)
	}
	if !st.IsZero() {
		since = st.Unix()
	}
	if !ut.IsZero() {
		until = ut.Unix()
	}
	return since, until, nil
}

// export answers ?format=csv|json with the page's tables; it reports
// whether it did. CSV holds one table (?table=ID, default the first); JSON
// an object of every table's rows.
func (s *Server) export(w http.ResponseWriter, r *http.Request, name string, tables []*report.Table) bool {
	format := r.URL.Query().Get("format")
	if format == "" || format == "html" {
		return false
	}
	if format != "csv" && format != "json" {
		s.fail(w, r, badf("format %q: use html, csv or json", format))
		return true
	}
	if format == "json" {
		doc := map[string]any{}
		for _, t := range tables {
			var b strings.Builder
			if err := output.Write(&b, output.FormatJSON, outputResult(t), output.Options{}); err != nil {
				s.fail(w, r, err)
				return true
			}
			doc[t.ID] = json.RawMessage(b.String())
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(doc)
		return true
	}
	var t *report.Table
	want := r.URL.Query().Get("table")
	for _, x := range tables {
		if want == "" || x.ID == want {
			t = x
			break
		}
	}
	if t == nil {
		var ids []string
		for _, x := range tables {
			ids = append(ids, x.ID)
		}
		s.fail(w, r, badf("no table %q on this page: %s", want, strings.Join(ids, ", ")))
		return true
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"-"+t.ID+`.csv"`)
	// A downloaded CSV is opened in a spreadsheet: formulas are neutralised
	// unless ?csv-safe=false.
	output.Write(w, output.FormatCSV, outputResult(t), output.Options{CSVSafe: r.URL.Query().Get("csv-safe") != "false"})
	return true
}

// outputResult is a table as the output writers take it: the query's
// values in their types when there is one, else the text.
func outputResult(t *report.Table) *output.Result {
	if t.Result != nil {
		res := &output.Result{Rows: t.Result.Rows}
		for _, c := range t.Result.Columns {
			res.Columns = append(res.Columns, output.Column{Name: c.Name, Type: c.Type})
		}
		return res
	}
	res := &output.Result{}
	for i, c := range t.Columns {
		typ := "VARCHAR"
		if i < len(t.Numeric) && t.Numeric[i] {
			typ = "HUGEINT"
		}
		res.Columns = append(res.Columns, output.Column{Name: c, Type: typ})
	}
	for _, row := range t.Rows {
		r := make([]any, len(row))
		for i, v := range row {
			r[i] = v
			// A numeric column's exact integer goes out as a number
			// (JSON 208, not "208"); anything else stays text.
			if n, ok := new(big.Int).SetString(v, 10); ok && i < len(t.Numeric) && t.Numeric[i] {
				r[i] = n
			}
		}
		res.Rows = append(res.Rows, r)
	}
	return res
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	since, until, err := s.window(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.queryCtx(r)
	defer cancel()
	rep, err := report.Build(ctx, s.c, report.Options{Since: since, Until: until, Version: s.opt.Version, Now: s.opt.Now(), Internal: s.opt.Internal,
		Parts: report.PartTraffic | report.PartTables | report.PartFindings | report.PartIOCs})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tables := append([]*report.Table{}, rep.Tables...)
	tables = append(tables, findingsTable(rep.Findings))
	if rep.IOCHits != nil {
		tables = append(tables, rep.IOCHits)
	}
	for _, t := range tables {
		t.Links = true
	}
	if s.export(w, r, "dashboard", tables) {
		return
	}
	for _, c := range rep.Traffic {
		c.Link = "/?"
	}
	s.render(w, "dashboard", &page{Raw: r.URL.Query(), Title: "Dashboard", Since: r.URL.Query().Get("since"), Until: r.URL.Query().Get("until"), Report: rep, Tables: tables})
}

// findingsTable lists findings, their ids linking to their pages.
func findingsTable(fs []report.Finding) *report.Table {
	t := &report.Table{ID: "findings", Title: "Findings", Columns: []string{"id", "severity", "rule", "actor", "target", "port", "first_seen", "last_seen", "records", "bytes", "summary"},
		Numeric: []bool{false, false, false, false, false, false, false, false, true, true, false}}
	for _, f := range fs {
		t.Rows = append(t.Rows, []string{f.ID, f.Severity, f.Rule, f.Actor, f.Target, f.Port, report.Cell(f.FirstSeen), report.Cell(f.LastSeen), report.Cell(f.Records), report.Cell(f.Bytes), f.Summary})
	}
	return t
}

func (s *Server) findingList(w http.ResponseWriter, r *http.Request) {
	since, until, err := s.window(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.queryCtx(r)
	defer cancel()
	rep, err := report.Build(ctx, s.c, report.Options{Since: since, Until: until, Now: s.opt.Now(), Parts: report.PartFindings})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t := findingsTable(rep.Findings)
	t.Links = true
	if s.export(w, r, "findings", []*report.Table{t}) {
		return
	}
	s.render(w, "findings", &page{Title: "Findings", Since: r.URL.Query().Get("since"), Until: r.URL.Query().Get("until"), Report: rep, Tables: []*report.Table{t}})
}

// lookupFinding finds a stored finding by its id or a unique prefix of at
// least 4 digits.
func lookupFinding(ctx context.Context, c *store.Case, id string) (*store.FindingRow, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 4 {
		return nil, badf("finding %q: give at least 4 digits of its id", id)
	}
	fs, err := c.Findings(ctx, nil)
	if err != nil {
		return nil, err
	}
	var found []store.FindingRow
	for _, f := range fs {
		if strings.HasPrefix(f.ID, id) {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return nil, badf("no stored finding has id %q (see /findings)", id)
	case 1:
		return &found[0], nil
	}
	return nil, badf("%d findings have ids starting %q: give more digits", len(found), id)
}

func (s *Server) finding(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryCtx(r)
	defer cancel()
	f, err := lookupFinding(ctx, s.c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := 0
	if v := r.URL.Query().Get("page"); v != "" {
		if pg, err = strconv.Atoi(v); err != nil || pg < 0 {
			s.fail(w, r, badf("page %q: give a number from 0", v))
			return
		}
	}
	ev, err := s.c.FindingEvidence(ctx, f.EvidenceSQL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all := report.TableOf("evidence", "Evidence records", "", ev, "")
	all.Links = true
	if s.export(w, r, "finding-"+f.ID, []*report.Table{all}) {
		return
	}
	shown := *all
	lo, hi := min(pg*pageRows, len(all.Rows)), min((pg+1)*pageRows, len(all.Rows))
	shown.Rows = all.Rows[lo:hi]
	shown.Result = nil
	shown.Note = fmt.Sprintf("Records %d to %d of %d, in time order.", lo+1, hi, len(all.Rows))
	if lo == hi {
		shown.Note = fmt.Sprintf("No records on page %d of %d.", pg, len(all.Rows))
	}
	p := &page{Raw: r.URL.Query(), Title: "Finding " + f.ID, Tables: []*report.Table{&shown}}
	if pg > 0 {
		p.Prev = fmt.Sprintf("/findings/%s?page=%d", f.ID, pg-1)
	}
	if hi < len(all.Rows) {
		p.Next = fmt.Sprintf("/findings/%s?page=%d", f.ID, pg+1)
	}
	rf := report.Finding{ID: f.ID, Rule: f.Rule, Severity: f.Severity, Technique: f.Technique, Actor: f.Src, Target: f.Dst, Direction: f.Direction,
		FirstSeen: f.FirstSeen, LastSeen: f.LastSeen, Records: f.Records, Bytes: f.Bytes, Summary: f.Summary, EvidenceSQL: f.EvidenceSQL, Suppressed: f.SuppressedBy}
	if f.DstPort != nil {
		rf.Port = strconv.Itoa(*f.DstPort)
	}
	if rf.Timeline, err = report.FindingTimeline(ctx, s.c, *f); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Finding = &rf
	s.render(w, "finding", p)
}

func (s *Server) address(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("addr")
	target, err := analysis.ParseTarget(raw)
	if err != nil {
		s.fail(w, r, badf("%v", err))
		return
	}
	since, until, err := s.window(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.queryCtx(r)
	defer cancel()
	opt := analysis.InvestigateOptions{Since: since, Until: until, Limit: 50, Internal: s.opt.Internal}
	loaded, err := s.c.IOCs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, e := range loaded {
		opt.IOCs = append(opt.IOCs, analysis.IOCRef{Key: e.IOC, ThreatIP: e.ThreatIP, Comment: e.Comment, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil, Revoked: e.Revoked})
	}
	sess, err := s.c.NewSession(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inv, err := analysis.Investigate(ctx, sess, target, opt)
	sess.Close()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tables := []*report.Table{structTable("overview", "Overview", []analysis.Overview{inv.Overview})}
	for _, sec := range []struct {
		id, title string
		rows      any
	}{{"ioc_matches", "IOC matches", inv.IOCMatches}, {"peers", "Peers", inv.Peers}, {"ports", "Ports", inv.Ports}, {"data_ratio", "Data ratio", inv.DataRatio},
		{"timeline", "Timeline (per hour)", inv.Timeline}, {"interfaces", "Interfaces", inv.Interfaces}, {"accounts", "Accounts", inv.Accounts}, {"members", "Members", inv.Members}} {
		tables = append(tables, structTable(sec.id, sec.title, sec.rows))
	}
	fs, err := s.c.Findings(ctx, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var mine []report.Finding
	for _, f := range fs {
		if inPrefix(target, f.Src) || inPrefix(target, f.Dst) {
			mine = append(mine, report.Finding{ID: f.ID, Rule: f.Rule, Severity: f.Severity, Actor: f.Src, Target: f.Dst, FirstSeen: f.FirstSeen, LastSeen: f.LastSeen, Records: f.Records, Bytes: f.Bytes, Summary: f.Summary})
		}
	}
	ft := findingsTable(mine)
	ft.Title = "Findings whose actor or target is in it"
	tables = append(tables, ft)
	for _, t := range tables {
		t.Links = true
	}
	if s.export(w, r, "ip-"+strings.NewReplacer("/", "_", ":", "_").Replace(inv.Target), tables) {
		return
	}
	hours := &report.Chart{ID: "ip-timeline", Title: "Records per hour", Unit: "records", Step: time.Hour,
		Series: []report.Series{{Name: "in", Class: "accepted"}, {Name: "out", Class: "evidence"}}}
	for _, h := range inv.Timeline {
		hours.Start = append(hours.Start, h.Hour.Time)
		hours.Series[0].Values = append(hours.Series[0].Values, float64(h.RecordsIn))
		hours.Series[1].Values = append(hours.Series[1].Values, float64(h.RecordsOut))
	}
	hours.Link = "/ip/" + raw + "?"
	s.render(w, "address", &page{Raw: r.URL.Query(), Title: inv.Target, Since: r.URL.Query().Get("since"), Until: r.URL.Query().Get("until"), Tables: tables, Charts: []*report.Chart{hours},
		Pairs: [][2]string{{"kind", inv.Kind}, {"internal (private ranges)", strconv.FormatBool(inv.Internal)}, {"addresses of the case in it", strconv.Itoa(inv.Addresses)}}})
}

func inPrefix(p netip.Prefix, s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && p.Contains(a.Unmap())
}

// structTable makes a table of a slice of structs: one column per field,
// named by its JSON tag, in field order; nested structs and maps as JSON.
func structTable(id, title string, rows any) *report.Table {
	t := &report.Table{ID: id, Title: title}
	v := reflect.ValueOf(rows)
	typ := v.Type().Elem()
	var fields []int
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, i)
		t.Columns = append(t.Columns, name)
		k := f.Type.Kind()
		t.Numeric = append(t.Numeric, k >= reflect.Int && k <= reflect.Float64 || f.Type.String() == "*big.Int")
	}
	for i := 0; i < v.Len(); i++ {
		row := make([]string, len(fields))
		for j, fi := range fields {
			fv := v.Index(i).Field(fi)
			switch x := fv.Interface().(type) {
			case time.Time, *time.Time:
				row[j] = report.Cell(x)
			case flow.SafeTime: // the investigation's times (any year, issue 12.7)
				row[j] = report.Cell(x.Time)
			case *flow.SafeTime:
				if x != nil {
					row[j] = report.Cell(x.Time)
				}
			default:
				if k := fv.Kind(); k == reflect.Struct || k == reflect.Map || (k == reflect.Slice && fv.Type().Elem().Kind() != reflect.String) {
					b, _ := json.Marshal(x)
					row[j] = string(b)
				} else if k == reflect.Slice {
					row[j] = strings.Join(fv.Interface().([]string), ", ")
				} else if k == reflect.Pointer && fv.IsNil() {
					row[j] = ""
				} else {
					row[j] = report.Cell(derefValue(fv))
				}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func derefValue(v reflect.Value) any {
	if v.Kind() == reflect.Pointer && v.Type().String() != "*big.Int" {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint())
	case reflect.String:
		return v.String()
	}
	return v.Interface()
}

func (s *Server) queryList(w http.ResponseWriter, r *http.Request) {
	t := &report.Table{ID: "queries", Title: "Named queries", Columns: []string{"name", "origin", "synopsis", "description"}, Numeric: []bool{false, false, false, false}}
	qs := analysis.Catalog()
	for _, q := range qs {
		t.Rows = append(t.Rows, []string{q.Name, q.Origin, q.Synopsis(), q.Description})
	}
	if s.export(w, r, "queries", []*report.Table{t}) {
		return
	}
	s.render(w, "queries", &page{Title: "Named queries", Queries: qs})
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	q, err := analysis.Find(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, badf("%v", err))
		return
	}
	vals := r.URL.Query()
	p := &page{Raw: r.URL.Query(), Title: "Query " + q.Name, Query: q, Params: map[string]string{}, Since: vals.Get("since"), Until: vals.Get("until")}
	for _, k := range []string{"limit"} {
		p.Params[k] = vals.Get(k)
	}
	for _, prm := range q.Params {
		p.Params[prm.Name] = vals.Get(prm.Name)
	}
	if vals.Get("run") == "" && vals.Get("format") == "" {
		s.render(w, "query", p)
		return
	}
	since, until, err := s.window(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := analysis.Bounds{}
	if since != 0 {
		b.Since = time.Unix(since, 0)
	}
	if until != 0 {
		b.Until = time.Unix(until, 0)
	}
	if l := vals.Get("limit"); l != "" {
		if b.Limit, err = strconv.Atoi(l); err != nil || b.Limit == 0 || b.Limit < -1 {
			s.fail(w, r, badf("limit %q: a positive number, or -1 for no limit", l))
			return
		}
	}
	params := map[string]string{}
	for _, prm := range q.Params {
		if v := vals.Get(prm.Name); v != "" {
			params[prm.Name] = v
		}
	}
	sqlText, args, err := q.Render(analysis.DuckDB, "flows", params, b)
	if err != nil {
		p.Error = err.Error()
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, "query", p)
		return
	}
	ctx, cancel := s.queryCtx(r)
	defer cancel()
	res, err := s.c.Query(ctx, sqlText, args...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t := report.TableOf("result", q.Name, fmt.Sprintf("%d rows.", len(res.Rows)), res, "")
	t.Links = true
	if s.export(w, r, q.Name, []*report.Table{t}) {
		return
	}
	p.Tables = []*report.Table{t}
	p.SQL = sqlText
	s.render(w, "query", p)
}

func (s *Server) sqlForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, "sql", &page{Title: "SQL"})
}

func (s *Server) sql(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, badf("the form: %v", err))
		return
	}
	q := strings.TrimSpace(r.PostForm.Get("q"))
	p := &page{Title: "SQL", SQL: q}
	if q == "" {
		p.Error = "the query is empty"
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, "sql", p)
		return
	}
	ctx, cancel := s.queryCtx(r)
	defer cancel()
	res, err := s.c.Query(ctx, q)
	if err != nil {
		code := http.StatusBadRequest
		msg := err.Error()
		if ctx.Err() != nil {
			code = http.StatusGatewayTimeout
			msg = fmt.Sprintf("the query ran longer than %s and was cancelled: %v", s.opt.QueryTimeout, err)
		}
		p.Error = msg
		w.WriteHeader(code)
		s.render(w, "sql", p)
		return
	}
	t := report.TableOf("result", "Result", fmt.Sprintf("%d rows.", len(res.Rows)), res, "")
	t.Links = true
	r.URL.RawQuery = url.Values{"format": {r.PostForm.Get("format")}, "csv-safe": {r.PostForm.Get("csv-safe")}}.Encode()
	if s.export(w, r, "sql", []*report.Table{t}) {
		return
	}
	if len(t.Rows) > maxSQLRows {
		t.Note = fmt.Sprintf("The first %d of %d rows; download CSV or JSON for all.", maxSQLRows, len(t.Rows))
		t.Rows = t.Rows[:maxSQLRows]
	}
	p.Tables = []*report.Table{t}
	s.render(w, "sql", p)
}
