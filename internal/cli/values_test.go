package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// valuesHeader is AWS's default format's header line.
const valuesHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

// ingestText writes text into a file and ingests it into a new case.
func ingestText(t *testing.T, name, text string) (caseDir string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	caseDir = filepath.Join(dir, "case")
	mustRun(t, "ingest", "--case", caseDir, p)
	return caseDir
}

// runRows runs a command with --format json and decodes its array.
func runRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	return jsonRows(t, mustRun(t, append(args, "--format", "json")...))
}

// An IPv4-mapped IPv6 address is one address with its IPv4 form everywhere
// (issue 17.16): the named queries, which compare the stored text, count
// the same records as ioc and investigate, which compare addresses.
func TestMappedAddressesOneForm(t *testing.T) {
	rec := func(src string) string {
		return "2 123456789010 eni-0a1b2c3d4e5f60718 " + src + " 10.0.1.5 8443 40000 6 10 900 1795000000 1795000060 ACCEPT OK\n"
	}
	caseDir := ingestText(t, "mapped.log", valuesHeader+rec("203.0.113.66")+rec("::ffff:203.0.113.66")+rec("::FFFF:CB00:7142")+rec("2001:DB8:0:0:0:0:0:1"))

	if rows := runRows(t, "sql", "--case", caseDir, "SELECT srcaddr, count(*) AS n FROM flows GROUP BY 1 ORDER BY 1"); len(rows) != 2 ||
		rows[0]["srcaddr"] != "2001:db8::1" || rows[0]["n"] != float64(1) || rows[1]["srcaddr"] != "203.0.113.66" || rows[1]["n"] != float64(3) {
		t.Errorf("stored addresses: %v, want 203.0.113.66 three times and 2001:db8::1", rows)
	}
	for _, ip := range []string{"203.0.113.66", "::ffff:203.0.113.66"} {
		if rows := runRows(t, "query", "traffic-from-src-addr", "--case", caseDir, "-p", "ip="+ip); len(rows) != 3 {
			t.Errorf("query traffic-from-src-addr -p ip=%s: %d rows, want 3", ip, len(rows))
		}
	}
	if rows := runRows(t, "query", "traffic-from-src-addr", "--case", caseDir, "-p", "ip=2001:db8::1"); len(rows) != 1 {
		t.Errorf("query traffic-from-src-addr -p ip=2001:db8::1: %d rows, want 1", len(rows))
	}

	out := mustRun(t, "investigate", "--case", caseDir, "--format", "json", "::ffff:203.0.113.66")
	var inv struct {
		Overview struct{ Records int64 } `json:"overview"`
	}
	if err := json.Unmarshal([]byte(out), &inv); err != nil || inv.Overview.Records != 3 {
		t.Errorf("investigate: %d records (%v), want 3", inv.Overview.Records, err)
	}

	list := filepath.Join(t.TempDir(), "iocs.txt")
	os.WriteFile(list, []byte("203.0.113.66\n"), 0o644)
	if rows := runRows(t, "ioc", "--case", caseDir, list); len(rows) != 1 || rows[0]["records"] != float64(3) {
		t.Errorf("ioc: %v, want 3 records", rows)
	}
}
