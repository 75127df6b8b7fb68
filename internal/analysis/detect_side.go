package analysis

import (
	"context"
	"fmt"
	"slices"

	"github.com/flowir/flowir/internal/sqltext"
)

// Who is the client: evidence across the case.
//
// A record alone does not always say which side opened the connection.
// Without TCP flags (AWS's default format) a reply is told from a request by
// ports: from a port below 1024 to one at or above it (condReply). That
// misses servers on registered ports (RDP 3389, a monitoring agent on 10050,
// a database on 5432): their replies go from one high port to another and
// look like requests, so a monitoring system's checks read as a "vertical
// scan" by every server it polls. And a record may hold only a connection's
// closing packets (AWS cuts records at each aggregation interval: a
// connection that spans two intervals has a record in each), which looks
// like a probe although the connection before it carried data.
//
// So two facts are taken from the whole case (within the run's time
// window), not from the record:
//
//   - Service endpoints: an address and port (per protocol) that accepted
//     connections from at least serviceMinClients distinct client
//     endpoints (address, port), each connecting from a higher port, is a
//     server there. A record sent from a service endpoint to a higher port
//     is a reply. A client's ephemeral port is used for one connection, so
//     it never gathers that many clients; a scanner's fixed source port
//     could, from the targets' replies, but only from ports above it.
//   - Probe connections: a probe is a connection (actor, target, ports,
//     protocol) with nothing in it. A probe-like record (see probeCond)
//     whose connection carried payload in either direction in another
//     record (accepted, more than probe_max_packets packets or more than
//     probe_max_bytes_per_packet bytes per packet) is the start or the tail
//     of an ordinary connection, not a probe.

// serviceMinClients is how many distinct client endpoints make an address
// and port a service endpoint.
const serviceMinClients = 10

// tmpService holds the service endpoints (addr, port, proto).
const tmpService = "ir_service"

// loadServices finds the service endpoints once per run: table ir_service
// and d.services (address -> protocol -> ports, sorted).
func (d *detector) loadServices(ctx context.Context) error {
	if d.services != nil {
		return nil
	}
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS
SELECT t AS addr, dstport AS port, protocol AS proto FROM (%s) b
WHERE protocol IN (6, 17) AND action = 'ACCEPT' AND srcport > dstport
GROUP BY ALL HAVING count(DISTINCT (a, srcport)) >= %d`, tmpService, d.baseSelect(), serviceMinClients)
	if err := d.eng.Exec(ctx, q); err != nil {
		return fmt.Errorf("find the case's service endpoints: %w", err)
	}
	rows, err := d.eng.QueryRows(ctx, `SELECT addr, proto, port FROM `+tmpService+` ORDER BY 1, 2, 3`)
	if err != nil {
		return err
	}
	d.services = map[string]map[int][]int{}
	for _, r := range rows {
		a, proto, port := asString(r[0]), int(asInt(r[1])), int(asInt(r[2]))
		if d.services[a] == nil {
			d.services[a] = map[int][]int{}
		}
		d.services[a][proto] = append(d.services[a][proto], port)
	}
	return nil
}

// notServiceReply is the join that drops the replies of service endpoints
// from relation alias b (columns a, srcport, dstport, protocol).
func notServiceReply(b string) string {
	return fmt.Sprintf("ANTI JOIN %[1]s ON %[1]s.addr = %[2]s.a AND %[1]s.port = %[2]s.srcport AND %[1]s.proto = %[2]s.protocol AND %[2]s.srcport < %[2]s.dstport", tmpService, b)
}

// serviceReplyEvidence is the evidence condition that drops the replies of
// actor's service endpoints: the same test as notServiceReply, with the
// actor's ports written out so that the evidence query stands alone.
func (d *detector) serviceReplyEvidence(actor string, proto int) string {
	ports := d.services[actor][proto]
	if len(ports) == 0 {
		return "true"
	}
	return fmt.Sprintf("NOT (srcport < dstport AND srcport IN (%s))", sqltext.Ints(slices.Clip(ports)))
}

// payloadCond: an accepted record that carried payload (more than a probe).
func payloadCond(d *detector, rule, alias string) string {
	return fmt.Sprintf("(%[1]saction = 'ACCEPT' AND (%[1]spackets > %[2]d OR %[1]sbytes > %[3]d * %[1]spackets))",
		alias, d.cfg.int(rule, "probe_max_packets"), d.cfg.int(rule, "probe_max_bytes_per_packet"))
}

// probeConnSQL keeps of the probe records p0 (a CTE with columns a, t,
// srcport, dstport, protocol) those whose connection carried no payload in
// another record, either way: a CTE named p.
func (d *detector) probeConnSQL(rule string) string {
	pay := payloadCond(d, rule, "")
	return fmt.Sprintf(`x AS (
  SELECT b.a, b.t, b.srcport, b.dstport, b.protocol FROM (%[1]s) b SEMI JOIN p0 USING (a, t, srcport, dstport, protocol) WHERE %[2]s
  UNION ALL
  SELECT b.t, b.a, b.dstport, b.srcport, b.protocol FROM (%[1]s) b
  SEMI JOIN p0 ON p0.a = b.t AND p0.t = b.a AND p0.srcport = b.dstport AND p0.dstport = b.srcport AND p0.protocol = b.protocol WHERE %[2]s
), p AS (
  SELECT * FROM p0 ANTI JOIN x USING (a, t, srcport, dstport, protocol)
)`, d.baseSelect(), pay)
}

// probeConnEvidence is probeConnSQL as an evidence condition on table flows.
func (d *detector) probeConnEvidence(rule string) string {
	return fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM flows g WHERE %[1]s AND g.protocol = flows.protocol AND %[2]s AND (
    (coalesce(g.pkt_srcaddr, g.srcaddr) = coalesce(flows.pkt_srcaddr, flows.srcaddr) AND coalesce(g.pkt_dstaddr, g.dstaddr) = coalesce(flows.pkt_dstaddr, flows.dstaddr)
      AND g.srcport = flows.srcport AND g.dstport = flows.dstport)
    OR (coalesce(g.pkt_srcaddr, g.srcaddr) = coalesce(flows.pkt_dstaddr, flows.dstaddr) AND coalesce(g.pkt_dstaddr, g.dstaddr) = coalesce(flows.pkt_srcaddr, flows.srcaddr)
      AND g.srcport = flows.dstport AND g.dstport = flows.srcport)))`, d.baseWhereOn("g."), payloadCond(d, rule, "g."))
}
