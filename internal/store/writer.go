package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
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
	OutOfWindow                      int64 // records left out by the source's window: lines = records + rejects + headers + out-of-window
	// MillisecondTimes counts the records stored whose start or end is
	// past MillisecondTimeFloor (most likely milliseconds): said at ingest,
	// not stored in sources (status counts them from the records).
	MillisecondTimes int64
	LogFormat        string // last record format seen
	Status           string
	Error            string // why the source is partial or failed
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
// Records are written to Parquet files in the batch's spool folder while
// sources are read (one file per view and partition, see datafiles.go),
// rejects and JSON records to spool files of their own; nothing touches
// the database until Commit. Commit completes the files, moves them into
// data/ and, in one transaction, registers them, loads the rejects and
// JSON records, records the sources and replaces the views. Commits of
// concurrent batches take turns (Case.commitMu): each replaces the views,
// which two open transactions could not both do.
//
// Grouping small sources in one transaction is what makes a bucket of
// thousands of 5-minute files fast: a commit costs a WAL sync, and AWS writes
// one object per flow log every 5 minutes. Sources stay atomic: a source is
// either entirely in a committed batch or not in the case.
type Batch struct {
	ctx       context.Context
	c         *Case
	conn      *tx
	dir       string // spool directory of this batch, inside the case
	token     string // unique part of the names of the batch's files
	files     map[fileKey]*dataFile
	seq       int
	rej       *pqWriter         // rejects, loaded into table rejects at commit
	json      *pqWriter         // JSON records, loaded into table jsonflows at commit
	ipCache   map[string][]byte // IPv6 text -> canonical form
	pending   []pendingSource
	discarded []int64  // sources taken back by Discard
	placed    []string // files moved into data/ by a commit not yet done
	records   int64
	started   time.Time
	done      bool
}

type pendingSource struct {
	id      int64
	src     Source
	stats   Stats
	notKept map[string]int64 // rejects beyond RejectsKept, by reason
}

// fileKey identifies the data file of a batch that a record goes to: its
// view and its partition values.
type fileKey struct {
	tgw                   bool
	account, region, date string
}

// dataFile is a data file a batch writes.
type dataFile struct {
	*pqWriter
	key     fileKey
	rel     string          // where it goes under the case, once complete
	sources map[int64]int64 // records of each source in it
	dirty   bool            // holds records of a discarded source
}

// appKey identifies a column set: which known fields a record format has,
// whether it has unknown ones, and which table it goes to.
type appKey struct {
	present uint64
	extra   bool
	tgw     bool
}

// BeginBatch starts a batch of sources; nothing reaches the database until
// it commits.
func (c *Case) BeginBatch(ctx context.Context) (*Batch, error) {
	if c.ReadOnly {
		return nil, errors.New("case is open read-only")
	}
	dir, err := os.MkdirTemp(c.spoolDir(), "batch-")
	if err != nil {
		return nil, fmt.Errorf("create spool directory in the case: %w", err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	token := time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:])
	return &Batch{ctx: ctx, c: c, dir: dir, token: token, ipCache: map[string][]byte{}, files: map[fileKey]*dataFile{}, started: time.Now()}, nil
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
	src   Source
	part  [4][]byte // account, region, date, hour partition values (nil: NULL)
	last  *dataFile
	extra []byte
	done  bool
	// records are the records the source added; other tells whether it
	// added rejects or JSON records: what Discard takes back.
	records int64
	other   bool
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
	w := &SourceWriter{b: b, src: src}
	for i, v := range []string{src.Account, src.Region, src.Date, src.Hour} {
		if v != "" {
			w.part[i] = []byte(v)
		}
	}
	w.id = b.c.newSourceID()
	return w, nil
}

// Discard takes the source's records and rejects back out of the batch, as
// if it had never begun: what an ingest does with a source it read and then
// found it must not keep (its content turned out to be in the case already,
// or the file changed while it was read). The batch goes on with its other
// sources; the files that hold the source's records are rewritten without
// them when the batch commits. An error means the batch's state is
// unknown: abort it.
func (w *SourceWriter) Discard() error {
	if w.done {
		return errors.New("source already finished or discarded")
	}
	w.done = true
	b := w.b
	if w.records == 0 && !w.other {
		return nil
	}
	for _, f := range b.files {
		if f.sources[w.id] > 0 {
			delete(f.sources, w.id)
			f.dirty = true
		}
	}
	b.records -= w.records
	b.discarded = append(b.discarded, w.id)
	return nil
}

// fileFor returns the batch's data file for records of key, creating it.
func (b *Batch) fileFor(key fileKey) (*dataFile, error) {
	if f := b.files[key]; f != nil {
		return f, nil
	}
	tbl := "flows"
	if key.tgw {
		tbl = "tgwflow"
	}
	b.seq++
	name := fmt.Sprintf("%s-%03d.parquet", b.token, b.seq)
	p, err := newPQWriter(filepath.Join(b.dir, name), allColumns(key.tgw))
	if err != nil {
		return nil, fmt.Errorf("create record file: %w", err)
	}
	f := &dataFile{pqWriter: p, key: key, rel: path.Join(partitionDir(tbl, key.account, key.region, key.date), name), sources: map[int64]int64{}}
	b.files[key] = f
	return f, nil
}

// ID is the source_id the source's rows carry.
func (w *SourceWriter) ID() int64 { return w.id }

// ip returns an address field as stored: IPv6 addresses in their canonical
// form (RFC 5952, as net/netip prints them), so that one address written two
// ways is one address in every query; IPv4 text is canonical already (the
// decoder refuses leading zeros).
func (b *Batch) ip(v []byte) []byte {
	if bytes.IndexByte(v, ':') < 0 {
		return v
	}
	if c, ok := b.ipCache[string(v)]; ok {
		return c
	}
	a, err := netip.ParseAddr(string(v))
	if err != nil {
		return v
	}
	if len(b.ipCache) >= 1<<16 {
		clear(b.ipCache)
	}
	c := []byte(a.String())
	b.ipCache[string(v)] = c
	return c
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
// format (flow.Format.Mask); a field outside it, or NULL in the record, is
// NULL.
func (w *SourceWriter) AddRecord(r *flow.Record, line int64, tgw bool, present uint64) error {
	b := w.b
	f := w.last
	if f == nil || f.key.tgw != tgw {
		var err error
		if f, err = b.fileFor(fileKey{tgw: tgw, account: w.src.Account, region: w.src.Region, date: w.src.Date}); err != nil {
			return err
		}
		w.last = f
	}
	ids := vpcIDs
	if tgw {
		ids = tgwIDs
	}
	for i, id := range ids {
		if present&(1<<id) == 0 || !r.Has(id) {
			f.null(i)
			continue
		}
		switch flow.Get(id).Kind {
		case flow.KindInt32, flow.KindInt64:
			f.int(i, r.Num[id])
		case flow.KindIP:
			f.bytes(i, b.ip(r.Str[id]))
		default:
			f.bytes(i, r.Str[id])
		}
	}
	n := len(ids)
	if len(r.ExtraNames) > 0 {
		w.extra = append(w.extra[:0], extraJSON(r)...)
		f.bytes(n, w.extra)
	} else {
		f.null(n)
	}
	for j, v := range w.part {
		if v == nil {
			f.null(n + 1 + j)
		} else {
			f.bytes(n+1+j, v)
		}
	}
	f.int(n+5, w.id)
	f.int(n+6, line)
	if err := f.write(); err != nil {
		return fmt.Errorf("store record of line %d: %w", line, err)
	}
	f.sources[w.id]++
	b.records++
	w.records++
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

// rejectColumns are the columns of table rejects, as spooled.
var rejectColumns = []column{
	{name: "source_id", typ: "INTEGER", notNull: true},
	{name: "line", typ: "BIGINT", notNull: true},
	{name: "reason", typ: "VARCHAR", notNull: true},
	{name: "detail", typ: "VARCHAR", notNull: true},
	{name: "raw", typ: "VARCHAR", notNull: true},
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
	b := w.b
	if b.rej == nil {
		p, err := newPQWriter(filepath.Join(b.dir, "rejects.parquet"), rejectColumns)
		if err != nil {
			return fmt.Errorf("store reject of line %d: %w", line, err)
		}
		b.rej = p
	}
	p := b.rej
	p.int(0, w.id)
	p.int(1, line)
	p.bytes(2, []byte(reason))
	p.bytes(3, []byte(detail))
	p.bytes(4, []byte(EscapeRaw(raw)))
	if err := p.write(); err != nil {
		return fmt.Errorf("store reject of line %d: %w", line, err)
	}
	w.other = true
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

// Commit stores the batch's sources and makes them visible (see Batch). A
// partial copy ingested earlier under the same path as a source of the
// batch is superseded: its records and rejects are removed in the same
// transaction, so that replacing a damaged download with a good one never
// counts records twice. Earlier failures of the same paths are forgotten.
func (b *Batch) Commit() error {
	if b.done {
		return errors.New("batch already committed or aborted")
	}
	b.c.commitMu.Lock()
	defer b.c.commitMu.Unlock()
	remove, err := b.commit()
	if err != nil {
		b.Abort()
		return err
	}
	b.done = true
	for _, f := range remove {
		os.Remove(b.c.abs(f))
	}
	os.RemoveAll(b.dir)
	return nil
}

// commit does Commit's work; it returns the files to remove once it is
// done (replaced by rewrites).
func (b *Batch) commit() (remove []string, err error) {
	files := b.sortedFiles()
	for _, f := range files {
		if err := f.close(); err != nil {
			return nil, err
		}
	}
	for _, p := range []*pqWriter{b.rej, b.json} {
		if p != nil {
			if err := p.close(); err != nil {
				return nil, err
			}
		}
	}
	if b.conn, err = b.c.beginTx(b.ctx); err != nil {
		return nil, err
	}
	// Files holding records of discarded sources are rewritten without them.
	var keep []*dataFile
	for _, f := range files {
		if f.dirty && len(f.sources) > 0 {
			clean := f.path + ".clean"
			if _, err := copyWithout(b.ctx, b.conn, f.path, clean, b.discarded); err != nil {
				return nil, err
			}
			f.path = clean
		}
		if len(f.sources) > 0 {
			keep = append(keep, f)
		}
	}
	crashAt("written")
	for _, f := range keep {
		if err := b.c.placeFile(f.path, f.rel); err != nil {
			return nil, err
		}
		b.placed = append(b.placed, f.rel)
	}
	crashAt("placed")
	if err := b.loadSpools(); err != nil {
		return nil, err
	}
	var regs [][]any
	var regSources [][]any
	for _, f := range keep {
		var n int64
		for id, k := range f.sources {
			n += k
			regSources = append(regSources, []any{f.rel, int32(id), k})
		}
		st, err := os.Stat(b.c.abs(f.rel))
		if err != nil {
			return nil, err
		}
		tbl := "flows"
		if f.key.tgw {
			tbl = "tgwflow"
		}
		regs = append(regs, []any{f.rel, tbl, n, st.Size()})
	}
	if remove, err = b.supersede(&regs, &regSources); err != nil {
		return nil, err
	}
	if err := insertRows(b.ctx, b.conn, `INSERT INTO data_files (file, tbl, records, size) VALUES `, `(?, ?, ?, ?)`, regs); err != nil {
		return nil, fmt.Errorf("register record files: %w", err)
	}
	if err := insertRows(b.ctx, b.conn, `INSERT INTO data_file_sources (file, source_id, records) VALUES `, `(?, ?, ?)`, regSources); err != nil {
		return nil, fmt.Errorf("register record files: %w", err)
	}
	now := time.Now().UTC()
	rows := make([][]any, 0, len(b.pending))
	var notKept [][]any
	for _, ps := range b.pending {
		rows = append(rows, sourceRow(ps.id, ps.src, ps.stats, now))
		for _, reason := range slices.Sorted(maps.Keys(ps.notKept)) {
			notKept = append(notKept, []any{ps.id, reason, ps.notKept[reason]})
		}
	}
	if err := insertRows(b.ctx, b.conn, sourcesInsert, sourcesTuple, rows); err != nil {
		return nil, fmt.Errorf("record sources: %w", err)
	}
	if err := insertRows(b.ctx, b.conn, "INSERT INTO rejects_not_kept VALUES ", "(?, ?, ?)", notKept); err != nil {
		return nil, fmt.Errorf("record rejects not kept: %w", err)
	}
	if len(regs) > 0 || len(remove) > 0 {
		if err := b.c.replaceDataViews(b.ctx, b.conn); err != nil {
			return nil, err
		}
	}
	crashAt("registered")
	if err := b.conn.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	b.placed = nil
	crashAt("committed")
	return remove, nil
}

// loadSpools loads the batch's rejects and JSON records into their tables,
// without those of discarded sources.
func (b *Batch) loadSpools() error {
	for _, s := range []struct {
		p     *pqWriter
		table string
	}{{b.rej, "rejects"}, {b.json, "jsonflows"}} {
		if s.p == nil || s.p.rows == 0 {
			continue
		}
		names := make([]string, len(s.p.cols))
		for i, c := range s.p.cols {
			names[i] = Quote(c.name)
		}
		arg, err := fileArg(s.p.path)
		if err != nil {
			return err
		}
		q := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM read_parquet(%s)`, s.table, strings.Join(names, ", "), strings.Join(names, ", "), arg)
		if len(b.discarded) > 0 {
			q += ` WHERE source_id NOT IN (` + sqltext.Ints(b.discarded) + `)`
		}
		if _, err := b.conn.ExecContext(b.ctx, q); err != nil {
			return fmt.Errorf("store %s: %w", s.table, err)
		}
	}
	return nil
}

// sortedFiles returns the batch's data files in the order they were made.
func (b *Batch) sortedFiles() []*dataFile {
	fs := make([]*dataFile, 0, len(b.files))
	for _, f := range b.files {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].rel < fs[j].rel })
	return fs
}

// supersede removes what earlier ingests of the batch's sources' paths
// left: a failed attempt's sources row, or a partial load's records and
// rejects (its sources row stays, marked superseded, for the chain of
// custody). The record files holding a superseded source's records are
// rewritten without them: the new files are added to regs and regSources,
// the old ones deregistered, and returned to be removed after the commit.
func (b *Batch) supersede(regs, regSources *[][]any) ([]string, error) {
	var gone []int64
	for _, ps := range b.pending {
		for _, o := range ps.src.Replaces {
			if o.Status == StatusFailed {
				if _, err := b.conn.ExecContext(b.ctx, `DELETE FROM sources WHERE source_id = ?`, o.ID); err != nil {
					return nil, err
				}
				continue
			}
			for _, t := range []string{wideTable, "jsonflows", "rejects", "rejects_not_kept"} {
				if _, err := b.conn.ExecContext(b.ctx, `DELETE FROM `+t+` WHERE source_id = ?`, o.ID); err != nil {
					return nil, fmt.Errorf("supersede partial source %d: %w", o.ID, err)
				}
			}
			if _, err := b.conn.ExecContext(b.ctx, `UPDATE sources SET status = 'superseded', error = 'replaced by source ' || ? WHERE source_id = ?`, ps.id, o.ID); err != nil {
				return nil, fmt.Errorf("supersede partial source %d: %w", o.ID, err)
			}
			gone = append(gone, o.ID)
		}
	}
	if len(gone) == 0 {
		return nil, nil
	}
	return b.c.rewriteWithout(b.ctx, b.conn, b.dir, gone, regs, regSources, &b.placed)
}

// rewriteWithout rewrites the registered files holding records of the
// sources ids without them, in the transaction conn: each such file is
// deregistered, its rewrite (if any record is left) placed under a new name
// and added to regs and regSources. It returns the old files, to remove
// once the transaction committed; placed gets the new ones.
func (c *Case) rewriteWithout(ctx context.Context, conn execQueryer, tmpDir string, ids []int64, regs, regSources *[][]any, placed *[]string) ([]string, error) {
	list := sqltext.Ints(ids)
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT f.file, f.tbl FROM data_files f JOIN data_file_sources s USING (file) WHERE s.source_id IN (`+list+`) ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	type old struct{ file, tbl string }
	var olds []old
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.file, &o.tbl); err != nil {
			rows.Close()
			return nil, err
		}
		olds = append(olds, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var remove []string
	for i, o := range olds {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := fmt.Sprintf("%s-r%d-%s.parquet", time.Now().UTC().Format("20060102T150405Z"), i, hex.EncodeToString(rnd[:]))
		rel := path.Join(path.Dir(o.file), name)
		tmp := filepath.Join(tmpDir, name)
		n, err := copyWithout(ctx, conn, c.abs(o.file), tmp, ids)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			if err := c.placeFile(tmp, rel); err != nil {
				return nil, err
			}
			*placed = append(*placed, rel)
			st, err := os.Stat(c.abs(rel))
			if err != nil {
				return nil, err
			}
			*regs = append(*regs, []any{rel, o.tbl, n, st.Size()})
			srows, err := conn.QueryContext(ctx, `SELECT source_id, records FROM data_file_sources WHERE file = ? AND source_id NOT IN (`+list+`)`, o.file)
			if err != nil {
				return nil, err
			}
			for srows.Next() {
				var id int32
				var k int64
				if err := srows.Scan(&id, &k); err != nil {
					srows.Close()
					return nil, err
				}
				*regSources = append(*regSources, []any{rel, id, k})
			}
			srows.Close()
		} else {
			os.Remove(tmp)
		}
		for _, t := range []string{"data_files", "data_file_sources"} {
			if _, err := conn.ExecContext(ctx, `DELETE FROM `+t+` WHERE file = ?`, o.file); err != nil {
				return nil, err
			}
		}
		remove = append(remove, o.file)
	}
	return remove, nil
}

// replaceDataViews replaces the views over the data files with ones over
// the files registered as conn sees them.
func (c *Case) replaceDataViews(ctx context.Context, conn execQueryer) error {
	files, err := dataFiles(ctx, conn)
	if err != nil {
		return err
	}
	stmts, err := c.dataViewsDDL(files)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
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
	for _, f := range b.files {
		f.abort()
	}
	for _, p := range []*pqWriter{b.rej, b.json} {
		if p != nil {
			p.abort()
		}
	}
	if b.conn != nil {
		b.conn.Rollback()
	}
	// Files moved into data/ by a commit that did not happen are not
	// registered: remove them now (else the next open would).
	for _, rel := range b.placed {
		os.Remove(b.c.abs(rel))
	}
	os.RemoveAll(b.dir)
}
