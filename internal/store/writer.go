package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
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
	_, err := c.db.ExecContext(ctx, `INSERT INTO sources (source_id, path, origin, etag, size, sha256, format,
		account_partition, region_partition, date_partition, hour_partition,
		lines, records, rejects, headers, status, error, ingested_at, flowir_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, now(), ?)`,
		append(append([]any{c.newSourceID()}, sourceArgs(src)...), StatusFailed, errMsg, Version)...)
	return err
}

// newSourceID allocates a source_id. Only one process writes to a case (the
// database lock sees to that), so a counter loaded at open is enough and
// saves a query per source.
func (c *Case) newSourceID() int64 { return c.lastID.Add(1) }

// Version is the flowir version recorded with every source; set by main.
var Version = "dev"

func sourceArgs(s Source) []any {
	return []any{s.Path, s.Origin, nullStr(s.ETag), s.Size, s.SHA256, nullStr(s.Format),
		nullStr(s.Account), nullStr(s.Region), nullStr(s.Date), nullStr(s.Hour)}
}

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
// Grouping small sources in one transaction is what makes a bucket of
// thousands of 5-minute files fast: a commit costs a WAL sync, and AWS writes
// one object per flow log every 5 minutes. Sources stay atomic: a source is
// either entirely in a committed batch or not in the case.
type Batch struct {
	ctx     context.Context
	c       *Case
	conn    *sql.Conn
	apps    map[appKey]*plan
	rej     *duckdb.Appender
	srcApp  *duckdb.Appender
	intern  map[string]driver.Value
	pending []pendingSource
	records int64
	started time.Time
	done    bool
}

type pendingSource struct {
	id    int64
	src   Source
	stats Stats
}

// appKey identifies an appender: the column set of a record format (which
// known fields it has, whether it has unknown ones, which table).
type appKey struct {
	present uint64
	extra   bool
	tgw     bool
}

// plan is an appender for one appKey. Only the columns a format has are
// appended; the others are left NULL. Every text value (and every NULL)
// handed to the DuckDB appender costs a cgo call, so appending the 20
// columns of a default-format record instead of all 47 is what makes ingest
// fast; and one appender serves every source of the batch with that format,
// since creating one costs more than a small file's records.
type plan struct {
	key appKey
	ids []flow.FieldID
	app *duckdb.Appender
	row []driver.Value
}

// BeginBatch starts a transaction for loading sources.
func (c *Case) BeginBatch(ctx context.Context) (*Batch, error) {
	if c.ReadOnly {
		return nil, errors.New("case is open read-only")
	}
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	b := &Batch{ctx: ctx, c: c, conn: conn, intern: map[string]driver.Value{}, apps: map[appKey]*plan{}, started: time.Now()}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		conn.Close()
		return nil, err
	}
	err = conn.Raw(func(dc any) error {
		var err error
		if b.rej, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "rejects"); err != nil {
			return err
		}
		b.srcApp, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "sources")
		return err
	})
	if err != nil {
		b.Abort()
		return nil, fmt.Errorf("open appenders: %w", err)
	}
	return b, nil
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
	part  [4]driver.Value // account, region, date, hour partition values
	last  *plan
	done  bool
}

// BeginSource adds src to the batch. Call Finish (or Discard) before
// beginning the next source of the same batch.
func (b *Batch) BeginSource(src Source) (*SourceWriter, error) {
	w := &SourceWriter{b: b, src: src}
	for i, v := range []string{src.Account, src.Region, src.Date, src.Hour} {
		if v != "" {
			w.part[i] = b.str([]byte(v))
		}
	}
	w.id = b.c.newSourceID()
	w.idVal = int32(w.id)
	return w, nil
}

func (b *Batch) planFor(key appKey) (*plan, error) {
	if p := b.apps[key]; p != nil {
		return p, nil
	}
	p := &plan{key: key}
	table, all := "flows", vpcIDs
	if key.tgw {
		table, all = "tgwflow", tgwIDs
	}
	var cols []string
	for _, id := range all {
		if key.present&(1<<id) != 0 {
			p.ids = append(p.ids, id)
			cols = append(cols, Quote(flow.Get(id).Column))
		}
	}
	if key.extra {
		cols = append(cols, "extra_fields")
	}
	cols = append(cols, "account_partition", "region_partition", "date_partition", "hour_partition", "source_id", "source_line")
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = strings.Trim(c, `"`)
	}
	err := b.conn.Raw(func(dc any) error {
		var err error
		p.app, err = duckdb.NewAppenderWithColumns(dc.(driver.Conn), "", "", table, names)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open appender on %s: %w", table, err)
	}
	p.row = make([]driver.Value, len(cols))
	b.apps[key] = p
	return p, nil
}

// ID is the source_id the source's rows carry.
func (w *SourceWriter) ID() int64 { return w.id }

// str returns the boxed string value of b, reusing earlier boxes: most text
// fields (account, interface, action, status, addresses) repeat heavily, and
// boxing a fresh string for every field of every record would otherwise be a
// large part of the load.
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

// ip is str for address fields: IPv6 addresses are stored in their canonical
// form (RFC 5952, as net/netip prints them), so that one address written two
// ways is one address in every query; IPv4 text is canonical already (the
// decoder refuses leading zeros).
func (b *Batch) ip(v []byte) driver.Value {
	if x, ok := b.intern[string(v)]; ok {
		return x
	}
	if bytes.IndexByte(v, ':') >= 0 {
		if a, err := netip.ParseAddr(string(v)); err == nil {
			x := driver.Value(a.String())
			if len(b.intern) >= 1<<17 {
				clear(b.intern)
			}
			b.intern[string(v)] = x
			return x
		}
	}
	return b.str(v)
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
	row := p.row
	for i, id := range p.ids {
		if !r.Has(id) {
			row[i] = nil
			continue
		}
		switch flow.Get(id).Kind {
		case flow.KindInt32, flow.KindInt64:
			row[i] = r.Num[id]
		case flow.KindIP:
			row[i] = b.ip(r.Str[id])
		default:
			row[i] = b.str(r.Str[id])
		}
	}
	n := len(p.ids)
	if key.extra {
		row[n] = extraJSON(r)
		n++
	}
	row[n], row[n+1], row[n+2], row[n+3] = w.part[0], w.part[1], w.part[2], w.part[3]
	row[n+4], row[n+5] = w.idVal, line
	if err := p.app.AppendRow(row...); err != nil {
		return fmt.Errorf("store record of line %d: %w", line, err)
	}
	b.records++
	return nil
}

// extraJSON renders the fields flowir does not know as a JSON object keyed by
// their AWS names, or nil when there are none.
func extraJSON(r *flow.Record) driver.Value {
	if len(r.ExtraNames) == 0 {
		return nil
	}
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

// AddReject stores a line that is not a record, with the reason and the line
// itself as evidence.
func (w *SourceWriter) AddReject(line int64, reason, detail string, raw []byte) error {
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

// Finish records the source's statistics; its sources row is written when
// the batch commits.
func (w *SourceWriter) Finish(st Stats) {
	if w.done {
		return
	}
	w.done = true
	w.b.pending = append(w.b.pending, pendingSource{id: w.id, src: w.src, stats: st})
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
	for _, p := range b.apps {
		if err := p.app.Close(); err != nil {
			b.Abort()
			return fmt.Errorf("store records: %w", err)
		}
	}
	b.apps = nil
	if err := b.rej.Close(); err != nil {
		b.Abort()
		return fmt.Errorf("store rejects: %w", err)
	}
	b.rej = nil
	ctx := b.ctx
	now := time.Now().UTC()
	for _, ps := range b.pending {
		if err := b.supersede(ps); err != nil {
			b.Abort()
			return err
		}
		src, st := ps.src, ps.stats
		err := b.srcApp.AppendRow(int32(ps.id), src.Path, src.Origin, nullStr(src.ETag), src.Size, src.SHA256, nullStr(src.Format),
			nullStr(st.LogFormat), nullStr(src.Account), nullStr(src.Region), nullStr(src.Date), nullStr(src.Hour),
			st.Lines, st.Records, st.Rejects, st.Headers, st.Status, nullStr(st.Error), now, Version,
			st.OutOfWindow, nullTime(src.Since), nullTime(src.Until)) // columns added in window.go
		if err != nil {
			b.Abort()
			return fmt.Errorf("record source %s: %w", src.Path, err)
		}
	}
	if err := b.srcApp.Close(); err != nil {
		b.Abort()
		return fmt.Errorf("record sources: %w", err)
	}
	b.srcApp = nil
	if _, err := b.conn.ExecContext(ctx, "COMMIT"); err != nil {
		b.Abort()
		return fmt.Errorf("commit: %w", err)
	}
	b.done = true
	return b.conn.Close()
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
		for _, q := range []string{`DELETE FROM flows WHERE source_id = ?`, `DELETE FROM tgwflow WHERE source_id = ?`, `DELETE FROM jsonflows WHERE source_id = ?`, `DELETE FROM rejects WHERE source_id = ?`} {
			if _, err := b.conn.ExecContext(b.ctx, q, o.ID); err != nil {
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
	// A fresh context: the caller's may be what was cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b.conn.ExecContext(ctx, "ROLLBACK")
	b.conn.Close()
}

func (b *Batch) appenders() []*duckdb.Appender {
	var out []*duckdb.Appender
	for _, p := range b.apps {
		out = append(out, p.app)
	}
	for _, a := range []*duckdb.Appender{b.rej, b.srcApp} {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// Known returns what an ingest run needs to know of earlier ones, loaded once
// instead of queried per file: the complete or partial sources by SHA-256
// (content already in the case), and the partial or failed sources by path
// (what a new copy of that path supersedes).
func (c *Case) Known(ctx context.Context) (content map[string]Prior, byPath map[string][]Prior, err error) {
	rows, err := c.db.QueryContext(ctx, `SELECT source_id, path, sha256, status, records FROM sources
		WHERE status IN ('complete', 'partial', 'failed') ORDER BY source_id`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	content, byPath = map[string]Prior{}, map[string][]Prior{}
	for rows.Next() {
		var p Prior
		if err := rows.Scan(&p.ID, &p.Path, &p.SHA256, &p.Status, &p.Records); err != nil {
			return nil, nil, err
		}
		if p.Status != StatusFailed {
			if _, ok := content[p.SHA256]; !ok {
				content[p.SHA256] = p
			}
		}
		if p.Status != StatusComplete {
			byPath[p.Path] = append(byPath[p.Path], p)
		}
	}
	return content, byPath, rows.Err()
}
