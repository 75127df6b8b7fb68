package demo

import (
	"cmp"
	"slices"
	"time"
)

// Truth is the ground truth of a generated corpus, computed from the records
// as they were written. Counts are over flow records (header lines excluded)
// unless a field says otherwise. Record-level times are Unix seconds, as in
// the start and end fields.
type Truth struct {
	Seed     uint64        `json:"seed"`
	Start    time.Time     `json:"start"` // first capture window
	End      time.Time     `json:"end"`   // end of the span (exclusive)
	Accounts []AccountInfo `json:"accounts"`

	Files   int64 `json:"files"`   // flow log objects (.log.gz) written
	Lines   int64 `json:"lines"`   // lines in those objects, header lines included
	Records int64 `json:"records"` // flow records (Lines - Files)
	// ByStatus counts records by log-status: OK, NODATA, SKIPDATA.
	ByStatus map[string]int64 `json:"by_status"`
	// ByAction counts records by action: ACCEPT, REJECT, and "-" (the NODATA
	// and SKIPDATA records).
	ByAction map[string]int64 `json:"by_action"`
	// Bytes and Packets are sums over the records that have them (log-status OK).
	Bytes   int64 `json:"bytes"`
	Packets int64 `json:"packets"`
	// MinStart and MaxEnd are the smallest start and largest end over all
	// records (NODATA and SKIPDATA records have start and end too).
	MinStart int64 `json:"min_start"`
	MaxEnd   int64 `json:"max_end"`

	// Partitions holds records and bytes per account, region and day, the
	// day being the date in the object's S3 key ('YYYY/MM/DD', the playbook's
	// date_partition), sorted by account, region, date.
	Partitions []Partition `json:"partitions"`
	// TopTalkers are the 10 addresses with the most bytes, as AWS's
	// VpcFlowLogsTopTalkers query counts them: for every record, its bytes
	// are added to its srcaddr and to its dstaddr (so an address's total is
	// the sum of bytes over the records where it is either), records without
	// bytes are ignored, and ties are broken by address text.
	TopTalkers []Talker `json:"top_talkers"`
	// DataRatio is the playbook's "data ratio" query for one address.
	DataRatio DataRatio `json:"data_ratio"`
	// IOCs is, for each entry of iocs.csv, the records whose srcaddr or
	// dstaddr falls in it (CIDR-correct).
	IOCs []IOCMatch `json:"iocs"`
	// Incidents lists the planted incidents.
	Incidents []Incident `json:"incidents"`
}

// AccountInfo describes how an account's flow logs were written.
type AccountInfo struct {
	ID       string        `json:"id"`
	Format   string        `json:"format"` // the --log-format string
	Header   string        `json:"header"` // the header line of every object
	Version  int           `json:"version"`
	Layout   Layout        `json:"layout"`
	Interval int           `json:"interval"` // aggregation interval, seconds
	Prefix   string        `json:"prefix,omitempty"`
	FlowLogs []FlowLogInfo `json:"flow_logs"`
}

// FlowLogInfo describes one VPC flow log.
type FlowLogInfo struct {
	Region     string `json:"region"`
	FlowLogID  string `json:"flow_log_id"`
	VPCID      string `json:"vpc_id"`
	VPCCIDR    string `json:"vpc_cidr"`
	NATAddress string `json:"nat_address"` // the NAT gateway ENI's private address
	Interfaces int    `json:"interfaces"`
	Files      int64  `json:"files"`
	Records    int64  `json:"records"`
}

// Partition is the volume of one account, region and day.
type Partition struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Date    string `json:"date"` // YYYY/MM/DD
	Files   int64  `json:"files"`
	Records int64  `json:"records"`
	Bytes   int64  `json:"bytes"`
}

// Talker is one address and its bytes (see Truth.TopTalkers).
type Talker struct {
	IP    string `json:"ip"`
	Bytes int64  `json:"bytes"`
}

// DataRatio is the playbook's per-pair query for IP: the records where IP is
// srcaddr or dstaddr, grouped by (srcaddr, dstaddr), ordered by total bytes
// descending (then source, destination).
type DataRatio struct {
	IP    string     `json:"ip"`
	Pairs []PairStat `json:"pairs"`
}

// PairStat is one row of the data ratio query. Ratio is TotalBytes / Records
// with integer division, as Athena computes SUM(bigint)/count(*).
type PairStat struct {
	Src        string `json:"src"`
	Dst        string `json:"dst"`
	Records    int64  `json:"records"`
	TotalBytes int64  `json:"total_bytes"`
	Ratio      int64  `json:"data_ratio"`
	FirstStart int64  `json:"first_start"`
	LastEnd    int64  `json:"last_end"`
}

// IOCMatch is the traffic that touched one IOC entry. A record counts when
// its srcaddr or dstaddr is in the entry. Direction is per record, from the
// monitored network's side: a record whose dstaddr is the IOC is Outbound,
// one whose srcaddr is the IOC is Inbound (so both directions of a
// connection appear). PktRecords counts the records whose pkt-srcaddr or
// pkt-dstaddr is in the entry, in flow logs whose format has those fields;
// it is larger than Records on NAT gateway ENIs.
type IOCMatch struct {
	IOC        string `json:"ioc"` // as written in iocs.csv
	Comment    string `json:"comment"`
	Records    int64  `json:"records"`
	Bytes      int64  `json:"bytes"`
	Packets    int64  `json:"packets"`
	Inbound    int64  `json:"inbound"`
	Outbound   int64  `json:"outbound"`
	Accepted   int64  `json:"accepted"`
	Rejected   int64  `json:"rejected"`
	FirstStart int64  `json:"first_start,omitempty"`
	LastEnd    int64  `json:"last_end,omitempty"`
	PktRecords int64  `json:"pkt_records"`
}

// Incident is one planted incident and exactly what was written for it.
type Incident struct {
	ID        string `json:"id"`        // unique, kebab-case, e.g. "ssh-brute-force"
	Technique string `json:"technique"` // MITRE ATT&CK technique
	Summary   string `json:"summary"`
	// Account and Region where it happens; empty when it spans flow logs.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Actors are the initiators (attacker, or the compromised internal host);
	// Targets what they reach. For ioc-contact, Actors are the IOC addresses
	// seen and Targets the monitored hosts that exchanged traffic with them.
	Actors   []string `json:"actors"`
	Targets  []string `json:"targets"`
	Protocol int      `json:"protocol"`
	Ports    []int    `json:"ports"` // destination ports contacted
	Sessions int      `json:"sessions"`

	// What was written: every record of the incident on every ENI (the
	// responder's replies and the NAT gateway's copies included).
	FirstStart int64            `json:"first_start"`
	LastEnd    int64            `json:"last_end"`
	Records    int64            `json:"records"`
	Bytes      int64            `json:"bytes"`
	Packets    int64            `json:"packets"`
	Accepted   int64            `json:"accepted"`
	Rejected   int64            `json:"rejected"`
	Interfaces []InterfaceCount `json:"interfaces"`
}

// InterfaceCount is an incident's records on one ENI.
type InterfaceCount struct {
	InterfaceID string `json:"interface_id"`
	Records     int64  `json:"records"`
	Bytes       int64  `json:"bytes"`
}

// acc accumulates the truth of one runner; world.truth merges them.
type acc struct {
	files, lines, records int64
	status, action        [3]int64
	bytes, packets        int64
	minStart, maxEnd      int64
	talk                  []int64 // bytes by address id
	pairs                 map[[2]int32]*PairStat
	ioc                   []IOCMatch
	inc                   []incAcc
	parts                 []Partition // in date order
}

type incAcc struct {
	Incident
	ifaces map[*eni]*InterfaceCount
}

func newAcc(w *world) *acc {
	a := &acc{
		minStart: 1<<63 - 1,
		talk:     make([]int64, len(w.addrs)),
		pairs:    map[[2]int32]*PairStat{},
		ioc:      make([]IOCMatch, len(w.iocs)),
		inc:      make([]incAcc, len(w.incidents)),
	}
	for i := range a.inc {
		a.inc[i].ifaces = map[*eni]*InterfaceCount{}
	}
	return a
}

// add accounts one written record.
func (a *acc) add(w *world, v *vpc, x *rec) {
	a.records++
	a.status[x.status]++
	a.action[x.action]++
	a.minStart = min(a.minStart, x.start)
	a.maxEnd = max(a.maxEnd, x.end)
	if x.status != statusOK {
		return
	}
	a.bytes += x.bytes
	a.packets += x.packets
	a.talk[x.src] += x.bytes
	a.talk[x.dst] += x.bytes
	if x.src == w.ratioIP || x.dst == w.ratioIP {
		k := [2]int32{x.src, x.dst}
		p := a.pairs[k]
		if p == nil {
			p = &PairStat{FirstStart: x.start, LastEnd: x.end}
			a.pairs[k] = p
		}
		p.Records++
		p.TotalBytes += x.bytes
		p.FirstStart = min(p.FirstStart, x.start)
		p.LastEnd = max(p.LastEnd, x.end)
	}
	if ds, ss := w.addrIOC[x.dst], w.addrIOC[x.src]; ds >= 0 || ss >= 0 {
		if ds >= 0 {
			a.iocHit(x, ds, false)
		}
		if ss >= 0 && ss != ds {
			a.iocHit(x, ss, true)
		}
	}
	if v.hasPktS || v.hasPktD {
		ps, pd := int16(-1), int16(-1)
		if v.hasPktS {
			ps = w.addrIOC[x.psrc]
		}
		if v.hasPktD {
			pd = w.addrIOC[x.pdst]
		}
		if ps >= 0 {
			a.ioc[ps].PktRecords++
		}
		if pd >= 0 && pd != ps {
			a.ioc[pd].PktRecords++
		}
	}
	if x.inc > 0 {
		m := &a.inc[x.inc-1]
		if m.Records == 0 {
			m.FirstStart, m.LastEnd = x.start, x.end
		}
		m.Records++
		m.Bytes += x.bytes
		m.Packets += x.packets
		m.FirstStart = min(m.FirstStart, x.start)
		m.LastEnd = max(m.LastEnd, x.end)
		if x.action == actReject {
			m.Rejected++
		} else {
			m.Accepted++
		}
		c := m.ifaces[x.eni]
		if c == nil {
			c = &InterfaceCount{InterfaceID: x.eni.id}
			m.ifaces[x.eni] = c
		}
		c.Records++
		c.Bytes += x.bytes
	}
}

func (a *acc) iocHit(x *rec, j int16, inbound bool) {
	m := &a.ioc[j]
	if m.Records == 0 || x.start < m.FirstStart {
		m.FirstStart = x.start
	}
	m.LastEnd = max(m.LastEnd, x.end)
	m.Records++
	m.Bytes += x.bytes
	m.Packets += x.packets
	if inbound {
		m.Inbound++
	} else {
		m.Outbound++
	}
	if x.action == actReject {
		m.Rejected++
	} else {
		m.Accepted++
	}
}

// file accounts one written object for the window starting at t.
func (a *acc) file(t time.Time, records, bytes int64) {
	a.files++
	a.lines += records + 1
	date := t.Format("2006/01/02")
	if n := len(a.parts); n == 0 || a.parts[n-1].Date != date {
		a.parts = append(a.parts, Partition{Date: date})
	}
	p := &a.parts[len(a.parts)-1]
	p.Files++
	p.Records += records
	p.Bytes += bytes
}

// truth merges the runners' accumulators (in VPC order, so the result does
// not depend on scheduling).
func (w *world) truth(accs []*acc) *Truth {
	t := &Truth{
		Seed:      w.cfg.Seed,
		Start:     w.cfg.Start,
		End:       w.cfg.Start.Add(w.cfg.Duration),
		ByStatus:  map[string]int64{},
		ByAction:  map[string]int64{},
		MinStart:  1<<63 - 1,
		DataRatio: DataRatio{IP: w.ratioText, Pairs: []PairStat{}},
	}
	talk := make([]int64, len(w.addrs))
	pairs := map[[2]int32]*PairStat{}
	t.IOCs = make([]IOCMatch, len(w.iocs))
	for i, e := range w.iocs {
		t.IOCs[i] = IOCMatch{IOC: e.text, Comment: e.comment}
	}
	t.Incidents = make([]Incident, len(w.incidents))
	copy(t.Incidents, w.incidents)
	ifaces := make([]map[string]*InterfaceCount, len(w.incidents))
	for i := range ifaces {
		ifaces[i] = map[string]*InterfaceCount{}
	}
	byAccount := map[string]int{} // index into t.Accounts
	for _, v := range w.vpcs {
		if _, ok := byAccount[v.account.ID]; !ok {
			byAccount[v.account.ID] = len(t.Accounts)
			t.Accounts = append(t.Accounts, AccountInfo{ID: v.account.ID, Format: v.format, Header: v.header[:len(v.header)-1],
				Version: v.versionN, Layout: v.account.Layout, Interval: v.account.Interval, Prefix: v.account.Prefix})
		}
	}
	for i, a := range accs {
		v := w.vpcs[i]
		ai := &t.Accounts[byAccount[v.account.ID]]
		ai.FlowLogs = append(ai.FlowLogs, FlowLogInfo{Region: v.region, FlowLogID: v.flowLog, VPCID: v.id, VPCCIDR: v.cidr,
			NATAddress: w.addrs[v.nat.ip4], Interfaces: len(v.enis), Files: a.files, Records: a.records})
		t.Files += a.files
		t.Lines += a.lines
		t.Records += a.records
		for k, s := range statusText {
			t.ByStatus[s] += a.status[k]
		}
		for k, s := range actionText {
			t.ByAction[s] += a.action[k]
		}
		t.Bytes += a.bytes
		t.Packets += a.packets
		if a.records > 0 {
			t.MinStart = min(t.MinStart, a.minStart)
			t.MaxEnd = max(t.MaxEnd, a.maxEnd)
		}
		for j, b := range a.talk {
			talk[j] += b
		}
		for k, p := range a.pairs {
			q := pairs[k]
			if q == nil {
				c := *p
				pairs[k] = &c
				continue
			}
			q.Records += p.Records
			q.TotalBytes += p.TotalBytes
			q.FirstStart = min(q.FirstStart, p.FirstStart)
			q.LastEnd = max(q.LastEnd, p.LastEnd)
		}
		for j := range a.ioc {
			m, p := &t.IOCs[j], &a.ioc[j]
			if p.Records > 0 {
				if m.Records == 0 || p.FirstStart < m.FirstStart {
					m.FirstStart = p.FirstStart
				}
				m.LastEnd = max(m.LastEnd, p.LastEnd)
			}
			m.Records += p.Records
			m.Bytes += p.Bytes
			m.Packets += p.Packets
			m.Inbound += p.Inbound
			m.Outbound += p.Outbound
			m.Accepted += p.Accepted
			m.Rejected += p.Rejected
			m.PktRecords += p.PktRecords
		}
		for j := range a.inc {
			m, p := &t.Incidents[j], &a.inc[j]
			if p.Records > 0 {
				if m.Records == 0 || p.FirstStart < m.FirstStart {
					m.FirstStart = p.FirstStart
				}
				m.LastEnd = max(m.LastEnd, p.LastEnd)
			}
			m.Records += p.Records
			m.Bytes += p.Bytes
			m.Packets += p.Packets
			m.Accepted += p.Accepted
			m.Rejected += p.Rejected
			for _, c := range p.ifaces {
				ifaces[j][c.InterfaceID] = c
			}
		}
		for _, p := range a.parts {
			p.Account, p.Region = v.account.ID, v.region
			t.Partitions = append(t.Partitions, p)
		}
	}
	if t.Records == 0 {
		t.MinStart = 0
	}
	slices.SortStableFunc(t.Partitions, func(a, b Partition) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Date, b.Date))
	})
	for j := range t.Incidents {
		t.Incidents[j].Interfaces = []InterfaceCount{}
		for _, c := range ifaces[j] {
			t.Incidents[j].Interfaces = append(t.Incidents[j].Interfaces, *c)
		}
		slices.SortFunc(t.Incidents[j].Interfaces, func(a, b InterfaceCount) int { return cmp.Compare(a.InterfaceID, b.InterfaceID) })
	}

	// Top talkers: a partial selection would do, but a full sort of the
	// bounded address table is simple and fast enough.
	ids := make([]int32, 0, len(talk))
	for j, b := range talk {
		if b > 0 {
			ids = append(ids, int32(j))
		}
	}
	slices.SortFunc(ids, func(a, b int32) int {
		return cmp.Or(cmp.Compare(talk[b], talk[a]), cmp.Compare(w.addrs[a], w.addrs[b]))
	})
	t.TopTalkers = []Talker{}
	for _, j := range ids[:min(10, len(ids))] {
		t.TopTalkers = append(t.TopTalkers, Talker{IP: w.addrs[j], Bytes: talk[j]})
	}

	for k, p := range pairs {
		p.Src, p.Dst = w.addrs[k[0]], w.addrs[k[1]]
		p.Ratio = p.TotalBytes / p.Records
		t.DataRatio.Pairs = append(t.DataRatio.Pairs, *p)
	}
	slices.SortFunc(t.DataRatio.Pairs, func(a, b PairStat) int {
		return cmp.Or(cmp.Compare(b.TotalBytes, a.TotalBytes), cmp.Compare(a.Src, b.Src), cmp.Compare(a.Dst, b.Dst))
	})
	return t
}
