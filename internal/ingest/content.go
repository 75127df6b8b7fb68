package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// content is a source's bytes, opened and recognised, ready to be loaded:
// flow log text, CloudWatch Logs JSON, the playbook's JSON records, or
// Parquet. Every kind is recognised by content, not by name.
type content struct {
	// decoded hashes the content as the decoder reads it: the decompressed
	// bytes of gzip, the bytes themselves otherwise (nil for Parquet).
	decoded *hashReader
	kind    decode.JSONKind // NotJSON for text and Parquet
	parquet *store.ParquetReader
	text    *decode.TextReader
	cwl     *decode.CWLReader
	records *decode.JSONRecordReader
	format  string // sources.format: container and kind, e.g. "text+gzip"
	closers []io.Closer
}

// hashReader hashes what is read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// contentSHA returns the SHA-256 of the content decoded, once the decoder
// has read all of it (a complete source): what recognises the same records
// in another container (a .log.gz and the .log gunzipped from it). For
// Parquet, whose rows are read by DuckDB, it is the file's own hash.
func (c *content) contentSHA(ctx context.Context, fileSHA string) (string, error) {
	if c.decoded == nil {
		return fileSHA, nil
	}
	// The decoder stopped at the end of its content; anything after it
	// (there is nothing, short of a decoder's bug) is hashed too.
	if _, err := source.CopyContext(ctx, io.Discard, c.decoded); err != nil {
		return "", err
	}
	return hex.EncodeToString(c.decoded.h.Sum(nil)), nil
}

func (c *content) Close() {
	if c.parquet != nil {
		c.parquet.Close()
	}
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i].Close()
	}
}

// errUnknownJSON marks JSON content of no kind flowir reads.
var errUnknownJSON = errors.New("JSON content of no kind flowir reads")

// openContent opens a source's bytes and recognises what they hold. open
// returns the bytes as stored; file returns a local file holding them (for
// Parquet, which needs random access).
func (r *runner) openContent(ctx context.Context, name string, open func() (io.ReadCloser, error), file func() (string, error), format flow.Format, guess bool) (*content, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	// A small buffer: it only peeks at the magic number; source.Open
	// buffers the stream itself.
	br := bufio.NewReaderSize(rc, 512)
	if head, _ := br.Peek(4); bytes.Equal(head, []byte("PAR1")) {
		rc.Close()
		path, err := file()
		if err != nil {
			return nil, err
		}
		pr, err := r.c.OpenParquet(ctx, path)
		if err != nil {
			return nil, err
		}
		return &content{parquet: pr, format: "parquet"}, nil
	}
	o, err := source.Open(name, readCloser{br, rc})
	if err != nil {
		return nil, err
	}
	c := &content{closers: []io.Closer{o}, format: "text"}
	c.decoded = &hashReader{r: o, h: sha256.New()}
	if o.Container == source.Gzip {
		c.format = "text+gzip"
	}
	// Read the decompressed start into a pooled buffer (thousands of small
	// objects would otherwise each allocate one), then hand the decoder the
	// head and the rest. A read error there (a gzip damaged early) is
	// returned again after the bytes read before it, as a damaged file's
	// reader returns it.
	buf := headPool.Get().(*[]byte)
	c.closers = append(c.closers, poolReturn{buf})
	n := 0
	var rerr error
	for n < len(*buf) && rerr == nil {
		var m int
		m, rerr = c.decoded.Read((*buf)[n:])
		n += m
	}
	head := (*buf)[:n]
	var stream io.Reader
	switch rerr {
	case nil:
		stream = io.MultiReader(bytes.NewReader(head), c.decoded)
	case io.EOF:
		stream = bytes.NewReader(head)
	default:
		stream = io.MultiReader(bytes.NewReader(head), errReader{rerr})
	}
	c.kind = decode.SniffJSON(head)
	switch c.kind {
	case decode.NotJSON:
		if guess {
			if f, ok := guessText(head); ok {
				format = f
			}
		}
		c.text = decode.NewTextReader(stream, format)
		return c, nil
	case decode.JSONRecords:
		c.records = decode.NewJSONRecordReader(stream)
	case decode.CWLMessages, decode.CWLExport, decode.CWLSubscription:
		c.cwl = decode.NewCWLReader(stream, c.kind, format, guess)
	default:
		c.Close()
		return nil, fmt.Errorf("%s: %w: it is neither flow log text, nor CloudWatch Logs JSON (lines of {\"message\": ...}, aws logs filter-log-events output, subscription payloads), nor the playbook's JSON records", name, errUnknownJSON)
	}
	if o.Container == source.Gzip {
		c.format = c.kind.String() + "+gzip"
	} else {
		c.format = c.kind.String()
	}
	return c, nil
}

// guessText looks at the first non-blank line of headerless text for the
// shape of a Transit Gateway record in AWS's default TGW format (see
// decode.GuessHeaderless): without a header or --log-format, such input
// would otherwise be read with the default VPC format and rejected line by
// line.
func guessText(head []byte) (flow.Format, bool) {
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")))
		if len(line) == 0 {
			continue
		}
		if flow.LooksLikeHeader(line) {
			if _, ok := flow.HeaderFormat(line); ok {
				return flow.Format{}, false
			}
		}
		return decode.GuessHeaderless(line)
	}
	return flow.Format{}, false
}

// headPool holds the buffers content sniffing reads the start of a source
// into.
var headPool = sync.Pool{New: func() any { b := make([]byte, decode.SniffHead); return &b }}

type poolReturn struct{ b *[]byte }

func (p poolReturn) Close() error { headPool.Put(p.b); return nil }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type readCloser struct {
	io.Reader
	io.Closer
}

// partitions applies what the content says about the source's partitions
// (a Parquet file's own partition columns) over what the path says.
func (c *content) partitions(src *store.Source) {
	if c.parquet == nil {
		return
	}
	for i, v := range c.parquet.Partition {
		if v == "" {
			continue
		}
		switch i {
		case 0:
			src.Account = v
		case 1:
			src.Region = v
		case 2:
			src.Date = v
		case 3:
			src.Hour = v
		}
	}
}

// itemReader is what the text, CloudWatch Logs and Parquet readers share.
type itemReader interface {
	Next() (decode.Item, error)
}

// load reads every line (event, row) into w, keeping the records of win.
// readErr is damage in the input (the source is then partial); storeErr a
// failure to store (nothing of the source is kept). notes says what the
// caller should know (a window not applied, ...).
func (r *runner) load(ctx context.Context, c *content, w *store.SourceWriter, win window) (st store.Stats, rj rejectLog, notes []string, readErr, storeErr error) {
	if c.records != nil {
		st, readErr, storeErr = r.loadJSON(ctx, c.records, w, &rj)
		if win.bounded() {
			notes = append(notes, "the time window does not apply to the playbook's JSON records (their times are text); every record was loaded")
		}
		return st, rj, notes, readErr, storeErr
	}
	var it itemReader
	switch {
	case c.text != nil:
		it = c.text
	case c.cwl != nil:
		it = c.cwl
	default:
		f := c.parquet.Format()
		it = &parquetItems{p: c.parquet, dec: decode.NewTextDecoder(f), format: f, tgw: f.IsTGW(), mask: f.Mask()}
	}
	k := win.keeper()
	var n, out, ms int64
	for {
		item, err := it.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		switch item.Kind {
		case decode.ItemRecord:
			if !k.all() && !k.keep(item.Record) {
				out++
				continue
			}
			storeErr = w.AddRecord(item.Record, item.Line, item.TGW, item.Mask)
			n++
			if millisecondTimes(item.Record) {
				ms++
			}
		case decode.ItemReject:
			storeErr = rj.add(w, item.Line, item.Err, item.Raw)
		}
		if storeErr != nil {
			break
		}
		if n == 4096 {
			r.records.Add(n)
			n = 0
			if ctx.Err() != nil {
				storeErr = ctx.Err()
				break
			}
		}
	}
	r.records.Add(n)
	switch {
	case c.text != nil:
		t := c.text
		st.Lines, st.Records, st.Rejects, st.Headers = t.Lines, t.Records, t.Rejects, t.Headers
		st.LogFormat = t.Format().String()
	case c.cwl != nil:
		t := c.cwl
		st.Lines, st.Records, st.Rejects, st.Headers = t.Lines, t.Records, t.Rejects, t.Headers
		st.LogFormat = t.Format().String()
	default:
		p := it.(*parquetItems)
		st.Lines, st.Records, st.Rejects = p.lines, p.records, p.rejects
		st.LogFormat = p.format.String()
		if c.parquet.Note != "" {
			notes = append(notes, c.parquet.Note)
		}
	}
	st.Records -= out
	st.OutOfWindow = out
	st.MillisecondTimes = ms
	return st, rj, notes, readErr, storeErr
}

// millisecondTimes reports whether a record's start or end is past
// store.MillisecondTimeFloor: AWS writes Unix seconds, so such a time was
// most likely written in milliseconds by another tool (issue 12.7). The
// record is stored as written (its value is within the decoder's bounds);
// ingest says how many such records each source has.
func millisecondTimes(r *flow.Record) bool {
	return r.Has(flow.Start) && r.Num[flow.Start] > store.MillisecondTimeFloor ||
		r.Has(flow.End) && r.Num[flow.End] > store.MillisecondTimeFloor
}

// rejectLog stores a source's rejects and keeps what the messages about
// them need: the first one and the count of each reason.
type rejectLog struct {
	first     *decode.LineError
	firstLine int64
	reasons   map[string]int64
}

func (l *rejectLog) add(w *store.SourceWriter, line int64, e *decode.LineError, raw []byte) error {
	if l.first == nil {
		l.first, l.firstLine = e, line
		l.reasons = map[string]int64{}
	}
	l.reasons[e.Reason]++
	return w.AddReject(line, e.Reason, e.Error(), raw)
}

// noRecords is the error of a source that has lines but not one record
// among them (issue 12.4: a README ingested as a source was stored as a
// complete source of 0 records and 227 rejects): what it is cannot be told
// from a flow log that happens to be empty, so it fails, saying what its
// lines were and what to do.
func noRecords(st store.Stats, rj rejectLog) error {
	reasons := make([]string, 0, len(rj.reasons))
	for k := range rj.reasons {
		reasons = append(reasons, k)
	}
	slices.SortFunc(reasons, func(a, b string) int {
		return cmp.Or(cmp.Compare(rj.reasons[b], rj.reasons[a]), cmp.Compare(a, b))
	})
	var counts []string
	for _, k := range reasons {
		counts = append(counts, fmt.Sprintf("%d %s", rj.reasons[k], k))
	}
	hint := "is it a flow log? Flow logs without a header line are read with --log-format '${version} ${account-id} ...' (default: AWS's default format)"
	switch {
	case rj.reasons[decode.ReasonBadHeader] > 0:
		// The lines after a header that was not recognised are read with
		// another format: the header is the cause, however few.
		hint = "its header line was not recognised"
	case reasons[0] == decode.ReasonNUL, reasons[0] == decode.ReasonBadUTF8, reasons[0] == decode.ReasonTooLong:
		hint = "it is not text: a binary or damaged file, or one in another encoding"
	}
	what := "line"
	if st.Headers > 0 {
		what = fmt.Sprintf("line after %d header line(s)", st.Headers)
	}
	return fmt.Errorf("not one %s is a flow log record: %d rejected (%s); %s; line %d: %s",
		what, st.Rejects, strings.Join(counts, ", "), hint, rj.firstLine, rj.first.Error())
}

// loadJSON stores the playbook's JSON records.
func (r *runner) loadJSON(ctx context.Context, jr *decode.JSONRecordReader, w *store.SourceWriter, rj *rejectLog) (st store.Stats, readErr, storeErr error) {
	jw, err := w.JSONRecords()
	if err != nil {
		return st, nil, err
	}
	var n int64
	for {
		it, err := jr.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		if it.Kind == decode.ItemRecord {
			storeErr = jw.Add(it.Line, it.Values, it.Extra)
			n++
		} else {
			storeErr = rj.add(w, it.Line, it.Err, it.Raw)
		}
		if storeErr != nil {
			break
		}
		if n == 4096 {
			r.records.Add(n)
			n = 0
			if ctx.Err() != nil {
				storeErr = ctx.Err()
				break
			}
		}
	}
	r.records.Add(n)
	if err := jw.Close(); err != nil && storeErr == nil {
		storeErr = err
	}
	st.Lines, st.Records, st.Rejects = jr.Lines, jr.Records, jr.Rejects
	st.LogFormat = "playbook JSON records"
	return st, readErr, storeErr
}

// parquetItems turns Parquet rows into items: each row rendered as a line
// and decoded like text, so that rows are validated and rejected exactly as
// lines are.
type parquetItems struct {
	p                       *store.ParquetReader
	dec                     *decode.TextDecoder
	format                  flow.Format
	tgw                     bool
	mask                    uint64
	row                     store.ParquetRow
	rec                     flow.Record
	lines, records, rejects int64
}

func (p *parquetItems) Next() (decode.Item, error) {
	if err := p.p.Next(&p.row); err != nil {
		return decode.Item{}, err
	}
	p.lines++
	it := decode.Item{Line: p.lines, Format: &p.format, TGW: p.tgw, Mask: p.mask, Raw: p.row.Line}
	if len(it.Raw) > decode.RawLimit {
		it.Raw = it.Raw[:decode.RawLimit]
	}
	if p.row.BadColumn != "" {
		p.rejects++
		it.Kind = decode.ItemReject
		it.Err = &decode.LineError{Reason: decode.ReasonBadValue, Detail: fmt.Sprintf("column %s holds %s, which no flow log field can hold (the row is shown with its values separated by spaces)", p.row.BadColumn, p.row.BadDetail)}
		return it, nil
	}
	if err := p.dec.Decode(p.row.Line, &p.rec); err != nil {
		p.rejects++
		it.Kind, it.Err = decode.ItemReject, err.(*decode.LineError)
		return it, nil
	}
	p.records++
	it.Kind, it.Record = decode.ItemRecord, &p.rec
	return it, nil
}
