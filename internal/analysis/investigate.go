package analysis

import (
	"context"
	"fmt"
	"math/big"
	"net/netip"

	"github.com/flowir/flowir/internal/flow"
)

// Investigation is everything the case says about one address or network:
// the answer of `flowir investigate`.
//
// Records are matched on srcaddr and dstaddr, CIDR-correctly. A record is
// "out" when its source is in the target and "in" when its destination is; a
// record between two addresses of a target network is both, and the overview
// says how many such records there are. Records that mention the target only
// in pkt-srcaddr / pkt-dstaddr (a NAT gateway's or transit gateway's legs of
// its traffic) are counted apart, in PacketLevel, because their srcaddr and
// dstaddr are someone else's.
type Investigation struct {
	Target    string         `json:"target"`
	Kind      string         `json:"kind"` // address or network
	Since     *flow.SafeTime `json:"since"`
	Until     *flow.SafeTime `json:"until"`
	Addresses int            `json:"addresses"` // addresses of the case inside the target
	Internal  bool           `json:"internal"`  // the target is in the private ranges

	Overview    Overview        `json:"overview"`
	DataRatio   []PairStats     `json:"data_ratio"`
	Peers       []PeerStats     `json:"peers"`
	Ports       []PortStats     `json:"ports"`
	Timeline    []HourStats     `json:"timeline"`
	Interfaces  []InterfaceUse  `json:"interfaces"`
	Accounts    []AccountUse    `json:"accounts"`
	Members     []MemberStats   `json:"members,omitempty"` // per address, for a network
	PacketLevel PacketLevelUse  `json:"packet_level"`
	IOCMatches  []IOCMatchStats `json:"ioc_matches"`
}

// Overview is the target's totals.
type Overview struct {
	FirstSeen   *flow.SafeTime `json:"first_seen"`
	LastSeen    *flow.SafeTime `json:"last_seen"`
	Records     int64          `json:"records"`
	RecordsOut  int64          `json:"records_out"`  // source in the target
	RecordsIn   int64          `json:"records_in"`   // destination in the target
	RecordsBoth int64          `json:"records_both"` // both (within a network)
	BytesOut    *big.Int       `json:"bytes_out"`
	BytesIn     *big.Int       `json:"bytes_in"`
	PacketsOut  *big.Int       `json:"packets_out"`
	PacketsIn   *big.Int       `json:"packets_in"`
	AcceptedOut int64          `json:"accepted_out"`
	RejectedOut int64          `json:"rejected_out"`
	AcceptedIn  int64          `json:"accepted_in"`
	RejectedIn  int64          `json:"rejected_in"`
	Peers       int64          `json:"peers"`
}

// PairStats is one row of the playbook's data-ratio query: records between a
// source and a destination, total bytes, bytes per record (integer division,
// as Athena computes SUM/count(*)), first start and last end.
type PairStats struct {
	Src         string        `json:"sourceaddress"`
	Dst         string        `json:"destinationaddress"`
	RecordCount int64         `json:"record_count"`
	TotalBytes  *big.Int      `json:"total_bytes"`
	DataRatio   *big.Int      `json:"data_ratio"`
	FirstSeen   flow.SafeTime `json:"first_seen"`
	LastSeen    flow.SafeTime `json:"last_seen"`
}

// PeerStats is the traffic with one peer.
type PeerStats struct {
	Peer       string        `json:"peer"`
	Internal   bool          `json:"internal"`
	RecordsOut int64         `json:"records_out"` // target -> peer
	RecordsIn  int64         `json:"records_in"`  // peer -> target
	BytesOut   *big.Int      `json:"bytes_out"`
	BytesIn    *big.Int      `json:"bytes_in"`
	Accepted   int64         `json:"accepted"`
	Rejected   int64         `json:"rejected"`
	FirstSeen  flow.SafeTime `json:"first_seen"`
	LastSeen   flow.SafeTime `json:"last_seen"`
}

// PortStats is the traffic on one service port. Role says which side
// served: "serves" when the target is the server (peers connect to its
// port), "connects" when it is the client. The service side of a record is
// its destination, except for replies (see Detect's notes), whose source is.
type PortStats struct {
	Role     string   `json:"role"`
	Protocol int      `json:"protocol"`
	Port     int      `json:"port"`
	Records  int64    `json:"records"`
	Bytes    *big.Int `json:"bytes"`
	Peers    int64    `json:"peers"`
	Accepted int64    `json:"accepted"`
	Rejected int64    `json:"rejected"`
}

// HourStats is one hour of the timeline (by record start, UTC).
type HourStats struct {
	Hour       flow.SafeTime `json:"hour"`
	RecordsOut int64         `json:"records_out"`
	RecordsIn  int64         `json:"records_in"`
	BytesOut   *big.Int      `json:"bytes_out"`
	BytesIn    *big.Int      `json:"bytes_in"`
	Accepted   int64         `json:"accepted"`
	Rejected   int64         `json:"rejected"`
}

// InterfaceUse is one network interface that logged the target's traffic.
type InterfaceUse struct {
	InterfaceID string        `json:"interface_id"`
	InstanceID  string        `json:"instance_id"`
	Account     string        `json:"account"`
	Region      string        `json:"region"`
	VPC         string        `json:"vpc_id"`
	Subnet      string        `json:"subnet_id"`
	Records     int64         `json:"records"`
	Bytes       *big.Int      `json:"bytes"`
	FirstSeen   flow.SafeTime `json:"first_seen"`
	LastSeen    flow.SafeTime `json:"last_seen"`
}

// AccountUse is the target's traffic per account and region.
type AccountUse struct {
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Records int64    `json:"records"`
	Bytes   *big.Int `json:"bytes"`
}

// MemberStats is one address of a target network.
type MemberStats struct {
	Address    string         `json:"address"`
	RecordsOut int64          `json:"records_out"`
	RecordsIn  int64          `json:"records_in"`
	BytesOut   *big.Int       `json:"bytes_out"`
	BytesIn    *big.Int       `json:"bytes_in"`
	FirstSeen  *flow.SafeTime `json:"first_seen"`
	LastSeen   *flow.SafeTime `json:"last_seen"`
}

// PacketLevelUse counts records that name the target only at packet level.
type PacketLevelUse struct {
	Records    int64    `json:"records"`
	Bytes      *big.Int `json:"bytes"`
	Interfaces []string `json:"interfaces"`
	Via        []string `json:"via"` // the srcaddr/dstaddr shown instead (NAT or transit addresses)
}

// IOCMatchStats is a loaded IOC entry that the target, or one of its peers,
// falls in.
type IOCMatchStats struct {
	Address  string   `json:"address"`
	Role     string   `json:"role"` // target, member (an address of a target network) or peer
	ThreatIP string   `json:"threat_ip"`
	Comment  string   `json:"threat_comment"`
	Records  int64    `json:"records"`
	Bytes    *big.Int `json:"bytes"`
	// The entry's validity (nil: open) and how many of Records are outside
	// its window (end before valid_from, or start at or after valid_until),
	// as flowir ioc reports them: a hit outside it is weaker evidence.
	ValidFrom       *flow.SafeTime `json:"valid_from"`
	ValidUntil      *flow.SafeTime `json:"valid_until"`
	Revoked         bool           `json:"revoked"`
	OutsideValidity int64          `json:"outside_validity"`
}

// InvestigateOptions bound an investigation.
type InvestigateOptions struct {
	Since, Until int64 // Unix seconds, 0 = open: records overlapping [Since, Until)
	Limit        int   // rows of the ranked tables (data ratio, peers, ports, members); 0 = 50
	IOCs         []IOCRef
	Internal     []NetRange // in addition to DefaultInternal, for the peers' internal flag
}

const (
	tmpTarget = "ir_target" // the case's addresses inside the target
	tmpInv    = "ir_inv"    // the target's records
)

// Investigate gathers the Investigation of target (an address or network).
func Investigate(ctx context.Context, eng Engine, target netip.Prefix, opt InvestigateOptions) (*Investigation, error) {
	target = canonicalPrefix(target)
	if opt.Limit <= 0 {
		opt.Limit = 50
	}
	class := NewNetClass(append(DefaultInternal(), opt.Internal...))
	inv := &Investigation{Target: PrefixKey(target), Kind: "address", Internal: class.Internal(target.Addr()),
		DataRatio: []PairStats{}, Peers: []PeerStats{}, Ports: []PortStats{}, Timeline: []HourStats{}, Interfaces: []InterfaceUse{},
		Accounts: []AccountUse{}, IOCMatches: []IOCMatchStats{}, PacketLevel: PacketLevelUse{Interfaces: []string{}, Via: []string{}}}
	if !target.IsSingleIP() {
		inv.Kind = "network"
	}
	if opt.Since != 0 {
		inv.Since = optTime(opt.Since)
	}
	if opt.Until != 0 {
		inv.Until = optTime(opt.Until)
	}

	// The case's addresses inside the target, matched in Go.
	addrs, err := CaseAddresses(ctx, eng)
	if err != nil {
		return nil, err
	}
	set := NewPrefixSet()
	set.Add(target, 0)
	var members []string
	for _, s := range addrs {
		if a, err := netip.ParseAddr(s); err == nil && set.Contains(a) {
			members = append(members, s)
		}
	}
	inv.Addresses = len(members)
	if err := eng.LoadAddressTable(ctx, tmpTarget, members, nil); err != nil {
		return nil, err
	}
	win := "true"
	if opt.Since != 0 {
		win += fmt.Sprintf(` AND "end" >= %d`, opt.Since)
	}
	if opt.Until != 0 {
		win += fmt.Sprintf(` AND start < %d`, opt.Until)
	}
	in := func(col string) string { return col + " IN (SELECT addr FROM " + tmpTarget + ")" }
	if err := eng.Exec(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS
SELECT *, %s AS o, %s AS i FROM flows WHERE %s AND (%s OR %s)`,
		tmpInv, in("srcaddr"), in("dstaddr"), win, in("srcaddr"), in("dstaddr"))); err != nil {
		return nil, fmt.Errorf("select the target's records: %w", err)
	}
	lim := opt.Limit

	// Overview.
	rows, err := eng.QueryRows(ctx, `SELECT min(start), max("end"), count(*),
  count(*) FILTER (WHERE o), count(*) FILTER (WHERE i), count(*) FILTER (WHERE o AND i),
  coalesce(sum(bytes) FILTER (WHERE o), 0), coalesce(sum(bytes) FILTER (WHERE i), 0),
  coalesce(sum(packets) FILTER (WHERE o), 0), coalesce(sum(packets) FILTER (WHERE i), 0),
  count(*) FILTER (WHERE o AND action = 'ACCEPT'), count(*) FILTER (WHERE o AND action = 'REJECT'),
  count(*) FILTER (WHERE i AND action = 'ACCEPT'), count(*) FILTER (WHERE i AND action = 'REJECT'),
  (SELECT count(DISTINCT p) FROM (SELECT dstaddr AS p FROM ir_inv WHERE o AND NOT i UNION ALL SELECT srcaddr FROM ir_inv WHERE i AND NOT o))
FROM ir_inv`)
	if err != nil {
		return nil, err
	}
	if len(rows) == 1 {
		r := rows[0]
		o := &inv.Overview
		o.FirstSeen, o.LastSeen = optTime(r[0]), optTime(r[1])
		o.Records, o.RecordsOut, o.RecordsIn, o.RecordsBoth = asInt(r[2]), asInt(r[3]), asInt(r[4]), asInt(r[5])
		o.BytesOut, o.BytesIn, o.PacketsOut, o.PacketsIn = asBig(r[6]), asBig(r[7]), asBig(r[8]), asBig(r[9])
		o.AcceptedOut, o.RejectedOut, o.AcceptedIn, o.RejectedIn = asInt(r[10]), asInt(r[11]), asInt(r[12]), asInt(r[13])
		o.Peers = asInt(r[14])
	}

	// The playbook's data ratio per (source, destination).
	rows, err = eng.QueryRows(ctx, fmt.Sprintf(`SELECT srcaddr, dstaddr, count(*), coalesce(sum(bytes), 0),
  (coalesce(sum(bytes), 0) // count(*)), min(start), max("end")
FROM ir_inv GROUP BY srcaddr, dstaddr ORDER BY 4 DESC, 1, 2 LIMIT %d`, lim))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		inv.DataRatio = append(inv.DataRatio, PairStats{Src: asString(r[0]), Dst: asString(r[1]), RecordCount: asInt(r[2]),
			TotalBytes: asBig(r[3]), DataRatio: asBig(r[4]), FirstSeen: safeUnix(asInt(r[5])), LastSeen: safeUnix(asInt(r[6]))})
	}

	// Peers: the other side of every record (both halves of a record
	// inside a target network count for their own peer).
	halves := `SELECT dstaddr AS peer, 'out' AS dir, * FROM ir_inv WHERE o AND NOT (i AND srcaddr = dstaddr)
UNION ALL SELECT srcaddr AS peer, 'in' AS dir, * FROM ir_inv WHERE i AND NOT (o AND srcaddr = dstaddr)`
	rows, err = eng.QueryRows(ctx, fmt.Sprintf(`SELECT peer, count(*) FILTER (WHERE dir = 'out'), count(*) FILTER (WHERE dir = 'in'),
  coalesce(sum(bytes) FILTER (WHERE dir = 'out'), 0), coalesce(sum(bytes) FILTER (WHERE dir = 'in'), 0),
  count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT'), min(start), max("end")
FROM (%s) h GROUP BY peer ORDER BY coalesce(sum(bytes), 0) DESC, count(*) DESC, peer LIMIT %d`, halves, lim))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		p := asString(r[0])
		inv.Peers = append(inv.Peers, PeerStats{Peer: p, Internal: class.InternalText(p), RecordsOut: asInt(r[1]), RecordsIn: asInt(r[2]),
			BytesOut: asBig(r[3]), BytesIn: asBig(r[4]), Accepted: asInt(r[5]), Rejected: asInt(r[6]),
			FirstSeen: safeUnix(asInt(r[7])), LastSeen: safeUnix(asInt(r[8]))})
	}

	// Ports, by which side served.
	rows, err = eng.QueryRows(ctx, fmt.Sprintf(`WITH h AS (%s), s AS (
  SELECT peer, protocol, bytes, action,
    CASE WHEN %s THEN srcport ELSE dstport END AS port,
    CASE WHEN (dir = 'out') = %s THEN 'serves' ELSE 'connects' END AS role
  FROM h WHERE srcport IS NOT NULL AND dstport IS NOT NULL
)
SELECT role, protocol, port, count(*), coalesce(sum(bytes), 0), count(DISTINCT peer),
  count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT')
FROM s GROUP BY ALL ORDER BY 4 DESC, 5 DESC, 1, 2, 3 LIMIT %d`, halves, condReply, condReply, lim))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		inv.Ports = append(inv.Ports, PortStats{Role: asString(r[0]), Protocol: int(asInt(r[1])), Port: int(asInt(r[2])),
			Records: asInt(r[3]), Bytes: asBig(r[4]), Peers: asInt(r[5]), Accepted: asInt(r[6]), Rejected: asInt(r[7])})
	}

	// Hourly timeline.
	rows, err = eng.QueryRows(ctx, `SELECT start // 3600 * 3600 AS h, count(*) FILTER (WHERE o), count(*) FILTER (WHERE i),
  coalesce(sum(bytes) FILTER (WHERE o), 0), coalesce(sum(bytes) FILTER (WHERE i), 0),
  count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT')
FROM ir_inv GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		inv.Timeline = append(inv.Timeline, HourStats{Hour: safeUnix(asInt(r[0])), RecordsOut: asInt(r[1]), RecordsIn: asInt(r[2]),
			BytesOut: asBig(r[3]), BytesIn: asBig(r[4]), Accepted: asInt(r[5]), Rejected: asInt(r[6])})
	}

	// Interfaces, instances, accounts and regions.
	rows, err = eng.QueryRows(ctx, `SELECT interface_id, coalesce(instance_id, ''), coalesce(account_id, account_partition, ''),
  coalesce(region, region_partition, ''), coalesce(vpc_id, ''), coalesce(subnet_id, ''), count(*), coalesce(sum(bytes), 0), min(start), max("end")
FROM ir_inv GROUP BY ALL ORDER BY 7 DESC, 1`)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		inv.Interfaces = append(inv.Interfaces, InterfaceUse{InterfaceID: asString(r[0]), InstanceID: asString(r[1]), Account: asString(r[2]),
			Region: asString(r[3]), VPC: asString(r[4]), Subnet: asString(r[5]), Records: asInt(r[6]), Bytes: asBig(r[7]),
			FirstSeen: safeUnix(asInt(r[8])), LastSeen: safeUnix(asInt(r[9]))})
	}
	rows, err = eng.QueryRows(ctx, `SELECT coalesce(account_id, account_partition, ''), coalesce(region, region_partition, ''), count(*), coalesce(sum(bytes), 0)
FROM ir_inv GROUP BY ALL ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		inv.Accounts = append(inv.Accounts, AccountUse{Account: asString(r[0]), Region: asString(r[1]), Records: asInt(r[2]), Bytes: asBig(r[3])})
	}

	// Per address, for a network (and the IOC entries they fall in).
	var memberRows [][]any
	if !target.IsSingleIP() {
		inv.Members = []MemberStats{}
		memberRows, err = eng.QueryRows(ctx, `SELECT m, count(*) FILTER (WHERE dir = 'out'), count(*) FILTER (WHERE dir = 'in'),
  coalesce(sum(bytes) FILTER (WHERE dir = 'out'), 0), coalesce(sum(bytes) FILTER (WHERE dir = 'in'), 0), min(start), max("end")
FROM (SELECT srcaddr AS m, 'out' AS dir, bytes, start, "end" FROM ir_inv WHERE o
      UNION ALL SELECT dstaddr, 'in', bytes, start, "end" FROM ir_inv WHERE i)
GROUP BY m ORDER BY 4 + 5 DESC, 2 + 3 DESC, 1`)
		if err != nil {
			return nil, err
		}
		for i, r := range memberRows {
			if i == lim {
				break
			}
			inv.Members = append(inv.Members, MemberStats{Address: asString(r[0]), RecordsOut: asInt(r[1]), RecordsIn: asInt(r[2]),
				BytesOut: asBig(r[3]), BytesIn: asBig(r[4]), FirstSeen: optTime(r[5]), LastSeen: optTime(r[6])})
		}
	}

	// Records that name the target only at packet level.
	rows, err = eng.QueryRows(ctx, fmt.Sprintf(`SELECT count(*), coalesce(sum(bytes), 0),
  list(DISTINCT interface_id ORDER BY interface_id),
  list(DISTINCT CASE WHEN %s THEN srcaddr ELSE dstaddr END ORDER BY CASE WHEN %s THEN srcaddr ELSE dstaddr END)
FROM flows WHERE %s AND (%s OR %s) AND NOT (coalesce(%s, false) OR coalesce(%s, false))`,
		in("pkt_srcaddr"), in("pkt_srcaddr"), win, in("pkt_srcaddr"), in("pkt_dstaddr"), in("srcaddr"), in("dstaddr")))
	if err != nil {
		return nil, err
	}
	if len(rows) == 1 {
		inv.PacketLevel = PacketLevelUse{Records: asInt(rows[0][0]), Bytes: asBig(rows[0][1]),
			Interfaces: asStrings(rows[0][2]), Via: asStrings(rows[0][3])}
	}

	// IOC matches of the target and of its peers.
	if len(opt.IOCs) > 0 {
		m, err := NewIOCMatcher(opt.IOCs)
		if err != nil {
			return nil, err
		}
		for _, ref := range m.Match(target.Addr().String()) {
			if p, err := ParseCIDROrAddr(ref.Key); err == nil && p.Bits() <= target.Bits() {
				inv.IOCMatches = append(inv.IOCMatches, iocMatch(ref, inv.Target, "target", inv.Overview.Records, new(big.Int).Add(inv.Overview.BytesIn, inv.Overview.BytesOut)))
			}
		}
		// Entries inside a target network, through its addresses.
		for _, r := range memberRows {
			a := asString(r[0])
			for _, ref := range m.Match(a) {
				if p, err := ParseCIDROrAddr(ref.Key); err == nil && p.Bits() > target.Bits() {
					inv.IOCMatches = append(inv.IOCMatches, iocMatch(ref, a, "member", asInt(r[1])+asInt(r[2]), new(big.Int).Add(asBig(r[3]), asBig(r[4]))))
				}
			}
		}
		rows, err = eng.QueryRows(ctx, fmt.Sprintf(`SELECT peer, count(*), coalesce(sum(bytes), 0) FROM (%s) h GROUP BY peer ORDER BY peer`, halves))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			p := asString(r[0])
			for _, ref := range m.Match(p) {
				inv.IOCMatches = append(inv.IOCMatches, iocMatch(ref, p, "peer", asInt(r[1]), asBig(r[2])))
			}
		}
		// Each match's validity, and its records outside it: the records
		// each match counted above, with the window's condition.
		for i := range inv.IOCMatches {
			x := &inv.IOCMatches[i]
			var v iocValidity
			if x.ValidFrom != nil {
				v.from = &x.ValidFrom.Time
			}
			if x.ValidUntil != nil {
				v.until = &x.ValidUntil.Time
			}
			if !v.bounded() {
				continue
			}
			from, until := v.window()
			var q string
			var args []any
			switch x.Role {
			case "target":
				q = `SELECT count(*) FROM ir_inv WHERE "end" < ? OR start >= ?`
				args = []any{from, until}
			case "member":
				q = `SELECT count(*) FILTER (WHERE o AND srcaddr = ?) + count(*) FILTER (WHERE i AND dstaddr = ?) FROM ir_inv WHERE "end" < ? OR start >= ?`
				args = []any{x.Address, x.Address, from, until}
			default:
				q = fmt.Sprintf(`SELECT count(*) FROM (%s) h WHERE peer = ? AND ("end" < ? OR start >= ?)`, halves)
				args = []any{x.Address, from, until}
			}
			n, err := eng.QueryRows(ctx, q, args...)
			if err != nil {
				return nil, err
			}
			x.OutsideValidity = asInt(n[0][0])
		}
	}
	return inv, nil
}

// iocMatch is one IOC match of an investigation, with the entry's validity.
func iocMatch(ref IOCRef, addr, role string, records int64, bytes *big.Int) IOCMatchStats {
	x := IOCMatchStats{Address: addr, Role: role, ThreatIP: ref.ThreatIP, Comment: ref.Comment, Records: records, Bytes: bytes, Revoked: ref.Revoked}
	if ref.ValidFrom != nil {
		x.ValidFrom = &flow.SafeTime{Time: ref.ValidFrom.UTC()}
	}
	if ref.ValidUntil != nil {
		x.ValidUntil = &flow.SafeTime{Time: ref.ValidUntil.UTC()}
	}
	return x
}

func optTime(v any) *flow.SafeTime {
	if v == nil {
		return nil
	}
	return &flow.SafeTime{Time: unix(asInt(v))}
}

// safeUnix is a time of the records, for the JSON outputs: a start or end
// written in milliseconds (issue 12.7) reads as a year past 9999, which
// time.Time's MarshalJSON refuses.
func safeUnix(sec int64) flow.SafeTime { return flow.SafeTime{Time: unix(sec)} }

// ParseTarget parses the argument of `flowir investigate`: an address or a
// CIDR network (host bits must be clear).
func ParseTarget(s string) (netip.Prefix, error) {
	p, err := ParseCIDROrAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("investigate: %v", err)
	}
	return p, nil
}
