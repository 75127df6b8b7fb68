package casework

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/flowir/flowir/internal/store"
)

// InputError is an error in what the caller asked for (a malformed or
// ambiguous finding id, ...), as opposed to a failure of the case: the
// commands exit with the usage status for it, the web UI answers 400.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, a ...any) error { return &InputError{fmt.Errorf(format, a...)} }

var (
	hexID    = regexp.MustCompile(`^[0-9a-f]{4,64}$`)
	asffIDRe = regexp.MustCompile(`^(?:flowir/[^/]+/)?[a-z0-9-]+-([0-9a-f]{16})(?:/.*)?$`)
)

// FindingPrefix turns what the user typed into a prefix of a finding's hash
// (store.FindingHash): an id or a prefix of one, or an ASFF Id.
func FindingPrefix(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if hexID.MatchString(s) {
		return s, nil
	}
	if m := asffIDRe.FindStringSubmatch(s); m != nil {
		return m[1], nil
	}
	return "", inputErrorf("%q is not a finding id: give the 12 hex digits every output prints in column id (or a unique prefix of at least 4)", s)
}

// FindFinding returns the one stored finding whose id starts with what the
// user typed (an id, a unique prefix of at least 4 digits, or an ASFF Id).
func FindFinding(ctx context.Context, c *store.Case, id string) (Finding, error) {
	prefix, err := FindingPrefix(id)
	if err != nil {
		return Finding{}, err
	}
	rows, err := c.Findings(ctx, nil)
	if err != nil {
		return Finding{}, err
	}
	var match []Finding
	for _, r := range rows {
		if strings.HasPrefix(store.FindingHash(r), prefix) {
			match = append(match, r)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		if len(rows) == 0 {
			return Finding{}, fmt.Errorf("no finding has id %s: the case holds no findings (run 'flowir detect')", id)
		}
		return Finding{}, fmt.Errorf("no finding has id %s: 'flowir findings' lists the %d stored findings with their ids (a rerun of detect on other records may have replaced it)", id, len(rows))
	}
	var b strings.Builder
	for _, r := range match {
		fmt.Fprintf(&b, "\n  %s  %s %s -> %s %s", r.ID, r.Rule, r.Src, r.Dst, r.FirstSeen.Format("2006-01-02T15:04:05Z"))
	}
	return Finding{}, inputErrorf("finding id %s is ambiguous: %d findings start with it; give more of its digits:%s", id, len(match), b.String())
}

// Evidence runs a finding's evidence query: exactly its evidence records
// from table flows.
func Evidence(ctx context.Context, c *store.Case, f Finding) (*store.Result, error) {
	res, err := c.FindingEvidence(ctx, f.EvidenceSQL)
	if err != nil {
		return nil, fmt.Errorf("finding %s: its evidence query fails: %w", f.ID, err)
	}
	return res, nil
}
