package store

import (
	"bufio"
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// pqWriter writes rows of a fixed column list to one Parquet file, value by
// value (no per-value cgo call: DuckDB only reads the file once it is
// complete). The types are the ones DuckDB reads back as the columns' SQL
// types: INTEGER as INT32, BIGINT as INT64, VARCHAR as a UTF-8 string,
// dictionary-encoded (flow log text values repeat heavily). Every column is
// optional except the NOT NULL ones.
type pqWriter struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	w    *parquet.GenericWriter[any]
	cols []column
	leaf []int // column i -> its leaf index in the file's schema
	def  []int // column i -> the definition level of a present value
	// pending holds rows not yet handed to the parquet writer, row its
	// current one; arena holds copies of their text values. Rows go to
	// the writer pendingRows at a time: parquet-go's cost is per call and
	// per column (48 of them), so one row per call spent most of an
	// ingest's time there.
	pending []parquet.Row
	n       int
	row     parquet.Row
	arena   []byte
	rows    int64
}

// pendingRows is how many rows are handed to the parquet writer at once:
// the number parquet-go itself writes at a time (its maxRowsPerWrite).
const pendingRows = 64

// rowGroupRows is the number of rows of a row group: DuckDB's own row group
// size, so that a scan splits a file's row groups across its threads the way
// it splits its own tables, and min/max statistics prune at that grain.
const rowGroupRows = 122880

// zstdCodec compresses the pages of every file written: it keeps a pool
// of zstd encoders, each holding megabytes of history buffers, so one
// codec for all files lets them reuse encoders; a codec per file made each
// file allocate (and the kernel zero) fresh ones.
var zstdCodec = &zstd.Codec{Level: zstd.SpeedFastest}

// newPQWriter creates path (which must not exist) for rows of cols.
func newPQWriter(path string, cols []column) (*pqWriter, error) {
	g := parquet.Group{}
	for _, c := range cols {
		var n parquet.Node
		switch c.typ {
		case "INTEGER":
			n = parquet.Int(32)
		case "BIGINT":
			n = parquet.Int(64)
		default:
			n = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		}
		if c.notNull {
			n = parquet.Required(n)
		} else {
			n = parquet.Optional(n)
		}
		g[c.name] = n
	}
	schema := parquet.NewSchema("flowir", g)
	leafOf := map[string]int{}
	for i, p := range schema.Columns() {
		leafOf[p[0]] = i
	}
	p := &pqWriter{path: path, cols: cols, leaf: make([]int, len(cols)), def: make([]int, len(cols)), pending: make([]parquet.Row, pendingRows), arena: make([]byte, 0, 4096)}
	for i := range p.pending {
		p.pending[i] = make(parquet.Row, len(cols))
	}
	p.row = p.pending[0]
	for i, c := range cols {
		p.leaf[i] = leafOf[c.name]
		if !c.notNull {
			p.def[i] = 1
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	p.f = f
	p.buf = bufio.NewWriterSize(f, 1<<20)
	p.w = parquet.NewGenericWriter[any](p.buf, schema,
		parquet.Compression(zstdCodec),
		parquet.MaxRowsPerRowGroup(rowGroupRows))
	return p, nil
}

// null sets column i of the current row to NULL.
func (p *pqWriter) null(i int) {
	l := p.leaf[i]
	p.row[l] = parquet.NullValue().Level(0, 0, l)
}

// int sets column i (INTEGER or BIGINT) of the current row.
func (p *pqWriter) int(i int, v int64) {
	l := p.leaf[i]
	var x parquet.Value
	if p.cols[i].typ == "INTEGER" {
		x = parquet.Int32Value(int32(v))
	} else {
		x = parquet.Int64Value(v)
	}
	p.row[l] = x.Level(0, p.def[i], l)
}

// bytes sets column i (VARCHAR) of the current row to a copy of v (the
// caller's buffers are reused for the next record).
func (p *pqWriter) bytes(i int, v []byte) {
	l := p.leaf[i]
	// A value points into the arena as it is now: when append moves the
	// arena, the values set before keep the old array, which stays
	// unchanged until flush.
	start := len(p.arena)
	p.arena = append(p.arena, v...)
	p.row[l] = parquet.ByteArrayValue(p.arena[start:len(p.arena):len(p.arena)]).Level(0, p.def[i], l)
}

// write adds the current row to the file.
func (p *pqWriter) write() error {
	p.rows++
	p.n++
	if p.n == len(p.pending) {
		if err := p.flush(); err != nil {
			return err
		}
	}
	p.row = p.pending[p.n]
	return nil
}

// flush hands the pending rows to the parquet writer, which copies their
// values into its column buffers.
func (p *pqWriter) flush() error {
	if p.n == 0 {
		return nil
	}
	_, err := p.w.WriteRows(p.pending[:p.n])
	p.n = 0
	p.arena = p.arena[:0]
	if err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// close completes the file and makes it durable (fsync): what is renamed
// and registered afterwards is on disk whole.
func (p *pqWriter) close() error {
	if p.f == nil {
		return nil
	}
	err := p.flush()
	if err == nil {
		err = p.w.Close()
	}
	if err == nil {
		err = p.buf.Flush()
	}
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// abort closes the file, if open, and removes it.
func (p *pqWriter) abort() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	os.Remove(p.path)
}
