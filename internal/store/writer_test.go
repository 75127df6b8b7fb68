package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

func openTestCase(t testing.TB) *Case {
	t.Helper()
	c, err := Open(context.Background(), filepath.Join(t.TempDir(), "case"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func decodeLine(t testing.TB, line string) *flow.Record {
	t.Helper()
	var r flow.Record
	if err := decode.NewTextDecoder(flow.DefaultFormat()).Decode([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func count(t testing.TB, c *Case, q string) int64 {
	t.Helper()
	var n int64
	if err := c.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSourceWriterCommitAndAbort(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	rec := decodeLine(t, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")

	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.BeginSource(Source{Path: "a.log", Origin: "file", SHA256: "aa", Account: "123456789010"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		if err := w.AddRecord(rec, int64(i+1), false, flow.DefaultFormat().Mask()); err != nil {
			t.Fatal(err)
		}
	}
	w.Finish(Stats{Lines: 5000, Records: 5000, Status: StatusComplete})
	b.Abort()
	if n := count(t, c, "SELECT count(*) FROM flows"); n != 0 {
		t.Fatalf("aborted source left %d records", n)
	}
	if n := count(t, c, "SELECT count(*) FROM sources"); n != 0 {
		t.Fatalf("aborted source left %d sources rows", n)
	}

	b, err = c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err = b.BeginSource(Source{Path: "a.log", Origin: "file", SHA256: "aa", Account: "123456789010"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		if err := w.AddRecord(rec, int64(i+1), false, flow.DefaultFormat().Mask()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddReject(3001, decode.ReasonBadIP, "field 4 (srcaddr): bad", []byte("2 x \xff")); err != nil {
		t.Fatal(err)
	}
	w.Finish(Stats{Lines: 3001, Records: 3000, Rejects: 1, Status: StatusComplete})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, "SELECT count(*) FROM flows WHERE bytes = 4249 AND account_partition = '123456789010'"); n != 3000 {
		t.Fatalf("records = %d, want 3000", n)
	}
	var raw string
	if err := c.DB().QueryRow("SELECT raw FROM rejects").Scan(&raw); err != nil || raw != `2 x \xff` {
		t.Fatalf("raw = %q, %v", raw, err)
	}
	known, err := c.KnownSources(ctx)
	if err != nil || len(known) != 1 || known[0].SHA256 != "aa" || known[0].Records != 3000 || known[0].Path != "a.log" || known[0].Status != StatusComplete {
		t.Fatalf("known = %+v, %v", known, err)
	}
}

// storeOneRecord stores a source of one record in batch b and commits it.
func storeOneRecord(t *testing.T, b *Batch, src Source) {
	t.Helper()
	w, err := b.BeginSource(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddRecord(decodeLine(t, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"), 1, false, flow.DefaultFormat().Mask()); err != nil {
		t.Fatal(err)
	}
	w.Finish(Stats{Lines: 1, Records: 1, Status: StatusComplete})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}
