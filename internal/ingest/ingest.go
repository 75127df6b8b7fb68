// Package ingest runs the pipeline that turns evidence into case data:
// sources (package source: local files, S3 objects, CloudWatch Logs
// streams) -> decode (package decode: text, CloudWatch Logs JSON, the
// playbook's JSON records; Parquet rows through the store's reader) -> store
// (package store), in parallel, many sources per transaction, each source
// atomic.
//
// Every source ends in exactly one of four outcomes, reported per source and
// in the summary: ingested (complete), partial (read up to damage, records
// before it kept), skipped (the same content is already in the case), failed
// (nothing could be read). A source's records are committed together with
// its row in `sources`, so an interrupted run leaves no half-loaded source.
//
// Remote sources are fetched by a pool of downloaders ahead of the loaders,
// each into a bounded Spool (memory up to a limit, else a temporary file),
// and hashed before they are decoded, exactly as local files are: the
// content decides whether a source is already in the case, and a download
// that breaks off never reaches the case as "damaged evidence".
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// Options configures an ingest run.
type Options struct {
	// Paths are files, folders, s3://bucket/prefix URLs, cwl://LOG_GROUP
	// names and "-" for Stdin.
	Paths []string
	// Stdin is read (once) for the path "-".
	Stdin io.Reader
	// Format is used for lines before any header line (CloudWatch exports
	// have none) and for CloudWatch Logs groups; AWS's default format when
	// zero, or for Transit Gateway records recognised by their shape, the
	// TGW default format (see decode.GuessHeaderless). For a cwl:// group
	// without a Format, the group's flow log is asked (DescribeFlowLogs).
	Format flow.Format
	// Workers is the number of sources decoded and stored at once; when
	// 0, what the memory budget allows, at most GOMAXPROCS (see
	// PlanResources: give the case the plan's DuckDB limits too).
	Workers int
	// Progress, when set, is called from one goroutine about every Tick
	// and once at the end.
	Progress func(Progress)
	Tick     time.Duration

	// Select narrows what is read: the accounts and regions of the S3 key
	// layout (S3 listings and local paths that keep it), and the records by
	// time: end >= Since and start < Until. The records a window leaves out
	// are counted per source (out_of_window) and in the summary.
	Select source.Selection
	// AWS configures access to S3 and CloudWatch Logs: --profile, --region
	// (for CloudWatch Logs; an S3 bucket's region is found by asking it),
	// --endpoint-url.
	AWS awsapi.Options
	// Downloads is the number of objects or streams fetched at once (8 when
	// 0); with Workers and SpoolMemory it bounds memory.
	Downloads int
	// SpoolDir holds fetched objects too large for memory (the system's
	// temporary folder when ""); SpoolMemory is that limit per object
	// (source.DefaultSpoolMemory when 0).
	SpoolDir    string
	SpoolMemory int64
	// StreamPrefix selects the streams of cwl:// groups by name prefix.
	StreamPrefix string
	// Now is the clock (time.Now when nil): a CloudWatch Logs stream is
	// read up to the time it is fetched, and a later ingest reads it again
	// from there.
	Now func() time.Time
}

// Outcome of one source.
const (
	Ingested = "ingested"
	Partial  = "partial"
	Skipped  = "skipped"
	Failed   = "failed"
)

// FileResult is what happened to one source (a file, an S3 object, a
// CloudWatch Logs stream).
type FileResult struct {
	Path    string `json:"path"`
	Origin  string `json:"origin"`
	ETag    string `json:"etag,omitempty"`
	Outcome string `json:"outcome"`
	// Format is the recognised container and content ("text+gzip",
	// "parquet", "cwl-export", "json-records", ...).
	Format   string `json:"format,omitempty"`
	SourceID int64  `json:"source_id,omitempty"`
	Lines    int64  `json:"lines"`
	Records  int64  `json:"records"`
	Rejects  int64  `json:"rejects"`
	// RejectsNotKept counts the rejects (among Rejects) past the source's
	// first store.RejectsKept: counted by reason, not kept as rows.
	RejectsNotKept int64 `json:"rejects_not_kept,omitempty"`
	Headers        int64 `json:"headers"`
	// OutOfWindow counts the records left out by the time window: lines =
	// records + rejects + headers + out_of_window.
	OutOfWindow int64 `json:"out_of_window"`
	// MillisecondTimes counts the records stored whose start or end looks
	// like milliseconds (past store.MillisecondTimeFloor); they are stored
	// as written, and the command warns.
	MillisecondTimes int64  `json:"millisecond_time_records,omitempty"`
	Bytes            int64  `json:"bytes"`
	Error            string `json:"error,omitempty"`
	// DuplicateOf names the earlier source with the same content, for skipped ones.
	DuplicateOf string   `json:"duplicate_of,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// Summary is the result of a run.
type Summary struct {
	Files    int   `json:"files"` // sources found: files, S3 objects, CloudWatch Logs streams
	Ingested int   `json:"ingested"`
	Skipped  int   `json:"skipped"`
	Partial  int   `json:"partial"`
	Failed   int   `json:"failed"`
	Lines    int64 `json:"lines"`
	Records  int64 `json:"records"`
	Rejects  int64 `json:"rejects"`
	// RejectsNotKept counts the rejects (among Rejects) not kept as rows
	// (see FileResult).
	RejectsNotKept int64    `json:"rejects_not_kept,omitempty"`
	Headers        int64    `json:"headers"`
	OutOfWindow    int64    `json:"out_of_window"`
	Bytes          int64    `json:"bytes"`
	Ignored        []string `json:"ignored,omitempty"`
	// NotRead lists what folder walks passed over other than by name: a
	// symbolic link loop or a link to nothing, a named pipe, a device.
	NotRead  []source.Skip `json:"not_read,omitempty"`
	Listings []Listing     `json:"listings,omitempty"`
	// StaleSpools lists the spool folders of ingests that were killed
	// before they could remove them, removed by this run.
	StaleSpools []string     `json:"stale_spools_removed,omitempty"`
	Seconds     float64      `json:"seconds"`
	Results     []FileResult `json:"results"`
}

// Listing is what one S3 location or CloudWatch Logs group listing did.
type Listing struct {
	Location string `json:"location"`
	// Prefixes are the S3 prefixes listed ("|/" marks a one-level
	// listing), or the log group's stream prefix.
	Prefixes []string `json:"prefixes,omitempty"`
	Keys     int      `json:"keys_listed"`
	Selected int      `json:"selected"`
	// Pruned counts the listed objects (or whole account folders) outside
	// the accounts, regions or time window asked for; SkippedFolders the
	// hour folders never listed for that reason.
	Pruned         int      `json:"pruned"`
	SkippedFolders int      `json:"skipped_folders,omitempty"`
	Ignored        int      `json:"ignored"`
	IgnoredKeys    []string `json:"ignored_keys,omitempty"`
	Notes          []string `json:"notes,omitempty"`
}

// Progress is a snapshot of a running ingest.
type Progress struct {
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
	Records               int64
	Elapsed               time.Duration
	// Listing is true while sources are still being found (the totals
	// grow).
	Listing bool
	Done    bool
}

// input is one source to ingest, as a finder produced it.
type input struct {
	res    *FileResult
	path   string // sources.path: a file path, s3://bucket/key, cwl://group/stream
	origin string // file, s3, cwl
	etag   string
	size   int64 // -1 when unknown
	part   source.Partition
	// badPart says which partition folder of the path holds a value AWS
	// does not write there (source.InvalidPartition): the source fails.
	badPart string
	// fetch downloads a remote source (w is the window to fetch, for
	// streams); nil for local files.
	fetch func(ctx context.Context, sp source.Spooler, w window) (*source.Spool, error)
	// stream marks a CloudWatch Logs stream, whose identity is its path.
	stream bool
	win    window
	// format reads lines before any header; guess lets a Transit Gateway
	// shape replace it (the user gave no format).
	format flow.Format
	guess  bool
	// sha (or hashErr) is a local file's SHA-256, computed by its finder,
	// and stamp what the file system said of it then; copyOf names an
	// earlier file of the run with the same content.
	sha     string
	stamp   source.Stamp
	hashErr error
	copyOf  string
	// src is the sources row of the input once its loader has built it:
	// what a failure is recorded as when the batch holding it fails;
	// content is the SHA-256 of its content decoded, once known.
	src     store.Source
	content string
}

// prepared is an input ready to load: fetched (remote) and decided.
type prepared struct {
	in    *input
	spool *source.Spool
	err   error     // the fetch failed
	skip  *decision // skipped before fetching
	// stream is the decision taken for a stream before fetching it.
	stream *decision
}

// Run ingests every source under opts.Paths into c.
func Run(ctx context.Context, c *store.Case, opts Options) (*Summary, error) {
	if err := opts.Select.Validate(); err != nil {
		return nil, err
	}
	r := &runner{c: c, opts: opts, claimed: map[string]claim{}, claimedContent: map[string]claim{}, failed: map[string]bool{}, formatGiven: len(opts.Format.Cols) > 0}
	if !r.formatGiven {
		r.opts.Format = flow.DefaultFormat()
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	// A disk running short stops the run as an interruption does.
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.disk = &diskStop{cancel: cancel}
	workers := opts.Workers
	if workers <= 0 {
		workers = PlanResources(0).Workers
	}
	downloads := opts.Downloads
	if downloads <= 0 {
		downloads = 8
	}
	// The run's own spool folder, locked; the folders of runs killed
	// before they could remove theirs are removed (issue 17.15).
	sd, err := source.OpenSpoolDir(opts.SpoolDir)
	if err != nil {
		return nil, err
	}
	defer sd.Close()
	r.spoolDir = sd.Path
	r.spooler = source.Spooler{Dir: sd.Path, MemLimit: opts.SpoolMemory}

	// Find the sources. Local paths are walked and remote locations
	// connected to first, so that a typo, a missing bucket or denied access
	// stops the run before anything is read.
	finders, ignored, err := r.finders(ctx)
	if err != nil {
		return nil, err
	}
	ks, err := c.KnownSources(ctx)
	if err != nil {
		return nil, err
	}
	r.known = newKnown(ks)
	if err := r.checkDiskFirst(); err != nil {
		return nil, err
	}

	start := time.Now()
	stop := r.startProgress(start)
	inputs := make(chan *input)
	ready := make(chan *prepared)
	var findErr error
	go func() {
		defer close(inputs)
		for _, f := range finders {
			if err := f(ctx, func(in *input) bool {
				r.add(in)
				// Local files go straight to the loaders, in the order
				// they were found (nothing to fetch); remote sources to
				// the downloaders.
				if in.fetch == nil {
					select {
					case ready <- &prepared{in: in}:
						return true
					case <-ctx.Done():
						return false
					}
				}
				select {
				case inputs <- in:
					return true
				case <-ctx.Done():
					return false
				}
			}); err != nil {
				findErr = err
				return
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	var pwg sync.WaitGroup
	for range downloads {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for in := range inputs {
				p := r.prepare(ctx, in)
				if p == nil {
					continue // cancelled
				}
				select {
				case ready <- p:
				case <-ctx.Done():
					if p.spool != nil {
						p.spool.Close()
					}
				}
			}
		}()
	}
	go func() { pwg.Wait(); close(ready) }()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(ctx, ready, false)
		}()
	}
	wg.Wait()
	r.retryAlone(ctx)
	r.listing.Store(false)
	stop()

	s := &Summary{Ignored: ignored, NotRead: r.skipped, Seconds: time.Since(start).Seconds(), Listings: r.listings, StaleSpools: sd.Removed}
	r.mu.Lock()
	all := r.results
	r.mu.Unlock()
	s.Files = len(all)
	for _, fr := range all {
		if fr.Outcome == "" { // never started: cancelled
			continue
		}
		s.Results = append(s.Results, *fr)
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
		if fr.Outcome == Ingested || fr.Outcome == Partial {
			// Only what is in the case: a failed source stored nothing.
			s.Lines += fr.Lines
			s.Records += fr.Records
			s.Rejects += fr.Rejects
			s.RejectsNotKept += fr.RejectsNotKept
			s.Headers += fr.Headers
			s.OutOfWindow += fr.OutOfWindow
		}
		s.Bytes += fr.Bytes
	}
	if err := r.disk.err; err != nil && parent.Err() == nil {
		return s, fmt.Errorf("ingest stopped after %d of %d sources, the others are not in the case: %w", len(s.Results), s.Files, err)
	}
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("ingest interrupted after %d of %d sources; sources not committed are not in the case, run the same command again to finish: %w", len(s.Results), s.Files, err)
	}
	if findErr != nil {
		return s, fmt.Errorf("%w; the %d sources found before that were ingested (run the same command again once the cause is fixed: what is in the case is skipped)", findErr, len(s.Results))
	}
	// Each batch wrote a file per partition it touched: partitions left
	// with many small files are merged (see store.AutoCompactFiles).
	if s.Ingested+s.Partial > 0 {
		if _, err := c.Compact(ctx, store.CompactOptions{MinFiles: store.AutoCompactFiles}); err != nil {
			return s, fmt.Errorf("the sources are loaded, but merging the case's small record files failed (flowir compact tries again): %w", err)
		}
	}
	return s, nil
}

type runner struct {
	c           *store.Case
	opts        Options
	formatGiven bool
	spooler     source.Spooler
	spoolDir    string // the run's spool folder
	known       *known
	disk        *diskStop
	// local lists the local files found, for the first disk check.
	local []source.File

	mu      sync.Mutex
	claimed map[string]claim // sha256 -> the source of this run that claimed that content
	// claimedContent: content_sha256 -> the source of this run that claimed it
	claimedContent map[string]claim
	failed         map[string]bool // sha256 of sources of this run that failed
	// retry holds the sources of the batches that failed, loaded again one
	// by one once the others are done (see retryAlone).
	retry    []*input
	results  []*FileResult
	listings []Listing
	skipped  []source.Skip

	filesDone  atomic.Int64
	filesTotal atomic.Int64
	bytesDone  atomic.Int64
	bytesTotal atomic.Int64
	records    atomic.Int64
	listing    atomic.Bool
}

// add registers an input found by a finder.
func (r *runner) add(in *input) {
	in.res = &FileResult{Path: in.path, Origin: in.origin, ETag: in.etag}
	if in.size > 0 {
		in.res.Bytes = in.size
		r.bytesTotal.Add(in.size)
	}
	r.filesTotal.Add(1)
	r.mu.Lock()
	r.results = append(r.results, in.res)
	r.mu.Unlock()
}

func (r *runner) startProgress(start time.Time) (stop func()) {
	r.listing.Store(true)
	if r.opts.Progress == nil {
		return func() {}
	}
	tick := r.opts.Tick
	if tick <= 0 {
		tick = 200 * time.Millisecond
	}
	snap := func(done bool) Progress {
		return Progress{FilesDone: int(r.filesDone.Load()), FilesTotal: int(r.filesTotal.Load()), BytesDone: r.bytesDone.Load(),
			BytesTotal: r.bytesTotal.Load(), Records: r.records.Load(), Elapsed: time.Since(start), Listing: r.listing.Load(), Done: done}
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

type claim struct {
	path string
	id   int64 // source_id when the content is already in the case
}

// Batches are committed when they hold this many sources or records, or are
// this old: small enough that an interrupted ingest loses little work, large
// enough that thousands of small 5-minute objects do not cost a WAL sync each.
// (Variables so that tests can make an interrupted run commit some batches.)
var (
	batchSources = 4096
	batchRecords = int64(1_000_000)
	batchAge     = 10 * time.Second
)

// prepare fetches a remote input, unless what is asked of it is already in
// the case (an S3 object by key and ETag, a CloudWatch Logs stream by path
// and window). It returns nil when the context was cancelled.
func (r *runner) prepare(ctx context.Context, in *input) *prepared {
	p := &prepared{in: in}
	if in.fetch == nil {
		return p
	}
	r.mu.Lock()
	var d decision
	var skip bool
	fetchWin := in.win
	if in.stream {
		d = r.decideStream(in.path, in.win)
		skip, fetchWin, p.stream = d.skip, d.win, &d
	} else {
		d, skip = r.decideETag(in.path, in.etag, in.win)
	}
	r.mu.Unlock()
	if skip {
		p.skip = &d
		return p
	}
	if err := r.checkSpoolDisk(in); err != nil {
		r.disk.stop(err)
		return nil
	}
	sp := r.spooler
	if in.size > 0 {
		sp.OnWrite = func(n int) { r.bytesDone.Add(int64(n)) }
	} else {
		sp.OnWrite = func(n int) { r.bytesDone.Add(int64(n)); r.bytesTotal.Add(int64(n)) }
	}
	p.spool, p.err = in.fetch(ctx, sp, fetchWin)
	if ctx.Err() != nil {
		if p.spool != nil {
			p.spool.Close()
		}
		return nil
	}
	return p
}

// worker loads prepared sources, grouping them in batches. The outcome of a
// source in a batch is final only when the batch commits; if the commit
// fails, none of the batch's sources is in the case, and they are loaded
// again one by one (see retryAlone). A batch left open while the downloads
// lag behind is committed when it reaches its age. alone is retryAlone's
// worker: one source per batch, whose failure is final.
func (r *runner) worker(ctx context.Context, ready <-chan *prepared, alone bool) {
	var b *store.Batch
	var inBatch []*input
	perBatch := batchSources
	if alone {
		perBatch = 1
	}
	commit := func() {
		if b == nil {
			return
		}
		if err := commitBatch(b, inBatch); err != nil {
			r.notStored(ctx, inBatch, nil, "the transaction holding it failed ("+err.Error()+")", alone)
		}
		b, inBatch = nil, inBatch[:0]
	}
	timer := time.NewTimer(batchAge)
	defer timer.Stop()
	for {
		var p *prepared
		var ok bool
		select {
		case p, ok = <-ready:
		case <-timer.C:
			if b != nil && ctx.Err() == nil {
				commit()
			}
			timer.Reset(batchAge)
			continue
		}
		if !ok {
			break
		}
		if ctx.Err() == nil {
			if err := r.checkDiskFor(p); err != nil {
				r.disk.stop(err)
			}
		}
		if ctx.Err() != nil {
			// Cancelled: what is still queued is not started (its result
			// stays empty) rather than failed.
			if p.spool != nil {
				p.spool.Close()
			}
			continue
		}
		if b == nil {
			var err error
			if b, err = r.c.BeginBatch(ctx); err != nil {
				*p.in.res = FileResult{Path: p.in.path, Origin: p.in.origin, ETag: p.in.etag, Outcome: Failed, Bytes: p.in.res.Bytes, Notes: p.in.res.Notes, Error: err.Error()}
				p.in.src = r.sourceRow(p.in)
				r.filesDone.Add(1)
				if p.spool != nil {
					p.spool.Close()
				}
				r.notStored(ctx, []*input{p.in}, p.in, "", alone)
				continue
			}
			timer.Reset(batchAge)
		}
		used := r.source(ctx, b, p)
		if p.spool != nil {
			p.spool.Close()
		}
		// Progress counts sources read; their outcome is final at commit.
		r.filesDone.Add(1)
		res := p.in.res
		if used {
			inBatch = append(inBatch, p.in)
		}
		if res.Outcome == Failed && used {
			// A store error: the batch's transaction is gone.
			b.Abort()
			r.notStored(ctx, inBatch, p.in, "the transaction holding it was aborted by an error on "+res.Path, alone)
			b, inBatch = nil, inBatch[:0]
			continue
		}
		if b.Sources() >= perBatch || b.Records() >= batchRecords || b.Age() >= batchAge {
			commit()
		}
	}
	if ctx.Err() != nil && b != nil {
		b.Abort()
		r.notStored(ctx, inBatch, nil, "", alone)
		return
	}
	commit()
}

// commitBatch commits a batch holding the sources ins; a variable so that
// tests can make a commit fail as a full disk does, or as a batch too large
// for the memory left does.
var commitBatch = func(b *store.Batch, ins []*input) error { return b.Commit() }

// retryAlone loads the sources of the batches that failed again, one
// source per batch, one batch at a time, after every other source: a batch
// fails as a whole, because of one bad source or because batches
// committing at once ran out of memory (DuckDB's "Out of Memory"), and
// alone only a guilty source fails again (issue 17.1). A remote source is
// fetched again. If the run is interrupted, the sources not loaded again
// are not started, as far as the case is concerned.
func (r *runner) retryAlone(ctx context.Context) {
	r.mu.Lock()
	retry := r.retry
	r.retry = nil
	r.mu.Unlock()
	if len(retry) == 0 {
		return
	}
	ready := make(chan *prepared)
	go func() {
		defer close(ready)
		for i, in := range retry {
			if ctx.Err() != nil {
				for _, rest := range retry[i:] {
					*rest.res = FileResult{Path: rest.path}
				}
				return
			}
			why := in.res.Error
			*in.res = FileResult{Path: in.path, Origin: in.origin, ETag: in.etag, Bytes: max(in.size, 0),
				Notes: []string{"loaded again on its own, after the batch it was in failed: " + why}}
			in.src, in.content = store.Source{}, ""
			p := r.prepare(ctx, in)
			if p == nil {
				*in.res = FileResult{Path: in.path}
				continue // cancelled: the rest are not started
			}
			select {
			case ready <- p:
			case <-ctx.Done():
				*in.res = FileResult{Path: in.path}
				if p.spool != nil {
					p.spool.Close()
				}
			}
		}
	}()
	r.worker(ctx, ready, true)
}

// notStored sets the results of a batch's sources that did not reach the
// case. When the run was interrupted they were not started, as far as the
// case is concerned: nothing was wrong with them, and the next run ingests
// them. Otherwise they failed because of why, except cause, the source
// whose error aborted the batch, which keeps its own result. Unless final,
// they are queued to be loaded again one by one (retryAlone); a final
// failure is recorded in sources (issue 17.13), outside the batch that is
// gone, so that `flowir status` counts it and the next run loads it again.
func (r *runner) notStored(ctx context.Context, ins []*input, cause *input, why string, final bool) {
	for _, in := range ins {
		o := in.res
		switch {
		case ctx.Err() != nil:
			*o = FileResult{Path: o.Path}
			continue
		case in != cause:
			*o = FileResult{Path: o.Path, Origin: o.Origin, ETag: o.ETag, Format: o.Format, Outcome: Failed, Bytes: o.Bytes, Notes: o.Notes,
				Error: "not stored: " + why + "; run the ingest again"}
		}
		r.unclaim(in.path, in.src.SHA256, in.content)
		if !final {
			// Counted again as it is loaded again.
			r.filesDone.Add(-1)
			r.bytesDone.Add(-max(in.size, 0))
			r.mu.Lock()
			r.retry = append(r.retry, in)
			r.mu.Unlock()
			continue
		}
		r.recordFailure(ctx, in, in.src)
	}
}

// unclaim forgets that the source at path, which failed, claimed the
// content sha and the content decoded: it is not in the case, so a copy of
// the same content later in the run may still be ingested.
func (r *runner) unclaim(path, sha, content string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if content != "" && r.claimedContent[content].path == path {
		delete(r.claimedContent, content)
	}
	if sha == "" {
		return
	}
	if r.claimed[sha].path == path {
		delete(r.claimed, sha)
	}
	r.failed[sha] = true
}

// recordFailure records in's failure (its result's error) in sources, or
// says in its result why that failed too.
func (r *runner) recordFailure(ctx context.Context, in *input, src store.Source) {
	if err := r.c.RecordFailure(ctx, src, in.res.Error); err != nil {
		in.res.Error += " (and recording the failure failed: " + err.Error() + ")"
	}
}

// sourceRow is the sources row of in as its finder knows it, before it is
// read.
func (r *runner) sourceRow(in *input) store.Source {
	return store.Source{Path: in.path, Origin: in.origin, ETag: in.etag, Size: max(in.size, 0),
		Account: in.part.Account, Region: in.part.Region, Date: in.part.Date, Hour: in.part.Hour}
}

// source loads one prepared source into batch b and sets its result. used
// reports whether the source's data went into the batch (so that the
// batch's fate is the source's).
func (r *runner) source(ctx context.Context, b *store.Batch, p *prepared) (used bool) {
	in := p.in
	res := in.res
	src := r.sourceRow(in)
	defer func() { in.src = src }()
	fail := func(err error, record bool) bool {
		// Kept in sources.error: no password of an --endpoint-url in it.
		res.Outcome, res.Error = Failed, awsapi.Redact(err.Error())
		res.SourceID, res.Lines, res.Records, res.Rejects, res.Headers, res.OutOfWindow = 0, 0, 0, 0, 0, 0
		res.MillisecondTimes = 0
		r.unclaim(in.path, src.SHA256, in.content)
		if record {
			r.recordFailure(ctx, in, src)
		}
		return false
	}
	skipped := func(d decision) bool {
		res.Outcome, res.DuplicateOf, res.SourceID = Skipped, d.dupPath, d.dupID
		return false
	}
	if p.skip != nil {
		r.bytesDone.Add(max(in.size, 0))
		return skipped(*p.skip)
	}
	if p.err != nil {
		return fail(p.err, true)
	}
	if in.badPart != "" {
		r.bytesDone.Add(max(in.size, 0))
		return fail(fmt.Errorf("%s, so the account, Region and day of its records cannot be taken from its path; AWS writes AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/year=YYYY/month=MM/day=DD[/hour=HH]/: rename the folder, or copy the file out of it, and ingest it again", in.badPart), true)
	}

	// The bytes as stored: the local file, or the spool of a remote one.
	var open func() (io.ReadCloser, error)
	var file func() (string, error)
	var local *localRead
	if p.spool != nil {
		src.SHA256, src.Size = p.spool.SHA256, p.spool.Size
		res.Bytes = p.spool.Size
		open = p.spool.Open
		file = func() (string, error) { return p.spool.File(r.spoolDir) }
	} else {
		if in.hashErr != nil {
			r.bytesDone.Add(max(in.size, 0))
			return fail(in.hashErr, true)
		}
		src.SHA256, src.Size = in.sha, in.stamp.Size
		if in.copyOf != "" {
			// A copy of an earlier file of this run: skipped as such,
			// unless that file failed (then this copy may be loaded).
			r.mu.Lock()
			failed := r.failed[in.sha]
			r.mu.Unlock()
			if !failed {
				r.bytesDone.Add(in.size)
				return skipped(decision{dupPath: in.copyOf})
			}
		}
		local = &localRead{path: in.path, sha: in.sha, stamp: in.stamp, progress: &r.bytesDone}
		defer local.close()
		open, file = local.open, local.file
	}
	defer func() {
		if local != nil {
			local.settle(in.size)
		}
	}()

	var d decision
	if p.stream != nil {
		d = *p.stream
	} else {
		r.mu.Lock()
		d = r.decideContent(in.path, src.SHA256, in.win)
		r.mu.Unlock()
	}
	if d.skip {
		return skipped(d)
	}
	src.Replaces = d.replaces
	src.Since, src.Until = d.win.since, d.win.until

	c, err := r.openContent(ctx, in.path, open, file, in.format, in.guess)
	if err != nil {
		return fail(err, true)
	}
	defer c.Close()
	src.Format = c.format
	res.Format = c.format
	c.partitions(&src)
	if c.records != nil {
		// No window applies to the playbook's JSON records (see load):
		// the source records none.
		src.Since, src.Until = time.Time{}, time.Time{}
	}
	if in.stream {
		if err := r.checkRetention(ctx, in, p.spool, d); err != nil {
			return fail(err, true)
		}
	}
	w, err := b.BeginSource(src)
	if err != nil {
		// Refused before anything of it was written: the batch is intact.
		return fail(err, true)
	}
	st, rj, notes, readErr, storeErr := r.load(ctx, c, w, d.win)
	res.Notes = append(res.Notes, notes...)
	res.SourceID, res.Lines, res.Records, res.Rejects, res.Headers, res.OutOfWindow = w.ID(), st.Lines, st.Records, st.Rejects, st.Headers, st.OutOfWindow
	res.MillisecondTimes = st.MillisecondTimes
	if storeErr != nil {
		res.SourceID = 0
		fail(storeErr, false)
		return true
	}
	if st.Records+st.OutOfWindow == 0 && st.Rejects > 0 {
		err := noRecords(st, rj)
		if derr := w.Discard(); derr != nil {
			fail(fmt.Errorf("%w; and taking its rejects back out of the batch failed: %v", err, derr), false)
			return true
		}
		res.SourceID = 0
		return fail(err, true)
	}
	if local != nil {
		// The records are those of the bytes hashed, or they go.
		if err := local.verify(ctx); err != nil {
			if derr := w.Discard(); derr != nil {
				fail(fmt.Errorf("%w; and taking its records back out of the batch failed: %v", err, derr), false)
				return true
			}
			res.SourceID = 0
			return fail(err, true)
		}
	}
	st.Status = store.StatusComplete
	res.Outcome = Ingested
	if readErr != nil {
		st.Error = fmt.Sprintf("after line %d: %v", st.Lines, readErr)
		if st.Lines == 0 {
			// Nothing was read: the source failed. Its (empty) rows need no undo.
			res.SourceID = 0
			return fail(fmt.Errorf("%s: %w", in.path, readErr), true)
		}
		st.Status, res.Outcome, res.Error = store.StatusPartial, Partial, st.Error
	} else {
		if st.ContentSHA256, err = c.contentSHA(ctx, src.SHA256); err != nil {
			fail(fmt.Errorf("read %s: %w", in.path, err), false)
			return true
		}
	}

	// The same records may be in the case in another container, or as
	// another copy of the same evidence: decided now that the source's
	// content and outcome are known.
	r.mu.Lock()
	dd := r.decideDecoded(in.path, st.ContentSHA256, d.win)
	r.mu.Unlock()
	if !dd.skip {
		in.content = st.ContentSHA256
	}
	if !dd.skip {
		v := settleCopies(in.path, d.copies, st.Status, st.Records)
		res.Notes = append(res.Notes, v.notes...)
		if v.drop {
			dd = decision{skip: true, dupPath: v.dupPath, dupID: v.dupID}
		} else {
			w.Supersede(v.supersede...)
			w.Supersede(dd.replaces...)
		}
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("not stored: its records are those of source %s, whose content decoded is the same (SHA-256 %s): the same delivery in another container, such as a .log.gz and the .log gunzipped from it", describe(dd), st.ContentSHA256))
	}
	if dd.skip {
		if err := w.Discard(); err != nil {
			fail(fmt.Errorf("%s: taking its records back out of the batch failed: %w", in.path, err), false)
			return true
		}
		r.mu.Lock()
		r.release(in.path, src.SHA256, st.ContentSHA256)
		r.mu.Unlock()
		*res = FileResult{Path: res.Path, Origin: res.Origin, ETag: res.ETag, Format: res.Format, Bytes: res.Bytes, Notes: res.Notes,
			Outcome: Skipped, DuplicateOf: dd.dupPath, SourceID: dd.dupID}
		return false
	}
	res.RejectsNotKept = w.RejectsNotKept()
	w.Finish(st)
	return true
}

// describe names the source a decision refers to.
func describe(d decision) string {
	if d.dupID != 0 {
		return fmt.Sprintf("%d (%s)", d.dupID, d.dupPath)
	}
	return d.dupPath + " (of this run)"
}

// localRead reads a local file for its loader, once, hashing every byte it
// reads: the file's records are stored only if the bytes they were decoded
// from are the bytes its finder hashed (the SHA-256 the case records), and
// the file did not change while it was read (see verify). Without that, a
// file still being written (an `aws s3 sync` running into the folder) could
// be stored with one content's hash and another's records, and be loaded
// again by the next ingest: counted twice.
type localRead struct {
	path     string
	sha      string       // what the finder hashed
	stamp    source.Stamp // what the file system said then
	progress *atomic.Int64

	f       *os.File
	h       hash.Hash
	read    int64 // bytes read (and hashed) so far
	parquet bool  // handed to the Parquet reader by path
}

func (l *localRead) open() (io.ReadCloser, error) {
	f, st, err := source.OpenFile(l.path)
	if err != nil {
		return nil, err
	}
	if !st.Same(l.stamp) {
		f.Close()
		return nil, source.ChangedError(l.path, l.stamp, st)
	}
	l.f, l.h = f, sha256.New()
	return l, nil
}

// Read reads the file, hashing and counting what it reads.
func (l *localRead) Read(p []byte) (int, error) {
	n, err := l.f.Read(p)
	if n > 0 {
		l.h.Write(p[:n])
		l.read += int64(n)
		l.progress.Add(int64(n))
	}
	return n, err
}

// Close is a no-op: the file stays open for verify; close closes it.
func (l *localRead) Close() error { return nil }

func (l *localRead) close() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// file hands the file to a reader that needs it by path (Parquet's); verify
// then hashes it again after reading.
func (l *localRead) file() (string, error) {
	l.parquet = true
	return l.path, nil
}

// verify checks, after the decoder is done, that the bytes decoded were the
// bytes hashed: it reads what the decoder left (after damage, say) into
// the hash, and compares the hash and the file's stamp, as open, as read to
// the end and as now under its name, with the finder's.
func (l *localRead) verify(ctx context.Context) error {
	if l.parquet {
		sha, st, err := source.HashFile(ctx, l.path)
		if err != nil {
			return err
		}
		if !st.Same(l.stamp) {
			return source.ChangedError(l.path, l.stamp, st)
		}
		if sha != l.sha {
			return source.ChangedError(l.path, l.stamp, st)
		}
		return nil
	}
	if _, err := source.CopyContext(ctx, io.Discard, l); err != nil {
		return fmt.Errorf("read %s: %w", l.path, err)
	}
	end, err := l.f.Stat()
	if err != nil {
		return err
	}
	if st := source.StampOf(end); !st.Same(l.stamp) {
		return source.ChangedError(l.path, l.stamp, st)
	}
	now, err := os.Stat(l.path)
	if err != nil {
		return fmt.Errorf("%s: %w (it was removed or renamed while it was read): run the ingest again", l.path, source.ErrChanged)
	}
	if st := source.StampOf(now); !st.Same(l.stamp) {
		return source.ChangedError(l.path, l.stamp, st)
	}
	if sum := hex.EncodeToString(l.h.Sum(nil)); sum != l.sha {
		return source.ChangedError(l.path, l.stamp, source.StampOf(now))
	}
	return nil
}

// settle counts the bytes of the file not read (skipped, failed, or read
// by the Parquet reader), for progress.
func (l *localRead) settle(size int64) {
	if rest := size - l.read; rest > 0 {
		l.progress.Add(rest)
	}
}
