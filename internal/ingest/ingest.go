// Package ingest runs the pipeline that turns evidence into case data:
// sources (files found by package source) -> decode (package decode) -> store
// (package store), in parallel across files, one transaction per file.
//
// Every file ends in exactly one of four outcomes, reported per file and in
// the summary: ingested (complete), partial (read up to damage, records
// before it kept), skipped (the same content is already in the case), failed
// (nothing could be read). A file's records are committed together with its
// row in `sources`, so an interrupted run leaves no half-loaded file.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// Options configures an ingest run.
type Options struct {
	Paths []string
	// Format is used for lines before any header line (CloudWatch exports
	// have none); AWS's default format when zero.
	Format flow.Format
	// Workers is the number of files read at once; GOMAXPROCS when 0.
	Workers int
	// Progress, when set, is called from one goroutine about every Tick
	// and once at the end.
	Progress func(Progress)
	Tick     time.Duration
}

// Outcome of one file.
const (
	Ingested = "ingested"
	Partial  = "partial"
	Skipped  = "skipped"
	Failed   = "failed"
)

// FileResult is what happened to one file.
type FileResult struct {
	Path     string `json:"path"`
	Outcome  string `json:"outcome"`
	SourceID int64  `json:"source_id,omitempty"`
	Lines    int64  `json:"lines"`
	Records  int64  `json:"records"`
	Rejects  int64  `json:"rejects"`
	Headers  int64  `json:"headers"`
	Bytes    int64  `json:"bytes"`
	Error    string `json:"error,omitempty"`
	// DuplicateOf names the earlier source with the same content, for skipped files.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// Summary is the result of a run.
type Summary struct {
	Files    int          `json:"files"`
	Ingested int          `json:"ingested"`
	Skipped  int          `json:"skipped"`
	Partial  int          `json:"partial"`
	Failed   int          `json:"failed"`
	Lines    int64        `json:"lines"`
	Records  int64        `json:"records"`
	Rejects  int64        `json:"rejects"`
	Headers  int64        `json:"headers"`
	Bytes    int64        `json:"bytes"`
	Ignored  []string     `json:"ignored,omitempty"`
	Seconds  float64      `json:"seconds"`
	Results  []FileResult `json:"results"`
}

// Progress is a snapshot of a running ingest.
type Progress struct {
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
	Records               int64
	Elapsed               time.Duration
	Done                  bool
}

// Run ingests every file under opts.Paths into c.
func Run(ctx context.Context, c *store.Case, opts Options) (*Summary, error) {
	files, ignored, err := source.Walk(opts.Paths)
	if err != nil {
		return nil, err
	}
	if len(opts.Format.Cols) == 0 {
		opts.Format = flow.DefaultFormat()
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	start := time.Now()
	known, byPath, err := c.Known(ctx)
	if err != nil {
		return nil, err
	}
	r := &runner{c: c, opts: opts, claimed: map[string]claim{}, byPath: byPath}
	for sum, p := range known {
		r.claimed[sum] = claim{path: p.Path, id: p.ID}
	}
	results := make([]FileResult, len(files))

	stop := r.startProgress(len(files), total, start)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(ctx, jobs, files, results)
		}()
	}
feed:
	for i := range files {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	stop()

	s := &Summary{Files: len(files), Ignored: ignored, Seconds: time.Since(start).Seconds()}
	for _, fr := range results {
		if fr.Outcome == "" { // never started: cancelled
			continue
		}
		s.Results = append(s.Results, fr)
		switch fr.Outcome {
		case Ingested:
			s.Ingested++
		case Skipped:
			s.Skipped++
		case Partial:
			s.Partial++
		case Failed:
			s.Failed++
		}
		if fr.Outcome != Skipped {
			s.Lines += fr.Lines
			s.Records += fr.Records
			s.Rejects += fr.Rejects
			s.Headers += fr.Headers
		}
		s.Bytes += fr.Bytes
	}
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("ingest interrupted after %d of %d files; files not committed are not in the case, run the same command again to finish: %w", len(s.Results), len(files), err)
	}
	return s, nil
}

type runner struct {
	c         *store.Case
	opts      Options
	mu        sync.Mutex
	claimed   map[string]claim         // sha256 -> where that content is: in the case, or earlier in this run
	byPath    map[string][]store.Prior // earlier partial or failed ingests, by path
	filesDone atomic.Int64
	bytesDone atomic.Int64
	records   atomic.Int64
}

func (r *runner) startProgress(files int, total int64, start time.Time) (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	tick := r.opts.Tick
	if tick <= 0 {
		tick = 200 * time.Millisecond
	}
	snap := func(done bool) Progress {
		return Progress{FilesDone: int(r.filesDone.Load()), FilesTotal: files, BytesDone: r.bytesDone.Load(),
			BytesTotal: total, Records: r.records.Load(), Elapsed: time.Since(start), Done: done}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.opts.Progress(snap(false))
			case <-quit:
				r.opts.Progress(snap(true))
				return
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

// countingReader counts the stored (compressed) bytes read, for progress.
type countingReader struct {
	r io.ReadCloser
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
func (c countingReader) Close() error { return c.r.Close() }

type claim struct {
	path string
	id   int64 // source_id when the content is already in the case
}

// Batches are committed when they hold this many sources or records, or are
// this old: small enough that an interrupted ingest loses little work, large
// enough that thousands of small 5-minute objects do not cost a WAL sync each.
const (
	batchSources = 4096
	batchRecords = 500_000
	batchAge     = 10 * time.Second
)

// worker ingests the files sent on jobs, grouping them in batches. The
// outcome of a file in a batch is final only when the batch commits; if the
// commit fails, every file of the batch failed, and none of them is in the
// case.
func (r *runner) worker(ctx context.Context, jobs <-chan int, files []source.File, results []FileResult) {
	var b *store.Batch
	var inBatch []int
	commit := func() {
		if b == nil {
			return
		}
		if err := b.Commit(); err != nil {
			for _, i := range inBatch {
				results[i] = FileResult{Path: results[i].Path, Outcome: Failed, Bytes: results[i].Bytes,
					Error: "not stored: the transaction holding it failed (" + err.Error() + "); run the ingest again"}
			}
		}
		b, inBatch = nil, inBatch[:0]
	}
	for i := range jobs {
		if b == nil {
			var err error
			if b, err = r.c.BeginBatch(ctx); err != nil {
				results[i] = FileResult{Path: files[i].Path, Outcome: Failed, Bytes: files[i].Size, Error: err.Error()}
				r.filesDone.Add(1)
				continue
			}
		}
		res, used := r.file(ctx, b, files[i])
		results[i] = res
		// Progress counts files read; their outcome is final at commit.
		r.filesDone.Add(1)
		if used {
			inBatch = append(inBatch, i)
		}
		if res.Outcome == Failed && used {
			// A store error: the batch's transaction is gone.
			b.Abort()
			for _, j := range inBatch {
				if j != i {
					results[j] = FileResult{Path: results[j].Path, Outcome: Failed, Bytes: results[j].Bytes,
						Error: "not stored: the transaction holding it was aborted by an error on " + files[i].Path + "; run the ingest again"}
				}
			}
			b, inBatch = nil, inBatch[:0]
			continue
		}
		if b.Sources() >= batchSources || b.Records() >= batchRecords || b.Age() >= batchAge {
			commit()
		}
	}
	if ctx.Err() != nil && b != nil {
		b.Abort()
		for _, j := range inBatch {
			results[j] = FileResult{}
		}
		return
	}
	commit()
}

// file reads one file into batch b. used reports whether the file's data went
// into the batch (so that the batch's fate is the file's).
func (r *runner) file(ctx context.Context, b *store.Batch, f source.File) (res FileResult, used bool) {
	res = FileResult{Path: f.Path, Bytes: f.Size}
	part := source.ParseKey(f.Path)
	src := store.Source{Path: f.Path, Origin: "file", Size: f.Size,
		Account: part.Account, Region: part.Region, Date: part.Date, Hour: part.Hour}
	fail := func(err error) FileResult {
		res.Outcome, res.Error = Failed, err.Error()
		if src.SHA256 != "" {
			// Not in the case: a copy of the same content later in the run
			// may still be ingested.
			r.mu.Lock()
			if r.claimed[src.SHA256].path == f.Path {
				delete(r.claimed, src.SHA256)
			}
			r.mu.Unlock()
			if rerr := r.c.RecordFailure(ctx, src, res.Error); rerr != nil {
				res.Error += " (and recording the failure failed: " + rerr.Error() + ")"
			}
		}
		return res
	}
	sum, err := source.HashFile(f.Path)
	if err != nil {
		r.bytesDone.Add(f.Size)
		return fail(err), false
	}
	src.SHA256 = sum
	// Content already in the case, or claimed by another file of this run?
	r.mu.Lock()
	if other, ok := r.claimed[sum]; ok {
		r.mu.Unlock()
		res.Outcome, res.DuplicateOf, res.SourceID = Skipped, other.path, other.id
		r.bytesDone.Add(f.Size)
		return res, false
	}
	r.claimed[sum] = claim{path: f.Path}
	r.mu.Unlock()

	fh, err := os.Open(f.Path)
	if err != nil {
		r.bytesDone.Add(f.Size)
		return fail(err), false
	}
	in, err := source.Open(f.Path, countingReader{fh, &r.bytesDone})
	if err != nil {
		r.bytesDone.Add(f.Size)
		return fail(err), false
	}
	defer in.Close()
	src.Format = "text"
	if in.Container == source.Gzip {
		src.Format = "text+gzip"
	}
	for _, p := range r.byPath[f.Path] {
		if p.SHA256 != src.SHA256 {
			src.Replaces = append(src.Replaces, p)
		}
	}
	w, err := b.BeginSource(src)
	if err != nil {
		return fail(err), true
	}
	st, readErr, storeErr := r.load(ctx, in, w)
	res.SourceID, res.Lines, res.Records, res.Rejects, res.Headers = w.ID(), st.Lines, st.Records, st.Rejects, st.Headers
	if storeErr != nil {
		res.SourceID = 0
		return fail(storeErr), true
	}
	st.Status = store.StatusComplete
	res.Outcome = Ingested
	if readErr != nil {
		st.Error = fmt.Sprintf("after line %d: %v", st.Lines, readErr)
		if st.Lines == 0 {
			// Nothing was read: the file failed. Its (empty) rows need no undo.
			res.SourceID = 0
			return fail(fmt.Errorf("%s: %w", f.Path, readErr)), false
		}
		st.Status, res.Outcome, res.Error = store.StatusPartial, Partial, st.Error
	}
	w.Finish(st)
	return res, true
}

// load reads every line of in into w. readErr is damage in the input (the
// file is then partial); storeErr is a failure to store (nothing is kept).
func (r *runner) load(ctx context.Context, in io.Reader, w *store.SourceWriter) (st store.Stats, readErr, storeErr error) {
	tr := decode.NewTextReader(in, r.opts.Format)
	var n int64
	for {
		it, err := tr.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		switch it.Kind {
		case decode.ItemRecord:
			storeErr = w.AddRecord(it.Record, it.Line, it.TGW, it.Mask)
			n++
		case decode.ItemReject:
			storeErr = w.AddReject(it.Line, it.Err.Reason, it.Err.Error(), it.Raw)
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
	st.Lines, st.Records, st.Rejects, st.Headers = tr.Lines, tr.Records, tr.Rejects, tr.Headers
	st.LogFormat = tr.Format().String()
	return st, readErr, storeErr
}
