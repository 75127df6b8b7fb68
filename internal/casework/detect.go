package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/enrich"
	"github.com/flowir/flowir/internal/store"
)

// Finding is a finding as flowir keeps and shows it: what a rule found
// (rule, severity, technique, actor, target, evidence) with its stable id,
// the run that stored it and, when an allow list covers it, why it is
// suppressed. Detect returns them, Findings reads them back; the commands,
// the report and the ASFF export all start from this one shape.
type Finding = store.FindingRow

// DetectOptions are what a detection run needs besides its configuration.
type DetectOptions struct {
	// Allow is a parsed allow list (enrich.ParseAllowList): the findings it
	// covers are kept, marked suppressed with the entry and its reason.
	Allow []enrich.AllowEntry
	// NoStore runs the rules without storing their findings; the case may
	// then be open read-only.
	NoStore bool
}

// DetectResult is what a detection run found and, unless NoStore, what
// storing it did.
type DetectResult struct {
	// Run is the analysis' own result: the rules that ran, their timings,
	// the NAT addresses and inferred interfaces the run used.
	Run *analysis.DetectResult
	// Findings are the run's findings in the stored shape (RunID set when
	// stored), suppressed ones included.
	Findings []Finding
	// Suppressed counts the findings the allow list covers.
	Suppressed int
	// Unmatched are allow-list entries that can match nothing in this case
	// (an interface without a known address, a service no address is in).
	Unmatched []enrich.AllowEntry
	// Stored is the run as recorded, and Replaced what storing it did per
	// rule; Replaced is nil with NoStore.
	Stored   store.DetectRun
	Replaced *store.ReplaceResult
	// Took is the run's wall time, preparation and storing included.
	Took time.Duration
}

// BySeverity counts the findings per severity.
func (r *DetectResult) BySeverity() map[string]int {
	m := map[string]int{}
	for _, f := range r.Findings {
		m[f.Severity]++
	}
	return m
}

// Detect runs the enabled rules of cfg over the case. Before it runs, cfg
// gains the case's loaded indicators (for ioc-contact) and the CIDRs of the
// newest inventory's VPCs as internal ranges, so cfg afterwards records
// everything the run used. The findings are stored (replacing those the run
// examined again, see store.Case.ReplaceFindings) unless opts.NoStore.
func Detect(ctx context.Context, c *store.Case, cfg *analysis.DetectConfig, opts DetectOptions) (*DetectResult, error) {
	refs, err := LoadedIOCRefs(ctx, c)
	if err != nil {
		return nil, err
	}
	cfg.IOCs = append(cfg.IOCs, refs...)
	vpcs, err := VPCInternal(ctx, c)
	if err != nil {
		return nil, err
	}
	cfg.Internal = append(cfg.Internal, vpcs...)
	started := time.Now()
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	run, err := analysis.Detect(ctx, s, cfg)
	s.Close()
	if err != nil {
		return nil, err
	}
	conf, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	res := &DetectResult{Run: run, Findings: NewFindings(run.Findings)}
	if res.Suppressed, res.Unmatched, err = applyAllowList(ctx, c, opts.Allow, res.Findings); err != nil {
		return nil, err
	}
	res.Stored = store.DetectRun{StartedAt: started, Rules: run.Rules, Config: conf}
	if cfg.Since != 0 {
		res.Stored.Since = time.Unix(cfg.Since, 0).UTC()
	}
	if cfg.Until != 0 {
		res.Stored.Until = time.Unix(cfg.Until, 0).UTC()
	}
	res.Took = time.Since(started).Round(time.Millisecond)
	if opts.NoStore {
		return res, nil
	}
	if res.Replaced, err = c.ReplaceFindings(ctx, res.Stored, res.Findings); err != nil {
		return nil, fmt.Errorf("store findings: %w", err)
	}
	for i := range res.Findings {
		res.Findings[i].RunID = res.Replaced.RunID
	}
	return res, nil
}

// Findings returns the stored findings of the given rules (all with none).
func Findings(ctx context.Context, c *store.Case, rules []string) ([]Finding, error) {
	return c.Findings(ctx, rules)
}

// NewFindings converts a run's findings to the stored shape (not yet
// stored: no id, no run).
func NewFindings(fs []analysis.Finding) []Finding {
	rows := make([]Finding, len(fs))
	for i, fd := range fs {
		rows[i] = Finding{Rule: fd.Rule, Severity: fd.Severity, Technique: fd.Technique, Src: fd.Src, Dst: fd.Dst,
			DstPort: fd.DstPort, Protocol: fd.Protocol, Direction: fd.Direction, FirstSeen: fd.FirstSeen, LastSeen: fd.LastSeen,
			Records: fd.Records, Bytes: fd.Bytes, Summary: fd.Summary, EvidenceSQL: fd.EvidenceSQL, Details: fd.Details}
	}
	return rows
}

// applyAllowList marks the findings the allow list covers as suppressed
// and returns how many, with the entries that can match nothing.
func applyAllowList(ctx context.Context, c *store.Case, entries []enrich.AllowEntry, rows []Finding) (int, []enrich.AllowEntry, error) {
	if len(entries) == 0 {
		return 0, nil, nil
	}
	t, err := Enrichment(ctx, c)
	if err != nil {
		return 0, nil, err
	}
	l := enrich.NewAllowList(entries, t)
	ifaces, err := c.InterfaceAddresses(ctx, l.Interfaces())
	if err != nil {
		return 0, nil, err
	}
	for id, addrs := range ifaces {
		for _, a := range addrs {
			l.AddInterfaceAddress(id, a)
		}
	}
	n := 0
	for i := range rows {
		if e := l.Match(rows[i].Rule, rows[i].Src, rows[i].Dst); e != nil {
			rows[i].SuppressedBy = e.Why()
			n++
		}
	}
	return n, l.Unmatched(), nil
}

// VPCInternal returns the CIDRs of the newest inventory's VPCs as internal
// (monitored) ranges, whatever their range: a VPC's public IPv6 block, or a
// public IPv4 block brought to AWS, is inside, not the internet.
func VPCInternal(ctx context.Context, c *store.Case) ([]analysis.NetRange, error) {
	cidrs, err := c.VPCCIDRs(ctx)
	if err != nil {
		return nil, err
	}
	var out []analysis.NetRange
	for _, v := range cidrs {
		p, err := netip.ParsePrefix(v.CIDR)
		if err != nil {
			continue
		}
		out = append(out, analysis.NetRange{Prefix: p.Masked(), Label: "inventory " + v.VpcID})
	}
	return out, nil
}

// Enrichment returns what the case knows about addresses (the inventory's
// owners, 'flowir enrich' values); nil when it knows nothing.
func Enrichment(ctx context.Context, c *store.Case) (*enrich.Table, error) {
	owners, err := c.InterfaceOwners(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Enrichment(ctx)
	if err != nil {
		return nil, err
	}
	vals := make([]enrich.Value, len(rows))
	for i, r := range rows {
		vals[i] = enrich.Value{Address: r.Address, Field: r.Field, Value: r.Value, Kind: r.Kind, Source: r.Source, SourceDate: r.SourceDate}
	}
	t := enrich.NewTable(vals, enrich.NewOwners(owners))
	if t.Empty() {
		return nil, nil
	}
	return t, nil
}
