package analysis

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/flowir/flowir/internal/sqltext"
)

// Rule names.
const (
	RulePortScanVertical   = "port-scan-vertical"
	RulePortScanHorizontal = "port-scan-horizontal"
	RuleBruteForce         = "brute-force"
	RuleExfiltration       = "exfiltration"
	RuleNATEgress          = "nat-egress"
	RuleBeaconing          = "beaconing"
	RuleIOCContact         = "ioc-contact"
	RuleExposedPort        = "exposed-admin-port"
)

// Default port lists.
var (
	defaultAdminPorts = []int{21, 22, 23, 3389, 5900, 5985, 5986}
	// Database ports: brute force from inside the network is normal
	// application traffic, so these count only from external actors.
	defaultDBPorts      = []int{1433, 1521, 3306, 5432, 6379, 27017}
	defaultExposedAdmin = []int{21, 22, 23, 135, 139, 445, 3389, 5900, 5985, 5986}
	defaultExposedDB    = []int{1433, 1521, 2375, 2379, 3306, 5432, 5601, 6379, 9200, 9300, 11211, 27017}
)

func probeThresholds() []Threshold {
	return []Threshold{
		{Name: "probe_max_packets", Kind: KindCount, Default: int64(3), Min: 0, Doc: "a probe record has at most this many packets (or is rejected)"},
		{Name: "probe_max_bytes_per_packet", Kind: KindBytes, Default: int64(100), Min: 0, Doc: "and at most this many bytes per packet: no payload"},
	}
}

var ruleCatalog = []*RuleInfo{
	{
		Name: RulePortScanVertical, Title: "Vertical port scan", Technique: "T1046", Severity: SeverityMedium,
		Doc: `One actor probes many ports of one target. A probe is a request record
(not a reply) that was rejected or carries no payload (few, small packets;
when the format has TCP flags, SYN without FIN, so the tail of an ordinary
connection is not a probe). Who the client is comes from the whole case:
a record sent from a service endpoint (an address and port that accepted
connections from at least 10 distinct client addresses and ports, each
from a higher port: an agent on 10050 that a monitoring system polls, RDP
on 3389) to a higher port is a reply, not a probe; and a probe is a
connection with nothing in it: a probe-like record whose connection (same
addresses, ports and protocol) carried payload either way in another record
is the tail of an ordinary connection (AWS cuts a record at each
aggregation interval, so a connection's closing packets often have a
record of their own).
Probes of one (actor, target, protocol) are grouped into bursts separated by
pauses longer than max_gap; a burst reaching min_ports distinct destination
ports is a finding. TCP and UDP only. Severity: high when the actor is
internal (a compromised host scanning), medium when an external scan got
answers (accepted probes), low when it was entirely rejected.`,
		Thresholds: append([]Threshold{
			{Name: "min_ports", Kind: KindCount, Default: int64(20), Min: 2, Max: 65536, Doc: "distinct destination ports in one burst"},
			{Name: "max_gap", Kind: KindDuration, Default: int64(600), Min: 0, Doc: "a pause longer than this between probes ends a burst"},
		}, probeThresholds()...),
		run: runVerticalScan,
	},
	{
		Name: RulePortScanHorizontal, Title: "Horizontal port scan (sweep)", Technique: "T1046", Severity: SeverityMedium,
		Doc: `One actor probes one port on many targets. Probes (as for the vertical scan:
replies of service endpoints and the records of connections that carried
payload are not probes)
of one (actor, port, protocol) are grouped into bursts separated by pauses
longer than max_gap; a burst reaching min_hosts distinct targets is a
finding when distinct targets are at least min_unique_ratio of its distinct
(target, source port) attempts, and at most max_recurring_ratio of its
targets are probed by the actor again outside the burst. A sweep tries each
host once or twice and moves on; a client whose egress is blocked retries
the same servers all day, burst after burst. Severity as for the vertical
scan.`,
		Thresholds: append([]Threshold{
			{Name: "min_hosts", Kind: KindCount, Default: int64(20), Min: 2, Doc: "distinct targets on one port in one burst"},
			{Name: "max_gap", Kind: KindDuration, Default: int64(600), Min: 0, Doc: "a pause longer than this between probes ends a burst"},
			{Name: "min_unique_ratio", Kind: KindRatio, Default: 0.5, Min: 0, Max: 1, Doc: "distinct targets / distinct (target, source port) attempts, in the burst"},
			{Name: "max_recurring_ratio", Kind: KindRatio, Default: 0.5, Min: 0, Max: 1, Doc: "at most this share of the burst's targets probed again outside it"},
		}, probeThresholds()...),
		run: runHorizontalScan,
	},
	{
		Name: RuleBruteForce, Title: "Brute force against admin ports", Technique: "T1110.001", Severity: SeverityMedium,
		Doc: `Many short sessions from one actor to one target's admin port (SSH, RDP,
telnet, FTP, VNC, WinRM; database ports only from external actors). A
session is one TCP connection (actor, target, port, client port, split
where the connection is silent for more than 2 minutes); it is an attempt
when it was rejected, or lasted at most max_duration and the actor sent at
most max_bytes (counted on one network interface). Attempts are grouped into
bursts separated by pauses longer than max_gap; a burst of min_attempts is a
finding. Severity: high when the actor is internal, or when a session
longer than max_duration in which the actor sent more than max_bytes was
accepted during the burst or within max_gap after it (a likely successful
login); otherwise medium.`,
		Thresholds: []Threshold{
			{Name: "ports", Kind: KindPorts, Default: defaultAdminPorts, Doc: "admin ports, from any actor"},
			{Name: "external_ports", Kind: KindPorts, Default: defaultDBPorts, Doc: "ports counted only from external actors"},
			{Name: "min_attempts", Kind: KindCount, Default: int64(20), Min: 2, Doc: "short sessions in one burst"},
			{Name: "max_gap", Kind: KindDuration, Default: int64(600), Min: 0, Doc: "a pause longer than this between attempts ends a burst"},
			{Name: "max_duration", Kind: KindDuration, Default: int64(30), Min: 0, Doc: "a session at most this long is short"},
			{Name: "max_bytes", Kind: KindBytes, Default: int64(20000), Min: 0, Doc: "and the actor sent at most this many bytes in it"},
		},
		run: runBruteForce,
	},
	{
		Name: RuleExfiltration, Title: "Exfiltration volume", Technique: "T1048", Severity: SeverityHigh,
		Doc: `An internal host sends at least min_bytes to one external destination within
any window, and that is at least baseline_factor times the host's own
baseline: the median of its bytes to all external destinations per window
(aligned windows in which it sent anything, excluding the windows of the
transfer itself; no baseline counts as zero). Only bytes the host sends as
the client of a connection count (destination port below source port), so a
server answering someone who connected to it (a web download, an RDP
screen) is not exfiltration by this rule. Bytes are counted once, on the
host's own network interface (records whose addresses are the real
endpoints), or on the NAT gateway's inside leg when the host's interface is
not logged; a record's bytes count at its start. Consecutive qualifying
windows make one finding. Destinations that are AWS services (by the
records' pkt-dst-aws-service, or the ranges loaded with flowir enrich
aws-ranges; EC2 addresses excepted, anyone can rent one) count neither as
transfers nor in the baselines: a nightly backup to S3 is the account's own
storage, and it would inflate the baseline that a real upload elsewhere is
measured against. A transfer to which the destination replied more than
max_reply_ratio of the bytes (a video call, a VPN: two-way streams) is not
an upload. Each finding says what came back and how many internal hosts
contact the destination.`,
		Thresholds: []Threshold{
			{Name: "window", Kind: KindDuration, Default: int64(3600), Min: 1, Doc: "the sliding window"},
			{Name: "min_bytes", Kind: KindBytes, Default: int64(20_000_000), Min: 1, Doc: "bytes to one destination within the window"},
			{Name: "baseline_factor", Kind: KindRatio, Default: 10.0, Min: 0, Doc: "and at least this many times the host's median bytes per window"},
			{Name: "max_reply_ratio", Kind: KindRatio, Default: 0.25, Min: 0, Max: 1000, Doc: "the destination sent back at most this share of the bytes during the transfer"},
		},
		run: runExfiltration,
	},
	{
		Name: RuleNATEgress, Title: "NAT gateway egress alarm (the playbook's BytesOutToDestination)", Technique: "T1048", Severity: SeverityMedium,
		Doc: `The playbook's CloudWatch alarm as a rule: a NAT gateway sends at least
min_bytes (default 5,000,000) to one destination within window (default 15
minutes), counted on the NAT's outside leg (records from the NAT's own
address to the internet, which is what BytesOutToDestination measures; a
record's bytes count at its start). The finding's actor is the instance
behind the NAT that sent the most bytes to that destination: from the
NAT's inside-leg records with pkt-dstaddr, else from internal hosts' own
records to that destination at the time, else the NAT itself. NAT
addresses are found from packet-level fields (formats v3 and later), or
from a host's connection logged both on its own interface (to the
internet) and on the NAT's (same source port), or given with --nat; without
any of these the rule finds nothing.
Beyond the alarm: destinations that are AWS services (as for exfiltration;
S3 through a NAT gateway is the account's own storage) are left out; a
window whose destination sent back more than max_reply_ratio of the bytes
(a video call, a download's requests) is not an upload; nor is one that
holds less than min_share of all the NAT sent that destination in the case
(a log intake that receives a steady stream all day). The
hosts behind the NAT are looked for in the NAT's own account only.`,
		Thresholds: []Threshold{
			{Name: "window", Kind: KindDuration, Default: int64(900), Min: 1, Doc: "the sliding window (the alarm's 15-minute period)"},
			{Name: "min_bytes", Kind: KindBytes, Default: int64(5_000_000), Min: 1, Doc: "bytes out to one destination within the window (alarm: >= 5000000)"},
			{Name: "max_reply_ratio", Kind: KindRatio, Default: 0.25, Min: 0, Max: 1000, Doc: "the destination sent back at most this share of the bytes"},
			{Name: "min_share", Kind: KindRatio, Default: 0.5, Min: 0, Max: 1, Doc: "the episode holds at least this share of all the NAT sent the destination"},
		},
		run: runNATEgress,
	},
	{
		Name: RuleBeaconing, Title: "Beaconing", Technique: "T1071", Severity: SeverityMedium,
		Doc: `An internal host contacts one external address and port at regular
intervals. A contact is a request record that starts a connection (its
5-tuple was silent for more than contact_gap before); contacts within
merge_within seconds are one. With at least min_contacts contacts, the
interval is the median gap between contacts and the jitter the median
absolute deviation of the gaps divided by that median; an interval of at
least min_period with jitter at most max_jitter is a finding. With fewer
than full_contacts contacts the jitter allowed shrinks, as the square of
(contacts - 5) / (full_contacts - 5) (10 contacts: 4% of max_jitter, 20:
36%), because a short series looks regular by chance more easily. Random
(Poisson) traffic has a jitter near 0.7; a beacon with +-20% random sleep
about 0.1, reported from about 23 contacts; a nearly exact one from about
12. TCP and UDP; T1071.001 for web ports.
Periodic is not malicious by itself, so these are left out: destinations
that are AWS services (as for exfiltration: an agent polling its AWS
endpoint every 5 minutes; EC2 addresses excepted, anyone can rent one);
destination ports in service_ports (NTP polls at fixed intervals by
design); and a destination that more than max_hosts internal hosts contact
on the same schedule (median intervals within 10% of each other: an
update server, a SaaS heartbeat), which is a service the fleet uses, not
one host's implant (an implant on many hosts at once is then missed; the
finding's details say how many hosts contact its destination). Each
finding says how many internal hosts contact the destination.`,
		Thresholds: []Threshold{
			{Name: "min_contacts", Kind: KindCount, Default: int64(10), Min: 3, Doc: "contacts needed"},
			{Name: "min_period", Kind: KindDuration, Default: int64(10), Min: 1, Doc: "shortest median interval"},
			{Name: "max_jitter", Kind: KindRatio, Default: 0.2, Min: 0, Max: 1, Doc: "median absolute deviation of the intervals / median interval"},
			{Name: "full_contacts", Kind: KindCount, Default: int64(30), Min: 0, Doc: "contacts from which max_jitter applies in full (fewer: less, see above)"},
			{Name: "contact_gap", Kind: KindDuration, Default: int64(60), Min: 0, Doc: "a 5-tuple silent longer than this starts a new contact"},
			{Name: "merge_within", Kind: KindDuration, Default: int64(2), Min: 0, Doc: "contacts this close together count as one"},
			{Name: "service_ports", Kind: KindPorts, Default: []int{123}, Doc: "destination ports of protocols that poll by design (NTP)"},
			{Name: "max_hosts", Kind: KindCount, Default: int64(3), Min: 1, Doc: "more internal hosts contacting a destination on the same schedule make it a service"},
		},
		run: runBeaconing,
	},
	{
		Name: RuleIOCContact, Title: "Contact with an IOC", Technique: "T1071", Severity: SeverityHigh,
		Doc: `Traffic between a monitored host and an address of a loaded IOC list (flowir
ioc FILE), matched CIDR-correctly on the real endpoints. One finding per
(IOC address, host). As in every rule, src is the side that opened the
connections: the host, with dst the IOC address, when the host connected to
it (outbound); the IOC address, with dst the host, when it connected in
(inbound). When both happened, the host's connections decide; with no
request logged, the replies tell who opened. An IOC address that talked to
more than max_hosts hosts gets one finding, with the hosts' side (src or
dst) empty and the hosts listed in details. Severity: high when traffic was
accepted and the host initiated it, medium when accepted and the IOC
initiated it, low when everything was rejected.
Severity follows the entry's specificity: the addresses that only broad
entries match (a network shorter than broad_ipv4_bits, or broad_ipv6_bits
for IPv6: a hosting provider's /16 also holds unrelated services) are one
finding per entry, over all its addresses and hosts, one severity step
lower (high becomes medium, anything else low).
Severity follows the indicator's validity too (STIX valid_from,
valid_until, revoked, as flowir ioc stored them): a hit is always
reported, but one step lower when the indicator is revoked or when every
record is outside its window (ended before valid_from, or started at or
after valid_until); when only some are, the severity stands. The summary
says so, and details give ioc_valid_from, ioc_valid_until, ioc_revoked,
records_before_valid_from and records_after_valid_until. An address in
several entries takes the smallest window covering them all, revoked only
if every entry is.`,
		Thresholds: []Threshold{
			{Name: "max_hosts", Kind: KindCount, Default: int64(10), Min: 1, Doc: "hosts per IOC address reported one by one"},
			{Name: "broad_ipv4_bits", Kind: KindCount, Default: int64(24), Min: 0, Max: 32, Doc: "an IPv4 entry with a shorter prefix is broad"},
			{Name: "broad_ipv6_bits", Kind: KindCount, Default: int64(48), Min: 0, Max: 128, Doc: "an IPv6 entry with a shorter prefix is broad"},
		},
		run: runIOCContact,
	},
	{
		Name: RuleExposedPort, Title: "Admin or database port reachable from the internet", Technique: "T1133", Severity: SeverityMedium,
		Doc: `Accepted connections from external actors to internal hosts on an admin or
database port that the hosts answered: the security groups and network
ACLs let the internet reach a listening service. Answered means the host's
reply (the same connection, reversed, accepted) is logged and, when the
format has TCP flags, carries a SYN-ACK; an internet scanner's SYN,
accepted but never answered, and a reset from a closed port are not
enough. One finding per account and port (the account of the interface
that logged the connections), over the hosts that answered: an SSH server
on the internet meets hundreds of actors a day, and one finding per actor
would bury the database port that is open. The actors are counted and the
top_actors with the most connections listed; src is the actor when there is
only one, dst the host when there is only one. Severity: high for database
ports (T1190), medium for admin ports (T1133).`,
		Thresholds: []Threshold{
			{Name: "admin_ports", Kind: KindPorts, Default: defaultExposedAdmin, Doc: "remote administration ports"},
			{Name: "database_ports", Kind: KindPorts, Default: defaultExposedDB, Doc: "database and data-store ports"},
			{Name: "top_actors", Kind: KindCount, Default: int64(5), Min: 0, Max: 1000, Doc: "actors listed by name in a finding, most connections first"},
		},
		run: runExposedPort,
	},
}

// probeCond: a record that is a connection attempt with nothing in it:
// rejected, or a few small packets. When the format records TCP flags, an
// accepted TCP probe must also show a SYN and no FIN: a scanner's SYN (2),
// or SYN then RST after the target's SYN-ACK (6); the tail of an ordinary
// connection (FIN, or ACKs only) is not a probe.
func probeCond(d *detector, rule string) string {
	return fmt.Sprintf("(action = 'REJECT' OR (packets <= %d AND bytes <= %d * packets AND (protocol <> 6 OR tcp_flags IS NULL OR (tcp_flags & 3) = 2)))",
		d.cfg.int(rule, "probe_max_packets"), d.cfg.int(rule, "probe_max_bytes_per_packet"))
}

// scanSeverity: internal actors are compromised hosts; external scans that
// got answers matter more than ones the security groups dropped.
func scanSeverity(dir string, accepted int64) string {
	switch {
	case dir == DirOutbound || dir == DirInternal:
		return SeverityHigh
	case accepted > 0:
		return SeverityMedium
	}
	return SeverityLow
}

func runVerticalScan(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RulePortScanVertical
	minPorts, gap := d.cfg.int(r, "min_ports"), d.cfg.int(r, "max_gap")
	probe := probeCond(d, r)
	if err := d.loadServices(ctx); err != nil {
		return nil, err
	}
	q := fmt.Sprintf(`WITH p0 AS (
  SELECT a, t, protocol, srcport, dstport, start, "end", action, bytes FROM (%s) b %s
  WHERE protocol IN (6, 17) AND NOT %s AND %s
), %s, k AS (
  SELECT a, t, protocol FROM p GROUP BY ALL HAVING count(DISTINCT dstport) >= %d
), l AS (
  SELECT p.*, lag(start) OVER (PARTITION BY a, t, protocol ORDER BY start) AS prev FROM p SEMI JOIN k USING (a, t, protocol)
), e AS (
  SELECT *, sum(CASE WHEN start - prev > %d THEN 1 ELSE 0 END) OVER (PARTITION BY a, t, protocol ORDER BY start ROWS UNBOUNDED PRECEDING) AS ep FROM l
)
SELECT a, t, protocol, min(start), max(start), max("end"), count(*), sum(bytes), count(DISTINCT dstport),
  count(*) FILTER (WHERE action = 'ACCEPT'), list(DISTINCT dstport) FILTER (WHERE action = 'ACCEPT')
FROM e GROUP BY a, t, protocol, ep HAVING count(DISTINCT dstport) >= %d ORDER BY 1, 2, 3, 4`,
		d.baseSelect(), notServiceReply("b"), condReply, probe, d.probeConnSQL(r), minPorts, gap, minPorts)
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, row := range rows {
		a, t, proto := asString(row[0]), asString(row[1]), int(asInt(row[2]))
		s0, s1, e1 := asInt(row[3]), asInt(row[4]), asInt(row[5])
		n, b, ports, acc := asInt(row[6]), asBig(row[7]), asInt(row[8]), asInt(row[9])
		open := asInts(row[10])
		dir := d.direction(a, t)
		sum := fmt.Sprintf("%s probed %d %s ports of %s in %s (%d of %d probe records rejected",
			a, ports, strings.ToUpper(protoName(proto)), t, dur(s1-s0), n-acc, n)
		if len(open) > 0 {
			sum += "; answered on " + portsText(open, 10)
		}
		sum += ")"
		out = append(out, Finding{
			Rule: r, Severity: scanSeverity(dir, acc), Technique: "T1046", Src: a, Dst: t, Protocol: proto, Direction: dir,
			FirstSeen: unix(s0), LastSeen: unix(e1), Records: n, Bytes: b, Summary: sum,
			EvidenceSQL: d.evidence(addrEq(exprActor, a), addrEq(exprTarget, t), fmt.Sprintf("protocol = %d", proto),
				"NOT "+condReply, d.serviceReplyEvidence(a, proto), probe, d.probeConnEvidence(r), fmt.Sprintf("start BETWEEN %d AND %d", s0, s1)),
			Details: map[string]any{"distinct_ports": ports, "accepted_probes": acc, "answered_ports": open},
		})
	}
	return out, nil
}

func runHorizontalScan(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RulePortScanHorizontal
	minHosts, gap, ratio := d.cfg.int(r, "min_hosts"), d.cfg.int(r, "max_gap"), d.cfg.float(r, "min_unique_ratio")
	maxRecurring := d.cfg.float(r, "max_recurring_ratio")
	probe := probeCond(d, r)
	if err := d.loadServices(ctx); err != nil {
		return nil, err
	}
	q := fmt.Sprintf(`WITH p0 AS (
  SELECT a, t, protocol, dstport, srcport, start, "end", action, bytes FROM (%s) b %s
  WHERE protocol IN (6, 17) AND NOT %s AND %s
), %s, k AS (
  SELECT a, dstport, protocol FROM p GROUP BY ALL HAVING count(DISTINCT t) >= %d
), l AS (
  SELECT p.*, lag(start) OVER (PARTITION BY a, dstport, protocol ORDER BY start) AS prev FROM p SEMI JOIN k USING (a, dstport, protocol)
), e AS (
  SELECT *, sum(CASE WHEN start - prev > %d THEN 1 ELSE 0 END) OVER (PARTITION BY a, dstport, protocol ORDER BY start ROWS UNBOUNDED PRECEDING) AS ep FROM l
), te AS (
  SELECT a, dstport, protocol, t, count(DISTINCT ep) AS neps FROM e GROUP BY ALL
)
SELECT a, dstport, protocol, min(start), max(start), max("end"), count(*), sum(bytes), count(DISTINCT t),
  count(DISTINCT t || '|' || CAST(srcport AS VARCHAR)), count(*) FILTER (WHERE action = 'ACCEPT'),
  list(DISTINCT t ORDER BY t), count(DISTINCT t) FILTER (WHERE te.neps > 1)
FROM e JOIN te USING (a, dstport, protocol, t)
GROUP BY a, dstport, protocol, ep HAVING count(DISTINCT t) >= %d ORDER BY 1, 2, 3, 4`,
		d.baseSelect(), notServiceReply("b"), condReply, probe, d.probeConnSQL(r), minHosts, gap, minHosts)
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, row := range rows {
		a, port, proto := asString(row[0]), int(asInt(row[1])), int(asInt(row[2]))
		s0, s1, e1 := asInt(row[3]), asInt(row[4]), asInt(row[5])
		n, b, hosts, attempts, acc := asInt(row[6]), asBig(row[7]), asInt(row[8]), asInt(row[9]), asInt(row[10])
		targets := asStrings(row[11])
		recurring := asInt(row[12])
		if attempts > 0 && float64(hosts)/float64(attempts) < ratio {
			continue
		}
		if hosts > 0 && float64(recurring)/float64(hosts) > maxRecurring {
			continue
		}
		// Direction: by the actor, and by where the targets are.
		internalTargets := 0
		for _, t := range targets {
			if d.internal[t] {
				internalTargets++
			}
		}
		dir := DirExternal
		switch ai := d.internal[a]; {
		case ai && internalTargets > 0:
			dir = DirInternal
		case ai:
			dir = DirOutbound
		case internalTargets > 0:
			dir = DirInbound
		}
		out = append(out, Finding{
			Rule: r, Severity: scanSeverity(dir, acc), Technique: "T1046", Src: a, DstPort: intPtr(port), Protocol: proto, Direction: dir,
			FirstSeen: unix(s0), LastSeen: unix(e1), Records: n, Bytes: b,
			Summary: fmt.Sprintf("%s probed %s port %d on %d hosts in %s (%d of %d probe records rejected)",
				a, strings.ToUpper(protoName(proto)), port, hosts, dur(s1-s0), n-acc, n),
			EvidenceSQL: d.evidence(addrEq(exprActor, a), fmt.Sprintf("dstport = %d", port), fmt.Sprintf("protocol = %d", proto),
				"NOT "+condReply, d.serviceReplyEvidence(a, proto), probe, d.probeConnEvidence(r), fmt.Sprintf("start BETWEEN %d AND %d", s0, s1)),
			Details: map[string]any{"distinct_hosts": hosts, "attempts": attempts, "accepted_probes": acc, "recurring_hosts": recurring, "targets": targets},
		})
	}
	return out, nil
}

func runBruteForce(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RuleBruteForce
	ports, extPorts := d.cfg.ports(r, "ports"), d.cfg.ports(r, "external_ports")
	minAtt, gap := d.cfg.int(r, "min_attempts"), d.cfg.int(r, "max_gap")
	maxDur, maxBytes := d.cfg.int(r, "max_duration"), d.cfg.int(r, "max_bytes")
	if len(ports) == 0 && len(extPorts) == 0 {
		return nil, nil
	}
	portCond := "false"
	if len(ports) > 0 {
		portCond = fmt.Sprintf("dstport IN (%s)", sqltext.Ints(ports))
	}
	if len(extPorts) > 0 {
		portCond = fmt.Sprintf("(%s OR (dstport IN (%s) AND NOT %s))", portCond, sqltext.Ints(extPorts), inInternal("a"))
	}
	short := fmt.Sprintf("(rej OR (e - s <= %d AND b <= %d))", maxDur, maxBytes)
	q := fmt.Sprintf(`WITH r AS (
  SELECT a, t, dstport, srcport, start, "end", bytes, action, interface_id FROM (%[1]s) b
  WHERE protocol = 6 AND NOT %[2]s AND %[3]s
), c0 AS (
  SELECT r.*, max("end") OVER (PARTITION BY a, t, dstport, srcport ORDER BY start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pend FROM r
), c1 AS (
  SELECT *, sum(CASE WHEN pend IS NULL OR start - pend > 120 THEN 1 ELSE 0 END) OVER (PARTITION BY a, t, dstport, srcport ORDER BY start ROWS UNBOUNDED PRECEDING) AS cn FROM c0
), ci AS (
  SELECT a, t, dstport, srcport, cn, interface_id, min(start) AS s, max("end") AS e, sum(bytes) AS b, bool_and(action = 'REJECT') AS rej FROM c1 GROUP BY ALL
), conn AS (
  SELECT a, t, dstport, srcport, cn, min(s) AS s, max(e) AS e, max(b) AS b, bool_and(rej) AS rej FROM ci GROUP BY ALL
), att AS (
  SELECT * FROM conn WHERE %[4]s
), k AS (
  SELECT a, t, dstport FROM att GROUP BY ALL HAVING count(*) >= %[5]d
), l AS (
  SELECT att.*, lag(s) OVER (PARTITION BY a, t, dstport ORDER BY s) AS prev FROM att SEMI JOIN k USING (a, t, dstport)
), ep AS (
  SELECT *, sum(CASE WHEN s - prev > %[6]d THEN 1 ELSE 0 END) OVER (PARTITION BY a, t, dstport ORDER BY s ROWS UNBOUNDED PRECEDING) AS n FROM l
), bursts AS (
  SELECT a, t, dstport, n, min(s) AS s0, max(s) AS s1, max(e) AS e1, count(*) AS attempts, count(*) FILTER (WHERE rej) AS rejected,
    median(e - s) AS med
  FROM ep GROUP BY ALL HAVING count(*) >= %[5]d
), succ AS (
  SELECT bu.a, bu.t, bu.dstport, bu.n, min(c.s) AS ss, arg_min(c.e - c.s, c.s) AS sd, arg_min(c.b, c.s) AS sb, arg_min(c.srcport, c.s) AS sp
  FROM bursts bu JOIN conn c ON c.a = bu.a AND c.t = bu.t AND c.dstport = bu.dstport AND c.s BETWEEN bu.s0 AND bu.s1 + %[6]d
  WHERE NOT c.rej AND c.e - c.s > %[7]d AND c.b > %[8]d
  GROUP BY ALL
), ev AS (
  SELECT bu.a, bu.t, bu.dstport, bu.n, count(*) AS recs, sum(r.bytes) AS bytes
  FROM bursts bu JOIN r ON r.a = bu.a AND r.t = bu.t AND r.dstport = bu.dstport AND r.start BETWEEN bu.s0 AND bu.s1
  GROUP BY ALL
)
SELECT bu.a, bu.t, bu.dstport, bu.s0, bu.s1, bu.e1, bu.attempts, bu.rejected, bu.med, succ.ss, succ.sd, succ.sb, succ.sp, ev.recs, ev.bytes
FROM bursts bu LEFT JOIN succ USING (a, t, dstport, n) JOIN ev USING (a, t, dstport, n)
ORDER BY 1, 2, 3, 4`,
		d.baseSelect(), condReply, portCond, short, minAtt, gap, maxDur, maxBytes)
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, row := range rows {
		a, t, port := asString(row[0]), asString(row[1]), int(asInt(row[2]))
		s0, s1, e1 := asInt(row[3]), asInt(row[4]), asInt(row[5])
		attempts, rejected, med := asInt(row[6]), asInt(row[7]), asFloat(row[8])
		dir := d.direction(a, t)
		sev := SeverityMedium
		if dir == DirOutbound || dir == DirInternal {
			sev = SeverityHigh
		}
		det := map[string]any{"attempts": attempts, "rejected_attempts": rejected, "median_attempt_seconds": med}
		sum := fmt.Sprintf("%s made %d short sessions to %s port %d in %s (%d rejected, median length %.0f s)",
			a, attempts, t, port, dur(s1-s0), rejected, med)
		if row[9] != nil {
			ss, sd, sb, sp := asInt(row[9]), asInt(row[10]), asBig(row[11]), asInt(row[12])
			sev = SeverityHigh
			sum += fmt.Sprintf("; then a %s accepted session from port %d at %s (%s sent): a likely successful login",
				dur(sd), sp, unix(ss).Format("2006-01-02T15:04:05Z"), humanBytes(bigFloat(sb)))
			det["followed_by_session"] = map[string]any{"start": unix(ss), "seconds": sd, "bytes": sb, "client_port": sp}
		}
		out = append(out, Finding{
			Rule: r, Severity: sev, Technique: "T1110.001", Src: a, Dst: t, DstPort: intPtr(port), Protocol: 6, Direction: dir,
			FirstSeen: unix(s0), LastSeen: unix(e1), Records: asInt(row[13]), Bytes: asBig(row[14]), Summary: sum,
			EvidenceSQL: d.evidence(addrEq(exprActor, a), addrEq(exprTarget, t), fmt.Sprintf("dstport = %d", port), "protocol = 6",
				"NOT "+condReply, fmt.Sprintf("start BETWEEN %d AND %d", s0, s1)),
			Details: det,
		})
	}
	return out, nil
}

func runExposedPort(ctx context.Context, d *detector) ([]Finding, error) {
	const r = RuleExposedPort
	admin, db := d.cfg.ports(r, "admin_ports"), d.cfg.ports(r, "database_ports")
	all := slices.Concat(admin, db)
	if len(all) == 0 {
		return nil, nil
	}
	topN := int(d.cfg.int(r, "top_actors"))
	// c: accepted connections from external actors to those ports; a
	// target answered if its reply (the same connection, reversed) is
	// logged and, when the format has TCP flags, carries a SYN-ACK: a
	// reset from a closed port behind an open security group is not a
	// listening service. Internet scanners' SYNs, accepted by a security
	// group but never answered by the host, do not make a port
	// "reachable".
	q := fmt.Sprintf(`WITH c AS (
  SELECT a, t, dstport, srcport, min(account_id) AS acct, count(*) AS n, sum(bytes) AS b, min(start) AS s, max("end") AS e
  FROM (%[1]s) b
  WHERE protocol = 6 AND action = 'ACCEPT' AND dstport IN (%[2]s) AND NOT %[3]s AND NOT %[4]s AND %[5]s
  GROUP BY ALL
), rp AS (
  SELECT DISTINCT a, t, srcport, dstport FROM (%[1]s) b
  WHERE protocol = 6 AND action = 'ACCEPT' AND srcport IN (%[2]s) AND %[6]s AND NOT %[7]s
    AND (tcp_flags IS NULL OR (tcp_flags & 18) = 18)
), ans AS (
  SELECT c.* FROM c SEMI JOIN rp ON rp.a = c.t AND rp.t = c.a AND rp.srcport = c.dstport AND rp.dstport = c.srcport
), per AS (
  SELECT coalesce(acct, '') AS acct, dstport, a, count(*) AS conns, sum(n) AS n, sum(b) AS b, min(s) AS s, max(e) AS e FROM ans GROUP BY ALL
), tg AS (
  SELECT coalesce(acct, '') AS acct, dstport, list(DISTINCT t ORDER BY t) AS targets FROM ans GROUP BY ALL
)
SELECT acct, dstport, any_value(tg.targets), sum(n)::BIGINT, sum(b), min(s), max(e), sum(conns)::BIGINT, count(*),
  list(a ORDER BY conns DESC, a), list(conns ORDER BY conns DESC, a)
FROM per JOIN tg USING (acct, dstport)
GROUP BY acct, dstport ORDER BY 1, 2`, d.baseSelect(), sqltext.Ints(all), condReply, inInternal("a"), inInternal("t"), inInternal("a"), inInternal("t"))
	rows, err := d.eng.QueryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, row := range rows {
		acct, port := asString(row[0]), int(asInt(row[1]))
		targets := asStrings(row[2])
		n, b, s0, e1, conns, actors := asInt(row[3]), asBig(row[4]), asInt(row[5]), asInt(row[6]), asInt(row[7]), asInt(row[8])
		actorList, actorConns := asStrings(row[9]), asInts(row[10])
		top, topConns := actorList[:min(topN, len(actorList))], actorConns[:min(topN, len(actorConns))]
		sev, tech, what := SeverityMedium, "T1133", "admin"
		if slices.Contains(db, port) && !slices.Contains(admin, port) {
			sev, tech, what = SeverityHigh, "T1190", "database"
		}
		dst, where := "", fmt.Sprintf("%d hosts", len(targets))
		if len(targets) == 1 {
			dst, where = targets[0], targets[0]
		}
		if acct != "" {
			where += " of account " + acct
		}
		src, who := "", fmt.Sprintf("%d internet addresses", actors)
		if actors == 1 {
			src, who = actorList[0], "the internet address "+actorList[0]
		}
		var tops []string
		for i, a := range top {
			tops = append(tops, fmt.Sprintf("%s (%d)", a, topConns[i]))
		}
		sum := fmt.Sprintf("%s port %d/tcp on %s answered %d connections from %s", what, port, where, conns, who)
		if actors > 1 && len(tops) > 0 {
			sum += "; most connections from " + strings.Join(tops, ", ")
		}
		det := map[string]any{"targets": targets, "connections": conns, "actor_count": actors, "top_actors": top, "top_actor_connections": topConns}
		if acct != "" {
			det["account"] = acct
		}
		ev := []string{exprActor + " IN (" + sqltext.Strings(actorList) + ")", fmt.Sprintf("dstport = %d", port), "protocol = 6", "action = 'ACCEPT'",
			"NOT " + condReply, exprTarget + " IN (" + sqltext.Strings(targets) + ")"}
		if src != "" {
			ev[0] = addrEq(exprActor, src)
		}
		out = append(out, Finding{
			Rule: r, Severity: sev, Technique: tech, Src: src, Dst: dst, DstPort: intPtr(port), Protocol: 6, Direction: DirInbound,
			FirstSeen: unix(s0), LastSeen: unix(e1), Records: n, Bytes: b, Summary: sum,
			EvidenceSQL: d.evidence(ev...), Details: det,
		})
	}
	return out, nil
}
