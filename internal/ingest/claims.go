package ingest

import (
	"time"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/store"
)

// window is a record time window: records with end >= since and start <
// until are kept. A zero time leaves that side open.
type window struct{ since, until time.Time }

func (w window) bounded() bool { return !w.since.IsZero() || !w.until.IsZero() }

// covers reports whether every record o keeps, w keeps too.
func (w window) covers(o window) bool {
	sinceOK := w.since.IsZero() || (!o.since.IsZero() && !o.since.Before(w.since))
	untilOK := w.until.IsZero() || (!o.until.IsZero() && !o.until.After(w.until))
	return sinceOK && untilOK
}

// hull is the smallest window covering a and b.
func hull(a, b window) window {
	var h window
	if !a.since.IsZero() && !b.since.IsZero() {
		h.since = a.since
		if b.since.Before(a.since) {
			h.since = b.since
		}
	}
	if !a.until.IsZero() && !b.until.IsZero() {
		h.until = a.until
		if b.until.After(a.until) {
			h.until = b.until
		}
	}
	return h
}

// bounds returns the window in whole Unix seconds: since rounded down and
// until rounded up, as `flowir query --since/--until` widens them, since
// start and end are whole seconds and a record that may overlap the window
// must not be lost. Then a pruned ingest keeps exactly the records a query
// over a full ingest selects with the same window.
func (w window) bounds() (since, until int64, hasSince, hasUntil bool) {
	if !w.since.IsZero() {
		since, hasSince = w.since.Unix(), true
	}
	if !w.until.IsZero() {
		until, hasUntil = w.until.Unix(), true
		if w.until.Nanosecond() != 0 {
			until++
		}
	}
	return
}

// keeper decides record by record; a record without the time it is
// compared on (a format without start or end, or '-') cannot be placed in
// the window and is left out, as the same condition in SQL leaves it out.
type keeper struct {
	since, until       int64
	hasSince, hasUntil bool
}

func (w window) keeper() keeper {
	var k keeper
	k.since, k.until, k.hasSince, k.hasUntil = w.bounds()
	return k
}

func (k keeper) all() bool { return !k.hasSince && !k.hasUntil }

func (k keeper) keep(r *flow.Record) bool {
	if k.hasSince && (!r.Has(flow.End) || r.Num[flow.End] < k.since) {
		return false
	}
	if k.hasUntil && (!r.Has(flow.Start) || r.Num[flow.Start] >= k.until) {
		return false
	}
	return true
}

// known is what the case holds, loaded once per run (store.KnownSources).
type known struct {
	bySHA  map[string][]store.KnownSource // complete and partial sources by content
	byPath map[string][]store.KnownSource // every complete, partial or failed source by path
	byETag map[string][]store.KnownSource // complete and partial S3 objects by path and ETag
}

func newKnown(ks []store.KnownSource) *known {
	k := &known{bySHA: map[string][]store.KnownSource{}, byPath: map[string][]store.KnownSource{}, byETag: map[string][]store.KnownSource{}}
	for _, s := range ks {
		k.byPath[s.Path] = append(k.byPath[s.Path], s)
		if s.Status == store.StatusFailed {
			continue
		}
		if s.SHA256 != "" {
			k.bySHA[s.SHA256] = append(k.bySHA[s.SHA256], s)
		}
		if s.ETag != "" {
			k.byETag[s.Path+"\x00"+s.ETag] = append(k.byETag[s.Path+"\x00"+s.ETag], s)
		}
	}
	return k
}

func windowOf(s store.KnownSource) window { return window{s.Since, s.Until} }

// decision is what to do with a source.
type decision struct {
	skip     bool
	dupPath  string // the source already holding the content
	dupID    int64
	win      window        // the window to load with
	replaces []store.Prior // earlier sources this one supersedes
}

// coveredBy returns the first of ks whose window covers w.
func coveredBy(ks []store.KnownSource, w window) (store.KnownSource, bool) {
	for _, s := range ks {
		if windowOf(s).covers(w) {
			return s, true
		}
	}
	return store.KnownSource{}, false
}

// decideContent decides about a source whose content is fixed by its
// SHA-256 (a file, an S3 object). The same content already in the case with
// a window covering the requested one is skipped, wherever it came from.
// Content in the case under a narrower window is read again with the hull
// of the windows, superseding the earlier loads, so that no record is
// counted twice and none the earlier loads held is lost. An earlier partial
// or failed load of the same path with other content is superseded too (a
// damaged download replaced by a good copy). The caller holds the runner's
// lock; the content is then claimed for this run.
func (r *runner) decideContent(path, sha string, req window) decision {
	if c, ok := r.claimed[sha]; ok {
		return decision{skip: true, dupPath: c.path, dupID: c.id}
	}
	priors := r.known.bySHA[sha]
	if s, ok := coveredBy(priors, req); ok {
		return decision{skip: true, dupPath: s.Path, dupID: s.ID}
	}
	d := decision{win: req}
	seen := map[int64]bool{}
	for _, s := range priors {
		d.win = hull(d.win, windowOf(s))
		d.replaces = append(d.replaces, s.Prior())
		seen[s.ID] = true
	}
	for _, s := range r.known.byPath[path] {
		if s.Status != store.StatusComplete && s.SHA256 != sha && !seen[s.ID] {
			d.replaces = append(d.replaces, s.Prior())
			seen[s.ID] = true
		}
	}
	r.claimed[sha] = claim{path: path}
	return d
}

// decideStream decides about a CloudWatch Logs stream, whose content grows
// (and expires) over time, so its identity is its path: a stream loaded
// before with a window covering the requested one is skipped without
// fetching; otherwise it is fetched with the hull of the windows and the
// earlier loads are superseded (see checkRetention).
func (r *runner) decideStream(path string, req window) decision {
	var priors []store.KnownSource
	for _, s := range r.known.byPath[path] {
		if s.Status != store.StatusFailed {
			priors = append(priors, s)
		}
	}
	if s, ok := coveredBy(priors, req); ok {
		return decision{skip: true, dupPath: s.Path, dupID: s.ID}
	}
	d := decision{win: req}
	for _, s := range r.known.byPath[path] {
		if s.Status != store.StatusFailed {
			d.win = hull(d.win, windowOf(s))
		}
		d.replaces = append(d.replaces, s.Prior())
	}
	return d
}

// decideETag reports whether an S3 object with this key and ETag is
// already in the case under a window covering req: then it is skipped
// without being downloaded.
func (r *runner) decideETag(path, etag string, req window) (decision, bool) {
	if etag == "" {
		return decision{}, false
	}
	if s, ok := coveredBy(r.known.byETag[path+"\x00"+etag], req); ok {
		return decision{skip: true, dupPath: s.Path, dupID: s.ID}, true
	}
	return decision{}, false
}
