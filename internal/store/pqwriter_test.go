package store

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flowir/flowir/internal/sqltext"
)

// TestPQWriterRoundTrip writes rows through pqWriter the way AddRecord does
// (text values from one buffer the caller reuses for every row, NULLs,
// empty strings) and reads them back with DuckDB, for row counts around
// the writer's pending batch and past a row group: every value must come
// back as written, whatever the buffer held when the rows were flushed.
func TestPQWriterRoundTrip(t *testing.T) {
	c := openTestCase(t)
	cols := []column{
		{name: "id", typ: "BIGINT", notNull: true},
		{name: "n", typ: "INTEGER"},
		{name: "s", typ: "VARCHAR"},
		{name: "t", typ: "VARCHAR", notNull: true},
	}
	for _, rows := range []int{0, 1, pendingRows - 1, pendingRows, pendingRows + 1, 3*pendingRows + 5, rowGroupRows + 7} {
		t.Run(strconv.Itoa(rows), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.parquet")
			p, err := newPQWriter(path, cols)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, 64)
			for i := range rows {
				p.int(0, int64(i))
				if i%3 == 0 {
					p.null(1)
					p.null(2)
				} else {
					p.int(1, int64(-i))
					buf = strconv.AppendInt(buf[:0], int64(i*7), 10)
					p.bytes(2, buf)
				}
				// The same buffer again, overwritten: t is "" or "x<i>".
				buf = buf[:0]
				if i%5 != 0 {
					buf = fmt.Appendf(buf, "x%d", i)
				}
				p.bytes(3, buf)
				if err := p.write(); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.close(); err != nil {
				t.Fatal(err)
			}
			if p.rows != int64(rows) {
				t.Fatalf("rows = %d, want %d", p.rows, rows)
			}
			arg := sqltext.String(path)
			// Every row checked against its id: bad counts the rows whose
			// values are not the ones written.
			q := `SELECT count(*), count(*) FILTER (WHERE
				(id % 3 = 0 AND (n IS NOT NULL OR s IS NOT NULL)) OR
				(id % 3 <> 0 AND (n IS DISTINCT FROM -id OR s IS DISTINCT FROM (id * 7)::VARCHAR)) OR
				(id % 5 = 0 AND t <> '') OR
				(id % 5 <> 0 AND t <> 'x' || id::VARCHAR)),
				count(DISTINCT id), coalesce(min(id), 0), coalesce(max(id), -1) FROM read_parquet(` + arg + `)`
			var n, bad, distinct, lo, hi int64
			if err := c.DB().QueryRow(q).Scan(&n, &bad, &distinct, &lo, &hi); err != nil {
				t.Fatal(err)
			}
			if n != int64(rows) || bad != 0 || distinct != int64(rows) || lo != 0 || hi != int64(rows)-1 {
				t.Fatalf("read back %d rows (%d distinct ids %d..%d), %d with wrong values; want %d rows, none wrong", n, distinct, lo, hi, bad, rows)
			}
		})
	}
}
