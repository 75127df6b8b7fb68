package ingest

import (
	"fmt"
	"strings"
	"sync"

	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// Disk space (issue 17.14). A full disk in the middle of an ingest made
// every later source fail with errors that did not say why (DuckDB's "Out
// of Memory" when it could not spill, "No space left on device" at commit).
// The ingest checks the free space of the case folder before it loads
// anything (the local sources found, less those the case holds) and before
// each source, and the spool folder's before an object too large for
// memory is downloaded into it; when one is short it stops, as an
// interrupted ingest does: what was committed stays, the batches in flight
// are dropped whole, and the error says where, how much is needed and how
// much there is.

// freeSpace returns the bytes that may still be written in dir's file
// system; a variable so that tests can make a disk small.
var freeSpace = statfsFree

// diskReserve is kept free in the case folder beyond the estimate: the
// write-ahead log, DuckDB's checkpoint, the sources other loaders are
// storing at the same time. It is small on purpose: the estimate is
// rough, and refusing an ingest that would have fit is worse than
// stopping one that does not, cleanly, at the check before a source.
const diskReserve = 2 << 20

// diskNeed estimates the disk a source of size bytes named path takes in
// the case folder while it is loaded (its batch's spool) and once stored.
// Measured with records stored as Parquet files (bench corpus of 1M
// records in 3,456 gzip text files of 25.7 MB: 22.3 MB at the peak, 19.5
// MB stored; the demo corpus, 2,644 files of 1.2 MB: 2.5 MB stored beside
// the empty case): about the size of gzip text or Parquet, a ninth of the
// size of text not compressed (gzip packs flow logs about 9 to 1), and
// some 512 bytes per source (its row, its share of the Parquet files'
// metadata).
func diskNeed(path string, size int64) int64 {
	if size <= 0 {
		return 512
	}
	if compressedName(path) {
		return size + 512
	}
	return size*3/20 + 512
}

// compressedName reports whether path names compressed content (gzip,
// Parquet), whose bytes hold several times more records than text's.
func compressedName(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".parquet")
}

// DiskSpaceError says that a folder has too little free space for the
// ingest.
type DiskSpaceError struct {
	Dir        string
	Need, Have int64
	What       string // what needs it
}

func (e *DiskSpaceError) Error() string {
	return fmt.Sprintf("not enough disk space in %s: need ~%s, have %s (%s); free space there, or use another folder, and run the same command again (what was loaded is skipped)",
		e.Dir, sizeText(e.Need), sizeText(e.Have), e.What)
}

// sizeText writes a byte count for people.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkFree returns a DiskSpaceError when dir has less than need bytes
// free. When the free space cannot be known, nothing is said: the ingest
// goes on and a full disk fails its batches as before.
func checkFree(dir string, need int64, what string) error {
	have, err := freeSpace(dir)
	if err != nil || have >= need {
		return nil
	}
	return &DiskSpaceError{Dir: dir, Need: need, Have: have, What: what}
}

// diskStop records the first disk shortage of a run and stops it.
type diskStop struct {
	once   sync.Once
	err    error
	cancel func()
}

func (d *diskStop) stop(err error) {
	d.once.Do(func() {
		d.err = err
		d.cancel()
	})
}

// checkDiskFirst checks, before anything is loaded, that the case folder
// can take the local sources found that the case does not hold yet.
// (Remote sources are listed while the ingest runs: checkDiskFor checks
// them one by one.)
func (r *runner) checkDiskFirst() error {
	var need, size int64
	n := 0
	for _, f := range r.local {
		if r.holds(f.Canonical) {
			continue
		}
		need += diskNeed(f.Canonical, f.Stamp.Size)
		size += f.Stamp.Size
		n++
	}
	if n == 0 {
		return nil
	}
	return checkFree(r.c.Dir, need+diskReserve, fmt.Sprintf("the case, for %d files of %s", n, sizeText(size)))
}

// holds reports whether the case holds a complete or partial source at the
// local location path: loading it again will most likely be skipped (the
// check before each source still applies if it is not).
func (r *runner) holds(path string) bool {
	for _, s := range r.known.byPath[path] {
		if s.Status != store.StatusFailed {
			return true
		}
	}
	return false
}

// checkDiskFor checks, before a source is loaded, that the case folder has
// room for it.
func (r *runner) checkDiskFor(p *prepared) error {
	in := p.in
	if p.skip != nil || p.err != nil || in.size <= 0 || in.fetch == nil && r.holds(in.path) {
		return nil
	}
	return checkFree(r.c.Dir, diskNeed(in.path, in.size)+diskReserve, "the case, to load "+in.path)
}

// checkSpoolDisk checks, before a remote source too large for memory is
// downloaded into the spool folder, that the folder has room for it.
func (r *runner) checkSpoolDisk(in *input) error {
	limit := r.spooler.MemLimit
	if limit <= 0 {
		limit = source.DefaultSpoolMemory
	}
	if in.size <= limit {
		return nil
	}
	return checkFree(r.spoolDir, in.size+limit, "the spool folder (--spool-dir), to download "+in.path)
}
