package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// finder produces inputs; emit returns false when the run is cancelled.
type finder func(ctx context.Context, emit func(*input) bool) error

// finders sorts the paths into local paths, S3 locations and CloudWatch
// Logs groups, walks the local ones and connects to the remote ones (so
// that every path is checked before anything is read), and returns one
// finder per kind. Remote listings run while the ingest does.
func (r *runner) finders(ctx context.Context) ([]finder, []string, error) {
	var local []string
	var locs []source.S3Location
	var groups []string
	stdin := false
	for _, p := range r.opts.Paths {
		switch {
		case p == StdinPath:
			if stdin {
				return nil, nil, fmt.Errorf("- (standard input) is given twice: it can be read once")
			}
			if r.opts.Stdin == nil {
				return nil, nil, fmt.Errorf("- (standard input) cannot be read here")
			}
			stdin = true
		case source.IsS3URL(p):
			loc, err := source.ParseS3URL(p)
			if err != nil {
				return nil, nil, err
			}
			locs = append(locs, loc)
		case source.IsCWLURL(p):
			g, err := source.ParseCWLURL(p)
			if err != nil {
				return nil, nil, err
			}
			groups = append(groups, g)
		default:
			local = append(local, p)
		}
	}
	req := window{r.opts.Select.Since, r.opts.Select.Until}
	var fs []finder
	var ignored []string
	if stdin {
		fs = append(fs, r.stdinFinder(req))
	}
	if len(local) > 0 {
		files, ign, skipped, err := source.Walk(local)
		if err != nil {
			return nil, nil, err
		}
		ignored = ign
		r.skipped = skipped
		var keep []source.File
		pruned := 0
		for _, f := range files {
			if r.selected(filePartition(f)) {
				keep = append(keep, f)
			} else {
				pruned++
			}
		}
		if pruned > 0 {
			r.listings = append(r.listings, Listing{Location: "local paths", Keys: len(files), Selected: len(keep), Pruned: pruned})
		}
		r.local = keep
		fs = append(fs, func(ctx context.Context, emit func(*input) bool) error {
			// Files are hashed here, in the order they were found, so that
			// of two copies of the same content in one run the first
			// found is always the one loaded (the one under AWSLogs/
			// before a renamed copy, say), whatever the loaders' timing,
			// and so that content already in the case is skipped without
			// being decoded. Hashing reads a file far faster than
			// decoding it, and the loader reads it next, mostly from the
			// page cache. The hash is only what decides; the hash stored
			// is the one the loader computes over the bytes it decodes,
			// which must be the same (see localRead).
			first := map[string]string{}
			for _, f := range keep {
				in := &input{path: f.Canonical, origin: "file", size: f.Stamp.Size, part: filePartition(f), win: req,
					format: r.opts.Format, guess: !r.formatGiven, badPart: source.InvalidPartition(f.Path)}
				if in.badPart == "" && in.part.Layout == "" {
					in.badPart = source.InvalidPartition(f.Canonical)
				}
				in.sha, in.stamp, in.hashErr = source.HashFile(ctx, f.Canonical)
				if ctx.Err() != nil {
					return nil
				}
				if in.hashErr == nil {
					if p, ok := first[in.sha]; ok {
						in.copyOf = p
					} else {
						first[in.sha] = f.Canonical
					}
				}
				if !emit(in) {
					return nil
				}
			}
			return nil
		})
	}
	for _, loc := range locs {
		client, err := awsapi.NewS3(ctx, r.opts.AWS, loc.Bucket)
		if err != nil {
			return nil, nil, err
		}
		fs = append(fs, r.s3Finder(client, loc, req))
	}
	for _, g := range groups {
		f, err := r.cwlFinder(ctx, g, req)
		if err != nil {
			return nil, nil, err
		}
		fs = append(fs, f)
	}
	return fs, ignored, nil
}

// filePartition is what a local file's path says of its records: the S3
// layout of its folders as found (through any links), else of its
// canonical location (a linked folder inside a synced bucket copy), else
// AWS's file name.
func filePartition(f source.File) source.Partition {
	p := source.ParseKey(f.Path)
	if p.Layout == "" {
		if q := source.ParseKey(f.Canonical); q.Layout != "" {
			return q
		}
	}
	return p
}

// StdinPath is the source that stands for standard input.
const StdinPath = "-"

// stdinFinder reads standard input once, into a spool (hashed as it is
// written), which is then loaded like a downloaded object: the bytes hashed
// are the bytes decoded. Its identity is its content.
func (r *runner) stdinFinder(req window) finder {
	return func(ctx context.Context, emit func(*input) bool) error {
		var once sync.Once
		var sp *source.Spool
		var err error
		in := &input{path: StdinPath, origin: "stdin", size: -1, win: req, format: r.opts.Format, guess: !r.formatGiven,
			fetch: func(ctx context.Context, spooler source.Spooler, _ window) (*source.Spool, error) {
				once.Do(func() {
					w := spooler.Create("standard input", -1)
					if _, cerr := source.CopyContext(ctx, w, source.ContextReader(ctx, r.opts.Stdin)); cerr != nil {
						w.Abort()
						if ctx.Err() != nil {
							err = ctx.Err()
						} else {
							err = fmt.Errorf("read standard input: %w", cerr)
						}
						return
					}
					sp, err = w.Finish()
				})
				return sp, err
			}}
		emit(in)
		return nil
	}
}

// selected applies --account and --region to what a path or key says, and
// the time window to its folders and file name stamp (ObjectOverlaps);
// a path that says nothing is selected.
func (r *runner) selected(p source.Partition) bool {
	sel := r.opts.Select
	if p.Account != "" && len(sel.Accounts) > 0 && !slices.Contains(sel.Accounts, p.Account) {
		return false
	}
	if p.Region != "" && len(sel.Regions) > 0 && !slices.Contains(sel.Regions, p.Region) {
		return false
	}
	return !sel.Bounded() || source.ObjectOverlaps(p, sel.Since, sel.Until)
}

func (r *runner) s3Finder(client *awsapi.S3, loc source.S3Location, req window) finder {
	return func(ctx context.Context, emit func(*input) bool) error {
		l, err := source.ListS3(ctx, client, loc, r.opts.Select, func(o source.S3Object) error {
			in := &input{path: o.URL(), origin: "s3", etag: o.ETag, size: o.Size, part: o.Part, win: req,
				format: r.opts.Format, guess: !r.formatGiven, badPart: source.InvalidPartition(o.URL()),
				fetch: func(ctx context.Context, sp source.Spooler, _ window) (*source.Spool, error) {
					return source.FetchS3(ctx, client, o, sp)
				}}
			if !emit(in) {
				return ctx.Err()
			}
			return nil
		})
		if l != nil {
			r.mu.Lock()
			r.listings = append(r.listings, Listing{Location: loc.String(), Prefixes: l.Listed, Keys: l.Keys, Selected: l.Selected,
				Pruned: l.Pruned, SkippedFolders: l.SkippedFolders, Ignored: l.Ignored, IgnoredKeys: l.IgnoredKeys, Notes: l.Notes})
			r.mu.Unlock()
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("listing %s: %w", loc, err)
		}
		return nil
	}
}

// cwlFinder connects to CloudWatch Logs and resolves the group's record
// format: --log-format, else the format of the flow logs that deliver to
// the group (DescribeFlowLogs). Several flow logs with different formats
// are an error (streams cannot be told apart); none gives AWS's default
// format, and a note says so.
func (r *runner) cwlFinder(ctx context.Context, group string, req window) (finder, error) {
	client, err := awsapi.NewCWL(ctx, r.opts.AWS)
	if err != nil {
		return nil, err
	}
	format, guess := r.opts.Format, !r.formatGiven
	var notes []string
	if !r.formatGiven {
		fls, err := awsapi.FlowLogsForLogGroup(ctx, r.opts.AWS, group)
		if err != nil {
			return nil, fmt.Errorf("cwl://%s: the record format of the group's flow log could not be looked up (%w); give it with --log-format, or grant ec2:DescribeFlowLogs", group, err)
		}
		formats := map[string][]string{}
		for _, f := range fls {
			lf := f.LogFormat
			if lf == "" {
				lf = flow.DefaultFormat().String()
			}
			formats[lf] = append(formats[lf], f.ID)
		}
		switch len(formats) {
		case 0:
			notes = append(notes, "no flow log delivers to this group now, so its events are read with AWS's default format (or Transit Gateway's, by their shape); give --log-format if they were written in another")
		case 1:
			for lf, ids := range formats {
				f, err := flow.ParseFormat(lf)
				if err != nil {
					return nil, fmt.Errorf("cwl://%s: flow log %s has a log format flowir cannot read (%v); give --log-format", group, strings.Join(ids, ", "), err)
				}
				format, guess = f, false
				notes = append(notes, fmt.Sprintf("record format from flow log %s", strings.Join(ids, ", ")))
			}
		default:
			var desc []string
			for lf, ids := range formats {
				desc = append(desc, fmt.Sprintf("%s: %s", strings.Join(ids, ", "), lf))
			}
			slices.Sort(desc)
			return nil, fmt.Errorf("cwl://%s: flow logs with different formats deliver to this group (%s); flowir cannot tell their streams apart: give --log-format, and --stream-prefix to read one flow log's streams", group, strings.Join(desc, "; "))
		}
	}
	return func(ctx context.Context, emit func(*input) bool) error {
		listed, pruned, err := source.ListCWLStreams(ctx, client, group, r.opts.StreamPrefix, r.opts.Select, func(s source.CWLStream) error {
			// A stream is read up to now; a later ingest reads on from there.
			win := req
			if now := r.opts.Now().UTC().Truncate(1e9); win.until.IsZero() || win.until.After(now) {
				win.until = now
			}
			in := &input{path: s.URL(), origin: "cwl", size: -1, win: win, stream: true, format: format, guess: guess,
				fetch: func(ctx context.Context, sp source.Spooler, w window) (*source.Spool, error) {
					return source.FetchCWL(ctx, client, s, w.since, w.until, sp)
				}}
			if !emit(in) {
				return ctx.Err()
			}
			return nil
		})
		r.mu.Lock()
		l := Listing{Location: "cwl://" + group, Keys: listed, Selected: listed - pruned, Pruned: pruned, Notes: notes}
		if r.opts.StreamPrefix != "" {
			l.Prefixes = []string{r.opts.StreamPrefix}
		}
		r.listings = append(r.listings, l)
		r.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("listing the streams of cwl://%s: %w", group, err)
		}
		return nil
	}, nil
}

// checkRetention guards the supersession of earlier loads of a CloudWatch
// Logs stream. Unlike a file, a stream's old events expire (log group
// retention), so a new fetch may hold fewer of them than an earlier load
// did; superseding that load would then delete evidence that can no longer
// be read again. The new content must hold, within each earlier load's
// window, at least the records that load kept.
func (r *runner) checkRetention(ctx context.Context, in *input, sp *source.Spool, d decision) error {
	var priors []store.KnownSource
	for _, s := range r.known.byPath[in.path] {
		if s.Status != store.StatusFailed && s.Records > 0 {
			priors = append(priors, s)
		}
	}
	if len(priors) == 0 {
		return nil
	}
	c, err := r.openContent(ctx, in.path, sp.Open, func() (string, error) { return sp.File(r.spoolDir) }, in.format, in.guess)
	if err != nil {
		return err
	}
	defer c.Close()
	var it itemReader = c.text
	if c.cwl != nil {
		it = c.cwl
	}
	if it == nil {
		return nil
	}
	counts := make([]int64, len(priors))
	keepers := make([]keeper, len(priors))
	for i, p := range priors {
		keepers[i] = windowOf(p).keeper()
	}
	for {
		item, err := it.Next()
		if err != nil {
			break
		}
		if item.Kind != decode.ItemRecord {
			continue
		}
		for i, k := range keepers {
			if k.keep(item.Record) {
				counts[i]++
			}
		}
	}
	for i, p := range priors {
		if counts[i] < p.Records {
			return fmt.Errorf("%s: %w: source %d holds %d records of this stream, the stream now has only %d in the same window (expired by the log group's retention?); the earlier load is kept: ingest the new window into another case", in.path, errRetention, p.ID, p.Records, counts[i])
		}
	}
	return nil
}

var errRetention = errors.New("the stream holds fewer records than the case")
