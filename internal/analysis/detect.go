package analysis

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
)

// Detections.
//
// A detection aggregates many flow records into one finding: a port scan is
// hundreds of single-packet records, a brute force hundreds of short
// sessions, a beacon a regular rhythm over hours. Each rule is defined here
// (thresholds, severity, MITRE ATT&CK technique, the SQL that aggregates and
// the Go that decides) and runs through an Engine, which the case store
// implements; nothing in this package talks to a database directly.
//
// How records are read, for every rule:
//
//   - Only log-status OK records with both addresses are read; NODATA and
//     SKIPDATA records carry no traffic.
//   - The real endpoints are the packet-level addresses when the format has
//     them: actor = coalesce(pkt_srcaddr, srcaddr), target =
//     coalesce(pkt_dstaddr, dstaddr). On a NAT gateway's network interface
//     srcaddr/dstaddr show the NAT's private address and pkt-srcaddr/
//     pkt-dstaddr the real hosts (flowlogs reference 6.3), so this attributes
//     traffic through the NAT to the instance behind it.
//   - Records whose real source or destination is a NAT address are skipped:
//     they are the NAT's outside leg (NAT -> internet host and back), and the
//     same traffic is logged with the real addresses on the NAT's inside leg
//     and on the instance's own interface. NAT addresses are the internal
//     addresses that receive records whose pkt-dstaddr is external, or,
//     without packet-level fields, whose incoming connections are logged
//     again from the same host and source port to the internet (natPortSQL),
//     plus --nat.
//   - One connection is logged once per network interface it crosses and
//     per aggregation interval: twice for traffic between two logged
//     interfaces, and on both the instance's and the NAT's interface for NAT
//     traffic. Rules therefore count connections (distinct client ports), not
//     records; volumes count one observation point (see each rule); and a
//     finding's records and bytes are exactly those of its evidence records,
//     which its evidence_sql returns.
//   - Reply records are told from requests by TCP flags when the format has
//     them (SYN-ACK set) and otherwise by ports (from a port below 1024 to a
//     port at or above 1024), so a server answering many clients is not a
//     scanner.

// Engine runs SQL for the analyses. The case store's Session implements it;
// tests may use any implementation.
type Engine interface {
	// QueryRows runs one statement with bound arguments and returns every
	// row, values as the DuckDB driver scans them.
	QueryRows(ctx context.Context, query string, args ...any) ([][]any, error)
	// LoadAddressTable (re)creates the temporary table `name` (addr VARCHAR,
	// tag VARCHAR) with the given rows, for joins with the flows.
	LoadAddressTable(ctx context.Context, name string, addrs, tags []string) error
	// Exec runs a statement that returns no rows (the analyses use it only
	// to create temporary tables).
	Exec(ctx context.Context, query string, args ...any) error
}

// Severities.
const (
	SeverityLow    = "low"
	SeverityMedium = "medium"
	SeverityHigh   = "high"
)

// Directions of a finding: the direction of its connections (from the
// actor, their client, to the target, their server), seen from the
// monitored network's side.
const (
	DirInbound  = "inbound"  // external actor, internal target
	DirOutbound = "outbound" // internal actor, external target
	DirInternal = "internal" // both internal (lateral)
	DirExternal = "external" // neither side internal
)

// Convention is how every rule names the two sides of a finding; detect
// --help and the README print it. A rule must follow it: TestRuleConvention
// (internal/cli) checks every rule on hand-built records.
const Convention = `src is the actor, the side that opened the finding's connections (their
client: the scanner, the brute-forcing client, the host sending data out or
beaconing, whichever of a monitored host and an IOC address connected to the
other); dst is the target, the side the connections were opened to (their
server), and dst_port its port. So src -> dst:dst_port is the direction of
the connections, and direction says how they cross the monitored network:
inbound (from an external actor to an internal target), outbound (internal
to external), internal, or external. An empty src or dst means many
addresses, listed in details (targets, hosts). The same holds in the AWS
Security Finding Format: Network.SourceIpV4/V6 is the actor, SourcePort its
port when the evidence shows one, DestinationIpV4/V6 and DestinationPort the
target, and Direction IN (inbound) or OUT (outbound).`

// Finding is one detection result. Src, Dst, DstPort and Direction follow
// Convention.
type Finding struct {
	Rule      string
	Severity  string
	Technique string // MITRE ATT&CK technique ID
	Src       string // the actor: the client of the connections; "" when there are many
	Dst       string // the target: their server; "" when there are many
	DstPort   *int   // the target's port; nil when there are many or none
	Protocol  int
	Direction string // of the connections, from the monitored network: DirInbound, ...
	FirstSeen time.Time
	LastSeen  time.Time
	Records   int64    // evidence records
	Bytes     *big.Int // bytes of the evidence records: exact past int64 (sum.go)
	Summary   string
	// EvidenceSQL returns exactly the evidence records from table flows. It
	// is self-contained (no parameters, no temporary tables) so that it can
	// be pasted into `flowir sql` or a report.
	EvidenceSQL string
	// Details holds the rule's own measurements (counts, lists, baselines).
	Details map[string]any
}

// RuleInfo describes one detection rule.
type RuleInfo struct {
	Name       string
	Title      string
	Technique  string
	Severity   string // the usual severity; each finding says its own
	Doc        string
	Thresholds []Threshold
	run        func(ctx context.Context, d *detector) ([]Finding, error)
}

// Rules returns the detection catalog in the order rules run.
func Rules() []*RuleInfo { return ruleCatalog }

// FindRule looks a rule up by name.
func FindRule(name string) (*RuleInfo, error) {
	for _, r := range ruleCatalog {
		if r.Name == name {
			return r, nil
		}
	}
	var names []string
	for _, r := range ruleCatalog {
		names = append(names, r.Name)
	}
	return nil, fmt.Errorf("unknown detection rule %q (rules: %s)", name, strings.Join(names, ", "))
}

// DetectResult is the outcome of a detection run.
type DetectResult struct {
	Findings []Finding
	Rules    []string // the rules that ran
	// What the run used, for the record.
	Internal           []NetRange
	InferredInterfaces int      // interface addresses added to the internal set
	NAT                []string // NAT addresses skipped as actors and targets
	IOCEntries         int
	Timings            map[string]time.Duration
}

// detector carries what the rules share during one run.
type detector struct {
	eng      Engine
	cfg      *DetectConfig
	class    *NetClass
	addrs    []string        // every address of the case
	internal map[string]bool // internal addresses among the case's addresses
	nat      []string
	iocs     int
	// awsService: addresses of AWS services (S3, DynamoDB, CloudFront, ...)
	// with their service, from the records' pkt-*-aws-service and the
	// case's enrichment (flowir enrich aws-ranges); EC2 addresses are not
	// in it: anyone can rent one. Loaded as table ir_aws.
	awsService map[string]string
	// services: the service endpoints (address -> protocol -> ports), see
	// loadServices; nil until a rule needs them.
	services map[string]map[int][]int
}

// Temporary tables a run creates on the Engine.
const (
	tmpInternal = "ir_internal"  // every internal address of the case
	tmpIOC      = "ir_ioc"       // every IOC-matching address, tag = entries
	tmpIOCValid = "ir_ioc_valid" // the validity window of IOC addresses that have one
	tmpAWS      = "ir_aws"       // AWS service addresses (not EC2), tag = service
)

// awsServiceSQL lists the AWS service of addresses, from the records'
// pkt-src-aws-service and pkt-dst-aws-service (formats v5) and, when the
// case has been enriched, from address_enrichment (the published ranges).
const awsServiceSQL = `SELECT a, max(s) FROM (
  SELECT coalesce(pkt_dstaddr, dstaddr) AS a, pkt_dst_aws_service AS s FROM flows WHERE pkt_dst_aws_service IS NOT NULL
  UNION ALL
  SELECT coalesce(pkt_srcaddr, srcaddr), pkt_src_aws_service FROM flows WHERE pkt_src_aws_service IS NOT NULL%s
) WHERE a IS NOT NULL AND s NOT IN ('-', 'EC2') GROUP BY a`

// loadAWSServices fills d.awsService and table ir_aws. An address the
// records or the ranges call EC2 stays out: an instance anyone rents is not
// the AWS service itself.
func (d *detector) loadAWSServices(ctx context.Context) error {
	rows, err := d.eng.QueryRows(ctx, `SELECT count(*) FROM duckdb_views() WHERE view_name = 'address_enrichment'`)
	if err != nil {
		return err
	}
	extra := ""
	if len(rows) == 1 && asInt(rows[0][0]) > 0 {
		extra = "\n  UNION ALL\n  SELECT address, aws_service FROM address_enrichment WHERE aws_service IS NOT NULL"
	}
	rows, err = d.eng.QueryRows(ctx, fmt.Sprintf(awsServiceSQL, extra))
	if err != nil {
		return fmt.Errorf("read the AWS services of the case's addresses: %w", err)
	}
	d.awsService = map[string]string{}
	ec2 := map[string]bool{}
	if extra != "" {
		er, err := d.eng.QueryRows(ctx, `SELECT address FROM address_enrichment WHERE aws_service = 'EC2'`)
		if err != nil {
			return err
		}
		for _, r := range er {
			ec2[asString(r[0])] = true
		}
	}
	var addrs, tags []string
	for _, r := range rows {
		a, svc := asString(r[0]), asString(r[1])
		if ec2[a] {
			continue
		}
		d.awsService[a] = svc
		addrs, tags = append(addrs, a), append(tags, svc)
	}
	return d.eng.LoadAddressTable(ctx, tmpAWS, addrs, tags)
}

// DistinctAddressesSQL lists every address of the flows table, in any of the
// four address columns.
const DistinctAddressesSQL = `SELECT a FROM (SELECT srcaddr AS a FROM flows UNION SELECT dstaddr FROM flows
UNION SELECT pkt_srcaddr FROM flows UNION SELECT pkt_dstaddr FROM flows) WHERE a IS NOT NULL ORDER BY a`

// CaseAddresses returns every distinct address of the case's flows, sorted:
// far fewer than the records, which is what makes classifying and matching
// them in Go cheap.
func CaseAddresses(ctx context.Context, eng Engine) ([]string, error) {
	rows, err := eng.QueryRows(ctx, DistinctAddressesSQL)
	if err != nil {
		return nil, fmt.Errorf("list the case's addresses: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = asString(r[0])
	}
	return out, nil
}

// InferInterfaceSQL finds the addresses of the case's own network
// interfaces among addresses that the CIDR ranges call external (a VPC's
// IPv6 addresses, or a VPC built on public IPv4 space). AWS writes the
// interface's own address as dstaddr of ingress records and srcaddr of
// egress records (flowlogs reference 1.3), so: where flow-direction is
// recorded it says which side is the interface; otherwise the address that
// appears in every record of an interface (of that address family) is its
// address, and an interface whose records all involve the same two addresses
// is left alone (either could be its own).
const InferInterfaceSQL = `WITH r AS (
  SELECT interface_id, srcaddr, dstaddr, flow_direction, contains(srcaddr, ':') AS v6
  FROM flows
  WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
    AND srcaddr NOT IN (SELECT addr FROM ir_internal) AND dstaddr NOT IN (SELECT addr FROM ir_internal)
), d AS (
  SELECT DISTINCT CASE flow_direction WHEN 'ingress' THEN dstaddr ELSE srcaddr END AS addr
  FROM r WHERE flow_direction IN ('ingress', 'egress')
), n AS (
  SELECT interface_id, v6, count(*) AS n FROM r WHERE flow_direction IS NULL GROUP BY ALL
), c AS (
  SELECT interface_id, v6, addr, count(*) AS n FROM (
    SELECT interface_id, v6, srcaddr AS addr FROM r WHERE flow_direction IS NULL
    UNION ALL
    SELECT interface_id, v6, dstaddr FROM r WHERE flow_direction IS NULL AND dstaddr <> srcaddr
  ) GROUP BY ALL
), common AS (
  SELECT c.interface_id, c.v6, c.addr, count(*) OVER (PARTITION BY c.interface_id, c.v6) AS k
  FROM c JOIN n USING (interface_id, v6) WHERE c.n = n.n
)
SELECT addr FROM d
UNION
SELECT addr FROM common WHERE k = 1`

// natSQL finds NAT addresses: internal addresses that receive records whose
// packet-level destination is external.
const natSQL = `SELECT DISTINCT dstaddr FROM flows
WHERE log_status = 'OK' AND pkt_dstaddr IS NOT NULL AND pkt_dstaddr <> dstaddr
  AND dstaddr IN (SELECT addr FROM ir_internal) AND pkt_dstaddr NOT IN (SELECT addr FROM ir_internal)
ORDER BY 1`

// natPortSQL finds NAT addresses in formats without packet-level fields:
// an internal address X is a NAT when internal hosts' connections to X are
// also logged, from the same host and source port, to the same destination
// port of external addresses within a minute (the instance's own interface
// logs host:port -> internet, the NAT's inside leg host:port -> X). A
// candidate needs 10 matching connections towards at least 2 external
// destinations, and is a NAT when they are at least half of its
// connections from internal hosts (an internal load balancer on port 443
// matches only when a client happens to reuse a source port).
const natPortSQL = `WITH a AS (
  SELECT srcaddr, srcport, dstport, protocol, start, dstaddr FROM flows
  WHERE log_status = 'OK' AND protocol IN (6, 17) AND srcaddr IN (SELECT addr FROM ir_internal) AND dstaddr IN (SELECT addr FROM ir_internal)
), b AS (
  SELECT srcaddr, srcport, dstport, protocol, start, dstaddr FROM flows
  WHERE log_status = 'OK' AND protocol IN (6, 17) AND srcaddr IN (SELECT addr FROM ir_internal) AND dstaddr NOT IN (SELECT addr FROM ir_internal)
), m AS (
  SELECT a.dstaddr, count(DISTINCT (a.srcaddr, a.srcport)) AS matched
  FROM a JOIN b ON a.srcaddr = b.srcaddr AND a.srcport = b.srcport AND a.dstport = b.dstport AND a.protocol = b.protocol
  WHERE a.dstaddr <> b.dstaddr AND abs(a.start - b.start) <= 60
  GROUP BY 1 HAVING count(DISTINCT (a.srcaddr, a.srcport)) >= 10 AND count(DISTINCT b.dstaddr) >= 2
), t AS (
  SELECT dstaddr, count(DISTINCT (srcaddr, srcport)) AS total FROM a WHERE dstaddr IN (SELECT dstaddr FROM m) GROUP BY 1
)
SELECT dstaddr FROM m JOIN t USING (dstaddr) WHERE 2 * matched >= total ORDER BY 1`

// findNATs returns the NAT addresses of the case: from packet-level
// fields, from the port matching of natPortSQL, and from the configuration.
func (d *detector) findNATs(ctx context.Context) ([]string, error) {
	set := map[string]bool{}
	rows, err := d.eng.QueryRows(ctx, natSQL)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		set[asString(r[0])] = true
	}
	rows, err = d.eng.QueryRows(ctx, natPortSQL)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		set[asString(r[0])] = true
	}
	for _, a := range d.cfg.NAT {
		set[a.String()] = true
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	slices.Sort(out)
	return out, nil
}

// Detect runs the enabled rules of cfg over the case behind eng.
func Detect(ctx context.Context, eng Engine, cfg *DetectConfig) (*DetectResult, error) {
	if cfg == nil {
		cfg = NewDetectConfig()
	}
	res := &DetectResult{Timings: map[string]time.Duration{}}
	t0 := time.Now()
	d := &detector{eng: eng, cfg: cfg, class: NewNetClass(append(DefaultInternal(), cfg.Internal...))}
	res.Internal = d.class.Ranges()

	// Classify every address of the case once, in Go, and hand the internal
	// ones to the engine as a table: CIDR logic stays exact and out of SQL.
	var err error
	if d.addrs, err = CaseAddresses(ctx, eng); err != nil {
		return nil, err
	}
	d.internal = map[string]bool{}
	var internal []string
	for _, s := range d.addrs {
		if d.class.InternalText(s) {
			d.internal[s] = true
			internal = append(internal, s)
		}
	}
	if err := eng.LoadAddressTable(ctx, tmpInternal, internal, nil); err != nil {
		return nil, err
	}
	if cfg.InferInterfaceAddresses {
		rows, err := eng.QueryRows(ctx, InferInterfaceSQL)
		if err != nil {
			return nil, fmt.Errorf("find the network interfaces' addresses: %w", err)
		}
		var more []string
		for _, r := range rows {
			s := asString(r[0])
			if !d.internal[s] {
				d.internal[s] = true
				more = append(more, s)
			}
		}
		if len(more) > 0 {
			slices.Sort(more)
			internal = append(internal, more...)
			if err := eng.LoadAddressTable(ctx, tmpInternal, internal, nil); err != nil {
				return nil, err
			}
		}
		res.InferredInterfaces = len(more)
	}
	if d.nat, err = d.findNATs(ctx); err != nil {
		return nil, fmt.Errorf("find NAT addresses: %w", err)
	}
	res.NAT = d.nat
	if err := d.loadAWSServices(ctx); err != nil {
		return nil, err
	}
	res.Timings["prepare"] = time.Since(t0)

	for _, r := range ruleCatalog {
		if !cfg.Enabled(r.Name) {
			continue
		}
		t := time.Now()
		fs, err := r.run(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		res.Timings[r.Name] = time.Since(t)
		res.Rules = append(res.Rules, r.Name)
		res.Findings = append(res.Findings, fs...)
	}
	res.IOCEntries = d.iocs
	SortFindings(res.Findings)
	return res, nil
}

// SortFindings orders findings by severity (high first), then rule, time,
// actor and target, so that a report lists them the same way every time.
func SortFindings(fs []Finding) {
	rank := map[string]int{SeverityHigh: 0, SeverityMedium: 1, SeverityLow: 2}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(rank[a.Severity], rank[b.Severity]),
			cmp.Compare(a.Rule, b.Rule),
			a.FirstSeen.Compare(b.FirstSeen),
			cmp.Compare(a.Src, b.Src),
			cmp.Compare(a.Dst, b.Dst),
		)
	})
}

// direction classifies an (actor, target) pair.
func (d *detector) direction(actor, target string) string {
	ai, ti := d.internal[actor], d.internal[target]
	switch {
	case ai && ti:
		return DirInternal
	case ai:
		return DirOutbound
	case ti:
		return DirInbound
	}
	return DirExternal
}

// SQL pieces shared by the rules. Every rule reads flows through baseWhere,
// and every evidence query repeats it, so evidence and detection cannot
// drift apart.
const (
	exprActor  = "coalesce(pkt_srcaddr, srcaddr)"
	exprTarget = "coalesce(pkt_dstaddr, dstaddr)"
	// condReply: a reply record (server to client). SYN-ACK is 18; with no
	// flags, a record from a port below 1024 to one at or above it.
	// condClient: the record's sender is the client of the connection: it
	// talks to a lower (service) port from a higher (ephemeral) one.
	condClient = "(dstport < srcport)"
	condReply  = "((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))"
)

// baseWhere is the condition every rule applies to flows: traffic records
// with both addresses, in the time window, not on a NAT's outside leg.
func (d *detector) baseWhere() string { return d.baseWhereOn("") }

// baseWhereOn is baseWhere with every column prefixed (an alias and a dot),
// for subqueries of evidence queries.
func (d *detector) baseWhereOn(p string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%[1]slog_status = 'OK' AND %[1]ssrcaddr IS NOT NULL AND %[1]sdstaddr IS NOT NULL", p)
	if d.cfg.Since != 0 {
		fmt.Fprintf(&b, ` AND %s"end" >= %d`, p, d.cfg.Since)
	}
	if d.cfg.Until != 0 {
		fmt.Fprintf(&b, ` AND %sstart < %d`, p, d.cfg.Until)
	}
	if len(d.nat) > 0 {
		list := sqltext.Strings(d.nat)
		fmt.Fprintf(&b, " AND coalesce(%[1]spkt_srcaddr, %[1]ssrcaddr) NOT IN (%[2]s) AND coalesce(%[1]spkt_dstaddr, %[1]sdstaddr) NOT IN (%[2]s)", p, list)
	}
	return b.String()
}

// baseSelect is the relation the rules aggregate: the records of baseWhere
// with the real endpoints as columns a (actor) and t (target). Rules test
// whether an endpoint is internal with inInternal.
//
// It is not materialised: writing ten million rows to a temporary table
// costs more than the few scans each rule makes, and DuckDB scans the
// stored, compressed columns fast. For the same reason a rule's CTE over
// these rows is referenced once: DuckDB materialises a CTE that is
// referenced twice.
func (d *detector) baseSelect() string {
	return fmt.Sprintf(`SELECT %s AS a, %s AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE %s`,
		exprActor, exprTarget, d.baseWhere())
}

// inInternal is the SQL test that a column holds an internal address.
func inInternal(col string) string { return col + " IN (SELECT addr FROM " + tmpInternal + ")" }

// evidence builds a finding's evidence query from its own conditions.
func (d *detector) evidence(conds ...string) string {
	return "SELECT * FROM flows WHERE " + d.baseWhere() + " AND " + strings.Join(conds, " AND ") +
		` ORDER BY start, "end", source_id, source_line`
}

// addrEq is "expr = 'address'" for a canonical address; the address is
// re-parsed so that only netip's canonical text reaches the SQL.
func addrEq(expr, addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil {
		addr = a.String()
	}
	return expr + " = " + sqltext.String(addr)
}

// Conversions of driver values. SUM is cast to BIGINT in the SQL; *big.Int
// is still accepted in case a HUGEINT slips through.
func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case float64:
		return int64(x)
	case *big.Int:
		return x.Int64()
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// asBig converts a sum to an exact integer: the driver's *big.Int (DuckDB
// sums BIGINT columns as HUGEINT, which sums of bytes and packets need: see
// store/total.go), an integer, or NULL as zero.
func asBig(v any) *big.Int {
	if x, ok := v.(*big.Int); ok && x != nil {
		return x
	}
	return big.NewInt(asInt(v))
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return float64(asInt(v))
}

func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func asInts(v any) []int64 {
	l, _ := v.([]any)
	out := make([]int64, 0, len(l))
	for _, x := range l {
		if x != nil {
			out = append(out, asInt(x))
		}
	}
	return out
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if x != nil {
			out = append(out, asString(x))
		}
	}
	return out
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func intPtr(i int) *int { return &i }

// humanBytes prints a byte count in SI units, with the exact count kept in
// the finding's bytes column.
func humanBytes(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", n/1e3)
	}
	return fmt.Sprintf("%.0f B", n)
}

func protoName(p int) string {
	if n, ok := flow.ProtocolName(p); ok {
		return n
	}
	return "proto " + strconv.Itoa(p)
}

func dur(sec int64) string { return (time.Duration(sec) * time.Second).String() }

// portList prints up to max ports, then "and N more".
func portsText(ports []int64, max int) string {
	slices.Sort(ports)
	var parts []string
	for i, p := range ports {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(ports)-max))
			break
		}
		parts = append(parts, strconv.FormatInt(p, 10))
	}
	return strings.Join(parts, ", ")
}
