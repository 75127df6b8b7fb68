package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/store"
)

// IOCList is one parsed indicator list, ready to load.
type IOCList struct {
	*analysis.IOCFile
	// SHA256 of the list's content, in hex: the case records it, so loading
	// the same content again is recognised.
	SHA256 string
}

// ParseIOCs parses one indicator list (format csv, plain, stix, or "" to
// detect it from the content). Invalid entries are not an error: they are
// listed in the result's Problems, with file and line.
func ParseIOCs(path string, data []byte, format string) (*IOCList, error) {
	pf, err := analysis.ParseIOCs(path, data, format)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(data)
	return &IOCList{IOCFile: pf, SHA256: hex.EncodeToString(h[:])}, nil
}

// IOCLoad says what loading one list did.
type IOCLoad struct {
	store.IOCLoadStats
	Entries int // entries loaded (valid ones)
	// Expired counts entries whose valid_until has passed, Revoked those
	// marked revoked; both are loaded, and their hits say so.
	Expired, Revoked int
}

// LoadIOCs stores the valid entries of one parsed list in the case. now
// decides which entries are expired.
func LoadIOCs(ctx context.Context, c *store.Case, l *IOCList, now time.Time) (*IOCLoad, error) {
	entries := IOCEntries(l.Entries)
	ld := &IOCLoad{Entries: len(entries)}
	for _, e := range l.Entries {
		if e.Revoked {
			ld.Revoked++
		} else if !e.ValidUntil.IsZero() && !now.Before(e.ValidUntil) {
			ld.Expired++
		}
	}
	warnings := len(l.Problems) - l.Invalid()
	st, err := c.LoadIOCs(ctx, store.IOCFileInfo{Path: l.Path, SHA256: l.SHA256, Format: l.Format,
		Entries: len(entries), Invalid: l.Invalid(), Warnings: warnings, Skipped: l.Skipped, SkippedTests: l.SkippedTests}, entries)
	if err != nil {
		return nil, err
	}
	ld.IOCLoadStats = st
	return ld, nil
}

// IOCEntries converts parsed indicators to the rows the case stores.
func IOCEntries(iocs []analysis.IOC) []store.IOCEntry {
	entries := make([]store.IOCEntry, len(iocs))
	for i, e := range iocs {
		first, last := analysis.PrefixBounds(e.Prefix)
		entries[i] = store.IOCEntry{ThreatIP: e.ThreatIP, Comment: e.Comment, IOC: e.Key(), Kind: e.Kind(), Family: e.Family(),
			PrefixLen: e.Prefix.Bits(), FirstAddress: first.String(), LastAddress: last.String(),
			File: e.File, Line: e.Line, Format: e.Format, STIXID: e.STIXID, ValidFrom: timePtr(e.ValidFrom), ValidUntil: timePtr(e.ValidUntil),
			Revoked: e.Revoked}
	}
	return entries
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// IOCRefs converts stored indicators to what the analysis matches: the
// only place that conversion is written.
func IOCRefs(entries []store.IOCEntry) []analysis.IOCRef {
	refs := make([]analysis.IOCRef, len(entries))
	for i, e := range entries {
		// With the validity: detect's ioc-contact and investigate say when
		// a hit is outside it (issue 12.9).
		refs[i] = analysis.IOCRef{Key: e.IOC, ThreatIP: e.ThreatIP, Comment: e.Comment, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil, Revoked: e.Revoked}
	}
	return refs
}

// LoadedIOCRefs returns the case's loaded indicators as analysis.IOCRef.
func LoadedIOCRefs(ctx context.Context, c *store.Case) ([]analysis.IOCRef, error) {
	loaded, err := c.IOCs(ctx)
	if err != nil {
		return nil, err
	}
	return IOCRefs(loaded), nil
}

// IOCMatchStats says what MatchIOCs matched.
type IOCMatchStats struct {
	Indicators int // loaded indicators
	Addresses  int // distinct addresses of the case's flows
	Pairs      int // (address, indicator) pairs stored
}

// MatchIOCs matches every distinct address of the case's flows against the
// loaded indicators and stores the pairs (table ioc_matches, behind the
// directional view and IOCHits). With no indicator loaded it stores
// nothing and returns zero stats.
func MatchIOCs(ctx context.Context, c *store.Case) (IOCMatchStats, error) {
	var st IOCMatchStats
	loaded, err := c.IOCs(ctx)
	if err != nil || len(loaded) == 0 {
		return st, err
	}
	st.Indicators = len(loaded)
	m, err := analysis.NewIOCMatcher(IOCRefs(loaded))
	if err != nil {
		return st, err
	}
	addrs, err := CaseAddresses(ctx, c)
	if err != nil {
		return st, err
	}
	ma, mk := m.MatchAll(addrs)
	st.Addresses, st.Pairs = len(addrs), len(ma)
	return st, c.ReplaceIOCMatches(ctx, ma, mk, len(addrs))
}

// CaseAddresses lists every distinct address of the case's flows.
func CaseAddresses(ctx context.Context, c *store.Case) ([]string, error) {
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return analysis.CaseAddresses(ctx, s)
}

// IOCHits returns, per loaded indicator, the traffic that touched it within
// [since, until) (Unix seconds, 0 = open): the summary 'flowir ioc' prints.
// Run MatchIOCs first when flows or indicators changed.
func IOCHits(ctx context.Context, c *store.Case, since, until int64) ([]store.IOCSummary, error) {
	return c.IOCSummaries(ctx, since, until)
}

// IOCFlows returns every flow record that touches a loaded indicator, in
// the directional view (one row per record and side), within [since, until).
func IOCFlows(ctx context.Context, c *store.Case, since, until int64) (*store.Result, error) {
	return c.IOCDetail(ctx, since, until)
}
