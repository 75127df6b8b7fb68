package enrich

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// AWSRangesURL is where AWS publishes its address ranges
// (https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html).
const AWSRangesURL = "https://ip-ranges.amazonaws.com/ip-ranges.json"

// ServiceAmazon is the service code under which ip-ranges.json lists every
// AWS address range, including those it also lists under a specific service.
const ServiceAmazon = "AMAZON"

// createDateLayout is ip-ranges.json's createDate: UTC yyyy-mm-dd-hh-mm-ss.
const createDateLayout = "2006-01-02-15-04-05"

// AWSPrefix is one entry of ip-ranges.json.
type AWSPrefix struct {
	Prefix             netip.Prefix
	Region             string
	NetworkBorderGroup string
	Service            string
}

// AWSRanges is a parsed ip-ranges.json. Its date is CreateDate (the
// publication time AWS writes in the file), kept with every value looked up
// in it.
type AWSRanges struct {
	SyncToken  string
	CreateDate time.Time
	Origin     string // the file or URL it was read from
	SHA256     string // of the document as read
	Prefixes   []AWSPrefix

	index map[netip.Prefix][]int // prefix -> entries listing it
	lens  [2][]int               // prefix lengths present per family (IPv4, IPv6), longest first
}

// awsRangesDoc is the published JSON shape.
type awsRangesDoc struct {
	SyncToken  *string `json:"syncToken"`
	CreateDate *string `json:"createDate"`
	Prefixes   []struct {
		IPPrefix           string `json:"ip_prefix"`
		Region             string `json:"region"`
		NetworkBorderGroup string `json:"network_border_group"`
		Service            string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		IPv6Prefix         string `json:"ipv6_prefix"`
		Region             string `json:"region"`
		NetworkBorderGroup string `json:"network_border_group"`
		Service            string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// ParseAWSRanges parses AWS's ip-ranges.json. origin names the file or URL in
// errors. A document without syncToken and createDate, or with a prefix
// that is not a network of the list's family, is refused: every value
// looked up in it must carry the ranges' date.
func ParseAWSRanges(origin string, data []byte) (*AWSRanges, error) {
	var doc awsRangesDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not AWS's ip-ranges.json (%v); download it from %s", origin, err, AWSRangesURL)
	}
	if doc.SyncToken == nil || doc.CreateDate == nil {
		return nil, fmt.Errorf("%s: no syncToken or createDate: not AWS's ip-ranges.json (download it from %s)", origin, AWSRangesURL)
	}
	created, err := time.Parse(createDateLayout, *doc.CreateDate)
	if err != nil {
		return nil, fmt.Errorf("%s: createDate %q is not yyyy-mm-dd-hh-mm-ss", origin, *doc.CreateDate)
	}
	sum := sha256.Sum256(data)
	r := &AWSRanges{SyncToken: *doc.SyncToken, CreateDate: created.UTC(), Origin: origin, SHA256: hex.EncodeToString(sum[:])}
	add := func(list string, i int, text, region, nbg, service string, v6 bool) error {
		p, err := netip.ParsePrefix(strings.TrimSpace(text))
		switch {
		case err != nil:
			return fmt.Errorf("%s: %s[%d]: %q is not a CIDR network", origin, list, i, text)
		case p.Addr().Is6() != v6 || p.Addr().Is4In6() || p.Addr().Zone() != "":
			return fmt.Errorf("%s: %s[%d]: %q is not an IPv%s network", origin, list, i, text, map[bool]string{false: "4", true: "6"}[v6])
		case p.Masked() != p:
			return fmt.Errorf("%s: %s[%d]: %q has host bits set", origin, list, i, text)
		case service == "":
			return fmt.Errorf("%s: %s[%d]: %q has no service", origin, list, i, text)
		}
		r.Prefixes = append(r.Prefixes, AWSPrefix{Prefix: p, Region: region, NetworkBorderGroup: nbg, Service: service})
		return nil
	}
	for i, p := range doc.Prefixes {
		if err := add("prefixes", i, p.IPPrefix, p.Region, p.NetworkBorderGroup, p.Service, false); err != nil {
			return nil, err
		}
	}
	for i, p := range doc.IPv6Prefixes {
		if err := add("ipv6_prefixes", i, p.IPv6Prefix, p.Region, p.NetworkBorderGroup, p.Service, true); err != nil {
			return nil, err
		}
	}
	if len(r.Prefixes) == 0 {
		return nil, fmt.Errorf("%s: no prefixes: not AWS's ip-ranges.json (download it from %s)", origin, AWSRangesURL)
	}
	r.build()
	return r, nil
}

// build indexes the prefixes by network, and the lengths present per family.
func (r *AWSRanges) build() {
	r.index = map[netip.Prefix][]int{}
	seen := [2]map[int]bool{{}, {}}
	for i, p := range r.Prefixes {
		f := 0
		if p.Prefix.Addr().Is6() {
			f = 1
		}
		if !seen[f][p.Prefix.Bits()] {
			seen[f][p.Prefix.Bits()] = true
			r.lens[f] = append(r.lens[f], p.Prefix.Bits())
		}
		r.index[p.Prefix] = append(r.index[p.Prefix], i)
	}
	for f := range r.lens {
		slices.Sort(r.lens[f])
		slices.Reverse(r.lens[f])
	}
}

// AWSMatch is what the ranges say about one address.
type AWSMatch struct {
	// Prefix is the most specific published network containing the address.
	Prefix netip.Prefix
	// Service is the service of that network. ip-ranges.json lists many
	// networks twice, under AMAZON (which covers every AWS range) and under
	// the service that uses it (S3, EC2, ...): the specific service wins.
	// Several specific services listing the same network are joined with ",".
	Service            string
	Region             string // several joined with ","
	NetworkBorderGroup string // several joined with ","
	// Services lists every service of every published network containing
	// the address, most specific network first (e.g. S3, AMAZON): what an
	// allow-list entry naming a service is matched against.
	Services []string
}

// Lookup returns what the ranges say about a; ok is false when no published
// network contains it. An IPv4-mapped IPv6 address is looked up as IPv4.
func (r *AWSRanges) Lookup(a netip.Addr) (m AWSMatch, ok bool) {
	if r == nil || !a.IsValid() || a.Zone() != "" {
		return m, false
	}
	a = a.Unmap()
	f := 0
	if a.Is6() {
		f = 1
	}
	for _, bits := range r.lens[f] {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		ids := r.index[p]
		if len(ids) == 0 {
			continue
		}
		if !ok {
			ok = true
			m.Prefix = p
			m.Service, m.Region, m.NetworkBorderGroup = r.describe(ids)
		}
		for _, id := range ids {
			if s := r.Prefixes[id].Service; !slices.Contains(m.Services, s) {
				m.Services = append(m.Services, s)
			}
		}
	}
	return m, ok
}

// describe picks the service, Region and border group of the entries that
// list one network: the specific services when there are any, else AMAZON.
func (r *AWSRanges) describe(ids []int) (service, region, nbg string) {
	var chosen []AWSPrefix
	for _, id := range ids {
		if r.Prefixes[id].Service != ServiceAmazon {
			chosen = append(chosen, r.Prefixes[id])
		}
	}
	if len(chosen) == 0 {
		for _, id := range ids {
			chosen = append(chosen, r.Prefixes[id])
		}
	}
	join := func(get func(AWSPrefix) string) string {
		var vs []string
		for _, p := range chosen {
			if v := get(p); v != "" && !slices.Contains(vs, v) {
				vs = append(vs, v)
			}
		}
		slices.Sort(vs)
		return strings.Join(vs, ",")
	}
	return join(func(p AWSPrefix) string { return p.Service }), join(func(p AWSPrefix) string { return p.Region }),
		join(func(p AWSPrefix) string { return p.NetworkBorderGroup })
}

// Source names the ranges as the source of a value: origin, syncToken and
// createDate.
func (r *AWSRanges) Source() string {
	return fmt.Sprintf("ip-ranges.json syncToken %s createDate %s (%s)", r.SyncToken, r.CreateDate.Format(createDateLayout), r.Origin)
}

// maxRangesSize bounds a downloaded ip-ranges.json (the real file is a few MB).
const maxRangesSize = 64 << 20

// FetchAWSRanges downloads ip-ranges.json from url (AWSRangesURL when
// empty) with client, whose timeout bounds the download.
func FetchAWSRanges(ctx context.Context, client *http.Client, url string) (*AWSRanges, []byte, error) {
	if url == "" {
		url = AWSRangesURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w (offline? download the file elsewhere and give its path)", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetch %s: HTTP %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRangesSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if len(data) > maxRangesSize {
		return nil, nil, errors.New("fetch " + url + ": larger than 64 MiB: not AWS's ip-ranges.json")
	}
	r, err := ParseAWSRanges(url, data)
	if err != nil {
		return nil, nil, err
	}
	return r, data, nil
}
