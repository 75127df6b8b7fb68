package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompactCommand ingests two files in two runs (two record files in the
// case's one partition), compacts them into one, and checks what compact
// says, that the records are the same, and that a second compact has
// nothing to do.
func TestCompactCommand(t *testing.T) {
	dir := t.TempDir()
	caseDir := filepath.Join(dir, "case")
	for i, l := range []string{
		"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 100 1 2 ACCEPT OK\n",
		"2 123456789010 eni-1 10.0.0.3 10.0.0.4 1 2 6 1 23 1 2 REJECT OK\n2 123456789010 eni-1 10.0.0.3 10.0.0.4 1 2 6 1 7 1 2 REJECT OK\n",
	} {
		log := filepath.Join(dir, string(rune('a'+i))+".log")
		if err := os.WriteFile(log, []byte(l), 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "ingest", "--case", caseDir, "-q", log)
	}
	sum := func() string {
		return mustRun(t, "sql", "--case", caseDir, "--format", "csv", "SELECT count(*) n, sum(bytes) b FROM flows")
	}
	before := sum()
	if !strings.Contains(before, "3,130") {
		t.Fatalf("before compaction: %q", before)
	}
	if out := mustRun(t, "compact", "--case", caseDir, "--min-files", "2"); out != "nothing to compact\n" {
		t.Fatalf("compact --min-files 2 of 2 files: %q", out)
	}
	if out := mustRun(t, "compact", "--case", caseDir); out != "compacted 1 partitions: 2 files into 1 (3 records)\n" {
		t.Fatalf("compact: %q", out)
	}
	if after := sum(); after != before {
		t.Fatalf("compaction changed the records: %q, was %q", after, before)
	}
	var st struct {
		Partitions int `json:"partitions"`
	}
	out := mustRun(t, "compact", "--case", caseDir, "--format", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Partitions != 0 {
		t.Fatalf("second compact: %q (%v)", out, err)
	}
	if code, _, errOut := run(t, "compact", "--case", caseDir, "--min-files", "-1"); code != ExitUsage {
		t.Fatalf("--min-files -1: exit %d, %s", code, errOut)
	}
	if code, _, _ := run(t, "compact", "--case", filepath.Join(dir, "none")); code != ExitNoCase {
		t.Fatalf("compact of no case: exit %d", code)
	}
}
