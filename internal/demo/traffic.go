package demo

import "math/rand/v2"

// pathKind is the route a session takes, which decides on which ENIs it is
// logged and with which addresses.
type pathKind uint8

const (
	// pathInbound: an internet client to a public ENI (through the internet
	// gateway, which translates the public address, so dstaddr is the ENI's
	// private address). Logged on the server ENI.
	pathInbound pathKind = iota
	// pathOutIGW: an ENI to an internet address through the internet gateway
	// (traffic-path 8). Logged on the client ENI.
	pathOutIGW
	// pathOutGWE: an ENI to an AWS service through a gateway VPC endpoint
	// (traffic-path 7); the destination is the service's public address.
	pathOutGWE
	// pathInternal: between two ENIs of the VPC (traffic-path 1). Logged on
	// both, so it yields four records per aggregation interval.
	pathInternal
	// pathNAT: a private ENI to an internet address through the NAT gateway.
	// Logged on the client ENI (two records) and on the NAT gateway's ENI (four
	// records, where srcaddr/dstaddr show the NAT's private address and
	// pkt-srcaddr/pkt-dstaddr the real endpoints, as in AWS's NAT example).
	pathNAT
)

// session is one connection (or one exchange for UDP/ICMP) from an initiator
// (cli) to a responder (srv). play expands it into flow records: one per
// observing ENI, per direction, per aggregation interval it spans.
type session struct {
	at, dur      int64 // start (unix seconds) and duration in seconds (end = at+dur)
	kind         pathKind
	cli, srv     int32 // address ids
	cliENI       *eni
	srvENI       *eni
	sport        int32
	dport        int32
	natPort      int32 // source port the NAT gateway uses towards srv
	proto        uint8
	v6           bool
	upP, upB     int64 // packets and bytes cli -> srv over the whole session
	downP, downB int64 // packets and bytes srv -> cli
	// reject: srv's security group drops the traffic; only the inbound
	// record exists, action REJECT. rejectOut: the initiator's egress is
	// blocked (BPA); only the outbound record exists.
	reject, rejectOut bool
	bpa               bool // the reject is due to Block Public Access
	mid               bool // a slice of a long-lived connection: tcp-flags 0
	custom            bool // use fwdFlags/revFlags instead of deriving them
	fwdFlags          int8
	revFlags          int8
	inc               int16 // 1 + index into world.incidents, 0 for background
}

// Record status and action codes (indexes into the Truth counters).
const (
	statusOK uint8 = iota
	statusNoData
	statusSkipData
)

const (
	actAccept uint8 = iota
	actReject
	actNone // NODATA / SKIPDATA: action `-`
)

// rec is one flow record before formatting.
type rec struct {
	eni            *eni
	src, dst       int32 // srcaddr, dstaddr (address ids)
	psrc, pdst     int32 // pkt-srcaddr, pkt-dstaddr
	sport, dport   int32
	packets, bytes int64
	start, end     int64
	proto          uint8
	flags          int8
	status         uint8
	action         uint8
	egress         bool
	path           uint8 // traffic-path for egress records, 0 for `-`
	bpa            bool
	v6             bool
	inc            int16
}

// recordsPerSlice is how many records a session yields per aggregation
// interval, used to estimate the planted incidents' size for the budget.
func (s *session) recordsPerSlice() int64 {
	switch {
	case s.reject && s.kind == pathInternal:
		return 2
	case s.reject || s.rejectOut:
		return 1
	case s.kind == pathInternal:
		return 4
	case s.kind == pathNAT:
		return 6
	}
	return 2
}

// estimate is the number of records play will produce for s (before records
// past the end of the span are dropped).
func (s *session) estimate(base, iv int64) int64 {
	if s.reject || s.rejectOut {
		return s.recordsPerSlice()
	}
	k0 := (s.at - base) / iv
	k1 := (s.at + s.dur - base) / iv
	return (k1 - k0 + 1) * s.recordsPerSlice()
}

// play expands s into records and emits them. It returns how many records it
// built (including any dropped because they end after the span), which the
// background budget counts.
func (r *runner) play(s *session) int64 {
	iv := r.v.interval
	base := r.w.start
	end := s.at + s.dur
	k0 := (s.at - base) / iv
	k1 := (end - base) / iv
	if s.reject || s.rejectOut {
		k1 = k0 // a dropped SYN has no later packets
		end = min(end, base+(k0+1)*iv-1)
	}
	span := end - s.at + 1
	var n, pUpP, pUpB, pDnP, pDnB int64
	for k := k0; k <= k1; k++ {
		i0 := base + k*iv
		a, b := max(s.at, i0), min(end, i0+iv-1)
		cum := b - s.at + 1
		// Split the totals in proportion to time, so that a long transfer
		// shows a steady rate across intervals.
		upP, upB := s.upP*cum/span-pUpP, s.upB*cum/span-pUpB
		dnP, dnB := s.downP*cum/span-pDnP, s.downB*cum/span-pDnB
		pUpP, pUpB, pDnP, pDnB = pUpP+upP, pUpB+upB, pDnP+dnP, pDnB+dnB
		upP, dnP = max(upP, 1), max(dnP, 1)
		upB, dnB = max(upB, upP*40), max(dnB, dnP*40)

		var ff, rf int8
		if s.proto == 6 {
			switch {
			case s.custom:
				ff, rf = s.fwdFlags, s.revFlags
			case s.mid:
			case s.reject || s.rejectOut:
				ff = 2 // SYN
			default:
				// AWS OR-s the flags seen in the interval, per direction:
				// SYN (2) from the client and SYN-ACK (18) from the server
				// in the first interval, FIN (1) in the last: 3 and 19 for
				// a connection within one interval.
				if k == k0 {
					ff, rf = 2, 18
				}
				if k == k1 {
					ff, rf = ff|1, rf|1
				}
			}
		}
		n += r.legs(s, a, b, upP, upB, dnP, dnB, ff, rf)
	}
	return n
}

// legs emits the records of one aggregation interval of s.
func (r *runner) legs(s *session, a, b, upP, upB, dnP, dnB int64, ff, rf int8) int64 {
	fwd := rec{src: s.cli, dst: s.srv, psrc: s.cli, pdst: s.srv, sport: s.sport, dport: s.dport,
		packets: upP, bytes: upB, start: a, end: b, proto: s.proto, flags: ff, v6: s.v6, inc: s.inc}
	rev := rec{src: s.srv, dst: s.cli, psrc: s.srv, pdst: s.cli, sport: s.dport, dport: s.sport,
		packets: dnP, bytes: dnB, start: a, end: b, proto: s.proto, flags: rf, v6: s.v6, inc: s.inc}
	switch s.kind {
	case pathInbound:
		fwd.eni = s.srvENI
		if s.reject {
			fwd.action, fwd.bpa = actReject, s.bpa
			r.emit(&fwd)
			return 1
		}
		rev.eni, rev.egress, rev.path = s.srvENI, true, 8
		r.emit(&fwd)
		r.emit(&rev)
		return 2
	case pathOutIGW, pathOutGWE:
		fwd.eni, fwd.egress, fwd.path = s.cliENI, true, 8
		if s.kind == pathOutGWE {
			fwd.path = 7
		}
		if s.rejectOut {
			fwd.action, fwd.bpa = actReject, s.bpa
			r.emit(&fwd)
			return 1
		}
		rev.eni = s.cliENI
		r.emit(&fwd)
		r.emit(&rev)
		return 2
	case pathInternal:
		out := fwd
		out.eni, out.egress, out.path = s.cliENI, true, 1
		in := fwd
		in.eni = s.srvENI
		r.emit(&out)
		if s.reject {
			in.action = actReject
			r.emit(&in)
			return 2
		}
		r.emit(&in)
		back := rev
		back.eni, back.egress, back.path = s.srvENI, true, 1
		r.emit(&back)
		rev.eni = s.cliENI
		r.emit(&rev)
		return 4
	case pathNAT:
		nat := r.v.nat
		natIP := nat.ip4
		// On the instance's own ENI the addresses are the real ones.
		out := fwd
		out.eni, out.egress, out.path = s.cliENI, true, 1
		r.emit(&out)
		in := rev
		in.eni = s.cliENI
		r.emit(&in)
		// On the NAT gateway's ENI (requester-managed, instance-id `-`).
		x := fwd // instance -> NAT: dstaddr is the NAT, pkt-dstaddr the server
		x.eni, x.dst = nat, natIP
		r.emit(&x)
		x = fwd // NAT -> server, from the NAT's own address and port
		x.eni, x.egress, x.path = nat, true, 8
		x.src, x.psrc, x.sport = natIP, natIP, s.natPort
		r.emit(&x)
		x = rev // server -> NAT
		x.eni, x.dst, x.pdst, x.dport = nat, natIP, natIP, s.natPort
		r.emit(&x)
		x = rev // NAT -> instance: srcaddr is the NAT, pkt-srcaddr the server
		x.eni, x.egress, x.path, x.src = nat, true, 1, natIP
		r.emit(&x)
		return 6
	}
	return 0
}

// Background traffic kinds and their relative weights per session.
const (
	bgHTTPS      = iota // internet clients -> web servers, 443/80, IPv4 and IPv6
	bgWebApp            // web -> app, 8080
	bgAppDB             // app -> database, pooled connections (tcp-flags 0)
	bgDNS               // instances -> the VPC's DNS resolver, UDP 53
	bgAppS3             // app -> S3 through the gateway endpoint
	bgAppDDB            // app -> DynamoDB through the gateway endpoint
	bgWebS3             // web -> S3 through the internet gateway
	bgNATSaaS           // app -> external APIs through the NAT gateway
	bgNATAWS            // app -> other AWS services through the NAT gateway
	bgScan              // internet scanners -> public ENIs, single-packet REJECTs
	bgPing              // ICMP / ICMPv6 echo from internet clients to web servers
	bgAdminSSH          // the office -> bastion, port 22
	bgBastionApp        // bastion -> app servers, port 22
	bgIsolated          // the BPA-isolated host trying to reach the internet
	nBG
)

var bgWeights = [nBG]int{
	bgHTTPS: 30, bgWebApp: 12, bgAppDB: 10, bgDNS: 14, bgAppS3: 6, bgAppDDB: 3, bgWebS3: 2,
	bgNATSaaS: 4, bgNATAWS: 3, bgScan: 10, bgPing: 2, bgAdminSSH: 1, bgBastionApp: 1, bgIsolated: 1,
}

// Ports background scanners probe; none is open on their targets (22, 80,
// 443 and 3389 are left out), so every probe is a REJECT.
var noisePorts = []int32{21, 23, 25, 53, 110, 135, 139, 445, 1433, 1521, 2375, 3306, 5432, 5900, 6379, 7547, 8000, 8080, 8081, 8443, 8888, 9200, 27017}

var udpProbePorts = []int32{53, 123, 137, 161, 1900, 5060, 11211}

func pick(rng *rand.Rand, ids []int32) int32 { return ids[rng.IntN(len(ids))] }

func pickENI(rng *rand.Rand, es []*eni) *eni { return es[rng.IntN(len(es))] }

// ephemeral returns a Linux ephemeral port; clientPort any unprivileged port.
func ephemeral(rng *rand.Rand) int32  { return 32768 + int32(rng.IntN(28232)) }
func clientPort(rng *rand.Rand) int32 { return 1024 + int32(rng.IntN(64512)) }

// tcpSize turns an application payload into (packets, bytes) with handshake,
// FIN and per-packet headers (52 bytes for IPv4 with TCP timestamps, 72 for
// IPv6).
func tcpSize(payload int64, v6 bool) (int64, int64) {
	p := 2 + payload/1400
	hdr := int64(52)
	if v6 {
		hdr = 72
	}
	return p, payload + p*hdr
}

// respSize is a heavy-tailed HTTP response size.
func respSize(rng *rand.Rand) int64 {
	switch x := rng.IntN(100); {
	case x < 50:
		return 500 + rng.Int64N(9500)
	case x < 85:
		return 10_000 + rng.Int64N(90_000)
	case x < 97:
		return 100_000 + rng.Int64N(900_000)
	default:
		return 1_000_000 + rng.Int64N(9_000_000)
	}
}

// shortDur is the length of a typical request: mostly a second or two, some
// longer, a few spanning several minutes (and so several intervals).
func shortDur(rng *rand.Rand) int64 {
	switch x := rng.IntN(100); {
	case x < 75:
		return rng.Int64N(3)
	case x < 95:
		return 3 + rng.Int64N(57)
	default:
		return 60 + rng.Int64N(540)
	}
}

// background generates one background session starting in the current
// chunk and returns the number of records it produced.
func (r *runner) background() int64 {
	v, rng := r.v, r.rng
	at := r.c0 + rng.Int64N(r.chunk)
	x := rng.IntN(r.bgCum[nBG-1])
	k := 0
	for r.bgCum[k] <= x {
		k++
	}
	s := session{at: at, proto: 6}
	switch k {
	case bgHTTPS:
		web := pickENI(rng, v.web)
		s.kind, s.srvENI, s.sport, s.dport = pathInbound, web, clientPort(rng), 443
		if rng.IntN(10) == 0 {
			s.dport = 80
		}
		if web.ip6 >= 0 && rng.IntN(8) == 0 {
			s.v6, s.cli, s.srv = true, pick(rng, r.w.clients6), web.ip6
		} else {
			s.cli, s.srv = pick(rng, r.w.clients4), web.ip4
		}
		s.dur = shortDur(rng)
		s.upP, s.upB = tcpSize(300+rng.Int64N(3000), s.v6)
		s.downP, s.downB = tcpSize(respSize(rng), s.v6)
	case bgWebApp:
		web, app := pickENI(rng, v.web), pickENI(rng, v.app)
		s.kind, s.cliENI, s.srvENI, s.cli, s.srv = pathInternal, web, app, web.ip4, app.ip4
		s.sport, s.dport, s.dur = ephemeral(rng), 8080, shortDur(rng)
		s.upP, s.upB = tcpSize(200+rng.Int64N(4000), false)
		s.downP, s.downB = tcpSize(respSize(rng)/2, false)
	case bgAppDB:
		// One interval of a long-lived pooled connection: no SYN or FIN in
		// it, so tcp-flags is 0, as AWS writes for ACK-only traffic. (Each
		// slice gets its own source port; repeating a port could put two
		// records with one 5-tuple in an interval, which AWS never writes.)
		app, db := pickENI(rng, v.app), pickENI(rng, v.db)
		i0 := r.w.start + (at-r.w.start)/v.interval*v.interval
		s.at = i0 + rng.Int64N(3)
		s.dur = i0 + v.interval - 1 - rng.Int64N(3) - s.at
		s.kind, s.cliENI, s.srvENI, s.cli, s.srv = pathInternal, app, db, app.ip4, db.ip4
		s.sport, s.dport, s.mid = ephemeral(rng), 5432, true
		s.upP, s.upB = tcpSize(2_000+rng.Int64N(200_000), false)
		s.downP, s.downB = tcpSize(5_000+rng.Int64N(2_000_000), false)
	case bgDNS:
		c := pickENI(rng, v.dnsCli)
		s.kind, s.cliENI, s.srvENI, s.cli, s.srv = pathInternal, c, v.resolver, c.ip4, v.resolver.ip4
		s.proto, s.sport, s.dport, s.dur = 17, ephemeral(rng), 53, rng.Int64N(2)
		q := 1 + rng.Int64N(3)
		s.upP, s.upB = q, q*(60+rng.Int64N(30))
		s.downP, s.downB = q, q*(90+rng.Int64N(210))
	case bgAppS3, bgAppDDB:
		app := pickENI(rng, v.app)
		s.kind, s.cliENI, s.cli, s.sport, s.dport = pathOutGWE, app, app.ip4, ephemeral(rng), 443
		s.dur = shortDur(rng)
		if k == bgAppS3 {
			s.srv = pick(rng, v.s3)
			if rng.IntN(3) == 0 { // an upload
				s.upP, s.upB = tcpSize(respSize(rng), false)
				s.downP, s.downB = tcpSize(400+rng.Int64N(600), false)
			} else {
				s.upP, s.upB = tcpSize(400+rng.Int64N(1200), false)
				s.downP, s.downB = tcpSize(respSize(rng), false)
			}
		} else {
			s.srv = pick(rng, v.ddb)
			s.upP, s.upB = tcpSize(300+rng.Int64N(3000), false)
			s.downP, s.downB = tcpSize(300+rng.Int64N(20_000), false)
		}
	case bgWebS3:
		web := pickENI(rng, v.web)
		s.kind, s.cliENI, s.cli, s.srv = pathOutIGW, web, web.ip4, pick(rng, v.s3)
		s.sport, s.dport, s.dur = ephemeral(rng), 443, shortDur(rng)
		s.upP, s.upB = tcpSize(400+rng.Int64N(1200), false)
		s.downP, s.downB = tcpSize(respSize(rng), false)
	case bgNATSaaS, bgNATAWS:
		app := pickENI(rng, v.app)
		s.kind, s.cliENI, s.cli = pathNAT, app, app.ip4
		s.sport, s.dport, s.natPort = ephemeral(rng), 443, clientPort(rng)
		if k == bgNATSaaS {
			s.srv = pick(rng, r.w.saas)
		} else {
			s.srv = pick(rng, v.amazon)
		}
		s.dur = rng.Int64N(30)
		s.upP, s.upB = tcpSize(500+rng.Int64N(5000), false)
		s.downP, s.downB = tcpSize(1000+rng.Int64N(60_000), false)
	case bgScan:
		t := pickENI(rng, v.noise)
		s.kind, s.srvENI, s.cli, s.srv = pathInbound, t, pick(rng, r.w.scanners), t.ip4
		s.reject, s.bpa, s.sport = true, t.bpa, clientPort(rng)
		switch y := rng.IntN(100); {
		case y < 60:
			s.dport = noisePorts[rng.IntN(len(noisePorts))]
		case y < 80:
			s.dport = 1024 + int32(rng.IntN(64512))
		default:
			s.proto, s.dport = 17, udpProbePorts[rng.IntN(len(udpProbePorts))]
		}
		s.upP = 1 + rng.Int64N(2) // a retransmitted SYN shows as 2 packets
		s.upB = s.upP * []int64{40, 44, 60}[rng.IntN(3)]
		s.dur = rng.Int64N(2)
	case bgPing:
		web := pickENI(rng, v.web)
		s.kind, s.srvENI, s.cli, s.srv, s.proto = pathInbound, web, pick(rng, r.w.clients4), web.ip4, 1
		if web.ip6 >= 0 && rng.IntN(4) == 0 {
			s.v6, s.cli, s.srv, s.proto = true, pick(rng, r.w.clients6), web.ip6, 58
		}
		s.upP = 1 + rng.Int64N(4)
		s.upB, s.downP, s.dur = s.upP*84, s.upP, s.upP-1
		s.downB = s.upB
	case bgAdminSSH:
		s.kind, s.srvENI, s.cli, s.srv = pathInbound, v.bastion, r.w.office, v.bastion.ip4
		s.sport, s.dport, s.dur = clientPort(rng), 22, 60+rng.Int64N(3540)
		s.upP, s.upB = tcpSize(20_000+rng.Int64N(1_000_000), false)
		s.downP, s.downB = tcpSize(50_000+rng.Int64N(4_000_000), false)
	case bgBastionApp:
		app := pickENI(rng, v.app)
		s.kind, s.cliENI, s.srvENI, s.cli, s.srv = pathInternal, v.bastion, app, v.bastion.ip4, app.ip4
		s.sport, s.dport, s.dur = ephemeral(rng), 22, 30+rng.Int64N(1770)
		s.upP, s.upB = tcpSize(10_000+rng.Int64N(500_000), false)
		s.downP, s.downB = tcpSize(20_000+rng.Int64N(2_000_000), false)
	case bgIsolated:
		iso := v.isolated
		s.kind, s.cliENI, s.cli, s.srv = pathOutIGW, iso, iso.ip4, pick(rng, r.w.saas)
		s.rejectOut, s.bpa, s.sport, s.dport = true, true, ephemeral(rng), 443
		s.upP, s.upB = 1, 60
	}
	return r.play(&s)
}
