package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func entry(key, text, comment, file string, line int) IOCEntry {
	kind, bits, fam := "address", 32, 4
	if strings.Contains(key, "/") {
		kind = "network"
		fmt.Sscanf(key[strings.Index(key, "/")+1:], "%d", &bits)
	}
	if strings.Contains(key, ":") {
		fam = 6
		if kind == "address" {
			bits = 128
		}
	}
	return IOCEntry{ThreatIP: text, Comment: comment, IOC: key, Kind: kind, Family: fam, PrefixLen: bits,
		FirstAddress: "x", LastAddress: "y", File: file, Line: line, Format: "csv"}
}

func TestLoadIOCsIdempotent(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	a := []IOCEntry{
		entry("203.0.113.66", "203.0.113.66", "C2", "a.csv", 2),
		entry("198.51.100.128/25", "198.51.100.128/25", "range", "a.csv", 3),
		entry("203.0.113.66", "203.0.113.66", "C2, again", "a.csv", 4), // listed twice in one file
	}
	st, err := c.LoadIOCs(ctx, IOCFileInfo{Path: "a.csv", SHA256: "aaa", Format: "csv", Entries: 3}, a)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 2 || st.Known != 1 || st.CommentsAdded != 1 || st.SameFile {
		t.Errorf("first load: %+v", st)
	}
	// The same file again: nothing changes.
	st, err = c.LoadIOCs(ctx, IOCFileInfo{Path: "a.csv", SHA256: "aaa", Format: "csv", Entries: 3}, a)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 0 || st.CommentsAdded != 0 || !st.SameFile {
		t.Errorf("second load: %+v", st)
	}
	// Another file listing the same network with another spelling and comment.
	b := []IOCEntry{entry("198.51.100.128/25", "198.51.100.130/25", "bulletproof", "b.txt", 1), entry("192.0.2.4", "192.0.2.4", "", "b.txt", 2)}
	if _, err := c.LoadIOCs(ctx, IOCFileInfo{Path: "b.txt", SHA256: "bbb", Format: "plain", Entries: 2}, b); err != nil {
		t.Fatal(err)
	}
	got, err := c.IOCs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"203.0.113.66|203.0.113.66|C2 | C2, again", "198.51.100.128/25|198.51.100.128/25|range | bulletproof", "192.0.2.4|192.0.2.4|"}
	if len(got) != len(want) {
		t.Fatalf("%d indicators: %+v", len(got), got)
	}
	for i, e := range got {
		if s := e.IOC + "|" + e.ThreatIP + "|" + e.Comment; s != want[i] {
			t.Errorf("indicator %d = %s, want %s", i, s, want[i])
		}
	}
	var occ, files int
	c.db.QueryRow(`SELECT count(*) FROM ioc_occurrences`).Scan(&occ)
	c.db.QueryRow(`SELECT count(*) FROM ioc_files`).Scan(&files)
	if occ != 5 || files != 2 {
		t.Errorf("%d occurrences, %d files; want 5, 2", occ, files)
	}
	if err := c.ClearIOCs(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.IOCs(ctx); len(got) != 0 {
		t.Errorf("after ClearIOCs: %v", got)
	}
}

// insertFlow adds one record to flows.
func insertFlow(t *testing.T, c *Case, line int, eni, src, dst string, sport, dport int, bytes int64, action, psrc, pdst string) {
	t.Helper()
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	_, err := c.db.Exec(`INSERT INTO flows_wide (version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes,
		start, "end", action, log_status, pkt_srcaddr, pkt_dstaddr, source_id, source_line)
		VALUES (5, '111122223333', ?, ?, ?, ?, ?, 6, 3, ?, ?, ?, ?, 'OK', ?, ?, 1, ?)`,
		eni, src, dst, sport, dport, bytes, 1_795_000_000+int64(line), 1_795_000_010+int64(line), action, null(psrc), null(pdst), line)
	if err != nil {
		t.Fatal(err)
	}
}

// TestIOCView checks the directional view's rows: direction seen from the
// monitored network, connecting_ip the monitored host, packet-level matches
// through a NAT gateway, a record with both ends in the list, and the
// summary's counts.
func TestIOCView(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	if _, err := c.LoadIOCs(ctx, IOCFileInfo{Path: "i.csv", SHA256: "i", Format: "csv"}, []IOCEntry{
		entry("203.0.113.66", "203.0.113.66", "C2", "i.csv", 1),
		entry("198.51.100.0/24", "198.51.100.0/24", "range", "i.csv", 2),
		entry("2001:db8:bad:1::66", "2001:db8:bad:1::66", "v6", "i.csv", 3),
	}); err != nil {
		t.Fatal(err)
	}
	const nat = "10.0.0.220"
	insertFlow(t, c, 1, "eni-h", "10.0.1.5", "203.0.113.66", 40000, 8443, 1000, "ACCEPT", "10.0.1.5", "203.0.113.66") // host -> C2
	insertFlow(t, c, 2, "eni-h", "203.0.113.66", "10.0.1.5", 8443, 40000, 5000, "ACCEPT", "203.0.113.66", "10.0.1.5") // C2 -> host
	insertFlow(t, c, 3, "eni-n", "10.0.1.5", nat, 40000, 8443, 1000, "ACCEPT", "10.0.1.5", "203.0.113.66")            // inside leg
	insertFlow(t, c, 4, "eni-n", nat, "203.0.113.66", 61000, 8443, 1000, "ACCEPT", nat, "203.0.113.66")               // outside leg
	insertFlow(t, c, 5, "eni-n", "203.0.113.66", nat, 8443, 61000, 5000, "ACCEPT", "203.0.113.66", nat)               // outside leg back
	insertFlow(t, c, 6, "eni-n", nat, "10.0.1.5", 8443, 40000, 5000, "ACCEPT", "203.0.113.66", "10.0.1.5")            // inside leg back
	insertFlow(t, c, 7, "eni-w", "198.51.100.9", "10.0.0.8", 50000, 22, 60, "REJECT", "", "")                         // from the range, rejected
	insertFlow(t, c, 8, "eni-w", "198.51.100.9", "203.0.113.66", 1, 2, 10, "ACCEPT", "", "")                          // both ends IOCs
	insertFlow(t, c, 9, "eni-w", "198.51.99.255", "10.0.0.8", 50000, 443, 10, "ACCEPT", "", "")                       // just outside the range
	insertFlow(t, c, 10, "eni-6", "2600:1f18::5", "2001:db8:bad:1::66", 50000, 443, 700, "ACCEPT", "", "")
	// What the CIDR matcher would give over the case's 8 addresses
	// (analysis.IOCMatcher is tested on its own).
	if err := c.ReplaceIOCMatches(ctx, []string{"198.51.100.9", "2001:db8:bad:1::66", "203.0.113.66"},
		[]string{"198.51.100.0/24", "2001:db8:bad:1::66", "203.0.113.66"}, 8); err != nil {
		t.Fatal(err)
	}
	res, err := c.Query(ctx, `SELECT source_line, direction, connecting_ip, threat_ip, matched_on, source, destination
		FROM incident_vpc_flow_directional ORDER BY source_line, threat_ip`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, strings.TrimSpace(fmt.Sprintln(r...)))
	}
	want := []string{
		"1 OUTBOUND 10.0.1.5 203.0.113.66 dstaddr 10.0.1.5:40000 203.0.113.66:8443",
		"2 INBOUND 10.0.1.5 203.0.113.66 srcaddr 203.0.113.66:8443 10.0.1.5:40000",
		"3 OUTBOUND 10.0.1.5 203.0.113.66 pkt_dstaddr 10.0.1.5:40000 10.0.0.220:8443",
		"4 OUTBOUND 10.0.0.220 203.0.113.66 dstaddr 10.0.0.220:61000 203.0.113.66:8443",
		"5 INBOUND 10.0.0.220 203.0.113.66 srcaddr 203.0.113.66:8443 10.0.0.220:61000",
		"6 INBOUND 10.0.1.5 203.0.113.66 pkt_srcaddr 10.0.0.220:8443 10.0.1.5:40000",
		"7 INBOUND 10.0.0.8 198.51.100.0/24 srcaddr 198.51.100.9:50000 10.0.0.8:22",
		"8 INBOUND 203.0.113.66 198.51.100.0/24 srcaddr 198.51.100.9:1 203.0.113.66:2",
		"8 OUTBOUND 198.51.100.9 203.0.113.66 dstaddr 198.51.100.9:1 203.0.113.66:2",
		"10 OUTBOUND 2600:1f18::5 2001:db8:bad:1::66 dstaddr [2600:1f18::5]:50000 [2001:db8:bad:1::66]:443",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("view rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	sums, err := c.IOCSummaries(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 3 {
		t.Fatalf("%d summaries", len(sums))
	}
	s := sums[0] // 203.0.113.66
	if s.Records != 5 || s.Inbound != 2 || s.Outbound != 3 || s.Accepted != 5 || s.BytesOut.Int64() != 2010 || s.BytesIn.Int64() != 10000 ||
		s.PktRecords != 6 || strings.Join(s.Hosts, ",") != "10.0.1.5,198.51.100.9" || strings.Join(s.NAT, ",") != nat ||
		strings.Join(s.Sources, ",") != "i.csv:1" {
		t.Errorf("C2 summary %+v", s)
	}
	s = sums[1] // 198.51.100.0/24: records 7 and 8; 9 is outside
	if s.Records != 2 || s.Inbound != 2 || s.Rejected != 1 || s.Accepted != 1 || s.BytesIn.Int64() != 70 {
		t.Errorf("range summary %+v", s)
	}
	// A window that leaves out every record but the last: only its
	// indicator has records, and only it is listed (issue 17.24).
	sums, err = c.IOCSummaries(ctx, 1_795_000_010+10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].IOC != "2001:db8:bad:1::66" || sums[0].Records != 1 {
		t.Errorf("windowed: %+v", sums)
	}
	det, err := c.IOCDetail(ctx, 0, 0)
	if err != nil || len(det.Rows) != len(want) || len(det.Columns) != len(IOCDetailColumns) {
		t.Errorf("IOCDetail: %v rows, %v", det, err)
	}
}

// TestIOCValidity: a STIX indicator's validity window and revocation are
// stored, a relisting widens the window (a listing without one makes the
// indicator always valid), the summary counts the records outside the
// window and the view's rows say where each falls (issue 12.9).
func TestIOCValidity(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	at := func(sec int64) *time.Time { u := time.Unix(sec, 0).UTC(); return &u }
	c2 := entry("203.0.113.66", "203.0.113.66", "C2", "f.json", 1)
	c2.ValidFrom, c2.ValidUntil = at(1_795_000_005), at(1_795_000_008)
	scan := entry("198.51.100.7", "198.51.100.7", "scanner", "f.json", 2)
	scan.ValidUntil, scan.Revoked = at(1_795_000_001), true
	gone := entry("192.0.2.1", "192.0.2.1", "withdrawn", "f.json", 3)
	gone.Revoked = true
	if _, err := c.LoadIOCs(ctx, IOCFileInfo{Path: "f.json", SHA256: "f", Format: "stix"}, []IOCEntry{c2, scan, gone}); err != nil {
		t.Fatal(err)
	}
	c2b := entry("203.0.113.66", "203.0.113.66", "C2", "g.json", 1)
	c2b.ValidFrom, c2b.ValidUntil = at(1_795_000_003), at(1_795_000_007)
	if _, err := c.LoadIOCs(ctx, IOCFileInfo{Path: "g.json", SHA256: "g", Format: "stix"},
		[]IOCEntry{c2b, entry("198.51.100.7", "198.51.100.7", "", "g.csv", 1)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.IOCs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str := func(t *time.Time) string {
		if t == nil {
			return "open"
		}
		return fmt.Sprint(t.Unix())
	}
	var view []string
	for _, e := range got {
		view = append(view, fmt.Sprintf("%s %s %s %v", e.IOC, str(e.ValidFrom), str(e.ValidUntil), e.Revoked))
	}
	want := []string{"203.0.113.66 1795000003 1795000008 false", "198.51.100.7 open open false", "192.0.2.1 open open true"}
	if fmt.Sprint(view) != fmt.Sprint(want) {
		t.Errorf("indicators:\n got %q\nwant %q", view, want)
	}
	insertFlow(t, c, 1, "eni-h", "10.0.1.5", "203.0.113.66", 40000, 8443, 1000, "ACCEPT", "", "") // in the window
	insertFlow(t, c, 9, "eni-h", "203.0.113.66", "10.0.1.5", 8443, 40000, 5000, "ACCEPT", "", "") // starts after valid_until
	insertFlow(t, c, 2, "eni-h", "10.0.1.5", "192.0.2.1", 40000, 443, 10, "ACCEPT", "", "")
	if err := c.ReplaceIOCMatches(ctx, []string{"203.0.113.66", "192.0.2.1"}, []string{"203.0.113.66", "192.0.2.1"}, 3); err != nil {
		t.Fatal(err)
	}
	sums, err := c.IOCSummaries(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 198.51.100.7 has no record: not listed.
	if len(sums) != 2 || sums[0].Records != 2 || sums[0].OutsideValidity != 1 || sums[0].Revoked ||
		sums[1].Records != 1 || sums[1].OutsideValidity != 0 || !sums[1].Revoked || sums[0].ValidUntil == nil || sums[0].ValidUntil.Unix() != 1_795_000_008 {
		t.Errorf("summaries: %+v", sums)
	}
	res, err := c.IOCDetail(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		return slices.IndexFunc(res.Columns, func(c Column) bool { return c.Name == name })
	}
	vi, li := col("validity"), col("source_line")
	var rows []string
	for _, r := range res.Rows {
		rows = append(rows, fmt.Sprint(r[li], " ", r[vi]))
	}
	slices.Sort(rows)
	if want := []string{"1 valid", "2 revoked", "9 after valid_until"}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("detail validity: %q, want %q", rows, want)
	}
}
