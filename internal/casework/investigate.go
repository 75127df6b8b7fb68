package casework

import (
	"context"
	"net/netip"
	"strings"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/store"
)

// Investigate answers everything the case's flows say about one address or
// network (analysis.Investigate). Before it runs, o gains the CIDRs of the
// newest inventory's VPCs as internal ranges (for the peers' internal flag)
// and the case's loaded indicators (for the ioc_matches section). The case
// may be open read-only.
func Investigate(ctx context.Context, c *store.Case, target netip.Prefix, o analysis.InvestigateOptions) (*analysis.Investigation, error) {
	vpcs, err := VPCInternal(ctx, c)
	if err != nil {
		return nil, err
	}
	o.Internal = append(o.Internal, vpcs...)
	refs, err := LoadedIOCRefs(ctx, c)
	if err != nil {
		return nil, err
	}
	o.IOCs = append(o.IOCs, refs...)
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return analysis.Investigate(ctx, s, target, o)
}

// Involved is a stored finding that involves an investigated target, and
// how (Involvement).
type Involved struct {
	Finding
	Role string
}

// FindingsInvolving returns the stored findings that involve target, in
// stored order, each with its role.
func FindingsInvolving(ctx context.Context, c *store.Case, target netip.Prefix) ([]Involved, error) {
	rows, err := c.Findings(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []Involved
	for _, r := range rows {
		if role := Involvement(r, target); role != "" {
			out = append(out, Involved{Finding: r, Role: role})
		}
	}
	return out, nil
}

// Involvement says how a finding involves the target: "actor" (its src is
// in the target), "target" (its dst is), "actor, target", or "listed" (an
// address of its details is: a scan's targets, the busiest actors, ...);
// "" when it does not.
func Involvement(r Finding, target netip.Prefix) string {
	in := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && target.Contains(a.Unmap())
	}
	var roles []string
	if in(r.Src) {
		roles = append(roles, "actor")
	}
	if in(r.Dst) {
		roles = append(roles, "target")
	}
	if len(roles) > 0 {
		return strings.Join(roles, ", ")
	}
	found := false
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			found = found || in(x)
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(r.Details)
	if found {
		return "listed"
	}
	return ""
}
