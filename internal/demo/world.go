package demo

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// maxVPCs bounds the number of VPCs: each gets 10.(16+n).0.0/16 so that no two
// VPCs overlap and every private address in the corpus is unambiguous, which
// keeps per-address truth (top talkers, data ratio) well defined.
const maxVPCs = 200

// Pool sizes. Fixed, so that memory and the per-address truth stay bounded
// however many records are asked for.
const (
	nClients4 = 3000 // internet clients of the web servers (IPv4)
	nClients6 = 400  // internet clients of the web servers (IPv6)
	nScanners = 2000 // internet background scanners
	nSaaS     = 60   // external APIs and package mirrors reached through NAT
)

// AWS service labels written in pkt-src-aws-service / pkt-dst-aws-service.
const (
	svcNone uint8 = iota
	svcS3
	svcDynamoDB
	svcAmazon
)

var svcNames = [...]string{"-", "S3", "DYNAMODB", "AMAZON"}

// role is what an ENI does in the synthetic VPC.
type role uint8

const (
	roleWeb role = iota
	roleBastion
	roleWin // Windows jump host with RDP open to the internet
	roleIsolated
	roleApp
	roleDB
	roleResolver
	roleNAT
)

// eni is one network interface of a VPC; every record belongs to one.
type eni struct {
	idx      int    // position in vpc.enis
	id       string // eni-...
	instance string // i-..., or "-" for a requester-managed ENI (NAT gateway)
	subnet   string
	az       string // az-id, e.g. use1-az1
	ip4      int32  // primary private IPv4 (address id)
	ip6      int32  // IPv6 address id, or -1
	role     role
	// bpa marks a public host in a subnet under VPC Block Public Access
	// (bidirectional mode): its internet traffic is rejected with
	// reject-reason BPA, the only reject reason AWS documents.
	bpa bool
}

// noAddr is an address id that matches no address (not even the -1 of the
// NODATA records' absent addresses).
const noAddr = int32(-1 << 31)

// unknownField marks a format column flowir does not know; it is written as `-`.
const unknownField = flow.NumFields

// vpc is one VPC with one VPC-level flow log delivering to S3. It is the unit
// of generation: one runner and one set of files per vpc.
type vpc struct {
	n        int // global index: Config.Accounts order, then region order
	account  *Account
	region   string
	id       string // vpc-...
	cidr     string
	flowLog  string // fl-...
	cols     []flow.FieldID
	format   string // the --log-format string
	header   string // header line, with its newline
	version  string // value written in the version field
	versionN int
	hasPktS  bool  // the format has pkt-srcaddr
	hasPktD  bool  // the format has pkt-dstaddr
	interval int64 // aggregation interval, seconds

	enis     []*eni
	web      []*eni
	app      []*eni
	db       []*eni
	public   []*eni // ENIs with a public address: web, bastion, win, isolated
	noise    []*eni // targets of background scanners: public ENIs except the RDP host
	dnsCli   []*eni // ENIs that query the resolver
	bastion  *eni
	win      *eni // nil except in one VPC
	isolated *eni // nil except in one VPC
	resolver *eni
	nat      *eni

	s3, ddb, amazon []int32 // this region's AWS service addresses

	events  []session // planted incident sessions, sorted by start
	bgRecs  int64     // background records this vpc should produce
	incRecs int64     // estimated incident records (for the budget)

	specialSubnet func(role) *eni // adds an ENI to the second public subnet
}

// world is everything fixed before generation starts; runners only read it.
type world struct {
	cfg        Config
	start, end int64 // unix seconds, the span [start, end)

	addrs   []string // address text by id
	addrSvc []uint8  // AWS service label by id
	addrIOC []int16  // index into iocs by id, -1 for none
	addrIdx map[netip.Addr]int32

	vpcs      []*vpc
	clients4  []int32
	clients6  []int32
	scanners  []int32
	saas      []int32
	office    int32 // the administrators' office, source of legitimate SSH
	incidents []Incident
	iocs      []iocEntry
	ratioIP   int32 // address id for Truth.DataRatio, noAddr if it never appears
	ratioText string

	// weightCum[i] is the cumulative diurnal weight of the first i five-minute
	// windows of the span; background volume follows it.
	weightCum []int64
}

// Diurnal profile (UTC hour -> relative volume): busy during the day, quiet at
// night, so that time-of-day charts look like real traffic.
var hourWeight = [24]int64{5, 4, 4, 4, 4, 5, 6, 8, 10, 12, 13, 14, 14, 14, 13, 12, 11, 10, 9, 8, 7, 7, 6, 6}

// regionNet holds plausible per-region address ranges: the region's IPv6
// block for VPCs and ranges for the AWS services the instances call. They look
// like AWS's but were not checked against ip-ranges.json; enrichment tests
// must not rely on them.
type regionNet struct{ v6, s3, ddb, amazon string }

var regionNets = map[string]regionNet{
	"us-east-1":      {"2600:1f18::/32", "52.216.0.0/15", "52.94.0.0/22", "52.94.224.0/20"},
	"us-west-2":      {"2600:1f14::/32", "52.218.128.0/17", "52.94.10.0/24", "52.94.208.0/21"},
	"eu-west-1":      {"2a05:d018::/32", "52.218.0.0/17", "52.94.24.0/23", "52.94.216.0/21"},
	"ap-southeast-2": {"2406:da1c::/32", "52.95.128.0/21", "52.94.12.0/23", "52.94.248.0/22"},
}

var fallbackNet = regionNet{"2600:1f1c::/32", "3.5.0.0/16", "52.94.96.0/20", "52.95.0.0/18"}

// First octets of the internet client and scanner pools: ordinary ISP space,
// disjoint from each other and from every documentation range, so that the
// planted actors are the only documentation addresses. (They were not checked
// against ip-ranges.json; an occasional address may fall in an AWS range.)
var (
	clientOctets  = []byte{24, 31, 37, 46, 62, 67, 68, 71, 73, 77, 78, 79, 82, 84, 86, 88, 89, 90, 91, 92, 93, 94, 95, 98, 109, 151, 176, 177, 178, 179, 181, 186, 187, 189, 190, 191, 201}
	scannerOctets = []byte{45, 61, 103, 106, 112, 113, 116, 117, 118, 120, 121, 122, 123, 124, 125, 141, 162, 167, 183, 185, 193, 194, 195, 196, 197, 222, 223}
	saasPrefixes  = []string{"140.82.112.0/22", "151.101.0.0/16", "104.16.0.0/13", "199.232.0.0/16", "185.199.108.0/22"}
	client6Prefix = []string{"2a02:8100::/24", "2601::/20", "2a01:e00::/26", "2804::/16"}
)

// regionAbbrev turns a region code into the prefix of its AZ IDs:
// us-east-1 -> use1, ap-southeast-2 -> apse2.
func regionAbbrev(region string) string {
	parts := strings.Split(region, "-")
	dirs := map[string]string{"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i == 0 || i == len(parts)-1:
			b.WriteString(p)
		case dirs[p] != "":
			b.WriteString(dirs[p])
		default:
			b.WriteString(p)
		}
	}
	return b.String()
}

// newWorld builds the network, the address pools and the incident plan.
func newWorld(cfg Config) (*world, error) {
	w := &world{
		cfg:     cfg,
		start:   cfg.Start.Unix(),
		end:     cfg.Start.Add(cfg.Duration).Unix(),
		addrIdx: map[netip.Addr]int32{},
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6e6574776f726b)) // "network"

	w.clients4 = w.pool4(rng, clientOctets, nClients4)
	w.scanners = w.pool4(rng, scannerOctets, nScanners)
	for len(w.saas) < nSaaS {
		p := netip.MustParsePrefix(saasPrefixes[rng.IntN(len(saasPrefixes))])
		if id, fresh := w.addNew(randIn(rng, p), svcNone); fresh {
			w.saas = append(w.saas, id)
		}
	}
	for len(w.clients6) < nClients6 {
		p := netip.MustParsePrefix(client6Prefix[rng.IntN(len(client6Prefix))])
		if id, fresh := w.addNew(randIn(rng, p), svcNone); fresh {
			w.clients6 = append(w.clients6, id)
		}
	}
	w.office = w.addr(netip.MustParseAddr("81.2.69.160"), svcNone)

	for ai := range cfg.Accounts {
		a := &cfg.Accounts[ai]
		format := flow.DefaultFormat()
		if a.Format != "" {
			var err error
			if format, err = flow.ParseFormat(a.Format); err != nil {
				return nil, fmt.Errorf("demo: account %s: %v", a.ID, err)
			}
		}
		for _, region := range a.Regions {
			w.vpcs = append(w.vpcs, w.newVPC(rng, a, region, format, len(w.vpcs)))
		}
	}
	nv := len(w.vpcs)
	// The RDP-exposed Windows host and the BPA-isolated host exist in one VPC
	// each, whether or not incidents are planted, so the background is the
	// same network either way.
	w.addSpecial(w.vpcs[3%nv], roleWin)
	w.addSpecial(w.vpcs[5%nv], roleIsolated)

	w.ratioIP = noAddr
	if !cfg.NoIncidents {
		w.planIncidents(rand.New(rand.NewPCG(cfg.Seed, 0x696e636964656e74))) // "incident"
	}
	w.planIOCs()
	switch {
	case cfg.DataRatioIP != "":
		a := netip.MustParseAddr(cfg.DataRatioIP) // validated by withDefaults
		w.ratioText, w.ratioIP = a.String(), noAddr
		if id, ok := w.addrIdx[a]; ok {
			w.ratioIP = id
		}
	case w.ratioIP == noAddr: // no incidents: the first web server
		w.ratioIP = w.vpcs[0].web[0].ip4
		w.ratioText = w.addrs[w.ratioIP]
	default: // the exfiltrating host, set by planIncidents
		w.ratioText = w.addrs[w.ratioIP]
	}

	// Diurnal weights over the span's five-minute windows.
	nw := int((w.end - w.start) / window)
	w.weightCum = make([]int64, nw+1)
	for i := range nw {
		h := ((w.start + int64(i)*window) / 3600) % 24
		w.weightCum[i+1] = w.weightCum[i] + hourWeight[h]
	}

	// Background budget: what the incidents do not already provide, split
	// evenly across VPCs.
	var inc int64
	for _, v := range w.vpcs {
		inc += v.incRecs
	}
	bg := int64(cfg.Records) - inc
	if bg < int64(cfg.Records)/4 {
		bg = int64(cfg.Records) / 4
	}
	for i, v := range w.vpcs {
		v.bgRecs = bg / int64(nv)
		if int64(i) < bg%int64(nv) {
			v.bgRecs++
		}
	}
	return w, nil
}

// addr registers an address (once) and returns its id.
func (w *world) addr(a netip.Addr, svc uint8) int32 {
	id, _ := w.addNew(a, svc)
	return id
}

// addNew registers an address and reports whether it was new.
func (w *world) addNew(a netip.Addr, svc uint8) (int32, bool) {
	if id, ok := w.addrIdx[a]; ok {
		return id, false
	}
	id := int32(len(w.addrs))
	w.addrs = append(w.addrs, a.String())
	w.addrSvc = append(w.addrSvc, svc)
	w.addrIdx[a] = id
	return id, true
}

// pool4 draws n distinct IPv4 addresses whose first octet is in octets.
func (w *world) pool4(rng *rand.Rand, octets []byte, n int) []int32 {
	out := make([]int32, 0, n)
	for len(out) < n {
		a := netip.AddrFrom4([4]byte{octets[rng.IntN(len(octets))], byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
		if id, fresh := w.addNew(a, svcNone); fresh {
			out = append(out, id)
		}
	}
	return out
}

// randIn returns a random address inside p, avoiding the all-zeros and
// all-ones host parts of small IPv4 networks.
func randIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for {
		for i := range b {
			r := byte(rng.Uint32())
			keep := bits - i*8 // prefix bits within this byte
			switch {
			case keep >= 8:
			case keep <= 0:
				b[i] = r
			default:
				mask := byte(0xff) << (8 - keep)
				b[i] = b[i]&mask | r&^mask
			}
		}
		a, _ := netip.AddrFromSlice(b)
		if a.Is4() && (b[3] == 0 || b[3] == 255) {
			continue
		}
		return a
	}
}

// awsID returns an AWS resource ID with the 17-hex-digit suffix of current
// IDs ("eni-0a1b...", "fl-055401975c87952e8").
func awsID(rng *rand.Rand, prefix string) string {
	return fmt.Sprintf("%s-0%016x", prefix, rng.Uint64())
}

// newVPC builds one VPC: two public and two private subnets in two AZs, a NAT
// gateway, eight dual-stack web servers, a bastion, six application servers,
// two databases and a DNS resolver.
func (w *world) newVPC(rng *rand.Rand, a *Account, region string, format flow.Format, n int) *vpc {
	v := &vpc{n: n, account: a, region: region, interval: int64(a.Interval)}
	v.id = awsID(rng, "vpc")
	v.flowLog = awsID(rng, "fl")
	second := byte(16 + n)
	v.cidr = fmt.Sprintf("10.%d.0.0/16", second)
	for _, c := range format.Cols {
		id := unknownField
		if c.Known {
			id = c.ID
		}
		v.cols = append(v.cols, id)
		v.hasPktS = v.hasPktS || id == flow.PktSrcAddr
		v.hasPktD = v.hasPktD || id == flow.PktDstAddr
	}
	v.format = format.String()
	v.header = format.Header() + "\n"
	v.versionN = format.MaxVersion()
	v.version = fmt.Sprint(v.versionN)

	net := regionNets[region]
	if net.v6 == "" {
		net = fallbackNet
	}
	for range 20 {
		v.s3 = append(v.s3, w.addr(randIn(rng, netip.MustParsePrefix(net.s3)), svcS3))
	}
	for range 6 {
		v.ddb = append(v.ddb, w.addr(randIn(rng, netip.MustParsePrefix(net.ddb)), svcDynamoDB))
	}
	for range 10 {
		v.amazon = append(v.amazon, w.addr(randIn(rng, netip.MustParsePrefix(net.amazon)), svcAmazon))
	}

	// A /56 for the VPC inside the region's IPv6 block; one /64 per subnet.
	v6 := randIn(rng, netip.MustParsePrefix(net.v6)).As16()
	v6[7] = 0
	abbrev := regionAbbrev(region)
	type subnet struct {
		id       string
		az       string
		third    byte
		v6       [16]byte
		usedHost map[byte]bool
	}
	mk := func(third byte, az int, public bool) *subnet {
		s := &subnet{id: awsID(rng, "subnet"), az: fmt.Sprintf("%s-az%d", abbrev, az), third: third, usedHost: map[byte]bool{}}
		if public {
			s.v6 = v6
			s.v6[7] = third
		}
		return s
	}
	pubA, pubB := mk(0, 1, true), mk(1, 2, true)
	privA, privB := mk(10, 1, false), mk(11, 2, false)
	addENI := func(s *subnet, r role, dual bool) *eni {
		e := &eni{idx: len(v.enis), id: awsID(rng, "eni"), instance: awsID(rng, "i"), subnet: s.id, az: s.az, role: r, ip6: -1}
		for {
			h := byte(4 + rng.IntN(250)) // AWS reserves .0-.3 and .255
			if !s.usedHost[h] {
				s.usedHost[h] = true
				e.ip4 = w.addr(netip.AddrFrom4([4]byte{10, second, s.third, h}), svcNone)
				break
			}
		}
		if dual {
			a := s.v6
			for i := 8; i < 16; i++ {
				a[i] = byte(rng.Uint32())
			}
			e.ip6 = w.addr(netip.AddrFrom16(a), svcNone)
		}
		v.enis = append(v.enis, e)
		return e
	}
	v.nat = addENI(pubA, roleNAT, false)
	v.nat.instance = "-"
	for i := range 8 {
		s := pubA
		if i%2 == 1 {
			s = pubB
		}
		v.web = append(v.web, addENI(s, roleWeb, true))
	}
	v.bastion = addENI(pubA, roleBastion, false)
	for i := range 6 {
		s := privA
		if i%2 == 1 {
			s = privB
		}
		v.app = append(v.app, addENI(s, roleApp, false))
	}
	v.db = append(v.db, addENI(privA, roleDB, false), addENI(privB, roleDB, false))
	v.resolver = addENI(privA, roleResolver, false)
	// Special hosts are added by addSpecial, which needs these subnets.
	v.specialSubnet = func(r role) *eni { return addENI(pubB, r, false) }

	v.public = append(append([]*eni{}, v.web...), v.bastion)
	v.noise = append([]*eni{}, v.public...)
	v.dnsCli = append(append(append(append([]*eni{}, v.web...), v.app...), v.db...), v.bastion)
	return v
}

// addSpecial adds the RDP host or the BPA-isolated host to v.
func (w *world) addSpecial(v *vpc, r role) {
	e := v.specialSubnet(r)
	switch r {
	case roleWin:
		v.win = e
		v.public = append(v.public, e)
		// Scanners leave the RDP host alone, so that every accepted RDP
		// session from the internet belongs to the planted incident.
	case roleIsolated:
		e.bpa = true
		v.isolated = e
		v.public = append(v.public, e)
		v.noise = append(v.noise, e)
	}
	v.dnsCli = append(v.dnsCli, e)
}
