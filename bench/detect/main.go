// Command detect is the benchmark of flowir's IOC matching and detections,
// side by side with plain DuckDB queries doing the simplest equivalent.
//
//  1. IOC matching: N CIDR indicators (10,000 by default, shaped like a
//     threat feed: see makeIOCs) against every record of the case. flowir: the case's distinct addresses matched in
//     Go against a hash table per prefix length, the (address, indicator)
//     pairs loaded into ioc_matches, and the records joined to them (the
//     directional view's rows, counted). Baseline: what an analyst would
//     write in DuckDB without the inet extension: IPv4 addresses turned
//     into integers with split_part and a range join (BETWEEN) against the
//     networks' bounds. Both count the IPv4 records whose srcaddr or dstaddr
//     is in some network, and the counts must agree.
//  2. Detections: every rule of flowir detect with its default thresholds.
//     Baseline: one plain GROUP BY per rule with the same headline
//     threshold and none of the refinements (no bursts, no reply or NAT
//     handling, no evidence), e.g. count(DISTINCT dstport) >= 20 per
//     (srcaddr, dstaddr) for the vertical scan.
//
// With -truth (the truth.json of an internal/netsim corpus, see
// bench/gencorpus -generator netsim) it also scores the findings of the last
// detect run: the planted incidents found with the right rule, actor and
// target, and the findings about none of them, per 1M records.
//
// Usage (the case is modified: its IOC tables are replaced):
//
//	go run ./cmd/flowir demo --records 10000000 --out /tmp/d10m
//	go run ./bench/detect -case /tmp/d10m/case
//
// Times on a shared machine are noisy: each step runs -runs times and the
// fastest run is reported, with the ratio flowir / baseline.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/netsim"
	"github.com/flowir/flowir/internal/store"
)

func main() {
	caseDir := flag.String("case", "", "case directory (e.g. made by flowir demo --records 10000000)")
	nIOCs := flag.Int("iocs", 10000, "number of CIDR indicators")
	runs := flag.Int("runs", 3, "runs of each step; the fastest is reported")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up a baseline after this long (all its runs together)")
	iocFile := flag.String("ioc-file", "", "IOC list loaded for the detections (e.g. the demo's iocs.csv); default none")
	truthFile := flag.String("truth", "", "internal/netsim's truth.json of the case's corpus: score the findings (recall, unrelated findings per 1M records)")
	flag.Parse()
	if *caseDir == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*caseDir, *nIOCs, *runs, *timeout, *iocFile, *truthFile); err != nil {
		fmt.Fprintln(os.Stderr, "detect bench:", err)
		os.Exit(1)
	}
}

type result struct {
	task        string
	flowir, sql time.Duration
	note        string
}

func best(runs int, f func() error) (time.Duration, error) {
	var b time.Duration
	for i := range runs {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(t); i == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

func run(caseDir string, nIOCs, runs int, timeout time.Duration, iocFile, truthFile string) error {
	var truth *netsim.Truth
	if truthFile != "" {
		b, err := os.ReadFile(truthFile)
		if err != nil {
			return err
		}
		truth = &netsim.Truth{}
		if err := json.Unmarshal(b, truth); err != nil {
			return fmt.Errorf("%s: %w", truthFile, err)
		}
	}
	ctx := context.Background()
	c, err := store.Open(ctx, caseDir, store.Options{Analysis: true})
	if err != nil {
		return err
	}
	defer c.Close()
	var records int64
	if err := c.DB().QueryRowContext(ctx, `SELECT count(*) FROM flows`).Scan(&records); err != nil {
		return err
	}
	fmt.Printf("case %s: %d records; %d CIDR indicators; best of %d runs\n\n", caseDir, records, nIOCs, runs)
	var results []result

	// --- IOC matching ---------------------------------------------------
	sess, err := c.NewSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	addrs, err := analysis.CaseAddresses(ctx, sess)
	if err != nil {
		return err
	}
	entries := makeIOCs(addrs, nIOCs)
	if err := c.ClearIOCs(ctx); err != nil {
		return err
	}
	if _, err := c.LoadIOCs(ctx, store.IOCFileInfo{Path: "bench", SHA256: fmt.Sprint(time.Now().UnixNano()), Format: "plain", Entries: len(entries)}, entries); err != nil {
		return err
	}
	var flowirCount, flowirV4 int64
	var nMatches int
	dFlowir, err := best(runs, func() error {
		st, err := casework.MatchIOCs(ctx, c)
		nMatches = st.Pairs
		if err != nil {
			return err
		}
		// The records joined to the matches: the directional view's rows.
		return c.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE matched_on IN ('srcaddr', 'dstaddr') AND NOT contains(ioc_address, ':'))
			FROM incident_vpc_flow_directional`).Scan(&flowirCount, &flowirV4)
	})
	if err != nil {
		return err
	}
	// flowir's count of IPv4 records with srcaddr or dstaddr in a network,
	// each record once, to compare with the baseline.
	var flowirRecs int64
	if err := c.DB().QueryRowContext(ctx, `SELECT count(DISTINCT (source_id, source_line)) FROM incident_vpc_flow_directional
		WHERE matched_on IN ('srcaddr', 'dstaddr') AND NOT contains(ioc_address, ':')`).Scan(&flowirRecs); err != nil {
		return err
	}
	var baseRecs int64
	tctx, cancel := context.WithTimeout(ctx, timeout)
	dSQL, err := best(runs, func() error { return baselineIOC(tctx, c, entries, &baseRecs) })
	timedOut := errors.Is(tctx.Err(), context.DeadlineExceeded) // DuckDB reports it as an interrupt
	cancel()
	note := fmt.Sprintf("%d address-indicator pairs, %d view rows; IPv4 records matched: flowir %d, baseline %d", nMatches, flowirCount, flowirRecs, baseRecs)
	switch {
	case err != nil && timedOut:
		dSQL, note = -1, note+fmt.Sprintf(" (baseline did not finish in %s)", timeout)
	case err != nil:
		return fmt.Errorf("baseline IOC query: %w", err)
	case baseRecs != flowirRecs:
		note += "  MISMATCH"
	}
	results = append(results, result{fmt.Sprintf("IOC matching (%d CIDRs)", nIOCs), dFlowir, dSQL, note})
	dSum, err := best(runs, func() error { _, err := casework.IOCHits(ctx, c, 0, 0); return err })
	if err != nil {
		return err
	}
	results = append(results, result{"IOC summary per indicator", dSum, 0, "flowir ioc's report, after matching"})

	fmt.Printf("IOC matching: flowir %s, baseline %s, summary %s\n", dFlowir.Round(time.Millisecond), dSQL.Round(time.Millisecond), dSum.Round(time.Millisecond))

	// --- detections -------------------------------------------------------
	// With a realistic IOC list (or none), not the 10,000 random networks.
	if err := c.ClearIOCs(ctx); err != nil {
		return err
	}
	if iocFile != "" {
		data, err := os.ReadFile(iocFile)
		if err != nil {
			return err
		}
		pf, err := casework.ParseIOCs(iocFile, data, "")
		if err != nil {
			return err
		}
		if _, err := casework.LoadIOCs(ctx, c, pf, time.Now()); err != nil {
			return err
		}
	}
	var nFindings int
	var findings []casework.Finding
	var timings map[string]time.Duration
	dDetect, err := best(runs, func() error {
		// As 'flowir detect --no-store' with the default thresholds.
		res, err := casework.Detect(ctx, c, analysis.NewDetectConfig(), casework.DetectOptions{NoStore: true})
		if err != nil {
			return err
		}
		nFindings, timings, findings = len(res.Findings), res.Run.Timings, res.Findings
		return nil
	})
	if err != nil {
		return err
	}
	var baseRows int
	tctx, cancel = context.WithTimeout(ctx, timeout)
	dBase, err := best(runs, func() error {
		n, err := baselineDetect(tctx, c)
		baseRows = n
		return err
	})
	timedOut = errors.Is(tctx.Err(), context.DeadlineExceeded)
	cancel()
	note = fmt.Sprintf("%d findings; the baseline's plain GROUP BYs return %d rows", nFindings, baseRows)
	switch {
	case err != nil && timedOut:
		dBase, note = -1, fmt.Sprintf("%d findings (baseline did not finish in %s)", nFindings, timeout)
	case err != nil:
		return fmt.Errorf("baseline detections: %w", err)
	}
	results = append(results, result{"detect, all 8 rules", dDetect, dBase, note})

	fmt.Printf("%-30s %10s %10s %7s  %s\n", "task", "flowir", "duckdb", "ratio", "notes")
	for _, r := range results {
		base, ratio := "-", "-"
		if r.sql > 0 {
			base, ratio = r.sql.Round(time.Millisecond).String(), fmt.Sprintf("%.2f", r.flowir.Seconds()/r.sql.Seconds())
		} else if r.sql < 0 {
			base = "timeout"
		}
		fmt.Printf("%-30s %10s %10s %7s  %s\n", r.task, r.flowir.Round(time.Millisecond), base, ratio, r.note)
	}
	if truth != nil {
		printScore(truth, findings, records)
	}
	fmt.Println("\ndetect, per rule (last run):")
	names := make([]string, 0, len(timings))
	for k := range timings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("  %-22s %s\n", k, timings[k].Round(time.Millisecond))
	}
	return nil
}

// makeIOCs returns n indicators shaped like a threat-intelligence feed:
// public addresses (the monitored network's private ranges are never
// indicators), 70% single addresses, 20% /24 to /31, 10% /16 to /23, and
// 1% of them around external addresses of the case (IPv4, or IPv6 /48 to
// /128) so that some match.
func makeIOCs(addrs []string, n int) []store.IOCEntry {
	rng := rand.New(rand.NewPCG(42, 42))
	private := analysis.NewNetClass(analysis.DefaultInternal())
	var v4, v6 []netip.Addr
	for _, s := range addrs {
		a := netip.MustParseAddr(s)
		if private.Internal(a) {
			continue
		}
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	length := func() int {
		switch k := rng.IntN(10); {
		case k < 7:
			return 32
		case k < 9:
			return 24 + rng.IntN(8)
		}
		return 16 + rng.IntN(8)
	}
	seen := map[netip.Prefix]bool{}
	var iocs []analysis.IOC
	for len(iocs) < n {
		var a netip.Addr
		var bits int
		switch k := rng.IntN(1000); {
		case k < 8 && len(v4) > 0:
			a, bits = v4[rng.IntN(len(v4))], length()
		case k < 10 && len(v6) > 0:
			a, bits = v6[rng.IntN(len(v6))], 48+rng.IntN(81)
		default:
			a = netip.AddrFrom4([4]byte{byte(1 + rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
			bits = length()
		}
		p := netip.PrefixFrom(a, bits).Masked()
		if seen[p] || private.Internal(p.Addr()) {
			continue
		}
		seen[p] = true
		iocs = append(iocs, analysis.IOC{Prefix: p, ThreatIP: p.String(), File: "bench", Line: len(iocs) + 1, Format: "plain"})
	}
	return casework.IOCEntries(iocs)
}

// baselineIOC is the plain DuckDB way: IPv4 text to integer, range join.
func baselineIOC(ctx context.Context, c *store.Case, entries []store.IOCEntry, n *int64) error {
	var lo, hi []int64
	for _, e := range entries {
		if e.Family != 4 {
			continue
		}
		lo, hi = append(lo, ipv4Int(e.FirstAddress)), append(hi, ipv4Int(e.LastAddress))
	}
	const toInt = `(split_part(%[1]s, '.', 1)::BIGINT * 16777216 + split_part(%[1]s, '.', 2)::BIGINT * 65536 + split_part(%[1]s, '.', 3)::BIGINT * 256 + split_part(%[1]s, '.', 4)::BIGINT)`
	q := fmt.Sprintf(`WITH n AS (SELECT unnest(?::BIGINT[]) AS lo, unnest(?::BIGINT[]) AS hi),
f AS (SELECT source_id, source_line, %s AS s, %s AS d FROM flows WHERE srcaddr NOT LIKE '%%:%%' AND dstaddr NOT LIKE '%%:%%'),
m AS (
  SELECT f.source_id, f.source_line FROM f JOIN n ON f.s BETWEEN n.lo AND n.hi
  UNION
  SELECT f.source_id, f.source_line FROM f JOIN n ON f.d BETWEEN n.lo AND n.hi
)
SELECT count(*) FROM m`, fmt.Sprintf(toInt, "srcaddr"), fmt.Sprintf(toInt, "dstaddr"))
	return c.DB().QueryRowContext(ctx, q, lo, hi).Scan(n)
}

func ipv4Int(s string) int64 {
	b := netip.MustParseAddr(s).As4()
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

// baselineDetect runs one plain GROUP BY per rule, with the rule's headline
// thresholds at their defaults (analysis.NewDetectConfig) and nothing else,
// and returns the rows they produce.
func baselineDetect(ctx context.Context, c *store.Case) (int, error) {
	def := analysis.NewDetectConfig()
	// v renders a default threshold for SQL: a number, or a list of ports
	// as the inside of IN (...).
	v := func(rule, param string) string {
		return strings.Join(strings.Fields(strings.Trim(fmt.Sprint(def.Value(rule, param)), "[]")), ", ")
	}
	private := `(srcaddr LIKE '10.%' OR srcaddr LIKE '192.168.%')` // the simplest (and wrong for 172.16/12) test
	qs := []string{
		// vertical scan
		`SELECT srcaddr, dstaddr FROM flows WHERE action = 'REJECT' GROUP BY 1, 2 HAVING count(DISTINCT dstport) >= ` + v(analysis.RulePortScanVertical, "min_ports"),
		// horizontal scan
		`SELECT srcaddr, dstport FROM flows WHERE action = 'REJECT' GROUP BY 1, 2 HAVING count(DISTINCT dstaddr) >= ` + v(analysis.RulePortScanHorizontal, "min_hosts"),
		// brute force
		`SELECT srcaddr, dstaddr, dstport FROM flows WHERE dstport IN (` + v(analysis.RuleBruteForce, "ports") + `) AND "end" - start <= ` +
			v(analysis.RuleBruteForce, "max_duration") + ` GROUP BY 1, 2, 3 HAVING count(*) >= ` + v(analysis.RuleBruteForce, "min_attempts"),
		// exfiltration: bytes per pair and window
		`SELECT srcaddr, dstaddr, start // ` + v(analysis.RuleExfiltration, "window") + ` FROM flows WHERE ` + private +
			` AND NOT (dstaddr LIKE '10.%' OR dstaddr LIKE '192.168.%') GROUP BY 1, 2, 3 HAVING sum(bytes) >= ` + v(analysis.RuleExfiltration, "min_bytes"),
		// NAT alarm: bytes per pair and window
		`SELECT srcaddr, dstaddr, start // ` + v(analysis.RuleNATEgress, "window") + ` FROM flows GROUP BY 1, 2, 3 HAVING sum(bytes) >= ` + v(analysis.RuleNATEgress, "min_bytes"),
		// beaconing: regular gaps between record starts
		`WITH g AS (SELECT srcaddr, dstaddr, dstport, start - lag(start) OVER (PARTITION BY srcaddr, dstaddr, dstport ORDER BY start) AS d FROM flows WHERE ` + private + `)
		 SELECT srcaddr, dstaddr, dstport FROM g GROUP BY 1, 2, 3 HAVING count(d) >= ` + v(analysis.RuleBeaconing, "min_contacts") +
			` AND stddev_pop(d) < ` + v(analysis.RuleBeaconing, "max_jitter") + ` * avg(d)`,
		// IOC contact: exact addresses of the loaded list
		`SELECT srcaddr, dstaddr FROM flows WHERE srcaddr IN (SELECT threat_ip FROM incident_iocs) OR dstaddr IN (SELECT threat_ip FROM incident_iocs) GROUP BY 1, 2`,
		// exposed admin ports
		`SELECT srcaddr, dstport FROM flows WHERE action = 'ACCEPT' AND dstport IN (` + v(analysis.RuleExposedPort, "admin_ports") + `, ` +
			v(analysis.RuleExposedPort, "database_ports") + `) AND NOT ` + private + ` GROUP BY 1, 2`,
	}
	total := 0
	for _, q := range qs {
		rows, err := c.DB().QueryContext(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", strings.SplitN(q, "\n", 2)[0], err)
		}
		for rows.Next() {
			total++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, err
		}
	}
	return total, nil
}

// printScore compares the findings with the truth of an internal/netsim
// corpus: the planted incidents found with the right actor and target, and
// the findings about none of them, per 1M records.
func printScore(truth *netsim.Truth, fs []casework.Finding, records int64) {
	strs := func(v any) []string {
		switch x := v.(type) {
		case []string:
			return x
		case []any:
			out := make([]string, len(x))
			for i, e := range x {
				out[i] = fmt.Sprint(e)
			}
			return out
		}
		return nil
	}
	sfs := make([]netsim.Finding, len(fs))
	for i, f := range fs {
		sfs[i] = netsim.Finding{Rule: f.Rule, Severity: f.Severity, Actor: f.Src, Target: f.Dst,
			Targets: append(strs(f.Details["targets"]), strs(f.Details["hosts"])...), Actors: strs(f.Details["actors"]),
			First: f.FirstSeen, Last: f.LastSeen}
	}
	fmt.Printf("\nagainst the netsim truth: %s", truth.Score(sfs).Report(records))
}
