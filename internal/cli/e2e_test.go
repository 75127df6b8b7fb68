package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// TestMain lets the test binary stand in for flowir in a second process:
// with FLOWIR_TEST_HOLD_CASE set it opens that case for writing, says
// "ready" and holds it until killed, so the lock test has a real rival.
//
// With FLOWIR_TEST_MAIN_ARGS set (a JSON list of arguments) it is flowir
// itself: Main with the process's real streams and signals.
func TestMain(m *testing.M) {
	if args := os.Getenv("FLOWIR_TEST_MAIN_ARGS"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Args = append([]string{"flowir"}, a...)
		signalsHandled = func() { fmt.Fprintln(os.Stderr, signalsReadyLine) }
		os.Exit(Main())
	}
	if dir := os.Getenv("FLOWIR_TEST_HOLD_CASE"); dir != "" {
		c, err := store.Open(context.Background(), dir, store.Options{Create: true, Load: true})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		time.Sleep(time.Minute)
		c.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// run runs flowir with args in-process, as the real binary does, and
// returns its exit status and output streams.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := output.Test()
	code = Run(context.Background(), args, ios)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("flowir %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// corpus generates a small demo corpus once per test binary.
var corpusDir string
var corpusTruth *demo.Truth

func corpus(t *testing.T) (string, *demo.Truth) {
	t.Helper()
	if corpusTruth == nil {
		dir, err := os.MkdirTemp("", "flowir-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		truth, err := demo.Generate(demo.Config{Dir: dir, Seed: 42, Records: 12000})
		if err != nil {
			t.Fatal(err)
		}
		corpusDir, corpusTruth = dir, truth
	}
	return corpusDir, corpusTruth
}

// TestIngestQueryEndToEnd ingests a generated corpus of mixed formats and
// layouts and checks every answer against the generator's ground truth, which
// it computed while writing, independently of SQL.
func TestIngestQueryEndToEnd(t *testing.T) {
	dir, truth := corpus(t)
	caseDir := filepath.Join(t.TempDir(), "case")
	out := mustRun(t, "ingest", "--case", caseDir, "--format", "json", dir)
	var sum struct {
		Files, Ingested, Skipped, Failed int
		Records, Rejects, Headers, Lines int64
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("ingest --format json: %v\n%s", err, out)
	}
	if sum.Records != truth.Records || sum.Rejects != 0 || sum.Lines != truth.Lines || int64(sum.Ingested) != truth.Files {
		t.Fatalf("ingest summary %+v, truth records %d lines %d files %d", sum, truth.Records, truth.Lines, truth.Files)
	}

	// status --format json reconciles and matches the truth per status and partition.
	var st store.Status
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--case", caseDir, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Lines != st.Records+st.Rejects+st.Headers || st.Records != truth.Records {
		t.Fatalf("status does not reconcile: %+v", st)
	}
	byStatus := map[string]int64{}
	for _, s := range st.ByStatus {
		byStatus[s.LogStatus] += s.Records
	}
	for k, want := range truth.ByStatus {
		if byStatus[k] != want {
			t.Errorf("%s records = %d, truth %d", k, byStatus[k], want)
		}
	}
	parts := map[string]int64{}
	for _, p := range st.ByPartition {
		parts[p.Account+" "+p.Region+" "+p.Date] += p.Records
	}
	for _, p := range truth.Partitions {
		if got := parts[p.Account+" "+p.Region+" "+p.Date]; got != p.Records {
			t.Errorf("partition %s %s %s: %d records, truth %d", p.Account, p.Region, p.Date, got, p.Records)
		}
	}

	// Every file is listed with its own reconciling counts.
	var sources []struct {
		Path                             string
		SHA256                           string `json:"sha256"`
		Lines, Records, Rejects, Headers int64
		Status                           string
	}
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--sources", "--case", caseDir, "--format", "json")), &sources); err != nil {
		t.Fatal(err)
	}
	if int64(len(sources)) != truth.Files {
		t.Fatalf("status --sources lists %d sources, truth %d files", len(sources), truth.Files)
	}
	for _, s := range sources {
		if s.Lines != s.Records+s.Rejects+s.Headers || s.Status != "complete" || len(s.SHA256) != 64 {
			t.Errorf("source %+v does not reconcile", s)
		}
	}

	// AWS's query name works as an alias and gives the true top talkers.
	var talkers []struct {
		IP         string `json:"ip"`
		TotalBytes int64  `json:"total_bytes"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "query", "VpcFlowLogsTopTalkers", "--case", caseDir, "--format", "json", "--limit", "10")), &talkers); err != nil {
		t.Fatal(err)
	}
	if len(talkers) != len(truth.TopTalkers) {
		t.Fatalf("top talkers: %d rows, truth %d", len(talkers), len(truth.TopTalkers))
	}
	for i, w := range truth.TopTalkers {
		if talkers[i].IP != w.IP || talkers[i].TotalBytes != w.Bytes {
			t.Errorf("top talker %d = %+v, truth %+v", i+1, talkers[i], w)
		}
	}

	// The playbook's data-ratio query, as AWS wrote it, against vpcflow.
	ip := truth.DataRatio.IP
	q := `SELECT sourceaddress, destinationaddress, count(*) AS record_count, SUM(numbytes) AS total_bytes,
		SUM(numbytes)/count(*) AS data_ratio,
		date_format(from_unixtime(min(starttime)), '%Y/%m/%d %H:%i:%s') AS first_seen,
		date_format(from_unixtime(max(endtime)), '%Y/%m/%d %H:%i:%s') AS last_seen
		FROM "flowir"."vpcflow"
		WHERE (sourceaddress = '` + ip + `' OR destinationaddress = '` + ip + `')
		GROUP BY sourceaddress, destinationaddress
		ORDER BY total_bytes DESC, sourceaddress, destinationaddress`
	var ratio []struct {
		Src       string `json:"sourceaddress"`
		Dst       string `json:"destinationaddress"`
		Records   int64  `json:"record_count"`
		Bytes     int64  `json:"total_bytes"`
		Ratio     int64  `json:"data_ratio"`
		FirstSeen string `json:"first_seen"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "sql", "--case", caseDir, "--format", "json", q)), &ratio); err != nil {
		t.Fatal(err)
	}
	if len(ratio) != len(truth.DataRatio.Pairs) {
		t.Fatalf("data ratio: %d pairs, truth %d", len(ratio), len(truth.DataRatio.Pairs))
	}
	for i, p := range truth.DataRatio.Pairs {
		r := ratio[i]
		first := time.Unix(p.FirstStart, 0).UTC().Format("2006/01/02 15:04:05")
		if r.Src != p.Src || r.Dst != p.Dst || r.Records != p.Records || r.Bytes != p.TotalBytes || r.Ratio != p.Ratio || r.FirstSeen != first {
			t.Errorf("data ratio row %d = %+v, truth %+v (first seen %s)", i+1, r, p, first)
		}
	}

	// Re-ingesting changes nothing.
	out = mustRun(t, "ingest", "--case", caseDir, "--format", "json", dir)
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Ingested != 0 || int64(sum.Skipped) != truth.Files {
		t.Fatalf("re-ingest: %+v", sum)
	}
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--case", caseDir, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Records != truth.Records {
		t.Fatalf("records after re-ingest = %d, truth %d", st.Records, truth.Records)
	}
}

// TestSQLCannotWriteOrReadOutside checks that `flowir sql` is read-only and
// confined to the case.
func TestSQLCannotWriteOrReadOutside(t *testing.T) {
	dir, _ := corpus(t)
	caseDir := filepath.Join(t.TempDir(), "case")
	mustRun(t, "ingest", "--case", caseDir, "-q", dir)
	outside := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(outside, []byte("a,b\n1,2\n"), 0o644)
	for _, q := range []string{
		"DELETE FROM flows",
		"INSERT INTO sources SELECT * FROM sources",
		"DROP TABLE rejects",
		"CREATE TABLE x AS SELECT 1",
		"SELECT * FROM read_csv('" + outside + "')",
		"COPY (SELECT 1) TO '" + filepath.Join(t.TempDir(), "out.csv") + "'",
		"ATTACH '" + filepath.Join(t.TempDir(), "other.duckdb") + "' AS other",
		"SET enable_external_access = true",
		"INSTALL httpfs",
		// Issue 16.1: the database file and its WAL were writable.
		"COPY (SELECT 'x' AS x) TO '" + filepath.Join(caseDir, store.DBFile) + "' (FORMAT csv, USE_TMP_FILE false)",
		"COPY (SELECT 'x' AS x) TO '" + filepath.Join(caseDir, store.DBFile) + ".wal' (FORMAT csv, USE_TMP_FILE false)",
		// Issue 17.6: only the first statement was checked.
		"SELECT 1; COPY (SELECT 'x' AS x) TO '" + filepath.Join(caseDir, store.DBFile) + "' (FORMAT csv, USE_TMP_FILE false)",
		"SELECT 1; SELECT 2",
	} {
		code, out, errOut := run(t, "sql", "--case", caseDir, q)
		if code == 0 {
			t.Errorf("%s: succeeded (%s)", q, out)
		} else if errOut == "" {
			t.Errorf("%s: failed without a message", q)
		}
	}
	// And the case is intact.
	if out := mustRun(t, "sql", "--case", caseDir, "--format", "csv", "SELECT count(*) > 0 AS ok FROM flows"); !strings.Contains(out, "true") {
		t.Fatalf("case damaged: %s", out)
	}
}

func TestUsageAndCaseErrors(t *testing.T) {
	tmp := t.TempDir()
	notCase := filepath.Join(tmp, "notes")
	os.MkdirAll(notCase, 0o755)
	os.WriteFile(filepath.Join(notCase, "todo.txt"), []byte("x"), 0o644)
	log := filepath.Join(tmp, "a.log")
	os.WriteFile(log, []byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"), 0o644)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"query"}, 2, "one query name"},
		{[]string{"query", "no-such-query", "--case", tmp}, 2, "unknown"},
		{[]string{"query", "data-ratio", "--case", tmp, "-p", "ip=999.1.1.1"}, 2, "999.1.1.1"},
		{[]string{"status", "--format", "xml", "--case", tmp}, 2, "valid formats"},
		{[]string{"ingest"}, 2, "at least one"},
		{[]string{"nosuchcommand"}, 2, "unknown command"},
		{[]string{"status", "--bogus"}, 2, "unknown flag"},
		{[]string{"status", "--case", filepath.Join(tmp, "missing")}, 10, "no case"},
		{[]string{"ingest", "--case", notCase, log}, 1, "not a flowir case"},
		{[]string{"ingest", "--case", filepath.Join(tmp, "c"), filepath.Join(tmp, "nope.log")}, 1, "no such file"},
		{[]string{"ingest", "--case", filepath.Join(tmp, "c"), "--log-format", "${version} ${version}", log}, 2, "twice"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("flowir %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.msg)
		}
	}
}

// TestCaseHeldByAnotherProcess starts a second process that holds the case
// and checks that a command gets a clear message, and that the case is fine
// afterwards.
func TestCaseHeldByAnotherProcess(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "case")
	log := filepath.Join(t.TempDir(), "a.log")
	os.WriteFile(log, []byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"), 0o644)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FLOWIR_TEST_HOLD_CASE="+caseDir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder said %q", line)
	}
	for _, args := range [][]string{{"ingest", "--case", caseDir, log}, {"status", "--case", caseDir}} {
		code, _, errOut := run(t, args...)
		if code != 11 || !strings.Contains(errOut, "in use by another process (PID") {
			t.Errorf("flowir %s: exit %d, %q", strings.Join(args, " "), code, errOut)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	mustRun(t, "ingest", "--case", caseDir, log)
	if out := mustRun(t, "sql", "--case", caseDir, "--format", "csv", "SELECT count(*) AS n FROM flows"); !strings.Contains(out, "\n1\n") {
		t.Fatalf("after the rival left: %q", out)
	}
}

// TestDemo runs the demo end to end on a small corpus; the demo itself
// checks the case against the generator's ground truth.
func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	stdout := mustRun(t, "demo", "--out", out, "--records", "3000", "--seed", "3")
	if !strings.Contains(stdout, "matches the generator's ground truth") {
		t.Fatalf("demo output:\n%s", stdout)
	}
	// A second run replaces its own earlier output.
	mustRun(t, "demo", "--out", out, "--records", "3000", "--seed", "3")
	// But it refuses a directory it did not make.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "keep.txt"), []byte("x"), 0o644)
	if code, _, errOut := run(t, "demo", "--out", other); code != 1 || !strings.Contains(errOut, "not made by flowir demo") {
		t.Fatalf("demo into a foreign directory: exit %d, %q", code, errOut)
	}
}
