package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/store"
)

// TestFindingsShowEvidence: a finding is found by its id, a unique prefix of
// it or its ASFF Id, and printed with its evidence records, times in ISO
// 8601 UTC and the enrichment columns of their addresses; the records
// export in every format; unknown, ambiguous and malformed ids are clear
// errors.
func TestFindingsShowEvidence(t *testing.T) {
	caseDir := enrichCase(t) // 25 probes of 10.0.1.5 from 198.51.100.23, from t0, and others
	mustRun(t, "enrich", "aws-ranges", "../enrich/testdata/ip-ranges.json", "--case", caseDir)
	mustRun(t, "detect", "--case", caseDir, "--rules", "port-scan-vertical")
	var list []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "findings", "--case", caseDir, "--format", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var id string
	for _, f := range list {
		if f["src"] == "198.51.100.23" {
			id = f["id"].(string)
		}
	}
	if len(id) != 12 {
		t.Fatalf("no id for the scan from 198.51.100.23: %v", list)
	}
	first := time.Unix(t0, 0).UTC().Format(time.RFC3339)

	for _, arg := range []string{id, id[:4], strings.ToUpper(id[:6]), "flowir/case/port-scan-vertical-" + storedHash(t, caseDir, id)[:16] + "/111122223333/eu-west-1"} {
		out := mustRun(t, "findings", "show", arg, "--case", caseDir)
		if !strings.Contains(out, "== Finding "+id+"\n") || !strings.Contains(out, "== Evidence records: 20 of 25 (--limit 0") ||
			!strings.Contains(out, first) || !strings.Contains(out, "198.51.100.23") {
			t.Errorf("show %s:\n%s", arg, out)
		}
	}
	var doc struct {
		Finding  map[string]any   `json:"finding"`
		Evidence []map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "findings", "show", id, "--case", caseDir, "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Finding["id"] != id || doc.Finding["rule"] != "port-scan-vertical" || len(doc.Evidence) != 25 ||
		doc.Evidence[0]["start"] != first || doc.Evidence[0]["srcaddr"] != "198.51.100.23" {
		t.Errorf("show json: %v\n%v", doc.Finding, doc.Evidence)
	}
	if _, ok := doc.Evidence[0]["dstaddr_aws_service"]; !ok {
		t.Errorf("evidence without the enrichment columns: %v", doc.Evidence[0])
	}

	recs, err := csv.NewReader(strings.NewReader(mustRun(t, "findings", "evidence", id[:5], "--case", caseDir, "--format", "csv"))).ReadAll()
	if err != nil || len(recs) != 26 {
		t.Fatalf("evidence csv: %d rows, %v", len(recs), err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	for _, c := range []string{"start", "end", "srcaddr", "srcaddr_aws_service", "dstaddr_aws_region", "source_line"} {
		if _, ok := col[c]; !ok {
			t.Errorf("evidence csv has no column %s: %v", c, recs[0])
		}
	}
	if recs[1][col["start"]] != first || recs[25][col["srcaddr"]] != "198.51.100.23" {
		t.Errorf("evidence csv rows: %v / %v", recs[1], recs[25])
	}
	for _, format := range []string{"table", "tsv", "json", "ndjson"} {
		if out := mustRun(t, "findings", "evidence", id, "--case", caseDir, "--format", format); strings.Count(out, "198.51.100.23") != 25 {
			t.Errorf("evidence --format %s: %d records\n%s", format, strings.Count(out, "198.51.100.23"), out)
		}
	}

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"findings", "show", "0000000000ff"}, 1, "no finding has id 0000000000ff: 'flowir findings' lists the"},
		{[]string{"findings", "show", "abc"}, 2, "not a finding id"},
		{[]string{"findings", "show", "10.0.1.5"}, 2, "not a finding id"},
		{[]string{"findings", "evidence"}, 2, "needs one finding id"},
		{[]string{"findings", "show", id, "--format", "csv"}, 2, "findings evidence ID --format csv"},
	} {
		code, _, stderr := run(t, append(c.args, "--case", caseDir)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.msg, stderr)
		}
	}
}

// storedHash returns the full hash of the stored finding with id.
func storedHash(t *testing.T, caseDir, id string) string {
	t.Helper()
	c, err := store.Open(context.Background(), caseDir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fs, err := c.Findings(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == id {
			return store.FindingHash(f)
		}
	}
	t.Fatalf("no finding %s", id)
	return ""
}

// TestFindingsAmbiguousID: a prefix two findings share is refused, listing
// both; one more digit picks one.
func TestFindingsAmbiguousID(t *testing.T) {
	dir := t.TempDir() + "/case"
	c, err := store.Open(context.Background(), dir, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	// Two findings whose ids share their first 4 digits (found by trying
	// actors; about 256 tries on average).
	byPrefix := map[string]store.FindingRow{}
	var pair []store.FindingRow
	for i := 0; pair == nil; i++ {
		r := store.FindingRow{Rule: "brute-force", Severity: "high", Technique: "T1110", Src: fmt.Sprintf("198.51.%d.%d", i/250, i%250+1), Dst: "10.0.0.1",
			Protocol: 6, Direction: "inbound", FirstSeen: at, LastSeen: at, Records: 1, Summary: "s", EvidenceSQL: "SELECT * FROM flows"}
		p := store.FindingID(r)[:4]
		if o, ok := byPrefix[p]; ok {
			pair = []store.FindingRow{o, r}
		}
		byPrefix[p] = r
	}
	if _, err := c.ReplaceFindings(context.Background(), store.DetectRun{StartedAt: at, Rules: []string{"brute-force"}, Config: []byte(`{}`)}, pair); err != nil {
		t.Fatal(err)
	}
	c.Close()
	a, b := store.FindingID(pair[0]), store.FindingID(pair[1])
	code, _, stderr := run(t, "findings", "show", a[:4], "--case", dir)
	if code != 2 || !strings.Contains(stderr, "finding id "+a[:4]+" is ambiguous: 2 findings") || !strings.Contains(stderr, a) || !strings.Contains(stderr, b) {
		t.Errorf("ambiguous prefix: exit %d\n%s", code, stderr)
	}
	n := 5
	for a[:n] == b[:n] {
		n++
	}
	if out := mustRun(t, "findings", "show", b[:n], "--case", dir); !strings.Contains(out, "== Finding "+b) {
		t.Errorf("unique prefix %s:\n%s", b[:n], out)
	}
}
