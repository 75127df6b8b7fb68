package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"path/filepath"
	"slices"
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
				DstPort: &port, Protocol: 6, Direction: "inbound", FirstSeen: at, LastSeen: at.Add(time.Minute), Records: 3, Bytes: big.NewInt(120),
				Summary: "s", EvidenceSQL: "SELECT * FROM flows", Details: map[string]any{"n": i}})
		}
		return out
	}
	// 450 findings: more than one INSERT statement's worth.
	r1, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"a", "b"}, Config: []byte(`{}`)},
		append(mk("a", "198.51.100.1", 400), mk("b", "198.51.100.2", 50)...))
	if err != nil {
		t.Fatal(err)
	}
	// Rerunning rule a replaces its findings only.
	r2, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"a"}, Config: []byte(`{}`)}, mk("a", "198.51.100.3", 2))
	if err != nil {
		t.Fatal(err)
	}
	id1, id2 := r1.RunID, r2.RunID
	if want := []RuleReplacement{{Rule: "a", Replaced: 400, Stored: 2}}; !slices.Equal(r2.Rules, want) {
		t.Errorf("replacement %+v, want %+v", r2.Rules, want)
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
		fs[0].Details["n"] != json.Number("0") || fs[2].RunID != id1 {
		t.Errorf("findings %+v / %+v", fs[0], fs[2])
	}
	// A suppressed finding is stored with its reason.
	sup := mk("c", "198.51.100.4", 2)
	sup[1].SuppressedBy = "S3 (allow.txt:3): backups"
	if _, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"c"}, Config: []byte(`{}`)}, sup); err != nil {
		t.Fatal(err)
	}
	cs, err := c.Findings(ctx, []string{"c"})
	if err != nil || len(cs) != 2 || cs[0].SuppressedBy != "" || cs[1].SuppressedBy != "S3 (allow.txt:3): backups" {
		t.Fatalf("suppressed: %+v %v", cs, err)
	}
	var flagged int
	c.db.QueryRow(`SELECT count(*) FROM findings WHERE suppressed`).Scan(&flagged)
	if flagged != 1 {
		t.Errorf("%d findings flagged suppressed", flagged)
	}
	only, err := c.Findings(ctx, []string{"b"})
	if err != nil || len(only) != 50 {
		t.Errorf("Findings(b) = %d, %v", len(only), err)
	}
	var runs int
	c.db.QueryRow(`SELECT count(*) FROM detect_runs`).Scan(&runs)
	if runs != 3 {
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

// TestReplaceFindingsWindow: a rerun over a window replaces only the
// findings of its rules whose evidence lies wholly inside the window; those
// outside it or across its edges are kept, and a finding of the rerun that a
// kept one covers is not stored twice.
func TestReplaceFindingsWindow(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	h := func(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }
	port := 22
	f := func(rule, src string, first, last time.Time) FindingRow {
		return FindingRow{Rule: rule, Severity: "high", Technique: "T1110.001", Src: src, Dst: "10.0.0.1", DstPort: &port, Protocol: 6,
			FirstSeen: first, LastSeen: last, Records: 1, Bytes: big.NewInt(1), Summary: src, EvidenceSQL: "SELECT * FROM flows"}
	}
	first := []FindingRow{
		f("a", "198.51.100.1", h(-14), h(-13)),    // before the window: kept
		f("a", "198.51.100.2", h(10), h(11)),      // inside: replaced
		f("a", "198.51.100.3", h(-1), h(1)),       // across Since: kept
		f("a", "198.51.100.4", h(23.5), h(24.1)),  // across Until: kept
		f("a", "198.51.100.5", h(24), h(25)),      // at Until: kept
		f("a", "198.51.100.6", h(0), h(23.9)),     // from Since, inside: replaced
		f("a", "198.51.100.7", time.Time{}, h(1)), // no first_seen: kept
		f("b", "198.51.100.8", h(10), h(11)),      // another rule: untouched
	}
	if _, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: day, Rules: []string{"a", "b"}, Config: []byte(`{}`)}, first); err != nil {
		t.Fatal(err)
	}
	rerun := []FindingRow{
		f("a", "198.51.100.2", h(10), h(12)),   // the replaced one, found again
		f("a", "198.51.100.3", h(0), h(1)),     // the part of a kept one inside the window: covered
		f("a", "198.51.100.4", h(23.5), h(24)), // covered too
		f("a", "198.51.100.9", h(0), h(2)),     // new
	}
	res, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: day, Rules: []string{"a"}, Config: []byte(`{}`), Since: h(0), Until: h(24)}, rerun)
	if err != nil {
		t.Fatal(err)
	}
	if want := []RuleReplacement{{Rule: "a", Replaced: 2, Kept: 5, Stored: 2, Covered: 2}}; !slices.Equal(res.Rules, want) {
		t.Errorf("replacement %+v, want %+v", res.Rules, want)
	}
	fs, err := c.Findings(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range fs {
		got = append(got, fmt.Sprintf("%s %s %s", x.Rule, x.Src, x.FirstSeen.Format("02T15:04")))
	}
	slices.Sort(got)
	want := []string{
		"a 198.51.100.1 20T10:00", "a 198.51.100.2 21T10:00", "a 198.51.100.3 20T23:00", "a 198.51.100.4 21T23:30",
		"a 198.51.100.5 22T00:00", "a 198.51.100.7 01T00:00", "a 198.51.100.9 21T00:00", "b 198.51.100.8 21T10:00",
	}
	if !slices.Equal(got, want) {
		t.Errorf("stored after the rerun:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var since, until time.Time
	if err := c.db.QueryRow(`SELECT since, "until" FROM detect_runs WHERE run_id = ?`, res.RunID).Scan(&since, &until); err != nil ||
		!since.Equal(h(0)) || !until.Equal(h(24)) {
		t.Errorf("the run's window is recorded as %v to %v (%v)", since, until, err)
	}
	// A run without a window replaces every finding of its rules.
	res, err = c.ReplaceFindings(ctx, DetectRun{StartedAt: day, Rules: []string{"a"}, Config: []byte(`{}`)}, nil)
	if err != nil || res.Rules[0].Replaced != 7 || res.Rules[0].Kept != 0 {
		t.Errorf("full rerun: %+v, %v", res, err)
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

// TestEvidencePlacements: a finding's records are grouped by their own
// account and Region; an account-id of "unknown" (an interface an AWS
// service created) falls back to the account of the S3 location, a missing
// region field to its Region.
func TestEvidencePlacements(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	if _, err := c.db.Exec(`INSERT INTO flows_wide (account_id, region, account_partition, region_partition, srcaddr, srcport, start, "end", bytes, source_id, source_line) VALUES
		('111122223333', 'us-east-1', NULL, NULL, '198.51.100.7', 40000, 100, 160, 10, 1, 1),
		('111122223333', NULL, NULL, 'us-east-1', '198.51.100.7', 40000, 200, 260, 20, 1, 2),
		('unknown', 'eu-west-1', '444455556666', 'eu-west-1', '198.51.100.7', 40001, 300, 360, 30, 2, 1),
		('unknown', 'eu-west-1', '444455556666', 'eu-west-1', '10.0.0.1', 443, 300, 360, 30, 2, 2),
		('unknown', NULL, NULL, NULL, '198.51.100.7', 40002, 400, 460, 40, 3, 1)`); err != nil {
		t.Fatal(err)
	}
	ps, err := c.EvidencePlacements(ctx, "SELECT * FROM flows ORDER BY source_id;", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%q %q %d %d %d-%d %d:%d", p.Account, p.Region, p.Records, p.Bytes, p.First.Unix(), p.Last.Unix(), p.ActorPorts, p.ActorPort))
	}
	want := []string{
		`"111122223333" "us-east-1" 2 30 100-260 1:40000`,
		`"444455556666" "eu-west-1" 2 60 300-360 1:40001`,
		`"" "" 1 40 400-460 1:40002`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("placements:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := c.EvidencePlacements(ctx, "SELECT 1", ""); err == nil {
		t.Error("an evidence query without flow columns gave placements")
	}
}

// TestFindingID: a finding's id depends on its rule, actor, target, port,
// protocol, direction and first time seen only, is stored with it, and is
// the same when detect finds it again with more evidence; rows stored before
// findings had ids get theirs when a run keeps them.
func TestFindingID(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	p22, p443 := 22, 443
	base := FindingRow{Rule: "brute-force", Src: "192.0.2.45", Dst: "10.16.0.153", DstPort: &p22, Protocol: 6, Direction: "inbound", FirstSeen: at}
	// The hash of "brute-force\x00192.0.2.45\x0010.16.0.153\x0022\x006\x00inbound\x002026-11-20T10:00:00Z",
	// computed with sha256sum.
	if got, want := FindingID(base), "0e3959b8ee48"; got != want {
		t.Errorf("FindingID = %s, want %s", got, want)
	}
	for _, c := range []struct {
		name string
		edit func(*FindingRow)
		same bool
	}{
		{"more evidence", func(r *FindingRow) {
			r.LastSeen, r.Records, r.Bytes, r.Summary, r.RunID = at.Add(time.Hour), 99, big.NewInt(1e6), "other", 7
		}, true},
		{"suppressed", func(r *FindingRow) { r.SuppressedBy = "x" }, true},
		{"same instant elsewhere", func(r *FindingRow) { r.FirstSeen = at.In(time.FixedZone("X", 3600)) }, true},
		{"rule", func(r *FindingRow) { r.Rule = "exposed-admin-port" }, false},
		{"actor", func(r *FindingRow) { r.Src = "192.0.2.46" }, false},
		{"target", func(r *FindingRow) { r.Dst = "" }, false},
		{"port", func(r *FindingRow) { r.DstPort = &p443 }, false},
		{"no port", func(r *FindingRow) { r.DstPort = nil }, false},
		{"protocol", func(r *FindingRow) { r.Protocol = 17 }, false},
		{"direction", func(r *FindingRow) { r.Direction = "outbound" }, false},
		{"first seen", func(r *FindingRow) { r.FirstSeen = at.Add(time.Second) }, false},
	} {
		r := base
		c.edit(&r)
		if got := FindingID(r) == FindingID(base); got != c.same {
			t.Errorf("%s: same id %v, want %v", c.name, got, c.same)
		}
	}

	c := openTestCase(t)
	run := DetectRun{StartedAt: at, Rules: []string{"brute-force", "beaconing"}, Config: []byte(`{}`)}
	beacon := FindingRow{Rule: "beaconing", Severity: "medium", Technique: "T1071", Src: "10.0.0.1", Dst: "203.0.113.50", DstPort: &p443,
		Protocol: 6, Direction: "outbound", FirstSeen: at, LastSeen: at.Add(time.Hour), Records: 12, Bytes: big.NewInt(1200), Summary: "s", EvidenceSQL: "SELECT 1"}
	bf := base
	bf.Severity, bf.Technique, bf.LastSeen, bf.Records, bf.Summary, bf.EvidenceSQL = "medium", "T1110", at.Add(time.Hour), 40, "s", "SELECT 1"
	if _, err := c.ReplaceFindings(ctx, run, []FindingRow{bf, beacon}); err != nil {
		t.Fatal(err)
	}
	ids := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		rows, err := c.DB().QueryContext(ctx, `SELECT rule, coalesce(finding_id, 'NULL') FROM findings`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var rule, id string
			if err := rows.Scan(&rule, &id); err != nil {
				t.Fatal(err)
			}
			out[rule] = id
		}
		return out
	}
	want := map[string]string{"brute-force": FindingID(base), "beaconing": FindingID(beacon)}
	if got := ids(); !maps.Equal(got, want) {
		t.Errorf("stored ids %v, want %v", got, want)
	}
	// A rerun with more evidence: the same ids.
	bf.LastSeen, bf.Records = at.Add(2*time.Hour), 80
	if _, err := c.ReplaceFindings(ctx, run, []FindingRow{bf, beacon}); err != nil {
		t.Fatal(err)
	}
	fs, err := c.Findings(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].ID != want[fs[0].Rule] || fs[1].ID != want[fs[1].Rule] {
		t.Errorf("findings after a rerun: %+v", fs)
	}
	// A row stored before findings had ids: read with its id computed, and
	// given it when a run of another rule keeps it.
	if _, err := c.DB().ExecContext(ctx, `UPDATE findings SET finding_id = NULL WHERE rule = 'brute-force'`); err != nil {
		t.Fatal(err)
	}
	if fs, err := c.Findings(ctx, []string{"brute-force"}); err != nil || len(fs) != 1 || fs[0].ID != want["brute-force"] {
		t.Errorf("finding without a stored id: %+v %v", fs, err)
	}
	if _, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"beaconing"}, Config: []byte(`{}`)}, []FindingRow{beacon}); err != nil {
		t.Fatal(err)
	}
	if got := ids(); !maps.Equal(got, want) {
		t.Errorf("ids after a run kept the old row: %v, want %v", got, want)
	}
}

// TestFindingBytesExact: a finding's bytes are exact past int64 (issue
// 17.2), and a case whose findings.bytes is still a BIGINT (made before)
// has it widened to HUGEINT by the next detect run, its findings kept.
func TestFindingBytesExact(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	old := FindingRow{Rule: "old", Severity: "low", Technique: "T1046", Src: "10.0.0.1", FirstSeen: at, LastSeen: at, Records: 1, Bytes: big.NewInt(7),
		Summary: "s", EvidenceSQL: "SELECT 1"}
	if _, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"old"}, Config: []byte(`{}`)}, []FindingRow{old}); err != nil {
		t.Fatal(err)
	}
	// The table as flowir wrote it before.
	if _, err := c.db.ExecContext(ctx, `ALTER TABLE findings ALTER COLUMN bytes SET DATA TYPE BIGINT`); err != nil {
		t.Fatal(err)
	}
	if fs, err := c.Findings(ctx, nil); err != nil || len(fs) != 1 || fs[0].Bytes.Int64() != 7 {
		t.Fatalf("the BIGINT column reads as %+v, %v", fs, err)
	}
	huge, _ := new(big.Int).SetString("9907919180215090100", 10) // 1,100 records of 2^53-1
	f := old
	f.Rule, f.Bytes = "new", huge
	if _, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"new"}, Config: []byte(`{}`)}, []FindingRow{f}); err != nil {
		t.Fatal(err)
	}
	fs, err := c.Findings(ctx, nil)
	if err != nil || len(fs) != 2 {
		t.Fatalf("findings %+v, %v", fs, err)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.Rule] = f.Bytes.String()
	}
	if want := map[string]string{"old": "7", "new": huge.String()}; !maps.Equal(got, want) {
		t.Errorf("bytes %v, want %v", got, want)
	}
	var typ string
	if err := c.db.QueryRowContext(ctx, `SELECT data_type FROM duckdb_columns() WHERE table_name = 'findings' AND column_name = 'bytes'`).Scan(&typ); err != nil || typ != "HUGEINT" {
		t.Errorf("findings.bytes is %s (%v), want HUGEINT", typ, err)
	}
}
