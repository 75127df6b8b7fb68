package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
)

// S3Location is a parsed s3://bucket/prefix argument.
type S3Location struct {
	Bucket string
	Prefix string // "" for the whole bucket; otherwise ends with "/" unless it names one object
}

// IsS3URL reports whether an ingest argument is an s3:// URL.
func IsS3URL(s string) bool { return len(s) >= 5 && strings.EqualFold(s[:5], "s3://") }

// ParseS3URL parses s3://bucket[/prefix]. A prefix is taken as a folder: a
// missing trailing slash is added, because "s3://b/logs" meaning every key
// starting with "logs" (logs-old/, logs2024/) would read evidence the user
// did not name; to read one object, give its full key (see S3Selection).
func ParseS3URL(s string) (S3Location, error) {
	if !IsS3URL(s) {
		return S3Location{}, fmt.Errorf("%q is not an s3:// URL", s)
	}
	bucket, prefix, _ := strings.Cut(s[5:], "/")
	if bucket == "" {
		return S3Location{}, fmt.Errorf("%q: no bucket name; write s3://BUCKET/PREFIX", s)
	}
	if len(bucket) < 3 || len(bucket) > 63 || strings.ContainsAny(bucket, " /\\?#") {
		return S3Location{}, fmt.Errorf("%q: %q is not a valid bucket name", s, bucket)
	}
	return S3Location{Bucket: bucket, Prefix: prefix}, nil
}

func (l S3Location) String() string { return "s3://" + l.Bucket + "/" + l.Prefix }

// Selection narrows what an ingest reads: the accounts and regions of the S3
// key layout, and a time window on the records (end >= Since and start <
// Until; zero times leave a side open).
type Selection struct {
	Accounts, Regions []string
	Since, Until      time.Time
}

// Bounded reports whether a time window is given.
func (s Selection) Bounded() bool { return !s.Since.IsZero() || !s.Until.IsZero() }

// Pruning reports whether the selection lets a listing skip parts of a bucket.
func (s Selection) Pruning() bool {
	return len(s.Accounts) > 0 || len(s.Regions) > 0 || s.Bounded()
}

// Validate checks the accounts and regions: a mistyped one would select
// nothing, silently.
func (s Selection) Validate() error {
	for _, a := range s.Accounts {
		if !ValidAccount(a) {
			return fmt.Errorf("account %q is not a 12-digit AWS account ID", a)
		}
	}
	for _, r := range s.Regions {
		if !ValidRegion(r) {
			return fmt.Errorf("region %q is not an AWS region name (such as us-east-1)", r)
		}
	}
	if !s.Since.IsZero() && !s.Until.IsZero() && !s.Since.Before(s.Until) {
		return fmt.Errorf("since (%s) must be before until (%s)", s.Since.UTC().Format(time.RFC3339), s.Until.UTC().Format(time.RFC3339))
	}
	return nil
}

// S3Object is one object selected for ingest.
type S3Object struct {
	awsapi.S3Object
	Bucket string
	Part   Partition // what the key says (ParseKey)
}

// URL is the object's s3://bucket/key, its path in the case's sources.
func (o S3Object) URL() string { return "s3://" + o.Bucket + "/" + o.Key }

// S3Listing says what a listing did: which prefixes it listed, how many
// requests that took, and what it passed over.
type S3Listing struct {
	// Listed holds each listing request's prefix, in order, with "|/"
	// appended when it was listed with the "/" delimiter (one level only).
	Listed   []string
	Keys     int // keys seen
	Selected int
	// Pruned counts the keys of flow log objects outside the selection
	// (another account, region or time); SkippedFolders the hour folders
	// not listed at all because they are outside the time window.
	Pruned, SkippedFolders int
	// Ignored counts keys that are not flow log objects (other AWS
	// services' logs, folder markers, files with other names); IgnoredKeys
	// holds the first few.
	Ignored     int
	IgnoredKeys []string
	// Notes are things the user should know (an account not found, ...).
	Notes []string
}

// maxDiscovery bounds the folder listings spent looking for AWSLogs/ below
// a prefix that does not hold it directly, and maxDepth how deep they go.
const (
	maxDiscovery = 200
	maxDepth     = 3
)

// ListS3 lists the objects under loc that sel selects and calls fn for each,
// in key order within each listed prefix.
//
// Without accounts, regions or a time window it lists every key under the
// prefix. With them it never lists the whole bucket: it finds the AWSLogs/
// folders (directly under the prefix, or up to three folder levels below
// it), reads the account folders there (plain and Hive-compatible layouts
// alike), and lists only the account/region/day prefixes the selection
// needs, as PrefixesFor computes them from the ListingWindow of the time
// range. A day folder is listed one level deep first; its hour folders (the
// hourly layouts) are listed only when their hour can hold selected records.
// Every key is then checked with ObjectOverlaps, so objects whose file name
// stamp is outside the window are not fetched. Missing regions or accounts
// are discovered from the folders.
//
// A prefix that points inside an AWSLogs tree (down to a region folder) is
// honoured: its account and region narrow the selection.
func ListS3(ctx context.Context, c *awsapi.S3, loc S3Location, sel Selection, fn func(S3Object) error) (*S3Listing, error) {
	l := &lister{c: c, bucket: loc.Bucket, sel: sel, fn: fn, out: &S3Listing{}}
	prefix := loc.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		// One object named in full is read as given.
		found := false
		err := l.list(ctx, prefix, "/", func(o awsapi.S3Object) error {
			if o.Key == prefix {
				found = true
				l.out.Selected++
				return fn(S3Object{S3Object: o, Bucket: loc.Bucket, Part: ParseKey(o.Key)})
			}
			return nil
		}, nil)
		if err != nil || found {
			return l.out, err
		}
		prefix += "/"
	}
	if !sel.Pruning() {
		return l.out, l.list(ctx, prefix, "", l.object, nil)
	}
	elems := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	if i := lastIndexOf(elems, awsLogsDir); i >= 0 {
		root := strings.Join(elems[:i], "/")
		if root != "" {
			root += "/"
		}
		below := elems[i+1:]
		if len(below) == 0 {
			return l.out, l.root(ctx, root)
		}
		p := ParseKey(prefix)
		if !p.Recognised() || p.Layout == "" || len(below) > 4 || (len(below) > 3 && p.Layout == LayoutPlain) {
			// Deeper than a region folder, or not a layout: list it and
			// let the key checks prune.
			return l.out, l.list(ctx, prefix, "", l.object, nil)
		}
		return l.out, l.account(ctx, root, p.Account, p.Layout == LayoutHive || p.Layout == LayoutHiveHourly, p.Region)
	}
	roots, err := l.discover(ctx, prefix)
	if err != nil {
		return l.out, err
	}
	if len(roots) == 0 {
		return l.out, fmt.Errorf("%s: no AWSLogs/ folder at or up to %d levels below this prefix, so --account, --region, --since and --until cannot narrow the listing: give the prefix that holds AWSLogs/, or leave those flags out to read every object under it", loc, maxDepth)
	}
	for _, r := range roots {
		if err := l.root(ctx, r); err != nil {
			return l.out, err
		}
	}
	return l.out, nil
}

type lister struct {
	c      *awsapi.S3
	bucket string
	sel    Selection
	fn     func(S3Object) error
	out    *S3Listing
}

// list lists prefix (with an optional delimiter) and hands objects to obj
// and sub-folders to folder.
func (l *lister) list(ctx context.Context, prefix, delim string, obj func(awsapi.S3Object) error, folder func(string) error) error {
	name := prefix
	if delim != "" {
		name += "|" + delim
	}
	l.out.Listed = append(l.out.Listed, name)
	return l.c.List(ctx, prefix, delim, func(p awsapi.S3Page) error {
		for _, o := range p.Objects {
			l.out.Keys++
			if err := obj(o); err != nil {
				return err
			}
		}
		for _, f := range p.Prefixes {
			if folder != nil {
				if err := folder(f); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// discover finds the AWSLogs/ folders at or below prefix, breadth first.
func (l *lister) discover(ctx context.Context, prefix string) ([]string, error) {
	var roots []string
	level := []string{prefix}
	budget := maxDiscovery
	for depth := 0; depth <= maxDepth && len(level) > 0; depth++ {
		var next []string
		for _, p := range level {
			if budget == 0 {
				l.out.Notes = append(l.out.Notes, fmt.Sprintf("stopped looking for AWSLogs/ folders after %d folder listings; name the prefix that holds AWSLogs/ to be sure nothing was missed", maxDiscovery))
				return roots, nil
			}
			budget--
			err := l.list(ctx, p, "/", func(awsapi.S3Object) error { return nil }, func(f string) error {
				if path.Base(strings.TrimSuffix(f, "/")) == awsLogsDir {
					roots = append(roots, strings.TrimSuffix(f, awsLogsDir+"/"))
				} else {
					next = append(next, f)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		level = next
	}
	return roots, nil
}

// root lists what the selection needs under root+"AWSLogs/".
func (l *lister) root(ctx context.Context, root string) error {
	type acct struct {
		id   string
		hive bool
	}
	var accts []acct
	err := l.list(ctx, root+awsLogsDir+"/", "/", l.object, func(f string) error {
		name := path.Base(strings.TrimSuffix(f, "/"))
		a := acct{id: name}
		if v, ok := strings.CutPrefix(name, "aws-account-id="); ok {
			a = acct{id: v, hive: true}
		}
		if !ValidAccount(a.id) {
			l.ignoreFolder(f)
			return nil
		}
		if len(l.sel.Accounts) > 0 && !slices.Contains(l.sel.Accounts, a.id) {
			l.out.Pruned++ // a whole account folder, counted once
			return nil
		}
		accts = append(accts, a)
		return nil
	})
	if err != nil {
		return err
	}
	for _, want := range l.sel.Accounts {
		if !slices.ContainsFunc(accts, func(a acct) bool { return a.id == want }) {
			l.out.Notes = append(l.out.Notes, fmt.Sprintf("account %s has no folder under s3://%s/%s%s/", want, l.bucket, root, awsLogsDir))
		}
	}
	for _, a := range accts {
		if err := l.account(ctx, root, a.id, a.hive, ""); err != nil {
			return err
		}
	}
	return nil
}

// account lists the selected regions and days of one account folder;
// region, when not "", is the only region (the user's prefix named it).
func (l *lister) account(ctx context.Context, root, account string, hive bool, region string) error {
	layout := LayoutPlain
	if hive {
		layout = LayoutHive
	}
	regions := l.sel.Regions
	if region != "" {
		if len(regions) > 0 && !slices.Contains(regions, region) {
			return fmt.Errorf("the prefix names region %s, which --region leaves out", region)
		}
		regions = []string{region}
	}
	if len(l.sel.Accounts) > 0 && !slices.Contains(l.sel.Accounts, account) {
		return fmt.Errorf("the prefix names account %s, which --account leaves out", account)
	}
	if len(regions) == 0 {
		// Discover the region folders under the service folder(s).
		for _, svc := range PrefixesFor(root, []string{account}, nil, time.Time{}, time.Time{}, layout, false) {
			err := l.list(ctx, svc, "/", l.object, func(f string) error {
				name := path.Base(strings.TrimSuffix(f, "/"))
				if hive {
					name = strings.TrimPrefix(name, "aws-region=")
				}
				if !ValidRegion(name) {
					l.ignoreFolder(f)
					return nil
				}
				if !slices.Contains(regions, name) {
					regions = append(regions, name)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if len(regions) == 0 {
			return nil
		}
	}
	lo, hi := ListingWindow(l.sel.Since, l.sel.Until)
	switch {
	case lo.IsZero():
		// No start: whole region folders, pruned key by key.
		hi = time.Time{}
	case hi.IsZero():
		// No end: up to tomorrow; no folder is dated later than that.
		hi = time.Now().UTC().Add(24 * time.Hour)
		if !lo.Before(hi) {
			return nil
		}
	}
	for _, p := range PrefixesFor(root, []string{account}, regions, lo, hi, layout, false) {
		part := ParseKey(p)
		if lo.IsZero() || part.Date == "" {
			// A region folder, or the "service=" spelling of the Hive
			// service folder (listed whole; normally empty).
			if err := l.list(ctx, p, "", l.object, nil); err != nil {
				return err
			}
			continue
		}
		err := l.list(ctx, p, "/", l.object, func(f string) error {
			fp := ParseKey(f)
			if fp.Hour == "" {
				// Not an hour folder: nothing AWS writes; list it so
				// that the keys' own checks decide.
				return l.list(ctx, f, "", l.object, nil)
			}
			if !ObjectOverlaps(fp, l.sel.Since, l.sel.Until) {
				l.out.SkippedFolders++
				return nil
			}
			return l.list(ctx, f, "", l.object, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *lister) ignoreFolder(f string) {
	l.out.Ignored++
	if len(l.out.IgnoredKeys) < 5 {
		l.out.IgnoredKeys = append(l.out.IgnoredKeys, f)
	}
}

// object decides about one listed key.
func (l *lister) object(o awsapi.S3Object) error {
	part, ok := wantedKey(o.Key)
	if !ok {
		l.ignoreFolder(o.Key)
		return nil
	}
	if part.Account != "" && len(l.sel.Accounts) > 0 && !slices.Contains(l.sel.Accounts, part.Account) ||
		part.Region != "" && len(l.sel.Regions) > 0 && !slices.Contains(l.sel.Regions, part.Region) ||
		l.sel.Bounded() && !ObjectOverlaps(part, l.sel.Since, l.sel.Until) {
		l.out.Pruned++
		return nil
	}
	l.out.Selected++
	return l.fn(S3Object{S3Object: o, Bucket: l.bucket, Part: part})
}

// wantedKey reports whether a key is an object flowir reads, with what the
// key says about it. Inside an AWSLogs/ tree only the flow log service's
// objects are (CloudTrail, ELB and other services write there too); outside
// one, names are judged as in folder walks (LooksLikeLog), plus AWS's flow
// log file names whatever their extension.
func wantedKey(key string) (Partition, bool) {
	if strings.HasSuffix(key, "/") {
		return Partition{}, false // a folder marker
	}
	p := ParseKey(key)
	if p.Layout != "" {
		return p, true
	}
	elems := strings.Split(key, "/")
	if i := lastIndexOf(elems, awsLogsDir); i >= 0 && len(elems) > i+3 {
		svc := elems[i+2]
		if svc != flowLogService && !strings.HasSuffix(svc, "="+flowLogService) {
			return Partition{}, false // another service's logs
		}
	}
	return p, p.Recognised() || LooksLikeLog(path.Base(key))
}

// FetchS3 downloads an object into a Spool. A connection that breaks while
// the body is read is resumed from the byte reached (a ranged GET that must
// still match the listed ETag), up to attempts times with backoff, so a
// flaky network costs a retry and never a "damaged" object. The SDK itself
// retries throttling (503 SlowDown) and transient errors of each request.
// The object's size must match the listing.
func FetchS3(ctx context.Context, c *awsapi.S3, o S3Object, sp Spooler) (*Spool, error) {
	const attempts = 5
	w := sp.Create(o.URL(), o.Size)
	var lastErr error
	for try := 0; try < attempts; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				w.Abort()
				return nil, ctx.Err()
			case <-time.After(time.Duration(try) * awsapi.RetryBase):
			}
		}
		body, err := c.Get(ctx, o.Key, o.ETag, w.Len())
		if err != nil {
			w.Abort()
			return nil, err
		}
		_, err = io.Copy(w, body)
		body.Close()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			w.Abort()
			return nil, ctx.Err()
		}
		var pe *spoolError
		if errors.As(err, &pe) {
			w.Abort()
			return nil, err
		}
		lastErr = err
		if try == attempts-1 {
			w.Abort()
			return nil, fmt.Errorf("%s: the download broke off %d times (last at byte %d of %d): %w; run the ingest again", o.URL(), attempts, w.Len(), o.Size, lastErr)
		}
	}
	if w.Len() != o.Size {
		n := w.Len()
		w.Abort()
		return nil, fmt.Errorf("%s: read %d bytes, the listing said %d: the object changed while it was read; run the ingest again", o.URL(), n, o.Size)
	}
	return w.Finish()
}
