package report

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/store"
)

// Options say what to put in a report and how to label it.
type Options struct {
	// Since and Until bound the records (Unix seconds, 0 open): those whose
	// capture interval overlaps [Since, Until). The chain of custody is
	// always the whole case.
	Since, Until int64
	Title        string
	Command      string // the command line that made the report
	Version      string
	Now          time.Time
	// Internal are ranges of the monitored network besides the private
	// ranges (analysis.DefaultInternal) and the inventory's VPC CIDRs.
	Internal []analysis.NetRange
	// Limit is the number of rows of the ranked tables; 0: 10.
	Limit int
	// Timelines is the number of findings that get a timeline of their
	// evidence (one query each); 0: 50.
	Timelines int
	// Parts selects the sections to build; 0: all (the report). The
	// dashboard of flowir serve builds only what it shows.
	Parts Part
}

// Part is a section of the report, for Options.Parts.
type Part uint

// The sections Build can leave out.
const (
	PartCustody Part = 1 << iota // status and the sources list
	PartTraffic
	PartTables // top talkers, pairs, ports, internal vs external
	PartGaps
	PartFindings
	PartTimelines // a timeline per finding (PartFindings too)
	PartIOCs
	PartExposure
	PartAll Part = 1<<iota - 1
)

// Build reads the case and returns the report. The case may be read-only.
func Build(ctx context.Context, c *store.Case, opt Options) (*Report, error) {
	if opt.Limit <= 0 {
		opt.Limit = 10
	}
	if opt.Timelines <= 0 {
		opt.Timelines = 50
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	b := &builder{ctx: ctx, c: c, opt: opt}
	b.rep = &Report{Title: opt.Title, Case: c.Dir, GeneratedAt: opt.Now.UTC(), Version: opt.Version, Command: opt.Command}
	if opt.Since != 0 {
		b.rep.Since = time.Unix(opt.Since, 0).UTC()
	}
	if opt.Until != 0 {
		b.rep.Until = time.Unix(opt.Until, 0).UTC()
	}
	if b.rep.Title == "" {
		b.rep.Title = "flowir report: " + c.Dir
	}
	if opt.Parts == 0 {
		b.opt.Parts = PartAll
	}
	steps := []struct {
		part Part
		run  func() error
	}{{PartCustody, b.custody}, {PartTraffic, b.traffic}, {PartTables, b.talkers}, {PartTables, b.ports}, {PartTables, b.internalExternal},
		{PartGaps, b.gaps}, {PartFindings, b.findings}, {PartIOCs, b.iocs}, {PartExposure, b.exposure}}
	for _, st := range steps {
		if b.opt.Parts&st.part == 0 {
			continue
		}
		if err := st.run(); err != nil {
			return nil, err
		}
	}
	return b.rep, nil
}

type builder struct {
	ctx context.Context
	c   *store.Case
	opt Options
	rep *Report
}

// window is the SQL condition keeping the records that overlap the window,
// as the named queries and IOC summaries read it: "end" >= since AND start
// < until.
func (b *builder) window(alias string) (string, []any) {
	conds := []string{"true"}
	var args []any
	if b.opt.Since != 0 {
		conds = append(conds, alias+`"end" >= ?`)
		args = append(args, b.opt.Since)
	}
	if b.opt.Until != 0 {
		conds = append(conds, alias+`start < ?`)
		args = append(args, b.opt.Until)
	}
	return strings.Join(conds, " AND "), args
}

// windowFlags are the command-line flags of the window, for the commands
// of the appendix.
func (b *builder) windowFlags() string {
	s := ""
	if b.opt.Since != 0 {
		s += " --since " + time.Unix(b.opt.Since, 0).UTC().Format(time.RFC3339)
	}
	if b.opt.Until != 0 {
		s += " --until " + time.Unix(b.opt.Until, 0).UTC().Format(time.RFC3339)
	}
	return s
}

// note adds an appendix entry and returns its id.
func (b *builder) note(q Query) string {
	q.ID = fmt.Sprintf("q%d", len(b.rep.Queries)+1)
	q.SQL = strings.TrimSpace(q.SQL)
	b.rep.Queries = append(b.rep.Queries, q)
	return q.ID
}

// run runs a query, keeping it for the appendix.
func (b *builder) run(purpose, command, q string, args ...any) (*store.Result, string, error) {
	texts := make([]string, len(args))
	for i, a := range args {
		texts[i] = argText(a)
	}
	id := b.note(Query{Purpose: purpose, SQL: q, Args: texts, Command: command})
	res, err := b.c.Query(b.ctx, q, args...)
	if err != nil {
		return nil, id, fmt.Errorf("report: %s: %w", purpose, err)
	}
	return res, id, nil
}

func argText(a any) string {
	switch x := a.(type) {
	case string:
		return strconv.Quote(x)
	case []string:
		if len(x) > 5 {
			return fmt.Sprintf("[%d values: %s, ...]", len(x), strings.Join(x[:5], ", "))
		}
		return "[" + strings.Join(x, ", ") + "]"
	}
	return Cell(a)
}

// TableOf turns a query result into a table (it keeps the result, for
// exports in its exact types).
func TableOf(id, title, note string, res *store.Result, query string) *Table {
	t := &Table{ID: id, Title: title, Note: note, Query: query, Result: res}
	for _, c := range res.Columns {
		t.Columns = append(t.Columns, c.Name)
		t.Numeric = append(t.Numeric, numericType(c.Type))
	}
	for _, r := range res.Rows {
		row := make([]string, len(r))
		for i, v := range r {
			row[i] = Cell(v)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (b *builder) custody() error {
	st, err := b.c.Status(b.ctx)
	if err != nil {
		return fmt.Errorf("report: status: %w", err)
	}
	b.note(Query{Purpose: "chain of custody: sources, lines, records, rejects by reason, partial and failed sources", Command: "flowir status --format json"})
	cu := &b.rep.Custody
	cu.Sources, cu.Complete, cu.Partial, cu.Failed, cu.Superseded, cu.Bytes = st.Sources.Total, st.Sources.Complete, st.Sources.Partial, st.Sources.Failed, st.Sources.Superseded, st.Sources.Bytes
	cu.Lines, cu.Records, cu.Rejects, cu.Headers, cu.OutOfWindow = st.Lines, st.Records+st.TGWRecords+st.JSONRecords, st.Rejects, st.Headers, st.OutOfWindow
	cu.RejectsNotKept = st.RejectsNotKept
	cu.RejectReasons = &Table{ID: "rejects", Title: "Rejected lines by reason", Columns: []string{"reason", "lines"}, Numeric: []bool{false, true}}
	for _, r := range st.RejectReasons {
		cu.RejectReasons.Rows = append(cu.RejectReasons.Rows, []string{r.Reason, Cell(r.Lines)})
	}
	cu.Problems = &Table{ID: "problem-sources", Title: "Partial and failed sources", Columns: []string{"source_id", "status", "records", "path", "error"}, Numeric: []bool{true, false, true, false, false}}
	for _, p := range st.Problems {
		cu.Problems.Rows = append(cu.Problems.Rows, []string{Cell(p.ID), p.Status, Cell(p.Records), p.Path, p.Error})
	}
	res, id, err := b.run("every source with its SHA-256 (the chain of custody)", "flowir status --sources",
		`SELECT source_id, path, origin, size, sha256, status, lines, records, rejects, ingested_at FROM sources ORDER BY source_id`)
	if err != nil {
		return err
	}
	cu.SourceList = TableOf("sources", "Sources", "SHA-256 of the bytes as stored, as hashed while they were read.", res, id)
	return nil
}

// traffic draws accepted and rejected bytes and records over time.
func (b *builder) traffic() error {
	win, args := b.window("")
	res, _, err := b.run("records in the window and their time range", "flowir query record-count"+b.windowFlags(),
		`SELECT count(*) AS records, min(start) AS first_start, max("end") AS last_end FROM flows WHERE `+win, args...)
	if err != nil {
		return err
	}
	row := res.Rows[0]
	b.rep.Records = int64(number(row[0]))
	if b.rep.Records == 0 || row[1] == nil {
		return nil
	}
	first, last := int64(number(row[1])), int64(number(row[2]))
	b.rep.First, b.rep.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	lo, hi := first, last
	if b.opt.Since != 0 && b.opt.Since > lo {
		lo = b.opt.Since
	}
	if b.opt.Until != 0 && b.opt.Until < hi {
		hi = b.opt.Until
	}
	step := bucketFor(time.Duration(max(hi-lo, 1))*time.Second, 120)
	sec := int64(step / time.Second)
	res, _, err = b.run("traffic over time: accepted and rejected records and bytes per bucket of record start (records starting before --since count in the first bucket)", "",
		`SELECT (greatest(start, ?) // ?) * ? AS bucket,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted_records,
  count(*) FILTER (WHERE action = 'REJECT') AS rejected_records,
  coalesce(sum(bytes) FILTER (WHERE action = 'ACCEPT'), 0) AS accepted_bytes,
  coalesce(sum(bytes) FILTER (WHERE action = 'REJECT'), 0) AS rejected_bytes
FROM flows WHERE start IS NOT NULL AND `+win+` GROUP BY 1 ORDER BY 1`, append([]any{lo, sec, sec}, args...)...)
	if err != nil {
		return err
	}
	byBucket := map[int64][]any{}
	for _, r := range res.Rows {
		byBucket[int64(number(r[0]))] = r
	}
	bytes := &Chart{ID: "traffic-bytes", Title: "Bytes over time", Unit: "bytes", Step: step,
		Series: []Series{{Name: "accepted", Class: "accepted"}, {Name: "rejected", Class: "rejected"}}}
	recs := &Chart{ID: "traffic-records", Title: "Records over time", Unit: "records", Step: step,
		Series: []Series{{Name: "accepted", Class: "accepted"}, {Name: "rejected", Class: "rejected"}}}
	for t := lo / sec * sec; t <= hi; t += sec {
		r := byBucket[t]
		get := func(i int) float64 {
			if r == nil {
				return 0
			}
			return number(r[i])
		}
		for _, ch := range []*Chart{bytes, recs} {
			ch.Start = append(ch.Start, time.Unix(t, 0).UTC())
		}
		recs.Series[0].Values = append(recs.Series[0].Values, get(1))
		recs.Series[1].Values = append(recs.Series[1].Values, get(2))
		bytes.Series[0].Values = append(bytes.Series[0].Values, get(3))
		bytes.Series[1].Values = append(bytes.Series[1].Values, get(4))
	}
	b.rep.Traffic = []*Chart{bytes, recs}
	return nil
}

// catalog runs a named query of the catalog with the report's window.
func (b *builder) catalog(name, id, title string) error {
	q, err := analysis.Find(name)
	if err != nil {
		return err
	}
	bounds := analysis.Bounds{Limit: b.opt.Limit}
	if b.opt.Since != 0 {
		bounds.Since = time.Unix(b.opt.Since, 0)
	}
	if b.opt.Until != 0 {
		bounds.Until = time.Unix(b.opt.Until, 0)
	}
	sqlText, args, err := q.Render(analysis.DuckDB, "flows", nil, bounds)
	if err != nil {
		return err
	}
	res, qid, err := b.run(q.Description, fmt.Sprintf("flowir query %s%s --limit %d", q.Name, b.windowFlags(), b.opt.Limit), sqlText, args...)
	if err != nil {
		return err
	}
	b.rep.Tables = append(b.rep.Tables, TableOf(id, title, q.Notes, res, qid))
	return nil
}

func (b *builder) talkers() error {
	if err := b.catalog("top-talkers", "top-talkers", "Top talkers"); err != nil {
		return err
	}
	return b.catalog("total-bytes-transferred", "top-pairs", "Top pairs")
}

// ports ranks destination ports by records.
func (b *builder) ports() error {
	win, args := b.window("")
	res, id, err := b.run("top destination ports by records", "",
		`SELECT protocol, dstport, count(*) AS records, coalesce(sum(bytes), 0) AS total_bytes,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted, count(*) FILTER (WHERE action = 'REJECT') AS rejected,
  count(DISTINCT srcaddr) AS sources, count(DISTINCT dstaddr) AS destinations
FROM flows WHERE dstport IS NOT NULL AND `+win+`
GROUP BY protocol, dstport ORDER BY records DESC, protocol, dstport LIMIT ?`, append(args, b.opt.Limit)...)
	if err != nil {
		return err
	}
	b.rep.Tables = append(b.rep.Tables, TableOf("top-ports", "Top destination ports",
		"By records. A reply goes to its client's ephemeral port, so replies spread over many ports and rarely rank; a port here is mostly a service port asked for (or scanned).", res, id))
	return nil
}

// internalExternal splits the traffic by whether each side is internal:
// the private ranges, the inventory's VPC CIDRs and Options.Internal,
// decided by CIDR in Go (analysis.NetClass) on the case's distinct
// addresses, which then travel to DuckDB as a temporary table.
func (b *builder) internalExternal() error {
	ranges := append(analysis.DefaultInternal(), b.opt.Internal...)
	cidrs, err := b.c.VPCCIDRs(b.ctx)
	if err != nil {
		return fmt.Errorf("report: VPC CIDRs: %w", err)
	}
	for _, v := range cidrs {
		if p, err := netip.ParsePrefix(v.CIDR); err == nil {
			ranges = append(ranges, analysis.NetRange{Prefix: p.Masked(), Label: "inventory " + v.VpcID})
		}
	}
	nc := analysis.NewNetClass(ranges)
	s, err := b.c.NewSession(b.ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	addrs, err := analysis.CaseAddresses(b.ctx, s)
	if err != nil {
		return err
	}
	b.note(Query{Purpose: "the case's distinct addresses, classified internal by CIDR in Go", SQL: analysis.DistinctAddressesSQL})
	var internal []string
	for _, a := range addrs {
		if nc.InternalText(a) {
			internal = append(internal, a)
		}
	}
	if err := s.LoadAddressTable(b.ctx, "report_internal", internal, nil); err != nil {
		return err
	}
	var labels []string
	for _, r := range ranges {
		labels = append(labels, r.Prefix.String())
	}
	win, args := b.window("")
	q := `SELECT CASE WHEN si AND di THEN 'internal -> internal' WHEN si THEN 'internal -> external'
    WHEN di THEN 'external -> internal' ELSE 'external -> external' END AS direction,
  count(*) AS records, coalesce(sum(bytes), 0) AS total_bytes,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted, count(*) FILTER (WHERE action = 'REJECT') AS rejected
FROM (SELECT srcaddr IN (SELECT addr FROM report_internal) AS si, dstaddr IN (SELECT addr FROM report_internal) AS di, bytes, action
  FROM flows WHERE srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND ` + win + `)
GROUP BY 1 ORDER BY 1`
	id := b.note(Query{Purpose: "internal vs external: report_internal holds the case's addresses inside " + strings.Join(labels, ", "), SQL: q, Args: argTexts(args)})
	res, err := s.Query(b.ctx, q, args...)
	if err != nil {
		return fmt.Errorf("report: internal vs external: %w", err)
	}
	b.rep.Tables = append(b.rep.Tables, TableOf("internal-external", "Internal and external traffic",
		"Internal: "+strings.Join(labels, ", ")+". Traffic between two monitored interfaces is logged by both.", res, id))
	return nil
}

func argTexts(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = argText(a)
	}
	return out
}

// gaps lists the hours without records per account and per interface,
// between the first and last hour each has records in the window. AWS
// writes a NODATA record for an interval without traffic, so an hour with no
// record at all is a gap in the logs, not a quiet host.
func (b *builder) gaps() error {
	win, args := b.window("")
	res, id, err := b.run("coverage gaps: hours without any record, per account and interface, between the first and last hour each has records", "",
		`SELECT coalesce(account_id, account_partition) AS account, interface_id,
  to_timestamp(min(start // 3600) * 3600) AS first_hour, to_timestamp(max(start // 3600) * 3600) AS last_hour,
  count(DISTINCT start // 3600) AS hours_with_records,
  max(start // 3600) - min(start // 3600) + 1 - count(DISTINCT start // 3600) AS hours_without_records,
  count(DISTINCT start // 3600) FILTER (WHERE log_status = 'SKIPDATA') AS skipdata_hours
FROM flows WHERE start IS NOT NULL AND `+win+`
GROUP BY 1, 2 HAVING hours_without_records > 0 OR skipdata_hours > 0
ORDER BY hours_without_records DESC, skipdata_hours DESC, 1, 2 LIMIT 20`, args...)
	if err != nil {
		return err
	}
	b.rep.Custody.Gaps = TableOf("gaps", "Coverage gaps", "Interfaces with hours without any record between their first and last hour with records (AWS writes NODATA for quiet intervals, so an hour without any record is missing logs), or with SKIPDATA records (AWS dropped records). At most 20, most gaps first.", res, id)
	if len(res.Rows) == 0 {
		b.rep.Custody.GapsNote = "No gaps: every interface has records in every hour between its first and last."
	}
	return nil
}

func (b *builder) findings() error {
	fs, err := b.c.Findings(b.ctx, nil)
	if err != nil {
		return fmt.Errorf("report: findings: %w", err)
	}
	b.note(Query{Purpose: "stored findings (flowir detect), by severity", Command: "flowir findings --format json"})
	if len(fs) == 0 {
		b.rep.FindingsNote = "No findings stored: run 'flowir detect'."
		return nil
	}
	var kept []store.FindingRow
	for _, f := range fs {
		if b.opt.Since != 0 && f.LastSeen.Unix() < b.opt.Since || b.opt.Until != 0 && f.FirstSeen.Unix() >= b.opt.Until {
			continue
		}
		kept = append(kept, f)
	}
	b.rep.FindingsNote = fmt.Sprintf("%d of %d stored findings overlap the window.", len(kept), len(fs))
	if len(kept) > 0 && b.opt.Parts&PartTimelines != 0 {
		b.note(Query{Purpose: fmt.Sprintf("each finding's timeline (the first %d findings): its evidence_sql in place of EVIDENCE_SQL", b.opt.Timelines), SQL: timelineSQL})
	}
	for i, f := range kept {
		out := Finding{ID: f.ID, Rule: f.Rule, Severity: f.Severity, Technique: f.Technique, Actor: f.Src, Target: f.Dst,
			Protocol: protoName(f.Protocol), Direction: f.Direction, FirstSeen: f.FirstSeen, LastSeen: f.LastSeen,
			Records: f.Records, Bytes: f.Bytes, Summary: f.Summary, EvidenceSQL: f.EvidenceSQL, Suppressed: f.SuppressedBy}
		if f.DstPort != nil {
			out.Port = strconv.Itoa(*f.DstPort)
		}
		if i < b.opt.Timelines && b.opt.Parts&PartTimelines != 0 {
			ch, err := FindingTimeline(b.ctx, b.c, f)
			if err != nil {
				return err
			}
			out.Timeline = ch
		}
		b.rep.Findings = append(b.rep.Findings, out)
	}
	return nil
}

// timelineSQL counts a finding's evidence records per bucket.
const timelineSQL = `SELECT (start // ?) * ? AS bucket, count(*) AS records, coalesce(sum(bytes), 0) AS bytes FROM (EVIDENCE_SQL) e WHERE start IS NOT NULL GROUP BY 1 ORDER BY 1`

// FindingTimeline counts a finding's evidence records over time, in at most
// 40 buckets over its first..last seen.
func FindingTimeline(ctx context.Context, c *store.Case, f store.FindingRow) (*Chart, error) {
	step := bucketFor(f.LastSeen.Sub(f.FirstSeen)+time.Second, 40)
	sec := int64(step / time.Second)
	ev := strings.TrimRight(strings.TrimSpace(f.EvidenceSQL), ";")
	res, err := c.Query(ctx, strings.Replace(timelineSQL, "EVIDENCE_SQL", ev, 1), sec, sec)
	if err != nil {
		return nil, fmt.Errorf("report: timeline of finding %s: %w", f.ID, err)
	}
	ch := &Chart{ID: "finding-" + f.ID, Title: "Evidence records over time", Unit: "records", Step: step,
		Series: []Series{{Name: "evidence", Class: "evidence"}}}
	if len(res.Rows) == 0 {
		return ch, nil
	}
	got := map[int64]float64{}
	for _, r := range res.Rows {
		got[int64(number(r[0]))] = number(r[1])
	}
	lo, hi := int64(number(res.Rows[0][0])), int64(number(res.Rows[len(res.Rows)-1][0]))
	for t := lo; t <= hi; t += sec {
		ch.Start = append(ch.Start, time.Unix(t, 0).UTC())
		ch.Series[0].Values = append(ch.Series[0].Values, got[t])
	}
	return ch, nil
}

func protoName(p int) string {
	if n, ok := flow.ProtocolName(p); ok {
		return n
	}
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

func (b *builder) iocs() error {
	entries, err := b.c.IOCs(b.ctx)
	if err != nil {
		return fmt.Errorf("report: IOCs: %w", err)
	}
	if len(entries) == 0 {
		b.rep.IOCNote = "No IOC list loaded: run 'flowir ioc FILE'."
		return nil
	}
	sums, err := b.c.IOCSummaries(b.ctx, b.opt.Since, b.opt.Until)
	if err != nil {
		return fmt.Errorf("report: IOC hits: %w", err)
	}
	id := b.note(Query{Purpose: "IOC hits: per loaded indicator, the records touching it", Command: "flowir ioc" + b.windowFlags() + " (and 'flowir ioc --detail' for the rows)"})
	t := &Table{ID: "ioc-hits", Title: "IOC hits", Query: id,
		Note:    fmt.Sprintf("%d indicators loaded; those with records in the window. Direction is seen from the monitored network: inbound records come from the indicator, outbound go to it. As of the last 'flowir ioc' run (rerun it after an ingest).", len(entries)),
		Columns: []string{"threat_ip", "threat_comment", "records", "inbound", "outbound", "accepted", "rejected", "bytes_in", "bytes_out", "first_seen", "last_seen", "internal_hosts", "via_nat"},
		Numeric: []bool{false, false, true, true, true, true, true, true, true, false, false, false, false}}
	for _, s := range sums {
		if s.Records == 0 && s.PktRecords == 0 {
			continue
		}
		t.Rows = append(t.Rows, []string{s.ThreatIP, s.Comment, Cell(s.Records), Cell(s.Inbound), Cell(s.Outbound), Cell(s.Accepted), Cell(s.Rejected),
			Cell(s.BytesIn), Cell(s.BytesOut), Cell(s.FirstSeen), Cell(s.LastSeen), strings.Join(s.Hosts, ", "), strings.Join(s.NAT, ", ")})
	}
	b.rep.IOCHits = t
	return nil
}

// exposure lists what the newest inventory snapshot exposes to the
// internet, with the accepted inbound records seen, as 'flowir inventory
// exposed' does.
func (b *builder) exposure() error {
	id, err := b.c.LatestInventoryID(b.ctx)
	if errors.Is(err, store.ErrNoInventory) {
		b.rep.ExposureNote = "No inventory loaded: run 'flowir inventory import' to see what is exposed."
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: inventory: %w", err)
	}
	inv, meta, err := b.c.LoadInventory(b.ctx, id)
	if err != nil {
		return fmt.Errorf("report: inventory: %w", err)
	}
	rep := inv.Evaluate()
	internal := inv.NewInternal()
	qid := b.note(Query{Purpose: "exposure: interfaces and ports reachable from the internet, with accepted inbound records from external addresses", Command: "flowir inventory exposed"})
	t := &Table{ID: "exposure", Title: "Exposure", Query: qid,
		Note:    fmt.Sprintf("Inventory snapshot %d taken %s.", meta.ID, meta.TakenAt.UTC().Format(time.RFC3339)),
		Columns: []string{"interface_id", "owner", "vpc_id", "protocol", "ports", "sources", "public_ips", "path", "seen_records", "seen_sources", "top_source"},
		Numeric: []bool{false, false, false, false, false, false, false, false, true, true, false}}
	for i := range rep.Exposures {
		e := &rep.Exposures[i]
		aggs, err := b.c.InboundSources(b.ctx, e.FlowQuery())
		if err != nil {
			return fmt.Errorf("report: exposure of %s: %w", e.InterfaceID, err)
		}
		e.Seen = inventory.SummarizeSeen(aggs, internal)
		owner := strings.TrimSpace(e.OwnerType + " " + e.OwnerID + " " + e.OwnerName)
		var recs, srcs, top string
		if e.Seen != nil {
			recs, srcs, top = Cell(e.Seen.Records), Cell(e.Seen.Sources), e.Seen.TopSource
		}
		t.Rows = append(t.Rows, []string{e.InterfaceID, owner, e.VpcID, e.Protocol, e.Ports, e.Sources, strings.Join(e.PublicIPs, ", "), e.Path, recs, srcs, top})
	}
	b.rep.Exposure = t
	return nil
}
