package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/store"
)

// commitAll is commitBatch as the ingest uses it.
var commitAll = commitBatch

// TestFailedBatchIsRecorded makes the transaction of a batch fail at commit,
// as a full disk does, and checks that its sources are failed in the
// summary, which counts none of their records, and in the sources table,
// where `flowir status` counts them (issue 17.13); the next run loads them.
func TestFailedBatchIsRecorded(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	write(t, dir, "a.log", lines(3, 0))
	write(t, dir, "b.log", lines(4, 100))
	commitBatch = func(b *store.Batch, _ []*input) error {
		b.Abort()
		return errors.New("IO Error: No space left on device")
	}
	t.Cleanup(func() { commitBatch = commitAll })
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

	commitBatch = commitAll
	sum, err = Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ingested != 2 || sum.Records != 7 {
		t.Fatalf("second run: %d ingested, %d records; want 2 and 7", sum.Ingested, sum.Records)
	}
}

// TestFailedBatchRetriedAlone makes a batch fail as a whole, as one that
// runs out of memory does (any batch of more than one source fails) and as
// one holding a bad source does (a batch holding bad.log fails): its
// sources are loaded again one by one, and only the guilty one fails
// (issue 17.1); the failure recorded in sources is that one's.
func TestFailedBatchRetriedAlone(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	var want int64
	for i, name := range []string{"a.log", "b.log", "bad.log", "c.log", "d.log"} {
		write(t, dir, name, lines(i+2, 100*i))
		if name != "bad.log" {
			want += int64(i + 2)
		}
	}
	commitBatch = func(b *store.Batch, ins []*input) error {
		for _, in := range ins {
			if strings.HasSuffix(in.path, "bad.log") {
				b.Abort()
				return errors.New("Constraint Error: a row the store refuses")
			}
		}
		if len(ins) > 1 {
			b.Abort()
			return errors.New("Out of Memory Error: could not allocate block of size 30.5 MiB (429.1 MiB/429.1 MiB used)")
		}
		return b.Commit()
	}
	t.Cleanup(func() { commitBatch = commitAll })
	sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || sum.Ingested != 4 || sum.Records != want {
		t.Fatalf("summary: %d failed, %d ingested, %d records; want 1 failed, 4 ingested, %d records", sum.Failed, sum.Ingested, sum.Records, want)
	}
	for _, r := range sum.Results {
		bad := strings.HasSuffix(r.Path, "bad.log")
		if bad != (r.Outcome == Failed) || bad && !strings.Contains(r.Error, "Constraint Error") {
			t.Errorf("%s: %s %q", r.Path, r.Outcome, r.Error)
		}
		if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "loaded again on its own") {
			t.Errorf("%s: notes %q do not say it was loaded again", r.Path, r.Notes)
		}
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'failed'"); n != 1 {
		t.Errorf("failed sources recorded: %d, want 1", n)
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'failed' AND path LIKE '%bad.log'"); n != 1 {
		t.Errorf("bad.log is not the failed source recorded")
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != want {
		t.Errorf("%d records stored, want %d", n, want)
	}
}
