package netsim

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
)

// awsRange is a prefix of AWS's ip-ranges.json with its most specific
// service, which is what pkt-*-aws-service shows for its addresses.
type awsRange struct {
	prefix  string
	region  string
	service string
}

// awsRanges are the AWS prefixes the corpus uses, from AWS's published
// ip-ranges.json: S3 and EC2 in the three Regions of the corpus, AMAZON-only
// ranges (service endpoints such as Systems Manager and SQS) and CloudFront.
// EC2 ranges are anyone's instances: a customer's SaaS, or an attacker's
// server.
var awsRanges = []awsRange{
	{"52.216.0.0/15", "us-east-1", "S3"},
	{"3.5.0.0/19", "us-east-1", "S3"},
	{"52.218.0.0/17", "eu-west-1", "S3"},
	{"3.5.64.0/21", "eu-west-1", "S3"},
	{"52.218.128.0/17", "us-west-2", "S3"},
	{"3.5.76.0/22", "us-west-2", "S3"},
	{"3.80.0.0/12", "us-east-1", "EC2"},
	{"54.144.0.0/14", "us-east-1", "EC2"},
	{"34.240.0.0/13", "eu-west-1", "EC2"},
	{"44.224.0.0/11", "us-west-2", "EC2"},
	{"13.56.0.0/16", "us-west-1", "EC2"},
	{"52.94.224.0/20", "us-east-1", "AMAZON"},
	{"52.94.48.0/20", "eu-west-1", "AMAZON"},
	{"52.94.208.0/21", "us-west-2", "AMAZON"},
	{"13.32.0.0/15", "GLOBAL", "CLOUDFRONT"},
	{"18.160.0.0/15", "GLOBAL", "CLOUDFRONT"},
}

// AWSRangesFile is the name of the ip-ranges.json subset Generate writes.
const AWSRangesFile = "aws-ip-ranges.json"

// writeAWSRanges writes the ranges in the shape of AWS's ip-ranges.json
// (reference 9.1): every range once under its service and once under
// AMAZON, since every subset is also in AMAZON.
func writeAWSRanges(dir string) error {
	type pfx struct {
		IPPrefix string `json:"ip_prefix"`
		Region   string `json:"region"`
		NBG      string `json:"network_border_group"`
		Service  string `json:"service"`
	}
	doc := struct {
		SyncToken    string   `json:"syncToken"`
		CreateDate   string   `json:"createDate"`
		Prefixes     []pfx    `json:"prefixes"`
		IPv6Prefixes []string `json:"ipv6_prefixes"`
	}{SyncToken: "1741651200", CreateDate: "2025-03-11-00-00-00", IPv6Prefixes: []string{}}
	for _, r := range awsRanges {
		doc.Prefixes = append(doc.Prefixes, pfx{r.prefix, r.region, r.region, "AMAZON"})
		if r.service != "AMAZON" {
			doc.Prefixes = append(doc.Prefixes, pfx{r.prefix, r.region, r.region, r.service})
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, AWSRangesFile), append(b, '\n'), 0o644)
}

// awsIn returns a random address of an AWS service in a Region.
func awsIn(rng *rand.Rand, service, region string) *node {
	var ps []netip.Prefix
	for _, r := range awsRanges {
		if r.service == service && r.region == region {
			ps = append(ps, netip.MustParsePrefix(r.prefix))
		}
	}
	p := ps[rng.IntN(len(ps))]
	return ext(randIn(rng, p), service)
}

// awsService returns the service of an address in awsRanges, or "".
func awsService(a netip.Addr) string {
	for _, r := range awsRanges {
		if netip.MustParsePrefix(r.prefix).Contains(a) {
			return r.service
		}
	}
	return ""
}

// pool is a fixed set of external addresses (a service's servers).
type pool []*node

func newPool(rng *rand.Rand, n int, prefixes ...string) pool {
	var p pool
	seen := map[netip.Addr]bool{}
	for len(p) < n {
		pre := netip.MustParsePrefix(prefixes[rng.IntN(len(prefixes))])
		a := randIn(rng, pre)
		if seen[a] {
			continue
		}
		seen[a] = true
		p = append(p, ext(a, awsService(a)))
	}
	return p
}

func addrs(ss ...string) pool {
	var p pool
	for _, s := range ss {
		a := netip.MustParseAddr(s)
		p = append(p, ext(a, awsService(a)))
	}
	return p
}

func (p pool) pick(rng *rand.Rand) *node { return p[rng.IntN(len(p))] }

// Address space of the internet's other actors. None of it overlaps the
// planted incidents' addresses (checked by Generate).
var (
	// Residential and mobile networks: web clients, developers at home,
	// SSH and RDP bots.
	clientNets = []string{"24.0.0.0/8", "47.128.0.0/10", "67.160.0.0/11", "71.192.0.0/12", "73.0.0.0/8", "76.96.0.0/11",
		"81.128.0.0/11", "82.64.0.0/12", "86.192.0.0/11", "90.0.0.0/9", "92.128.0.0/10", "109.0.0.0/11", "176.128.0.0/10",
		"178.0.0.0/10", "188.64.0.0/11", "189.0.0.0/11", "201.0.0.0/11"}
	clientNets6 = []string{"2601::/20", "2a02:8100::/24", "2003::/19"}
	botNets     = []string{"218.92.0.0/16", "61.177.172.0/24", "183.81.169.0/24", "141.98.11.0/24", "43.128.0.0/10",
		"103.0.0.0/9", "116.0.0.0/10", "171.224.0.0/11", "45.128.0.0/10", "194.0.0.0/10", "2.56.0.0/14"}
	// Research scanners and commercial attack-surface scanners.
	scannerNets = []string{"162.142.125.0/24", "167.94.138.0/24", "167.94.146.0/24", "206.168.34.0/24", "198.235.24.0/24",
		"205.210.31.0/24", "89.248.165.0/24", "89.248.163.0/24", "71.6.199.0/24", "192.241.192.0/19", "64.62.197.0/24"}
)
