package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/store"
)

// Unit tests of the detection rules on small hand-built record sets: the
// positive case, the near miss just under each threshold, and background
// that must not fire. Every finding's evidence_sql is run and must return
// exactly the finding's records and bytes.

// fr is one hand-built flow record.
type fr struct {
	eni          string
	src, dst     string
	sport, dport int
	proto        int
	packets      int64
	bytes        int64
	start, end   int64
	action       string // default ACCEPT
	flags        int    // tcp-flags; -1 for none (a format without the field)
	psrc, pdst   string // pkt-srcaddr / pkt-dstaddr; "" for none
	acct, region string // account-id (default 111122223333) and region ("" for none)
	dstSvc       string // pkt-dst-aws-service ("" for none)
}

// tcp returns a TCP record without flags.
func tcp(src string, sport int, dst string, dport int, start, end, packets, bytes int64) fr {
	return fr{eni: "eni-1", src: src, dst: dst, sport: sport, dport: dport, proto: 6, packets: packets, bytes: bytes, start: start, end: end, flags: -1}
}

func (r fr) reject() fr { r.action = "REJECT"; return r }
func (r fr) in(acct, region string) fr {
	r.acct, r.region = acct, region
	return r
}
func (r fr) on(eni string) fr      { r.eni = eni; return r }
func (r fr) withFlags(f int) fr    { r.flags = f; return r }
func (r fr) toService(s string) fr { r.dstSvc = s; return r }
func (r fr) pkt(src, dst string) fr {
	r.psrc, r.pdst = src, dst
	return r
}

// reply is the reverse record of r.
func (r fr) reply(packets, bytes int64) fr {
	return fr{eni: r.eni, src: r.dst, dst: r.src, sport: r.dport, dport: r.sport, proto: r.proto, packets: packets, bytes: bytes,
		start: r.start, end: r.end, flags: -1, psrc: r.pdst, pdst: r.psrc, acct: r.acct, region: r.region}
}

const t0 = int64(1_795_000_000) // 2026-11-17, a multiple of 3600

// newDetectCase creates an empty case holding recs.
func newDetectCase(t testing.TB, recs []fr) *store.Case {
	t.Helper()
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(t.TempDir(), "case"), store.Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tx, err := c.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO flows_wide (version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol,
		packets, bytes, start, "end", action, log_status, tcp_flags, pkt_srcaddr, pkt_dstaddr, region, pkt_dst_aws_service, source_id, source_line)
		VALUES (5, coalesce(?, '111122223333'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'OK', ?, ?, ?, ?, ?, 1, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for i, r := range recs {
		action := r.action
		if action == "" {
			action = "ACCEPT"
		}
		var flags any
		if r.flags >= 0 {
			flags = r.flags
		}
		if _, err := st.ExecContext(ctx, null(r.acct), r.eni, r.src, r.dst, r.sport, r.dport, r.proto, r.packets, r.bytes, r.start, r.end, action, flags,
			null(r.psrc), null(r.pdst), null(r.region), null(r.dstSvc), i+1); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return c
}

// detect runs the given rules over c and checks every finding's evidence.
func detect(t *testing.T, c *store.Case, cfg *analysis.DetectConfig, rules ...string) []analysis.Finding {
	t.Helper()
	ctx := context.Background()
	if cfg == nil {
		cfg = analysis.NewDetectConfig()
	}
	if err := cfg.OnlyRules(rules); err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Detect(ctx, s, cfg)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		checkEvidence(t, c, f)
	}
	return res.Findings
}

// checkEvidence runs a finding's evidence query and compares its rows with
// the finding's records and bytes.
func checkEvidence(t *testing.T, c *store.Case, f analysis.Finding) {
	t.Helper()
	res, err := c.Query(context.Background(), "SELECT count(*), coalesce(sum(bytes), 0) FROM ("+f.EvidenceSQL+")")
	if err != nil {
		t.Fatalf("%s %s->%s: evidence_sql fails: %v\n%s", f.Rule, f.Src, f.Dst, err, f.EvidenceSQL)
	}
	n, b := res.Rows[0][0].(int64), res.Rows[0][1]
	var bytes *big.Int
	switch x := b.(type) {
	case *big.Int:
		bytes = x
	case int64:
		bytes = big.NewInt(x)
	}
	if n != f.Records || bytes == nil || f.Bytes == nil || bytes.Cmp(f.Bytes) != 0 {
		t.Errorf("%s %s->%s: evidence_sql returns %d records, %d bytes; the finding says %d, %d\n%s",
			f.Rule, f.Src, f.Dst, n, bytes, f.Records, f.Bytes, f.EvidenceSQL)
	}
	if !strings.HasPrefix(f.EvidenceSQL, "SELECT * FROM flows WHERE ") {
		t.Errorf("%s: evidence_sql %q does not select flows records", f.Rule, f.EvidenceSQL)
	}
}

func one(t *testing.T, fs []analysis.Finding, src, dst string) analysis.Finding {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %s", len(fs), describe(fs))
	}
	if fs[0].Src != src || fs[0].Dst != dst {
		t.Fatalf("finding %s -> %s, want %s -> %s: %s", fs[0].Src, fs[0].Dst, src, dst, fs[0].Summary)
	}
	return fs[0]
}

func none(t *testing.T, fs []analysis.Finding) {
	t.Helper()
	if len(fs) != 0 {
		t.Fatalf("%d findings, want none: %s", len(fs), describe(fs))
	}
}

func describe(fs []analysis.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s %s->%s: %s", f.Rule, f.Severity, f.Src, f.Dst, f.Summary)
	}
	return b.String()
}

// probes makes n single-SYN records from actor to target, one per port
// starting at port0, every step seconds from start.
func probes(actor, target string, port0, n int, start, step int64) []fr {
	var out []fr
	for i := range n {
		ts := start + int64(i)*step
		out = append(out, tcp(actor, 40000, target, port0+i, ts, ts+1, 1, 44).reject())
	}
	return out
}

func TestRuleVerticalScan(t *testing.T) {
	const r = analysis.RulePortScanVertical
	// Positive: 20 ports (the threshold), all rejected.
	fs := detect(t, newDetectCase(t, probes("198.51.100.23", "10.0.0.5", 1, 20, t0, 2)), nil, r)
	f := one(t, fs, "198.51.100.23", "10.0.0.5")
	if f.Records != 20 || f.Severity != analysis.SeverityLow || f.Direction != analysis.DirInbound || f.Technique != "T1046" ||
		f.DstPort != nil || f.FirstSeen.Unix() != t0 || f.LastSeen.Unix() != t0+39 {
		t.Errorf("finding %+v", f)
	}
	// Near miss: 19 ports.
	none(t, detect(t, newDetectCase(t, probes("198.51.100.23", "10.0.0.5", 1, 19, t0, 2)), nil, r))
	// A pause longer than max_gap splits 20 probes into two bursts of 10;
	// a pause of exactly max_gap does not.
	split := append(probes("198.51.100.23", "10.0.0.5", 1, 10, t0, 2), probes("198.51.100.23", "10.0.0.5", 11, 10, t0+18+601, 2)...)
	none(t, detect(t, newDetectCase(t, split), nil, r))
	joined := append(probes("198.51.100.23", "10.0.0.5", 1, 10, t0, 2), probes("198.51.100.23", "10.0.0.5", 11, 10, t0+18+600, 2)...)
	one(t, detect(t, newDetectCase(t, joined), nil, r), "198.51.100.23", "10.0.0.5")
	// An internal actor scanning is high severity; answered probes (SYN,
	// then RST after the SYN-ACK: flags 6) count, the target's replies do not.
	var recs []fr
	for i := range 25 {
		p := tcp("10.0.0.9", 50000, "10.0.0.10", 1000+i, t0+int64(i), t0+int64(i), 2, 84).withFlags(6)
		recs = append(recs, p, p.reply(1, 44).withFlags(18))
	}
	f = one(t, detect(t, newDetectCase(t, recs), nil, r), "10.0.0.9", "10.0.0.10")
	if f.Severity != analysis.SeverityHigh || f.Direction != analysis.DirInternal || f.Records != 25 {
		t.Errorf("internal scan: %+v", f)
	}
}

func TestRuleVerticalScanBackground(t *testing.T) {
	const r = analysis.RulePortScanVertical
	var recs []fr
	// A web server answering one client's 40 connections: tiny reply
	// records from port 443 to 40 client ports.
	for i := range 40 {
		q := tcp("198.51.100.9", 40000+i, "10.0.0.5", 443, t0+int64(i)*5, t0+int64(i)*5+1, 8, 2000)
		recs = append(recs, q, q.reply(2, 80))
	}
	// The tails of 30 ordinary connections (FIN only, one small packet) to
	// 30 ports of one server, in a format with TCP flags.
	for i := range 30 {
		recs = append(recs, tcp("10.0.0.20", 50000+i, "10.0.0.21", 8000+i, t0+int64(i), t0+int64(i), 1, 52).withFlags(1))
	}
	none(t, detect(t, newDetectCase(t, recs), nil, r))
}

// TestRuleScanClientSide: who opened a connection is decided from the whole
// case (issue 15 item 4), in the default format (no TCP flags). A
// monitoring system's checks of agents on a registered port (10050) are
// answered from that port to the poller's ephemeral ports: not a vertical
// scan by the agents. A desktop's connections to 25 web servers each leave
// a record of their closing packets in the next aggregation interval: not a
// sweep of port 443. A scanner with one fixed source port is still found.
func TestRuleScanClientSide(t *testing.T) {
	var recs []fr
	for i := range 40 {
		for j, agent := range []string{"10.0.1.11", "10.0.1.12"} {
			ts := t0 + int64(60*i+j)
			q := tcp("10.0.5.5", 50000+2*i+j, agent, 10050, ts, ts+1, 1, 60)
			recs = append(recs, q, q.reply(1, 60))
		}
	}
	for i := range 25 {
		ts := t0 + int64(30*i)
		q := tcp("10.0.9.9", 52000+i, fmt.Sprintf("203.0.113.%d", 10+i), 443, ts, ts+50, 20, 5000)
		tail := tcp("10.0.9.9", 52000+i, fmt.Sprintf("203.0.113.%d", 10+i), 443, ts+60, ts+600, 2, 104)
		recs = append(recs, q, q.reply(30, 40000), tail, tail.reply(2, 104))
	}
	for i := range 30 {
		p := tcp("198.51.100.7", 40000, "10.0.1.11", 1+i, t0+int64(i), t0+int64(i), 1, 44)
		recs = append(recs, p, p.reply(1, 40))
	}
	c := newDetectCase(t, recs)
	f := one(t, detect(t, c, nil, analysis.RulePortScanVertical), "198.51.100.7", "10.0.1.11")
	if f.Records != 30 {
		t.Errorf("scan: %d records, want the 30 probes: %s", f.Records, f.Summary)
	}
	none(t, detect(t, c, nil, analysis.RulePortScanHorizontal))
}

func TestRuleHorizontalScan(t *testing.T) {
	const r = analysis.RulePortScanHorizontal
	sweep := func(actor string, n int, start int64) []fr {
		var out []fr
		for i := range n {
			ts := start + int64(i)*3
			out = append(out, tcp(actor, 1024+i, fmt.Sprintf("10.0.1.%d", 10+i), 445, ts, ts, 1, 44).reject())
		}
		return out
	}
	f := one(t, detect(t, newDetectCase(t, sweep("198.51.100.77", 20, t0)), nil, r), "198.51.100.77", "")
	if f.DstPort == nil || *f.DstPort != 445 || f.Records != 20 || f.Details["distinct_hosts"] != int64(20) {
		t.Errorf("finding %+v", f)
	}
	none(t, detect(t, newDetectCase(t, sweep("198.51.100.77", 19, t0)), nil, r))

	// A host whose egress is blocked retrying 25 servers, 5 times each,
	// with a new source port each time: 25 hosts but 125 attempts.
	var retry []fr
	for k := range 5 {
		for i := range 25 {
			ts := t0 + int64(k*25+i)*10
			retry = append(retry, tcp("10.0.0.30", 33000+k*25+i, fmt.Sprintf("198.51.100.%d", 100+i), 443, ts, ts, 1, 60).reject())
		}
	}
	none(t, detect(t, newDetectCase(t, retry), nil, r))

	// The same, but each hour alone looks like a sweep (each server tried
	// once); the same servers probed again in other bursts give it away.
	var blocked []fr
	for k := range 12 {
		for i := range 25 {
			ts := t0 + int64(k)*7200 + int64(i)*60
			blocked = append(blocked, tcp("10.0.0.31", 33000+k*25+i, fmt.Sprintf("198.51.100.%d", 100+i), 443, ts, ts, 1, 60).reject())
		}
	}
	none(t, detect(t, newDetectCase(t, blocked), nil, r))
	// ... unless recurrence is allowed.
	cfg := analysis.NewDetectConfig()
	if err := cfg.Set(r, "max_recurring_ratio", "1"); err != nil {
		t.Fatal(err)
	}
	if fs := detect(t, newDetectCase(t, blocked), cfg, r); len(fs) != 12 {
		t.Errorf("%d findings with recurrence allowed, want 12 (one per burst)", len(fs))
	}
	// A sweep of 20 hosts, 10 of which the actor probes again later: at the
	// limit (half), still a sweep; 11 again: not.
	for _, again := range []int{10, 11} {
		recs := sweep("198.51.100.78", 20, t0)
		for i := range again {
			ts := t0 + 7200 + int64(i)*3600
			recs = append(recs, tcp("198.51.100.78", 5000+i, fmt.Sprintf("10.0.1.%d", 10+i), 445, ts, ts, 1, 44).reject())
		}
		fs := detect(t, newDetectCase(t, recs), nil, r)
		if again == 10 && len(fs) != 1 || again == 11 && len(fs) != 0 {
			t.Errorf("%d targets probed again: %d findings", again, len(fs))
		}
	}
}

// sessions makes n short SSH-like sessions from actor to target:port.
func sessions(actor, target string, port, n int, start, step, dur, bytes int64) []fr {
	var out []fr
	for i := range n {
		ts := start + int64(i)*step
		q := tcp(actor, 33000+i, target, port, ts, ts+dur, 15, bytes)
		out = append(out, q, q.reply(12, bytes+500))
	}
	return out
}

func TestRuleBruteForce(t *testing.T) {
	const r = analysis.RuleBruteForce
	recs := sessions("192.0.2.45", "10.0.0.7", 22, 20, t0, 10, 3, 3000)
	f := one(t, detect(t, newDetectCase(t, recs), nil, r), "192.0.2.45", "10.0.0.7")
	if f.Records != 20 || f.Bytes.Int64() != 60000 || f.Severity != analysis.SeverityMedium || *f.DstPort != 22 || f.Details["attempts"] != int64(20) {
		t.Errorf("finding %+v", f)
	}
	// Near miss: 19 attempts.
	none(t, detect(t, newDetectCase(t, sessions("192.0.2.45", "10.0.0.7", 22, 19, t0, 10, 3, 3000)), nil, r))
	// Just too long, or too big, is not an attempt.
	none(t, detect(t, newDetectCase(t, sessions("192.0.2.45", "10.0.0.7", 22, 20, t0, 40, 31, 3000)), nil, r))
	none(t, detect(t, newDetectCase(t, sessions("192.0.2.45", "10.0.0.7", 22, 20, t0, 10, 3, 20001)), nil, r))
	// A long accepted session right after the burst: a likely success.
	long := tcp("192.0.2.45", 40000, "10.0.0.7", 22, t0+300, t0+1500, 900, 180000)
	f = one(t, detect(t, newDetectCase(t, append(recs, long, long.reply(800, 2_000_000))), nil, r), "192.0.2.45", "10.0.0.7")
	if f.Severity != analysis.SeverityHigh || f.Details["followed_by_session"] == nil || !strings.Contains(f.Summary, "likely successful") {
		t.Errorf("success not seen: %+v", f)
	}
	// Rejected attempts count too.
	var rej []fr
	for i := range 25 {
		rej = append(rej, tcp("192.0.2.46", 30000+i, "10.0.0.7", 3389, t0+int64(i)*4, t0+int64(i)*4, 1, 52).reject())
	}
	f = one(t, detect(t, newDetectCase(t, rej), nil, r), "192.0.2.46", "10.0.0.7")
	if f.Details["rejected_attempts"] != int64(25) {
		t.Errorf("rejected attempts: %+v", f.Details)
	}
}

func TestRuleBruteForceBackground(t *testing.T) {
	const r = analysis.RuleBruteForce
	var recs []fr
	// An administrator's long sessions, 30 of them.
	recs = append(recs, sessions("81.2.69.160", "10.0.0.7", 22, 30, t0, 200, 120, 50000)...)
	// An application opening 40 short database connections: internal.
	recs = append(recs, sessions("10.0.1.5", "10.0.2.5", 5432, 40, t0, 5, 1, 2000)...)
	none(t, detect(t, newDetectCase(t, recs), nil, r))
	// The same database connections from the internet are a brute force.
	f := one(t, detect(t, newDetectCase(t, sessions("198.51.100.3", "10.0.2.5", 5432, 40, t0, 5, 1, 2000)), nil, r), "198.51.100.3", "10.0.2.5")
	if *f.DstPort != 5432 {
		t.Errorf("port %v", f.DstPort)
	}
	// Lateral SSH attempts logged on both interfaces are counted once.
	var both []fr
	for _, q := range sessions("10.0.3.3", "10.0.3.4", 22, 20, t0, 10, 2, 3000) {
		both = append(both, q.on("eni-a"), q.on("eni-b"))
	}
	f = one(t, detect(t, newDetectCase(t, both), nil, r), "10.0.3.3", "10.0.3.4")
	if f.Details["attempts"] != int64(20) || f.Records != 40 || f.Severity != analysis.SeverityHigh || f.Direction != analysis.DirInternal {
		t.Errorf("double-logged lateral attempts: %+v", f)
	}
}

// upload makes records of host:sport sending total bytes to dst:443 over n
// records starting at start, step seconds apart.
func upload(host string, sport int, dst string, total int64, n int, start, step int64) []fr {
	var out []fr
	for i := range n {
		ts := start + int64(i)*step
		q := tcp(host, sport, dst, 443, ts, ts+step-1, total/int64(n)/1400+1, total/int64(n))
		out = append(out, q, q.reply(10, 600))
	}
	return out
}

func TestRuleExfiltration(t *testing.T) {
	const r = analysis.RuleExfiltration
	// Baseline: 100 kB an hour to an API for ten hours before.
	var base []fr
	for h := range 10 {
		base = append(base, upload("10.0.0.8", 41000+h, "198.51.100.200", 100_000, 1, t0+int64(h)*3600, 60)...)
	}
	at := t0 + 11*3600 + 120
	recs := append(append([]fr{}, base...), upload("10.0.0.8", 40000, "203.0.113.200", 30_000_000, 10, at, 60)...)
	f := one(t, detect(t, newDetectCase(t, recs), nil, r), "10.0.0.8", "203.0.113.200")
	if f.Bytes.Int64() != 30_000_000 || f.Records != 10 || f.Severity != analysis.SeverityHigh || f.Technique != "T1048" || *f.DstPort != 443 ||
		fmt.Sprint(f.Details["baseline_bytes_per_window"]) != "100000" {
		t.Errorf("finding %+v %v", f, f.Details)
	}
	// Near miss: just under 20 MB in the hour.
	near := append(append([]fr{}, base...), upload("10.0.0.8", 40000, "203.0.113.200", 19_999_990, 10, at, 60)...)
	none(t, detect(t, newDetectCase(t, near), nil, r))
	// A host that sends 25 MB every hour: 25 MB is its normal.
	var busy []fr
	for h := range 12 {
		busy = append(busy, upload("10.0.0.9", 42000+h, fmt.Sprintf("198.51.100.%d", h%2), 25_000_000, 5, t0+int64(h)*3600, 60)...)
	}
	none(t, detect(t, newDetectCase(t, busy), nil, r))
	// A server's replies to a client that connected to it (an RDP screen,
	// a download) are not the server sending data out.
	var serve []fr
	for i := range 10 {
		q := tcp("198.51.100.9", 50000, "10.0.0.5", 3389, at+int64(i)*60, at+int64(i)*60+59, 100, 10000)
		serve = append(serve, q, q.reply(3000, 3_000_000))
	}
	none(t, detect(t, newDetectCase(t, serve), nil, r))
}

// TestRuleExfiltrationClasses: uploads to an AWS service (the records say
// S3) are neither exfiltration nor part of the baseline, so a host's nightly
// backups do not hide its upload elsewhere; a two-way stream (a video call)
// is not an upload (issue 15 item 3).
func TestRuleExfiltrationClasses(t *testing.T) {
	const r = analysis.RuleExfiltration
	const host = "10.0.0.8"
	// 400 MB to S3 every hour, over 8 addresses: its usual traffic.
	var recs []fr
	for h := range 12 {
		for i := range 8 {
			ts := t0 + int64(h)*3600 + int64(i)
			q := tcp(host, 40000+h*10+i, fmt.Sprintf("52.216.%d.%d", h, i+1), 443, ts, ts+600, 40000, 50_000_000).toService("S3")
			recs = append(recs, q, q.reply(1000, 100_000))
		}
	}
	none(t, detect(t, newDetectCase(t, recs), nil, r))
	// Plus 60 MB to one unknown address in an hour: found, although it is
	// far less than the hourly S3 traffic.
	at := t0 + 5*3600 + 300
	up := append(append([]fr{}, recs...), upload(host, 45000, "203.0.113.200", 60_000_000, 10, at, 60)...)
	f := one(t, detect(t, newDetectCase(t, up), nil, r), host, "203.0.113.200")
	if !strings.Contains(f.Summary, "not an AWS service") || f.Details["hosts_contacting_destination"] != int64(1) {
		t.Errorf("summary %q details %v", f.Summary, f.Details)
	}
	// A video call: 100 MB each way.
	var call []fr
	for i := range 10 {
		q := tcp(host, 46000, "198.51.100.30", 8801, at+int64(i)*60, at+int64(i)*60+59, 8000, 10_000_000)
		call = append(call, q, q.reply(8000, 10_000_000))
	}
	none(t, detect(t, newDetectCase(t, call), nil, r))
}

func TestRuleExfiltrationThroughNAT(t *testing.T) {
	const nat, host, dst = "10.0.0.220", "10.0.1.5", "203.0.113.200"
	at := t0 + 600
	var recs []fr
	for i := range 10 {
		ts := at + int64(i)*60
		own := tcp(host, 40000, dst, 443, ts, ts+59, 2200, 3_000_000).pkt(host, dst).on("eni-host")
		inside := tcp(host, 40000, nat, 443, ts, ts+59, 2200, 3_000_000).pkt(host, dst).on("eni-nat")
		outside := tcp(nat, 61000, dst, 443, ts, ts+59, 2200, 3_000_000).pkt(nat, dst).on("eni-nat")
		recs = append(recs, own, own.reply(10, 600), inside, outside)
	}
	c := newDetectCase(t, recs)
	fs := detect(t, c, nil, analysis.RuleExfiltration, analysis.RuleNATEgress)
	if len(fs) != 2 {
		t.Fatalf("%d findings: %s", len(fs), describe(fs))
	}
	for _, f := range fs {
		if f.Src != host || f.Dst != dst || f.Bytes.Int64() != 30_000_000 || f.Records != 10 {
			t.Errorf("%s: %s -> %s, %d records, %d bytes: counted more than once or attributed to the NAT", f.Rule, f.Src, f.Dst, f.Records, f.Bytes)
		}
	}
}

func TestRuleNATEgress(t *testing.T) {
	const r = analysis.RuleNATEgress
	const nat, host, dst = "10.0.0.220", "10.0.1.5", "203.0.113.5"
	leg := func(at int64, bytes int64, withPkt bool) []fr {
		inside := tcp(host, 40000, nat, 443, at, at+30, 100, bytes).on("eni-nat")
		outside := tcp(nat, 61000, dst, 443, at, at+30, 100, bytes).on("eni-nat")
		if withPkt {
			inside, outside = inside.pkt(host, dst), outside.pkt(nat, dst)
		}
		return []fr{inside, outside}
	}
	// Exactly the alarm threshold (>= 5,000,000) in one record.
	f := one(t, detect(t, newDetectCase(t, leg(t0, 5_000_000, true)), nil, r), host, dst)
	if f.Bytes.Int64() != 5_000_000 || f.Records != 1 || !strings.Contains(f.Summary, "NAT gateway "+nat) {
		t.Errorf("finding %+v", f)
	}
	none(t, detect(t, newDetectCase(t, leg(t0, 4_999_999, true)), nil, r))
	// Two halves 899 s apart are within 15 minutes; 900 s apart they are not.
	one(t, detect(t, newDetectCase(t, append(leg(t0, 2_500_000, true), leg(t0+899, 2_500_000, true)...)), nil, r), host, dst)
	none(t, detect(t, newDetectCase(t, append(leg(t0, 2_500_000, true), leg(t0+900, 2_500_000, true)...)), nil, r))
	// Without packet-level fields the NAT is unknown ...
	none(t, detect(t, newDetectCase(t, leg(t0, 6_000_000, false)), nil, r))
	// ... unless given; the actor is then the NAT itself.
	cfg := analysis.NewDetectConfig()
	cfg.NAT = []netip.Addr{netip.MustParseAddr(nat)}
	one(t, detect(t, newDetectCase(t, leg(t0, 6_000_000, false)), cfg, r), nat, dst)
}

// TestRuleNATEgressClasses: the NAT alarm leaves out S3, two-way streams
// and a destination the NAT sends to all day, and never names a host of
// another account as the sender (issue 15 items 3, 4).
func TestRuleNATEgressClasses(t *testing.T) {
	const r = analysis.RuleNATEgress
	const nat, host, dst = "10.0.0.220", "10.0.1.5", "203.0.113.5"
	cfg := analysis.NewDetectConfig()
	cfg.NAT = []netip.Addr{netip.MustParseAddr(nat)}
	// An upload through the NAT (default format: no packet-level fields),
	// seen on the host's own interface too; another account's host sends
	// to the same destination at the same time, on its own NAT.
	own := tcp(host, 40000, dst, 443, t0, t0+60, 5000, 8_000_000).on("eni-host")
	out := tcp(nat, 61000, dst, 443, t0, t0+60, 5000, 8_000_000).on("eni-nat")
	other := tcp("10.0.1.6", 40000, dst, 443, t0, t0+60, 9000, 9_000_000).on("eni-other").in("444455556666", "")
	f := one(t, detect(t, newDetectCase(t, []fr{own, own.reply(100, 9000), out, out.reply(100, 9000), other}), cfg, r), host, dst)
	if hb := f.Details["hosts_behind"].(map[string]*big.Int); len(hb) != 1 {
		t.Errorf("hosts behind %v: another account's host listed", hb)
	}
	// To S3; a video call (as much back); a log intake fed all day.
	s3 := tcp(nat, 61001, "52.216.1.2", 443, t0, t0+60, 5000, 8_000_000).on("eni-nat").toService("S3")
	call := tcp(nat, 61002, "198.51.100.30", 8801, t0, t0+60, 5000, 8_000_000).on("eni-nat")
	recs := []fr{s3, call, call.reply(5000, 8_000_000)}
	for h := range 24 {
		ts := t0 + int64(h)*3600
		recs = append(recs, tcp(nat, 61003, "198.51.100.40", 443, ts, ts+60, 5000, 6_000_000).on("eni-nat"))
	}
	none(t, detect(t, newDetectCase(t, recs), cfg, r))
}

func TestRuleBeaconing(t *testing.T) {
	const r = analysis.RuleBeaconing
	beacon := func(n int, period int64, jitter int64, seed uint64) []fr {
		rng := rand.New(rand.NewPCG(seed, 1))
		var out []fr
		ts := t0 + 23
		for i := range n {
			q := tcp("10.0.0.9", 33000+i, "203.0.113.50", 443, ts, ts+1, 5, 900)
			out = append(out, q, q.reply(4, 1200))
			ts += period
			if jitter > 0 {
				ts += rng.Int64N(2*jitter+1) - jitter
			}
		}
		return out
	}
	f := one(t, detect(t, newDetectCase(t, beacon(20, 300, 5, 1)), nil, r), "10.0.0.9", "203.0.113.50")
	if f.Records != 20 || f.Technique != "T1071.001" || f.Details["contacts"] != 20 {
		t.Errorf("finding %+v", f)
	}
	// Near miss: 9 contacts.
	none(t, detect(t, newDetectCase(t, beacon(9, 300, 5, 1)), nil, r))
	// Jitter of +-30% of the period (a median deviation near 15%) is a
	// beacon; +-70% (near 35%) is not.
	one(t, detect(t, newDetectCase(t, beacon(60, 300, 90, 2)), nil, r), "10.0.0.9", "203.0.113.50")
	none(t, detect(t, newDetectCase(t, beacon(60, 300, 210, 2)), nil, r))
	// Gaps of 255 and 345 s in turn: a median deviation of 15%. Reported
	// over 61 contacts; over 13 it could be chance, and is not.
	alternating := func(n int) []fr {
		var out []fr
		ts := t0
		for i := range n {
			out = append(out, tcp("10.0.0.9", 33000+i, "203.0.113.50", 443, ts, ts+1, 5, 900))
			ts += 300 + 45*int64(1-2*(i%2))
		}
		return out
	}
	one(t, detect(t, newDetectCase(t, alternating(61)), nil, r), "10.0.0.9", "203.0.113.50")
	none(t, detect(t, newDetectCase(t, alternating(13)), nil, r))
	// One long connection, logged every 60 s: one contact, not a beacon.
	var long []fr
	for i := range 60 {
		ts := t0 + int64(i)*60
		long = append(long, tcp("10.0.0.9", 33000, "203.0.113.50", 443, ts, ts+59, 40, 9000))
	}
	none(t, detect(t, newDetectCase(t, long), nil, r))
	// A UDP beacon from a fixed source port every 90 s.
	var udp []fr
	for i := range 30 {
		ts := t0 + int64(i)*90
		udp = append(udp, fr{eni: "eni-1", src: "10.0.0.9", sport: 5353, dst: "203.0.113.53", dport: 53, proto: 17, packets: 1, bytes: 80, start: ts, end: ts, flags: -1})
	}
	one(t, detect(t, newDetectCase(t, udp), nil, r), "10.0.0.9", "203.0.113.53")
}

// TestRuleBeaconingServices: periodic is not malicious (issue 15 item 5).
// An agent polling its AWS endpoint, NTP, and an update server that five
// hosts check every hour are services; one host's implant calling an
// address nobody else contacts every 5 minutes is a beacon.
func TestRuleBeaconingServices(t *testing.T) {
	var recs []fr
	every := func(src, dst string, port int, udp bool, n int, period int64, svc string) {
		for i := range n {
			ts := t0 + 7 + int64(i)*period
			q := tcp(src, 33000+i, dst, port, ts, ts+1, 5, 900).toService(svc)
			if udp {
				q.proto = 17
			}
			recs = append(recs, q, q.reply(4, 1200))
		}
	}
	every("10.0.0.5", "52.94.1.1", 443, false, 30, 300, "AMAZON")
	every("10.0.0.6", "203.0.113.123", 123, true, 30, 1024, "")
	for i := range 5 {
		every(fmt.Sprintf("10.0.0.%d", 11+i), "198.51.100.80", 443, false, 13, 3600+int64(i), "")
	}
	every("10.0.0.7", "198.51.100.99", 443, false, 30, 300, "")
	f := one(t, detect(t, newDetectCase(t, recs), nil, analysis.RuleBeaconing), "10.0.0.7", "198.51.100.99")
	if f.Details["destination_hosts"] != int64(1) || !strings.Contains(f.Summary, "not a known AWS service, and 1 of the") {
		t.Errorf("finding %+v", f)
	}
}

func TestRuleIOCContact(t *testing.T) {
	const r = analysis.RuleIOCContact
	cfg := analysis.NewDetectConfig()
	cfg.IOCs = []analysis.IOCRef{
		{Key: "198.51.100.128/25", ThreatIP: "198.51.100.128/25", Comment: "range"},
		{Key: "203.0.113.66", ThreatIP: "203.0.113.66", Comment: "C2"},
		{Key: "2001:db8:bad:1::66", ThreatIP: "2001:db8:bad:1::66", Comment: "v6"},
	}
	const nat = "10.0.0.220"
	var recs []fr
	// Network boundaries: .127 is outside the /25, .128 and .255 inside.
	for _, a := range []string{"198.51.100.127", "198.51.100.128", "198.51.100.255"} {
		q := tcp(a, 50000, "10.0.0.5", 443, t0, t0+2, 10, 1500)
		recs = append(recs, q, q.reply(10, 9000))
	}
	// The C2 through a NAT gateway: the host's own interface and the NAT's
	// inside leg name the host; the outside leg is skipped.
	q := tcp("10.0.1.7", 40000, "203.0.113.66", 8443, t0+100, t0+130, 20, 4000).pkt("10.0.1.7", "203.0.113.66")
	recs = append(recs, q, q.reply(20, 50000))
	in := tcp("10.0.1.7", 40000, nat, 8443, t0+100, t0+130, 20, 4000).pkt("10.0.1.7", "203.0.113.66").on("eni-nat")
	out := tcp(nat, 61000, "203.0.113.66", 8443, t0+100, t0+130, 20, 4000).pkt(nat, "203.0.113.66").on("eni-nat")
	recs = append(recs, in, out, out.reply(20, 50000), in.reply(20, 50000))
	// IPv6, and a string-prefix trap: 2001:db8:bad:1::6 is not ::66.
	q6 := tcp("2600:1f18::10", 50000, "2001:db8:bad:1::66", 443, t0+200, t0+201, 5, 700)
	trap := tcp("2600:1f18::10", 50001, "2001:db8:bad:1::6", 443, t0+200, t0+201, 5, 700)
	recs = append(recs, q6, q6.reply(5, 900), trap)
	fs := detect(t, newDetectCase(t, recs), cfg, r)
	got := map[string]analysis.Finding{}
	for _, f := range fs {
		got[f.Src+" "+f.Dst] = f
	}
	if len(fs) != 4 {
		t.Fatalf("%d findings: %s", len(fs), describe(fs))
	}
	for key, want := range map[string]struct {
		records int64
		dir     string
	}{
		"198.51.100.128 10.0.0.5":          {2, analysis.DirInbound},
		"198.51.100.255 10.0.0.5":          {2, analysis.DirInbound},
		"10.0.1.7 203.0.113.66":            {4, analysis.DirOutbound},
		"2600:1f18::10 2001:db8:bad:1::66": {2, analysis.DirOutbound},
	} {
		f, ok := got[key]
		if !ok {
			t.Errorf("no finding %s: %s", key, describe(fs))
			continue
		}
		if f.Records != want.records || f.Direction != want.dir || f.Severity == "" {
			t.Errorf("%s: %d records, direction %s; want %d, %s", key, f.Records, f.Direction, want.records, want.dir)
		}
	}
	if f := got["10.0.1.7 203.0.113.66"]; f.DstPort == nil || *f.DstPort != 8443 || f.Severity != analysis.SeverityHigh {
		t.Errorf("C2 finding: %+v", f)
	}
	// Without IOC lists the rule finds nothing.
	none(t, detect(t, newDetectCase(t, recs), nil, r))

	// An IOC address talking to more than max_hosts hosts is one finding.
	var sweep []fr
	for i := range 11 {
		q := tcp("203.0.113.66", 40000+i, fmt.Sprintf("10.0.4.%d", i+1), 22, t0+int64(i), t0+int64(i), 1, 60).reject()
		sweep = append(sweep, q)
	}
	f := one(t, detect(t, newDetectCase(t, sweep), cfg, r), "203.0.113.66", "")
	if f.Records != 11 || f.Severity != analysis.SeverityLow || len(f.Details["hosts"].([]string)) != 11 || *f.DstPort != 22 || f.Direction != analysis.DirInbound {
		t.Errorf("collapsed finding %+v", f)
	}
	// The other way: eleven hosts call the C2, which answers.
	var callers []fr
	for i := range 11 {
		q := tcp(fmt.Sprintf("10.0.5.%d", i+1), 50000+i, "203.0.113.66", 443, t0+int64(i), t0+int64(i)+5, 3, 300)
		callers = append(callers, q, q.reply(3, 900))
	}
	f = one(t, detect(t, newDetectCase(t, callers), cfg, r), "", "203.0.113.66")
	if f.Records != 22 || f.Severity != analysis.SeverityHigh || f.Direction != analysis.DirOutbound || f.DstPort == nil || *f.DstPort != 443 ||
		!strings.Contains(f.Summary, "11 hosts exchanged 22 records") || !strings.Contains(f.Summary, "the hosts initiated (to port 443)") {
		t.Errorf("collapsed outbound finding %+v", f)
	}
	if fs := detect(t, newDetectCase(t, sweep[:10]), cfg, r); len(fs) != 10 {
		t.Errorf("%d findings for 10 hosts, want one each", len(fs))
	}
}

func TestRuleExposedAdminPort(t *testing.T) {
	const r = analysis.RuleExposedPort
	var recs []fr
	rdp := tcp("203.0.113.10", 50000, "10.0.0.11", 3389, t0, t0+600, 3000, 400000)
	recs = append(recs, rdp, rdp.reply(5000, 9_000_000))
	// Scanner SYNs accepted but never answered; a rejected probe.
	recs = append(recs, tcp("198.51.100.1", 40000, "10.0.0.11", 22, t0, t0, 1, 40), tcp("198.51.100.2", 40000, "10.0.0.11", 23, t0, t0, 1, 40).reject())
	// An internal client to the host's RDP; an internal host's own SSH to
	// an internet server (the server's reply comes from port 22).
	lan := tcp("10.0.0.50", 50000, "10.0.0.11", 3389, t0, t0+60, 100, 5000)
	out := tcp("10.0.0.11", 45000, "198.51.100.40", 22, t0, t0+60, 100, 5000)
	recs = append(recs, lan, lan.reply(100, 5000), out, out.reply(100, 5000))
	// A database answering the internet.
	db := tcp("198.51.100.7", 51000, "10.0.0.12", 5432, t0, t0+5, 10, 900)
	recs = append(recs, db, db.reply(10, 900))
	fs := detect(t, newDetectCase(t, recs), nil, r)
	if len(fs) != 2 {
		t.Fatalf("%d findings: %s", len(fs), describe(fs))
	}
	// Sorted by severity: the database first.
	if fs[0].Src != "198.51.100.7" || fs[0].Dst != "10.0.0.12" || fs[0].Severity != analysis.SeverityHigh || fs[0].Technique != "T1190" {
		t.Errorf("database: %+v", fs[0])
	}
	if fs[1].Src != "203.0.113.10" || fs[1].Dst != "10.0.0.11" || *fs[1].DstPort != 3389 || fs[1].Technique != "T1133" || fs[1].Records != 1 {
		t.Errorf("rdp: %+v", fs[1])
	}
}

// TestRuleIOCBroad: a broad IOC entry (a /16 that also holds a SaaS) is one
// finding over all its addresses and hosts, one severity step lower; an
// address entry keeps its own findings and severity (issue 15 item 8).
func TestRuleIOCBroad(t *testing.T) {
	cfg := analysis.NewDetectConfig()
	cfg.IOCs = []analysis.IOCRef{{Key: "170.114.0.0/16", ThreatIP: "170.114.0.0/16"}, {Key: "203.0.113.66", ThreatIP: "203.0.113.66"}}
	var recs []fr
	for i := range 6 {
		for _, h := range []string{"10.0.0.31", "10.0.0.32", "10.0.0.33"} {
			q := tcp(h, 40000+i, fmt.Sprintf("170.114.%d.9", 10+i), 443, t0+int64(i)*60, t0+int64(i)*60+30, 100, 20000)
			recs = append(recs, q, q.reply(100, 50000))
		}
	}
	c2 := tcp("10.0.0.31", 45000, "203.0.113.66", 443, t0, t0+5, 10, 1500)
	recs = append(recs, c2, c2.reply(10, 900))
	fs := detect(t, newDetectCase(t, recs), cfg, analysis.RuleIOCContact)
	if len(fs) != 2 {
		t.Fatalf("%d findings, want one for the /16 and one for the address: %s", len(fs), describe(fs))
	}
	if fs[0].Dst != "203.0.113.66" || fs[0].Severity != analysis.SeverityHigh {
		t.Errorf("address entry: %+v", fs[0])
	}
	b := fs[1]
	if b.Src != "" || b.Dst != "" || b.Severity != analysis.SeverityMedium || len(b.Details["ioc_addresses"].([]string)) != 6 || len(b.Details["hosts"].([]string)) != 3 {
		t.Errorf("broad entry: %+v", b)
	}
}

// TestRuleExposedPortGrouped: an SSH server on the internet meets many
// actors; two servers of one account are one finding per port, with the
// actors counted and the busiest listed, and a reset from a closed port
// behind an open security group (TCP flags RST-ACK) is not an answer (issue
// 15 item 6).
func TestRuleExposedPortGrouped(t *testing.T) {
	const r = analysis.RuleExposedPort
	var recs []fr
	for i := range 30 {
		for _, h := range []string{"10.0.0.21", "10.0.0.22"} {
			a := fmt.Sprintf("198.51.100.%d", 10+i)
			for k := range 1 + i%3 {
				c := tcp(a, 40000+k, h, 22, t0+int64(60*i+k), t0+int64(60*i+k+5), 12, 2500)
				recs = append(recs, c, c.reply(12, 3000))
			}
		}
	}
	// Another account's SSH server: its own finding.
	o := tcp("203.0.113.9", 41000, "10.9.0.5", 22, t0, t0+9, 12, 2500).in("444455556666", "")
	recs = append(recs, o, o.reply(12, 3000))
	// Refused by the host (RST-ACK) on MySQL although the security group
	// accepts it: no finding for 3306.
	x := tcp("203.0.113.50", 42000, "10.0.0.21", 3306, t0, t0, 1, 44).withFlags(2)
	recs = append(recs, x, x.reply(1, 40).withFlags(20))
	fs := detect(t, newDetectCase(t, recs), nil, r)
	if len(fs) != 2 {
		t.Fatalf("%d findings, want one per account and port: %s", len(fs), describe(fs))
	}
	f := fs[0]
	if fs[0].Src != "" {
		f = fs[1]
	}
	if f.Src != "" || f.Dst != "" || *f.DstPort != 22 || f.Details["actor_count"] != int64(30) || f.Details["connections"] != int64(120) {
		t.Errorf("grouped: %+v", f)
	}
	if top := f.Details["top_actors"].([]string); len(top) != 5 || top[0] != "198.51.100.12" {
		t.Errorf("top actors %v, want 5 from 198.51.100.12 (3 connections to each host)", top)
	}
	if tg := f.Details["targets"].([]string); !slices.Equal(tg, []string{"10.0.0.21", "10.0.0.22"}) {
		t.Errorf("targets %v", tg)
	}
}

// TestInternalInference checks that a VPC's public IPv6 addresses, which no
// private range covers, are recognised as its own from the records.
func TestInternalInference(t *testing.T) {
	var recs []fr
	// The interface's IPv6 address appears in every one of its records,
	// with three different internet clients; each client sends 30 probes
	// to distinct ports, but only the first client probes enough.
	web := "2600:1f18:1:2::10"
	for i, cl := range []string{"2a02:8100::1", "2a02:8100::2", "2a02:8100::3"} {
		q := tcp(cl, 50000, web, 443, t0+int64(i), t0+int64(i)+1, 10, 3000).on("eni-web")
		recs = append(recs, q, q.reply(10, 30000))
	}
	for i := range 30 {
		recs = append(recs, tcp("2a02:8100::1", 40000, web, 1+i, t0+100+int64(i), t0+100+int64(i), 1, 80).reject().on("eni-web"))
	}
	c := newDetectCase(t, recs)
	f := one(t, detect(t, c, nil, analysis.RulePortScanVertical), "2a02:8100::1", web)
	if f.Direction != analysis.DirInbound {
		t.Errorf("direction %s: the interface's IPv6 address was not taken as internal", f.Direction)
	}
	cfg := analysis.NewDetectConfig()
	cfg.InferInterfaceAddresses = false
	if f := detect(t, c, cfg, analysis.RulePortScanVertical); len(f) != 1 || f[0].Direction != analysis.DirExternal {
		t.Errorf("without inference: %s", describe(f))
	}
}

func TestDetectCommandFlags(t *testing.T) {
	// Flags override the config file, which overrides the defaults; the
	// effective configuration prints in the file's layout and reads back.
	cfgFile := filepath.Join(t.TempDir(), "detect.json")
	os.WriteFile(cfgFile, []byte(`{"rules": {"port-scan-vertical": {"min_ports": 30, "max_gap": "5m"}, "beaconing": {"enabled": false}}}`), 0o644)
	code, out, errOut := run(t, "detect", "--config", cfgFile, "--port-scan-vertical-min-ports", "40", "--internal", "198.18.0.0/15", "--show-config")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	cfg := analysis.NewDetectConfig()
	if err := cfg.LoadJSON("printed", []byte(out)); err != nil {
		t.Fatalf("printed config does not read back: %v\n%s", err, out)
	}
	if cfg.Value(analysis.RulePortScanVertical, "min_ports") != int64(40) || cfg.Value(analysis.RulePortScanVertical, "max_gap") != int64(300) ||
		cfg.Enabled(analysis.RuleBeaconing) || len(cfg.Internal) != 1 {
		t.Errorf("effective config:\n%s", out)
	}
	for _, bad := range [][]string{
		{"--port-scan-vertical-min-ports", "many"},
		{"--rules", "port-scan-diagonal"},
		{"--internal", "10.0.0.1/8"},
		{"--nat", "gateway"},
		{"--since", "yesterday-ish"},
		{"--config", cfgFile + ".missing"},
	} {
		if code, _, _ := run(t, append([]string{"detect", "--show-config"}, bad...)...); code == 0 {
			t.Errorf("%v accepted", bad)
		}
	}
	code, out, _ = run(t, "detect", "--list-rules", "--format", "csv")
	if code != 0 || strings.Count(out, "\n") != 9 || !strings.Contains(out, "nat-egress,T1048,medium") {
		t.Errorf("--list-rules:\n%s", out)
	}
	_, help, _ := run(t, "detect", "--help")
	for _, r := range analysis.Rules() {
		for _, p := range r.Thresholds {
			if !strings.Contains(help, "--"+analysis.FlagName(r.Name, p.Name)) {
				t.Errorf("--help does not document --%s", analysis.FlagName(r.Name, p.Name))
			}
		}
	}
}

func TestDetectCommandStores(t *testing.T) {
	c := newDetectCase(t, probes("198.51.100.23", "10.0.0.5", 1, 25, t0, 2))
	dir := c.Dir
	c.Close()
	code, out, errOut := run(t, "detect", "--case", dir, "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "id,status,tags,rule,severity,technique,src,dst,dst_port,direction,first_seen,last_seen,records,bytes,summary,evidence_sql,details,notes,status_by,status_at\n") ||
		!regexp.MustCompile(`\n[0-9a-f]{12},open,\[\],port-scan-vertical,low,`).MatchString(out) || !strings.Contains(out, "port-scan-vertical,low,T1046,198.51.100.23,10.0.0.5,,inbound,") || !strings.Contains(errOut, "1 findings") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, stored, _ := run(t, "detect", "--case", dir, "--stored", "--format", "csv")
	if code != 0 || stored != out {
		t.Errorf("--stored differs from the run:\n%s\n%s", stored, out)
	}
	// Disabling the rule and rerunning the others keeps its finding.
	if code, _, errOut := run(t, "detect", "--case", dir, "--disable", analysis.RulePortScanVertical); code != 0 || !strings.Contains(errOut, "0 findings") {
		t.Fatalf("run without the rule: exit %d\n%s", code, errOut)
	}
	if _, stored, _ := run(t, "detect", "--case", dir, "--stored", "--format", "csv"); stored != out {
		t.Errorf("a run without the rule removed its finding:\n%s", stored)
	}
	if code, _, _ := run(t, "detect", "--case", dir, "--rules", analysis.RuleBeaconing, "--disable", analysis.RuleBeaconing); code != 2 {
		t.Errorf("no rule left: exit %d", code)
	}
}

// TestNATWithoutPacketFields: in AWS's default format there is no
// pkt-dstaddr, so the NAT gateway is recognised by the same host and source
// port reaching the internet (on the host's interface) and the NAT (on the
// NAT's inside leg); its outside leg is then skipped, and an internal load
// balancer that a client reaches from a reused port now and then is not a NAT.
func TestNATWithoutPacketFields(t *testing.T) {
	const nat, host, alb = "10.0.0.220", "10.0.1.5", "10.0.0.50"
	var recs []fr
	for i := range 12 {
		ts := t0 + int64(i)*70
		dst := fmt.Sprintf("198.51.100.%d", 10+i%3)
		bytes := int64(100_000)
		if i < 4 {
			dst, bytes = "203.0.113.200", 8_000_000 // the exfiltration
		}
		own := tcp(host, 40000+i, dst, 443, ts, ts+30, bytes/1400+2, bytes).on("eni-host")
		in := tcp(host, 40000+i, nat, 443, ts, ts+30, bytes/1400+2, bytes).on("eni-nat")
		out := tcp(nat, 61000+i, dst, 443, ts, ts+30, bytes/1400+2, bytes).on("eni-nat")
		recs = append(recs, own, own.reply(10, 500), in, out)
	}
	// 40 connections to an internal load balancer on 443; 12 reuse, at the
	// same time, a source port the host used towards the internet: enough
	// matches to be a candidate, but under half of its connections, so not
	// a NAT.
	for i := range 40 {
		ts := t0 + 1000 + int64(i)*20
		sport := 50000 + i
		if i < 12 {
			ts, sport = t0+int64(i)*70+5, 40000+i
		}
		recs = append(recs, tcp(host, sport, alb, 443, ts, ts+1, 5, 900).on("eni-host"))
	}
	c := newDetectCase(t, recs)
	ctx := context.Background()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := analysis.NewDetectConfig()
	cfg.OnlyRules([]string{analysis.RuleExfiltration, analysis.RuleNATEgress})
	res, err := analysis.Detect(ctx, s, cfg)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.NAT, ",") != nat {
		t.Fatalf("NAT addresses %v, want [%s]", res.NAT, nat)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("%d findings: %s", len(res.Findings), describe(res.Findings))
	}
	for _, f := range res.Findings {
		checkEvidence(t, c, f)
		if f.Src != host || f.Dst != "203.0.113.200" || f.Bytes.Int64() != 32_000_000 {
			t.Errorf("%s: %s -> %s, %d bytes", f.Rule, f.Src, f.Dst, f.Bytes)
		}
	}
}

// TestDetectRerunWindow reproduces issue 12.1: a full run, then a rerun of
// one rule over a later window, must keep the findings the rerun did not
// examine (an earlier brute force), replace the ones it did, and say so per
// rule; a finding across the window's edge is kept, and the rerun's partial
// view of it is not stored beside it; --no-store changes nothing.
func TestDetectRerunWindow(t *testing.T) {
	const day = int64(86400)
	recs := sessions("192.0.2.45", "10.0.0.7", 22, 30, t0, 60, 3, 3000)                         // day 1, 30 minutes
	recs = append(recs, sessions("203.0.113.10", "10.0.0.8", 3389, 25, t0+day, 10, 3, 3000)...) // day 2
	recs = append(recs, probes("198.51.100.23", "10.0.0.5", 1, 25, t0+day, 2)...)               // day 2, another rule
	c := newDetectCase(t, recs)
	dir := c.Dir
	c.Close()
	// The stored findings, without evidence_sql (a rerun's names its window).
	stored := func() string {
		t.Helper()
		return mustRun(t, "sql", "--case", dir, "--format", "csv",
			"SELECT rule, src, dst, dst_port, first_seen, last_seen, records, bytes FROM findings ORDER BY ALL")
	}
	mustRun(t, "detect", "--case", dir)
	full := stored()
	if strings.Count(full, "\nbrute-force,") != 2 || strings.Count(full, "\nport-scan-vertical,") != 1 {
		t.Fatalf("the full run stored:\n%s", full)
	}
	since := time.Unix(t0+day, 0).UTC().Format(time.RFC3339)
	code, _, errOut := run(t, "detect", "--case", dir, "--since", since, "--rules", analysis.RuleBruteForce)
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, errOut)
	}
	if after := stored(); after != full {
		t.Errorf("the rerun over day 2 changed the stored findings:\nbefore\n%s\nafter\n%s", full, after)
	}
	if !strings.Contains(errOut, "brute-force            1 stored, 1 replaced, 1 kept") ||
		!strings.Contains(errOut, "wholly inside the window from "+since) {
		t.Errorf("the rerun does not say what it replaced:\n%s", errOut)
	}
	// A window starting in the middle of the first burst: that finding is
	// across its edge, kept whole; the rerun's part of it is not stored.
	mid := time.Unix(t0+300, 0).UTC().Format(time.RFC3339)
	code, _, errOut = run(t, "detect", "--case", dir, "--since", mid, "--rules", analysis.RuleBruteForce)
	if code != 0 || !strings.Contains(errOut, "1 stored, 1 replaced, 1 kept (outside the window or across its edge), 1 not stored") {
		t.Errorf("rerun from mid-burst: exit %d\n%s", code, errOut)
	}
	if after := stored(); after != full {
		t.Errorf("the rerun from mid-burst changed the stored findings:\nbefore\n%s\nafter\n%s", full, after)
	}
	// --no-store prints the findings and stores nothing, not even a run.
	code, out, errOut := run(t, "detect", "--case", dir, "--no-store", "--rules", analysis.RuleBruteForce, "--until", since, "--format", "csv")
	// Rows begin with the finding id, its triage status and tags, then the rule.
	if code != 0 || len(regexp.MustCompile(`(?m)^[0-9a-f]{12},[^,]*,[^,]*,brute-force,`).FindAllString(out, -1)) != 1 || !strings.Contains(errOut, "not stored") {
		t.Errorf("--no-store: exit %d\n%s\n%s", code, out, errOut)
	}
	if after := stored(); after != full {
		t.Errorf("--no-store changed the stored findings:\n%s", after)
	}
	runs := mustRun(t, "sql", "--case", dir, "--format", "csv", "SELECT count(*) AS n FROM detect_runs")
	if runs != "n\n3\n" {
		t.Errorf("detect runs recorded: %q, want 3 (--no-store records none)", runs)
	}
	if code, _, _ := run(t, "detect", "--case", dir, "--no-store", "--stored"); code != 2 {
		t.Errorf("--no-store with --stored: exit %d, want 2", code)
	}
}

// TestRuleConvention checks issue 12.3's convention on every rule: src is
// the actor that opened the connections, dst the target they were opened
// to, dst_port its port, direction the connections' direction from the
// monitored network; and the ASFF export's Network fields follow the
// connection (Source = the actor, Destination = the target, Direction IN or
// OUT), including ioc-contact both ways, where the export used to swap them.
func TestRuleConvention(t *testing.T) {
	const nat = "10.0.0.220"
	iocs := []analysis.IOCRef{{Key: "203.0.113.66", ThreatIP: "203.0.113.66", Comment: "C2"},
		{Key: "198.51.100.128/25", ThreatIP: "198.51.100.128/25", Comment: "range"}}
	var sweep, beacon, c2, c2replies, range443, natLeg, exposed, lateral []fr
	for i := range 25 {
		ts := t0 + int64(i)*3
		sweep = append(sweep, tcp("198.51.100.77", 1024+i, fmt.Sprintf("10.0.1.%d", 10+i), 445, ts, ts, 1, 44).reject())
	}
	for i := range 40 {
		ts := t0 + int64(i)*300
		q := tcp("10.0.2.63", 40000+i, "203.0.113.50", 443, ts, ts+1, 5, 900)
		beacon = append(beacon, q, q.reply(5, 3000))
	}
	// 10.0.1.7 connects out to the C2 through a NAT gateway (the issue's
	// case); another host's records hold only the C2's replies.
	q := tcp("10.0.1.7", 40000, "203.0.113.66", 8443, t0+100, t0+130, 20, 4000).pkt("10.0.1.7", "203.0.113.66")
	in := tcp("10.0.1.7", 40000, nat, 8443, t0+100, t0+130, 20, 4000).pkt("10.0.1.7", "203.0.113.66").on("eni-nat")
	c2 = append(c2, q, q.reply(20, 50000), in, in.reply(20, 50000))
	c2replies = append(c2replies, tcp("10.0.1.8", 41000, "203.0.113.66", 443, t0, t0+5, 4, 300).reply(6, 9000))
	// An address of the IOC range connects in to a web server.
	w := tcp("198.51.100.140", 50000, "10.0.0.5", 443, t0, t0+2, 10, 1500)
	range443 = append(range443, w, w.reply(10, 9000))
	natLeg = append(natLeg,
		tcp("10.0.1.5", 40000, nat, 443, t0, t0+30, 5000, 6_000_000).pkt("10.0.1.5", "203.0.113.5").on("eni-nat"),
		tcp(nat, 61000, "203.0.113.5", 443, t0, t0+30, 5000, 6_000_000).pkt(nat, "203.0.113.5").on("eni-nat"))
	rdp := tcp("203.0.113.10", 50000, "10.0.0.11", 3389, t0, t0+600, 3000, 400000)
	exposed = append(exposed, rdp, rdp.reply(5000, 9_000_000))
	lateral = sessions("10.0.0.9", "10.0.0.7", 22, 20, t0, 10, 3, 3000)

	for _, c := range []struct {
		name, rule  string
		recs        []fr
		src, dst    string
		port        int // 0: none
		dir         string
		asffDir     string // "" for none
		asffSrcPort int
	}{
		{"vertical scan", analysis.RulePortScanVertical, probes("198.51.100.23", "10.0.0.5", 1, 25, t0, 2),
			"198.51.100.23", "10.0.0.5", 0, analysis.DirInbound, "IN", 40000},
		{"horizontal scan", analysis.RulePortScanHorizontal, sweep, "198.51.100.77", "", 445, analysis.DirInbound, "IN", 0},
		{"brute force", analysis.RuleBruteForce, sessions("192.0.2.45", "10.0.0.7", 22, 20, t0, 10, 3, 3000),
			"192.0.2.45", "10.0.0.7", 22, analysis.DirInbound, "IN", 0},
		{"lateral brute force", analysis.RuleBruteForce, lateral, "10.0.0.9", "10.0.0.7", 22, analysis.DirInternal, "", 0},
		{"exfiltration", analysis.RuleExfiltration, upload("10.0.0.8", 40000, "203.0.113.200", 30_000_000, 10, t0, 60),
			"10.0.0.8", "203.0.113.200", 443, analysis.DirOutbound, "OUT", 40000},
		{"NAT egress", analysis.RuleNATEgress, natLeg, "10.0.1.5", "203.0.113.5", 443, analysis.DirOutbound, "OUT", 0},
		{"beaconing", analysis.RuleBeaconing, beacon, "10.0.2.63", "203.0.113.50", 443, analysis.DirOutbound, "OUT", 0},
		{"IOC contact, host to C2", analysis.RuleIOCContact, c2, "10.0.1.7", "203.0.113.66", 8443, analysis.DirOutbound, "OUT", 40000},
		{"IOC contact, replies only", analysis.RuleIOCContact, c2replies, "10.0.1.8", "203.0.113.66", 0, analysis.DirOutbound, "OUT", 0},
		{"IOC contact, IOC to host", analysis.RuleIOCContact, range443, "198.51.100.140", "10.0.0.5", 443, analysis.DirInbound, "IN", 50000},
		{"exposed port", analysis.RuleExposedPort, exposed, "203.0.113.10", "10.0.0.11", 3389, analysis.DirInbound, "IN", 50000},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := analysis.NewDetectConfig()
			cfg.IOCs = iocs
			cs := newDetectCase(t, c.recs)
			f := one(t, detect(t, cs, cfg, c.rule), c.src, c.dst)
			if port := 0; f.DstPort != nil {
				port = *f.DstPort
				if port != c.port {
					t.Errorf("dst_port %d, want %d", port, c.port)
				}
			} else if c.port != 0 {
				t.Errorf("no dst_port, want %d", c.port)
			}
			if f.Direction != c.dir {
				t.Errorf("direction %s, want %s", f.Direction, c.dir)
			}
			as, err := findingsASFF(context.Background(), cs, cs.Dir, casework.NewFindings([]analysis.Finding{f}), "", "us-east-1", time.Unix(t0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 || as[0].Network == nil && c.asffDir != "" {
				t.Fatalf("ASFF %+v", as)
			}
			n := as[0].Network
			if n == nil {
				n = &inventory.ASFFNetwork{}
			}
			got := fmt.Sprintf("%s %s:%s -> %s:%s", n.Direction, n.SourceIpV4, intText(n.SourcePort), n.DestinationIpV4, intText(n.DestinationPort))
			want := fmt.Sprintf("%s %s:%s -> %s:%s", c.asffDir, c.src, intText(nonZero(c.asffSrcPort)), c.dst, intText(nonZero(c.port)))
			if got != want {
				t.Errorf("ASFF Network %s, want %s", got, want)
			}
		})
	}
}

func nonZero(i int) *int {
	if i == 0 {
		return nil
	}
	return &i
}

func intText(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

// TestASFFPlacement reproduces issue 12.2: each ASFF finding takes the
// account and Region of its own evidence records, not the case's most
// common ones; a finding whose records span several becomes one ASFF
// finding per account and Region, with unique, stable ids.
func TestASFFPlacement(t *testing.T) {
	const a, b, c = "111122223333", "444455556666", "777788889999"
	var recs []fr
	// Most records: ordinary traffic in account a, us-east-1.
	for i := range 20 {
		q := tcp(fmt.Sprintf("10.0.9.%d", i%50), 40000+i, "10.0.9.200", 443, t0+int64(i), t0+int64(i)+1, 5, 900).in(a, "us-east-1")
		recs = append(recs, q, q.reply(5, 900))
	}
	// An exfiltration logged in account b, eu-west-1.
	for _, x := range upload("10.1.0.8", 40000, "203.0.113.200", 30_000_000, 10, t0, 60) {
		recs = append(recs, x.in(b, "eu-west-1"))
	}
	// A sweep over hosts of two accounts: 15 in a/us-east-1, 10 in c/ap-southeast-2.
	for i := range 25 {
		ts := t0 + int64(i)*3
		x := tcp("198.51.100.77", 1024+i, fmt.Sprintf("10.2.1.%d", 10+i), 445, ts, ts, 1, 44).reject().in(a, "us-east-1")
		if i >= 15 {
			x = x.in(c, "ap-southeast-2")
		}
		recs = append(recs, x)
	}
	cs := newDetectCase(t, recs)
	dir := cs.Dir
	cs.Close()
	type asff struct {
		Findings []struct {
			Id, GeneratorId, AwsAccountId, Region, ProductArn string
			FirstObservedAt, LastObservedAt                   string
			ProductFields                                     map[string]string
		}
	}
	var doc asff
	out := mustRun(t, "detect", "--case", dir, "--rules", "exfiltration,port-scan-horizontal", "--format", "asff")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	ids := map[string]bool{}
	for _, f := range doc.Findings {
		got = append(got, fmt.Sprintf("%s %s %s %s", f.GeneratorId, f.AwsAccountId, f.Region, f.ProductFields["flowir/evidence_records"]))
		if ids[f.Id] {
			t.Errorf("duplicate Id %s", f.Id)
		}
		ids[f.Id] = true
		if !strings.Contains(f.ProductArn, ":"+f.Region+":"+f.AwsAccountId+":") {
			t.Errorf("%s: ProductArn %s is not in its account and Region", f.Id, f.ProductArn)
		}
	}
	slices.Sort(got)
	want := []string{
		"flowir/exfiltration 444455556666 eu-west-1 10",
		"flowir/port-scan-horizontal 111122223333 us-east-1 15",
		"flowir/port-scan-horizontal 777788889999 ap-southeast-2 10",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ASFF findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The same ids from findings export, every time.
	var again asff
	if err := json.Unmarshal([]byte(mustRun(t, "findings", "export", "--case", dir)), &again); err != nil || len(again.Findings) != len(doc.Findings) {
		t.Fatalf("findings export: %v, %d findings", err, len(again.Findings))
	}
	for _, f := range again.Findings {
		if !ids[f.Id] {
			t.Errorf("findings export gives Id %s, detect gave %v", f.Id, ids)
		}
	}
}

// FuzzDetectConfig (issue 17.21) drives the path from a config file to a
// detection run on a small case that every rule has something to find in:
// a config the validator accepts must run every rule without an error and
// give findings whose details can be stored (a beacon period of 0 once gave
// a NaN jitter that failed the whole run).
func FuzzDetectConfig(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"rules": {"beaconing": {"min_period": "0s"}}}`,
		`{"rules": {"beaconing": {"min_period": "0s", "min_contacts": 1}}}`,
		`{"rules": {"beaconing": {"min_period": "1s", "min_contacts": 3, "merge_within": "1h", "max_jitter": 1, "full_contacts": 0}}}`,
		`{"rules": {"exfiltration": {"window": 1, "min_bytes": 1, "baseline_factor": 0}, "nat-egress": {"window": "1s", "min_bytes": 1}}}`,
		`{"rules": {"port-scan-vertical": {"min_ports": 2, "max_gap": 0, "probe_max_packets": 0}, "port-scan-horizontal": {"min_hosts": 2, "min_unique_ratio": 0}}}`,
		`{"rules": {"brute-force": {"min_attempts": 2, "max_duration": 0, "max_bytes": 0, "ports": [], "external_ports": [22]}}}`,
		`{"rules": {"ioc-contact": {"max_hosts": 1}, "exposed-admin-port": {"admin_ports": [], "database_ports": []}}}`,
		`{"internal": ["0.0.0.0/0", "::/0"], "nat": ["10.0.0.220"], "infer_interface_addresses": false}`,
	} {
		f.Add([]byte(s))
	}
	var recs []fr
	recs = append(recs, probes("198.51.100.23", "10.0.0.5", 1, 25, t0, 2)...)
	recs = append(recs, sessions("192.0.2.45", "10.0.0.7", 22, 25, t0, 10, 3, 3000)...)
	recs = append(recs, upload("10.0.0.8", 40000, "203.0.113.200", 30_000_000, 10, t0, 60)...)
	for i := range 25 {
		ts := t0 + int64(i)*300 + int64(i%3)
		q := tcp("10.0.2.63", 40000+i, "203.0.113.66", 443, ts, ts+1, 5, 900)
		recs = append(recs, q, q.reply(5, 3000), tcp("198.51.100.77", 1024+i, fmt.Sprintf("10.0.1.%d", 10+i), 445, ts, ts, 1, 44).reject())
	}
	recs = append(recs,
		tcp("10.0.1.5", 40000, "10.0.0.220", 443, t0, t0+30, 5000, 6_000_000).pkt("10.0.1.5", "203.0.113.5").on("eni-nat"),
		tcp("10.0.0.220", 61000, "203.0.113.5", 443, t0, t0+30, 5000, 6_000_000).pkt("10.0.0.220", "203.0.113.5").on("eni-nat"))
	c := newDetectCase(f, recs)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := analysis.NewDetectConfig()
		if err := cfg.LoadJSON("fuzz.json", data); err != nil {
			return
		}
		cfg.IOCs = []analysis.IOCRef{{Key: "203.0.113.66", ThreatIP: "203.0.113.66"}}
		ctx := context.Background()
		s, err := c.NewSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := analysis.Detect(ctx, s, cfg)
		s.Close()
		if err != nil {
			t.Fatalf("config %s accepted, but detect fails: %v", data, err)
		}
		for _, fd := range res.Findings {
			if _, err := json.Marshal(fd.Details); err != nil {
				t.Fatalf("config %s: %s finding's details cannot be stored: %v", data, fd.Rule, err)
			}
		}
	})
}
