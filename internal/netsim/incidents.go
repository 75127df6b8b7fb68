package netsim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/analysis"
)

// The rules the incidents are expected under are flowir detect's
// (analysis.Rule...); a long session right after many failed attempts is
// expected as a finding of its own.
const (
	RuleVerticalScan         = analysis.RulePortScanVertical
	RuleHorizontalScan       = analysis.RulePortScanHorizontal
	RuleBruteForce           = analysis.RuleBruteForce
	RuleLoginAfterBruteForce = "login-after-brute-force"
	RuleExfiltration         = analysis.RuleExfiltration
	RuleNATEgress            = analysis.RuleNATEgress
	RuleBeaconing            = analysis.RuleBeaconing
	RuleIOCContact           = analysis.RuleIOCContact
	RuleExposedPort          = analysis.RuleExposedPort
)

// Addresses of the planted incidents' outside actors.
var (
	sshBruteAddrs = []string{"179.43.187.10", "179.43.187.22", "179.43.187.63"}
	rdpBruteAddrs = []string{"2a0e:8f02:f017:1::a1", "2a0e:8f02:f017:1::b7", "2a0e:8f02:f017:1::3c"}
	vscanAddr     = "5.188.206.14"
	hscanAddr     = "80.94.95.116"
	slowExfilAddr = "91.215.85.142"
	natExfilAddr  = "193.42.33.14"
	c2Addr        = "3.91.171.208" // an EC2 address: attackers rent servers too
	miningAddr    = "94.131.107.53"
	pgAttacker    = "185.156.73.91"
)

// incidentAddrs lists every outside address the incidents use, to check
// that the background never draws one by chance.
func incidentAddrs() []string {
	out := slices.Concat(sshBruteAddrs, rdpBruteAddrs)
	return append(out, vscanAddr, hscanAddr, slowExfilAddr, natExfilAddr, c2Addr, miningAddr, pgAttacker)
}

// iocEntry is one line of the IOC list.
type iocEntry struct{ ip, comment string }

// incident adds m to the truth and returns its tag for its connections.
func (g *gen) incident(m Incident) int16 {
	g.truth.Incidents = append(g.truth.Incidents, m)
	return int16(len(g.truth.Incidents))
}

func (g *gen) at(h, m int) int64 { return g.t0 + int64(h)*3600 + int64(m)*60 }

func (g *gen) tm(t int64) time.Time { return time.Unix(t, 0).UTC() }

// once registers a behaviour that runs fn in the slice holding t.
func (g *gen) once(name string, t int64, fn func(rng *rand.Rand)) {
	g.behave(name, func(rng *rand.Rand) func(s0, s1 int64) {
		return func(s0, s1 int64) {
			if t >= s0 && t < s1 {
				fn(rng)
			}
		}
	})
}

// during registers a behaviour that calls fn at a period (with a relative
// jitter) from t0 until t1.
func (g *gen) during(name string, t0, t1 int64, period, jitter float64, fn func(rng *rand.Rand, t int64)) {
	g.behave(name, func(rng *rand.Rand) func(s0, s1 int64) {
		k := newTicker(rng, t0, period, jitter)
		return func(s0, s1 int64) {
			if s1 <= t0 || s0 >= t1 {
				return
			}
			k.each(rng, s0, min(s1, t1), func(t int64) { fn(rng, t) })
		}
	})
}

// verticalScan probes ports 1 to 1024 of target in random order over dur
// seconds from one client port (0: a new one each time), with tries SYNs
// per port; only SSH answers, the security group drops the rest.
func (g *gen) verticalScan(name string, actor, target *node, cport uint16, t0, dur, tries int64, tag int16) {
	g.once(name, t0, func(rng *rand.Rand) {
		for i, p := range rng.Perm(1024) {
			c := g.tcp(actor, target, uint16(p+1))
			c.cport, c.tag = cport, tag
			t := t0 + int64(i)*dur/1024
			if p+1 == portSSH {
				c.synScan(t)
			} else {
				c.probe(t, tries)
				c.rej = rejServer
			}
			g.emit(c)
		}
	})
}

// plant adds the incidents.
func (g *gen) plant() {
	n := g.net
	addrOf := func(xs ...*node) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x.addr.String())
		}
		return out
	}

	// 1. SSH brute force against the bastion from three addresses of one
	// /24, about 400 attempts in 40 minutes (a new connection each), then
	// a 50-minute session from one of them: the password was found.
	{
		t0, t1 := g.at(9, 20), g.at(10, 0)
		tag := g.incident(Incident{ID: "ssh-brute-force", Title: "SSH brute force from three addresses of one /24 against the bastion",
			Rules: []string{RuleBruteForce}, Related: []string{RuleExposedPort, RuleLoginAfterBruteForce},
			Actors: sshBruteAddrs, Targets: addrOf(n.bastion), Port: 22, Proto: 6, Account: AccountProd, Start: g.tm(t0), End: g.tm(t1)})
		login := g.at(10, 7)
		tagLogin := g.incident(Incident{ID: "ssh-login-after-brute-force", Title: "a 50-minute SSH session from one of the brute-forcing addresses",
			Rules: []string{RuleLoginAfterBruteForce}, Related: []string{RuleBruteForce, RuleExposedPort},
			Actors: []string{sshBruteAddrs[1]}, Targets: addrOf(n.bastion), Port: 22, Proto: 6, Account: AccountProd,
			Start: g.tm(login), End: g.tm(login + 3000)})
		for i, a := range sshBruteAddrs {
			src := ext(netip.MustParseAddr(a), "")
			g.during("incident ssh brute "+a, t0+int64(i)*40, t1, 18, 0.5, func(rng *rand.Rand, t int64) {
				c := g.session(src, n.bastion, portSSH, t, between(rng, 2, 6), between(rng, 1800, 2600), between(rng, 2400, 3300))
				c.tag = tag
				g.emit(c)
			})
		}
		g.once("incident ssh login", login, func(rng *rand.Rand) {
			c := g.session(ext(netip.MustParseAddr(sshBruteAddrs[1]), ""), n.bastion, portSSH, login, 3000, 420_000, 6_500_000)
			c.tag = tagLogin
			g.emit(c)
		})
	}

	// 2. RDP brute force against the RDP gateway's IPv6 address from three
	// addresses of one /64, about 300 attempts in 50 minutes, none
	// successful. Default format, 600-second windows.
	{
		t0, t1 := g.at(14, 5), g.at(14, 55)
		tag := g.incident(Incident{ID: "rdp-brute-force", Title: "RDP brute force from three addresses of one IPv6 /64",
			Rules: []string{RuleBruteForce}, Related: []string{RuleExposedPort},
			Actors: rdpBruteAddrs, Targets: addrOf(n.rdp6), Port: 3389, Proto: 6, Account: AccountCorp, Start: g.tm(t0), End: g.tm(t1)})
		for i, a := range rdpBruteAddrs {
			src := ext(netip.MustParseAddr(a), "")
			g.during("incident rdp brute "+a, t0+int64(i)*20, t1, 30, 0.6, func(rng *rand.Rand, t int64) {
				c := g.session(src, n.rdp6, portRDP, t, between(rng, 1, 4), between(rng, 1500, 3200), between(rng, 2500, 5200))
				c.tag = tag
				g.emit(c)
			})
		}
	}

	// 3. A vertical scan from the internet: the top 1,000 ports of one
	// development instance in four minutes; only SSH answers.
	{
		target := n.devboxes[7]
		t0 := g.at(5, 40)
		tag := g.incident(Incident{ID: "vertical-scan-inbound", Title: "vertical port scan of a development instance from the internet",
			Rules: []string{RuleVerticalScan}, Related: []string{RuleExposedPort},
			Actors: []string{vscanAddr}, Targets: addrOf(target), Proto: 6, Account: AccountDev, Start: g.tm(t0), End: g.tm(t0 + 240)})
		g.verticalScan("incident vertical scan inbound", ext(netip.MustParseAddr(vscanAddr), ""), target, 41234, t0, 240, 1, tag)
	}

	// 4. A lateral vertical scan: a compromised data worker scans ports 1
	// to 1024 of the ETL server; its security group answers on 22 and
	// drops the rest.
	{
		actor, target := n.dworkers[0], n.etl
		t0 := g.at(16, 30)
		tag := g.incident(Incident{ID: "vertical-scan-internal", Title: "lateral vertical port scan of the ETL server by a data worker",
			Rules: []string{RuleVerticalScan}, Actors: addrOf(actor), Targets: addrOf(target), Proto: 6, Account: AccountData,
			Start: g.tm(t0), End: g.tm(t0 + 360)})
		g.verticalScan("incident vertical scan internal", actor, target, 0, t0, 360, 2, tag)
	}

	// 5. A horizontal scan from the internet: the Docker API port of every
	// development instance in three minutes, all dropped.
	{
		t0 := g.at(7, 15)
		tag := g.incident(Incident{ID: "horizontal-scan-inbound", Title: "sweep of the Docker API port (2375) across the development VPC",
			Rules: []string{RuleHorizontalScan}, Actors: []string{hscanAddr}, Targets: addrOf(n.devboxes...), Port: 2375, Proto: 6,
			Account: AccountDev, Start: g.tm(t0), End: g.tm(t0 + 180)})
		g.once("incident horizontal scan inbound", t0, func(rng *rand.Rand) {
			src := ext(netip.MustParseAddr(hscanAddr), "")
			for i, p := range rng.Perm(len(n.devboxes)) {
				c := g.tcp(src, n.devboxes[p], 2375)
				c.cport, c.tag, c.rej = 54321, tag, rejServer
				g.emit(c.probe(t0+int64(i)*180/int64(len(n.devboxes)), 1))
			}
		})
	}

	// 6. A lateral sweep of SMB: a desktop tries 445 on every address of
	// the two server subnets; the servers answer, the empty addresses do not.
	{
		actor := n.desktops[3]
		t0 := g.at(19, 40)
		var targets []*node
		for _, cidr := range []string{"10.60.10.0/24", "10.60.11.0/24"} {
			p := netip.MustParsePrefix(cidr)
			for i := 1; i < 255; i++ {
				a := nthAddr(p, i)
				var h *node
				for _, s := range n.corpServers() {
					if s.addr == a {
						h = s
					}
				}
				if h == nil {
					h = &node{addr: a, vpc: n.corp} // no interface there
				}
				targets = append(targets, h)
			}
		}
		tag := g.incident(Incident{ID: "horizontal-scan-internal", Title: "lateral SMB sweep of the server subnets by a desktop",
			Rules: []string{RuleHorizontalScan}, Actors: addrOf(actor), Targets: addrOf(targets...), Port: 445, Proto: 6,
			Account: AccountCorp, Start: g.tm(t0), End: g.tm(t0 + 300)})
		g.once("incident horizontal scan internal", t0, func(rng *rand.Rand) {
			for i, h := range targets {
				c := g.tcp(actor, h, portSMB)
				c.tag = tag
				t := t0 + int64(i)*300/int64(len(targets))
				if h.eni != nil {
					c.synScan(t)
				} else {
					c.probe(t, 2)
					c.rej = rejNowhere
				}
				g.emit(c)
			}
		})
	}

	// 7. Slow exfiltration: the reporting server, which also backs up 22 GB
	// to S3 every night, uploads 2 GB to one unknown address over 12 hours,
	// a few megabytes every few minutes over HTTPS.
	{
		t0, t1 := g.at(8, 0), g.at(20, 0)
		tag := g.incident(Incident{ID: "slow-exfiltration", Title: "2 GB to an unknown address over 12 hours by a host that also backs up to S3",
			Rules: []string{RuleExfiltration}, Related: []string{RuleBeaconing},
			Actors: addrOf(n.reporting), Targets: []string{slowExfilAddr}, Port: 443, Proto: 6, Account: AccountProd,
			Start: g.tm(t0), End: g.tm(t1)})
		dst := ext(netip.MustParseAddr(slowExfilAddr), "")
		per := int64(2_000_000_000 / (12 * 3600 / 240))
		g.during("incident slow exfiltration", t0, t1, 240, 0.5, func(rng *rand.Rand, t int64) {
			c := g.session(n.reporting, dst, portHTTPS, t, between(rng, 20, 90), per*between(rng, 80, 120)/100, between(rng, 3000, 6000))
			c.tag = tag
			g.emit(c)
		})
	}

	// 8. Beaconing: a queue worker calls a server on EC2 every 5 minutes
	// with +-20% jitter for 16 hours, through the NAT gateway.
	{
		t0, t1 := g.at(2, 0), g.at(18, 0)
		actor := n.workers[0]
		tag := g.incident(Incident{ID: "beaconing", Title: "beacon every 5 minutes (+-20%) to a server on EC2",
			Rules: []string{RuleBeaconing}, Actors: addrOf(actor), Targets: []string{c2Addr}, Port: 443, Proto: 6, Account: AccountProd,
			Start: g.tm(t0), End: g.tm(t1)})
		dst := ext(netip.MustParseAddr(c2Addr), "EC2")
		g.during("incident beacon", t0, t1, 300, 0.2, func(rng *rand.Rand, t int64) {
			c := g.session(actor, dst, portHTTPS, t, between(rng, 1, 2), between(rng, 900, 1400), between(rng, 300, 2000))
			c.tag = tag
			g.emit(c)
		})
	}

	// 9. IOC contact: a data worker mines for a pool on the IOC list, one
	// long connection with a share submitted every half minute.
	{
		t0, t1 := g.at(11, 20), g.at(17, 20)
		actor := n.dworkers[1]
		tag := g.incident(Incident{ID: "ioc-contact", Title: "a data worker connects to a mining pool on the IOC list",
			Rules: []string{RuleIOCContact}, Related: []string{RuleBeaconing}, Actors: addrOf(actor), Targets: []string{miningAddr},
			Port: 3333, Proto: 6, Account: AccountData, Start: g.tm(t0), End: g.tm(t1)})
		g.iocs = append(g.iocs, iocEntry{miningAddr, "cryptocurrency mining pool"})
		g.once("incident ioc contact", t0, func(rng *rand.Rand) {
			c := g.keepalive(g.tcp(actor, ext(netip.MustParseAddr(miningAddr), ""), 3333), rng, t0, t1, 30, true, ranged(rng, 200, 400), ranged(rng, 100, 300))
			c.tag = tag
			g.emit(c)
		})
	}

	// 10. A database exposed to the internet: the legacy PostgreSQL has
	// 5432 open to 0.0.0.0/0; scanners find it, and one actor logs in and
	// pulls 300 MB.
	{
		t0 := g.at(12, 30)
		tag := g.incident(Incident{ID: "database-exposed", Title: "PostgreSQL reachable from the internet and used by an outside actor",
			Rules: []string{RuleExposedPort}, Related: []string{RuleBruteForce, RuleExfiltration}, Targets: addrOf(n.pg),
			Port: 5432, Proto: 6, Account: AccountData, Start: g.tm(g.t0), End: g.tm(g.t1)})
		g.once("incident database exposed", t0, func(rng *rand.Rand) {
			src := ext(netip.MustParseAddr(pgAttacker), "")
			for i := range 5 {
				c := g.session(src, n.pg, portPG, t0+int64(i)*20, 1, 300, 200)
				c.tag = tag
				g.emit(c)
			}
			c := g.session(src, n.pg, portPG, t0+120, 1200, 40_000, 300_000_000)
			c.tag = tag
			g.emit(c)
		})
	}

	// 11. Exfiltration through a NAT gateway: the corporate file server
	// uploads 1.5 GB to an unknown address in 45 minutes (default format:
	// no packet-level addresses).
	{
		t0 := g.at(22, 10)
		tag := g.incident(Incident{ID: "nat-exfiltration", Title: "1.5 GB from the file server to an unknown address through the NAT gateway",
			Rules: []string{RuleExfiltration, RuleNATEgress}, Actors: addrOf(n.fileSrv), Targets: []string{natExfilAddr},
			Port: 443, Proto: 6, Account: AccountCorp, Start: g.tm(t0), End: g.tm(t0 + 2700)})
		g.once("incident nat exfiltration", t0, func(rng *rand.Rand) {
			dst := ext(netip.MustParseAddr(natExfilAddr), "")
			for i := range 4 {
				c := g.session(n.fileSrv, dst, portHTTPS, t0+int64(i)*3, 2700-int64(i)*60, 375_000_000, 900_000)
				c.tag = tag
				g.emit(c)
			}
		})
	}
}

// checkAddresses makes sure no background address is an incident's (the
// random pools are drawn from networks that do not contain them, but the
// check makes that a fact).
func (g *gen) checkAddresses() error {
	bad := map[netip.Addr]bool{}
	for _, s := range incidentAddrs() {
		bad[netip.MustParseAddr(s)] = true
	}
	for _, pre := range slices.Concat(clientNets, clientNets6, botNets, scannerNets) {
		p := netip.MustParsePrefix(pre)
		for a := range bad {
			if p.Contains(a) {
				return fmt.Errorf("netsim: incident address %s is inside background network %s", a, p)
			}
		}
	}
	return nil
}

// writeIOCs writes the IOC list in the playbook's CSV layout.
func (g *gen) writeIOCs() error {
	var b strings.Builder
	b.WriteString("threat_ip,threat_comment\n")
	for _, e := range g.iocs {
		fmt.Fprintf(&b, "%s,%s\n", e.ip, e.comment)
	}
	return os.WriteFile(filepath.Join(g.cfg.Dir, IOCFile), []byte(b.String()), 0o644)
}
