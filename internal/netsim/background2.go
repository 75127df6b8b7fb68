package netsim

import (
	"math/rand/v2"
	"net/netip"
)

func (g *gen) prodBackground() {
	n := g.net
	// Prometheus scrapes node exporter on every production host
	// every 60 s over a keep-alive connection, and probes service ports
	// (a TCP connect, a banner, a close) every 60 s: the bastion's SSH, the
	// database, the application port.
	for _, h := range n.prodServers() {
		if h == n.prom {
			continue
		}
		g.behave("scrape "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			ch := newChain(g.t0)
			return func(s0, s1 int64) {
				ch.each(s1, func() int64 { return between(rng, 3600, 4*3600) }, func(t0, t1 int64, open bool) {
					g.emit(g.keepalive(g.tcp(n.prom, h, portNodeExp), rng, t0, t1, 60, open, fixed(320), ranged(rng, 30_000, 60_000)))
				})
			}
		})
	}
	probes := []struct {
		h    *node
		port uint16
		up   int64
		dn   int64
	}{{n.bastion, portSSH, 21, 41}, {n.db, portPG, 8, 0}, {n.replica, portPG, 8, 0}}
	for _, a := range n.apps {
		probes = append(probes, struct {
			h      *node
			port   uint16
			up, dn int64
		}{a, portApp, 180, 420})
	}
	for _, p := range probes {
		g.behave("probe "+p.h.addr.String()+" "+itoa(int(p.port)), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 60, 0.02)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					c := g.tcp(n.prom, p.h, p.port).syn(t)
					if p.up > 0 || p.dn > 0 {
						c.exchange(t, p.up, p.dn)
					}
					g.emit(c.fin(t))
				})
			}
		})
	}
	// Queue workers long-poll SQS (20 s polls on a keep-alive connection).
	for _, w := range n.workers {
		g.behave("sqs "+w.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			ch := newChain(g.t0)
			return func(s0, s1 int64) {
				ch.each(s1, func() int64 { return between(rng, 600, 1800) }, func(t0, t1 int64, open bool) {
					g.emit(g.keepalive(g.tcp(w, n.sqs.pick(rng), portHTTPS), rng, t0, t1, 20, open, ranged(rng, 600, 900), ranged(rng, 300, 4000)))
				})
			}
		})
	}
	// Application servers call a payment API, a new connection each time.
	for _, a := range n.apps {
		g.behave("payment api "+a.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 12*diurnal(s0, -5), func(t int64) {
					g.emit(g.session(a, n.paymentAPI.pick(rng), portHTTPS, t, between(rng, 1, 3), between(rng, 1500, 4000), between(rng, 2000, 9000)))
				})
			}
		})
	}
	// Nightly backups to S3 through the gateway endpoint: the database at
	// 02:00 (a base backup, multipart over 16 connections to as many S3
	// addresses), the reporting server at 01:00; and WAL segments archived
	// every 60 s all day.
	g.backupToS3("db backup", n.db, g.t0+2*3600, 16, 40e9, 80*60, true)
	g.backupToS3("reporting backup", n.reporting, g.t0+3600, 10, 22e9, 60*60, true)
	g.behave("wal archive", func(rng *rand.Rand) func(s0, s1 int64) {
		k := newTicker(rng, g.t0, 60, 0.05)
		return func(s0, s1 int64) {
			k.each(rng, s0, s1, func(t int64) {
				c := g.session(n.db, awsIn(rng, "S3", "us-east-1"), portHTTPS, t, between(rng, 1, 4), logUniform(rng, 200_000, 4_000_000), 2500)
				c.gwEndpoint = true
				g.emit(c)
			})
		}
	})
	// Administrators: SSH from the office to the bastion, and from the
	// bastion to servers.
	g.behave("admin ssh", func(rng *rand.Rand) func(s0, s1 int64) {
		return func(s0, s1 int64) {
			poisson(rng, s0, s1, 0.5*workHours(s0, -5), func(t int64) {
				d := between(rng, 600, 5400)
				g.emit(g.session(n.office.pick(rng), n.bastion, portSSH, t, d, d*60, d*900))
				for range rng.IntN(3) {
					t2 := t + between(rng, 30, d/2)
					hops := n.prodServers()
					to := hops[rng.IntN(len(hops))]
					if to == n.bastion {
						continue
					}
					g.emit(g.session(n.bastion, to, portSSH, t2, between(rng, 60, d/2), 20_000, 600_000))
				}
			})
		}
	})
}

// backupToS3 uploads size bytes over conns connections to distinct S3
// addresses, starting at t over dur seconds.
func (g *gen) backupToS3(name string, h *node, t int64, conns int, size float64, dur int64, gwe bool) {
	region := h.vpc.region
	g.behave(name, func(rng *rand.Rand) func(s0, s1 int64) {
		return func(s0, s1 int64) {
			if t < s0 || t >= s1 {
				return
			}
			per := int64(size) / int64(conns)
			for i := range conns {
				st := t + int64(i)*2
				d := dur * (85 + rng.Int64N(30)) / 100
				c := g.session(h, awsIn(rng, "S3", region), portHTTPS, st, d, per, per/200)
				c.gwEndpoint = gwe
				g.emit(c)
			}
		}
	})
}

func (g *gen) corpBackground() {
	n := g.net
	clients := append(append([]*node{}, n.desktops...), n.winApps...)
	clients = append(clients, n.fileSrv, n.rdp)
	// Active Directory: DNS, Kerberos, LDAP, SMB (group policy), and RPC:
	// the endpoint mapper (135), then the service's dynamic port (49152 and
	// up, fixed per domain controller until it restarts).
	dynPort := []uint16{49667, 49671}
	for _, c := range clients {
		g.behave("ad "+c.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				w := workHours(s0, 1)
				if c.eni.subnet.cidr.Bits() != 22 {
					w = 0.5
				}
				poisson(rng, s0, s1, 60*w, func(t int64) {
					dc := n.dcs[rng.IntN(2)]
					g.emit(g.udp(c, dc, portDNS).exchange(t, between(rng, 30, 60), between(rng, 60, 300)))
				})
				poisson(rng, s0, s1, 3*w, func(t int64) {
					dc := n.dcs[rng.IntN(2)]
					g.emit(g.session(c, dc, portKerb, t, 1, 1600, 1500))
					g.emit(g.session(c, dc, portLDAP, t+1, between(rng, 1, 30), 3000, 12000))
				})
				poisson(rng, s0, s1, 0.7*w, func(t int64) {
					i := rng.IntN(2)
					dc := n.dcs[i]
					g.emit(g.session(c, dc, portRPC, t, 1, 200, 150))
					g.emit(g.session(c, dc, dynPort[i], t+1, between(rng, 1, 5), 2500, 1800))
					g.emit(g.session(c, dc, portSMB, t+2, between(rng, 2, 20), 30_000, 400_000))
				})
			}
		})
	}
	// Replication between the domain controllers every 15 minutes.
	g.behave("ad replication", func(rng *rand.Rand) func(s0, s1 int64) {
		k := newTicker(rng, g.t0, 900, 0.02)
		return func(s0, s1 int64) {
			k.each(rng, s0, s1, func(t int64) {
				g.emit(g.session(n.dcs[0], n.dcs[1], portRPC, t, 1, 200, 150))
				g.emit(g.session(n.dcs[0], n.dcs[1], dynPort[1], t+1, between(rng, 1, 20), between(rng, 5000, 200_000), between(rng, 5000, 100_000)))
			})
		}
	})
	// The file server: desktops' SMB sessions during the day.
	for _, d := range n.desktops {
		g.behave("smb "+d.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 1.5*workHours(s0, 1), func(t int64) {
					dur := between(rng, 60, 3600)
					g.emit(g.session(d, n.fileSrv, portSMB, t, dur, logUniform(rng, 20_000, 50_000_000), logUniform(rng, 100_000, 200_000_000)))
				})
			}
		})
	}
	// Desktops browse the web through the NAT gateway, take video calls,
	// and fetch updates.
	for _, d := range n.desktops {
		g.behave("browse "+d.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 40*workHours(s0, 1), func(t int64) {
					c := g.tcp(d, n.web.pick(rng), portHTTPS).syn(t).exchange(t, 600, 5000)
					tt := t + 1
					for range 1 + rng.IntN(6) {
						c.exchange(tt, between(rng, 300, 1500), logUniform(rng, 500, 2_000_000))
						tt += between(rng, 0, 20)
					}
					// Closed by the server after its idle timeout.
					g.emit(c.fin(tt + between(rng, 30, 300)))
				})
			}
		})
		g.behave("video "+d.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 0.35*workHours(s0, 1), func(t int64) {
					srv := n.videoSaaS.pick(rng)
					dur := between(rng, 900, 3600)
					// Signalling over TLS, media over UDP.
					g.emit(g.session(d, srv, portHTTPS, t, dur, dur*200, dur*300))
					g.emit(g.udp(d, srv, 8801).udpStream(t+2, t+dur, 50, 60, 1000, 1100))
				})
			}
		})
		g.behave("updates "+d.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 0.5, func(t int64) {
					size := logUniform(rng, 1e5, 3e8)
					g.emit(g.session(d, n.microsoft.pick(rng), portHTTPS, t, max(2, size/4_000_000), size/300, size))
				})
			}
		})
	}
	// Time: the domain controllers sync with time.windows.com every hour,
	// everyone else with the domain controllers.
	for _, h := range append(append([]*node{}, clients...), n.dcs...) {
		g.behave("ntp "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 3600, 0)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					to := n.dcs[0]
					if h == n.dcs[0] || h == n.dcs[1] {
						to = n.timeWindows[0]
					}
					g.emit(g.udp(h, to, portNTP).exchange(t, 48, 48))
				})
			}
		})
	}
	// Zabbix polls every corporate server's agent every 60 s (a connection
	// per poll) and pings it; it checks the Windows servers' RDP, SMB and
	// RPC ports every 5 minutes.
	for _, h := range n.corpServers() {
		g.behave("zabbix "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 60, 0.01)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					g.emit(g.session(n.zabbix, h, portZabbix, t, 1, 80, between(rng, 200, 3000)))
				})
				// A ping every 60 s: one ICMP 5-tuple all day, so one
				// record per window and direction on each interface.
				if s0 == g.t0 {
					c := &conn{proto: protoICMP, cli: n.zabbix, srv: h}
					g.emit(c.stream(s0, g.t1, (g.t1-s0)/60*56, (g.t1-s0)/60*56))
				}
			}
		})
		if !h.windows {
			continue
		}
		g.behave("zabbix tcp "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 300, 0.01)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					for _, p := range []uint16{portRDP, portSMB, portRPC} {
						g.emit(g.tcp(n.zabbix, h, p).syn(t).fin(t))
					}
				})
			}
		})
	}
	// The RDP gateway: administrators from the office.
	g.behave("admin rdp", func(rng *rand.Rand) func(s0, s1 int64) {
		return func(s0, s1 int64) {
			poisson(rng, s0, s1, 0.3*workHours(s0, 1), func(t int64) {
				d := between(rng, 900, 7200)
				g.emit(g.session(n.office.pick(rng), n.rdp, portRDP, t, d, d*2000, d*40000))
			})
		}
	})
	// Partners upload files over SFTP.
	g.behave("sftp partners", func(rng *rand.Rand) func(s0, s1 int64) {
		return func(s0, s1 int64) {
			poisson(rng, s0, s1, 0.5*workHours(s0, 1), func(t int64) {
				size := logUniform(rng, 1e6, 5e8)
				g.emit(g.session(n.partners.pick(rng), n.sftp, portSSH, t, max(10, size/2_000_000), size, size/100))
			})
		}
	})
	// The file server's nightly backup to S3, through the NAT gateway (the
	// corporate VPC has no gateway endpoint).
	g.backupToS3("file server backup", n.fileSrv, g.t0+23*3600, 8, 15e9, 60*60, false)
}

func (g *gen) dataBackground() {
	n := g.net
	// Spark jobs every hour: executors register with the driver (7077) and
	// fetch shuffle blocks from each other on the block managers' random
	// ports, which change with every job.
	g.behave("spark", func(rng *rand.Rand) func(s0, s1 int64) {
		k := newTicker(rng, g.t0, 3600, 0.1)
		return func(s0, s1 int64) {
			k.each(rng, s0, s1, func(t int64) {
				drv, exs := n.spark[0], n.spark[1:]
				bm := make([]uint16, len(exs))
				for i := range bm {
					bm[i] = uint16(between(rng, 33000, 60000))
				}
				for _, e := range exs {
					g.emit(g.session(e, drv, 7077, t, between(rng, 300, 1200), 400_000, 2_000_000))
				}
				// Each executor fetches from up to six others.
				for i, a := range exs {
					for k := 1; k <= min(6, len(exs)-1); k++ {
						j := (i + k) % len(exs)
						d := between(rng, 60, 600)
						g.emit(g.session(a, exs[j], bm[j], t+between(rng, 30, 120), d, 20_000, logUniform(rng, 1e7, 4e8)))
					}
				}
			})
		}
	})
	// The ETL server queries the legacy database every 5 minutes and loads
	// it at night; data workers read and write datasets on S3 (through the
	// NAT gateway: no gateway endpoint in this VPC) and install packages.
	g.behave("etl", func(rng *rand.Rand) func(s0, s1 int64) {
		k := newTicker(rng, g.t0, 300, 0.05)
		return func(s0, s1 int64) {
			k.each(rng, s0, s1, func(t int64) {
				g.emit(g.session(n.etl, n.pg, portPG, t, between(rng, 1, 20), between(rng, 2000, 20000), logUniform(rng, 1e4, 2e7)))
			})
			if t := g.t0 + 3*3600; t >= s0 && t < s1 {
				g.emit(g.session(n.etl, n.pg, portPG, t, 2400, 6e9, 5e6))
			}
		}
	})
	for _, w := range n.dworkers {
		g.behave("s3 datasets "+w.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 2, func(t int64) {
					size := logUniform(rng, 1e6, 2e9)
					up, dn := size/500, size
					if rng.IntN(3) == 0 {
						up, dn = size, size/500
					}
					g.emit(g.session(w, awsIn(rng, "S3", "us-east-1"), portHTTPS, t, max(2, size/20_000_000), up, dn))
				})
				poisson(rng, s0, s1, 0.3, func(t int64) {
					g.emit(g.session(w, n.fastly.pick(rng), portHTTPS, t, between(rng, 2, 40), 20_000, logUniform(rng, 1e5, 2e8)))
				})
			}
		})
	}
}

func (g *gen) devBackground() {
	n := g.net
	// CI runners: a job every 10 to 20 minutes clones a repository, pulls
	// images and packages, and uploads artifacts and an image.
	for _, r := range n.ci {
		g.behave("ci "+r.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 4*(0.3+0.7*workHours(s0, -8)), func(t int64) {
					g.emit(g.session(r, n.github.pick(rng), portHTTPS, t, between(rng, 3, 40), 40_000, logUniform(rng, 5e6, 5e8)))
					g.emit(g.session(r, n.dockerRegistry.pick(rng), portHTTPS, t+20, between(rng, 1, 5), 8_000, 40_000))
					for range 1 + rng.IntN(4) {
						g.emit(g.session(r, n.dockerBlobs.pick(rng), portHTTPS, t+25, between(rng, 10, 120), 10_000, logUniform(rng, 2e7, 8e8)))
					}
					g.emit(g.session(r, n.fastly.pick(rng), portHTTPS, t+60, between(rng, 5, 60), 30_000, logUniform(rng, 1e7, 3e8)))
					end := t + between(rng, 300, 900)
					g.emit(g.session(r, awsIn(rng, "S3", "us-west-2"), portHTTPS, end, between(rng, 5, 60), logUniform(rng, 1e7, 8e8), 20_000))
					if rng.IntN(3) == 0 {
						g.emit(g.session(r, n.ecr.pick(rng), portHTTPS, end+30, between(rng, 10, 90), logUniform(rng, 5e7, 1e9), 40_000))
					}
				})
			}
		})
	}
	// Developers work on their instances over SSH from home.
	for _, d := range n.devboxes {
		home := ext(randIn(g.setup, netip.MustParsePrefix(clientNets[g.setup.IntN(len(clientNets))])), "")
		g.behave("dev ssh "+d.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 0.2*workHours(s0, -8), func(t int64) {
					dur := between(rng, 600, 4*3600)
					g.emit(g.session(home, d, portSSH, t, dur, dur*100, dur*2000))
					g.emit(g.session(d, n.github.pick(rng), portHTTPS, t+60, between(rng, 2, 20), 30_000, logUniform(rng, 1e5, 5e7)))
				})
			}
		})
	}
}

// agents: software on every server that calls home: Systems Manager, the
// endpoint protection agent, log shipping, package-index checks and NTP.
func (g *gen) agents() {
	n := g.net
	var linux []*node
	linux = append(linux, n.prodServers()...)
	linux = append(linux, n.dataServers()...)
	linux = append(linux, n.sftp, n.zabbix)
	linux = append(linux, n.ci...)
	linux = append(linux, n.devboxes...)
	servers := append(append([]*node{}, linux...), n.corpServers()...)
	for _, h := range servers {
		region := h.vpc.region
		g.behave("ssm "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			ch := newChain(g.t0)
			ep := awsIn(g.setup, "AMAZON", region)
			return func(s0, s1 int64) {
				ch.each(s1, func() int64 { return between(rng, 1800, 7200) }, func(t0, t1 int64, open bool) {
					g.emit(g.keepalive(g.tcp(h, ep, portHTTPS), rng, t0, t1, 300, open, fixed(120), fixed(120)))
				})
			}
		})
	}
	// The endpoint protection agent checks in every 10 minutes, a new
	// connection each time; all servers use the same few addresses.
	for _, h := range servers {
		g.behave("edr "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 600, 0.05)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					g.emit(g.session(h, n.edr.pick(rng), portHTTPS, t, between(rng, 1, 3), between(rng, 3000, 12000), between(rng, 1500, 6000)))
				})
			}
		})
	}
	// Logs shipped to a SaaS by the corporate and data servers (about 6 kB/s
	// each, on long-lived connections): both NAT gateways send to the same
	// intake addresses.
	for _, h := range append(n.corpServers(), n.pg, n.etl) {
		g.behave("logs "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			ch := newChain(g.t0)
			return func(s0, s1 int64) {
				ch.each(s1, func() int64 { return between(rng, 1200, 3600) }, func(t0, t1 int64, open bool) {
					c := g.tcp(h, n.logIntake.pick(rng), portHTTPS)
					if open {
						c.syn(t0)
					}
					d := t1 - t0
					g.emit(c.stream(t0+1, t1, d*between(rng, 3000, 9000), d*60).fin(t1))
				})
			}
		})
	}
	// Package-index checks every hour (dnf makecache on Amazon Linux,
	// apt on the Ubuntu development instances), after a random delay.
	for _, h := range linux {
		mirrors := n.alCDN
		if h.vpc == n.dev {
			mirrors = n.ubuntuArchive
		}
		g.behave("pkg index "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 3600, 0.08)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					g.emit(g.session(h, mirrors.pick(rng), portHTTPS, t, between(rng, 1, 4), 2500, logUniform(rng, 3e3, 4e5)))
				})
			}
		})
	}
	// NTP: the Ubuntu hosts (bastion, reporting, development instances)
	// with systemd-timesyncd: one server, every 2048 s, a new port each time.
	ntp := append([]*node{n.bastion, n.reporting}, n.devboxes...)
	for _, h := range ntp {
		g.behave("timesyncd "+h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			k := newTicker(rng, g.t0, 2048, 0)
			srv := n.ntpUbuntu.pick(g.setup)
			return func(s0, s1 int64) {
				k.each(rng, s0, s1, func(t int64) {
					g.emit(g.udp(h, srv, portNTP).exchange(t, 48, 48))
				})
			}
		})
	}
}

// internetNoise: what every exposed address receives from the internet.
func (g *gen) internetNoise() {
	n := g.net
	type exposed struct {
		h    *node
		open []uint16 // ports the security group allows and a service answers
		// allowAll: the security group allows every TCP port from anywhere
		// (the legacy database's), so probes of closed ports are accepted
		// and answered by a reset.
		allowAll bool
	}
	var targets []exposed
	for _, lb := range n.alb {
		targets = append(targets, exposed{h: lb, open: []uint16{80, 443}})
	}
	targets = append(targets, exposed{h: n.bastion, open: []uint16{22}}, exposed{h: n.reporting, open: []uint16{443}},
		exposed{h: n.rdp, open: []uint16{3389}}, exposed{h: n.sftp, open: []uint16{22}}, exposed{h: n.pg, open: []uint16{22, 5432}, allowAll: true})
	for _, d := range n.devboxes {
		targets = append(targets, exposed{h: d, open: []uint16{22}})
	}
	for _, c := range n.ci {
		targets = append(targets, exposed{h: c, open: nil})
	}
	common := []uint16{21, 22, 23, 25, 53, 80, 81, 110, 123, 135, 139, 143, 161, 443, 445, 465, 587, 993, 995, 1433, 1521, 1723,
		2222, 2375, 3306, 3389, 5060, 5432, 5555, 5900, 6379, 7547, 8000, 8080, 8081, 8443, 8888, 9000, 9200, 11211, 27017, 37215, 49152}
	// Scanners: research and attack-surface scanners probe a port of an
	// address now and then, from many addresses of their networks; an
	// address gets about one probe every two minutes in all.
	for _, x := range targets {
		g.behave("scanners "+x.h.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
			return func(s0, s1 int64) {
				poisson(rng, s0, s1, 30, func(t int64) {
					src := ext(randIn(rng, netip.MustParsePrefix(scannerNets[rng.IntN(len(scannerNets))])), "")
					if rng.IntN(3) == 0 {
						src = ext(randIn(rng, netip.MustParsePrefix(botNets[rng.IntN(len(botNets))])), "")
					}
					var port uint16
					if rng.IntN(2) == 0 {
						port = common[rng.IntN(len(common))]
					} else {
						port = uint16(1 + rng.IntN(65535))
					}
					c := g.tcp(src, x.h, port)
					c.cport = uint16(between(rng, 30000, 65000))
					switch {
					case slicesContains(x.open, port):
						c.synScan(t)
					case x.allowAll:
						c.refused(t)
					default:
						c.probe(t, 1)
						c.rej = rejServer
					}
					g.emit(c)
				})
			}
		})
	}
	// SSH bots: many addresses, each a handful of password attempts (a new
	// connection each) against every SSH server they find; RDP bots the
	// same against the RDP gateway.
	for _, x := range targets {
		for _, port := range x.open {
			if port != portSSH && port != portRDP {
				continue
			}
			h := x.h
			g.behave("bots "+h.addr.String()+" "+itoa(int(port)), func(rng *rand.Rand) func(s0, s1 int64) {
				rate := 8.0
				if port == portRDP {
					rate = 3
				}
				if h.vpc == n.dev {
					rate = 1.5
				}
				return func(s0, s1 int64) {
					poisson(rng, s0, s1, rate, func(t int64) {
						src := ext(randIn(rng, netip.MustParsePrefix(botNets[rng.IntN(len(botNets))])), "")
						dst := h
						if h == n.bastion && rng.IntN(6) == 0 {
							src, dst = ext(randIn(rng, netip.MustParsePrefix("2a0b:4140::/29")), ""), n.bastion6
						}
						tries := 1 + rng.Int64N(6)
						for i := range tries {
							tt := t + i*between(rng, 2, 15)
							if tt >= s1 {
								break
							}
							if port == portSSH {
								g.emit(g.session(src, dst, port, tt, between(rng, 2, 8), between(rng, 1500, 2600), between(rng, 2200, 3400)))
							} else {
								g.emit(g.session(src, dst, port, tt, between(rng, 1, 4), between(rng, 1200, 3000), between(rng, 2000, 5000)))
							}
						}
					})
				}
			})
		}
	}
}

func slicesContains(xs []uint16, x uint16) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
