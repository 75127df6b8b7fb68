package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/source"
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
	bySHA     map[string][]store.KnownSource // complete and partial sources by content
	byPath    map[string][]store.KnownSource // every complete, partial or failed source by location
	byETag    map[string][]store.KnownSource // complete and partial S3 objects by path and ETag
	byName    map[string][]store.KnownSource // complete and partial sources by AWS delivery name
	byContent map[string][]store.KnownSource // complete sources by content decoded
}

func newKnown(ks []store.KnownSource) *known {
	k := &known{bySHA: map[string][]store.KnownSource{}, byPath: map[string][]store.KnownSource{}, byETag: map[string][]store.KnownSource{},
		byName: map[string][]store.KnownSource{}, byContent: map[string][]store.KnownSource{}}
	canon := canonicalizer{}
	for _, s := range ks {
		loc := s.Path
		if s.Origin == "file" {
			loc = canon.location(s.Path)
		}
		k.byPath[loc] = append(k.byPath[loc], s)
		if s.Status == store.StatusFailed {
			continue
		}
		if s.SHA256 != "" {
			k.bySHA[s.SHA256] = append(k.bySHA[s.SHA256], s)
		}
		if s.ETag != "" {
			k.byETag[s.Path+"\x00"+s.ETag] = append(k.byETag[s.Path+"\x00"+s.ETag], s)
		}
		if n := source.DeliveryName(s.Path); n != "" {
			k.byName[n] = append(k.byName[n], s)
		}
		if s.ContentSHA256 != "" && s.Status == store.StatusComplete {
			k.byContent[s.ContentSHA256] = append(k.byContent[s.ContentSHA256], s)
		}
	}
	return k
}

// canonicalizer gives the canonical location (source.Canonical) of the
// paths of local sources already in the case. flowir stores canonical paths,
// but cases written before it did hold paths as the user typed them
// ("dl1/x.log.gz", "./dl1/x.log.gz"), relative to a working directory the
// case does not record: those are taken relative to the current one, which
// is right when the ingest is run again from where it was first run. Folders
// are resolved once each (a case holds many files per folder).
type canonicalizer map[string]string

func (c canonicalizer) location(p string) string {
	if p == "" || p == StdinPath {
		return p
	}
	dir, base := filepath.Split(p)
	cd, ok := c[dir]
	if !ok {
		if dir == "" {
			dir = "."
		}
		var err error
		if cd, err = source.Canonical(dir); err != nil {
			cd = filepath.Clean(dir)
		}
		c[dir] = cd
	}
	loc := filepath.Join(cd, base)
	if fi, err := os.Lstat(loc); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if r, err := filepath.EvalSymlinks(loc); err == nil {
			return r
		}
	}
	return loc
}

func windowOf(s store.KnownSource) window { return window{s.Since, s.Until} }

// decision is what to do with a source.
type decision struct {
	skip     bool
	dupPath  string // the source already holding the content
	dupID    int64
	win      window        // the window to load with
	replaces []store.Prior // earlier sources this one supersedes
	// copies are earlier sources with other content at the same location
	// or with the same AWS delivery name: copies of the same evidence,
	// settled once the source is read (see settleCopies).
	copies []store.KnownSource
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
		if s.SHA256 == sha || seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		if s.Status == store.StatusFailed {
			d.replaces = append(d.replaces, s.Prior()) // an earlier attempt: forgotten
		} else {
			d.copies = append(d.copies, s)
		}
	}
	if n := source.DeliveryName(path); n != "" {
		for _, s := range r.known.byName[n] {
			if s.SHA256 != sha && !seen[s.ID] {
				seen[s.ID] = true
				d.copies = append(d.copies, s)
			}
		}
	}
	r.claimed[sha] = claim{path: path}
	return d
}

// decideDecoded decides about a source by the hash of its content as
// decoded (sources.content_sha256; "" for a partial source): the same
// content decoded as a complete source of the case, under a window
// covering req, or as a source of this run, is the same records in another
// container (a .log.gz and the .log gunzipped from it), and is skipped. A
// complete source with that content under a narrower window is superseded
// (replaces); under another window, the caller is told nothing more: the
// records outside both windows were never in the case. The caller holds
// the runner's lock; the content is then claimed for this run.
func (r *runner) decideDecoded(path, content string, req window) decision {
	if content == "" {
		return decision{}
	}
	if c, ok := r.claimedContent[content]; ok && c.path != path {
		return decision{skip: true, dupPath: c.path, dupID: c.id}
	}
	priors := r.known.byContent[content]
	if s, ok := coveredBy(priors, req); ok {
		return decision{skip: true, dupPath: s.Path, dupID: s.ID}
	}
	var d decision
	for _, s := range priors {
		if req.covers(windowOf(s)) {
			d.replaces = append(d.replaces, s.Prior())
		}
	}
	r.claimedContent[content] = claim{path: path}
	return d
}

// release gives up the claims of a source of this run that is not stored,
// so that another copy of its content later in the run may be.
func (r *runner) release(path, sha, content string) {
	if c, ok := r.claimed[sha]; ok && c.path == path {
		delete(r.claimed, sha)
	}
	if c, ok := r.claimedContent[content]; ok && c.path == path {
		delete(r.claimedContent, content)
	}
}

// copyVerdict is what settleCopies decided.
type copyVerdict struct {
	drop      bool          // the source is not stored: the case holds it already
	dupPath   string        // then: the source that holds it
	dupID     int64         // ...
	supersede []store.Prior // earlier copies it replaces
	notes     []string
}

// settleCopies decides, once a source is read and its status and records
// are known, what becomes of it and of the earlier copies of the same
// evidence with other content (decision.copies: the same location, or the
// same AWS delivery name elsewhere, as a partial download and the good
// copy fetched later into another folder):
//
//   - a partial copy in the case is superseded by a complete source, or by
//     a partial one holding more records (both read up to damage in the
//     same delivery); a partial source holding no more than it is not
//     stored;
//   - a partial source of which the case holds a complete copy is not
//     stored;
//   - two complete copies are both kept (nothing says which one is right:
//     a re-export may hold more records), with a warning naming both, as
//     their common records are then counted twice.
func settleCopies(path string, copies []store.KnownSource, status string, records int64) copyVerdict {
	var v copyVerdict
	name := source.DeliveryName(path)
	same := func(s store.KnownSource) string {
		if name != "" && source.DeliveryName(s.Path) == name {
			return "the same AWS delivery, " + name
		}
		return "the same location"
	}
	// Not stored at all, if a copy in the case holds what it holds.
	for _, s := range copies {
		if status == store.StatusComplete {
			break
		}
		switch {
		case s.Status == store.StatusComplete:
			v.drop, v.dupPath, v.dupID = true, s.Path, s.ID
			v.notes = []string{fmt.Sprintf("not stored: partial, and the case holds %s complete as source %d (%s)", same(s), s.ID, s.Path)}
			return v
		case s.Records >= records:
			v.drop, v.dupPath, v.dupID = true, s.Path, s.ID
			v.notes = []string{fmt.Sprintf("not stored: partial, and partial source %d (%s) of %s holds as many records or more (%d)", s.ID, s.Path, same(s), s.Records)}
			return v
		}
	}
	for _, s := range copies {
		if s.Status == store.StatusPartial {
			v.supersede = append(v.supersede, s.Prior())
			v.notes = append(v.notes, fmt.Sprintf("supersedes partial source %d (%s, %d records): %s", s.ID, s.Path, s.Records, same(s)))
		} else {
			v.notes = append(v.notes, fmt.Sprintf("warning: source %d (%s) is %s with other content (%d records): both are kept, so records they share are counted twice; if one is a re-export of the other, ingest only one of them into a new case", s.ID, s.Path, same(s), s.Records))
		}
	}
	return v
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
