package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/demo"
)

// TestTriageDemoEndToEnd: on a generated demo case, the exfiltration
// finding (actor and target from the generator's ground truth) is shown
// with its evidence, triaged, keeps its id and triage over a rerun of
// detect, appears in the investigation of its destination, and exports its
// status and note in ASFF.
func TestTriageDemoEndToEnd(t *testing.T) {
	_, caseDir, truth := detectDemoCase(t, demo.Config{Seed: 1, Records: 20000})
	var inc demo.Incident
	for _, m := range truth.Incidents {
		if m.ID == "exfiltration" {
			inc = m
		}
	}
	if len(inc.Actors) != 1 || len(inc.Targets) != 1 {
		t.Fatalf("the demo's exfiltration incident: %+v", inc)
	}
	host, dest := inc.Actors[0], inc.Targets[0]
	exfil := func(out string) map[string]any {
		t.Helper()
		for _, f := range jsonRows(t, out) {
			if f["rule"] == "exfiltration" && f["src"] == host && f["dst"] == dest {
				return f
			}
		}
		t.Fatalf("no exfiltration finding %s -> %s in\n%s", host, dest, out)
		return nil
	}
	f := exfil(flowirRun(t, "detect", "--case", caseDir, "--format", "json"))
	id := f["id"].(string)

	ev := jsonRows(t, flowirRun(t, "findings", "evidence", id, "--case", caseDir, "--format", "json"))
	var bytes float64
	for _, r := range ev {
		if r["srcaddr"] != host || r["dstaddr"] != dest || !strings.HasSuffix(r["start"].(string), "Z") {
			t.Errorf("evidence record %v", r)
		}
		bytes += r["bytes"].(float64)
	}
	if float64(len(ev)) != f["records"].(float64) || bytes != f["bytes"].(float64) {
		t.Errorf("evidence: %d records, %.0f bytes; the finding says %v, %v", len(ev), bytes, f["records"], f["bytes"])
	}

	flowirRun(t, "findings", "status", id, "confirmed", "--note", "data left via the NAT gateway", "--author", "alice", "--case", caseDir)
	flowirRun(t, "tag", dest, "malicious", "exfil-destination", "--author", "alice", "--case", caseDir)
	flowirRun(t, "tag", host, "compromised", "--author", "bob", "--case", caseDir)

	// A rerun of detect finds it again: same id, triage kept.
	f = exfil(flowirRun(t, "detect", "--case", caseDir, "--format", "json"))
	if f["id"] != id || f["status"] != "confirmed" || f["status_by"] != "alice" || len(f["notes"].([]any)) != 1 {
		t.Errorf("after a rerun: %v", f)
	}
	if got := jsonRows(t, flowirRun(t, "findings", "--status", "confirmed", "--case", caseDir, "--format", "json")); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("findings --status confirmed: %v", got)
	}

	var doc struct {
		Findings []map[string]any `json:"findings"`
		Triage   []map[string]any `json:"triage"`
	}
	if err := json.Unmarshal([]byte(flowirRun(t, "investigate", dest, "--case", caseDir, "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(doc.Findings, func(x map[string]any) bool { return x["id"] == id })
	if i < 0 || doc.Findings[i]["role"] != "target" || doc.Findings[i]["status"] != "confirmed" {
		t.Errorf("investigate %s findings: %v", dest, doc.Findings)
	}
	if len(doc.Triage) != 1 || !slices.Equal(doc.Triage[0]["tags"].([]any), []any{"exfil-destination", "malicious"}) {
		t.Errorf("investigate %s triage: %v", dest, doc.Triage)
	}

	var asff struct{ Findings []map[string]any }
	if err := json.Unmarshal([]byte(flowirRun(t, "findings", "export", "--case", caseDir, "--rules", "exfiltration")), &asff); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range asff.Findings {
		if a["ProductFields"].(map[string]any)["flowir/finding_id"] == id {
			n++
			if a["Workflow"].(map[string]any)["Status"] != "NOTIFIED" || a["Note"].(map[string]any)["Text"] != "data left via the NAT gateway" ||
				a["Note"].(map[string]any)["UpdatedBy"] != "alice" {
				t.Errorf("ASFF %v", a)
			}
		}
	}
	if n == 0 {
		t.Errorf("no ASFF finding for %s", id)
	}
}
