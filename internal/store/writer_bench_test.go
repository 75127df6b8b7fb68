package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/flow"
)

// BenchmarkAddRecord measures the store side of ingest: appending decoded
// default-format records in one source transaction and committing.
func BenchmarkAddRecord(b *testing.B) {
	ctx := context.Background()
	c, err := Open(ctx, filepath.Join(b.TempDir(), "case"), Options{Create: true, Load: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rec := decodeLine(b, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	mask := flow.DefaultFormat().Mask()
	b.ReportAllocs()
	b.ResetTimer()
	batch, err := c.BeginBatch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	w, err := batch.BeginSource(Source{Path: "bench", Origin: "file", SHA256: fmt.Sprint(b.N), Account: "123456789010", Region: "us-east-1", Date: "2024/01/02"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if err := w.AddRecord(rec, int64(i+1), false, mask); err != nil {
			b.Fatal(err)
		}
	}
	appended := time.Now()
	w.Finish(Stats{Records: int64(b.N), Status: StatusComplete})
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(appended).Nanoseconds())/float64(b.N), "commit-ns/op")
}
