package netsim

import "net/netip"

// leg is one interface's view of a connection: how the client's packets
// (up) are written on it. The server's packets (down) are written with
// addresses, packet-level addresses, ports and AWS services swapped.
type leg struct {
	e                *eni
	src, dst         netip.Addr
	pktSrc, pktDst   netip.Addr
	sport, dport     uint16
	srcSvc, dstSvc   string
	upEgress         bool
	upPath, downPath uint8 // traffic-path of whichever direction is egress; 0 for '-'
	upReject         bool
	noDown           bool
}

// Traffic paths (reference 1.6).
const (
	pathVPC     uint8 = 1 // another resource in the same VPC (a NAT gateway, another instance)
	pathIGW     uint8 = 2 // internet gateway or gateway endpoint (older instances)
	pathPeering uint8 = 4 // intra-region VPC peering
	pathGWE     uint8 = 7 // gateway VPC endpoint (Nitro)
	pathIGWN    uint8 = 8 // internet gateway (Nitro)
)

// igwPath is the traffic-path an interface writes for the internet gateway:
// 8 on Nitro instances (60-second windows), 2 on older ones.
func igwPath(e *eni) uint8 {
	if e.iv == 60 {
		return pathIGWN
	}
	return pathIGW
}

func gwePath(e *eni) uint8 {
	if e.iv == 60 {
		return pathGWE
	}
	return pathIGW
}

// legs lists the interfaces a connection crosses and how each logs it.
func (c *conn) legs(dst []leg) []leg {
	cl, sv := c.cli, c.srv
	noDown := c.rej != rejNone
	switch {
	case cl.internal() && sv.internal():
		path := pathVPC
		if cl.vpc != sv.vpc {
			path = pathPeering
		}
		if cl.eni != nil {
			dst = append(dst, leg{e: cl.eni, src: cl.addr, dst: sv.addr, pktSrc: cl.addr, pktDst: sv.addr, sport: c.cport, dport: c.sport,
				upEgress: true, upPath: path, upReject: c.rej == rejClient, noDown: noDown})
		}
		if sv.eni != nil && (c.rej == rejNone || c.rej == rejServer) {
			dst = append(dst, leg{e: sv.eni, src: cl.addr, dst: sv.addr, pktSrc: cl.addr, pktDst: sv.addr, sport: c.cport, dport: c.sport,
				downPath: path, upReject: c.rej == rejServer, noDown: noDown})
		}
	case cl.internal():
		viaNAT := !cl.public && cl.nat != nil && !c.gwEndpoint
		if cl.eni != nil {
			p := igwPath(cl.eni)
			switch {
			case c.gwEndpoint:
				p = gwePath(cl.eni)
			case viaNAT:
				p = pathVPC
			}
			dst = append(dst, leg{e: cl.eni, src: cl.addr, dst: sv.addr, pktSrc: cl.addr, pktDst: sv.addr, sport: c.cport, dport: c.sport,
				dstSvc: sv.svc, upEgress: true, upPath: p, upReject: c.rej == rejClient, noDown: noDown})
		}
		if viaNAT && c.rej != rejClient {
			n := cl.nat
			dst = append(dst,
				leg{e: n.eni, src: cl.addr, dst: n.addr, pktSrc: cl.addr, pktDst: sv.addr, sport: c.cport, dport: c.sport,
					dstSvc: sv.svc, downPath: pathVPC, noDown: noDown},
				leg{e: n.eni, src: n.addr, dst: sv.addr, pktSrc: n.addr, pktDst: sv.addr, sport: c.natPort, dport: c.sport,
					dstSvc: sv.svc, upEgress: true, upPath: igwPath(n.eni), noDown: noDown})
		}
	case sv.internal():
		if sv.eni != nil {
			dst = append(dst, leg{e: sv.eni, src: cl.addr, dst: sv.addr, pktSrc: cl.addr, pktDst: sv.addr, sport: c.cport, dport: c.sport,
				srcSvc: cl.svc, downPath: igwPath(sv.eni), upReject: c.rej == rejServer, noDown: noDown})
		}
	}
	return dst
}

// dirAgg is one direction's packets within one capture window.
type dirAgg struct {
	bytes, pkts int64
	flags       uint8
	first       int64
}

func (d *dirAgg) add(t, b, p int64, f uint8) {
	if p <= 0 && b <= 0 {
		return
	}
	if d.pkts == 0 || t < d.first {
		d.first = t
	}
	d.bytes += b
	d.pkts += p
	d.flags |= f
}

type winAgg struct {
	k      int64
	up, dn dirAgg
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// windows splits a connection's packets into the capture windows of an
// interface with aggregation interval iv and phase ph. A spread segment's
// bytes and packets are shared in proportion to its overlap with each
// window (cumulative rounding, so the totals are exact).
func windows(segs []seg, iv, ph int64, out []winAgg) []winAgg {
	out = out[:0]
	// at returns window k's aggregate, keeping out sorted by window (a
	// point may fall before the end of an earlier spread segment).
	at := func(k int64) *winAgg {
		i := len(out)
		for i > 0 && out[i-1].k > k {
			i--
		}
		if i > 0 && out[i-1].k == k {
			return &out[i-1]
		}
		out = append(out, winAgg{})
		copy(out[i+1:], out[i:])
		out[i] = winAgg{k: k}
		return &out[i]
	}
	for _, s := range segs {
		if s.t1 <= s.t0 {
			w := at(floorDiv(s.t0-ph, iv))
			w.up.add(s.t0, s.up, s.upP, s.upF)
			w.dn.add(s.t0, s.dn, s.dnP, s.dnF)
			continue
		}
		d := s.t1 - s.t0
		for k := floorDiv(s.t0-ph, iv); ph+k*iv < s.t1; k++ {
			ws := ph + k*iv
			lo, hi := max(s.t0, ws), min(s.t1, ws+iv)
			share := func(n int64) int64 { return n*(hi-s.t0)/d - n*(lo-s.t0)/d }
			ub, up, db, dp := share(s.up), share(s.upP), share(s.dn), share(s.dnP)
			if ub > 0 && up == 0 {
				up = 1
			}
			if db > 0 && dp == 0 {
				dp = 1
			}
			w := at(k)
			w.up.add(lo, ub, up, 0)
			w.dn.add(lo, db, dp, 0)
		}
	}
	return out
}

// emit turns a connection into records on every interface it crosses.
func (g *gen) emit(c *conn) {
	if len(c.segs) == 0 {
		return
	}
	if c.segs[0].t0 < g.sliceStart {
		g.late++
	}
	if c.cport == 0 && c.proto != protoICMP {
		c.cport = g.ephemeral(c.cli)
	}
	if c.natPort == 0 && c.cli.nat != nil {
		c.natPort = g.ephemeral(c.cli.nat)
	}
	g.legBuf = c.legs(g.legBuf[:0])
	for i := range g.legBuf {
		l := &g.legBuf[i]
		g.winBuf = windows(c.segs, l.e.iv, l.e.phase, g.winBuf)
		for _, w := range g.winBuf {
			end := l.e.phase + (w.k+1)*l.e.iv
			if end-l.e.iv >= g.t1 {
				break // after the day the corpus covers
			}
			if w.up.pkts > 0 {
				g.record(&record{e: l.e, src: l.src, dst: l.dst, sport: l.sport, dport: l.dport, proto: c.proto,
					pkts: w.up.pkts, bytes: w.up.bytes, start: w.up.first, end: end, reject: l.upReject, flags: w.up.flags,
					pktSrc: l.pktSrc, pktDst: l.pktDst, srcSvc: l.srcSvc, dstSvc: l.dstSvc, egress: l.upEgress, path: l.upPath}, c.tag)
			}
			if w.dn.pkts > 0 && !l.noDown {
				g.record(&record{e: l.e, src: l.dst, dst: l.src, sport: l.dport, dport: l.sport, proto: c.proto,
					pkts: w.dn.pkts, bytes: w.dn.bytes, start: w.dn.first, end: end, flags: w.dn.flags,
					pktSrc: l.pktDst, pktDst: l.pktSrc, srcSvc: l.dstSvc, dstSvc: l.srcSvc, egress: !l.upEgress, path: l.downPath}, c.tag)
			}
		}
	}
}
