package cli

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
	"github.com/flowir/flowir/internal/triage"
)

// What flowir investigate adds from the case's findings and triage: the
// stored findings that involve the target, and the tags and notes on the
// target (and, for a network, on addresses and networks inside it or around it).

// investigateFindings returns the findings section and, for JSON, its rows
// as objects.
func investigateFindings(ctx context.Context, c *store.Case, target netip.Prefix, tv *triageView) (*output.Result, error) {
	rows, err := casework.FindingsInvolving(ctx, c, target)
	if err != nil {
		return nil, err
	}
	res := &output.Result{Columns: []output.Column{{Name: "id"}, {Name: "status"}, {Name: "tags", Type: "VARCHAR[]"}, {Name: "role"},
		{Name: "rule"}, {Name: "severity"}, {Name: "src"}, {Name: "dst"}, {Name: "dst_port", Type: "INTEGER"}, {Name: "first_seen", Type: "TIMESTAMP"},
		{Name: "last_seen", Type: "TIMESTAMP"}, {Name: "records", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}, {Name: "suppressed", Type: "BOOLEAN"},
		{Name: "summary"}, {Name: "notes"}}}
	for _, r := range rows {
		var port any
		if r.DstPort != nil {
			port = int64(*r.DstPort)
		}
		s := tv.finding(r.ID)
		res.Rows = append(res.Rows, []any{r.ID, s.Status, tagList(s.Tags), r.Role, r.Rule, r.Severity, r.Src, r.Dst, port, r.FirstSeen, r.LastSeen,
			r.Records, r.Bytes, r.SuppressedBy != "", r.Summary, tv.notes(s.Notes)})
	}
	return res, nil
}

// investigateTriage is the triage section: the tags and notes on the
// target, on addresses and networks inside it, and on networks that
// contain it.
func investigateTriage(target netip.Prefix, tv *triageView) *output.Result {
	res := &output.Result{Columns: []output.Column{{Name: "subject"}, {Name: "relation"}, {Name: "tags", Type: "VARCHAR[]"}, {Name: "notes"}}}
	if tv == nil {
		return res
	}
	var subjects []string
	for k := range tv.states {
		subjects = append(subjects, k)
	}
	sortAddresses(subjects)
	for _, k := range subjects {
		p, ok := subjectPrefix(k)
		if !ok {
			continue // a finding
		}
		var rel string
		switch {
		case p == target:
			rel = "target"
		case target.Bits() < p.Bits() && target.Contains(p.Addr()):
			rel = "inside"
		case p.Bits() < target.Bits() && p.Contains(target.Addr()):
			rel = "contains it"
		default:
			continue
		}
		s := tv.states[k]
		if len(s.Tags) == 0 && len(s.Notes) == 0 {
			continue
		}
		res.Rows = append(res.Rows, []any{k, rel, tagList(s.Tags), tv.notes(s.Notes)})
	}
	return res
}

// subjectPrefix is an address subject as a prefix (an address: its /32 or
// /128); false for a finding id.
func subjectPrefix(k string) (netip.Prefix, bool) {
	if _, ok := triage.Address(k); !ok {
		return netip.Prefix{}, false
	}
	if a, err := netip.ParseAddr(k); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(k)
	return p, err == nil
}

// sortAddresses sorts address and CIDR texts by address, then length.
func sortAddresses(ss []string) {
	slices.SortFunc(ss, func(x, y string) int {
		a, _ := subjectPrefix(x)
		b, _ := subjectPrefix(y)
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
}

// resultObjects renders a result as JSON objects (for the investigate
// document).
func resultObjects(f *Factory, r *output.Result) (json.RawMessage, error) {
	var b strings.Builder
	if err := output.Write(&b, output.FormatJSON, r, f.IO.OutputOptions()); err != nil {
		return nil, err
	}
	return json.RawMessage(strings.TrimSpace(b.String())), nil
}
