package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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

// mustFail runs flowir, which must exit with code and say each of want on
// stdout or stderr.
func mustFail(t *testing.T, code int, want []string, args ...string) {
	t.Helper()
	got, out, errOut := run(t, args...)
	if got != code {
		t.Errorf("flowir %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out+errOut, w) {
			t.Errorf("flowir %s does not say %q:\n%s%s", strings.Join(args, " "), w, out, errOut)
		}
	}
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

// A source where no line is a record fails with a message that says so and
// why, and ingest exits non-zero (issue 12.4: a README was stored as a
// complete source of 0 records and 227 rejects, exit 0); a binary file is
// such a source (17.8). Nothing of it is kept but the failure, so the same
// file read with the right format later is loaded.
func TestIngestNoRecords(t *testing.T) {
	dir := t.TempDir()
	readme := filepath.Join(dir, "readme.md")
	os.WriteFile(readme, []byte("# flowir\n\nAn incident-response workbench for VPC Flow Logs.\n\n- ingest\n- query\n"), 0o644)
	bin := filepath.Join(dir, "core.bin")
	os.WriteFile(bin, []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\n\x00\x00\x03\x00>\x00\x01\x00\x00\x00"), 0o644)
	caseDir := filepath.Join(dir, "case")
	for _, tt := range []struct {
		path string
		want []string
	}{
		{readme, []string{"readme.md: not one line is a flow log record: 6 rejected (4 field-count, 2 empty-line)", "is it a flow log?", "--log-format", "line 1: "}},
		{bin, []string{"core.bin: not one line is a flow log record: 2 rejected (2 nul-byte)", "not text"}},
	} {
		mustFail(t, 1, tt.want, "ingest", "--case", caseDir, tt.path)
	}
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT status, lines, records, rejects FROM sources ORDER BY path"); len(rows) != 2 ||
		rows[0]["status"] != "failed" || rows[1]["status"] != "failed" {
		t.Errorf("sources: %v, want two failed", rows)
	}
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT count(*) AS n FROM rejects"); rows[0]["n"] != float64(0) {
		t.Errorf("rejects of failed sources kept: %v", rows)
	}

	// A log without a header, read with the wrong format, fails; read with
	// its own, it loads.
	log := filepath.Join(dir, "short.log")
	os.WriteFile(log, []byte("2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 40000 6 10 900 1795000000 1795000060 ACCEPT OK\n"), 0o644)
	mustFail(t, 1, []string{"not one line is a flow log record"}, "ingest", "--case", caseDir, "--log-format", "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr}", log)
	mustRun(t, "ingest", "--case", caseDir, log)
	// One good source and one that fails: a partial run, exit 3 (issue 14's
	// exit statuses); every source failing is exit 1, above.
	mixed := filepath.Join(dir, "mixed.log")
	os.WriteFile(mixed, []byte("2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 40001 6 10 900 1795000000 1795000060 ACCEPT OK\n"), 0o644)
	mustFail(t, 3, []string{"1 of 2 sources failed"}, "ingest", "--case", t.TempDir()+"/c2", mixed, readme)
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT count(*) AS n FROM flows"); rows[0]["n"] != float64(1) {
		t.Errorf("flows: %v, want the one record", rows)
	}
}

// A --log-format naming a field no flow log has is refused before anything
// is read (issue 12.4), by ingest and by athena run; fields AWS writes
// that flowir keeps as text are not.
func TestLogFormatUnknownField(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "x.log")
	os.WriteFile(log, []byte("2 eni-0a1b2c3d4e5f60718 1\n"), 0o644)
	caseDir := filepath.Join(dir, "case")
	for _, args := range [][]string{
		{"ingest", "--case", caseDir, "--log-format", "${version} ${interface} ${bytes}", log},
		{"athena", "run", "top-talkers", "--log-format", "${version} ${interface} ${bytes}"},
	} {
		mustFail(t, 2, []string{"--log-format: no flow log field is named ${interface} (${interface-id}?)"}, args...)
	}
	if _, err := os.Stat(caseDir); err == nil {
		t.Errorf("the case was created before the format was refused")
	}
	mustRun(t, "ingest", "--case", caseDir, "--log-format", "${version} ${interface-id} ${encryption-status}", log)
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT interface_id, extra_fields FROM flows"); len(rows) != 1 || rows[0]["extra_fields"] != `{"encryption-status":"1"}` {
		t.Errorf("flows: %v", rows)
	}
}

// One NUL byte is one reject wherever it is in a text file (issue 17.8: in
// the first 8 KiB it refused the whole file as binary).
func TestNULIsOneReject(t *testing.T) {
	good := "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 40000 6 10 900 1795000000 1795000060 ACCEPT OK\n"
	nul := strings.Replace(good, "eni-0a1b", "eni-0a\x001b", 1)
	caseDir := ingestText(t, "nul.log", valuesHeader+nul+good+strings.Repeat(good, 200)+nul)
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT (SELECT count(*) FROM flows) AS records, (SELECT count(*) FROM rejects WHERE reason = 'nul-byte') AS nul"); len(rows) != 1 ||
		rows[0]["records"] != float64(201) || rows[0]["nul"] != float64(2) {
		t.Errorf("records and rejects: %v, want 201 records and 2 nul-byte rejects", rows)
	}
}

// A header line naming a field twice is not recognised, and the rejects say
// so (issue 17.10).
func TestIngestBadHeader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dup.log")
	os.WriteFile(p, []byte("version account-id interface-id srcaddr srcaddr\n2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.1.6\n"), 0o644)
	mustFail(t, 1, []string{"its header line was not recognised", "the field srcaddr is named twice"}, "ingest", "--case", filepath.Join(dir, "case"), p)
}
