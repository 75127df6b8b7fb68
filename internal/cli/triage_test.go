package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestTriageCommands: notes, tags and statuses on findings and addresses,
// with who and when; shown in the findings outputs, filtered by --status
// and --tag, logged by flowir triage, kept when the findings are stored
// again, and exported in ASFF (golden file).
func TestTriageCommands(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "ir-42")
	storeFindings(t, caseDir) // brute-force 198.51.100.7 -> 10.10.1.11:22, exfiltration 10.99.0.1 -> 203.0.113.99:443
	t.Setenv("FLOWIR_CASE", caseDir)
	t.Setenv("USER", "")
	ids := map[string]string{}
	for _, f := range jsonRows(t, mustRun(t, "findings", "--format", "json")) {
		if f["status"] != "open" || len(f["tags"].([]any)) != 0 || f["notes"] != nil || f["status_by"] != nil {
			t.Errorf("untriaged finding %v", f)
		}
		ids[f["rule"].(string)] = f["id"].(string)
	}
	bf, ex := ids["brute-force"], ids["exfiltration"]

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"note", ex, "no author"}, 2, "--author"},
		{[]string{"findings", "status", ex, "closed", "--author", "a"}, 2, "unknown status \"closed\": use one of open, confirmed, false-positive, resolved"},
		{[]string{"findings", "status", "203.0.113.99", "confirmed", "--author", "a"}, 2, "only findings have a status"},
		{[]string{"tag", "203.0.113.99", "malicous", "--author", "a"}, 2, "unknown tag \"malicous\""},
		{[]string{"tag", "203.0.113.99", "Has Space", "--custom", "--author", "a"}, 2, "a custom tag is"},
		{[]string{"note", "0000000000ff", "x", "--author", "a"}, 1, "no finding has id 0000000000ff"},
		{[]string{"note", ex, " ", "--author", "a"}, 2, "empty note"},
		{[]string{"tag", ex}, 2, "one or more tags"},
		{[]string{"findings", "--status", "done"}, 2, "--status: unknown status"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.msg, stderr)
		}
	}
	if log := mustRun(t, "triage", "--format", "csv"); log != "seq,recorded_at,author,kind,subject,action,value\n" {
		t.Fatalf("refused entries were logged:\n%s", log)
	}

	_, _, stderr := run(t, "findings", "status", ex[:6], "confirmed", "--note", "9 GB left to 203.0.113.99; INC-7", "--author", "alice")
	if !strings.Contains(stderr, "finding "+ex+" (exfiltration 10.99.0.1 -> 203.0.113.99:443): status confirmed, by alice at ") {
		t.Errorf("status message: %s", stderr)
	}
	t.Setenv("USER", "bob")
	mustRun(t, "findings", "status", bf, "false-positive", "--note", "the pentest, SEC-9")
	mustRun(t, "tag", "::ffff:203.0.113.99", "malicious", "exfil-destination")
	mustRun(t, "tag", "203.0.113.99", "exfil-destination", "--remove")
	mustRun(t, "tag", ex, "ticket:inc-7", "--custom")
	mustRun(t, "note", "198.51.100.0/24", "pentest", "range")
	mustRun(t, "findings", "status", ex, "resolved", "--author", "carol") // a later status supersedes
	mustRun(t, "findings", "status", ex, "confirmed", "--author", "alice")

	rows := jsonRows(t, mustRun(t, "findings", "--format", "json"))
	byID := map[string]map[string]any{}
	for _, r := range rows {
		byID[r["id"].(string)] = r
	}
	e := byID[ex]
	notes, _ := e["notes"].([]any)
	if e["status"] != "confirmed" || e["status_by"] != "alice" || e["status_at"] == nil || !slices.Equal(e["tags"].([]any), []any{"ticket:inc-7"}) ||
		len(notes) != 1 || notes[0].(map[string]any)["text"] != "9 GB left to 203.0.113.99; INC-7" || notes[0].(map[string]any)["author"] != "alice" {
		t.Errorf("exfiltration finding %v", e)
	}
	if b := byID[bf]; b["status"] != "false-positive" || b["status_by"] != "bob" {
		t.Errorf("brute-force finding %v", b)
	}
	csvOut := mustRun(t, "findings", "--format", "csv")
	if !strings.HasPrefix(csvOut, "id,status,tags,rule,") || !regexp.MustCompile(`,[0-9TZ:.-]+ alice: 9 GB left to 203.0.113.99; INC-7,alice,`).MatchString(csvOut) {
		t.Errorf("csv:\n%s", csvOut)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--status", "confirmed"}, []string{ex}},
		{[]string{"--status", "open"}, nil},
		{[]string{"--status", "false-positive,confirmed"}, []string{bf, ex}},
		{[]string{"--tag", "ticket:inc-7"}, []string{ex}},
		{[]string{"--tag", "ticket:inc-7", "--status", "false-positive"}, nil},
	} {
		var got []string
		for _, r := range jsonRows(t, mustRun(t, append([]string{"findings", "--format", "json"}, c.args...)...)) {
			got = append(got, r["id"].(string))
		}
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("findings %v: %v, want %v", c.args, got, want)
		}
	}
	log := jsonRows(t, mustRun(t, "triage", "203.0.113.99", "--format", "json"))
	if len(log) != 3 || log[0]["action"] != "tag" || log[0]["value"] != "malicious" || log[2]["action"] != "untag" || log[2]["author"] != "bob" {
		t.Errorf("triage log of the address: %v", log)
	}
	if log := jsonRows(t, mustRun(t, "triage", "--format", "json")); len(log) != 11 {
		t.Errorf("triage log: %d entries, want 11", len(log))
	}

	// Storing the same findings again (a detect rerun) keeps their triage.
	storeFindings(t, caseDir)
	if r := jsonRows(t, mustRun(t, "findings", "--status", "confirmed", "--format", "json")); len(r) != 1 || r[0]["id"] != ex {
		t.Errorf("after the findings were stored again: %v", r)
	}

	// ASFF: status as Workflow.Status, the newest note as Note.
	out := mustRun(t, "findings", "export", "--account", "999988887777", "--region", "us-east-1")
	var doc struct{ Findings []map[string]any }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		f["UpdatedAt"] = "NORMALISED" // the time of the export
		if n, ok := f["Note"].(map[string]any); ok {
			if _, err := timeRFC3339(n["UpdatedAt"]); err != nil {
				t.Errorf("note time %v", n["UpdatedAt"])
			}
			n["UpdatedAt"] = "NORMALISED"
		}
	}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "findings-triage.asff.json")
	if *updateGolden {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("ASFF differs from %s (go test -run TestTriageCommands -update rewrites it):\n%s", golden, got)
	}
}

func timeRFC3339(v any) (time.Time, error) {
	s, _ := v.(string)
	return time.Parse(time.RFC3339Nano, s)
}

// TestInvestigateFindingsTriage: investigate lists the findings that involve
// the address or network (by role) and the tags and notes on it, inside it
// and around it.
func TestInvestigateFindingsTriage(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "case")
	storeFindings(t, caseDir) // brute-force 198.51.100.7 -> 10.10.1.11:22, exfiltration 10.99.0.1 -> 203.0.113.99:443
	t.Setenv("FLOWIR_CASE", caseDir)
	t.Setenv("USER", "alice")
	mustRun(t, "tag", "203.0.113.99", "malicious")
	mustRun(t, "note", "203.0.113.0/24", "hosting range of the exfil server")
	mustRun(t, "note", "10.10.1.11", "bastion")
	mustRun(t, "tag", "2001:db8::1", "c2")

	var doc struct {
		Findings []map[string]any `json:"findings"`
		Triage   []map[string]any `json:"triage"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "investigate", "203.0.113.99", "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 1 || doc.Findings[0]["rule"] != "exfiltration" || doc.Findings[0]["role"] != "target" || doc.Findings[0]["status"] != "open" {
		t.Errorf("findings of 203.0.113.99: %v", doc.Findings)
	}
	if len(doc.Triage) != 2 || doc.Triage[0]["subject"] != "203.0.113.0/24" || doc.Triage[0]["relation"] != "contains it" ||
		doc.Triage[1]["subject"] != "203.0.113.99" || doc.Triage[1]["relation"] != "target" || !slices.Equal(doc.Triage[1]["tags"].([]any), []any{"malicious"}) {
		t.Errorf("triage of 203.0.113.99: %v", doc.Triage)
	}
	for _, c := range []struct {
		target, want string
	}{
		{"10.10.0.0/16", "brute-force,target\n"},
		{"198.51.100.7", "brute-force,actor\n"},
		{"10.99.0.1", "exfiltration,actor\n"},
		{"192.0.2.1", ""},
	} {
		out := mustRun(t, "investigate", c.target, "--section", "findings", "--format", "csv")
		var got strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Split(line, ",")
			got.WriteString(f[4] + "," + f[3] + "\n")
		}
		if got.String() != c.want {
			t.Errorf("investigate %s findings:\n%s\nwant\n%s", c.target, out, c.want)
		}
	}
	out := mustRun(t, "investigate", "10.10.0.0/16", "--section", "triage", "--format", "csv")
	if !strings.Contains(out, "10.10.1.11,inside,[],") || !strings.Contains(out, "alice: bastion") || strings.Contains(out, "203.0.113") {
		t.Errorf("triage of 10.10.0.0/16:\n%s", out)
	}
	if out := mustRun(t, "investigate", "2001:db8::/32", "--section", "triage", "--format", "csv"); !strings.Contains(out, `2001:db8::1,inside,"[""c2""]",`) {
		t.Errorf("triage of 2001:db8::/32:\n%s", out)
	}
}

// TestTriageOrphans: the triage of a finding a rerun no longer stores stays
// in the log, 'flowir findings' names it, and 'flowir triage ID' prints it.
func TestTriageOrphans(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "case")
	storeFindings(t, caseDir)
	t.Setenv("FLOWIR_CASE", caseDir)
	t.Setenv("USER", "alice")
	var id string
	for _, f := range jsonRows(t, mustRun(t, "findings", "--format", "json")) {
		if f["rule"] == "exfiltration" {
			id = f["id"].(string)
		}
	}
	mustRun(t, "findings", "status", id, "confirmed")
	if _, _, stderr := run(t, "findings"); strings.Contains(stderr, "no longer stored") {
		t.Errorf("a stored finding reported as gone: %s", stderr)
	}
	c, err := store.Open(context.Background(), caseDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReplaceFindings(context.Background(), store.DetectRun{StartedAt: time.Now(), Rules: []string{"exfiltration"}, Config: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	code, _, stderr := run(t, "findings")
	if code != 0 || !strings.Contains(stderr, "triage of 1 findings no longer stored") || !strings.Contains(stderr, id) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if log := jsonRows(t, mustRun(t, "triage", id[:6], "--format", "json")); len(log) != 1 || log[0]["subject"] != id || log[0]["value"] != "confirmed" {
		t.Errorf("triage %s: %v", id[:6], log)
	}
}
