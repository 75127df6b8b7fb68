package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/netsim"
)

// Precision and recall of detect on internal/netsim's realistic background
// (a second generator, independent of internal/demo, with planted incidents
// and their ground truth): the corpus is generated, ingested and loaded
// with its IOC list and AWS's ranges, and `flowir detect` runs exactly as a
// user runs it.

// netsimFinding turns a printed finding into what netsim.Truth.Score needs.
func netsimFinding(f jsonFinding) netsim.Finding {
	list := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			if l, ok := f.Details[k].([]any); ok {
				for _, x := range l {
					out = append(out, fmt.Sprint(x))
				}
			}
		}
		return out
	}
	return netsim.Finding{Rule: f.Rule, Severity: f.Severity, Actor: f.Src, Target: f.Dst, Targets: list("targets", "hosts"),
		Actors: list("actors"), First: f.FirstSeen, Last: f.LastSeen}
}

func TestDetectNetsimPrecisionRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("generates, ingests and scans a 400,000-record case")
	}
	start := time.Now()
	dir := t.TempDir()
	logs, caseDir := filepath.Join(dir, "logs"), filepath.Join(dir, "case")
	truth, err := netsim.Generate(netsim.Config{Dir: logs, Seed: 11, Records: 400_000, ObjectMinutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	gen := time.Since(start)
	flowirRun(t, "ingest", "--case", caseDir, filepath.Join(logs, "AWSLogs"))
	flowirRun(t, "ioc", "--case", caseDir, filepath.Join(logs, truth.IOCFile))
	// AWS's published ranges, as a user loads them (the default-format
	// accounts' records do not say which addresses are AWS services).
	flowirRun(t, "enrich", "--case", caseDir, "aws-ranges", filepath.Join(logs, truth.AWSRangesFile))
	ingested := time.Since(start)
	out := flowirRun(t, "detect", "--case", caseDir, "--format", "json")
	var fs []jsonFinding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("detect --format json: %v", err)
	}
	t.Logf("%d records: generated in %s, ingested in %s, detected in %s", truth.Records, gen.Round(time.Millisecond),
		(ingested - gen).Round(time.Millisecond), (time.Since(start) - ingested).Round(time.Millisecond))
	sfs := make([]netsim.Finding, len(fs))
	for i, f := range fs {
		sfs[i] = netsimFinding(f)
	}
	s := truth.Score(sfs)
	t.Logf("%d findings: %s", len(fs), s.Report(truth.Records))
	for i, f := range s.Unrelated {
		if i == 25 {
			t.Logf("... and %d more unrelated", len(s.Unrelated)-i)
			break
		}
		t.Logf("unrelated: %s %s %s -> %s %v", f.Rule, f.Severity, f.Actor, f.Target, f.Targets)
	}
	// The baseline measured before the rules knew this background (issue
	// 15): these bounds only stop it from getting worse.
	if s.Found < baselineFound || len(s.Unrelated) > baselineUnrelated || s.UnrelatedHigh > baselineUnrelatedHigh {
		t.Errorf("found %d (baseline %d), unrelated %d (baseline at most %d), high %d (at most %d)",
			s.Found, baselineFound, len(s.Unrelated), baselineUnrelated, s.UnrelatedHigh, baselineUnrelatedHigh)
	}
}

// The bounds TestDetectNetsimPrecisionRecall enforces: the rules as they
// were when the generator was written found 10 of the 12 incidents with
// 1,725 unrelated findings, 104 of them high; after exposures per account
// and port, AWS service classes in exfiltration and the NAT alarm, and
// broad IOC entries grouped (issue 15), 10 of 12 with 88 unrelated, 10 high
// (beaconing and lateral 443 "sweeps" remain). The bounds stop it from
// getting worse.
const (
	baselineFound         = 10
	baselineUnrelated     = 95
	baselineUnrelatedHigh = 12
)
