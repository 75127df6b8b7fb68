package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// iocTestCase is a case with a few records for the IOC commands.
func iocTestCase(t *testing.T) string {
	t.Helper()
	c := newDetectCase(t, []fr{
		tcp("10.0.1.5", 40000, "203.0.113.66", 8443, t0, t0+30, 10, 2000),
		tcp("203.0.113.66", 8443, "10.0.1.5", 40000, t0, t0+30, 10, 9000),
		tcp("198.51.100.140", 50000, "10.0.0.8", 22, t0+100, t0+100, 1, 60).reject(),
		tcp("192.0.2.45", 50001, "10.0.0.8", 22, t0+200, t0+201, 12, 3000),
	})
	dir := c.Dir
	c.Close()
	return dir
}

func TestIOCCommand(t *testing.T) {
	caseDir := iocTestCase(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "iocs.csv")
	os.WriteFile(list, []byte("threat_ip,threat_comment\n203.0.113.66,\"C2, partner CERT\"\n198.51.100.128/25,range\nnot-an-ip,oops\n192.0.2.4,trap\n"), 0o644)

	code, out, errOut := run(t, "ioc", "--case", caseDir, "--format", "json", list)
	if code != 1 || !strings.Contains(errOut, list+":4: invalid entry") || !strings.Contains(errOut, "1 invalid IOC entries were not loaded") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	var sums []map[string]any
	if err := json.Unmarshal([]byte(out), &sums); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// 192.0.2.4 has no record (192.0.2.45 is not 192.0.2.4): it is
	// counted on standard error, not listed (issue 17.24).
	if len(sums) != 2 || !strings.Contains(errOut, "2 of 3 indicators have records; the 1 without are not listed") {
		t.Fatalf("%d rows: %s\n%s", len(sums), out, errOut)
	}
	check := func(i int, key string, want any) {
		t.Helper()
		if got := sums[i][key]; got != want {
			t.Errorf("row %d %s = %v, want %v", i, key, got, want)
		}
	}
	check(0, "threat_ip", "203.0.113.66")
	check(0, "threat_comment", "C2, partner CERT")
	check(0, "records", float64(2))
	check(0, "outbound", float64(1))
	check(0, "inbound", float64(1))
	check(0, "bytes_out", float64(2000))
	check(0, "bytes_in", float64(9000))
	check(1, "records", float64(1))
	check(1, "rejected", float64(1))

	// Loading it again adds nothing; --detail prints the view's rows.
	code, out, errOut = run(t, "ioc", "--case", caseDir, "--detail", "--format", "csv", list)
	if code != 1 || !strings.Contains(errOut, "0 new, 3 already loaded") || !strings.Contains(errOut, "loaded before") {
		t.Fatalf("reload: exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "account,interfaceid,source,destination,direction,connecting_ip,connecting_port") {
		t.Fatalf("detail:\n%s", out)
	}
	if !strings.Contains(out, ",10.0.1.5:40000,203.0.113.66:8443,OUTBOUND,10.0.1.5,40000,") ||
		!strings.Contains(out, ",203.0.113.66:8443,10.0.1.5:40000,INBOUND,10.0.1.5,40000,") {
		t.Errorf("detail rows lack the expected directions:\n%s", out)
	}
	// With no file it reports what the case holds; --clear empties it.
	if code, _, errOut := run(t, "ioc", "--case", caseDir); code != 0 {
		t.Errorf("no files: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := run(t, "ioc", "--case", caseDir, "--clear"); code != 2 || !strings.Contains(errOut, "no IOCs loaded") {
		t.Errorf("--clear with no files: exit %d\n%s", code, errOut)
	}
	if code, _, _ := run(t, "ioc", "--case", caseDir, "--ioc-format", "yaml", list); code != 2 {
		t.Errorf("bad --ioc-format: exit %d", code)
	}
}

func TestIOCHelpSaysDirection(t *testing.T) {
	_, out, _ := run(t, "ioc", "--help")
	for _, want := range []string{"OUTBOUND", "INBOUND", "OPPOSITE of the labels in the playbook", "connecting_ip"} {
		if !strings.Contains(out, want) {
			t.Errorf("flowir ioc --help does not say %q", want)
		}
	}
}

// TestIOCWarningsCap: warnings (entries loaded with a remark) are printed up
// to maxWarnings per file, then counted; --all-warnings prints them all.
func TestIOCWarningsCap(t *testing.T) {
	caseDir := iocTestCase(t)
	list := filepath.Join(t.TempDir(), "hostbits.txt")
	var b strings.Builder
	const n = maxWarnings + 5
	for i := range n {
		fmt.Fprintf(&b, "10.9.%d.1/24\n", i) // host bits set: loaded as 10.9.i.0/24, with a warning
	}
	os.WriteFile(list, []byte(b.String()), 0o644)
	warnings := func(errOut string) int {
		return strings.Count(errOut, list+":") - strings.Count(errOut, "more warnings not shown")
	}

	code, _, errOut := run(t, "ioc", "--case", caseDir, list)
	if code != 0 || warnings(errOut) != maxWarnings || !strings.Contains(errOut, list+": 5 more warnings not shown (--all-warnings shows them)") {
		t.Fatalf("exit %d, %d warnings printed; stderr:\n%s", code, warnings(errOut), errOut)
	}
	code, _, errOut = run(t, "ioc", "--case", caseDir, "--all-warnings", list)
	if code != 0 || warnings(errOut) != n || strings.Contains(errOut, "not shown") {
		t.Fatalf("--all-warnings: exit %d, %d warnings printed; stderr:\n%s", code, warnings(errOut), errOut)
	}
}

// TestIOCMixedSTIXFeed: a feed mixing an address with a domain loads the
// address, domain, URL and hash indicators are counted as skipped, an AND
// pattern is a warning, and none of it makes flowir ioc exit 1; an expired
// indicator is loaded and its hits say which records fall outside its
// window (issue 12.9).
func TestIOCMixedSTIXFeed(t *testing.T) {
	caseDir := iocTestCase(t)
	feed := filepath.Join(t.TempDir(), "feed.json")
	os.WriteFile(feed, []byte(`{"type": "bundle", "id": "bundle--1", "objects": [
{"type": "indicator", "id": "indicator--a", "name": "C2", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
 "valid_until": "2026-11-18T11:00:00Z", "pattern": "[ipv4-addr:value = '203.0.113.66'] OR [domain-name:value = 'x.example']"},
{"type": "indicator", "id": "indicator--b", "name": "url", "pattern_type": "stix", "pattern": "[url:value = 'http://x.example/']"},
{"type": "indicator", "id": "indicator--c", "name": "hash", "pattern_type": "stix", "pattern": "[file:hashes.'SHA-256' = 'ab']"},
{"type": "indicator", "id": "indicator--d", "name": "ssh", "pattern_type": "stix",
 "pattern": "[ipv4-addr:value = '192.0.2.45' AND network-traffic:dst_port = 22]"},
{"type": "indicator", "id": "indicator--e", "name": "withdrawn", "pattern_type": "stix", "revoked": true,
 "pattern": "[ipv4-addr:value = '198.51.100.140']"}
]}`), 0o644)
	code, out, errOut := run(t, "ioc", "--case", caseDir, "--format", "json", feed)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"2 entries: 2 new", "3 STIX objects skipped", "1 address tests skipped", "1 entries expired", "1 entries revoked",
		"indicator--d: not loaded: AND in a comparison"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	var sums []map[string]any
	if err := json.Unmarshal([]byte(out), &sums); err != nil || len(sums) != 2 {
		t.Fatalf("%v\n%s", err, out)
	}
	// t0 is 2026-11-18T11:06:40Z: both records with the C2 start after
	// valid_until, so both are outside the window.
	if sums[0]["threat_ip"] != "203.0.113.66" || sums[0]["records"] != float64(2) || sums[0]["outside_validity"] != float64(2) ||
		!strings.HasPrefix(fmt.Sprint(sums[0]["validity"]), "expired (valid from 2026-01-01T00:00:00Z until 2026-11-18T11:00:00Z") {
		t.Errorf("C2 row: %v", sums[0])
	}
	if sums[1]["threat_ip"] != "198.51.100.140" || sums[1]["records"] != float64(1) || sums[1]["validity"] != "revoked" {
		t.Errorf("revoked row: %v", sums[1])
	}
	code, out, errOut = run(t, "ioc", "--case", caseDir, "--detail", "--format", "csv")
	if code != 0 || !strings.Contains(out, ",validity,") || !strings.Contains(out, ",revoked,") {
		t.Errorf("detail: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestIOCContactValidity: detect's ioc-contact and investigate honour the
// indicators' validity (issue 12.9). t0 is 2026-11-18T11:06:40Z. A hit on
// an indicator that expired before the traffic, or that is revoked, is
// still a finding, one severity step lower, saying why; one whose records
// are only partly outside the window keeps its severity and counts them;
// one without a window is unchanged.
func TestIOCContactValidity(t *testing.T) {
	c := newDetectCase(t, []fr{
		tcp("10.0.1.5", 40000, "203.0.113.66", 443, t0, t0+30, 10, 2000),        // expired on 2026-06-01
		tcp("10.0.1.6", 40000, "203.0.113.77", 443, t0, t0+30, 10, 2000),        // revoked
		tcp("10.0.1.7", 40000, "203.0.113.88", 443, t0, t0+30, 10, 2000),        // before valid_from (t0+3600)
		tcp("10.0.1.7", 40001, "203.0.113.88", 443, t0+7200, t0+7230, 10, 2000), // inside
		tcp("10.0.1.8", 40000, "203.0.113.99", 443, t0, t0+30, 10, 2000),        // no window
	})
	caseDir := c.Dir
	c.Close()
	feed := filepath.Join(t.TempDir(), "feed.json")
	os.WriteFile(feed, []byte(`{"type": "bundle", "id": "bundle--1", "objects": [
{"type": "indicator", "id": "indicator--a", "name": "old C2", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
 "valid_until": "2026-06-01T00:00:00Z", "pattern": "[ipv4-addr:value = '203.0.113.66']"},
{"type": "indicator", "id": "indicator--b", "name": "withdrawn", "pattern_type": "stix", "revoked": true, "pattern": "[ipv4-addr:value = '203.0.113.77']"},
{"type": "indicator", "id": "indicator--c", "name": "new C2", "pattern_type": "stix", "valid_from": "2026-11-18T12:06:40Z",
 "pattern": "[ipv4-addr:value = '203.0.113.88']"},
{"type": "indicator", "id": "indicator--d", "name": "C2", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '203.0.113.99']"}
]}`), 0o644)
	mustRun(t, "ioc", "--case", caseDir, feed)
	mustRun(t, "detect", "--case", caseDir, "--rules", "ioc-contact")
	var fs []struct {
		Dst, Severity, Summary string
		Details                map[string]any
	}
	if err := json.Unmarshal([]byte(mustRun(t, "findings", "--case", caseDir, "--format", "json")), &fs); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		severity, summary string
		before, after     float64
		from, until       any
		revoked           bool
	}{
		"203.0.113.66": {"medium", "; every record is outside the IOC's validity (valid from 2026-01-01T00:00:00Z until 2026-06-01T00:00:00Z: 1 after it); severity lowered",
			0, 1, "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", false},
		"203.0.113.77": {"medium", "; the IOC is revoked by its source; severity lowered", 0, 0, nil, nil, true},
		"203.0.113.88": {"high", "; 1 of the 2 records are outside the IOC's validity (valid from 2026-11-18T12:06:40Z: 1 before it)", 1, 0, "2026-11-18T12:06:40Z", nil, false},
		"203.0.113.99": {"high", "the host initiated (to port 443)", 0, 0, nil, nil, false},
	}
	if len(fs) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(fs), len(want), fs)
	}
	for _, f := range fs {
		w, ok := want[f.Dst]
		if !ok {
			t.Errorf("unexpected finding %+v", f)
			continue
		}
		d := f.Details
		if f.Severity != w.severity || !strings.HasSuffix(f.Summary, w.summary) || d["records_before_valid_from"] != w.before ||
			d["records_after_valid_until"] != w.after || d["ioc_valid_from"] != w.from || d["ioc_valid_until"] != w.until || d["ioc_revoked"] != w.revoked {
			t.Errorf("%s: severity %s, summary %q, details %v; want %+v", f.Dst, f.Severity, f.Summary, d, w)
		}
	}
	// investigate: the IOC section gives the validity and the records
	// outside it, as flowir ioc does.
	var inv struct {
		IOCMatches []map[string]any `json:"ioc_matches"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "investigate", "10.0.1.7", "--case", caseDir, "--format", "json")), &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.IOCMatches) != 1 || inv.IOCMatches[0]["threat_ip"] != "203.0.113.88" || inv.IOCMatches[0]["records"] != float64(2) ||
		inv.IOCMatches[0]["outside_validity"] != float64(1) || inv.IOCMatches[0]["valid_from"] != "2026-11-18T12:06:40Z" {
		t.Errorf("investigate 10.0.1.7: ioc_matches %v", inv.IOCMatches)
	}
	if err := json.Unmarshal([]byte(mustRun(t, "investigate", "203.0.113.66", "--case", caseDir, "--format", "json")), &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.IOCMatches) != 1 || inv.IOCMatches[0]["role"] != "target" || inv.IOCMatches[0]["outside_validity"] != float64(1) ||
		inv.IOCMatches[0]["valid_until"] != "2026-06-01T00:00:00Z" {
		t.Errorf("investigate 203.0.113.66: ioc_matches %v", inv.IOCMatches)
	}
	if err := json.Unmarshal([]byte(mustRun(t, "investigate", "10.0.1.0/24", "--case", caseDir, "--format", "json")), &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.IOCMatches) != 4 {
		t.Errorf("investigate 10.0.1.0/24: ioc_matches %v", inv.IOCMatches)
	}
	for _, m := range inv.IOCMatches {
		if w := want[m["address"].(string)]; m["role"] != "peer" || m["outside_validity"] != w.before+w.after || m["revoked"] != w.revoked {
			t.Errorf("investigate 10.0.1.0/24: %v", m)
		}
	}
}
