package enrich

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadFixture(t *testing.T) *AWSRanges {
	t.Helper()
	data, err := os.ReadFile("testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseAWSRanges("testdata/ip-ranges.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseAWSRanges(t *testing.T) {
	r := loadFixture(t)
	if r.SyncToken != "1763445000" || !r.CreateDate.Equal(time.Date(2026, 11, 18, 5, 50, 0, 0, time.UTC)) {
		t.Errorf("syncToken %q createDate %v", r.SyncToken, r.CreateDate)
	}
	if len(r.Prefixes) != 16 {
		t.Errorf("%d prefixes, want 16", len(r.Prefixes))
	}
	if len(r.SHA256) != 64 {
		t.Errorf("sha256 %q", r.SHA256)
	}
}

// Lookups at the edges of published networks, nested networks, the same
// network listed under AMAZON and a specific service, and IPv6.
func TestAWSRangesLookup(t *testing.T) {
	r := loadFixture(t)
	tests := []struct {
		addr                    string
		ok                      bool
		prefix, service, region string
		nbg                     string
		services                []string
	}{
		// 52.216.0.0/15 is listed under AMAZON and S3: S3 wins.
		{"52.216.0.0", true, "52.216.0.0/15", "S3", "us-east-1", "us-east-1", []string{"AMAZON", "S3"}},
		{"52.217.255.255", true, "52.216.0.0/15", "S3", "us-east-1", "us-east-1", []string{"AMAZON", "S3"}},
		{"52.217.3.251", true, "52.216.0.0/15", "S3", "us-east-1", "us-east-1", []string{"AMAZON", "S3"}},
		{"52.215.255.255", false, "", "", "", "", nil},
		{"52.218.0.0", false, "", "", "", "", nil},
		// Most specific wins: 52.94.0.0/22 DYNAMODB inside 52.94.0.0/16 AMAZON GLOBAL.
		{"52.94.3.255", true, "52.94.0.0/22", "DYNAMODB", "us-east-1", "us-east-1", []string{"AMAZON", "DYNAMODB"}},
		{"52.94.4.0", true, "52.94.0.0/16", "AMAZON", "GLOBAL", "GLOBAL", []string{"AMAZON"}},
		// A specific service in a less specific network than an AMAZON-only one is still listed.
		{"3.5.0.1", true, "3.5.0.0/19", "S3", "us-east-1", "us-east-1", []string{"S3", "AMAZON"}},
		{"3.5.32.0", true, "3.5.0.0/16", "AMAZON", "GLOBAL", "GLOBAL", []string{"AMAZON"}},
		// Local Zone border group.
		{"15.181.239.255", true, "15.181.232.0/21", "EC2", "us-west-2", "us-west-2-lax-1", []string{"AMAZON", "EC2"}},
		{"15.181.240.0", false, "", "", "", "", nil},
		{"13.248.118.7", true, "13.248.118.0/24", "AMAZON_APPFLOW", "eu-west-1", "eu-west-1", []string{"AMAZON", "AMAZON_APPFLOW"}},
		// IPv4-mapped IPv6 is the IPv4 address.
		{"::ffff:52.216.0.1", true, "52.216.0.0/15", "S3", "us-east-1", "us-east-1", []string{"AMAZON", "S3"}},
		// IPv6: most specific, edges.
		{"2600:1f18:4000::", true, "2600:1f18:4000::/36", "S3", "us-east-1", "us-east-1", []string{"S3", "AMAZON", "EC2"}},
		{"2600:1f18:4fff:ffff:ffff:ffff:ffff:ffff", true, "2600:1f18:4000::/36", "S3", "us-east-1", "us-east-1", []string{"S3", "AMAZON", "EC2"}},
		{"2600:1f18:5000::", true, "2600:1f18::/33", "EC2", "us-east-1", "us-east-1", []string{"AMAZON", "EC2"}},
		{"2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff", true, "2600:1f18::/33", "EC2", "us-east-1", "us-east-1", []string{"AMAZON", "EC2"}},
		{"2600:1f18:8000::", false, "", "", "", "", nil},
		{"2406:da1c:8290:9c00:a9fc:2595:e030:419d", true, "2406:da1c::/32", "AMAZON", "ap-southeast-2", "ap-southeast-2", []string{"AMAZON"}},
		{"10.0.0.1", false, "", "", "", "", nil},
	}
	for _, tc := range tests {
		m, ok := r.Lookup(netip.MustParseAddr(tc.addr))
		if ok != tc.ok {
			t.Errorf("%s: found %v, want %v", tc.addr, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if m.Prefix.String() != tc.prefix || m.Service != tc.service || m.Region != tc.region || m.NetworkBorderGroup != tc.nbg {
			t.Errorf("%s: %s %s %s %s, want %s %s %s %s", tc.addr, m.Prefix, m.Service, m.Region, m.NetworkBorderGroup, tc.prefix, tc.service, tc.region, tc.nbg)
		}
		got := slices.Clone(m.Services)
		want := slices.Clone(tc.services)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: services %v, want %v", tc.addr, m.Services, tc.services)
		}
	}
}

func TestParseAWSRangesErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"not json", `<html>`, "not AWS's ip-ranges.json"},
		{"no date", `{"syncToken": "1", "prefixes": [{"ip_prefix": "3.5.0.0/16", "service": "AMAZON"}]}`, "no syncToken or createDate"},
		{"bad date", `{"syncToken": "1", "createDate": "2026-11-18", "prefixes": []}`, "yyyy-mm-dd-hh-mm-ss"},
		{"no prefixes", `{"syncToken": "1", "createDate": "2026-11-18-05-50-00"}`, "no prefixes"},
		{"bad prefix", `{"syncToken": "1", "createDate": "2026-11-18-05-50-00", "prefixes": [{"ip_prefix": "3.5.0.0/16", "service": "AMAZON"}, {"ip_prefix": "3.5.0/16", "service": "S3"}]}`, "prefixes[1]: \"3.5.0/16\" is not a CIDR network"},
		{"v6 in v4 list", `{"syncToken": "1", "createDate": "2026-11-18-05-50-00", "prefixes": [{"ip_prefix": "2600::/16", "service": "AMAZON"}]}`, "is not an IPv4 network"},
		{"v4 in v6 list", `{"syncToken": "1", "createDate": "2026-11-18-05-50-00", "ipv6_prefixes": [{"ipv6_prefix": "3.5.0.0/16", "service": "AMAZON"}]}`, "ipv6_prefixes[0]: \"3.5.0.0/16\" is not an IPv6 network"},
		{"host bits", `{"syncToken": "1", "createDate": "2026-11-18-05-50-00", "prefixes": [{"ip_prefix": "3.5.0.1/16", "service": "AMAZON"}]}`, "host bits"},
		{"no service", `{"syncToken": "1", "createDate": "2026-11-18-05-50-00", "prefixes": [{"ip_prefix": "3.5.0.0/16"}]}`, "no service"},
	}
	for _, tc := range tests {
		_, err := ParseAWSRanges("x.json", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.json: ") {
			t.Errorf("%s: error %v, want x.json: ...%s", tc.name, err, tc.want)
		}
	}
}

// The download is tested against a loopback HTTP server.
func TestFetchAWSRanges(t *testing.T) {
	data, err := os.ReadFile("testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ip-ranges.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	r, raw, err := FetchAWSRanges(ctx, srv.Client(), srv.URL+"/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	if r.SyncToken != "1763445000" || string(raw) != string(data) || r.Origin != srv.URL+"/ip-ranges.json" {
		t.Errorf("fetched %q from %s", r.SyncToken, r.Origin)
	}
	if _, _, err := FetchAWSRanges(ctx, srv.Client(), srv.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing: %v", err)
	}
	c := srv.Client()
	c.Timeout = 100 * time.Millisecond
	if _, _, err := FetchAWSRanges(ctx, c, srv.URL+"/slow"); err == nil || !strings.Contains(err.Error(), "offline?") {
		t.Errorf("slow: %v", err)
	}
}
