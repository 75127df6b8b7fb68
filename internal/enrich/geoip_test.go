package enrich

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/enrich/enrichtest"
)

// geoDir writes a MaxMind ASN, Country and City database to a directory.
func geoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	enrichtest.WriteMMDB(t, dir, "GeoLite2-ASN.mmdb", "GeoLite2-ASN", []enrichtest.Network{
		{CIDR: "203.0.113.0/25", Record: enrichtest.ASN(64500, "Example Hosting B.V.")},
		{CIDR: "52.216.0.0/15", Record: enrichtest.ASN(16509, "AMAZON-02")},
		{CIDR: "2001:db8:bad::/48", Record: enrichtest.ASN(64501, "Bad Actors Ltd")},
	})
	enrichtest.WriteMMDB(t, dir, "GeoLite2-Country.mmdb", "GeoLite2-Country", []enrichtest.Network{
		{CIDR: "203.0.113.0/24", Record: enrichtest.Country("NL", "Netherlands")},
		{CIDR: "2001:db8:bad::/48", Record: enrichtest.Country("RU", "Russia")},
	})
	enrichtest.WriteMMDB(t, dir, "GeoLite2-City.mmdb", "GeoLite2-City", []enrichtest.Network{
		{CIDR: "203.0.113.128/25", Record: enrichtest.City("DE", "Frankfurt am Main")},
	})
	return dir
}

func TestGeoIPLookup(t *testing.T) {
	g, err := OpenGeoIP(geoDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if len(g.DBs) != 3 || g.DBs[0].Type != "GeoLite2-ASN" || !g.DBs[0].BuildTime.Equal(enrichtest.BuildTime) {
		t.Fatalf("databases %+v", g.DBs)
	}
	addrs := []string{"203.0.113.0", "203.0.113.127", "203.0.113.128", "203.0.113.255", "203.0.114.0", "52.217.3.251",
		"2001:db8:bad::1", "2001:db8:bad:ffff:ffff:ffff:ffff:ffff", "2001:db8:bae::", "::ffff:203.0.113.5", "10.0.0.1", "not-an-ip"}
	vs, err := GeoValues(g, addrs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vs {
		got[v.Address+" "+v.Field] = v.Value
		if v.Kind != KindGeoIP || !v.SourceDate.Equal(enrichtest.BuildTime) || !strings.Contains(v.Source, ".mmdb (GeoLite2-") {
			t.Errorf("value %+v", v)
		}
	}
	want := map[string]string{
		"203.0.113.0 asn": "64500", "203.0.113.0 as_org": "Example Hosting B.V.", "203.0.113.0 country": "NL",
		"203.0.113.127 asn": "64500", "203.0.113.127 as_org": "Example Hosting B.V.", "203.0.113.127 country": "NL",
		// The ASN database ends at .127. For .128/25 the City database says DE and the
		// Country database NL: the first in file-name order (ASN, City, Country) gives it.
		"203.0.113.128 country": "DE", "203.0.113.128 city": "Frankfurt am Main",
		"203.0.113.255 country": "DE", "203.0.113.255 city": "Frankfurt am Main",
		"52.217.3.251 asn": "16509", "52.217.3.251 as_org": "AMAZON-02",
		"2001:db8:bad::1 asn": "64501", "2001:db8:bad::1 as_org": "Bad Actors Ltd", "2001:db8:bad::1 country": "RU",
		"2001:db8:bad:ffff:ffff:ffff:ffff:ffff asn": "64501", "2001:db8:bad:ffff:ffff:ffff:ffff:ffff as_org": "Bad Actors Ltd",
		"2001:db8:bad:ffff:ffff:ffff:ffff:ffff country": "RU",
		// IPv4-mapped is stored under the IPv4 key.
		"203.0.113.5 asn": "64500", "203.0.113.5 as_org": "Example Hosting B.V.", "203.0.113.5 country": "NL",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %q", k, got[k])
		}
	}
}

// IPinfo's databases name their fields differently: asn is "AS123", and
// country is the ISO code in country_asn.mmdb but the name in IPinfo Lite.
func TestGeoIPVendors(t *testing.T) {
	dir := t.TempDir()
	p1 := enrichtest.WriteMMDB(t, dir, "country_asn.mmdb", "ipinfo country_asn.mmdb", []enrichtest.Network{
		{CIDR: "198.51.100.0/24", Record: enrichtest.IPinfoCountryASN(64510, "Example ISP", "FR", "France")},
	})
	p2 := enrichtest.WriteMMDB(t, dir, "ipinfo_lite.mmdb", "ipinfo ipinfo_lite.mmdb", []enrichtest.Network{
		{CIDR: "198.51.100.0/24", Record: enrichtest.IPinfoLite(64511, "Other ISP", "BE", "Belgium")},
	})
	p3 := enrichtest.WriteMMDB(t, dir, "dbip-asn-lite.mmdb", "DBIP-ASN-Lite (compat=GeoLite2-ASN)", []enrichtest.Network{
		{CIDR: "198.51.100.0/24", Record: enrichtest.ASN(64512, "DB-IP Org")},
	})
	tests := []struct {
		path string
		want GeoFacts
	}{
		{p1, GeoFacts{ASN: 64510, ASOrg: "Example ISP", Country: "FR"}},
		{p2, GeoFacts{ASN: 64511, ASOrg: "Other ISP", Country: "BE"}},
		{p3, GeoFacts{ASN: 64512, ASOrg: "DB-IP Org"}},
	}
	for _, tc := range tests {
		db, err := OpenGeoDB(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Lookup(netip.MustParseAddr("198.51.100.7"))
		db.r.Close()
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", filepath.Base(tc.path), got, err, tc.want)
		}
	}
}

// A missing directory, a directory without databases, a damaged or
// truncated file: a clear error naming it.
func TestGeoIPErrors(t *testing.T) {
	good := geoDir(t)
	data, err := os.ReadFile(filepath.Join(good, "GeoLite2-ASN.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, "GeoLite2-ASN.mmdb"), []byte("this is not a database"), 0o644)
	truncated := t.TempDir()
	os.WriteFile(filepath.Join(truncated, "GeoLite2-ASN.mmdb"), data[:len(data)/2], 0o644)
	// Damage inside the search tree, metadata intact.
	damaged := t.TempDir()
	bad := append([]byte(nil), data...)
	for i := 0; i < 48 && i < len(bad); i++ {
		bad[i] = 0xff
	}
	os.WriteFile(filepath.Join(damaged, "GeoLite2-ASN.mmdb"), bad, 0o644)
	zero := t.TempDir()
	os.WriteFile(filepath.Join(zero, "GeoLite2-City.mmdb"), nil, 0o644)
	tests := []struct{ dir, want string }{
		{filepath.Join(good, "nope"), "GeoIP directory: "},
		{filepath.Join(good, "GeoLite2-ASN.mmdb"), "is a file"},
		{empty, "holds no .mmdb file"},
		{garbage, filepath.Join(garbage, "GeoLite2-ASN.mmdb")},
		{truncated, filepath.Join(truncated, "GeoLite2-ASN.mmdb")},
		{damaged, filepath.Join(damaged, "GeoLite2-ASN.mmdb")},
		{zero, filepath.Join(zero, "GeoLite2-City.mmdb")},
	}
	for _, tc := range tests {
		g, err := OpenGeoIP(tc.dir)
		if err == nil {
			g.Close()
			t.Errorf("%s: no error", tc.dir)
			continue
		}
		t.Logf("%v", err)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.dir, err, tc.want)
		}
	}
}
