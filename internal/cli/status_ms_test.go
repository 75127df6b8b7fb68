package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStatusMillisecondTimes: records whose start/end were written in
// milliseconds (year 49901 as seconds) are stored as written; flowir status
// says so, and its JSON form does not fail on them (issue 12.7:
// Time.MarshalJSON refused the year).
func TestStatusMillisecondTimes(t *testing.T) {
	c := newDetectCase(t, []fr{
		tcp("10.0.1.5", 40000, "203.0.113.66", 443, t0, t0+30, 10, 2000),
		tcp("10.0.1.5", 40001, "203.0.113.66", 443, t0*1000, t0*1000+30_000, 10, 2000),
	})
	dir := c.Dir
	c.Close()
	code, out, errOut := run(t, "status", "--case", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("status --format json: exit %d\n%s", code, errOut)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if st["millisecond_time_records"] != float64(1) || !strings.HasPrefix(st["last_end"].(string), "58") {
		t.Errorf("millisecond_time_records %v, last_end %v", st["millisecond_time_records"], st["last_end"])
	}
	code, out, errOut = run(t, "status", "--case", dir)
	if code != 0 || !strings.Contains(out, "1 records have a start or end after 100000000000") {
		t.Errorf("status: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestMillisecondTimesEveryCommand: a file whose end is 4102444800000
// (2100-01-01 in milliseconds: year 131971 read as seconds, the largest
// value the decoder accepts) is stored as written, ingest warns on standard
// error naming the file, status prints a true span, and no command's JSON
// (nor detect's ASFF) fails on it (issue 12.7: time.Time's MarshalJSON
// refuses years past 9999).
func TestMillisecondTimesEveryCommand(t *testing.T) {
	const ms = "4102444800000" // flow.MaxTime
	dir := t.TempDir()
	log := filepath.Join(dir, "123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261118T1105Z_0a1b2c3d.log")
	os.WriteFile(log, []byte(valuesHeader+
		"2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.9 40000 443 6 10 1000 1795000000 "+ms+" ACCEPT OK\n"+
		"2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.9 40001 443 6 10 1000 4102444700000 "+ms+" ACCEPT OK\n"+
		"2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.6 203.0.113.9 40002 22 6 10 1000 1795000000 1795000060 REJECT OK\n"), 0o644)
	// A custom format with the records' own AWS service: enrich keeps it
	// with the records' last end as its date.
	svc := filepath.Join(dir, "123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef1_20261118T1105Z_0a1b2c3e.log")
	os.WriteFile(svc, []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service\n"+
		"5 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 52.94.0.10 40003 443 6 10 1000 1795000000 "+ms+" ACCEPT OK 10.0.1.5 52.94.0.10 - S3\n"), 0o644)
	caseDir := filepath.Join(dir, "case")
	code, _, errOut := run(t, "ingest", "--case", caseDir, log, svc)
	if code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, errOut)
	}
	for _, w := range []string{"start/end look like milliseconds: 2 records in " + log, "start/end look like milliseconds: 1 records in " + svc} {
		if !strings.Contains(errOut, w) {
			t.Errorf("ingest's standard error does not say %q:\n%s", w, errOut)
		}
	}
	// The span from 2026-11-18T11:06:40Z to 131971-04-21T00:00:00Z, in
	// days, computed apart from the command.
	first := time.Unix(1795000000, 0).UTC()
	days := (4102444800000 - first.Unix()) / 86400
	if out := mustRun(t, "status", "--case", caseDir); !strings.Contains(out, fmt.Sprintf("131971-04-21T00:00:00Z (%d days)", days)) {
		t.Errorf("status does not give the span in days (%d):\n%s", days, out)
	}
	ioc := filepath.Join(dir, "iocs.txt")
	os.WriteFile(ioc, []byte("203.0.113.9\n"), 0o644)
	mustRun(t, "ioc", "--case", caseDir, ioc)
	mustRun(t, "enrich", "--case", caseDir)
	mustRun(t, "detect", "--case", caseDir)
	var findings []struct {
		ID       string `json:"id"`
		LastSeen string `json:"last_seen"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "findings", "--case", caseDir, "--format", "json")), &findings); err != nil || len(findings) == 0 {
		t.Fatalf("findings: %v", err)
	}
	id := findings[0].ID
	for _, f := range findings {
		if f.LastSeen == "131971-04-21T00:00:00Z" {
			id = f.ID
		}
	}

	var catalog []struct{ Name, Parameters string }
	if err := json.Unmarshal([]byte(mustRun(t, "queries", "--format", "json")), &catalog); err != nil || len(catalog) == 0 {
		t.Fatalf("queries: %v", err)
	}
	type cmd struct {
		args   []string
		format string // json unless said
		year   bool   // the output names the year 131971
	}
	var cmds []cmd
	for _, q := range catalog {
		args := []string{"query", q.Name}
		for _, p := range strings.Fields(q.Parameters) {
			name, _, _ := strings.Cut(p, ":")
			args = append(args, "-p", name+"=10.0.1.5")
		}
		cmds = append(cmds, cmd{args: args})
	}
	cmds = append(cmds,
		cmd{args: []string{"status"}, year: true},
		cmd{args: []string{"status", "--sources"}},
		cmd{args: []string{"investigate", "10.0.1.5"}, year: true},
		cmd{args: []string{"investigate", "203.0.113.9"}, year: true},
		cmd{args: []string{"investigate", "10.0.0.0/8"}, year: true},
		cmd{args: []string{"investigate", "10.0.1.5", "--section", "peers"}, year: true},
		cmd{args: []string{"ioc", ioc}, year: true},
		cmd{args: []string{"ioc", "--detail", ioc}, year: true},
		cmd{args: []string{"detect"}, year: true},
		cmd{args: []string{"detect"}, format: "asff", year: true},
		cmd{args: []string{"findings"}, year: true},
		cmd{args: []string{"findings", "show", id}, year: true},
		cmd{args: []string{"findings", "evidence", id}},
		cmd{args: []string{"findings", "export"}, format: "asff", year: true},
		cmd{args: []string{"export", "--parquet", filepath.Join(dir, "export")}},
		cmd{args: []string{"enrich", "show"}},
		cmd{args: []string{"triage"}},
		cmd{args: []string{"sql", `SELECT *, to_timestamp("end") AS end_time FROM flows`}},
	)
	for _, c := range cmds {
		format := c.format
		if format == "" {
			format = "json"
		}
		args := append(append([]string{}, c.args...), "--case", caseDir, "--format", format)
		code, out, errOut := run(t, args...)
		if code != 0 {
			t.Errorf("flowir %s: exit %d: %s", strings.Join(args, " "), code, errOut)
			continue
		}
		if !json.Valid([]byte(out)) {
			t.Errorf("flowir %s: not JSON:\n%.2000s", strings.Join(args, " "), out)
		}
		if c.year && !strings.Contains(out, "131971-04-21T00:00:00Z") {
			t.Errorf("flowir %s does not give the last time as 131971-04-21T00:00:00Z:\n%.2000s", strings.Join(args, " "), out)
		}
	}
}
