package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// End-to-end tests of ioc, detect and investigate on generated corpora:
// busy background traffic (internet clients, scanners, NAT and gateway
// endpoint traffic, pooled database connections, administrators' SSH, a host
// whose egress is blocked, ...) and the planted incidents of
// internal/demo, whose ground truth the generator computed while writing the
// records, independently of flowir's SQL.

// flowirRun runs flowir in-process and fails the test on a non-zero exit.
func flowirRun(t *testing.T, args ...string) string {
	t.Helper()
	ios, _, out, errOut := output.Test()
	if code := Run(context.Background(), args, ios); code != 0 {
		t.Fatalf("flowir %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out.String()
}

// detectDemoCase generates a corpus and ingests it into a new case.
func detectDemoCase(t *testing.T, cfg demo.Config) (string, string, *demo.Truth) {
	t.Helper()
	dir := t.TempDir()
	cfg.Dir = filepath.Join(dir, "logs")
	truth, err := demo.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(dir, "case")
	flowirRun(t, "ingest", "--case", caseDir, cfg.Dir)
	return cfg.Dir, caseDir, truth
}

// jsonFinding is a finding as `flowir detect --format json` prints it.
type jsonFinding struct {
	Rule        string         `json:"rule"`
	Severity    string         `json:"severity"`
	Technique   string         `json:"technique"`
	Src         string         `json:"src"`
	Dst         string         `json:"dst"`
	DstPort     *int           `json:"dst_port"`
	Direction   string         `json:"direction"`
	FirstSeen   time.Time      `json:"first_seen"`
	LastSeen    time.Time      `json:"last_seen"`
	Records     int64          `json:"records"`
	Bytes       *big.Int       `json:"bytes"`
	Summary     string         `json:"summary"`
	EvidenceSQL string         `json:"evidence_sql"`
	Details     map[string]any `json:"details"`
}

// incidentRule is the rule that must report each planted incident.
var incidentRule = map[string]string{
	"ssh-brute-force":      analysis.RuleBruteForce,
	"port-scan-vertical":   analysis.RulePortScanVertical,
	"port-scan-horizontal": analysis.RulePortScanHorizontal,
	"exfiltration":         analysis.RuleExfiltration,
	"rdp-exposed":          analysis.RuleExposedPort,
	"beaconing":            analysis.RuleBeaconing,
	"ioc-contact":          analysis.RuleIOCContact,
}

// backgroundFinding reports whether a finding that matches no incident is
// one of the documented findings on the demo's background: the
// administrators' office reaching the bastions' SSH from the internet (which
// is true: those ports are open to that address). Exposure findings are one
// per account and port, so the office is one of the finding's actors (with
// the SSH brute-forcer, which came in through the same port).
func backgroundFinding(f jsonFinding) bool {
	if f.Rule != analysis.RuleExposedPort || f.DstPort == nil || *f.DstPort != 22 {
		return false
	}
	if f.Src == "81.2.69.160" {
		return true
	}
	top, _ := f.Details["top_actors"].([]any)
	return slices.ContainsFunc(top, func(a any) bool { return a == "81.2.69.160" })
}

// findingTargets returns the targets a finding names: dst, or for a finding
// with many targets the list in its details.
func findingTargets(f jsonFinding) []string {
	if f.Dst != "" {
		return []string{f.Dst}
	}
	var out []string
	if l, ok := f.Details["targets"].([]any); ok {
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// related reports whether a finding is about incident m: its actor is one of
// m's actors and its targets are m's targets, or the reverse (the
// ioc-contact incident names the IOC address first, its findings the side
// that opened the connections).
func related(f jsonFinding, m demo.Incident) bool {
	ts := findingTargets(f)
	if len(ts) == 0 {
		return false
	}
	all := func(xs, in []string) bool {
		for _, x := range xs {
			if !slices.Contains(in, x) {
				return false
			}
		}
		return true
	}
	return slices.Contains(m.Actors, f.Src) && all(ts, m.Targets) ||
		slices.Contains(m.Targets, f.Src) && all(ts, m.Actors)
}

// v2Accounts are the default accounts with AWS's default (version 2)
// format everywhere: no packet-level addresses, no flow direction, no TCP
// flags.
func v2Accounts() []demo.Account {
	accs := demo.DefaultAccounts()
	for i := range accs {
		accs[i].Format = ""
	}
	return accs
}

func TestDetectEndToEnd(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  demo.Config
	}{
		{"seed1", demo.Config{Seed: 1, Records: 60000}},
		{"seed7", demo.Config{Seed: 7, Records: 60000}},
		{"v2-only", demo.Config{Seed: 5, Records: 60000, Accounts: v2Accounts()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs, caseDir, truth := detectDemoCase(t, c.cfg)
			checkIOCSummary(t, logs, caseDir, truth)

			out := flowirRun(t, "detect", "--case", caseDir, "--format", "json")
			var fs []jsonFinding
			if err := json.Unmarshal([]byte(out), &fs); err != nil {
				t.Fatalf("detect --format json: %v\n%s", err, out)
			}
			// Every incident found by its rule, with the right actor and
			// targets (all of them, for the horizontal scan).
			for _, m := range truth.Incidents {
				rule := incidentRule[m.ID]
				if m.ID == "ioc-contact" {
					// The truth names the IOC address first; a finding names
					// first the side that opened the connections: the IOC
					// address connecting in, or the host connecting out.
					for i, a := range m.Actors {
						found := false
						for _, f := range fs {
							found = found || f.Rule == rule && (f.Src == a && f.Dst == m.Targets[i] && f.Direction == analysis.DirInbound ||
								f.Src == m.Targets[i] && f.Dst == a && f.Direction == analysis.DirOutbound)
						}
						if !found {
							t.Errorf("ioc-contact %s -> %s not reported", a, m.Targets[i])
						}
					}
					continue
				}
				found := false
				for _, f := range fs {
					if f.Rule == rule && slices.Contains(m.Actors, f.Src) {
						ts := findingTargets(f)
						slices.Sort(ts)
						want := slices.Sorted(slices.Values(m.Targets))
						found = found || slices.Equal(ts, want)
					}
				}
				if !found {
					t.Errorf("incident %s (%s -> %v) not reported by %s", m.ID, m.Actors, m.Targets, rule)
				}
			}
			// Nothing else, apart from the documented background finding.
			for _, f := range fs {
				ok := backgroundFinding(f)
				for _, m := range truth.Incidents {
					ok = ok || related(f, m)
				}
				if !ok {
					t.Errorf("unrelated finding: %s %s %s -> %s: %s", f.Rule, f.Severity, f.Src, f.Dst, f.Summary)
				}
				if f.Technique == "" || f.Severity == "" || f.Summary == "" || f.Records == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			// Every evidence query returns exactly its finding's records.
			c, err := store.Open(context.Background(), caseDir, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				var port *int
				if f.DstPort != nil {
					port = f.DstPort
				}
				checkEvidence(t, c, analysis.Finding{Rule: f.Rule, Src: f.Src, Dst: f.Dst, DstPort: port, Records: f.Records, Bytes: f.Bytes, EvidenceSQL: f.EvidenceSQL})
			}
			stored, err := c.Findings(context.Background(), nil)
			c.Close()
			if err != nil || len(stored) != len(fs) {
				t.Fatalf("stored findings: %d, %v; printed %d", len(stored), err, len(fs))
			}
			// A rerun replaces the findings of the rules it runs.
			flowirRun(t, "detect", "--case", caseDir, "--format", "json")
			flowirRun(t, "detect", "--case", caseDir, "--rules", analysis.RuleBeaconing)
			out = flowirRun(t, "detect", "--case", caseDir, "--stored", "--format", "json")
			var again []jsonFinding
			if err := json.Unmarshal([]byte(out), &again); err != nil || len(again) != len(fs) {
				t.Errorf("after reruns the case holds %d findings, want %d (%v)", len(again), len(fs), err)
			}

			checkInvestigate(t, caseDir, truth)
		})
	}
}

// checkIOCSummary loads the corpus's IOC lists and compares the summary
// with the generator's per-entry truth.
func checkIOCSummary(t *testing.T, logs, caseDir string, truth *demo.Truth) {
	t.Helper()
	flowirRun(t, "ioc", "--case", caseDir, filepath.Join(logs, demo.IOCCSVFile))
	out := flowirRun(t, "ioc", "--case", caseDir, "--format", "json", filepath.Join(logs, demo.IOCTxtFile))
	var sums []struct {
		ThreatIP   string     `json:"threat_ip"`
		Comment    string     `json:"threat_comment"`
		Records    int64      `json:"records"`
		Inbound    int64      `json:"inbound"`
		Outbound   int64      `json:"outbound"`
		Accepted   int64      `json:"accepted"`
		Rejected   int64      `json:"rejected"`
		BytesIn    int64      `json:"bytes_in"`
		BytesOut   int64      `json:"bytes_out"`
		Packets    int64      `json:"packets"`
		PktRecords int64      `json:"pkt_records"`
		FirstSeen  *time.Time `json:"first_seen"`
		LastSeen   *time.Time `json:"last_seen"`
		Sources    []string   `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &sums); err != nil {
		t.Fatalf("ioc --format json: %v\n%s", err, out)
	}
	// The summary lists the indicators with records, in load order
	// (issue 17.24: the others are only counted).
	var matched []demo.IOCMatch
	for _, w := range truth.IOCs {
		if w.Records > 0 || w.PktRecords > 0 {
			matched = append(matched, w)
		}
	}
	if len(sums) != len(matched) {
		t.Fatalf("%d IOC rows, truth has %d indicators with records (the two lists hold the same entries: no duplicates)", len(sums), len(matched))
	}
	for i, w := range matched {
		g := sums[i]
		if g.ThreatIP != w.IOC || g.Comment != w.Comment || g.Records != w.Records || g.Inbound != w.Inbound || g.Outbound != w.Outbound ||
			g.Accepted != w.Accepted || g.Rejected != w.Rejected || g.BytesIn+g.BytesOut != w.Bytes || g.Packets != w.Packets ||
			g.PktRecords != w.PktRecords || len(g.Sources) != 2 {
			t.Errorf("IOC %s:\n got %+v\nwant %+v", w.IOC, g, w)
		}
		if w.Records > 0 && (g.FirstSeen == nil || g.FirstSeen.Unix() != w.FirstStart || g.LastSeen.Unix() != w.LastEnd) {
			t.Errorf("IOC %s: first/last %v %v, want %d %d", w.IOC, g.FirstSeen, g.LastSeen, w.FirstStart, w.LastEnd)
		}
	}
	// The view's rows: the playbook's direction per record, seen from the
	// monitored network, and exactly the records of the truth.
	rows := flowirRun(t, "sql", "--case", caseDir, "--format", "json",
		`SELECT threat_ip, direction, count(*) AS n FROM incident_vpc_flow_directional WHERE matched_on IN ('srcaddr', 'dstaddr') GROUP BY ALL ORDER BY ALL`)
	var dirs []struct {
		ThreatIP  string `json:"threat_ip"`
		Direction string `json:"direction"`
		N         int64  `json:"n"`
	}
	if err := json.Unmarshal([]byte(rows), &dirs); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		for _, w := range truth.IOCs {
			if w.IOC == d.ThreatIP && (d.Direction == "INBOUND" && d.N != w.Inbound || d.Direction == "OUTBOUND" && d.N != w.Outbound) {
				t.Errorf("view: %s %s %d rows; truth inbound %d outbound %d", d.ThreatIP, d.Direction, d.N, w.Inbound, w.Outbound)
			}
		}
	}
}

// checkInvestigate compares investigate's data-ratio table with the truth.
func checkInvestigate(t *testing.T, caseDir string, truth *demo.Truth) {
	t.Helper()
	out := flowirRun(t, "investigate", truth.DataRatio.IP, "--case", caseDir, "--format", "json", "--limit", "1000")
	var inv analysis.Investigation
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("investigate --format json: %v\n%s", err, out)
	}
	if len(inv.DataRatio) != len(truth.DataRatio.Pairs) {
		t.Fatalf("data ratio: %d pairs, truth %d", len(inv.DataRatio), len(truth.DataRatio.Pairs))
	}
	var records int64
	for i, w := range truth.DataRatio.Pairs {
		g := inv.DataRatio[i]
		if g.Src != w.Src || g.Dst != w.Dst || g.RecordCount != w.Records || g.TotalBytes.Int64() != w.TotalBytes || g.DataRatio.Int64() != w.Ratio ||
			g.FirstSeen.Unix() != w.FirstStart || g.LastSeen.Unix() != w.LastEnd {
			t.Errorf("data ratio row %d: got %+v, want %+v", i, g, w)
		}
		records += w.Records
	}
	if inv.Overview.Records != records {
		t.Errorf("overview: %d records, the pairs hold %d", inv.Overview.Records, records)
	}
}

// TestDetectBackgroundOnly runs the detections over a corpus with no
// incidents: only the documented background finding may appear.
func TestDetectBackgroundOnly(t *testing.T) {
	_, caseDir, _ := detectDemoCase(t, demo.Config{Seed: 3, Records: 80000, NoIncidents: true})
	out := flowirRun(t, "detect", "--case", caseDir, "--format", "json")
	var fs []jsonFinding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if !backgroundFinding(f) {
			t.Errorf("finding on background traffic: %s %s %s -> %s: %s", f.Rule, f.Severity, f.Src, f.Dst, f.Summary)
		}
	}
}
