package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/store"
)

// TestFailedBatchIsRecorded makes the transaction of a batch fail at commit,
// as a full disk does, and checks that its sources are failed in the
// summary, which counts none of their records, and in the sources table,
// where `flowir status` counts them (issue 17.13); the next run loads them.
func TestFailedBatchIsRecorded(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	write(t, dir, "a.log", lines(3, 0))
	write(t, dir, "b.log", lines(4, 100))
	commitBatch = func(b *store.Batch) error {
		b.Abort()
		return errors.New("IO Error: No space left on device")
	}
	t.Cleanup(func() { commitBatch = (*store.Batch).Commit })
	sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 || sum.Ingested != 0 || sum.Records != 0 || sum.Lines != 0 {
		t.Fatalf("summary: %d failed, %d ingested, %d lines, %d records; want 2 failed and nothing counted", sum.Failed, sum.Ingested, sum.Lines, sum.Records)
	}
	for _, r := range sum.Results {
		if !strings.Contains(r.Error, "No space left on device") || r.Records != 0 {
			t.Errorf("%s: error %q, %d records", r.Path, r.Error, r.Records)
		}
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'failed' AND error LIKE '%No space left%'"); n != 2 {
		t.Errorf("failed sources recorded: %d, want 2", n)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 0 {
		t.Errorf("%d records stored by a batch that failed", n)
	}

	commitBatch = (*store.Batch).Commit
	sum, err = Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ingested != 2 || sum.Records != 7 {
		t.Fatalf("second run: %d ingested, %d records; want 2 and 7", sum.Ingested, sum.Records)
	}
}
