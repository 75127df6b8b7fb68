package casework

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/enrich"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/store"
)

const (
	scanner = "198.51.100.7" // scans 10.0.0.5 on 40 ports, rejected
	c2      = "203.0.113.66" // the IOC: 10.0.0.9 talks to it 3 times
	t0      = 1764547200     // 2025-12-01T00:00:00Z
)

// newCase ingests a small flow log (AWS's default format) through the
// ordinary ingest path, so the test depends on no table layout.
func newCase(t *testing.T) *store.Case {
	t.Helper()
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := range 40 {
		fmt.Fprintf(&b, "2 111122223333 eni-0a1b2c3d4e5f6a7b8 %s 10.0.0.5 40000 %d 6 1 40 %d %d REJECT OK\n", scanner, 1000+i, t0+i, t0+i+1)
	}
	for i := range 3 {
		fmt.Fprintf(&b, "2 111122223333 eni-0a1b2c3d4e5f6a7b8 10.0.0.9 %s %d 443 6 10 5000 %d %d ACCEPT OK\n", c2, 50000+i, t0+600*i, t0+600*i+30)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "flows.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(dir, "case"), store.Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := ingest.Run(ctx, c, ingest.Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	return c
}

func loadIOCList(t *testing.T, c *store.Case) *IOCLoad {
	t.Helper()
	l, err := ParseIOCs("iocs.csv", []byte("threat_ip,threat_comment\n"+c2+",C2 server\nnot-an-address,bad\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if l.Invalid() != 1 || len(l.Entries) != 1 || l.SHA256 == "" {
		t.Fatalf("parsed: %d invalid, %d entries, sha %q; want 1, 1, set", l.Invalid(), len(l.Entries), l.SHA256)
	}
	ld, err := LoadIOCs(context.Background(), c, l, time.Unix(t0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return ld
}

func TestIOCLoadMatchHits(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	if st, err := MatchIOCs(ctx, c); err != nil || st != (IOCMatchStats{}) {
		t.Fatalf("MatchIOCs with no list = %+v, %v; want zero stats", st, err)
	}
	ld := loadIOCList(t, c)
	if ld.Entries != 1 || ld.New != 1 || ld.SameFile {
		t.Fatalf("first load %+v; want 1 entry, 1 new", ld)
	}
	if ld = loadIOCList(t, c); ld.New != 0 || ld.Known != 1 || !ld.SameFile {
		t.Fatalf("second load %+v; want 1 known, same file", ld)
	}
	st, err := MatchIOCs(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	// The case's addresses: the scanner, 10.0.0.5, 10.0.0.9 and the C2.
	if st != (IOCMatchStats{Indicators: 1, Addresses: 4, Pairs: 1}) {
		t.Fatalf("MatchIOCs = %+v; want 1 indicator, 4 addresses, 1 pair", st)
	}
	hits, err := IOCHits(ctx, c, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].ThreatIP != c2 || hits[0].Comment != "C2 server" || hits[0].Records != 3 {
		t.Fatalf("IOCHits = %+v; want %s with 3 records", hits, c2)
	}
	// A window holding only the second contact.
	if hits, err = IOCHits(ctx, c, t0+600, t0+1200); err != nil || len(hits) != 1 || hits[0].Records != 1 {
		t.Fatalf("IOCHits in a window = %+v, %v; want 1 record", hits, err)
	}
	refs, err := LoadedIOCRefs(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Key == "" || refs[0].ThreatIP != c2 || refs[0].Comment != "C2 server" {
		t.Fatalf("LoadedIOCRefs = %+v", refs)
	}
}

func TestDetectStoresUnlessNoStore(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	loadIOCList(t, c)
	cfg := analysis.NewDetectConfig()
	if err := cfg.OnlyRules([]string{analysis.RulePortScanVertical, analysis.RuleIOCContact}); err != nil {
		t.Fatal(err)
	}
	res, err := Detect(ctx, c, cfg, DetectOptions{NoStore: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.IOCs) != 1 {
		t.Errorf("cfg.IOCs after Detect: %d entries; want the loaded indicator", len(cfg.IOCs))
	}
	byRule := map[string]Finding{}
	for _, f := range res.Findings {
		byRule[f.Rule] = f
	}
	if f := byRule[analysis.RulePortScanVertical]; f.Src != scanner || f.Dst != "10.0.0.5" {
		t.Errorf("port-scan-vertical: %+v; want %s -> 10.0.0.5", f, scanner)
	}
	if f := byRule[analysis.RuleIOCContact]; f.Rule == "" {
		t.Errorf("no ioc-contact finding: the loaded indicator did not reach the rules (%+v)", res.Findings)
	}
	if res.Replaced != nil || res.BySeverity()[analysis.SeverityHigh]+res.BySeverity()[analysis.SeverityMedium]+res.BySeverity()[analysis.SeverityLow] != len(res.Findings) {
		t.Errorf("NoStore result: replaced %v, by severity %v", res.Replaced, res.BySeverity())
	}
	if stored, err := Findings(ctx, c, nil); err != nil || len(stored) != 0 {
		t.Fatalf("after NoStore: %d stored findings, %v; want none", len(stored), err)
	}

	allow, err := enrich.ParseAllowList("allow.txt", []byte(scanner+"  the vulnerability scanner\n"), []string{analysis.RulePortScanVertical})
	if err != nil {
		t.Fatal(err)
	}
	cfg = analysis.NewDetectConfig()
	if err := cfg.OnlyRules([]string{analysis.RulePortScanVertical, analysis.RuleIOCContact}); err != nil {
		t.Fatal(err)
	}
	res, err = Detect(ctx, c, cfg, DetectOptions{Allow: allow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replaced == nil || res.Replaced.RunID == 0 || res.Suppressed != 1 {
		t.Fatalf("stored run: replaced %+v, %d suppressed; want a run id and 1 suppressed", res.Replaced, res.Suppressed)
	}
	stored, err := Findings(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(res.Findings) {
		t.Fatalf("%d stored findings; the run found %d", len(stored), len(res.Findings))
	}
	for _, f := range stored {
		if f.RunID != res.Replaced.RunID || f.ID == "" {
			t.Errorf("stored %s: run %d, id %q; want run %d and an id", f.Rule, f.RunID, f.ID, res.Replaced.RunID)
		}
		if want := f.Src == scanner; (f.SuppressedBy != "") != want || want && !strings.Contains(f.SuppressedBy, "vulnerability scanner") {
			t.Errorf("stored %s from %s: suppressed by %q", f.Rule, f.Src, f.SuppressedBy)
		}
	}
}

func TestInvestigateUsesLoadedIOCs(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	loadIOCList(t, c)
	inv, err := Investigate(ctx, c, netip.MustParsePrefix("10.0.0.9/32"), analysis.InvestigateOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Overview.Records != 3 || len(inv.IOCMatches) != 1 || inv.IOCMatches[0].ThreatIP != c2 || inv.IOCMatches[0].Records != 3 {
		t.Fatalf("investigate 10.0.0.9: %d records, IOC matches %+v; want 3 records, %s with 3", inv.Overview.Records, inv.IOCMatches, c2)
	}
}

func TestInvolvement(t *testing.T) {
	port := 22
	f := Finding{Src: scanner, Dst: "10.0.0.5", DstPort: &port}
	scan := Finding{Src: scanner, Details: map[string]any{"targets": []any{"10.0.0.5", "10.0.0.6"}}}
	for _, tc := range []struct {
		f      Finding
		target string
		want   string
	}{
		{f, scanner + "/32", "actor"},
		{f, "10.0.0.5/32", "target"},
		{f, "0.0.0.0/0", "actor, target"},
		{f, "10.0.0.0/24", "target"},
		{f, "10.0.0.6/32", ""},
		{scan, "10.0.0.6/32", "listed"},
		{scan, "10.0.0.7/32", ""},
		{Finding{Src: "::ffff:10.0.0.5"}, "10.0.0.5/32", "actor"},
	} {
		if got := Involvement(tc.f, netip.MustParsePrefix(tc.target)); got != tc.want {
			t.Errorf("Involvement(%s -> %s, details %v, %s) = %q; want %q", tc.f.Src, tc.f.Dst, tc.f.Details, tc.target, got, tc.want)
		}
	}
}

// TestExposure evaluates the inventory dump of internal/cli's tests (its
// TestInventoryExposedEndToEnd works the answer out by hand) in a case
// without flow records.
func TestExposure(t *testing.T) {
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(t.TempDir(), "case"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Exposure(ctx, c, ExposureOptions{}); err == nil {
		t.Fatal("Exposure of a case without inventory: no error")
	}
	inv := &inventory.Inventory{}
	if err := inv.ImportPaths([]string{"../cli/testdata/inventory/dump", "../cli/testdata/inventory/prowler.ocsf.json"}, inventory.ImportOptions{Region: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveInventory(ctx, inv, store.InventorySnapshot{TakenAt: time.Unix(t0, 0), Method: "import"}); err != nil {
		t.Fatal(err)
	}
	keys := func(rows []inventory.Exposure) string {
		var out []string
		for _, e := range rows {
			out = append(out, e.InterfaceID+" "+e.Protocol+" "+e.Ports+" "+e.Scope)
		}
		return strings.Join(out, "\n")
	}
	ex, err := Exposure(ctx, c, ExposureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.HasFlows || ex.Snapshot.ID != 1 || len(ex.Rows) != 6 || keys(ex.Rows) != keys(ex.Report.Exposures) {
		t.Fatalf("exposure: flows %v, snapshot %d, rows:\n%s", ex.HasFlows, ex.Snapshot.ID, keys(ex.Rows))
	}
	all, err := Exposure(ctx, c, ExposureOptions{Restricted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) != len(ex.Rows)+len(all.Report.Restricted) || !strings.Contains(keys(all.Rows[len(ex.Rows):]), " 5432 ") {
		t.Fatalf("with restricted rows:\n%s", keys(all.Rows))
	}
	verdicts := ProwlerVerdicts(ex.Inventory, ex.Report)
	if len(verdicts) == 0 {
		t.Fatal("no Prowler verdicts")
	}
	for _, v := range verdicts {
		if v.Verdict == "" || v.Finding == nil {
			t.Errorf("verdict %+v", v)
		}
	}
}

// TestInternalIsNotInternet checks that the detections' default internal
// space and the exposure evaluation's internet are one definition
// (flow.NotInternet): an address is internal by default exactly when it is
// not an internet address. They once disagreed on multicast, 0.0.0.0/8,
// 240.0.0.0/4 and IPv6 multicast.
func TestInternalIsNotInternet(t *testing.T) {
	class := analysis.NewNetClass(analysis.DefaultInternal())
	for _, a := range []string{
		"10.1.2.3", "172.16.0.1", "172.32.0.1", "192.168.1.1", "100.64.0.1", "100.128.0.1", "169.254.169.254", "127.0.0.1",
		"0.0.0.0", "0.1.2.3", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255", "223.255.255.255",
		"8.8.8.8", "203.0.113.5", "198.51.100.7", "192.0.2.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8",
		"fd00::1", "fe80::1", "::1", "::", "ff02::1", "2600:1f18::1", "2001:db8::1", "3fff:ffff::1",
	} {
		addr := netip.MustParseAddr(a)
		if internal, inet := class.Internal(addr), inventory.IsInternetAddr(a); internal == inet {
			t.Errorf("%s: internal %v, internet %v; want exactly one", a, internal, inet)
		}
	}
}
