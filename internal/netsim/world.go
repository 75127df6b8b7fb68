package netsim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// eni is a logged network interface.
type eni struct {
	id       string
	vpc      *vpc
	subnet   *subnet
	instance string // "" for requester-managed interfaces (NAT gateway, load balancer)
	iv       int64  // aggregation interval
	phase    int64  // capture windows start at phase + k*iv
	nodata   bool   // write NODATA records for its silent windows
	seen     map[int64]bool
}

type subnet struct {
	id     string
	az     string
	cidr   netip.Prefix
	cidr6  netip.Prefix
	next   int
	public bool
}

// vpc is one VPC of one account, with its flow log.
type vpc struct {
	name    string
	account string
	region  string
	id      string
	cidr    netip.Prefix
	fl      *flowLog
	subnets []*subnet
	nat     *node
	enis    []*eni
}

// ids makes AWS-shaped resource ids from their own random stream.
type ids struct{ rng *rand.Rand }

func (x ids) make(prefix string) string {
	const hexd = "0123456789abcdef"
	b := []byte(prefix + "-")
	for range 17 {
		b = append(b, hexd[x.rng.IntN(16)])
	}
	return string(b)
}

func (g *gen) newVPC(name, account, region, cidr, format string, iv int64, layout int) *vpc {
	v := &vpc{name: name, account: account, region: region, id: g.ids.make("vpc"), cidr: netip.MustParsePrefix(cidr)}
	v.fl = newFlowLog(g.ids.make("fl"), account, region, format, iv, layout)
	g.flowLogs = append(g.flowLogs, v.fl)
	g.truth.FlowLogs = append(g.truth.FlowLogs, nil) // filled at the end
	return v
}

// addSubnet adds a subnet; az is the AZ id (use1-az1, ...).
func (v *vpc) addSubnet(g *gen, cidr, cidr6, az string, public bool) *subnet {
	s := &subnet{id: g.ids.make("subnet"), az: az, cidr: netip.MustParsePrefix(cidr), next: 10, public: public}
	if cidr6 != "" {
		s.cidr6 = netip.MustParsePrefix(cidr6)
	}
	v.subnets = append(v.subnets, s)
	return s
}

// nthAddr returns the n-th address of p.
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		x += uint32(n)
		return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	b := a.As16()
	c := uint64(n)
	for i := 15; i >= 8 && c > 0; i-- {
		s := uint64(b[i]) + c&0xff
		b[i] = byte(s)
		c = c>>8 + s>>8
	}
	return netip.AddrFrom16(b)
}

// host adds an interface (and its instance, unless managed is set) to a
// subnet and returns its node.
func (g *gen) host(v *vpc, s *subnet, name string, managed bool) *node {
	e := &eni{id: g.ids.make("eni"), vpc: v, subnet: s, iv: v.fl.iv, seen: map[int64]bool{}}
	if !managed {
		e.instance = g.ids.make("i")
	}
	e.phase = int64(g.setup.IntN(int(e.iv)))
	v.enis = append(v.enis, e)
	n := &node{addr: nthAddr(s.cidr, s.next), eni: e, vpc: v, public: s.public, name: name}
	s.next += 1 + g.setup.IntN(3)
	if !s.public && v.nat != nil {
		n.nat = v.nat
	}
	g.truth.Hosts++
	return n
}

// v6 returns the node of a host's IPv6 address, on the same interface.
func (g *gen) v6(n *node) *node {
	s := n.eni.subnet
	m := *n
	m.addr = nthAddr(s.cidr6, 0x1000+g.setup.IntN(0xefff))
	return &m
}

// ext returns a node for an external address.
func ext(a netip.Addr, svc string) *node { return &node{addr: a, svc: svc} }

// randIn returns a random address of p that is neither its first nor its
// last (network and broadcast for IPv4).
func randIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	p = p.Masked()
	bits := p.Addr().BitLen() - p.Bits()
	if bits <= 1 {
		return p.Addr()
	}
	span := uint64(1)<<min(bits, 62) - 2
	return nthAddr(p, 1+int(rng.Uint64N(span)))
}

// ephemeral returns the next client port of a host: from its ephemeral
// range (Linux's 32768-60999, Windows' 49152-65535), in sequence from a
// random start, as operating systems hand them out; so a port is not used
// twice by one host within a capture window, as it is not within TCP's
// TIME-WAIT. Outside hosts, each seen a few times, take any port from 1024.
func (g *gen) ephemeral(n *node) uint16 {
	if !n.internal() {
		return uint16(1024 + g.portRng.IntN(64512))
	}
	lo, size := 32768, 28232
	if n.windows {
		lo, size = 49152, 16384
	}
	p := n.ports
	if p == nil {
		p = new(int)
		*p = g.portRng.IntN(size)
		n.ports = p
	}
	*p = (*p + 1) % size
	return uint16(lo + *p)
}

func (n *node) String() string {
	if n.name != "" {
		return fmt.Sprintf("%s (%s)", n.name, n.addr)
	}
	return n.addr.String()
}
