package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flowir/flowir/internal/awsapi"
)

// smallDisk makes freeSpace say free bytes for dir (every folder when dir
// is "") once calls checks have passed, and plenty otherwise.
func smallDisk(t *testing.T, dir string, after int64, free int64) *atomic.Int64 {
	t.Helper()
	var calls atomic.Int64
	freeSpace = func(d string) (int64, error) {
		if (dir == "" || strings.HasPrefix(d, dir)) && calls.Add(1) > after {
			return free, nil
		}
		return 1 << 40, nil
	}
	t.Cleanup(func() { freeSpace = statfsFree })
	return &calls
}

// TestDiskShortBeforeIngest: a case folder without room for the sources
// found is said before anything is loaded, naming the folder, what is
// needed and what there is; nothing is written to the case (issue 17.14).
func TestDiskShortBeforeIngest(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	for i := range 5 {
		write(t, dir, fmt.Sprintf("f%d.log.gz", i), gz(t, string(lines(50, 100*i))))
	}
	smallDisk(t, c.Dir, 0, 1<<20)
	sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
	var de *DiskSpaceError
	if !errors.As(err, &de) || de.Dir != c.Dir || de.Have != 1<<20 || de.Need <= de.Have {
		t.Fatalf("error %v (summary %v), want a DiskSpaceError for %s", err, sum, c.Dir)
	}
	msg := err.Error()
	for _, want := range []string{"not enough disk space in " + c.Dir, "have 1.0 MiB", "5 files", "run the same command again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources"); n != 0 {
		t.Errorf("%d sources recorded", n)
	}
}

// TestDiskShortDuringIngest: the disk fills up after some sources: the
// ingest stops with the same clear error; what it committed is whole and
// counted, the rest is not in the case, and a run with room finishes.
func TestDiskShortDuringIngest(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	var want int64
	for i := range 12 {
		write(t, dir, fmt.Sprintf("f%02d.log", i), lines(i+1, 100*i))
		want += int64(i + 1)
	}
	defer func(n int) { batchSources = n }(batchSources)
	batchSources = 2
	// The first check, and those of the first 5 sources, pass.
	smallDisk(t, c.Dir, 6, 1<<20)
	sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
	var de *DiskSpaceError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "not enough disk space in "+c.Dir) || !strings.Contains(err.Error(), "ingest stopped after") {
		t.Fatalf("error %v, want a disk space error", err)
	}
	if sum == nil || sum.Failed != 0 || sum.Ingested == 0 || sum.Ingested >= 12 {
		t.Fatalf("summary %+v: want some sources ingested, none failed", sum)
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'complete'"); n != int64(sum.Ingested) {
		t.Errorf("%d complete sources in the case, the summary says %d ingested", n, sum.Ingested)
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status <> 'complete'"); n != 0 {
		t.Errorf("%d sources not complete in the case", n)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != sum.Records {
		t.Errorf("%d records in the case, the summary says %d", n, sum.Records)
	}

	freeSpace = statfsFree
	sum2 := mustRun(t, c, Options{Paths: []string{dir}, Workers: 1})
	if sum2.Ingested+sum.Ingested != 12 || sum2.Skipped != sum.Ingested {
		t.Errorf("second run: %d ingested, %d skipped; want %d and %d", sum2.Ingested, sum2.Skipped, 12-sum.Ingested, sum.Ingested)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != want {
		t.Errorf("%d records in the case, want %d", n, want)
	}
}

// TestDiskShortSpool: an S3 object too large for memory is not downloaded
// into a spool folder without room for it.
func TestDiskShortSpool(t *testing.T) {
	srv, _ := s3Env(t)
	c := newCase(t)
	spool := t.TempDir()
	smallDisk(t, spool, 0, 1<<10)
	opts := Options{Paths: []string{"s3://logs/central/"}, AWS: awsapi.Options{EndpointURL: srv.URL}, Workers: 1, Downloads: 1, SpoolDir: spool, SpoolMemory: 1 << 10}
	_, err := Run(context.Background(), c, opts)
	var de *DiskSpaceError
	if !errors.As(err, &de) || !strings.HasPrefix(de.Dir, spool) || !strings.Contains(err.Error(), "spool folder (--spool-dir)") {
		t.Fatalf("error %v, want a disk space error for the spool folder %s", err, spool)
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status <> 'complete'"); n != 0 {
		t.Errorf("%d sources not complete in the case", n)
	}
}
