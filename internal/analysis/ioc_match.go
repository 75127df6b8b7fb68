package analysis

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/sqltext"
)

// IOCRef is a loaded IOC entry as the case keeps it: its canonical key (see
// IOC.Key), the text it was loaded as, its comment, and its validity (a
// STIX indicator's valid_from, valid_until and revoked; nil: open).
type IOCRef struct {
	Key        string
	ThreatIP   string
	Comment    string
	ValidFrom  *time.Time
	ValidUntil *time.Time
	Revoked    bool
}

// iocValidity is the validity of an address in one or more entries: the
// smallest window covering every entry's (nil: open), revoked only if every
// entry is. It is the rule flowir ioc applies to an indicator listed twice
// (store/ioc.go): an address is suspect while any listing says so.
type iocValidity struct {
	from, until *time.Time
	revoked     bool
}

func validityOf(entries []string, refs map[string]IOCRef) iocValidity {
	var v iocValidity
	for i, k := range entries {
		r := refs[k]
		if i == 0 {
			v = iocValidity{from: r.ValidFrom, until: r.ValidUntil, revoked: r.Revoked}
			continue
		}
		v.revoked = v.revoked && r.Revoked
		if v.from == nil || r.ValidFrom == nil {
			v.from = nil
		} else if r.ValidFrom.Before(*v.from) {
			v.from = r.ValidFrom
		}
		if v.until == nil || r.ValidUntil == nil {
			v.until = nil
		} else if r.ValidUntil.After(*v.until) {
			v.until = r.ValidUntil
		}
	}
	return v
}

// bounded reports whether the window has a side.
func (v iocValidity) bounded() bool { return v.from != nil || v.until != nil }

// window is the SQL bounds of the window in Unix seconds: a record is
// outside it when "end" < from (before it) or start >= until (after it),
// as flowir ioc counts outside_validity. An open side is a bound no record
// time reaches.
func (v iocValidity) window() (from, until int64) {
	from, until = math.MinInt64/2, math.MaxInt64/2
	if v.from != nil {
		from = v.from.Unix()
	}
	if v.until != nil {
		until = v.until.Unix()
	}
	return from, until
}

// text describes the window: "valid from A until B".
func (v iocValidity) text() string {
	s := "valid"
	if v.from != nil {
		s += " from " + v.from.UTC().Format(time.RFC3339)
	}
	if v.until != nil {
		s += " until " + v.until.UTC().Format(time.RFC3339)
	}
	return s
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
	// The validity window of every address whose entries have one, so
	// that the records before and after it are counted apart.
	var vAddrs []string
	var vFrom, vUntil []int64
	for _, a := range order {
		if v := validityOf(byAddr[a], refs); v.bounded() {
			from, until := v.window()
			vAddrs, vFrom, vUntil = append(vAddrs, a), append(vFrom, from), append(vUntil, until)
		}
	}
	if err := d.eng.Exec(ctx, "CREATE OR REPLACE TEMP TABLE "+tmpIOCValid+" (addr VARCHAR, vf BIGINT, vu BIGINT)"); err != nil {
		return nil, err
	}
	if len(vAddrs) > 0 {
		if err := d.eng.Exec(ctx, "INSERT INTO "+tmpIOCValid+" SELECT unnest(?::VARCHAR[]), unnest(?::BIGINT[]), unnest(?::BIGINT[])", vAddrs, vFrom, vUntil); err != nil {
			return nil, err
		}
	}
	// r holds only the records that touch an IOC address (two semi-joins
	// against a small table), so referencing it twice below is cheap.
	q := fmt.Sprintf(`WITH r AS (SELECT * FROM (%s) b WHERE a IN (SELECT addr FROM %[2]s) OR t IN (SELECT addr FROM %[2]s)), o AS (
  SELECT m.addr AS x, r.a AS h, 'out' AS dir, r.* FROM r JOIN %[2]s m ON r.t = m.addr
  UNION ALL
  SELECT m.addr AS x, r.t AS h, 'in' AS dir, r.* FROM r JOIN %[2]s m ON r.a = m.addr
)
SELECT x, h, count(*), sum(bytes), min(start), max("end"),
  count(*) FILTER (WHERE dir = 'out'), count(*) FILTER (WHERE dir = 'in'),
  count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT'),
  list(DISTINCT dstport ORDER BY dstport) FILTER (WHERE dir = 'out' AND NOT %[3]s),
  list(DISTINCT dstport ORDER BY dstport) FILTER (WHERE dir = 'in' AND NOT %[3]s),
  list(DISTINCT protocol ORDER BY protocol),
  count(*) FILTER (WHERE action = 'ACCEPT' AND dir = 'out' AND NOT %[3]s),
  count(*) FILTER (WHERE action = 'ACCEPT' AND dir = 'in' AND NOT %[3]s),
  count(*) FILTER (WHERE dir = 'in' AND %[3]s), count(*) FILTER (WHERE dir = 'out' AND %[3]s),
  count(*) FILTER (WHERE "end" < w.vf), count(*) FILTER (WHERE start >= w.vu)
FROM o LEFT JOIN %[4]s w ON w.addr = o.x WHERE x <> h GROUP BY x, h ORDER BY 1, 2`, d.baseSelect(), tmpIOC, condReply, tmpIOCValid)
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	maxHosts := int(d.cfg.int(r, "max_hosts"))
	// Addresses matched only by broad entries (a /16 of a hosting provider
	// that also serves a collaboration SaaS) are grouped per entry: many
	// addresses of one broad IOC are one finding.
	v4bits, v6bits := int(d.cfg.int(r, "broad_ipv4_bits")), int(d.cfg.int(r, "broad_ipv6_bits"))
	broadKey := func(x string) string {
		for _, k := range byAddr[x] {
			if !broadIOC(refs[k].ThreatIP, v4bits, v6bits) {
				return ""
			}
		}
		return strings.Join(byAddr[x], " ")
	}
	var out []Finding
	var broadOrder []string
	broad := map[string][][]any{}
	var specific [][]any
	for _, row := range rows {
		if k := broadKey(asString(row[0])); k != "" {
			if broad[k] == nil {
				broadOrder = append(broadOrder, k)
			}
			broad[k] = append(broad[k], row)
			continue
		}
		specific = append(specific, row)
	}
	for _, k := range broadOrder {
		m := mergeIOCRows(broad[k])
		if len(m.xs) == 1 && len(m.hosts) == 1 {
			m = parseIOCRow(broad[k][0])
		} else if len(m.hosts) == 1 {
			m.h = m.hosts[0]
		}
		f := d.iocFinding(m, byAddr, refs)
		f.Severity = lowerSeverity(f.Severity)
		f.Summary += fmt.Sprintf("; severity lowered: the entry is a broad network (shorter than /%d for IPv4, /%d for IPv6), which also holds unrelated services", v4bits, v6bits)
		out = append(out, f)
	}
	rows = specific
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && asString(rows[j][0]) == asString(rows[i][0]) {
			j++
		}
		group := rows[i:j]
		i = j
		if len(group) > maxHosts {
			out = append(out, d.iocFinding(mergeIOCRows(group), byAddr, refs))
			continue
		}
		for _, row := range group {
			out = append(out, d.iocFinding(parseIOCRow(row), byAddr, refs))
		}
	}
	return out, nil
}

// iocEntriesText describes the entries an IOC address is in.
func iocEntriesText(entries []string, refs map[string]IOCRef) string {
	var desc []string
	for _, k := range entries {
		ref := refs[k]
		s := "IOC " + ref.ThreatIP
		if ref.Comment != "" {
			s += " (" + ref.Comment + ")"
		}
		desc = append(desc, s)
	}
	return strings.Join(desc, ", ")
}

// iocRow is one (IOC address, host) row of the ioc-contact query, or the
// rows of one IOC address merged (mergeIOCRows): then h is empty and hosts
// lists them.
type iocRow struct {
	x, h                    string
	hosts                   []string
	xs                      []string // the IOC addresses of a merged broad entry (x is then empty)
	n, s0, e1               int64
	b                       *big.Int // bytes: exact past int64
	nOut, nIn, acc, rej     int64
	outPorts, inPorts, prot []int64
	accOut, accIn           int64
	// Replies (server to client) from the IOC address and to it: they show
	// who initiated when the requests themselves are not in the logs.
	repIn, repOut int64
	// Records outside the IOC's validity window: ending before valid_from,
	// starting at or after valid_until.
	before, after int64
}

func parseIOCRow(row []any) iocRow {
	return iocRow{x: asString(row[0]), h: asString(row[1]), n: asInt(row[2]), b: asBig(row[3]), s0: asInt(row[4]), e1: asInt(row[5]),
		nOut: asInt(row[6]), nIn: asInt(row[7]), acc: asInt(row[8]), rej: asInt(row[9]),
		outPorts: asInts(row[10]), inPorts: asInts(row[11]), prot: asInts(row[12]), accOut: asInt(row[13]), accIn: asInt(row[14]),
		repIn: asInt(row[15]), repOut: asInt(row[16]), before: asInt(row[17]), after: asInt(row[18])}
}

// iocSeverity: high when the host initiated accepted traffic to the IOC,
// medium when the IOC's own traffic was accepted, low when all was rejected.
func iocSeverity(r iocRow) string {
	switch {
	case r.accOut > 0:
		return SeverityHigh
	case r.accIn > 0 || r.acc > 0:
		return SeverityMedium
	}
	return SeverityLow
}

// broadIOC reports whether an IOC entry is a network larger than the
// given prefix lengths allow (an address is never broad).
func broadIOC(entry string, v4bits, v6bits int) bool {
	p, err := netip.ParsePrefix(entry)
	if err != nil {
		return false
	}
	if p.Addr().Is4() {
		return p.Bits() < v4bits
	}
	return p.Bits() < v6bits
}

// lowerSeverity lowers a severity by one step: for a broad IOC entry, and
// for contact with an indicator that was not valid at the time of any of
// the records, or is revoked.
func lowerSeverity(s string) string {
	switch s {
	case SeverityHigh:
		return SeverityMedium
	}
	return SeverityLow
}

// mergeIOCRows sums rows, for the single finding of an IOC address that
// exchanged traffic with more hosts than max_hosts, or of the addresses of
// one broad entry (then xs lists them and x is empty).
func mergeIOCRows(group [][]any) iocRow {
	m := parseIOCRow(group[0])
	m.hosts, m.h, m.xs = []string{m.h}, "", []string{m.x}
	for _, row := range group[1:] {
		r := parseIOCRow(row)
		if !slices.Contains(m.hosts, r.h) {
			m.hosts = append(m.hosts, r.h)
		}
		if !slices.Contains(m.xs, r.x) {
			m.xs = append(m.xs, r.x)
		}
		m.n, m.b, m.s0, m.e1 = m.n+r.n, new(big.Int).Add(m.b, r.b), min(m.s0, r.s0), max(m.e1, r.e1)
		m.nOut, m.nIn, m.acc, m.rej, m.accOut, m.accIn = m.nOut+r.nOut, m.nIn+r.nIn, m.acc+r.acc, m.rej+r.rej, m.accOut+r.accOut, m.accIn+r.accIn
		m.repIn, m.repOut = m.repIn+r.repIn, m.repOut+r.repOut
		m.before, m.after = m.before+r.before, m.after+r.after
		m.outPorts, m.inPorts, m.prot = append(m.outPorts, r.outPorts...), append(m.inPorts, r.inPorts...), append(m.prot, r.prot...)
	}
	for _, l := range []*[]int64{&m.outPorts, &m.inPorts, &m.prot} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	slices.Sort(m.hosts)
	slices.Sort(m.xs)
	if len(m.xs) > 1 {
		m.x = ""
	} else {
		m.xs = nil
	}
	return m
}

// hostInitiated reports whether the monitored side opened the connections
// of a row: its requests to the IOC address, or, when no request is logged
// either way, the IOC address's replies to it. When both sides opened some,
// the host's own connections decide (they are the more serious).
func (r iocRow) hostInitiated() bool {
	switch {
	case len(r.outPorts) > 0:
		return true
	case len(r.inPorts) > 0:
		return false
	case r.repIn > 0 || r.repOut > 0:
		return r.repIn >= r.repOut
	}
	return r.nOut >= r.nIn
}

// iocFinding is the finding of one row: an IOC address and a host, or
// (r.hosts set) an IOC address and many hosts.
//
// Like every rule's, its src is the actor, the side that opened the
// connections, and dst the target: the host and the IOC address when the
// host connected to it (outbound), the IOC address and the host when the
// IOC address connected in (inbound). Where many hosts are merged, their
// side is empty and the hosts are listed in details.
func (d *detector) iocFinding(r iocRow, byAddr map[string][]string, refs map[string]IOCRef) Finding {
	dir, ports := DirInbound, r.inPorts
	src, dst := r.x, r.h
	if r.hostInitiated() {
		dir, ports = DirOutbound, r.outPorts
		src, dst = r.h, r.x
	}
	var port *int
	proto := 0
	if len(ports) == 1 {
		port = intPtr(int(ports[0]))
	}
	if len(r.prot) == 1 {
		proto = int(r.prot[0])
	}
	initiated := "the host initiated"
	if r.hosts != nil {
		initiated = "the hosts initiated"
	}
	if dir == DirInbound {
		initiated = "the IOC address initiated"
	}
	if len(ports) > 0 {
		initiated += " (to port " + portsText(slices.Clone(ports), 5) + ")"
	}
	entries := byAddr[r.x]
	ioc := r.x
	if r.xs != nil {
		entries = byAddr[r.xs[0]]
		ioc = fmt.Sprintf("%d addresses", len(r.xs))
	}
	details := map[string]any{"ioc": r.x, "ioc_entries": entries, "records_to_ioc": r.nOut, "records_from_ioc": r.nIn,
		"accepted": r.acc, "rejected": r.rej, "ports_host_initiated": r.outPorts, "ports_ioc_initiated": r.inPorts}
	var who, evidence string
	if r.xs != nil {
		xl, hl := sqltext.Strings(r.xs), sqltext.Strings(r.hosts)
		who = fmt.Sprintf("%d hosts", len(r.hosts))
		if len(r.hosts) == 1 {
			who = r.hosts[0]
		}
		evidence = d.evidence(fmt.Sprintf("((%s IN (%s) AND %s IN (%s)) OR (%s IN (%s) AND %s IN (%s)))",
			exprActor, xl, exprTarget, hl, exprActor, hl, exprTarget, xl))
		details["hosts"], details["ioc_addresses"] = r.hosts, r.xs
	} else if r.hosts == nil {
		who = r.h
		evidence = d.evidence(fmt.Sprintf("((%s AND %s) OR (%s AND %s))",
			addrEq(exprActor, r.x), addrEq(exprTarget, r.h), addrEq(exprActor, r.h), addrEq(exprTarget, r.x)))
	} else {
		who = fmt.Sprintf("%d hosts", len(r.hosts))
		evidence = d.evidence(fmt.Sprintf("(%s OR %s)", addrEq(exprActor, r.x), addrEq(exprTarget, r.x)),
			fmt.Sprintf("NOT (%s AND %s)", addrEq(exprActor, r.x), addrEq(exprTarget, r.x)))
		details["hosts"] = r.hosts
	}
	severity, validity := iocValidityVerdict(r, validityOf(entries, refs), details)
	return Finding{
		Rule: RuleIOCContact, Severity: severity, Technique: "T1071", Src: src, Dst: dst, DstPort: port, Protocol: proto, Direction: dir,
		FirstSeen: unix(r.s0), LastSeen: unix(r.e1), Records: r.n, Bytes: r.b,
		Summary: fmt.Sprintf("%s exchanged %d records (%s) with %s, %s: %d to it, %d from it, %d accepted, %d rejected; %s%s",
			who, r.n, humanBytes(bigFloat(r.b)), ioc, iocEntriesText(entries, refs), r.nOut, r.nIn, r.acc, r.rej, initiated, validity),
		EvidenceSQL: evidence,
		Details:     details,
	}
}

// iocValidityVerdict weighs a row against its indicator's validity (issue
// 12.9). A hit is reported whatever the validity (the records are
// evidence either way), but an indicator is a claim about a time: contact
// before its valid_from or after its valid_until, or with a revoked
// indicator, is weaker evidence. So the severity is one step lower when the
// indicator is revoked or when every record is outside its window; when only
// some are, the severity stands (the records inside the window decide) and
// the summary counts the others. It returns the severity and the text added
// to the summary, and puts the validity into details.
func iocValidityVerdict(r iocRow, v iocValidity, details map[string]any) (string, string) {
	severity := iocSeverity(r)
	tm := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	details["ioc_valid_from"], details["ioc_valid_until"], details["ioc_revoked"] = tm(v.from), tm(v.until), v.revoked
	details["records_before_valid_from"], details["records_after_valid_until"] = r.before, r.after
	var notes []string
	lower := false
	if v.revoked {
		notes = append(notes, "the IOC is revoked by its source")
		lower = true
	}
	if outside := r.before + r.after; outside > 0 {
		var when []string
		if r.before > 0 {
			when = append(when, fmt.Sprintf("%d before it", r.before))
		}
		if r.after > 0 {
			when = append(when, fmt.Sprintf("%d after it", r.after))
		}
		if outside == r.n {
			notes = append(notes, fmt.Sprintf("every record is outside the IOC's validity (%s: %s)", v.text(), strings.Join(when, ", ")))
			lower = true
		} else {
			notes = append(notes, fmt.Sprintf("%d of the %d records are outside the IOC's validity (%s: %s)", outside, r.n, v.text(), strings.Join(when, ", ")))
		}
	}
	if !lower {
		if len(notes) == 0 {
			return severity, ""
		}
		return severity, "; " + strings.Join(notes, "; ")
	}
	return lowerSeverity(severity), "; " + strings.Join(notes, "; ") + "; severity lowered"
}
