package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/flowir/flowir/internal/flow"
)

// Source describes one piece of evidence being ingested: a file, an S3 object
// or a CloudWatch Logs stream.
type Source struct {
	Path   string // file path, s3://bucket/key or cwl://group/stream
	Origin string // "file", "s3", "cwl"
	ETag   string
	Size   int64
	SHA256 string // hex SHA-256 of the bytes as stored
	Format string // container and record format, e.g. "text+gzip"

	// Partition values for every record of the source, from the S3 key layout
	// or the AWS file name ("" when unknown: stored as NULL).
	Account, Region, Date, Hour string

	// Replaces lists earlier partial or failed ingests of the same path with
	// other content (see Case.Known): committing this source supersedes them.
	Replaces []Prior

	// Since and Until are the record window of a windowed ingest (records
	// with end >= Since and start < Until were kept); zero is unbounded.
	Since, Until time.Time
}

// checkPartitions refuses partition values that are not an account id, a
// Region name, a yyyy/MM/dd date and an hour: they are stored with every
// record (and spooled as text), so one of another shape would be a wrong
// value on each of them, or one the spool cannot carry.
func (s Source) checkPartitions() error {
	for _, p := range []struct {
		name, v string
		ok      func(string) bool
		want    string
	}{
		{"account", s.Account, flow.ValidAccount, "a 12-digit account id"},
		{"Region", s.Region, flow.ValidRegion, "a Region name such as us-east-1"},
		{"date", s.Date, flow.ValidDate, "a date written yyyy/MM/dd"},
		{"hour", s.Hour, flow.ValidHour, "an hour 00 to 23"},
	} {
		if p.v != "" && !p.ok(p.v) {
			return fmt.Errorf("%s: its %s partition %q is not %s", s.Path, p.name, p.v, p.want)
		}
	}
	return nil
}

// Source statuses.
const (
	StatusComplete   = "complete"
	StatusPartial    = "partial"    // read up to damage (a truncated gzip, say); records before it kept
	StatusFailed     = "failed"     // nothing could be read
	StatusSuperseded = "superseded" // a partial copy later replaced by a complete one
)

// Stats is what reading a source produced.
type Stats struct {
	Lines, Records, Rejects, Headers int64
	OutOfWindow                      int64  // records left out by the source's window: lines = records + rejects + headers + out-of-window
	LogFormat                        string // last record format seen
	Status                           string
	Error                            string // why the source is partial or failed
	// ContentSHA256 is the SHA-256 of the content decoded, for a complete
	// source (see sources.go).
	ContentSHA256 string
}

// Prior is an earlier ingest of the same content.
type Prior struct {
	ID      int64
	Path    string
	SHA256  string
	Status  string
	Records int64
}

// RecordFailure stores a source that could not be read at all, so the chain of
// custody shows the attempt; a later successful ingest of the same path
// removes it.
func (c *Case) RecordFailure(ctx context.Context, src Source, errMsg string) error {
	row := sourceRow(c.newSourceID(), src, Stats{Status: StatusFailed, Error: errMsg}, time.Now().UTC())
	_, err := c.db.ExecContext(ctx, sourcesInsert+sourcesTuple, row...)
	return err
}

// newSourceID allocates a source_id. Only one process writes to a case (the
// database lock sees to that), so a counter loaded at open is enough and
// saves a query per source.
func (c *Case) newSourceID() int64 { return c.lastID.Add(1) }

// Version is the flowir version recorded with every source; set by main.
var Version = "dev"

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Batch is one transaction that loads one or more sources. Each source's
// records, rejects and sources row become visible together when the batch
// commits, or not at all: an ingest that dies leaves no half-loaded source,
// and rerunning it loads the uncommitted sources again from the start.
//
// Records are spooled to files while sources are read; the transaction
// begins when the batch first needs it: at its first reject or JSON record,
// or at commit, which for clean text logs is when the spooled records are
// loaded. A transaction sees only the tables that existed when it began, so
// beginning late lets a batch store a log format it was the first to meet
// in that format's narrow table (layout.go), created just before.
//
// Grouping small sources in one transaction is what makes a bucket of
// thousands of 5-minute files fast: a commit costs a WAL sync, and AWS writes
// one object per flow log every 5 minutes. Sources stay atomic: a source is
// either entirely in a committed batch or not in the case.
type Batch struct {
	ctx     context.Context
	c       *Case
	conn    *tx
	dir     string // spool directory of this batch, inside the case
	apps    map[appKey]*plan
	rej     *duckdb.Appender
	ipCache map[string]string // IPv6 text -> canonical form
	intern  map[string]driver.Value
	pending []pendingSource
	records int64
	narrow  map[appKey]string // the narrow tables the transaction sees, once begun
	started time.Time
	done    bool
}

type pendingSource struct {
	id      int64
	src     Source
	stats   Stats
	notKept map[string]int64 // rejects beyond RejectsKept, by reason
}

// appKey identifies a column set: which known fields a record format has,
// whether it has unknown ones, and which table it goes to.
type appKey struct {
	present uint64
	extra   bool
	tgw     bool
}

// plan spools the records of one column set of a batch to a file, as
// tab-separated text of already validated and typed values (empty for NULL),
// which the batch loads at commit with DuckDB's own CSV reader:
//
//	INSERT INTO flows_... (cols...) SELECT * FROM read_csv(spool, columns = {...})
//
// This is the fastest bulk path the Go driver offers: its appender costs a
// cgo call per text value and per NULL, several microseconds per record,
// while DuckDB's reader loads the same rows in bulk, in parallel, in C++. The
// spool also keeps ingest's memory bounded by the file buffers, not by the
// size of a batch. Values never contain tabs, newlines or carriage returns,
// nor invalid UTF-8 (the decoder splits lines on blanks and refuses control
// characters and invalid UTF-8 in every field; spoolable checks each row),
// so no quoting is needed, and no value is empty, so an empty field is NULL.
// The spool's path is passed to DuckDB as one file, never as a pattern
// (fileArg).
type plan struct {
	key  appKey
	ids  []flow.FieldID // the fields spooled, in order
	cols []column       // the spool's columns (setColumns)
	path string
	file *os.File
	w    *bufio.Writer
	line []byte
	n    int64 // bytes written to the spool so far
}

// BeginBatch starts a batch of sources; its transaction begins when it is
// first needed (see Batch).
func (c *Case) BeginBatch(ctx context.Context) (*Batch, error) {
	if c.ReadOnly {
		return nil, errors.New("case is open read-only")
	}
	dir, err := os.MkdirTemp(c.spoolDir(), "batch-")
	if err != nil {
		return nil, fmt.Errorf("create spool directory in the case: %w", err)
	}
	return &Batch{ctx: ctx, c: c, dir: dir, ipCache: map[string]string{}, intern: map[string]driver.Value{}, apps: map[appKey]*plan{}, started: time.Now()}, nil
}

// begin begins the batch's transaction, once: first the narrow tables of
// the column sets spooled so far are created, so that the transaction sees
// them.
func (b *Batch) begin() error {
	if b.conn != nil {
		return nil
	}
	keys := make([]appKey, 0, len(b.apps))
	for k := range b.apps {
		keys = append(keys, k)
	}
	// Without a narrow table the records go to flows_wide: slower, not
	// wrong, so a failure to create one does not fail the batch.
	_ = b.c.addNarrow(b.ctx, keys)
	b.narrow = b.c.narrowTableNames()
	conn, err := b.c.beginTx(b.ctx)
	if err != nil {
		return err
	}
	b.conn = conn
	err = conn.Raw(func(dc any) error {
		var err error
		b.rej, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "rejects")
		return err
	})
	if err != nil {
		return fmt.Errorf("open appenders: %w", err)
	}
	return nil
}

// Sources is the number of sources in the batch; Records their records so
// far; Age the time since the batch began. The caller commits on these.
func (b *Batch) Sources() int       { return len(b.pending) }
func (b *Batch) Records() int64     { return b.records }
func (b *Batch) Age() time.Duration { return time.Since(b.started) }

// SourceWriter writes one source of a batch.
type SourceWriter struct {
	b     *Batch
	id    int64
	idVal driver.Value
	src   Source
	part  [4]string // account, region, date, hour partition values
	last  *plan
	done  bool
	// marks are the spool sizes when the source began and records the
	// records it added: what Discard takes back.
	marks   map[*plan]int64
	records int64
	// kept counts the rejects stored as rows; notKept those beyond
	// RejectsKept, by reason.
	kept    int64
	notKept map[string]int64
}

// BeginSource adds src to the batch. Call Finish (or Discard) before
// beginning the next source of the same batch. A source whose partition
// values are not what AWS's layouts hold is refused here, before anything
// of it is written: nothing of the batch is lost.
func (b *Batch) BeginSource(src Source) (*SourceWriter, error) {
	if err := src.checkPartitions(); err != nil {
		return nil, err
	}
	w := &SourceWriter{b: b, src: src, part: [4]string{src.Account, src.Region, src.Date, src.Hour}, marks: make(map[*plan]int64, len(b.apps))}
	w.id = b.c.newSourceID()
	w.idVal = int32(w.id)
	for _, p := range b.apps {
		w.marks[p] = p.n
	}
	return w, nil
}

// Discard takes the source's records and rejects back out of the batch, as
// if it had never begun: what an ingest does with a source it read and then
// found it must not keep (its content turned out to be in the case already,
// or the file changed while it was read). The batch goes on with its other
// sources. An error means the batch's state is unknown: abort it.
func (w *SourceWriter) Discard() error {
	if w.done {
		return errors.New("source already finished or discarded")
	}
	w.done = true
	b := w.b
	for _, p := range b.apps {
		mark := w.marks[p] // 0 for a spool the source began
		if p.n == mark {
			continue
		}
		if err := p.w.Flush(); err != nil {
			return fmt.Errorf("discard source %d: write spool file: %w", w.id, err)
		}
		if err := p.file.Truncate(mark); err != nil {
			return fmt.Errorf("discard source %d: %w", w.id, err)
		}
		if _, err := p.file.Seek(mark, io.SeekStart); err != nil {
			return fmt.Errorf("discard source %d: %w", w.id, err)
		}
		p.n = mark
	}
	b.records -= w.records
	if b.conn == nil {
		return nil // no reject or JSON record was stored: nothing else to take back
	}
	if b.rej != nil {
		if err := b.rej.Flush(); err != nil {
			return fmt.Errorf("discard source %d: %w", w.id, err)
		}
	}
	for _, t := range []string{"rejects", "jsonflows"} {
		if _, err := b.conn.ExecContext(b.ctx, `DELETE FROM `+t+` WHERE source_id = ?`, w.id); err != nil {
			return fmt.Errorf("discard source %d: %w", w.id, err)
		}
	}
	return nil
}

func (b *Batch) planFor(key appKey) (*plan, error) {
	if p := b.apps[key]; p != nil {
		return p, nil
	}
	p := &plan{key: key}
	p.ids, p.cols = setColumns(key)
	f, err := os.CreateTemp(b.dir, "records-*.tsv")
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	p.path, p.file, p.w = f.Name(), f, bufio.NewWriterSize(f, 256<<10)
	b.apps[key] = p
	return p, nil
}

// load inserts the spooled rows into the plan's table, in the batch's
// transaction: tgwflow, or for VPC records the narrow table of their column
// set, if the transaction sees one, else flows_wide.
func (p *plan) load(ctx context.Context, conn *sql.Conn, narrow map[appKey]string) error {
	table := "tgwflow"
	if !p.key.tgw {
		if table = narrow[p.key]; table == "" {
			table = wideTable
		}
	}
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("write spool file: %w", err)
	}
	if err := p.file.Close(); err != nil {
		return fmt.Errorf("write spool file: %w", err)
	}
	names := make([]string, len(p.cols))
	types := make([]string, len(p.cols))
	for i, c := range p.cols {
		names[i] = Quote(c.name)
		types[i] = fmt.Sprintf("'c%d': '%s'", i, c.typ)
	}
	spool, err := fileArg(p.path)
	if err != nil {
		return err
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s) SELECT * FROM read_csv(%s, delim = '\t', header = false, quote = '', escape = '',
		nullstr = '', auto_detect = false, strict_mode = true, columns = {%s})`,
		table, strings.Join(names, ", "), spool, strings.Join(types, ", "))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("load records into %s: %w", table, err)
	}
	return nil
}

// ID is the source_id the source's rows carry.
func (w *SourceWriter) ID() int64 { return w.id }

// str returns the boxed string value of v for an appender, reusing earlier
// boxes: text values repeat heavily, and boxing a fresh string for every
// value would otherwise be a large part of an appender's cost.
func (b *Batch) str(v []byte) driver.Value {
	if x, ok := b.intern[string(v)]; ok {
		return x
	}
	if len(b.intern) >= 1<<17 {
		clear(b.intern)
	}
	s := string(v)
	var x driver.Value = s
	b.intern[s] = x
	return x
}

// ip appends an address field: IPv6 addresses are stored in their canonical
// form (RFC 5952, as net/netip prints them), so that one address written two
// ways is one address in every query; IPv4 text is canonical already (the
// decoder refuses leading zeros).
func (b *Batch) ip(dst, v []byte) []byte {
	if bytes.IndexByte(v, ':') < 0 {
		return append(dst, v...)
	}
	if c, ok := b.ipCache[string(v)]; ok {
		return append(dst, c...)
	}
	a, err := netip.ParseAddr(string(v))
	if err != nil {
		return append(dst, v...)
	}
	if len(b.ipCache) >= 1<<16 {
		clear(b.ipCache)
	}
	c := a.String()
	b.ipCache[string(v)] = c
	return append(dst, c...)
}

var vpcIDs, tgwIDs = func() (v, t []flow.FieldID) {
	for _, f := range flow.All() {
		if f.VPC {
			v = append(v, f.ID)
		}
		if f.TGW {
			t = append(t, f.ID)
		}
	}
	return
}()

// AddRecord stores one record. Transit Gateway records go to `tgwflow`, VPC
// records to `flows`. present is the set of known fields of the record's
// format (flow.Format.Mask); with the record's own NULLs it decides the
// columns written.
func (w *SourceWriter) AddRecord(r *flow.Record, line int64, tgw bool, present uint64) error {
	b := w.b
	key := appKey{present: present, extra: len(r.ExtraNames) > 0, tgw: tgw}
	p := w.last
	if p == nil || p.key != key {
		var err error
		if p, err = b.planFor(key); err != nil {
			return err
		}
		w.last = p
	}
	buf := p.line[:0]
	for _, id := range p.ids {
		if r.Has(id) {
			switch flow.Get(id).Kind {
			case flow.KindInt32, flow.KindInt64:
				buf = strconv.AppendInt(buf, r.Num[id], 10)
			case flow.KindIP:
				buf = b.ip(buf, r.Str[id])
			default:
				buf = append(buf, r.Str[id]...)
			}
		}
		buf = append(buf, '\t')
	}
	if key.extra {
		buf = append(buf, extraJSON(r)...)
		buf = append(buf, '\t')
	}
	for _, v := range w.part {
		buf = append(buf, v...)
		buf = append(buf, '\t')
	}
	buf = strconv.AppendInt(buf, w.id, 10)
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, line, 10)
	p.line = buf
	if err := spoolable(buf, len(p.cols)); err != nil {
		return fmt.Errorf("line %d: %w", line, err)
	}
	buf = append(buf, '\n')
	p.line = buf
	if _, err := p.w.Write(buf); err != nil {
		return fmt.Errorf("spool record of line %d: %w", line, err)
	}
	p.n += int64(len(buf))
	b.records++
	w.records++
	return nil
}

// spoolable checks a spool row (without its newline) before it is written:
// ncols values separated by tabs, no newline or carriage return, valid
// UTF-8 — what DuckDB's CSV reader loads back exactly, with quoting off. The
// decoder refuses control characters and invalid UTF-8 in every field and
// BeginSource every partition value of another shape, so a row that fails
// here is a bug; it is reported at its record, with the value, rather than
// as a CSV error at the batch's load.
func spoolable(row []byte, ncols int) error {
	if n := bytes.Count(row, []byte{'\t'}); n != ncols-1 || bytes.ContainsAny(row, "\r\n") || !utf8.Valid(row) {
		return fmt.Errorf("internal error: a value holds a tab, newline, carriage return or invalid UTF-8, which the record spool cannot carry: %q", row)
	}
	return nil
}

// extraJSON renders the fields flowir does not know as a JSON object keyed by
// their AWS names, or nil when there are none.
func extraJSON(r *flow.Record) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range r.ExtraNames {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		if r.Extra[i] == nil {
			b.WriteString("null")
		} else {
			v, _ := json.Marshal(string(r.Extra[i]))
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// RejectsKept is how many rejected lines of one source are kept as rows of
// table rejects, with their text; the rest are counted by reason in table
// rejects_not_kept. AWS never writes a line that is not a record, so a few
// rejects are worth reading one by one, and thousands are one problem seen
// many times (a file in another format, a damaged download). Without a cap
// 100 KB of gzipped newlines became 105 million rows (issue 17.20).
const RejectsKept = 10_000

// AddReject stores a line that is not a record, with the reason and the line
// itself as evidence; past the source's first RejectsKept rejects it only
// counts the line under its reason.
func (w *SourceWriter) AddReject(line int64, reason, detail string, raw []byte) error {
	if w.kept >= RejectsKept {
		if w.notKept == nil {
			w.notKept = map[string]int64{}
		}
		w.notKept[reason]++
		return nil
	}
	w.kept++
	if err := w.b.begin(); err != nil {
		return fmt.Errorf("store reject of line %d: %w", line, err)
	}
	if err := w.b.rej.AppendRow(w.idVal, line, reason, detail, EscapeRaw(raw)); err != nil {
		return fmt.Errorf("store reject of line %d: %w", line, err)
	}
	return nil
}

// EscapeRaw makes raw bytes storable as text without losing information:
// valid UTF-8 is kept, every invalid byte becomes \xNN and a backslash \\.
func EscapeRaw(raw []byte) string {
	if utf8.Valid(raw) && !strings.ContainsRune(string(raw), 0) {
		return string(raw)
	}
	var b strings.Builder
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		switch {
		case r == utf8.RuneError && n <= 1, r == 0:
			fmt.Fprintf(&b, `\x%02x`, raw[0])
			n = 1
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.Write(raw[:n])
		}
		raw = raw[n:]
	}
	return b.String()
}

// Supersede adds earlier sources that this one replaces when it commits
// (see Source.Replaces): what an ingest decides once it knows how the
// source ended (a complete copy supersedes a partial one).
func (w *SourceWriter) Supersede(p ...Prior) { w.src.Replaces = append(w.src.Replaces, p...) }

// Finish records the source's statistics; its sources row is written when
// the batch commits.
func (w *SourceWriter) Finish(st Stats) {
	if w.done {
		return
	}
	w.done = true
	w.b.pending = append(w.b.pending, pendingSource{id: w.id, src: w.src, stats: st, notKept: w.notKept})
}

// RejectsNotKept is the number of the source's rejects counted but not kept
// as rows (see RejectsKept).
func (w *SourceWriter) RejectsNotKept() int64 {
	var n int64
	for _, c := range w.notKept {
		n += c
	}
	return n
}

// Commit stores the sources rows and makes every source of the batch
// visible. A partial copy ingested earlier under the same path as a source of
// the batch is superseded: its records and rejects are removed in the same
// transaction, so that replacing a damaged download with a good one never
// counts records twice. Earlier failures of the same paths are forgotten.
func (b *Batch) Commit() error {
	if b.done {
		return errors.New("batch already committed or aborted")
	}
	if err := b.begin(); err != nil {
		b.Abort()
		return err
	}
	for _, p := range b.plans() {
		if err := p.load(b.ctx, b.conn.Conn, b.narrow); err != nil {
			b.Abort()
			return err
		}
	}
	if err := b.rej.Close(); err != nil {
		b.Abort()
		return fmt.Errorf("store rejects: %w", err)
	}
	b.rej = nil
	now := time.Now().UTC()
	rows := make([][]any, 0, len(b.pending))
	var notKept [][]any
	for _, ps := range b.pending {
		if err := b.supersede(ps); err != nil {
			b.Abort()
			return err
		}
		rows = append(rows, sourceRow(ps.id, ps.src, ps.stats, now))
		for _, reason := range slices.Sorted(maps.Keys(ps.notKept)) {
			notKept = append(notKept, []any{ps.id, reason, ps.notKept[reason]})
		}
	}
	if err := insertRows(b.ctx, b.conn, sourcesInsert, sourcesTuple, rows); err != nil {
		b.Abort()
		return fmt.Errorf("record sources: %w", err)
	}
	if err := insertRows(b.ctx, b.conn, "INSERT INTO rejects_not_kept VALUES ", "(?, ?, ?)", notKept); err != nil {
		b.Abort()
		return fmt.Errorf("record rejects not kept: %w", err)
	}
	if err := b.conn.Commit(); err != nil {
		b.Abort()
		return fmt.Errorf("commit: %w", err)
	}
	b.done = true
	os.RemoveAll(b.dir)
	return nil
}

// plans returns the batch's plans in the same order on every run (VPC
// before Transit Gateway, then by column set), so that loads do too.
func (b *Batch) plans() []*plan {
	ps := make([]*plan, 0, len(b.apps))
	for _, p := range b.apps {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i].key, ps[j].key
		if a.tgw != b.tgw {
			return b.tgw
		}
		if a.present != b.present {
			return a.present < b.present
		}
		return !a.extra && b.extra
	})
	return ps
}

// supersede removes what earlier ingests of the source's path left: a
// failed attempt's sources row, or a partial load's records and rejects (its
// sources row stays, marked superseded, for the chain of custody).
func (b *Batch) supersede(ps pendingSource) error {
	for _, o := range ps.src.Replaces {
		if o.Status == StatusFailed {
			if _, err := b.conn.ExecContext(b.ctx, `DELETE FROM sources WHERE source_id = ?`, o.ID); err != nil {
				return err
			}
			continue
		}
		tables := []string{wideTable, "tgwflow", "jsonflows", "rejects", "rejects_not_kept"}
		for _, t := range b.narrow {
			tables = append(tables, t)
		}
		for _, t := range tables {
			if _, err := b.conn.ExecContext(b.ctx, `DELETE FROM `+t+` WHERE source_id = ?`, o.ID); err != nil {
				return fmt.Errorf("supersede partial source %d: %w", o.ID, err)
			}
		}
		if _, err := b.conn.ExecContext(b.ctx, `UPDATE sources SET status = 'superseded', error = 'replaced by source ' || ? WHERE source_id = ?`, ps.id, o.ID); err != nil {
			return fmt.Errorf("supersede partial source %d: %w", o.ID, err)
		}
	}
	return nil
}

// Abort discards everything written in the batch.
func (b *Batch) Abort() {
	if b.done {
		return
	}
	b.done = true
	for _, a := range b.appenders() {
		a.Clear()
		a.Close()
	}
	for _, p := range b.apps {
		p.file.Close()
	}
	os.RemoveAll(b.dir)
	if b.conn == nil {
		return // the transaction never began
	}
	b.conn.Rollback()
}

func (b *Batch) appenders() []*duckdb.Appender {
	var out []*duckdb.Appender
	for _, a := range []*duckdb.Appender{b.rej} {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}
