package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/enrich/enrichtest"
	"github.com/flowir/flowir/internal/output"
)

// enrichCase is a small case: two scanners probing 10.0.1.5 (a vertical
// scan each), and 10.0.1.5 talking to S3 (the records say so for one
// address), to an AMAZON-only address, to an external host, and over IPv6.
func enrichCase(t *testing.T) string {
	t.Helper()
	recs := append(probes("198.51.100.23", "10.0.1.5", 1, 25, t0, 2), probes("192.0.2.99", "10.0.1.5", 1, 25, t0+100, 2)...)
	recs = append(recs,
		tcp("10.0.1.5", 41000, "52.217.3.251", 443, t0+200, t0+260, 10, 5000),
		tcp("10.0.1.5", 41001, "3.5.40.1", 443, t0+200, t0+260, 10, 5000),
		tcp("10.0.1.5", 41002, "203.0.113.200", 443, t0+300, t0+360, 10, 9000),
		tcp("2600:1f18:4000::5", 41003, "2001:db8:bad:1::66", 443, t0+300, t0+360, 10, 9000),
	)
	c := newDetectCase(t, recs)
	if _, err := c.DB().Exec(`UPDATE flows_wide SET pkt_dst_aws_service = CASE dstaddr WHEN '52.217.3.251' THEN 'S3' WHEN '3.5.40.1' THEN 'AMAZON' END
		WHERE dstaddr IN ('52.217.3.251', '3.5.40.1')`); err != nil {
		t.Fatal(err)
	}
	dir := c.Dir
	c.Close()
	return dir
}

// enrichGeoDir writes a GeoLite2-ASN and a GeoLite2-Country database.
func enrichGeoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	enrichtest.WriteMMDB(t, dir, "GeoLite2-ASN.mmdb", "GeoLite2-ASN", []enrichtest.Network{
		{CIDR: "203.0.113.192/26", Record: enrichtest.ASN(64500, "Example Bulletproof Hosting")},
		{CIDR: "52.216.0.0/15", Record: enrichtest.ASN(16509, "AMAZON-02")},
		{CIDR: "2001:db8:bad::/48", Record: enrichtest.ASN(64502, "Example C2 Networks")},
	})
	enrichtest.WriteMMDB(t, dir, "GeoLite2-Country.mmdb", "GeoLite2-Country", []enrichtest.Network{
		{CIDR: "203.0.113.192/26", Record: enrichtest.Country("NL", "Netherlands")},
		{CIDR: "2001:db8:bad::/48", Record: enrichtest.Country("RU", "Russia")},
	})
	return dir
}

func jsonRows(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rows
}

func TestEnrichEndToEnd(t *testing.T) {
	caseDir := enrichCase(t)
	ranges, err := os.ReadFile("../enrich/testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	// ip-ranges.json fetched from a loopback HTTP server.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(ranges) }))
	defer srv.Close()
	geo := enrichGeoDir(t)
	code, _, stderr := run(t, "enrich", "aws-ranges", srv.URL+"/ip-ranges.json", "--case", caseDir, "--geoip-dir", geo)
	if code != 0 || !strings.Contains(stderr, "16 prefixes, syncToken 1763445000") || !strings.Contains(stderr, "GeoIP (") {
		t.Fatalf("enrich aws-ranges: %d\n%s", code, stderr)
	}
	show := jsonRows(t, mustRun(t, "enrich", "show", "52.217.3.251", "--case", caseDir, "--format", "json"))
	got := map[string]map[string]any{}
	for _, r := range show {
		got[r["field"].(string)+"/"+r["kind"].(string)] = r
	}
	if got["aws_service/aws-ranges"]["value"] != "S3" || got["aws_service/flow-records"]["value"] != "S3" ||
		got["aws_region/aws-ranges"]["value"] != "us-east-1" || got["asn/geoip"]["value"] != "16509" ||
		got["aws_service/aws-ranges"]["source_date"] != "2026-11-18T05:50:00Z" || got["asn/geoip"]["source_date"] != "2026-11-18T06:00:00Z" ||
		!strings.Contains(got["aws_service/aws-ranges"]["source"].(string), "52.216.0.0/15") {
		t.Errorf("show: %v", show)
	}

	// query --enrich: every address column gains the fields, in every format.
	talkers := jsonRows(t, mustRun(t, "query", "top-talkers", "--enrich", "--case", caseDir, "--format", "json"))
	byIP := map[string]map[string]any{}
	for _, r := range talkers {
		byIP[r["ip"].(string)] = r
	}
	if r := byIP["3.5.40.1"]; r["ip_aws_service"] != "AMAZON" || r["ip_aws_region"] != "GLOBAL" {
		t.Errorf("3.5.40.1: %v", r)
	}
	if r := byIP["203.0.113.200"]; r["ip_asn"] != float64(64500) || r["ip_country"] != "NL" || r["ip_aws_service"] != nil {
		t.Errorf("203.0.113.200: %v", r)
	}
	if r := byIP["2001:db8:bad:1::66"]; r["ip_as_org"] != "Example C2 Networks" || r["ip_country"] != "RU" {
		t.Errorf("IPv6: %v", r)
	}
	if r := byIP["2600:1f18:4000::5"]; r["ip_aws_service"] != "S3" || r["ip_network_border_group"] != "us-east-1" {
		t.Errorf("IPv6 AWS: %v", r)
	}
	table := mustRun(t, "query", "top-talkers", "--enrich", "--case", caseDir)
	if !strings.Contains(table, "ip_whois") || !strings.Contains(table, "AS64500 Example Bulletproof Hosting, NL") ||
		!strings.Contains(table, "AWS S3 us-east-1, AS16509 AMAZON-02") {
		t.Errorf("table:\n%s", table)
	}
	if out := mustRun(t, "query", "top-talkers", "--case", caseDir, "--format", "csv"); strings.Contains(out, "ip_asn") {
		t.Errorf("without --enrich: %s", out)
	}

	// investigate: the peers, and the JSON document with each value's source.
	peers := mustRun(t, "investigate", "10.0.1.5", "--section", "peers", "--case", caseDir, "--format", "csv")
	if !strings.Contains(peers, "peer,peer_aws_service,peer_aws_region,peer_network_border_group,peer_asn,peer_as_org,peer_country,internal") ||
		!strings.Contains(peers, "203.0.113.200,,,,64500,Example Bulletproof Hosting,NL,false") {
		t.Errorf("peers:\n%s", peers)
	}
	var doc struct {
		Enrichment map[string]struct {
			AWSService string `json:"aws_service"`
			Sources    []struct {
				Kind, Source string
				SourceDate   *time.Time `json:"source_date"`
			} `json:"sources"`
		} `json:"enrichment"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "investigate", "10.0.1.5", "--case", caseDir, "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if e := doc.Enrichment["52.217.3.251"]; e.AWSService != "S3" || len(e.Sources) < 3 || e.Sources[0].SourceDate == nil {
		t.Errorf("investigate json: %+v", doc.Enrichment)
	}
	over := mustRun(t, "investigate", "203.0.113.200", "--case", caseDir)
	if !strings.Contains(over, "whois         AS64500 Example Bulletproof Hosting, NL") {
		t.Errorf("overview:\n%s", over)
	}

	// ioc: the indicator and, in the detail rows, the IOC-side address.
	iocs := filepath.Join(t.TempDir(), "iocs.csv")
	os.WriteFile(iocs, []byte("threat_ip,threat_comment\n203.0.113.200,exfil\n"), 0o644)
	sum := jsonRows(t, mustRun(t, "ioc", iocs, "--case", caseDir, "--format", "json"))
	if len(sum) != 1 || sum[0]["threat_ip_asn"] != float64(64500) || sum[0]["threat_ip_country"] != "NL" {
		t.Errorf("ioc summary: %v", sum)
	}
	det := jsonRows(t, mustRun(t, "ioc", "--detail", "--case", caseDir, "--format", "json"))
	if len(det) != 1 || det[0]["ioc_address_as_org"] != "Example Bulletproof Hosting" || det[0]["connecting_ip"] != "10.0.1.5" {
		t.Errorf("ioc detail: %v", det)
	}

	// A damaged database: an error naming it; the AWS labels are still
	// recomputed and the GeoIP values stored before are kept.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "GeoLite2-City.mmdb"), []byte("garbage"), 0o644)
	code, _, stderr = run(t, "enrich", "--case", caseDir, "--geoip-dir", bad)
	if code != 1 || !strings.Contains(stderr, filepath.Join(bad, "GeoLite2-City.mmdb")) {
		t.Errorf("damaged database: %d\n%s", code, stderr)
	}
	after := jsonRows(t, mustRun(t, "enrich", "show", "203.0.113.200", "--case", caseDir, "--format", "json"))
	if len(after) != 3 {
		t.Errorf("GeoIP values lost after the failed run: %v", after)
	}
	// A missing directory given through the environment.
	t.Setenv("FLOWIR_GEOIP_DIR", filepath.Join(bad, "nope"))
	if code, _, stderr = run(t, "enrich", "--case", caseDir); code != 1 || !strings.Contains(stderr, "nope") {
		t.Errorf("missing directory: %d %s", code, stderr)
	}
	t.Setenv("FLOWIR_GEOIP_DIR", "")

	// detect --allow: the allowed scan is stored suppressed, not printed by default.
	allow := filepath.Join(t.TempDir(), "allow.txt")
	os.WriteFile(allow, []byte("198.51.100.23 rule=port-scan-vertical  authorised pentest, SOW 7\nS3  backups\n"), 0o644)
	code, out, stderr := run(t, "detect", "--rules", "port-scan-vertical", "--allow", allow, "--case", caseDir, "--format", "json")
	if code != 0 || !strings.Contains(stderr, "1 of them suppressed by the allow list") {
		t.Fatalf("detect --allow: %d\n%s", code, stderr)
	}
	fs := jsonRows(t, out)
	if len(fs) != 1 || fs[0]["src"] != "192.0.2.99" || fs[0]["suppressed"] != nil {
		t.Errorf("detect --allow printed %v", fs)
	}
	all := jsonRows(t, mustRun(t, "detect", "--stored", "--show-suppressed", "--case", caseDir, "--format", "json"))
	if len(all) != 2 || all[0]["src"] != "198.51.100.23" || all[0]["suppressed"] != true ||
		all[0]["suppressed_reason"] != "198.51.100.23 ("+allow+":1): authorised pentest, SOW 7" || all[1]["suppressed"] != false {
		t.Errorf("stored: %v", all)
	}
	asff := mustRun(t, "findings", "export", "--case", caseDir, "--account", "111122223333", "--region", "us-east-1")
	if strings.Count(asff, `"Status": "SUPPRESSED"`) != 1 {
		t.Errorf("ASFF:\n%s", asff)
	}
	// A bad allow list is refused with its line, before anything runs.
	os.WriteFile(allow, []byte("198.51.100.23\n"), 0o644)
	if code, _, stderr := run(t, "detect", "--allow", allow, "--case", caseDir); code != 2 || !strings.Contains(stderr, allow+":1:") {
		t.Errorf("bad allow list: %d %s", code, stderr)
	}
}

// --resolve asks a resolver (here one on loopback) for the external
// addresses only, and stores the names with the time of the lookup.
func TestEnrichResolve(t *testing.T) {
	caseDir := enrichCase(t)
	res := enrichtest.DNSServer(t, map[string]string{"203.0.113.200": "exfil.example.net", "10.0.1.5": "internal.example"}, []string{"192.0.2.99"})
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ios, _, _, errOut := output.Test()
	f := &Factory{IO: ios, Now: func() time.Time { return at }, Getenv: func(string) string { return "" }, Resolver: res}
	g := &globalOptions{caseDir: caseDir}
	err := runEnrich(context.Background(), f, g, &EnrichOptions{Resolve: true, ResolveTimeout: 300 * time.Millisecond, ResolveDeadline: 10 * time.Second}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "reverse DNS: 7 external addresses: 1 named") {
		t.Errorf("%s", errOut)
	}
	rows := jsonRows(t, mustRun(t, "enrich", "show", "--case", caseDir, "--format", "json"))
	var ptrs []map[string]any
	for _, r := range rows {
		if r["field"] == "ptr" {
			ptrs = append(ptrs, r)
		}
	}
	if len(ptrs) != 1 || ptrs[0]["address"] != "203.0.113.200" || ptrs[0]["value"] != "exfil.example.net" || ptrs[0]["source_date"] != "2026-11-22T10:00:00Z" {
		t.Errorf("ptr rows %v", ptrs)
	}
}
