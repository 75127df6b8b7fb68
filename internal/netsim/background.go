package netsim

import (
	"math/rand/v2"
	"net/netip"
)

// network holds the hosts of the four VPCs by role, and the outside
// world's servers.
type network struct {
	prod, corp, data, dev *vpc

	// prod: a web application in us-east-1.
	alb, alb6          []*node
	apps, workers      []*node
	db, replica, redis *node
	bastion, bastion6  *node
	reporting, prom    *node
	// corp: Windows servers and desktops in eu-west-1.
	dcs, winApps, desktops   []*node
	fileSrv, rdp, rdp6, sftp *node
	zabbix                   *node
	// data: an analytics platform in us-east-1.
	spark, dworkers []*node
	pg, etl         *node
	// dev: the default VPC of a development account in us-west-2.
	ci, devboxes []*node

	// Outside.
	office, partners                             pool
	sqs, ssm, edr, logIntake, paymentAPI         pool
	alCDN, ubuntuArchive, ntpUbuntu, timeWindows pool
	github, dockerRegistry, dockerBlobs, fastly  pool
	microsoft, videoSaaS, web                    pool
	ecr                                          pool
}

// The flow log formats of the four accounts.
const (
	// Production: every version 5 field except the ECS ones.
	formatProd = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} " +
		"${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} " +
		"${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}"
	// Corporate: AWS's default format.
	formatCorp = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
	// Data: version 3 fields with TCP flags, no packet-level addresses.
	formatData = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} " +
		"${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type}"
	// Development: packet-level addresses and flow direction, no TCP flags,
	// in the order of AWS's own custom-format example (bytes before packets).
	formatDev = "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " +
		"${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${log-status} ${flow-direction} ${traffic-path}"
)

// Account ids.
const (
	AccountProd = "402937561284"
	AccountCorp = "725811930467"
	AccountData = "186420975318"
	AccountDev  = "559013847726"
)

// The corpus size as a function of the scale s (the multiplier of the
// hosts and clients of each role): about recordsFixed + recordsPerScale*s
// records, measured on the generator. The smallest network that holds every
// incident (scale 0) writes about 390,000 records a day.
const (
	recordsFixed    = 183_000
	recordsPerScale = 895_000
)

func (g *gen) tcp(cli, srv *node, port uint16) *conn {
	return &conn{proto: protoTCP, cli: cli, srv: srv, sport: port}
}

func (g *gen) udp(cli, srv *node, port uint16) *conn {
	return &conn{proto: protoUDP, cli: cli, srv: srv, sport: port}
}

// session is a TCP connection that opens at t, moves up and dn payload
// bytes evenly over dur seconds and closes.
func (g *gen) session(cli, srv *node, port uint16, t, dur, up, dn int64) *conn {
	c := g.tcp(cli, srv, port).syn(t)
	if dur <= 1 {
		c.exchange(t, up, dn)
	} else {
		c.stream(t+1, t+dur, up, dn)
	}
	return c.fin(t + max(dur, 1))
}

// chain keeps one long-lived connection up at a time: when one ends (after
// a lifetime from life) the next opens. The first is already open when the
// day starts (no handshake in the records).
type chain struct {
	next  int64
	first bool
}

func newChain(t0 int64) *chain { return &chain{next: t0, first: true} }

// each opens the connections of [s0, s1): mk builds one from its open and
// close times; open says whether its opening handshake is in the corpus.
func (ch *chain) each(s1 int64, life func() int64, mk func(t0, t1 int64, open bool)) {
	for ch.next < s1 {
		t0 := ch.next
		t1 := t0 + life()
		mk(t0, t1, !ch.first)
		ch.first = false
		ch.next = t1 + 1
	}
}

// keepalive builds a long-lived connection from t0 to t1 with an exchange
// every period (a scrape, a heartbeat, a long poll).
func (g *gen) keepalive(c *conn, rng *rand.Rand, t0, t1, period int64, open bool, up, dn func() int64) *conn {
	if open {
		c.syn(t0)
	}
	for t := t0 + 1 + rng.Int64N(period); t < t1; t += period {
		c.exchange(t, up(), dn())
	}
	return c.fin(t1)
}

func fixed(n int64) func() int64 { return func() int64 { return n } }

func ranged(rng *rand.Rand, lo, hi int64) func() int64 {
	return func() int64 { return between(rng, lo, hi) }
}

// build creates the network and registers the background behaviours.
func (g *gen) build() {
	n := &network{}
	g.net = n
	rng := g.setup

	// --- outside servers ------------------------------------------------
	n.office = addrs("195.74.80.9", "195.74.80.10", "195.74.80.13")
	n.partners = addrs("194.150.220.17", "213.95.11.140", "80.156.41.9")
	n.sqs = newPool(rng, 4, "52.94.224.0/20")
	n.ssm = newPool(rng, 3, "52.94.224.0/20")
	n.edr = newPool(rng, 4, "13.56.0.0/16")
	n.logIntake = newPool(rng, 3, "3.80.0.0/12")
	n.paymentAPI = newPool(rng, 3, "44.224.0.0/11")
	n.alCDN = newPool(rng, 4, "13.32.0.0/15", "18.160.0.0/15")
	n.ubuntuArchive = addrs("91.189.91.81", "91.189.91.82", "185.125.190.36", "185.125.190.39")
	n.ntpUbuntu = addrs("185.125.190.56", "185.125.190.57", "185.125.190.58")
	n.timeWindows = addrs("20.101.57.9")
	n.github = addrs("140.82.112.3", "140.82.112.4", "140.82.113.3", "140.82.114.4")
	n.dockerRegistry = newPool(rng, 3, "54.144.0.0/14")
	n.dockerBlobs = newPool(rng, 6, "104.16.0.0/13")
	n.fastly = newPool(rng, 6, "151.101.0.0/16")
	n.microsoft = newPool(rng, 12, "13.107.4.0/22", "52.96.0.0/14", "20.190.128.0/18", "40.126.0.0/18")
	n.videoSaaS = newPool(rng, 40, "170.114.0.0/16")
	n.ecr = newPool(rng, 4, "52.94.208.0/21")
	// Web sites desktops browse: CDNs, clouds, and everything else.
	n.web = newPool(rng, g.n(400, 150), "13.32.0.0/15", "18.160.0.0/15", "3.80.0.0/12", "34.240.0.0/13", "151.101.0.0/16",
		"104.16.0.0/13", "172.217.0.0/16", "142.250.0.0/15", "157.240.0.0/16", "185.199.108.0/22", "23.0.0.0/12", "2.16.0.0/13",
		"52.96.0.0/14", "13.107.4.0/22", "199.232.0.0/16", "188.114.96.0/20", "95.100.0.0/15")

	// The IOC feed lists a /16 that covers the video-conferencing service's
	// media servers (a distractor: broad, and contacted by every desktop),
	// and indicators the network never contacts; plant adds the one an
	// incident contacts.
	g.iocs = append(g.iocs, iocEntry{"170.114.0.0/16", "hosting range seen in phishing campaigns"},
		iocEntry{"45.83.64.0/24", "botnet controller network"}, iocEntry{"198.51.100.77", "ransomware staging server"})

	g.buildProd()
	g.buildCorp()
	g.buildData()
	g.buildDev()
	g.background()
}

func (g *gen) buildProd() {
	n := g.net
	v := g.newVPC("prod", AccountProd, "us-east-1", "10.40.0.0/16", formatProd, 60, layoutDaily)
	g.vpcs = append(g.vpcs, v)
	n.prod = v
	pubA := v.addSubnet(g, "10.40.0.0/24", "2600:1f18:6c1:a400::/64", "use1-az1", true)
	pubB := v.addSubnet(g, "10.40.1.0/24", "2600:1f18:6c1:a401::/64", "use1-az2", true)
	appA := v.addSubnet(g, "10.40.10.0/24", "", "use1-az1", false)
	appB := v.addSubnet(g, "10.40.11.0/24", "", "use1-az2", false)
	dataA := v.addSubnet(g, "10.40.20.0/24", "", "use1-az1", false)
	dataB := v.addSubnet(g, "10.40.21.0/24", "", "use1-az2", false)
	mgmt := v.addSubnet(g, "10.40.30.0/24", "", "use1-az1", false)
	v.nat = g.host(v, pubA, "prod NAT gateway", true)
	for i, s := range []*subnet{pubA, pubB} {
		a := g.host(v, s, "load balancer node", true)
		n.alb = append(n.alb, a)
		n.alb6 = append(n.alb6, g.v6(a))
		_ = i
	}
	for i := range g.n(6, 1) {
		n.apps = append(n.apps, g.host(v, []*subnet{appA, appB}[i%2], "app server", false))
	}
	for i := range g.n(3, 1) {
		n.workers = append(n.workers, g.host(v, []*subnet{appA, appB}[i%2], "queue worker", false))
	}
	n.db = g.host(v, dataA, "database primary", false)
	n.replica = g.host(v, dataB, "database replica", false)
	n.redis = g.host(v, dataA, "cache", false)
	n.bastion = g.host(v, pubA, "bastion", false)
	n.bastion6 = g.v6(n.bastion)
	n.reporting = g.host(v, pubB, "reporting server", false)
	n.prom = g.host(v, mgmt, "monitoring server", false)
	// Interfaces that carry nothing: a Lambda function's (created with the
	// function's VPC configuration, used only when it runs, which it does
	// not today). Their windows are NODATA records.
	for _, s := range []*subnet{appA, appB} {
		g.host(v, s, "idle Lambda interface", true).eni.nodata = true
	}
}

func (g *gen) buildCorp() {
	n := g.net
	v := g.newVPC("corp", AccountCorp, "eu-west-1", "10.60.0.0/16", formatCorp, 600, layoutHive)
	g.vpcs = append(g.vpcs, v)
	n.corp = v
	pub := v.addSubnet(g, "10.60.0.0/24", "2a05:d018:1b2:7c00::/64", "euw1-az1", true)
	srvA := v.addSubnet(g, "10.60.10.0/24", "", "euw1-az1", false)
	srvB := v.addSubnet(g, "10.60.11.0/24", "", "euw1-az2", false)
	desk := v.addSubnet(g, "10.60.32.0/22", "", "euw1-az1", false)
	mgmt := v.addSubnet(g, "10.60.40.0/24", "", "euw1-az2", false)
	v.nat = g.host(v, pub, "corp NAT gateway", true)
	win := func(x *node) *node { x.windows = true; return x }
	n.rdp = win(g.host(v, pub, "RDP gateway", false))
	n.rdp6 = g.v6(n.rdp)
	n.sftp = g.host(v, pub, "partner SFTP server", false)
	n.dcs = []*node{win(g.host(v, srvA, "domain controller", false)), win(g.host(v, srvB, "domain controller", false))}
	n.fileSrv = win(g.host(v, srvA, "file server", false))
	for i := range g.n(3, 1) {
		n.winApps = append(n.winApps, win(g.host(v, []*subnet{srvA, srvB}[i%2], "Windows application server", false)))
	}
	for range g.n(24, 4) {
		n.desktops = append(n.desktops, win(g.host(v, desk, "virtual desktop", false)))
	}
	n.zabbix = g.host(v, mgmt, "monitoring server", false)
	g.host(v, srvB, "detached interface", true).eni.nodata = true
}

func (g *gen) buildData() {
	n := g.net
	v := g.newVPC("data", AccountData, "us-east-1", "10.80.0.0/16", formatData, 60, layoutHourly)
	g.vpcs = append(g.vpcs, v)
	n.data = v
	pub := v.addSubnet(g, "10.80.0.0/24", "", "use1-az4", true)
	privA := v.addSubnet(g, "10.80.16.0/20", "", "use1-az4", false)
	privB := v.addSubnet(g, "10.80.32.0/20", "", "use1-az6", false)
	v.nat = g.host(v, pub, "data NAT gateway", true)
	n.pg = g.host(v, pub, "legacy PostgreSQL", false)
	n.etl = g.host(v, privA, "ETL server", false)
	for i := range 1 + g.n(5, 2) {
		name := "Spark executor"
		if i == 0 {
			name = "Spark driver"
		}
		n.spark = append(n.spark, g.host(v, []*subnet{privA, privB}[i%2], name, false))
	}
	for i := range g.n(4, 2) {
		n.dworkers = append(n.dworkers, g.host(v, []*subnet{privB, privA}[i%2], "data worker", false))
	}
}

func (g *gen) buildDev() {
	n := g.net
	v := g.newVPC("dev", AccountDev, "us-west-2", "172.31.0.0/16", formatDev, 600, layoutDaily)
	g.vpcs = append(g.vpcs, v)
	n.dev = v
	subs := []*subnet{
		v.addSubnet(g, "172.31.0.0/20", "", "usw2-az1", true),
		v.addSubnet(g, "172.31.16.0/20", "", "usw2-az2", true),
		v.addSubnet(g, "172.31.32.0/20", "", "usw2-az3", true),
	}
	for i := range g.n(4, 2) {
		n.ci = append(n.ci, g.host(v, subs[i%3], "CI runner", false))
	}
	for i := range g.n(26, 22) {
		n.devboxes = append(n.devboxes, g.host(v, subs[i%3], "development instance", false))
	}
}

// linuxServers lists the Linux servers of a VPC's roles.
func (n *network) prodServers() []*node {
	out := append([]*node{}, n.apps...)
	out = append(out, n.workers...)
	return append(out, n.db, n.replica, n.redis, n.bastion, n.reporting, n.prom)
}

func (n *network) dataServers() []*node {
	out := append([]*node{n.pg, n.etl}, n.spark...)
	return append(out, n.dworkers...)
}

func (n *network) corpServers() []*node {
	out := append([]*node{n.rdp, n.sftp, n.fileSrv}, n.dcs...)
	return append(out, n.winApps...)
}

// Ports.
const (
	portSSH     = 22
	portDNS     = 53
	portNTP     = 123
	portKerb    = 88
	portRPC     = 135
	portLDAP    = 389
	portHTTPS   = 443
	portSMB     = 445
	portRDP     = 3389
	portPG      = 5432
	portWinRM   = 5985
	portRedis   = 6379
	portApp     = 8080
	portNodeExp = 9100
	portZabbix  = 10050
)

func (g *gen) background() {
	g.webTier()
	g.prodBackground()
	g.corpBackground()
	g.dataBackground()
	g.devBackground()
	g.agents()
	g.internetNoise()
}

// webTier: internet clients to the load balancer, the load balancer to the
// application servers, health checks, and the application's own
// connections to the database and the cache.
func (g *gen) webTier() {
	n := g.net
	// Internet clients. A browser opens a connection, makes a few requests
	// over some seconds, and the load balancer closes it after 60 s idle:
	// the closing FIN/ACK often falls in a later capture window than the
	// data, so that window holds a record with two packets and nothing else.
	g.behave("web clients", func(rng *rand.Rand) func(s0, s1 int64) {
		perHour := 1500 * float64(len(n.apps)) / 6
		return func(s0, s1 int64) {
			poisson(rng, s0, s1, perHour*diurnal(s0, -5), func(t int64) {
				var cl, lb *node
				i := rng.IntN(len(n.alb))
				if rng.IntN(5) == 0 {
					cl, lb = ext(randIn(rng, netip.MustParsePrefix(clientNets6[rng.IntN(len(clientNets6))])), ""), n.alb6[i]
				} else {
					cl, lb = ext(randIn(rng, netip.MustParsePrefix(clientNets[rng.IntN(len(clientNets))])), ""), n.alb[i]
				}
				c := g.tcp(cl, lb, portHTTPS).syn(t).exchange(t, 600, 4200)
				reqs := 1 + rng.Int64N(12)
				tt := t + 1
				for range reqs {
					c.exchange(tt, between(rng, 400, 2200), logUniform(rng, 1500, 400_000))
					tt += between(rng, 0, 8)
				}
				g.emit(c.fin(tt + 60))
			})
		}
	})
	// Load balancer to application servers: pooled keep-alive connections,
	// one per (node, server), recycled every 10 to 60 minutes.
	for _, lb := range n.alb {
		for _, app := range n.apps {
			g.behave("lb pool "+lb.addr.String()+" "+app.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
				ch := newChain(g.t0)
				return func(s0, s1 int64) {
					ch.each(s1, func() int64 { return between(rng, 600, 3600) }, func(t0, t1 int64, open bool) {
						c := g.tcp(lb, app, portApp)
						if open {
							c.syn(t0)
						}
						load := diurnal(t0, -5)
						d := t1 - t0
						c.stream(t0+1, t1, int64(float64(d)*600*load), int64(float64(d)*9000*load))
						g.emit(c.fin(t1))
					})
				}
			})
			// Health checks every 30 s, a new connection each.
			g.behave("lb health "+lb.addr.String()+" "+app.addr.String(), func(rng *rand.Rand) func(s0, s1 int64) {
				k := newTicker(rng, g.t0, 30, 0)
				return func(s0, s1 int64) {
					k.each(rng, s0, s1, func(t int64) {
						g.emit(g.tcp(lb, app, portApp).syn(t).exchange(t, 160, 310).fin(t))
					})
				}
			})
		}
	}
	// Application servers to the database (two pooled connections each)
	// and the cache (one), recycled every 30 to 60 minutes.
	for _, app := range n.apps {
		for i, to := range []*node{n.db, n.db, n.redis} {
			port := uint16(portPG)
			if to == n.redis {
				port = portRedis
			}
			g.behave("app pool "+app.addr.String()+" "+to.addr.String()+string(rune('a'+i)), func(rng *rand.Rand) func(s0, s1 int64) {
				ch := newChain(g.t0 + rng.Int64N(1800))
				return func(s0, s1 int64) {
					ch.each(s1, func() int64 { return between(rng, 1800, 3600) }, func(t0, t1 int64, open bool) {
						c := g.tcp(app, to, port)
						if open {
							c.syn(t0)
						}
						load := diurnal(t0, -5)
						d := t1 - t0
						c.stream(t0+1, t1, int64(float64(d)*1500*load), int64(float64(d)*12000*load))
						g.emit(c.fin(t1))
					})
				}
			})
		}
	}
	// Streaming replication, primary to replica (the replica connects).
	g.behave("replication", func(rng *rand.Rand) func(s0, s1 int64) {
		ch := newChain(g.t0)
		return func(s0, s1 int64) {
			ch.each(s1, func() int64 { return 86400 * 2 }, func(t0, t1 int64, open bool) {
				c := g.tcp(n.replica, n.db, portPG)
				if open {
					c.syn(t0)
				}
				c.stream(t0+1, t1, (t1-t0)*200, (t1-t0)*30000)
				g.emit(c)
			})
		}
	})
}
