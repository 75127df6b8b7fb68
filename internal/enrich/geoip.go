package enrich

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// GeoIPEnv names the environment variable that gives --geoip-dir's default.
const GeoIPEnv = "FLOWIR_GEOIP_DIR"

// GeoDB is one open MaxMind-format database.
type GeoDB struct {
	Path      string
	Type      string    // the database_type of its metadata: GeoLite2-ASN, GeoIP2-City, DBIP-Country-Lite, ipinfo ...
	BuildTime time.Time // its build_epoch: the date of every value read from it
	r         *maxminddb.Reader
}

// GeoIP is the set of databases of a --geoip-dir, read in file-name order.
type GeoIP struct {
	DBs []*GeoDB
}

// OpenGeoIP opens every *.mmdb file of dir. Each database's metadata is
// read and a few lookups are made when it is opened, so a truncated or
// damaged file is refused with its name before anything is stored; damage
// that only a later lookup meets is reported then, also with the file's
// name. A directory without databases is an error too: the user asked for
// them.
func OpenGeoIP(dir string) (*GeoIP, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("GeoIP directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("GeoIP directory %s is a file: give the directory that holds the .mmdb files", dir)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.mmdb"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("GeoIP directory %s holds no .mmdb file (GeoLite2-ASN.mmdb, GeoLite2-Country.mmdb, GeoLite2-City.mmdb, or IPinfo/DB-IP databases in MaxMind format)", dir)
	}
	sort.Strings(paths)
	g := &GeoIP{}
	for _, p := range paths {
		db, err := OpenGeoDB(p)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.DBs = append(g.DBs, db)
	}
	return g, nil
}

// probes are looked up in every database when it is opened: IPv4 and IPv6
// addresses spread over the search tree.
var probes = []netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("52.216.1.1"),
	netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("223.255.255.1"), netip.MustParseAddr("2001:4860::8888"),
	netip.MustParseAddr("2600:1f18::1"), netip.MustParseAddr("2a00::1")}

// OpenGeoDB opens one database and checks it with a few lookups. (The
// reader's full Verify is not used: it also demands metadata the format
// leaves optional, such as a description, which other vendors' files may
// lack.)
func OpenGeoDB(path string) (*GeoDB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("GeoIP database %s: %v (not a MaxMind-format .mmdb file, or damaged: download it again)", path, err)
	}
	db := &GeoDB{Path: path, Type: r.Metadata.DatabaseType, BuildTime: r.Metadata.BuildTime().UTC(), r: r}
	for _, a := range probes {
		if a.Is6() && r.Metadata.IPVersion == 4 {
			continue
		}
		if _, err := db.Lookup(a); err != nil {
			r.Close()
			return nil, fmt.Errorf("%w: the file is damaged, download it again", err)
		}
	}
	return db, nil
}

// Close closes every database.
func (g *GeoIP) Close() error {
	if g == nil {
		return nil
	}
	var errs []error
	for _, db := range g.DBs {
		errs = append(errs, db.r.Close())
	}
	return errors.Join(errs...)
}

// Source names a database as the source of a value.
func (db *GeoDB) Source() string {
	return fmt.Sprintf("%s (%s, built %s)", filepath.Base(db.Path), db.Type, db.BuildTime.Format(time.DateOnly))
}

// GeoFacts is what one database says about one address.
type GeoFacts struct {
	ASN     int64 // 0 when the database does not say
	ASOrg   string
	Country string // ISO 3166-1 alpha-2 code
	City    string // English name
}

// Lookup reads what db says about a. The record's fields are read by name,
// whatever the vendor's layout:
//
//	MaxMind and DB-IP   autonomous_system_number (integer), autonomous_system_organization,
//	                    country.iso_code (else registered_country.iso_code), city.names.en
//	IPinfo              asn ("AS15169"), as_name (or name in its ASN database),
//	                    country_code, else country when it is a two-letter code
//	                    (IPinfo Lite's country is the country's name), city
//	ip-location-db      country_code
func (db *GeoDB) Lookup(a netip.Addr) (GeoFacts, error) {
	var f GeoFacts
	var rec map[string]any
	if err := db.r.Lookup(a.Unmap()).Decode(&rec); err != nil {
		return f, fmt.Errorf("GeoIP database %s: %s: %v", db.Path, a, err)
	}
	if rec == nil {
		return f, nil
	}
	str := func(m map[string]any, k string) string {
		s, _ := m[k].(string)
		return strings.TrimSpace(s)
	}
	sub := func(m map[string]any, k string) map[string]any {
		x, _ := m[k].(map[string]any)
		return x
	}
	switch v := rec["autonomous_system_number"].(type) {
	case uint64:
		f.ASN = int64(v)
	case int:
		f.ASN = int64(v)
	}
	f.ASOrg = str(rec, "autonomous_system_organization")
	if s := str(rec, "asn"); f.ASN == 0 && s != "" {
		if n, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(s), "AS"), 10, 64); err == nil {
			f.ASN = n
		}
		f.ASOrg = str(rec, "as_name")
		if f.ASOrg == "" {
			f.ASOrg = str(rec, "name")
		}
	}
	for _, k := range []string{"country", "registered_country"} {
		if m := sub(rec, k); m != nil && f.Country == "" {
			f.Country = str(m, "iso_code")
		}
	}
	if f.Country == "" {
		f.Country = str(rec, "country_code")
	}
	if c := str(rec, "country"); f.Country == "" && len(c) == 2 {
		f.Country = strings.ToUpper(c)
	}
	if m := sub(rec, "city"); m != nil {
		f.City = str(sub(m, "names"), "en")
	} else {
		f.City = str(rec, "city")
	}
	return f, nil
}
