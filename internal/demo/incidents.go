package demo

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// iocEntry is one line of the IOC list.
type iocEntry struct {
	text    string // as written in the list
	comment string
	prefix  netip.Prefix
}

// demoIOCs is the IOC list the ioc-contact incident uses. It mixes single
// addresses, a CIDR and an IPv6 address, and it contains one trap:
// 192.0.2.4 never appears, but the brute-force attacker 192.0.2.45 does, so a
// tool that matches addresses as string prefixes reports a false hit.
var demoIOCs = []struct{ ioc, comment string }{
	{"203.0.113.66", "C2 server, reported by partner CERT"},
	{"198.51.100.128/25", "Bulletproof hosting range"},
	{"2001:db8:bad:1::66", "IPv6 C2 node"},
	{"192.0.2.4", "Phishing kit host"},
}

// planIOCs builds the IOC list and marks every registered address with the
// entry containing it. It runs after every address has been registered.
func (w *world) planIOCs() {
	for _, d := range demoIOCs {
		p, err := netip.ParsePrefix(d.ioc)
		if err != nil {
			a := netip.MustParseAddr(d.ioc)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		w.iocs = append(w.iocs, iocEntry{text: d.ioc, comment: d.comment, prefix: p.Masked()})
	}
	w.addrIOC = make([]int16, len(w.addrs))
	for i := range w.addrIOC {
		w.addrIOC[i] = -1
	}
	for a, id := range w.addrIdx {
		for j, e := range w.iocs {
			if e.prefix.Contains(a) {
				w.addrIOC[id] = int16(j)
				break
			}
		}
	}
}

// incident registers an incident's description and returns its tag.
func (w *world) incident(m Incident) int16 {
	w.incidents = append(w.incidents, m)
	return int16(len(w.incidents))
}

// plant adds a session of incident id to v's schedule, unless it starts after
// the span.
func (w *world) plant(v *vpc, id int16, s session) {
	if s.at >= w.end {
		return
	}
	s.inc = id
	v.events = append(v.events, s)
	v.incRecs += s.estimate(w.start, v.interval)
	w.incidents[id-1].Sessions++
}

// planIncidents schedules the planted incidents. Each is placed at a fixed
// fraction of the span in a VPC chosen by position (VPC i modulo the number
// of VPCs), so with the default accounts they spread over all three formats:
//
//	0 ssh-brute-force       v2, 600 s      3 rdp-exposed   custom v5
//	1 port-scan-vertical    v2, 600 s      4 beaconing     v8
//	2 exfiltration (NAT)    custom v5      4,5 ioc-contact v8
//	all port-scan-horizontal
func (w *world) planIncidents(rng *rand.Rand) {
	n := len(w.vpcs)
	vp := func(i int) *vpc { return w.vpcs[i%n] }
	span := w.end - w.start
	at := func(perMille int64) int64 { return w.start + span*perMille/1000 }
	ext := func(s string) int32 { return w.addr(netip.MustParseAddr(s), svcNone) }
	ip := func(id int32) string { return w.addrs[id] }

	// An inbound SSH brute force: 900 short sessions from one address to the
	// bastion in about two hours, then one long session (a likely success).
	{
		v := vp(0)
		b := v.bastion
		actor := ext("192.0.2.45")
		id := w.incident(Incident{ID: "ssh-brute-force", Technique: "T1110.001",
			Summary: fmt.Sprintf("900 short SSH sessions from %s to the bastion %s in about 2 hours, then one 20-minute session (a likely successful login)", ip(actor), ip(b.ip4)),
			Account: v.account.ID, Region: v.region, Actors: []string{ip(actor)}, Targets: []string{ip(b.ip4)}, Protocol: 6, Ports: []int{22}})
		t := at(300)
		for range 900 {
			t += 5 + rng.Int64N(6)
			s := session{at: t, dur: 1 + rng.Int64N(4), kind: pathInbound, cli: actor, srv: b.ip4, srvENI: b, proto: 6, sport: ephemeral(rng), dport: 22}
			s.upP = 12 + rng.Int64N(9)
			s.upB = s.upP*52 + 1800 + rng.Int64N(1400)
			s.downP = 10 + rng.Int64N(9)
			s.downB = s.downP*52 + 2400 + rng.Int64N(1600)
			w.plant(v, id, s)
		}
		t += 20 + rng.Int64N(20)
		s := session{at: t, dur: 1200 + rng.Int64N(300), kind: pathInbound, cli: actor, srv: b.ip4, srvENI: b, proto: 6, sport: ephemeral(rng), dport: 22}
		s.upP, s.upB = tcpSize(150_000+rng.Int64N(50_000), false)
		s.downP, s.downB = tcpSize(2_000_000+rng.Int64N(500_000), false)
		w.plant(v, id, s)
	}

	// A vertical SYN scan of ports 1-1024 of one web server in 4 minutes.
	// Closed ports are rejected by the security group (one SYN, REJECT); the
	// open ones (80, 443) answer SYN-ACK (18) and the scanner resets, so its
	// record shows SYN|RST (6).
	{
		v := vp(1)
		tgt := v.web[0]
		actor := ext("198.51.100.23")
		ports := make([]int, 1024)
		for i := range ports {
			ports[i] = i + 1
		}
		id := w.incident(Incident{ID: "port-scan-vertical", Technique: "T1046",
			Summary: fmt.Sprintf("SYN scan of TCP ports 1-1024 of %s from %s in 4 minutes; 80 and 443 answered", ip(tgt.ip4), ip(actor)),
			Account: v.account.ID, Region: v.region, Actors: []string{ip(actor)}, Targets: []string{ip(tgt.ip4)}, Protocol: 6, Ports: ports})
		t0 := at(450)
		sport := ephemeral(rng)
		for i, p := range rng.Perm(1024) {
			port := int32(p + 1)
			s := session{at: t0 + int64(i)*240/1024, kind: pathInbound, cli: actor, srv: tgt.ip4, srvENI: tgt, proto: 6, sport: sport, dport: port}
			if port == 80 || port == 443 {
				s.custom, s.fwdFlags, s.revFlags = true, 6, 18
				s.upP, s.upB, s.downP, s.downB = 2, 84, 1, 44
			} else {
				s.reject, s.upP, s.upB = true, 1, 44
			}
			w.plant(v, id, s)
		}
	}

	// A horizontal scan: one SYN to port 445 of every public ENI of every
	// VPC in 10 minutes, all rejected.
	{
		actor := ext("198.51.100.77")
		type target struct {
			v *vpc
			e *eni
		}
		var tgts []target
		var names []string
		for _, v := range w.vpcs {
			for _, e := range v.public {
				tgts = append(tgts, target{v, e})
				names = append(names, ip(e.ip4))
			}
		}
		m := Incident{ID: "port-scan-horizontal", Technique: "T1046",
			Summary: fmt.Sprintf("one SYN to TCP 445 of each of the %d public hosts from %s in 10 minutes, all rejected", len(tgts), ip(actor)),
			Actors:  []string{ip(actor)}, Targets: names, Protocol: 6, Ports: []int{445}}
		if n == 1 {
			m.Account, m.Region = w.vpcs[0].account.ID, w.vpcs[0].region
		}
		id := w.incident(m)
		t0 := at(400)
		for i, tg := range tgts {
			s := session{at: t0 + int64(i)*600/int64(len(tgts)), kind: pathInbound, cli: actor, srv: tg.e.ip4, srvENI: tg.e, proto: 6,
				sport: clientPort(rng), dport: 445, reject: true, bpa: tg.e.bpa, upP: 1, upB: 44}
			w.plant(tg.v, id, s)
		}
	}

	// Exfiltration: a private application server uploads about 450 MB to one
	// external address over four parallel HTTPS connections through the NAT
	// gateway, in 13 minutes. Its baseline to the internet is a few KB per
	// call, and the NAT gateway's BytesOutToDestination alarm (5,000,000 in
	// 15 minutes) fires.
	{
		v := vp(2)
		host := v.app[rng.IntN(len(v.app))]
		dst := ext("203.0.113.200")
		w.ratioIP = host.ip4
		total := int64(420_000_000) + rng.Int64N(80_000_000)
		id := w.incident(Incident{ID: "exfiltration", Technique: "T1048",
			Summary: fmt.Sprintf("%s uploads about %d MB to %s:443 through the NAT gateway in 13 minutes", ip(host.ip4), total/1_000_000, ip(dst)),
			Account: v.account.ID, Region: v.region, Actors: []string{ip(host.ip4)}, Targets: []string{ip(dst)}, Protocol: 6, Ports: []int{443}})
		t := at(700) + 17
		weights := []int64{1 + rng.Int64N(4), 1 + rng.Int64N(4), 1 + rng.Int64N(4), 1 + rng.Int64N(4)}
		var sum int64
		for _, x := range weights {
			sum += x
		}
		for _, x := range weights {
			s := session{at: t, dur: 690 + rng.Int64N(60), kind: pathNAT, cliENI: host, cli: host.ip4, srv: dst, proto: 6,
				sport: ephemeral(rng), dport: 443, natPort: clientPort(rng)}
			s.upP, s.upB = tcpSize(total*x/sum, false)
			s.downP = s.upP / 2
			s.downB = s.downP * 52
			w.plant(v, id, s)
			t += 2 + rng.Int64N(6)
		}
	}

	// RDP open to the internet and used: 25 short sessions (password
	// attempts), then a 45-minute interactive session, all accepted.
	{
		v := vp(3)
		win := v.win
		actor := ext("203.0.113.10")
		id := w.incident(Incident{ID: "rdp-exposed", Technique: "T1133",
			Summary: fmt.Sprintf("RDP on %s is open to the internet: 25 short sessions from %s, then a 45-minute session, all accepted", ip(win.ip4), ip(actor)),
			Account: v.account.ID, Region: v.region, Actors: []string{ip(actor)}, Targets: []string{ip(win.ip4)}, Protocol: 6, Ports: []int{3389}})
		t := at(550)
		for range 25 {
			t += 20 + rng.Int64N(40)
			s := session{at: t, dur: 2 + rng.Int64N(4), kind: pathInbound, cli: actor, srv: win.ip4, srvENI: win, proto: 6, sport: clientPort(rng), dport: 3389}
			s.upP = 15 + rng.Int64N(16)
			s.upB = s.upP*52 + 1500 + rng.Int64N(2500)
			s.downP = 12 + rng.Int64N(14)
			s.downB = s.downP*52 + 2500 + rng.Int64N(3500)
			w.plant(v, id, s)
		}
		t += 300
		s := session{at: t, dur: 2700 + rng.Int64N(300), kind: pathInbound, cli: actor, srv: win.ip4, srvENI: win, proto: 6, sport: clientPort(rng), dport: 3389}
		s.upP, s.upB = tcpSize(8_000_000+rng.Int64N(2_000_000), false)
		s.downP, s.downB = tcpSize(60_000_000+rng.Int64N(10_000_000), false)
		w.plant(v, id, s)
	}

	// Beaconing: a web server contacts one external address every 300 s,
	// +-5 s of jitter, from 15% to 85% of the span (about 34 hours by
	// default), with small, similar requests.
	{
		v := vp(4)
		host := v.web[1]
		dst := ext("203.0.113.50")
		id := w.incident(Incident{ID: "beaconing", Technique: "T1071.001",
			Summary: fmt.Sprintf("%s connects to %s:443 every 300 s (+-5 s) for most of the span", ip(host.ip4), ip(dst)),
			Account: v.account.ID, Region: v.region, Actors: []string{ip(host.ip4)}, Targets: []string{ip(dst)}, Protocol: 6, Ports: []int{443}})
		t0, t1 := at(150)+23, at(850) // +23: not on a minute boundary
		for k := int64(0); ; k++ {
			t := t0 + k*300 + rng.Int64N(11) - 5
			if t >= t1 {
				break
			}
			s := session{at: t, dur: rng.Int64N(2), kind: pathOutIGW, cliENI: host, cli: host.ip4, srv: dst, proto: 6, sport: ephemeral(rng), dport: 443}
			s.upP, s.upB = tcpSize(700+rng.Int64N(300), false)
			s.downP, s.downB = tcpSize(400+rng.Int64N(1100), false)
			w.plant(v, id, s)
		}
	}

	// Contact with IOC addresses, both directions: an application server
	// talks to a C2 server through the NAT gateway; an address of the IOC
	// CIDR reaches a web server (HTTPS accepted, SSH rejected); a web server
	// talks to an IPv6 C2 node.
	{
		v4, v5 := vp(4), vp(5)
		app := v4.app[rng.IntN(len(v4.app))]
		web := v4.web[3]
		web6 := v5.web[0]
		c2 := ext("203.0.113.66")
		bh := ext("198.51.100.140")
		c26 := ext("2001:db8:bad:1::66")
		m := Incident{ID: "ioc-contact", Technique: "T1071",
			Summary: fmt.Sprintf("%s talks to the C2 %s:8443 through the NAT gateway; %s (in the IOC range 198.51.100.128/25) reaches %s on 443 (accepted) and 22 (rejected); %s talks to the IPv6 C2 %s", ip(app.ip4), ip(c2), ip(bh), ip(web.ip4), ip(web6.ip6), ip(c26)),
			Actors:  []string{ip(c2), ip(bh), ip(c26)}, Targets: []string{ip(app.ip4), ip(web.ip4), ip(web6.ip6)}, Protocol: 6, Ports: []int{22, 443, 8443}}
		if v4.account == v5.account {
			m.Account = v4.account.ID
			if v4 == v5 {
				m.Region = v4.region
			}
		}
		id := w.incident(m)
		t := at(600)
		for range 10 {
			t += 1800 + rng.Int64N(600)
			s := session{at: t, dur: 5 + rng.Int64N(35), kind: pathNAT, cliENI: app, cli: app.ip4, srv: c2, proto: 6,
				sport: ephemeral(rng), dport: 8443, natPort: clientPort(rng)}
			s.upP, s.upB = tcpSize(2_000+rng.Int64N(18_000), false)
			s.downP, s.downB = tcpSize(5_000+rng.Int64N(195_000), false)
			w.plant(v4, id, s)
		}
		t = at(620)
		for range 6 {
			t += 300 + rng.Int64N(300)
			s := session{at: t, dur: rng.Int64N(5), kind: pathInbound, cli: bh, srv: web.ip4, srvENI: web, proto: 6, sport: clientPort(rng), dport: 443}
			s.upP, s.upB = tcpSize(400+rng.Int64N(2000), false)
			s.downP, s.downB = tcpSize(respSize(rng), false)
			w.plant(v4, id, s)
		}
		for range 4 {
			t += 10 + rng.Int64N(20)
			w.plant(v4, id, session{at: t, kind: pathInbound, cli: bh, srv: web.ip4, srvENI: web, proto: 6, sport: clientPort(rng), dport: 22,
				reject: true, upP: 1, upB: 60})
		}
		t = at(650)
		for range 3 {
			t += 3600 + rng.Int64N(600)
			s := session{at: t, dur: 1 + rng.Int64N(20), kind: pathOutIGW, cliENI: web6, cli: web6.ip6, srv: c26, proto: 6, v6: true, sport: ephemeral(rng), dport: 443}
			s.upP, s.upB = tcpSize(1_000+rng.Int64N(10_000), true)
			s.downP, s.downB = tcpSize(2_000+rng.Int64N(50_000), true)
			w.plant(v5, id, s)
		}
	}

	for _, v := range w.vpcs {
		slices.SortStableFunc(v.events, func(a, b session) int { return cmp.Compare(a.at, b.at) })
	}
}
