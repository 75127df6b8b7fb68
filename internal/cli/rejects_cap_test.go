package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/store"
)

// A source of a few KB of gzipped newlines holds millions of empty lines
// (issue 17.20: 100 KB became 105M reject rows). Each is a counted reject,
// so lines = records + rejects + headers still holds exactly, but only the
// source's first store.RejectsKept are kept as rows; the rest are counted
// by reason, and ingest and status say so.
func TestRejectsKeptPerSource(t *testing.T) {
	const empty = 1_000_000
	rec := "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 40000 6 10 900 1795000000 1795000060 ACCEPT OK\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(valuesHeader + rec))
	zw.Write(bytes.Repeat([]byte{'\n'}, empty/2))
	zw.Write([]byte("not a record\n"))
	zw.Write(bytes.Repeat([]byte{'\n'}, empty/2))
	zw.Write([]byte(rec))
	zw.Close()
	if gz.Len() > 10_000 {
		t.Fatalf("the generated source is %d bytes compressed", gz.Len())
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "newlines.log.gz")
	os.WriteFile(p, gz.Bytes(), 0o644)
	caseDir := filepath.Join(dir, "case")

	out := mustRun(t, "ingest", "--case", caseDir, p)
	notKept := empty + 1 - store.RejectsKept
	for _, w := range []string{
		"lines:    1000004 = records 2 + rejected 1000001 + headers 1",
		"not kept: 990001 rejected lines past the first 10000 of their source are counted by reason",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("ingest summary does not say %q:\n%s", w, out)
		}
	}

	var st store.Status
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--case", caseDir, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Lines != empty+4 || st.Records != 2 || st.Rejects != empty+1 || st.Headers != 1 || st.RejectsNotKept != int64(notKept) {
		t.Errorf("status: lines %d, records %d, rejects %d (%d not kept), headers %d; want %d, 2, %d (%d), 1",
			st.Lines, st.Records, st.Rejects, st.RejectsNotKept, st.Headers, empty+4, empty+1, notKept)
	}
	// Every reason is counted whole, kept or not (the one field-count
	// reject comes after the first 10,000 empty lines: it is counted only).
	want := []store.ReasonCount{{Reason: "empty-line", Lines: empty}, {Reason: "field-count", Lines: 1}}
	if len(st.RejectReasons) != 2 || st.RejectReasons[0] != want[0] || st.RejectReasons[1] != want[1] {
		t.Errorf("status reject reasons: %v, want %v", st.RejectReasons, want)
	}
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT count(*) AS n, max(line) AS last FROM rejects"); rows[0]["n"] != float64(store.RejectsKept) || rows[0]["last"] != float64(store.RejectsKept+2) {
		t.Errorf("rejects rows: %v, want the first %d", rows, store.RejectsKept)
	}
	if rows := runRows(t, "sql", "--case", caseDir, "SELECT reason, lines FROM rejects_not_kept ORDER BY reason"); len(rows) != 2 ||
		rows[0]["reason"] != "empty-line" || rows[0]["lines"] != float64(notKept-1) || rows[1]["reason"] != "field-count" || rows[1]["lines"] != float64(1) {
		t.Errorf("rejects_not_kept: %v, want %d empty-line and 1 field-count", rows, notKept-1)
	}
	if text := mustRun(t, "status", "--case", caseDir); !strings.Contains(text, "(990001 of them are counted, not kept with their text") {
		t.Errorf("status does not say that rejects were not kept:\n%s", text)
	}

	// The case stays small: a million reject rows would be tens of MB.
	var size int64
	filepath.Walk(caseDir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	if size > 16<<20 {
		t.Errorf("the case holds %d bytes after a source of %d compressed bytes", size, gz.Len())
	}
}
