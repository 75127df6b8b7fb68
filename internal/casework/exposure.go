package casework

import (
	"context"
	"fmt"
	"sort"

	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/store"
)

// ExposureOptions choose what Exposure evaluates.
type ExposureOptions struct {
	Snapshot   int64 // inventory snapshot id; 0 for the newest
	Restricted bool  // also rows open only to some internet ranges
	NoFlows    bool  // do not look up what the flow logs saw
}

// ExposureResult is what the internet can reach, per an inventory snapshot.
type ExposureResult struct {
	Inventory *inventory.Inventory
	Snapshot  *store.InventorySnapshot
	// Report is the evaluation: every interface's verdict, the exposed
	// rows and the restricted ones.
	Report *inventory.Report
	// Rows are the exposed rows (and, with Restricted, the restricted
	// ones after them), each with what the flow logs saw (Seen, when
	// HasFlows) and the Prowler findings about it.
	Rows []inventory.Exposure
	// HasFlows says whether the case holds flow records (false with NoFlows).
	HasFlows bool
}

// Unknown counts the interfaces that could not be evaluated (route tables
// or security groups missing from the inventory).
func (r *ExposureResult) Unknown() int {
	n := 0
	for _, v := range r.Report.Verdicts {
		if v.Status == "unknown" {
			n++
		}
	}
	return n
}

// Exposure evaluates an inventory snapshot of the case (inventory.Evaluate)
// and adds to each row the accepted inbound traffic from internet addresses
// outside the inventory's VPCs that the flow logs show, and the imported
// Prowler findings about its interface, instance or security groups.
func Exposure(ctx context.Context, c *store.Case, o ExposureOptions) (*ExposureResult, error) {
	inv, meta, err := c.LoadInventory(ctx, o.Snapshot)
	if err != nil {
		return nil, err
	}
	rep := inv.Evaluate()
	res := &ExposureResult{Inventory: inv, Snapshot: meta, Report: rep}
	res.Rows = append(res.Rows, rep.Exposures...)
	if o.Restricted {
		res.Rows = append(res.Rows, rep.Restricted...)
	}
	if !o.NoFlows {
		if res.HasFlows, err = c.HasFlows(ctx); err != nil {
			return nil, err
		}
	}
	internal := inv.NewInternal()
	prowler := prowlerByResource(inv)
	for i := range res.Rows {
		e := &res.Rows[i]
		if res.HasFlows {
			aggs, err := c.InboundSources(ctx, e.FlowQuery())
			if err != nil {
				return nil, err
			}
			e.Seen = inventory.SummarizeSeen(aggs, internal)
		}
		e.Prowler = prowlerFor(prowler, e)
	}
	return res, nil
}

// prowlerByResource indexes the failed internet-exposure Prowler findings by
// the resource ids they name.
func prowlerByResource(inv *inventory.Inventory) map[string][]*inventory.ProwlerFinding {
	m := map[string][]*inventory.ProwlerFinding{}
	for i := range inv.Prowler {
		p := &inv.Prowler[i]
		if !p.Failed() || !p.InternetExposure {
			continue
		}
		for _, id := range p.ResourceIDs() {
			m[id] = append(m[id], p)
		}
	}
	return m
}

// rowCovers reports whether an exposure row covers the port a Prowler check
// is about (checks without a port concern every row of their resource).
func rowCovers(e *inventory.Exposure, p *inventory.ProwlerFinding) bool {
	port, ok := p.Port()
	if !ok || e.Protocol == "all" {
		return true
	}
	return e.FromPort != nil && *e.FromPort <= port && port <= *e.ToPort
}

// exposureIDs are the resource ids an exposure row concerns.
func exposureIDs(e *inventory.Exposure) []string {
	return append([]string{e.InterfaceID, e.OwnerID, e.InstanceID}, e.SecurityGrps...)
}

// prowlerFor names the Prowler findings about an exposure row: "CHECK (id)".
func prowlerFor(m map[string][]*inventory.ProwlerFinding, e *inventory.Exposure) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range exposureIDs(e) {
		for _, p := range m[id] {
			if id != "" && !seen[p.CheckID+id] && rowCovers(e, p) {
				seen[p.CheckID+id] = true
				out = append(out, p.CheckID+" ("+id+")")
			}
		}
	}
	sort.Strings(out)
	return out
}

// ProwlerVerdict is one failed internet-exposure Prowler finding with
// flowir's verdict on the same resource (and port, when the check is about
// one).
type ProwlerVerdict struct {
	Finding *inventory.ProwlerFinding
	Verdict string
}

// ProwlerVerdicts compares the inventory's failed internet-exposure Prowler
// findings with flowir's exposure rows.
func ProwlerVerdicts(inv *inventory.Inventory, rep *inventory.Report) []ProwlerVerdict {
	rows := map[string][]*inventory.Exposure{}
	for i := range rep.Exposures {
		e := &rep.Exposures[i]
		for _, id := range exposureIDs(e) {
			rows[id] = append(rows[id], e)
		}
	}
	known := map[string]bool{}
	for _, r := range inv.Resources() {
		known[r.ID] = true
	}
	for _, o := range inv.Owners() {
		known[o.InstanceID] = true
		known[o.OwnerID] = true
	}
	var out []ProwlerVerdict
	for i := range inv.Prowler {
		p := &inv.Prowler[i]
		if !p.InternetExposure || !p.Failed() {
			continue
		}
		verdict := "resource not in the inventory"
	ids:
		for _, id := range p.ResourceIDs() {
			for _, e := range rows[id] {
				if rowCovers(e, p) {
					verdict = "exposed (listed)"
					break ids
				}
			}
			if known[id] {
				verdict = "not reachable per flowir (see --explain)"
				if port, ok := p.Port(); ok && len(rows[id]) > 0 {
					verdict = fmt.Sprintf("port %d not reachable per flowir (other ports are listed)", port)
				}
			}
		}
		out = append(out, ProwlerVerdict{Finding: p, Verdict: verdict})
	}
	return out
}
