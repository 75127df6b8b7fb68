package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReplaceFindings(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	port := 22
	mk := func(rule, src string, n int) []FindingRow {
		var out []FindingRow
		for i := range n {
			out = append(out, FindingRow{Rule: rule, Severity: "medium", Technique: "T1046", Src: src, Dst: fmt.Sprintf("10.0.0.%d", i),
				DstPort: &port, Protocol: 6, Direction: "inbound", FirstSeen: at, LastSeen: at.Add(time.Minute), Records: 3, Bytes: 120,
				Summary: "s", EvidenceSQL: "SELECT * FROM flows", Details: map[string]any{"n": i}})
		}
		return out
	}
	// 450 findings: more than one INSERT statement's worth.
	id1, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"a", "b"}, Config: []byte(`{}`)},
		append(mk("a", "198.51.100.1", 400), mk("b", "198.51.100.2", 50)...))
	if err != nil {
		t.Fatal(err)
	}
	// Rerunning rule a replaces its findings only.
	id2, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"a"}, Config: []byte(`{}`)}, mk("a", "198.51.100.3", 2))
	if err != nil {
		t.Fatal(err)
	}
	if id2 != id1+1 {
		t.Errorf("run ids %d, %d", id1, id2)
	}
	fs, err := c.Findings(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 52 {
		t.Fatalf("%d findings, want 2 of a and 50 of b", len(fs))
	}
	if fs[0].Rule != "a" || fs[0].Src != "198.51.100.3" || fs[0].RunID != id2 || *fs[0].DstPort != 22 || !fs[0].FirstSeen.Equal(at) ||
		fs[0].Details["n"] != float64(0) || fs[2].RunID != id1 {
		t.Errorf("findings %+v / %+v", fs[0], fs[2])
	}
	only, err := c.Findings(ctx, []string{"b"})
	if err != nil || len(only) != 50 {
		t.Errorf("Findings(b) = %d, %v", len(only), err)
	}
	var runs int
	c.db.QueryRow(`SELECT count(*) FROM detect_runs`).Scan(&runs)
	if runs != 2 {
		t.Errorf("%d runs recorded", runs)
	}
	ro, err := Open(ctx, filepath.Join(t.TempDir(), "x"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
	ro, err = Open(ctx, ro.Dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.ReplaceFindings(ctx, DetectRun{}, nil); err == nil {
		t.Error("a read-only case accepted findings")
	}
}

// TestSessionTempTables checks that a session's temporary tables are seen by
// its own queries, work on a read-only case, and are gone afterwards.
func TestSessionTempTables(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "case")
	c, err := Open(ctx, dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadAddressTable(ctx, "ir_test", []string{"10.0.0.1", "2001:db8::1"}, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadAddressTable(ctx, "ir_null", []string{"10.0.0.2"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadAddressTable(ctx, "ir_empty", nil, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := s.QueryRows(ctx, `SELECT (SELECT string_agg(addr || '=' || tag, ',' ORDER BY addr) FROM ir_test),
		(SELECT count(*) FROM ir_null WHERE tag IS NULL), (SELECT count(*) FROM ir_empty)`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(fmt.Sprintln(rows[0]...)); got != "10.0.0.1=a,2001:db8::1=b 1 0" {
		t.Errorf("temporary tables hold %q", got)
	}
	for _, bad := range []string{"flows; DROP TABLE flows", "Bad", ""} {
		if err := s.LoadAddressTable(ctx, bad, nil, nil); err == nil {
			t.Errorf("table name %q accepted", bad)
		}
	}
	if err := s.LoadAddressTable(ctx, "ir_x", []string{"a"}, []string{"1", "2"}); err == nil {
		t.Error("mismatched tags accepted")
	}
	s.Close()
	// The next session, on whatever connection, does not see them.
	s2, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.QueryRows(ctx, `SELECT * FROM ir_test`); err == nil {
		t.Error("a temporary table outlived its session")
	}
}
