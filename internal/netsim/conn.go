package netsim

import "net/netip"

// TCP flag bits as flow logs report them (reference 1.5).
const (
	flagFIN    uint8 = 1
	flagSYN    uint8 = 2
	flagRST    uint8 = 4
	flagSYNACK uint8 = 18
)

// IP protocol numbers.
const (
	protoICMP uint8 = 1
	protoTCP  uint8 = 6
	protoUDP  uint8 = 17
)

// node is an address that takes part in traffic: a host's interface in one
// of the VPCs, or an address outside them.
type node struct {
	addr netip.Addr
	eni  *eni // the logged interface holding addr; nil outside the VPCs
	vpc  *vpc // nil outside the VPCs
	// public: the host has a public address and reaches the internet
	// through the internet gateway (and can be reached from it). Otherwise
	// its internet traffic goes through nat.
	public bool
	nat    *node
	svc    string // AWS service of an external address (ip-ranges.json "service"), or ""
	name   string
	// windows: the host's ephemeral port range (Linux or Windows).
	windows bool
	// ports: the host's ephemeral port counter, shared by the nodes of one
	// interface (IPv4 and IPv6).
	ports *int
}

func (n *node) internal() bool { return n.vpc != nil }

// seg is a stretch of a connection's packets: at one instant (t0 == t1) or
// spread evenly over [t0, t1). up is client to server, dn server to client;
// bytes include IP and transport headers, as flow logs count them.
type seg struct {
	t0, t1   int64
	up, dn   int64 // bytes
	upP, dnP int64 // packets
	upF, dnF uint8 // TCP flags
}

// Rejections of a connection's client packets.
const (
	rejNone    uint8 = iota
	rejServer        // the server's security group or network ACL drops them (logged REJECT on the server's interface)
	rejClient        // the client's own outbound rules drop them (logged REJECT on the client's interface)
	rejNowhere       // dropped beyond the logged interfaces (nothing answers; the client's records are ACCEPT)
)

// conn is one connection (a TCP connection, or a UDP or ICMP exchange on
// one 5-tuple).
type conn struct {
	proto        uint8
	cli, srv     *node
	cport, sport uint16
	natPort      uint16 // the NAT gateway's port on its outside leg
	segs         []seg
	rej          uint8
	gwEndpoint   bool  // to S3 through the VPC's gateway endpoint (no NAT)
	tag          int16 // 1 + the index of the incident it belongs to; 0 for background
}

// hdr is the per-packet header size: IP + TCP with timestamps, or IP + UDP.
func (c *conn) hdr() int64 {
	v6 := c.cli.addr.Is6()
	switch {
	case c.proto == protoTCP && v6:
		return 72
	case c.proto == protoTCP:
		return 52
	case v6:
		return 48
	}
	return 28
}

// pkts is the number of full-size segments that carry n payload bytes.
func pkts(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return (n + 1447) / 1448
}

// syn adds the opening handshake at t: SYN, SYN-ACK, ACK.
func (c *conn) syn(t int64) *conn {
	h := c.hdr()
	c.segs = append(c.segs, seg{t0: t, t1: t, up: 2*h + 8, dn: h + 8, upP: 2, dnP: 1, upF: flagSYN, dnF: flagSYNACK})
	return c
}

// exchange adds a request of up payload bytes and a response of dn at t.
func (c *conn) exchange(t, up, dn int64) *conn {
	h := c.hdr()
	if c.proto != protoTCP {
		up1, dn1 := max(1, pkts(up)), pkts(dn)
		c.segs = append(c.segs, seg{t0: t, t1: t, up: up + up1*h, dn: dn + dn1*h, upP: up1, dnP: dn1})
		return c
	}
	// Each side acknowledges about every second segment of the other.
	upP, dnP := pkts(up), pkts(dn)
	upP, dnP = max(1, upP+dnP/2), max(1, dnP+upP/2)
	c.segs = append(c.segs, seg{t0: t, t1: t, up: up + upP*h, dn: dn + dnP*h, upP: upP, dnP: dnP})
	return c
}

// stream adds up and dn payload bytes spread evenly over [t0, t1).
func (c *conn) stream(t0, t1, up, dn int64) *conn {
	if t1 <= t0 {
		return c.exchange(t0, up, dn)
	}
	h := c.hdr()
	upP, dnP := pkts(up), pkts(dn)
	if c.proto == protoTCP {
		upP, dnP = upP+dnP/2, dnP+upP/2
	}
	c.segs = append(c.segs, seg{t0: t0, t1: t1, up: up + upP*h, dn: dn + dnP*h, upP: upP, dnP: dnP})
	return c
}

// udpStream adds a UDP media stream: pps packets per second each way of
// size bytes (payload) from t0 to t1.
func (c *conn) udpStream(t0, t1, ppsUp, ppsDn, sizeUp, sizeDn int64) *conn {
	d := t1 - t0
	h := c.hdr()
	c.segs = append(c.segs, seg{t0: t0, t1: t1, up: d * ppsUp * (sizeUp + h), dn: d * ppsDn * (sizeDn + h), upP: d * ppsUp, dnP: d * ppsDn})
	return c
}

// fin adds an orderly close at t: FIN and ACK each way.
func (c *conn) fin(t int64) *conn {
	h := c.hdr()
	c.segs = append(c.segs, seg{t0: t, t1: t, up: 2 * h, dn: 2 * h, upP: 2, dnP: 2, upF: flagFIN, dnF: flagFIN})
	return c
}

// probe adds a lone SYN (and retransmissions) that nothing answers.
func (c *conn) probe(t int64, tries int64) *conn {
	h := c.hdr()
	c.segs = append(c.segs, seg{t0: t, t1: t, up: tries * (h + 8), upP: tries, upF: flagSYN})
	return c
}

// refused adds a SYN answered by a RST (no listener on that port). The
// RST carries an ACK, which flow logs do not report (reference 1.5).
func (c *conn) refused(t int64) *conn {
	h := c.hdr()
	c.segs = append(c.segs, seg{t0: t, t1: t, up: h + 8, dn: h - 12, upP: 1, dnP: 1, upF: flagSYN, dnF: flagRST})
	return c
}

// synScan adds a half-open scan of a listening port: SYN, SYN-ACK, RST.
func (c *conn) synScan(t int64) *conn {
	h := c.hdr()
	c.segs = append(c.segs, seg{t0: t, t1: t, up: 2*h - 4, dn: h + 8, upP: 2, dnP: 1, upF: flagSYN | flagRST, dnF: flagSYNACK})
	return c
}
