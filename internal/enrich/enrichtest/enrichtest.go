// Package enrichtest builds the inputs of enrichment for tests: MaxMind-format
// databases written with github.com/maxmind/mmdbwriter (so no database is
// committed) and a DNS server on loopback that answers PTR queries.
package enrichtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/miekg/dns"
)

// BuildTime is the build time of every database WriteMMDB writes.
var BuildTime = time.Date(2026, 11, 18, 6, 0, 0, 0, time.UTC)

// Network is one network of a test database and its record: strings,
// integers (written as uint32, as MaxMind writes autonomous_system_number)
// and nested map[string]any.
type Network struct {
	CIDR   string
	Record map[string]any
}

// WriteMMDB writes a database of type dbType holding nets to dir/name and
// returns its path. Documentation and private ranges are allowed, so tests
// can use 192.0.2.0/24 and friends.
func WriteMMDB(t testing.TB, dir, name, dbType string, nets []Network) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IncludeReservedNetworks: true,
		BuildEpoch: BuildTime.Unix(), RecordSize: 24, Languages: []string{"en"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		_, ipnet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(ipnet, toMMDB(t, n.Record)); err != nil {
			t.Fatalf("insert %s: %v", n.CIDR, err)
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func toMMDB(t testing.TB, v any) mmdbtype.DataType {
	switch x := v.(type) {
	case string:
		return mmdbtype.String(x)
	case int:
		return mmdbtype.Uint32(x)
	case map[string]any:
		m := mmdbtype.Map{}
		for k, e := range x {
			m[mmdbtype.String(k)] = toMMDB(t, e)
		}
		return m
	}
	t.Fatalf("enrichtest: no MaxMind type for %T", v)
	return nil
}

// ASN is a record in the layout of MaxMind's GeoLite2-ASN (and DB-IP's ASN Lite).
func ASN(n int, org string) map[string]any {
	return map[string]any{"autonomous_system_number": n, "autonomous_system_organization": org}
}

// Country is a record in the layout of GeoLite2-Country.
func Country(iso, name string) map[string]any {
	return map[string]any{"country": map[string]any{"iso_code": iso, "names": map[string]any{"en": name}}}
}

// City is a record in the layout of GeoLite2-City.
func City(iso, city string) map[string]any {
	return map[string]any{"country": map[string]any{"iso_code": iso}, "city": map[string]any{"names": map[string]any{"en": city}}}
}

// IPinfoCountryASN is a record in the layout of IPinfo's free country_asn.mmdb.
func IPinfoCountryASN(asn int, asName, country, countryName string) map[string]any {
	return map[string]any{"asn": fmt.Sprintf("AS%d", asn), "as_name": asName, "as_domain": "example.net",
		"country": country, "country_name": countryName, "continent": "EU", "continent_name": "Europe"}
}

// IPinfoLite is a record in the layout of IPinfo Lite (country is the name there).
func IPinfoLite(asn int, asName, countryCode, country string) map[string]any {
	return map[string]any{"asn": fmt.Sprintf("AS%d", asn), "as_name": asName, "as_domain": "example.net",
		"country_code": countryCode, "country": country, "continent_code": "EU", "continent": "Europe"}
}

// DNSServer answers PTR queries on a loopback UDP port: names maps an
// address to its PTR name, silent addresses get no answer at all (the
// client times out), others NXDOMAIN. It returns a resolver that asks only
// this server.
func DNSServer(t testing.TB, names map[string]string, silent []string) *net.Resolver {
	t.Helper()
	ptr := map[string]string{}
	for a, n := range names {
		q, err := dns.ReverseAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		ptr[q] = dns.Fqdn(n)
	}
	mute := map[string]bool{}
	for _, a := range silent {
		q, err := dns.ReverseAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		mute[q] = true
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		name := q.Question[0].Name
		if mute[name] {
			return
		}
		m := new(dns.Msg)
		m.SetReply(q)
		if target, ok := ptr[name]; ok && q.Question[0].Qtype == dns.TypePTR {
			m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: target})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}
