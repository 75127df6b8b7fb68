package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowir/flowir/internal/output"
)

// smallCase ingests one record into a new case and returns its directory.
func smallCase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	if err := os.WriteFile(log, []byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(dir, "case")
	mustRun(t, "ingest", "--case", caseDir, "-q", log)
	return caseDir
}

// runTTY runs flowir in-process with standard output and error said to be
// terminals.
func runTTY(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := output.Test()
	in.WriteString(stdin)
	ios.SetStdoutTTY(true)
	ios.SetStderrTTY(true)
	code = Run(context.Background(), args, ios)
	return code, out.String(), errOut.String()
}

// signalsReadyLine is what the stand-in for flowir (TestMain) prints on
// standard error once Main handles signals.
const signalsReadyLine = "flowir-test: signals handled"

// startFlowir starts the test binary as flowir (see TestMain) with args and
// stdin, and waits until it handles signals. It returns the command and a
// function that returns the command's standard error once it has ended.
func startFlowir(t *testing.T, stdin io.Reader, args ...string) (*exec.Cmd, func() string) {
	t.Helper()
	a, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FLOWIR_TEST_MAIN_ARGS="+string(a))
	cmd.Stdin = stdin
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var buf bytes.Buffer
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if sc.Text() == signalsReadyLine {
				close(ready)
				continue
			}
			buf.WriteString(sc.Text() + "\n")
		}
	}()
	stderr := func() string { <-done; return buf.String() }
	select {
	case <-ready:
	case <-done:
		t.Fatalf("flowir %s ended before it was ready: %s", strings.Join(args, " "), stderr())
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("flowir %s not ready after 2 minutes: %s", strings.Join(args, " "), stderr())
	}
	return cmd, stderr
}

// TestSignalsStopFlowir runs the real Main in a second process and sends it
// SIGINT or SIGTERM while it waits for a query on a pipe that never ends,
// or on a FIFO nobody writes to, and while DuckDB runs a long query. Before, the signal was caught and
// nothing looked at it: flowir sql waited for its input forever.
func TestSignalsStopFlowir(t *testing.T) {
	caseDir := smallCase(t)
	long := "SELECT sum(i) FROM range(100000000000000) t(i)"
	fifo := filepath.Join(t.TempDir(), "query.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		sig  syscall.Signal
		args []string
		pipe bool // stdin: a pipe whose writer stays open
		code int
	}{
		{"stdin-SIGINT", syscall.SIGINT, []string{"sql", "--case", caseDir}, true, 130},
		{"stdin-SIGTERM", syscall.SIGTERM, []string{"sql", "--case", caseDir}, true, 143},
		{"query-SIGINT", syscall.SIGINT, []string{"sql", "--case", caseDir, long}, false, 130},
		{"query-SIGTERM", syscall.SIGTERM, []string{"sql", "--case", caseDir, long}, false, 143},
		{"fifo-SIGINT", syscall.SIGINT, []string{"sql", "--case", caseDir, "--file", fifo}, false, 130},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdin io.Reader
			if tt.pipe {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				defer r.Close()
				stdin = r
			}
			cmd, stderr := startFlowir(t, stdin, tt.args...)
			// Time to be waiting on the pipe, or inside DuckDB's query.
			time.Sleep(2 * time.Second)
			sent := time.Now()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 20 s after %v; stderr: %s", tt.sig, stderr())
			}
			if code := cmd.ProcessState.ExitCode(); code != tt.code || !strings.Contains(stderr(), "stopped by") {
				t.Errorf("exit %d, stderr %q; want exit %d and 'stopped by'", code, stderr(), tt.code)
			}
			t.Logf("stopped %v after the signal", time.Since(sent).Round(time.Millisecond))
		})
	}
}

// TestSQLQueryInputBounded: a query file or standard input that never ends
// (/dev/zero) is refused once it passes maxQueryBytes, instead of filling
// the memory.
func TestSQLQueryInputBounded(t *testing.T) {
	caseDir := smallCase(t)
	code, _, errOut := run(t, "sql", "--case", caseDir, "--file", "/dev/zero")
	if code != 2 || !strings.Contains(errOut, "longer than") {
		t.Errorf("--file /dev/zero: exit %d, %q", code, errOut)
	}
	ios, in, _, errBuf := output.Test()
	in.Write(bytes.Repeat([]byte("-- padding\n"), maxQueryBytes/10))
	if code := Run(context.Background(), []string{"sql", "--case", caseDir}, ios); code != 2 || !strings.Contains(errBuf.String(), "longer than") {
		t.Errorf("long stdin: exit %d, %q", code, errBuf.String())
	}
	// A query on standard input still works.
	ios, in, out, _ := output.Test()
	in.WriteString("SELECT count(*) AS n FROM flows")
	if code := Run(context.Background(), []string{"sql", "--case", caseDir, "--format", "csv"}, ios); code != 0 || out.String() != "n\n1\n" {
		t.Errorf("stdin query: exit %d, %q", code, out.String())
	}
}

// TestCSVSafeAndTerminal checks --csv-safe and its default (on when standard
// output is a terminal), that numbers are never changed, that control
// characters never reach a terminal, and that JSON stays exact.
func TestCSVSafeAndTerminal(t *testing.T) {
	caseDir := smallCase(t)
	q := `SELECT '=cmd|''/c calc''!A1' AS f, '+HYPERLINK("http://x")' AS h, -5 AS n, '-5' AS s, -2.5::DOUBLE AS d, chr(27) || '[2J' AS esc`
	csvRow := func(out string) []string {
		t.Helper()
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("csv %q: %v", out, err)
		}
		return recs[1]
	}
	// Off a terminal: exact unless asked.
	row := csvRow(mustRun(t, "sql", "--case", caseDir, "--format", "csv", q))
	if row[0] != `=cmd|'/c calc'!A1` || row[5] != "\x1b[2J" {
		t.Errorf("off a terminal: %q", row)
	}
	row = csvRow(mustRun(t, "sql", "--case", caseDir, "--format", "csv", "--csv-safe", q))
	if want := []string{`'=cmd|'/c calc'!A1`, `'+HYPERLINK("http://x")`, "-5", "-5", "-2.5", "\x1b[2J"}; strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("--csv-safe: %q, want %q", row, want)
	}
	// On a terminal: neutralised and escaped by default.
	code, out, errOut := runTTY(t, "", "sql", "--case", caseDir, "--format", "csv", q)
	if code != 0 {
		t.Fatal(errOut)
	}
	row = csvRow(out)
	if row[0] != `'=cmd|'/c calc'!A1` || row[2] != "-5" || row[5] != `\x1b[2J` {
		t.Errorf("on a terminal: %q", row)
	}
	_, out, _ = runTTY(t, "", "sql", "--case", caseDir, "--format", "csv", "--csv-safe=false", q)
	if row = csvRow(out); row[0] != `=cmd|'/c calc'!A1` || row[5] != `\x1b[2J` {
		t.Errorf("--csv-safe=false on a terminal: %q", row)
	}
	for _, format := range []string{"table", "tsv", "json", "ndjson", "csv"} {
		_, out, _ := runTTY(t, "", "sql", "--case", caseDir, "--format", format, q)
		if strings.ContainsRune(out, 0x1b) {
			t.Errorf("%s on a terminal sends ESC: %q", format, out)
		}
	}
	// JSON is exact, on a terminal too.
	_, out, _ = runTTY(t, "", "sql", "--case", caseDir, "--format", "json", q)
	var back []map[string]any
	if err := json.Unmarshal([]byte(out), &back); err != nil || back[0]["esc"] != "\x1b[2J" || back[0]["f"] != `=cmd|'/c calc'!A1` || back[0]["n"] != -5.0 {
		t.Errorf("json: %v, %v", back, err)
	}
	// An error quoting a value does not send it to a terminal either.
	code, _, errOut = runTTY(t, "", "sql", "--case", caseDir, "SELECT CAST(chr(27) || '[2J' AS INTEGER)")
	if code != 1 || strings.ContainsRune(errOut, 0x1b) || !strings.Contains(errOut, `\x1b[2J`) {
		t.Errorf("error on a terminal: exit %d, %q", code, errOut)
	}
}

// TestRepeatedFlagsRefused: -p ip=A -p ip=B used only B; a single-value
// flag given twice kept the last. Both are usage errors now.
func TestRepeatedFlagsRefused(t *testing.T) {
	caseDir := smallCase(t)
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"query", "data-ratio", "--case", caseDir, "-p", "ip=10.0.0.1", "-p", "ip=10.0.0.2"}, "parameter ip given twice"},
		{[]string{"query", "top-talkers", "--case", caseDir, "--since", "1h", "--since", "2h"}, "given twice"},
		{[]string{"query", "top-talkers", "--case", caseDir, "--limit", "1", "--limit", "2"}, "given twice"},
		{[]string{"sql", "--case", caseDir, "--case", caseDir, "SELECT 1"}, "given twice"},
		{[]string{"sql", "--case", caseDir, "--format", "csv", "--format", "json", "SELECT 1"}, "given twice"},
		{[]string{"sql", "--case", caseDir, "--csv-safe", "--csv-safe=false", "SELECT 1"}, "given twice"},
		{[]string{"sql", "--case", caseDir, "-f", "/dev/null", "-f", "/dev/null"}, "given twice"},
		{[]string{"status", "--case", caseDir, "--case", caseDir}, "given twice"},
		{[]string{"athena", "queries", "data-ratio", "-p", "ip=10.0.0.1", "-p", "ip=10.0.0.2"}, "parameter ip given twice"},
		{[]string{"athena", "queries", "data-ratio", "-p", "ip=10.0.0.1", "--since", "1h", "--since", "2h"}, "given twice"},
		{[]string{"ingest", "--case", caseDir, "--since", "1h", "--since", "2h", caseDir}, "given twice"},
		{[]string{"detect", "--case", caseDir, "--until", "1h", "--until", "2h"}, "given twice"},
		{[]string{"investigate", "10.0.0.1", "--case", caseDir, "--since", "1h", "--since", "2h"}, "given twice"},
	} {
		code, _, errOut := run(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("flowir %s: exit %d, %q; want exit 2 mentioning %q", strings.Join(tt.args, " "), code, errOut, tt.msg)
		}
	}
	mustRun(t, "query", "data-ratio", "--case", caseDir, "-p", "ip=10.0.0.1", "--format", "csv")
}

// TestEveryFlagRefusesRepeats walks the command tree: every flag that takes
// one value refuses a second, so a flag added later cannot keep the last of
// two values silently.
func TestEveryFlagRefusesRepeats(t *testing.T) {
	ios, _, _, _ := output.Test()
	root := NewRootCmd(&Factory{IO: ios})
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(fl *pflag.Flag) {
			if _, ok := fl.Value.(*onceValue); !ok && !repeatable(fl.Value) {
				t.Errorf("%s --%s (%s) keeps the last of two values", c.CommandPath(), fl.Name, fl.Value.Type())
			}
			n++
		}
		c.PersistentFlags().VisitAll(check)
		c.Flags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 50 {
		t.Fatalf("only %d flags seen", n)
	}
}

// heapSampler discards the output and records the largest live Go heap
// seen while it is written.
type heapSampler struct {
	writes int
	bytes  int64
	peak   uint64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.writes++
	h.bytes += int64(len(p))
	if h.writes%8 == 1 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.peak = max(h.peak, m.HeapAlloc)
	}
	return len(p), nil
}

// TestSQLStreamsRows: flowir sql --format csv/json held every row of the
// result as Go values before printing the first (2.2 GB for SELECT * FROM
// flows on a million records). Now the Go heap stays flat while a million
// rows are printed; what DuckDB holds is outside the Go heap.
func TestSQLStreamsRows(t *testing.T) {
	caseDir := smallCase(t)
	const q = "SELECT i, repeat('x', 50) || i::VARCHAR AS s FROM range(1000000) t(i)"
	for _, format := range []string{"csv", "json"} {
		ios, _, _, errOut := output.Test()
		h := &heapSampler{}
		ios.Out = h
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		base := m.HeapAlloc
		if code := Run(context.Background(), []string{"sql", "--case", caseDir, "--format", format, q}, ios); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		if h.bytes < 50_000_000 {
			t.Fatalf("%s: only %d bytes written", format, h.bytes)
		}
		grew := int64(h.peak) - int64(base)
		t.Logf("%s: %d bytes in %d writes; live heap grew by at most %.1f MB", format, h.bytes, h.writes, float64(grew)/1e6)
		if grew > 32<<20 {
			t.Errorf("%s: the live Go heap grew by %.1f MB while printing: rows are held, not streamed", format, float64(grew)/1e6)
		}
	}
}
