package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvidenceNamesShownNotObeyed gives flowir evidence whose file names
// carry terminal escapes (clear the screen, set the window title, a
// carriage return that overwrites the line) and checks that on a terminal
// every command that names a file shows the escapes instead of sending them
// (issue 17.12): the ingest summary (failed and ignored files, the folder),
// the IOC loader's per-file lines, and status. (A case folder with a
// control character is refused by the store, so it is not tried here.)
func TestEvidenceNamesShownNotObeyed(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs\x1b[2J")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	good := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"
	files := map[string]string{
		"ok\x1b]0;owned\a.log": good,
		"bad\r\x1b[2K.log":     "not a flow log\n",
		"readme\x1b[31m.txt":   "ignored by name\n",
		"iocs\x1b[2J.txt":      "10.0.0.2\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(logs, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	caseDir := filepath.Join(dir, "case")
	raw := func(what, s string) {
		t.Helper()
		if strings.ContainsAny(s, "\x1b\r\a") {
			t.Errorf("%s: raw terminal control characters reach the terminal:\n%q", what, s)
		}
	}
	_, out, errOut := runTTY(t, "", "ingest", "-q", "--case", caseDir, logs)
	raw("ingest stdout", out)
	raw("ingest stderr", errOut)
	for _, want := range []string{`bad\r\x1b[2K.log`, `readme\x1b[31m.txt`, `logs\x1b[2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest summary does not show %s:\n%s", want, out)
		}
	}
	_, out, errOut = runTTY(t, "", "ioc", "--case", caseDir, filepath.Join(logs, "iocs\x1b[2J.txt"))
	raw("ioc stdout", out)
	raw("ioc stderr", errOut)
	if !strings.Contains(errOut, `iocs\x1b[2J.txt`) {
		t.Errorf("ioc does not name its file:\n%s", errOut)
	}
	_, out, errOut = runTTY(t, "", "status", "--case", caseDir)
	raw("status stdout", out)
	raw("status stderr", errOut)
}
