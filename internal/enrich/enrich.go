package enrich

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Fields of the enrichment, in the order output columns show them.
const (
	FieldAWSService         = "aws_service"
	FieldAWSRegion          = "aws_region"
	FieldNetworkBorderGroup = "network_border_group"
	FieldASN                = "asn"
	FieldASOrg              = "as_org"
	FieldCountry            = "country"
	FieldCity               = "city"
	FieldPTR                = "ptr"
	// FieldAWSServices lists every service whose published ranges contain
	// the address, most specific first ("S3,AMAZON"): allow lists and Class
	// read it; outputs show aws_service.
	FieldAWSServices = "aws_services"
)

// Fields lists the fields outputs show, in order.
var Fields = []string{FieldAWSService, FieldAWSRegion, FieldNetworkBorderGroup, FieldASN, FieldASOrg, FieldCountry, FieldCity, FieldPTR}

// Kinds of source; a recomputation replaces the values of the kinds it
// recomputes and keeps the others.
const (
	KindAWSRanges   = "aws-ranges"   // AWS's ip-ranges.json
	KindFlowRecords = "flow-records" // the records' own pkt-src-aws-service / pkt-dst-aws-service
	KindGeoIP       = "geoip"        // MaxMind-format databases
	KindDNS         = "dns"          // reverse DNS
)

// Value is one fact about one address, with where it came from.
type Value struct {
	Address    string
	Field      string
	Value      string
	Kind       string
	Source     string    // the file, database or resolver, with its version
	SourceDate time.Time // the source's date: publication, build, last record, or time of the lookup
}

// Key returns the canonical text of an address (IPv4-mapped IPv6 as IPv4,
// IPv6 compressed), or s unchanged when it is not an address: every
// enrichment is keyed by it.
func Key(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return s
	}
	return a.Unmap().WithZone("").String()
}

// AWSValues looks every address up in the ranges.
func AWSValues(r *AWSRanges, addrs []string) []Value {
	var out []Value
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		m, ok := r.Lookup(a)
		if !ok {
			continue
		}
		k := Key(s)
		v := func(field, value string) {
			if value != "" {
				out = append(out, Value{Address: k, Field: field, Value: value, Kind: KindAWSRanges,
					Source: r.Source() + " " + m.Prefix.String(), SourceDate: r.CreateDate})
			}
		}
		v(FieldAWSService, m.Service)
		v(FieldAWSRegion, m.Region)
		v(FieldNetworkBorderGroup, m.NetworkBorderGroup)
		v(FieldAWSServices, strings.Join(m.Services, ","))
	}
	return out
}

// RecordService is what the flow records say of one address: the values of
// pkt-src-aws-service for records whose pkt-srcaddr it is, and of
// pkt-dst-aws-service for records whose pkt-dstaddr it is.
type RecordService struct {
	Address  string
	Services []string // distinct values other than "-"
	Records  int64
	LastSeen time.Time // the end of the latest of those records
}

// RecordValues turns the records' services into values. AWS writes one
// service code per record ("If the source IP address belongs to an
// overlapped range, pkt-src-aws-service shows only one of the AWS service
// codes"), so one address may show AMAZON in some records and S3 in
// others: the specific codes are kept, AMAZON only when there is no other.
func RecordValues(rs []RecordService) []Value {
	var out []Value
	for _, r := range rs {
		var specific []string
		for _, s := range r.Services {
			if s != ServiceAmazon && s != "" && s != "-" && !slices.Contains(specific, s) {
				specific = append(specific, s)
			}
		}
		if len(specific) == 0 && slices.Contains(r.Services, ServiceAmazon) {
			specific = []string{ServiceAmazon}
		}
		if len(specific) == 0 {
			continue
		}
		sort.Strings(specific)
		out = append(out, Value{Address: Key(r.Address), Field: FieldAWSService, Value: strings.Join(specific, ","), Kind: KindFlowRecords,
			Source: fmt.Sprintf("pkt-src-aws-service/pkt-dst-aws-service of %d flow records", r.Records), SourceDate: r.LastSeen.UTC()})
	}
	return out
}

// GeoValues looks every address up in every database. A database that
// fails on an address stops the lookups with an error naming it.
func GeoValues(g *GeoIP, addrs []string) ([]Value, error) {
	var out []Value
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		k := Key(s)
		have := map[string]bool{}
		for _, db := range g.DBs {
			f, err := db.Lookup(a)
			if err != nil {
				return nil, err
			}
			v := func(field, value string) {
				// The first database (in file-name order) that answers a field gives it.
				if value != "" && !have[field] {
					have[field] = true
					out = append(out, Value{Address: k, Field: field, Value: value, Kind: KindGeoIP, Source: db.Source(), SourceDate: db.BuildTime})
				}
			}
			if f.ASN != 0 {
				v(FieldASN, strconv.FormatInt(f.ASN, 10))
			}
			v(FieldASOrg, f.ASOrg)
			v(FieldCountry, f.Country)
			v(FieldCity, f.City)
		}
	}
	return out, nil
}

// DNSValues turns reverse-DNS answers into values dated by their lookup.
func DNSValues(ptrs []PTR, resolver string) []Value {
	out := make([]Value, 0, len(ptrs))
	for _, p := range ptrs {
		out = append(out, Value{Address: Key(p.Address), Field: FieldPTR, Value: strings.Join(p.Names, ","), Kind: KindDNS,
			Source: "reverse DNS (" + resolver + ")", SourceDate: p.At})
	}
	return out
}

// Info is what the case knows about one address.
type Info struct {
	AWSService         string `json:"aws_service,omitempty"`
	AWSRegion          string `json:"aws_region,omitempty"`
	NetworkBorderGroup string `json:"network_border_group,omitempty"`
	ASN                int64  `json:"asn,omitempty"`
	ASOrg              string `json:"as_org,omitempty"`
	Country            string `json:"country,omitempty"`
	City               string `json:"city,omitempty"`
	PTR                string `json:"ptr,omitempty"`
	Owner              string `json:"owner,omitempty"` // the inventory's owner of an address inside the VPC
	// AWSServices is every service whose published ranges contain it.
	AWSServices []string `json:"aws_services,omitempty"`
	// Sources are the values behind the fields, with their sources and dates.
	Sources []Value `json:"-"`
}

// text returns the text field of that name ("owner" too); nil for asn,
// aws_services and unknown names.
func (i *Info) text(field string) *string {
	switch field {
	case FieldAWSService:
		return &i.AWSService
	case FieldAWSRegion:
		return &i.AWSRegion
	case FieldNetworkBorderGroup:
		return &i.NetworkBorderGroup
	case FieldASOrg:
		return &i.ASOrg
	case FieldCountry:
		return &i.Country
	case FieldCity:
		return &i.City
	case FieldPTR:
		return &i.PTR
	case "owner":
		return &i.Owner
	}
	return nil
}

// Get returns the value of field (nil when unknown); asn is an int64.
func (i Info) Get(field string) any {
	if field == FieldASN {
		if i.ASN != 0 {
			return i.ASN
		}
		return nil
	}
	if p := i.text(field); p != nil && *p != "" {
		return *p
	}
	return nil
}

// Table is the enrichment of a case: the stored values merged per address,
// plus the inventory's owners.
type Table struct {
	byAddr map[string]*Info
	fields map[string]bool
	owners *Owners
}

// NewTable merges values (as stored in the case) and owners. Precedence:
// for aws_service, the records' own pkt-*-aws-service over the published
// ranges, except that a record's bare AMAZON yields to a specific service
// of the ranges; for every other field there is one source kind.
func NewTable(values []Value, owners *Owners) *Table {
	t := &Table{byAddr: map[string]*Info{}, fields: map[string]bool{}, owners: owners}
	// A record's bare AMAZON says less than a specific service of the
	// ranges (AWS writes one code per record, and for overlapping ranges not
	// necessarily the specific one), so it ranks below it.
	rank := func(v Value) int {
		switch {
		case v.Field != FieldAWSService:
			return 1
		case v.Kind == KindFlowRecords && v.Value != ServiceAmazon:
			return 0
		case v.Kind == KindFlowRecords:
			return 2
		}
		return 1
	}
	vs := slices.Clone(values)
	slices.SortStableFunc(vs, func(a, b Value) int { return rank(a) - rank(b) })
	for _, v := range vs {
		k := Key(v.Address)
		in := t.byAddr[k]
		if in == nil {
			in = &Info{}
			t.byAddr[k] = in
		}
		in.Sources = append(in.Sources, v)
		switch v.Field {
		case FieldASN:
			if n, err := strconv.ParseInt(v.Value, 10, 64); err == nil && in.ASN == 0 {
				in.ASN = n
				t.fields[v.Field] = true
			}
		case FieldAWSServices:
			in.AWSServices = strings.Split(v.Value, ",")
		default:
			if p := in.text(v.Field); p != nil && *p == "" && v.Field != "owner" {
				*p = v.Value
				t.fields[v.Field] = true
			}
		}
	}
	// A service the records name counts among the address's services.
	for _, in := range t.byAddr {
		for _, s := range strings.Split(in.AWSService, ",") {
			if s != "" && !slices.Contains(in.AWSServices, s) {
				in.AWSServices = append(in.AWSServices, s)
			}
		}
	}
	return t
}

// Info returns what the table knows about addr.
func (t *Table) Info(addr string) Info {
	if t == nil {
		return Info{}
	}
	var in Info
	if p := t.byAddr[Key(addr)]; p != nil {
		in = *p
	}
	in.Owner = t.owners.Describe(addr)
	return in
}

// Fields returns the fields (of Fields) that some address has a value for.
func (t *Table) Fields() []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, f := range Fields {
		if t.fields[f] {
			out = append(out, f)
		}
	}
	return out
}

// Owners returns the inventory's owners (nil without an inventory).
func (t *Table) Owners() *Owners {
	if t == nil {
		return nil
	}
	return t.owners
}

// Empty reports whether the table knows nothing (no values, no owners).
func (t *Table) Empty() bool { return t == nil || len(t.byAddr) == 0 && t.owners == nil }

// Classes of destinations (Class.Kind).
const (
	ClassInternal     = "internal"     // an address of the inventory's interfaces
	ClassAWSService   = "aws-service"  // in AWS's published ranges, or named by the records
	ClassOrganisation = "organisation" // an autonomous system's organisation is known
	ClassUnknown      = "unknown"
)

// Class is what kind of destination an address is, for rules that treat
// traffic to AWS services or known organisations differently from traffic
// to unknown hosts.
type Class struct {
	Kind         string
	AWSService   string // the chosen service (S3, EC2, AMAZON, ...), for aws-service
	AWSRegion    string
	ASN          int64
	Organisation string // the AS organisation, when known (also for aws-service)
}

// Class classifies addr. An inventory owner makes it internal; a published
// AWS range or a record's service makes it an AWS service (even when an
// AS organisation is known too: AMAZON-02 says less than S3); else a known
// AS organisation; else unknown.
func (t *Table) Class(addr string) Class {
	in := t.Info(addr)
	c := Class{Kind: ClassUnknown, AWSService: in.AWSService, AWSRegion: in.AWSRegion, ASN: in.ASN, Organisation: in.ASOrg}
	switch {
	case in.Owner != "":
		c.Kind = ClassInternal
	case in.AWSService != "":
		c.Kind = ClassAWSService
	case in.ASOrg != "" || in.ASN != 0:
		c.Kind = ClassOrganisation
	}
	return c
}
