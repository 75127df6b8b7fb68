package inventory

import (
	"net/netip"
	"time"
)

// Seen is what the flow logs of the case show for one exposure: accepted
// inbound records from internet addresses to that interface and port.
type Seen struct {
	Records   int64     `json:"records"`
	Sources   int64     `json:"distinct_sources"`
	Bytes     int64     `json:"bytes"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	TopSource string    `json:"top_source"` // the source with the most records
}

// FlowQuery says which flow records answer an exposure: accepted records on
// the interface, to one of its private addresses (inbound: a flow log on the
// interface shows the private address as destination even when the client
// used the public one), with the protocol and destination ports of the row.
type FlowQuery struct {
	InterfaceID string
	DstAddrs    []string // canonical text
	Protocols   []int    // nil: any protocol
	NotProtos   []int    // protocols excluded (the "other" class)
	FromPort    int      // -1: no port condition
	ToPort      int
}

// FlowQuery returns the query for this exposure.
func (e *Exposure) FlowQuery() FlowQuery {
	q := FlowQuery{InterfaceID: e.InterfaceID, DstAddrs: e.dstAddrs, FromPort: -1, ToPort: -1}
	switch {
	case e.class == protoAll:
	case e.class == protoOther:
		q.NotProtos = e.otherProto
	default:
		q.Protocols = []int{e.class}
	}
	if e.class == 6 || e.class == 17 {
		q.FromPort, q.ToPort = e.lo, e.hi
	}
	return q
}

// SourceAgg is the aggregate of the matching records of one source address.
type SourceAgg struct {
	Src     string
	Records int64
	Bytes   int64
	First   int64 // Unix seconds (flow start)
	Last    int64 // Unix seconds (flow end)
}

// Internal tells internal from external addresses: an address inside any VPC
// CIDR of the inventory, or outside the internet (private, link-local, ...),
// is internal.
type Internal struct{ vpc []netip.Prefix }

// NewInternal builds the test from the inventory's VPC CIDRs plus extra CIDRs.
func (inv *Inventory) NewInternal(extra ...string) *Internal {
	in := &Internal{}
	for _, c := range inv.VPCCIDRs() {
		if p, err := netip.ParsePrefix(c.CIDR); err == nil {
			in.vpc = append(in.vpc, p.Masked())
		}
	}
	for _, c := range extra {
		if p, err := netip.ParsePrefix(c); err == nil {
			in.vpc = append(in.vpc, p.Masked())
		}
	}
	return in
}

// IsExternal reports whether addr is an internet address outside every VPC.
func (in *Internal) IsExternal(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if !isInternetAddr(a) {
		return false
	}
	for _, p := range in.vpc {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// SummarizeSeen adds up the per-source aggregates of external sources.
func SummarizeSeen(rows []SourceAgg, in *Internal) *Seen {
	s := &Seen{}
	var top int64
	for _, r := range rows {
		if !in.IsExternal(r.Src) {
			continue
		}
		s.Records += r.Records
		s.Bytes += r.Bytes
		s.Sources++
		if r.Records > top || (r.Records == top && r.Src < s.TopSource) {
			top, s.TopSource = r.Records, r.Src
		}
		first, last := time.Unix(r.First, 0).UTC(), time.Unix(r.Last, 0).UTC()
		if s.FirstSeen.IsZero() || first.Before(s.FirstSeen) {
			s.FirstSeen = first
		}
		if last.After(s.LastSeen) {
			s.LastSeen = last
		}
	}
	return s
}
