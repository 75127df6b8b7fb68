package analysis

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// IOCRef is a loaded IOC entry as the case keeps it: its canonical key (see
// IOC.Key), the text it was loaded as, and its comment.
type IOCRef struct {
	Key      string
	ThreatIP string
	Comment  string
}

// IOCMatcher matches addresses against IOC entries, CIDR-correctly, keeping
// every entry an address falls in.
type IOCMatcher struct {
	refs []IOCRef
	set  *PrefixSet
}

// NewIOCMatcher builds a matcher; every key must parse (the case stores only
// canonical keys, so an error means a damaged table).
func NewIOCMatcher(refs []IOCRef) (*IOCMatcher, error) {
	m := &IOCMatcher{refs: refs, set: NewPrefixSet()}
	for i, r := range refs {
		p, err := ParseCIDROrAddr(r.Key)
		if err != nil {
			return nil, fmt.Errorf("IOC entry %q: %v", r.Key, err)
		}
		m.set.Add(p, i)
	}
	return m, nil
}

// Match returns the entries containing addr, longest network first; text
// that is not an address matches nothing.
func (m *IOCMatcher) Match(addr string) []IOCRef {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	ids := m.set.Lookup(nil, a)
	out := make([]IOCRef, len(ids))
	for i, id := range ids {
		out[i] = m.refs[id]
	}
	return out
}

// MatchAll matches many addresses (the distinct addresses of a case) and
// returns (address, entry key) pairs, one per match, sorted by address and
// key. This is how flowir joins flows to IOC networks at scale: the flows
// table has far fewer distinct addresses than records, they are matched here
// against a hash table per prefix length, and the pairs are joined to the
// records by text equality (addresses are stored canonically).
func (m *IOCMatcher) MatchAll(addrs []string) (outAddrs, outKeys []string) {
	type pair struct{ a, k string }
	var ps []pair
	var ids []int
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		ids = m.set.Lookup(ids[:0], a)
		for _, id := range ids {
			ps = append(ps, pair{s, m.refs[id].Key})
		}
	}
	slices.SortFunc(ps, func(x, y pair) int {
		if c := strings.Compare(x.a, y.a); c != 0 {
			return c
		}
		return strings.Compare(x.k, y.k)
	})
	ps = slices.Compact(ps)
	outAddrs, outKeys = make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		outAddrs[i], outKeys[i] = p.a, p.k
	}
	return outAddrs, outKeys
}

func runIOCContact(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RuleIOCContact
	d.iocs = len(d.cfg.IOCs)
	if len(d.cfg.IOCs) == 0 {
		return nil, nil
	}
	m, err := NewIOCMatcher(d.cfg.IOCs)
	if err != nil {
		return nil, err
	}
	addrs, keys := m.MatchAll(d.addrs)
	// One row per address; its tag lists every entry it is in.
	byAddr := map[string][]string{}
	var order []string
	for i, a := range addrs {
		if byAddr[a] == nil {
			order = append(order, a)
		}
		byAddr[a] = append(byAddr[a], keys[i])
	}
	tags := make([]string, len(order))
	for i, a := range order {
		tags[i] = strings.Join(byAddr[a], " ")
	}
	if err := d.eng.LoadAddressTable(ctx, tmpIOC, order, tags); err != nil {
		return nil, err
	}
	if len(order) == 0 {
		return nil, nil
	}
	refs := map[string]IOCRef{}
	for _, ref := range d.cfg.IOCs {
		refs[ref.Key] = ref
	}
	// r holds only the records that touch an IOC address (two semi-joins
	// against a small table), so referencing it twice below is cheap.
	q := fmt.Sprintf(`WITH r AS (SELECT * FROM (%s) b WHERE a IN (SELECT addr FROM %[2]s) OR t IN (SELECT addr FROM %[2]s)), o AS (
  SELECT m.addr AS x, r.a AS h, 'out' AS dir, r.* FROM r JOIN %[2]s m ON r.t = m.addr
  UNION ALL
  SELECT m.addr AS x, r.t AS h, 'in' AS dir, r.* FROM r JOIN %[2]s m ON r.a = m.addr
)
SELECT x, h, count(*), sum(bytes)::BIGINT, min(start), max("end"),
  count(*) FILTER (WHERE dir = 'out'), count(*) FILTER (WHERE dir = 'in'),
  count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT'),
  list(DISTINCT dstport ORDER BY dstport) FILTER (WHERE dir = 'out' AND NOT %[3]s),
  list(DISTINCT dstport ORDER BY dstport) FILTER (WHERE dir = 'in' AND NOT %[3]s),
  list(DISTINCT protocol ORDER BY protocol),
  count(*) FILTER (WHERE action = 'ACCEPT' AND dir = 'out' AND NOT %[3]s),
  count(*) FILTER (WHERE action = 'ACCEPT' AND dir = 'in' AND NOT %[3]s)
FROM o WHERE x <> h GROUP BY x, h ORDER BY 1, 2`, d.baseSelect(), tmpIOC, condReply)
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, row := range rows {
		x, h := asString(row[0]), asString(row[1])
		n, b, s0, e1 := asInt(row[2]), asInt(row[3]), asInt(row[4]), asInt(row[5])
		nOut, nIn, acc, rej := asInt(row[6]), asInt(row[7]), asInt(row[8]), asInt(row[9])
		outPorts, inPorts, protos := asInts(row[10]), asInts(row[11]), asInts(row[12])
		accOut, accIn := asInt(row[13]), asInt(row[14])
		entries := byAddr[x]
		var desc []string
		for _, k := range entries {
			ref := refs[k]
			s := "IOC " + ref.ThreatIP
			if ref.Comment != "" {
				s += " (" + ref.Comment + ")"
			}
			desc = append(desc, s)
		}
		dir, sev, ports := DirInbound, SeverityLow, inPorts
		switch {
		case len(outPorts) > 0 || len(inPorts) == 0 && nOut > 0:
			dir, ports = DirOutbound, outPorts
		}
		switch {
		case accOut > 0:
			sev = SeverityHigh
		case accIn > 0 || acc > 0:
			sev = SeverityMedium
		}
		var port *int
		proto := 0
		if len(ports) == 1 {
			port = intPtr(int(ports[0]))
		}
		if len(protos) == 1 {
			proto = int(protos[0])
		}
		initiated := "the host initiated"
		if dir == DirInbound {
			initiated = "the IOC address initiated"
		}
		if len(ports) > 0 {
			initiated += " (to port " + portsText(slices.Clone(ports), 5) + ")"
		}
		sum := fmt.Sprintf("%s exchanged %d records (%s) with %s, %s: %d to it, %d from it, %d accepted, %d rejected; %s",
			h, n, humanBytes(b), x, strings.Join(desc, ", "), nOut, nIn, acc, rej, initiated)
		out = append(out, Finding{
			Rule: r, Severity: sev, Technique: "T1071", Src: x, Dst: h, DstPort: port, Protocol: proto, Direction: dir,
			FirstSeen: unix(s0), LastSeen: unix(e1), Records: n, Bytes: b, Summary: sum,
			EvidenceSQL: d.evidence(fmt.Sprintf("((%s AND %s) OR (%s AND %s))",
				addrEq(exprActor, x), addrEq(exprTarget, h), addrEq(exprActor, h), addrEq(exprTarget, x))),
			Details: map[string]any{"ioc_entries": entries, "records_to_ioc": nOut, "records_from_ioc": nIn,
				"accepted": acc, "rejected": rej, "ports_host_initiated": outPorts, "ports_ioc_initiated": inPorts},
		})
	}
	return out, nil
}
