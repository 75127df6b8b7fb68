package store

import (
	"context"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// TestDiscardSource takes one source of a batch back out after it wrote
// records (in a spool another source of the batch shares, and in one of
// its own), rejects and JSON records: the batch commits the others intact
// and nothing of the discarded one.
func TestDiscardSource(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	rec := decodeLine(t, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	short, err := flow.ParseFormat("${version} ${srcaddr} ${dstaddr} ${bytes}")
	if err != nil {
		t.Fatal(err)
	}
	var shortRec flow.Record
	if err := decode.NewTextDecoder(short).Decode([]byte("2 10.0.0.1 10.0.0.2 77"), &shortRec); err != nil {
		t.Fatal(err)
	}
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	add := func(path string, n int, reject, json, other bool) *SourceWriter {
		w, err := b.BeginSource(Source{Path: path, Origin: "file", SHA256: path})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := w.AddRecord(rec, int64(i+1), false, flow.DefaultFormat().Mask()); err != nil {
				t.Fatal(err)
			}
		}
		if other {
			if err := w.AddRecord(&shortRec, int64(n+1), false, short.Mask()); err != nil {
				t.Fatal(err)
			}
		}
		if reject {
			if err := w.AddReject(int64(n+2), decode.ReasonBadIP, "bad", []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		if json {
			jw, err := w.JSONRecords()
			if err != nil {
				t.Fatal(err)
			}
			vals := make([]any, len(decode.PlaybookColumns))
			if err := jw.Add(int64(n+3), vals, ""); err != nil {
				t.Fatal(err)
			}
			if err := jw.Close(); err != nil {
				t.Fatal(err)
			}
		}
		return w
	}
	a := add("a", 1000, true, false, false)
	a.Finish(Stats{Lines: 1001, Records: 1000, Rejects: 1, Status: StatusComplete})
	d := add("discarded", 2000, true, true, true)
	if err := d.Discard(); err != nil {
		t.Fatal(err)
	}
	d.Finish(Stats{Status: StatusComplete}) // after Discard: nothing
	e := add("e", 500, true, false, false)
	e.Finish(Stats{Lines: 501, Records: 500, Rejects: 1, Status: StatusComplete})
	if b.Records() != 1500 {
		t.Errorf("batch counts %d records, want 1500", b.Records())
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		"SELECT count(*) FROM flows":                            1500,
		"SELECT count(*) FROM flows WHERE bytes = 77":           0,
		"SELECT count(*) FROM rejects":                          2,
		"SELECT count(*) FROM jsonflows":                        0,
		"SELECT count(*) FROM sources":                          2,
		"SELECT count(DISTINCT source_line) FROM flows":         1000,
		"SELECT count(*) FROM sources WHERE path = 'discarded'": 0,
	} {
		if n := count(t, c, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}
