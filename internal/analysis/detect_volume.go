package analysis

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/sqltext"
)

// timedBytes is one record reduced to when it started and how many bytes it
// carried.
type timedBytes struct{ t, b int64 }

// episode is a stretch of records in which some window of length W, starting
// at a record, held at least the threshold.
type episode struct {
	s0, s1 int64  // first and last record start in the episode
	max    sum128 // the largest window total
	maxAt  int64  // start of the window with that total
}

// slidingEpisodes finds every window [t, t+w) anchored at a record start
// whose records total at least min bytes, and merges overlapping windows into
// episodes. recs must be sorted by t. A record's bytes count at its start:
// flow records only say that the bytes moved between start and end.
func slidingEpisodes(recs []timedBytes, w, min int64) []episode {
	var out []episode
	var sum sum128
	j := 0
	for i := range recs {
		for j < len(recs) && recs[j].t < recs[i].t+w {
			sum.add(recs[j].b)
			j++
		}
		if sum.atLeast(min) {
			last := recs[j-1].t
			if n := len(out); n > 0 && recs[i].t <= out[n-1].s1 {
				e := &out[n-1]
				e.s1 = max(e.s1, last)
				if sum.cmp(e.max) > 0 {
					e.max, e.maxAt = sum, recs[i].t
				}
			} else {
				out = append(out, episode{s0: recs[i].t, s1: last, max: sum, maxAt: recs[i].t})
			}
		}
		sum.sub(recs[i].b)
	}
	return out
}

// median of a slice (which it sorts); 0 for an empty one.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// dominantPort returns the (destination port, protocol) that carried the most
// bytes; ties go to the lower port, then the lower protocol number.
func dominantPort(m map[[2]int64]sum128) (*int, int) {
	var bestK [2]int64
	var best sum128
	found := false
	for k, b := range m {
		c := b.cmp(best)
		if !found || c > 0 || c == 0 && (k[0] < bestK[0] || k[0] == bestK[0] && k[1] < bestK[1]) {
			best, bestK, found = b, k, true
		}
	}
	if !found {
		return nil, 0
	}
	return intPtr(int(bestK[0])), int(bestK[1])
}

// addPortBytes adds a record's bytes to its (port, protocol).
func addPortBytes(m map[[2]int64]sum128, k [2]int64, b int64) {
	s := m[k]
	s.add(b)
	m[k] = s
}

// pairKey is an (actor, target) pair.
type pairKey struct{ a, t string }

func runExfiltration(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RuleExfiltration
	w, minBytes, factor := d.cfg.int(r, "window"), d.cfg.int(r, "min_bytes"), d.cfg.float(r, "baseline_factor")
	if w <= 0 {
		return nil, fmt.Errorf("window must be positive")
	}
	// Only what the host sent as the client of a connection counts (the
	// destination port is below the source port): a server's replies to
	// someone who connected to it, such as an RDP or web session, are not
	// the host sending data out on its own.
	//
	// Destinations that are AWS services (S3, DynamoDB, ... by the records'
	// pkt-dst-aws-service or the loaded ip-ranges; EC2 excepted) are left
	// out of both the transfers and the baselines: a nightly backup to S3
	// is the account's own storage, and counting it in the baseline would
	// hide a real upload elsewhere behind it.
	base := d.baseSelect() + " AND " + condClient + " AND " + exprTarget + " NOT IN (SELECT addr FROM " + tmpAWS + ")"
	// One pass for two things: candidate pairs, whose total over the whole
	// range reaches the threshold (an upper bound of any window's total),
	// and every internal host's bytes to external destinations per aligned
	// window and observation point (the baselines).
	rows, err := d.eng.QueryRows(ctx, fmt.Sprintf(`WITH x AS (
  SELECT a, t, start // %d AS bucket, (srcaddr = a AND dstaddr = t) AS direct, bytes FROM (%s) b
  WHERE %s AND NOT %s AND bytes IS NOT NULL
)
SELECT a, t, bucket, direct, sum(bytes), grouping(t) FROM x
GROUP BY GROUPING SETS ((a, t), (a, bucket, direct))
HAVING grouping(t) = 1 OR sum(bytes) >= %d ORDER BY 1, 2, 3`, w, base, inInternal("a"), inInternal("t"), minBytes))
	if err != nil {
		return nil, err
	}
	type bucket struct {
		n     int64
		bytes float64 // for the median
	}
	buckets := map[string][2][]bucket{} // host -> [direct, indirect]
	var ca, ct []string
	for _, row := range rows {
		h := asString(row[0])
		if asInt(row[5]) == 0 {
			ca, ct = append(ca, h), append(ct, asString(row[1]))
			continue
		}
		bs := buckets[h]
		i := 1
		if asInt(row[3]) == 1 {
			i = 0
		}
		bs[i] = append(bs[i], bucket{asInt(row[2]), bigFloat(asBig(row[4]))})
		buckets[h] = bs
	}
	if len(ca) == 0 {
		return nil, nil
	}
	rows, err = d.eng.QueryRows(ctx, fmt.Sprintf(`SELECT b.a, b.t, b.start, b.bytes, (b.srcaddr = b.a AND b.dstaddr = b.t) AS direct, b.dstport, b.protocol
FROM (%s) b JOIN (SELECT unnest(?::VARCHAR[]) AS ca, unnest(?::VARCHAR[]) AS ct) c ON b.a = c.ca AND b.t = c.ct
WHERE b.bytes IS NOT NULL ORDER BY 1, 2, 3`, base), ca, ct)
	if err != nil {
		return nil, err
	}
	type pairData struct {
		direct, indirect []timedBytes
		ports            [2]map[[2]int64]sum128 // by observation point: (port, proto) -> bytes
	}
	pairs := map[pairKey]*pairData{}
	var order []pairKey
	for _, row := range rows {
		k := pairKey{asString(row[0]), asString(row[1])}
		p := pairs[k]
		if p == nil {
			p = &pairData{ports: [2]map[[2]int64]sum128{{}, {}}}
			pairs[k] = p
			order = append(order, k)
		}
		tb := timedBytes{asInt(row[2]), asInt(row[3])}
		pp := [2]int64{asInt(row[5]), asInt(row[6])}
		if asInt(row[4]) == 1 {
			p.direct = append(p.direct, tb)
			addPortBytes(p.ports[0], pp, tb.b)
		} else {
			p.indirect = append(p.indirect, tb)
			addPortBytes(p.ports[1], pp, tb.b)
		}
	}

	maxReply := d.cfg.float(r, "max_reply_ratio")
	type epi struct {
		k     pairKey
		obs   int
		e     episode
		n     int64
		b     sum128
		base  float64
		nBase int
		dcond string
	}
	var cands []epi
	for _, k := range order {
		p := pairs[k]
		recs, obs, directCond := p.direct, 0, fmt.Sprintf("srcaddr = %s AND dstaddr = %s", sqltext.String(k.a), sqltext.String(k.t))
		if len(recs) == 0 {
			recs, obs, directCond = p.indirect, 1, "NOT ("+directCond+")"
		}
		eps := slidingEpisodes(recs, w, minBytes)
		if len(eps) == 0 {
			continue
		}
		// The host's baseline, from the same observation point, leaving out
		// the windows of the episodes themselves.
		hb := buckets[k.a][obs]
		var vals []float64
		for _, b := range hb {
			b0, b1 := b.n*w, (b.n+1)*w
			inEpisode := false
			for _, e := range eps {
				if e.s0 < b1 && e.s1 >= b0 {
					inEpisode = true
				}
			}
			if !inEpisode {
				vals = append(vals, b.bytes)
			}
		}
		baseline := median(vals)
		for _, e := range eps {
			if e.max.float() < factor*baseline {
				continue
			}
			var n int64
			var bytes sum128
			for _, tb := range recs {
				if tb.t >= e.s0 && tb.t <= e.s1 {
					n++
					bytes.add(tb.b)
				}
			}
			cands = append(cands, epi{k: k, obs: obs, e: e, n: n, b: bytes, base: baseline, nBase: len(vals), dcond: directCond})
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	// What the destinations sent back during each transfer (their replies,
	// at the same observation point), and how many internal hosts send to
	// each destination at all: an upload is one-way, a video call or a VPN
	// is not, and a destination every desktop talks to is a service.
	var ea, et []string
	var es0, es1 []int64
	var eobs []bool
	for _, x := range cands {
		ea, et, es0, es1, eobs = append(ea, x.k.a), append(et, x.k.t), append(es0, x.e.s0), append(es1, x.e.s1+w), append(eobs, x.obs == 0)
	}
	rows, err = d.eng.QueryRows(ctx, fmt.Sprintf(`WITH e AS (
  SELECT unnest(?::VARCHAR[]) AS h, unnest(?::VARCHAR[]) AS x, unnest(?::BIGINT[]) AS s0, unnest(?::BIGINT[]) AS s1, unnest(?::BOOLEAN[]) AS direct,
    unnest(range(0, %[2]d)) AS i
), rep AS (
  SELECT e.i, sum(b.bytes) AS back FROM (%[1]s) b JOIN e ON b.a = e.x AND b.t = e.h AND b.start BETWEEN e.s0 AND e.s1
  WHERE b.bytes IS NOT NULL AND (b.srcaddr = b.a AND b.dstaddr = b.t) = e.direct GROUP BY e.i
), hc AS (
  SELECT b.t AS x, count(DISTINCT b.a) AS hosts FROM (%[1]s) b WHERE b.t IN (SELECT x FROM e) AND %[3]s GROUP BY 1
)
SELECT e.i, coalesce(rep.back, 0), coalesce(hc.hosts, 0) FROM e LEFT JOIN rep USING (i) LEFT JOIN hc USING (x) ORDER BY 1`,
		d.baseSelect(), len(cands), inInternal("b.a")), ea, et, es0, es1, eobs)
	if err != nil {
		return nil, err
	}
	var senders int64
	for _, bs := range buckets {
		if len(bs[0]) > 0 || len(bs[1]) > 0 {
			senders++
		}
	}
	var out []Finding
	for i, x := range cands {
		back, hosts := asBig(rows[i][1]), asInt(rows[i][2])
		if bigFloat(back) > maxReply*x.b.float() {
			continue
		}
		k, obs, e, n, bytes, baseline := x.k, x.obs, x.e, x.n, x.b, x.base
		p := pairs[k]
		{
			port, proto := dominantPort(p.ports[obs])
			where := "its own network interface"
			if obs == 1 {
				where = "the NAT gateway's inside leg (its own interface is not in the logs)"
			}
			sum := fmt.Sprintf("%s sent %s to %s between %s and %s (at most %s within %s; its baseline is %s per %s), counted on %s; "+
				"%s sent back %s; the destination is not an AWS service, and %d of the %d internal hosts sending out contact it",
				k.a, humanBytes(bytes.float()), k.t, unix(e.s0).Format("2006-01-02T15:04Z"), unix(e.s1).Format("15:04Z"),
				humanBytes(e.max.float()), dur(w), humanBytes(baseline), dur(w), where, k.t, humanBytes(bigFloat(back)), hosts, senders)
			out = append(out, Finding{
				Rule: r, Severity: SeverityHigh, Technique: "T1048", Src: k.a, Dst: k.t, DstPort: port, Protocol: proto, Direction: DirOutbound,
				FirstSeen: unix(e.s0), LastSeen: unix(e.s1), Records: n, Bytes: bytes.big(), Summary: sum,
				EvidenceSQL: d.evidence(addrEq(exprActor, k.a), addrEq(exprTarget, k.t), x.dcond, condClient, "bytes IS NOT NULL",
					fmt.Sprintf("start BETWEEN %d AND %d", e.s0, e.s1)),
				Details: map[string]any{"max_window_bytes": e.max.big(), "max_window_start": unix(e.maxAt), "baseline_bytes_per_window": floatBig(baseline),
					"baseline_windows": x.nBase, "window_seconds": w, "bytes_back": back, "hosts_contacting_destination": hosts, "hosts_sending_out": senders},
			})
		}
	}
	return out, nil
}

func runNATEgress(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RuleNATEgress
	w, minBytes := d.cfg.int(r, "window"), d.cfg.int(r, "min_bytes")
	if len(d.nat) == 0 || w <= 0 {
		return nil, nil
	}
	natList := sqltext.Strings(d.nat)
	var win strings.Builder
	if d.cfg.Since != 0 {
		fmt.Fprintf(&win, ` AND "end" >= %d`, d.cfg.Since)
	}
	if d.cfg.Until != 0 {
		fmt.Fprintf(&win, ` AND start < %d`, d.cfg.Until)
	}
	// The outside leg: from the NAT's own address to the internet.
	outside := fmt.Sprintf(`log_status = 'OK' AND srcaddr IN (%s) AND coalesce(pkt_srcaddr, srcaddr) = srcaddr AND bytes IS NOT NULL%s`, natList, win.String())
	// AWS service destinations (S3 through a NAT gateway, ...) are left
	// out: the account's own storage, not a destination to alarm on.
	rows, err := d.eng.QueryRows(ctx, fmt.Sprintf(`WITH o AS (SELECT srcaddr, dstaddr, start, bytes, dstport, protocol, account_id FROM flows
  WHERE %s AND dstaddr NOT IN (SELECT addr FROM %s) AND dstaddr NOT IN (SELECT addr FROM %s)),
k AS (SELECT srcaddr, dstaddr FROM o GROUP BY ALL HAVING sum(bytes) >= %d)
SELECT o.* FROM o SEMI JOIN k USING (srcaddr, dstaddr) ORDER BY srcaddr, dstaddr, start`, outside, tmpInternal, tmpAWS, minBytes))
	if err != nil {
		return nil, err
	}
	type natPair struct {
		recs  []timedBytes
		ports map[[2]int64]sum128
		acct  string
	}
	pairs := map[pairKey]*natPair{}
	var order []pairKey
	for _, row := range rows {
		k := pairKey{asString(row[0]), asString(row[1])}
		p := pairs[k]
		if p == nil {
			p = &natPair{ports: map[[2]int64]sum128{}}
			pairs[k] = p
			order = append(order, k)
		}
		p.recs = append(p.recs, timedBytes{asInt(row[2]), asInt(row[3])})
		p.acct = asString(row[6])
		addPortBytes(p.ports, [2]int64{asInt(row[4]), asInt(row[5])}, asInt(row[3]))
	}
	if len(order) == 0 {
		return nil, nil
	}
	// Who was behind the NAT: inside-leg records to the NAT whose packet
	// destination is the same external host; or, when the format has no
	// packet-level fields, internal hosts' own records to that host.
	// Hosts are looked for in the NAT's own account only (the account of
	// the interfaces that logged its outside leg): a NAT gateway serves its
	// VPC, and another account's host sending to the same destination is
	// not behind it.
	var ns, ds, as []string
	for _, k := range order {
		ns, ds, as = append(ns, k.a), append(ds, k.t), append(as, pairs[k].acct)
	}
	rows, err = d.eng.QueryRows(ctx, fmt.Sprintf(`SELECT c.n, c.d, coalesce(f.pkt_srcaddr, f.srcaddr), f.start, f.bytes, f.dstaddr = c.n
FROM flows f JOIN (SELECT unnest(?::VARCHAR[]) AS n, unnest(?::VARCHAR[]) AS d, unnest(?::VARCHAR[]) AS acct) c ON coalesce(f.pkt_dstaddr, f.dstaddr) = c.d
WHERE f.log_status = 'OK' AND f.bytes IS NOT NULL%s AND f.account_id IS NOT DISTINCT FROM c.acct
  AND (f.dstaddr = c.n OR (f.dstaddr = c.d AND f.srcaddr NOT IN (%s) AND %s))
ORDER BY 1, 2, 4`, win.String(), natList, inInternal("f.srcaddr")), ns, ds, as)
	if err != nil {
		return nil, err
	}
	type inside struct {
		host   string
		t, b   int64
		viaNAT bool
	}
	behind := map[pairKey][]inside{}
	for _, row := range rows {
		k := pairKey{asString(row[0]), asString(row[1])}
		behind[k] = append(behind[k], inside{asString(row[2]), asInt(row[3]), asInt(row[4]), asInt(row[5]) == 1})
	}
	// What each destination sent back to the NAT (its outside leg, the
	// other way), for the two-way streams.
	rows, err = d.eng.QueryRows(ctx, fmt.Sprintf(`SELECT dstaddr, srcaddr, start, bytes FROM flows
WHERE log_status = 'OK' AND bytes IS NOT NULL%s AND dstaddr IN (%s) AND srcaddr IN (SELECT unnest(?::VARCHAR[]))`, win.String(), natList), ds)
	if err != nil {
		return nil, err
	}
	back := map[pairKey][]timedBytes{}
	for _, row := range rows {
		k := pairKey{asString(row[0]), asString(row[1])}
		back[k] = append(back[k], timedBytes{asInt(row[2]), asInt(row[3])})
	}
	maxReply, minShare := d.cfg.float(r, "max_reply_ratio"), d.cfg.float(r, "min_share")
	var out []Finding
	for _, k := range order {
		p := pairs[k]
		eps := slidingEpisodes(p.recs, w, minBytes)
		// A destination the NAT sends to all day (a log intake receiving a
		// steady stream) is a regular recipient: the episode must hold
		// min_share of everything the NAT sent to it.
		var total sum128
		for _, tb := range p.recs {
			total.add(tb.b)
		}
		for _, e := range eps {
			var n int64
			var bytes, replied sum128
			for _, tb := range p.recs {
				if tb.t >= e.s0 && tb.t <= e.s1 {
					n++
					bytes.add(tb.b)
				}
			}
			for _, tb := range back[k] {
				if tb.t >= e.s0 && tb.t <= e.s1+w {
					replied.add(tb.b)
				}
			}
			share := bytes.float() / max(total.float(), 1)
			if replied.float() > maxReply*bytes.float() || share < minShare {
				continue
			}
			// Hosts seen on the NAT's inside leg prove the path; without
			// them, hosts' own records to the destination are the best
			// evidence (which NAT they used is not in the logs).
			hostBytes := map[string]sum128{}
			how := "sent from"
			for _, viaNAT := range []bool{true, false} {
				for _, in := range behind[k] {
					if in.viaNAT == viaNAT && in.t >= e.s0-w && in.t <= e.s1 {
						hb := hostBytes[in.host]
						hb.add(in.b)
						hostBytes[in.host] = hb
					}
				}
				if len(hostBytes) > 0 {
					break
				}
				how = "the NAT's inside leg is not attributed (no pkt-dstaddr); hosts sending to it at the time, on their own interfaces:"
			}
			src, via := k.a, "no internal host is seen sending to it at the time"
			hostsBehind := make(map[string]*big.Int, len(hostBytes))
			if len(hostBytes) > 0 {
				hs := make([]string, 0, len(hostBytes))
				for h, b := range hostBytes {
					hs = append(hs, h)
					hostsBehind[h] = b.big()
				}
				slices.SortFunc(hs, func(x, y string) int {
					if c := hostBytes[y].cmp(hostBytes[x]); c != 0 {
						return c
					}
					return strings.Compare(x, y)
				})
				src = hs[0]
				parts := make([]string, 0, min(len(hs), 5))
				for _, h := range hs[:min(len(hs), 5)] {
					parts = append(parts, fmt.Sprintf("%s (%s)", h, humanBytes(hostBytes[h].float())))
				}
				via = how + " " + strings.Join(parts, ", ")
			}
			port, proto := dominantPort(p.ports)
			out = append(out, Finding{
				Rule: r, Severity: SeverityMedium, Technique: "T1048", Src: src, Dst: k.t, DstPort: port, Protocol: proto, Direction: DirOutbound,
				FirstSeen: unix(e.s0), LastSeen: unix(e.s1), Records: n, Bytes: bytes.big(),
				Summary: fmt.Sprintf("NAT gateway %s sent %s to %s within %s (alarm threshold %d bytes, the playbook's BytesOutToDestination); %s; "+
					"the destination is not an AWS service, sent back %s, and this is %.0f%% of all the NAT sent it",
					k.a, humanBytes(e.max.float()), k.t, dur(w), minBytes, via, humanBytes(replied.float()), 100*share),
				EvidenceSQL: "SELECT * FROM flows WHERE " + outside + " AND " + addrEq("srcaddr", k.a) + " AND " + addrEq("dstaddr", k.t) +
					fmt.Sprintf(" AND start BETWEEN %d AND %d", e.s0, e.s1) + ` ORDER BY start, "end", source_id, source_line`,
				Details: map[string]any{"nat": k.a, "max_window_bytes": e.max.big(), "max_window_start": unix(e.maxAt), "hosts_behind": hostsBehind, "window_seconds": w,
					"account": p.acct, "bytes_back": replied.big(), "share_of_destination_bytes": share},
			})
		}
	}
	return out, nil
}

// beacon measures the regularity of contact times (sorted): contacts within
// merge seconds of the previous kept one are merged; period is the median
// gap, jitter the median absolute deviation of the gaps over the period.
func beacon(times []int64, merge int64) (contacts int, period, mad float64) {
	var kept []int64
	for _, t := range times {
		if n := len(kept); n > 0 && t-kept[n-1] <= merge {
			continue
		}
		kept = append(kept, t)
	}
	if len(kept) < 2 {
		return len(kept), 0, 0
	}
	gaps := make([]float64, len(kept)-1)
	for i := 1; i < len(kept); i++ {
		gaps[i-1] = float64(kept[i] - kept[i-1])
	}
	period = median(slices.Clone(gaps))
	dev := make([]float64, len(gaps))
	for i, g := range gaps {
		dev[i] = math.Abs(g - period)
	}
	return len(kept), period, median(dev)
}

// beaconAllowance is the share of max_jitter a series of n contacts may
// show: ((n-5)/(full-5))², capped at 1. A short series looks regular by
// chance more easily: among Poisson arrivals (random traffic), the jitter
// of 1 series in 10,000 is below 0.046 with 10 contacts, 0.12 with 15, 0.17
// with 20 and 0.25 with 30 (simulated), while the allowance is 0.008, 0.032,
// 0.072 and 0.2 at the default max_jitter 0.2 and full_contacts 30. A nearly
// exact beacon (1% jitter) is reported from about 12 contacts, one with
// +-20% random sleep (about 10%) from about 23.
func beaconAllowance(n int, full int64) float64 {
	if full <= 5 {
		return 1
	}
	f := (float64(n) - 5) / (float64(full) - 5)
	f = max(0, min(1, f))
	return f * f
}

func runBeaconing(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RuleBeaconing
	minContacts, minPeriod, maxJitter := d.cfg.int(r, "min_contacts"), d.cfg.int(r, "min_period"), d.cfg.float(r, "max_jitter")
	gap, merge := d.cfg.int(r, "contact_gap"), d.cfg.int(r, "merge_within")
	fullContacts := d.cfg.int(r, "full_contacts")
	maxHosts := int(d.cfg.int(r, "max_hosts"))
	svcPorts := "true"
	if ps := d.cfg.ports(r, "service_ports"); len(ps) > 0 {
		svcPorts = fmt.Sprintf("dstport NOT IN (%s)", sqltext.Ints(ps))
	}
	// h: how many internal hosts contact each destination at all (the
	// finding says it); AWS service destinations (ir_aws) are left out.
	q := fmt.Sprintf(`WITH r AS (
  SELECT a, t, dstport, protocol, srcport, start, "end", bytes FROM (%s) b
  WHERE protocol IN (6, 17) AND NOT %s AND %s AND NOT %s AND %s AND t NOT IN (SELECT addr FROM %s)
), k AS (
  SELECT a, t, dstport, protocol, count(*) AS n, sum(bytes) AS bytes, min(start) AS s0, max(start) AS s1, max("end") AS e1
  FROM r GROUP BY ALL HAVING count(*) >= %d
), h AS (
  SELECT t, dstport, protocol, count(DISTINCT a) AS hosts FROM r SEMI JOIN k USING (t, dstport, protocol) GROUP BY ALL
), c AS (
  SELECT r.a, r.t, r.dstport, r.protocol, r.start,
    max(r."end") OVER (PARTITION BY r.a, r.t, r.dstport, r.protocol, r.srcport ORDER BY r.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pend
  FROM r SEMI JOIN k USING (a, t, dstport, protocol)
), s AS (
  SELECT a, t, dstport, protocol, list(start ORDER BY start) AS contacts FROM c
  WHERE pend IS NULL OR start - pend > %d GROUP BY ALL HAVING count(*) >= %d
)
SELECT s.a, s.t, s.dstport, s.protocol, s.contacts, k.n, k.bytes, k.s0, k.s1, k.e1, h.hosts
FROM s JOIN k USING (a, t, dstport, protocol) JOIN h USING (t, dstport, protocol) ORDER BY 1, 2, 3, 4`,
		d.baseSelect(), condReply, inInternal("a"), inInternal("t"), svcPorts, tmpAWS, minContacts, gap, minContacts)
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	type cand struct {
		f      Finding
		period float64
		key    string
	}
	var cands []cand
	for _, row := range rows {
		a, t, port, proto := asString(row[0]), asString(row[1]), int(asInt(row[2])), int(asInt(row[3]))
		n, period, mad := beacon(asInts(row[4]), merge)
		allowed := maxJitter * beaconAllowance(n, fullContacts)
		if int64(n) < minContacts || period <= 0 || period < float64(minPeriod) || mad > allowed*period {
			continue
		}
		recs, bytes, s0, s1, e1, hosts := asInt(row[5]), asBig(row[6]), asInt(row[7]), asInt(row[8]), asInt(row[9]), asInt(row[10])
		tech := "T1071"
		if slices.Contains([]int{80, 443, 8080, 8443}, port) {
			tech = "T1071.001"
		}
		cands = append(cands, cand{period: period, key: fmt.Sprint(t, "|", port, "|", proto), f: Finding{
			Rule: r, Severity: SeverityMedium, Technique: tech, Src: a, Dst: t, DstPort: intPtr(port), Protocol: proto, Direction: DirOutbound,
			FirstSeen: unix(s0), LastSeen: unix(e1), Records: recs, Bytes: bytes,
			Summary: fmt.Sprintf("%s contacted %s port %d/%s %d times, every %s (jitter %.1f%%: median deviation %.0f s), over %s; the destination is not a known AWS service, and %d of the %d internal addresses contact it",
				a, t, port, protoName(proto), n, dur(int64(math.Round(period))), 100*mad/period, mad, dur(s1-s0), hosts, len(d.internal)),
			EvidenceSQL: d.evidence(addrEq(exprActor, a), addrEq(exprTarget, t), fmt.Sprintf("dstport = %d", port),
				fmt.Sprintf("protocol = %d", proto), "NOT "+condReply, fmt.Sprintf("start BETWEEN %d AND %d", s0, s1)),
			Details: map[string]any{"contacts": n, "period_seconds": period, "median_abs_deviation_seconds": mad, "jitter": mad / period,
				"destination_hosts": hosts},
		}})
	}
	// A destination that many hosts contact on the same schedule is a
	// service: drop a candidate when more than max_hosts candidates (its
	// own included) reach its destination with a period within 10% of its.
	var out []Finding
	for i, c := range cands {
		same := 0
		for _, o := range cands {
			if o.key == c.key && math.Abs(o.period-c.period) <= 0.1*c.period {
				same++
			}
		}
		if same > maxHosts {
			continue
		}
		out = append(out, cands[i].f)
	}
	return out, nil
}
