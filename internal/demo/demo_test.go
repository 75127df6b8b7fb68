package demo

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests read the corpus back with their own minimal reader (the standard
// library's gzip and strings.Fields), independent of flowir's decoder, and
// check it against the Truth the generator computed while writing.

var (
	corpusOnce  sync.Once
	corpusDir   string
	corpusTruth *Truth
	corpusErr   error
)

// defaultCorpus generates the default corpus once for all tests.
func defaultCorpus(t *testing.T) (string, *Truth) {
	t.Helper()
	corpusOnce.Do(func() {
		corpusDir, corpusErr = os.MkdirTemp("", "flowir-demo-test-")
		if corpusErr == nil {
			corpusTruth, corpusErr = Generate(Config{Dir: corpusDir, Seed: 42})
		}
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusDir, corpusTruth
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusDir != "" {
		os.RemoveAll(corpusDir)
	}
	os.Exit(code)
}

// line is one record read back: the header's field names mapped to values.
type line struct {
	file   *file
	fields []string
}

func (l line) get(name string) (string, bool) {
	i, ok := l.file.idx[name]
	if !ok {
		return "", false
	}
	return l.fields[i], true
}

func (l line) num(t *testing.T, name string) int64 {
	s, _ := l.get(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: %s=%q is not a number", l.file.key, name, s)
	}
	return n
}

type file struct {
	key                     string // path relative to Dir, slash-separated
	account, region, flowID string
	date, hour, stamp       string
	layout                  Layout
	header                  []string
	idx                     map[string]int
	lines                   int
}

const nameRE = `(\d{12})_vpcflowlogs_([a-z0-9-]+)_(fl-[0-9a-f]{17})_(\d{8}T\d{2}\d{2}Z)_[0-9a-f]{8}\.log\.gz$`

var layoutREs = map[Layout]*regexp.Regexp{
	LayoutDaily:      regexp.MustCompile(`^AWSLogs/(\d{12})/vpcflowlogs/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/()` + nameRE),
	LayoutHourly:     regexp.MustCompile(`^AWSLogs/(\d{12})/vpcflowlogs/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/` + nameRE),
	LayoutHive:       regexp.MustCompile(`^AWSLogs/aws-account-id=(\d{12})/aws-service=vpcflowlogs/aws-region=([a-z0-9-]+)/year=(\d{4})/month=(\d{2})/day=(\d{2})/()` + nameRE),
	LayoutHiveHourly: regexp.MustCompile(`^AWSLogs/aws-account-id=(\d{12})/aws-service=vpcflowlogs/aws-region=([a-z0-9-]+)/year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/` + nameRE),
}

// readCorpus reads every object under dir/AWSLogs and calls fn for each
// record. It checks the key layout and that every line has as many fields
// as the header.
func readCorpus(t *testing.T, dir string, fn func(line)) []*file {
	t.Helper()
	var files []*file
	root := filepath.Join(dir, "AWSLogs")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		f := &file{key: filepath.ToSlash(rel), idx: map[string]int{}}
		matched := false
		for l, re := range layoutREs {
			m := re.FindStringSubmatch(f.key)
			if m == nil {
				continue
			}
			matched = true
			f.layout = l
			f.account, f.region, f.date, f.hour = m[1], m[2], m[3]+"/"+m[4]+"/"+m[5], m[6]
			if m[7] != f.account || m[8] != f.region {
				t.Errorf("%s: account/region in the name differ from the folders", f.key)
			}
			f.flowID, f.stamp = m[9], m[10]
			if f.stamp[:8] != m[3]+m[4]+m[5] || (f.hour != "" && f.stamp[9:11] != f.hour) {
				t.Errorf("%s: timestamp %s does not match the partition folders", f.key, f.stamp)
			}
		}
		if !matched {
			t.Errorf("%s: key does not follow an AWS layout", f.key)
			return nil
		}
		fh, err := os.Open(path)
		if err != nil {
			return err
		}
		defer fh.Close()
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			f.lines++
			fields := strings.Fields(sc.Text())
			if f.lines == 1 {
				f.header = fields
				for i, n := range fields {
					f.idx[n] = i
				}
				continue
			}
			if len(fields) != len(f.header) {
				t.Fatalf("%s line %d: %d fields, header has %d", f.key, f.lines, len(fields), len(f.header))
			}
			fn(line{file: f, fields: fields})
		}
		if err := sc.Err(); err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// docRanges are the documentation ranges reserved for planted actors.
var docRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

func isDoc(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	for _, p := range docRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestTruthMatchesFiles(t *testing.T) {
	dir, truth := defaultCorpus(t)

	var (
		records, bytes, packets int64
		minStart, maxEnd        = int64(1<<63 - 1), int64(0)
		byStatus                = map[string]int64{}
		byAction                = map[string]int64{}
		talk                    = map[string]int64{}
		parts                   = map[[3]string]*Partition{}
		pairs                   = map[[2]string]*PairStat{}
	)
	var iocs []netip.Prefix
	for _, m := range truth.IOCs {
		p, err := netip.ParsePrefix(m.IOC)
		if err != nil {
			a := netip.MustParseAddr(m.IOC)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		iocs = append(iocs, p)
	}
	iocRecs := make([]int64, len(iocs))
	iocBytes := make([]int64, len(iocs))
	iocOut := make([]int64, len(iocs))
	in := func(s string, p netip.Prefix) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && p.Contains(a)
	}
	files := readCorpus(t, dir, func(l line) {
		records++
		st, _ := l.get("log-status")
		act, _ := l.get("action")
		byStatus[st]++
		byAction[act]++
		start, end := l.num(t, "start"), l.num(t, "end")
		minStart, maxEnd = min(minStart, start), max(maxEnd, end)
		k := [3]string{l.file.account, l.file.region, l.file.date}
		p := parts[k]
		if p == nil {
			p = &Partition{Account: k[0], Region: k[1], Date: k[2]}
			parts[k] = p
		}
		p.Records++
		b, _ := l.get("bytes")
		if b == "-" {
			return
		}
		n := l.num(t, "bytes")
		bytes += n
		packets += l.num(t, "packets")
		p.Bytes += n
		src, _ := l.get("srcaddr")
		dst, _ := l.get("dstaddr")
		talk[src] += n
		talk[dst] += n
		if src == truth.DataRatio.IP || dst == truth.DataRatio.IP {
			q := pairs[[2]string{src, dst}]
			if q == nil {
				q = &PairStat{Src: src, Dst: dst, FirstStart: start, LastEnd: end}
				pairs[[2]string{src, dst}] = q
			}
			q.Records++
			q.TotalBytes += n
			q.FirstStart, q.LastEnd = min(q.FirstStart, start), max(q.LastEnd, end)
		}
		for i, pfx := range iocs {
			if in(src, pfx) || in(dst, pfx) {
				iocRecs[i]++
				iocBytes[i] += n
				if in(dst, pfx) {
					iocOut[i]++
				}
			}
		}
	})

	var lines int64
	for _, f := range files {
		lines += int64(f.lines)
		parts[[3]string{f.account, f.region, f.date}].Files++
	}
	check := func(name string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: files say %d, truth says %d", name, got, want)
		}
	}
	check("files", int64(len(files)), truth.Files)
	check("lines", lines, truth.Lines)
	check("records", records, truth.Records)
	check("bytes", bytes, truth.Bytes)
	check("packets", packets, truth.Packets)
	check("min start", minStart, truth.MinStart)
	check("max end", maxEnd, truth.MaxEnd)
	for _, s := range []string{"OK", "NODATA", "SKIPDATA"} {
		check("status "+s, byStatus[s], truth.ByStatus[s])
		if byStatus[s] == 0 {
			t.Errorf("no %s records", s)
		}
	}
	for _, s := range []string{"ACCEPT", "REJECT", "-"} {
		check("action "+s, byAction[s], truth.ByAction[s])
		if byAction[s] == 0 {
			t.Errorf("no records with action %s", s)
		}
	}
	if truth.Records < 18000 || truth.Records > 22000 {
		t.Errorf("asked for about 20000 records, got %d", truth.Records)
	}

	var gotParts []Partition
	for _, p := range parts {
		gotParts = append(gotParts, *p)
	}
	slices.SortFunc(gotParts, func(a, b Partition) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Date, b.Date))
	})
	if !slices.Equal(gotParts, truth.Partitions) {
		t.Errorf("partitions:\nfiles %v\ntruth %v", gotParts, truth.Partitions)
	}

	type kv struct {
		ip string
		b  int64
	}
	var tk []kv
	for ip, b := range talk {
		tk = append(tk, kv{ip, b})
	}
	slices.SortFunc(tk, func(a, b kv) int { return cmp.Or(cmp.Compare(b.b, a.b), cmp.Compare(a.ip, b.ip)) })
	if len(truth.TopTalkers) != 10 {
		t.Fatalf("%d top talkers", len(truth.TopTalkers))
	}
	for i, tt := range truth.TopTalkers {
		if tk[i].ip != tt.IP || tk[i].b != tt.Bytes {
			t.Errorf("top talker %d: files %s %d, truth %s %d", i, tk[i].ip, tk[i].b, tt.IP, tt.Bytes)
		}
	}

	if len(pairs) != len(truth.DataRatio.Pairs) || len(pairs) < 5 {
		t.Errorf("data ratio for %s: %d pairs in files, %d in truth", truth.DataRatio.IP, len(pairs), len(truth.DataRatio.Pairs))
	}
	for _, p := range truth.DataRatio.Pairs {
		q := pairs[[2]string{p.Src, p.Dst}]
		if q == nil || q.Records != p.Records || q.TotalBytes != p.TotalBytes || q.FirstStart != p.FirstStart || q.LastEnd != p.LastEnd || p.Ratio != p.TotalBytes/p.Records {
			t.Errorf("data ratio pair %s -> %s: files %+v, truth %+v", p.Src, p.Dst, q, p)
		}
	}

	for i, m := range truth.IOCs {
		if iocRecs[i] != m.Records || iocBytes[i] != m.Bytes || iocOut[i] != m.Outbound || m.Inbound+m.Outbound != m.Records {
			t.Errorf("IOC %s: files %d records %d bytes %d outbound, truth %+v", m.IOC, iocRecs[i], iocBytes[i], iocOut[i], m)
		}
	}
}

func TestRecordsAreWellFormed(t *testing.T) {
	dir, truth := defaultCorpus(t)
	acct := map[string]AccountInfo{}
	for _, a := range truth.Accounts {
		acct[a.ID] = a
	}
	flowFields := []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "tcp-flags",
		"type", "pkt-srcaddr", "pkt-dstaddr", "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path", "reject-reason"}
	flags := map[string]int{}
	var v6, natDiff, bpa int
	files := readCorpus(t, dir, func(l line) {
		a := acct[l.file.account]
		start, end := l.num(t, "start"), l.num(t, "end")
		stamp, err := time.Parse("20060102T1504Z", l.file.stamp)
		if err != nil {
			t.Fatal(err)
		}
		iv := int64(a.Interval)
		if start > end || end < stamp.Unix() || end >= stamp.Unix()+300 || (start-truth.Start.Unix())/iv != (end-truth.Start.Unix())/iv {
			t.Fatalf("%s: start %d end %d outside the window %s or the %d s interval", l.file.key, start, end, l.file.stamp, iv)
		}
		if ver, _ := l.get("version"); ver != strconv.Itoa(a.Version) {
			t.Fatalf("%s: version %s, format version %d", l.file.key, ver, a.Version)
		}
		st, _ := l.get("log-status")
		if st != "OK" {
			for _, f := range flowFields {
				if v, ok := l.get(f); ok && v != "-" {
					t.Fatalf("%s: %s record has %s=%s", l.file.key, st, f, v)
				}
			}
			if act, _ := l.get("action"); act != "-" {
				t.Fatalf("%s: %s record has action %s", l.file.key, st, act)
			}
			return
		}
		src, _ := l.get("srcaddr")
		dst, _ := l.get("dstaddr")
		sa, dsa := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		if ty, ok := l.get("type"); ok {
			if want := map[bool]string{true: "IPv4", false: "IPv6"}[sa.Is4()]; ty != want || sa.Is4() != dsa.Is4() {
				t.Fatalf("%s: type %s for %s -> %s", l.file.key, ty, src, dst)
			}
		}
		if sa.Is6() {
			v6++
		}
		proto, _ := l.get("protocol")
		if f, ok := l.get("tcp-flags"); ok {
			if proto != "6" && f != "0" {
				t.Fatalf("%s: protocol %s with tcp-flags %s", l.file.key, proto, f)
			}
			if proto == "6" {
				flags[f]++
			}
		}
		dir, hasDir := l.get("flow-direction")
		if tp, ok := l.get("traffic-path"); ok && hasDir && dir == "ingress" && tp != "-" {
			t.Fatalf("%s: ingress record with traffic-path %s", l.file.key, tp)
		}
		if ps, ok := l.get("pkt-srcaddr"); ok {
			pd, _ := l.get("pkt-dstaddr")
			if ps != src || pd != dst {
				natDiff++
				if inst, _ := l.get("instance-id"); inst != "-" {
					t.Fatalf("%s: packet addresses differ on an instance ENI", l.file.key)
				}
			}
		}
		if rr, ok := l.get("reject-reason"); ok && rr != "-" {
			if act, _ := l.get("action"); rr != "BPA" || act != "REJECT" {
				t.Fatalf("%s: reject-reason %s with action %s", l.file.key, rr, act)
			}
			bpa++
		}
		if ecs, ok := l.get("ecs-cluster-arn"); ok && ecs != "-" {
			t.Fatalf("%s: ecs-cluster-arn %s", l.file.key, ecs)
		}
	})
	// The tcp-flags the AWS examples show: SYN, SYN-ACK, FIN, SYN|FIN,
	// SYN-ACK|FIN, ACK-only (0), and the scanner's SYN|RST.
	for f := range flags {
		if !slices.Contains([]string{"0", "1", "2", "3", "6", "18", "19"}, f) {
			t.Errorf("unexpected tcp-flags %s", f)
		}
	}
	for _, f := range []string{"0", "1", "2", "3", "18", "19"} {
		if flags[f] == 0 {
			t.Errorf("no TCP record with tcp-flags %s", f)
		}
	}
	if v6 == 0 || natDiff == 0 || bpa == 0 {
		t.Errorf("IPv6 records %d, NAT records with packet addresses %d, BPA rejects %d: want some of each", v6, natDiff, bpa)
	}

	// Layouts and formats: every account's objects follow its layout and
	// header; one object per flow log per window.
	seen := map[string]bool{}
	layouts := map[Layout]bool{}
	for _, f := range files {
		a := acct[f.account]
		if f.layout != a.Layout || strings.Join(f.header, " ") != a.Header {
			t.Errorf("%s: layout %v header %q, account has %v %q", f.key, f.layout, f.header, a.Layout, a.Header)
		}
		okID := false
		for _, fl := range a.FlowLogs {
			okID = okID || fl.Region == f.region && fl.FlowLogID == f.flowID
		}
		if !okID {
			t.Errorf("%s: unknown flow log", f.key)
		}
		if seen[f.flowID+f.stamp] {
			t.Errorf("%s: second object for the same flow log and window", f.key)
		}
		seen[f.flowID+f.stamp] = true
		if m := f.stamp[11:13]; m[1] != '0' && m[1] != '5' {
			t.Errorf("%s: window does not start on a multiple of 5 minutes", f.key)
		}
		layouts[f.layout] = true
	}
	for _, l := range []Layout{LayoutDaily, LayoutHourly, LayoutHive} {
		if !layouts[l] {
			t.Errorf("no object in the %v layout", l)
		}
	}
	// The custom format puts bytes before packets, the v8 one has every field.
	for _, a := range truth.Accounts {
		switch a.Version {
		case 5:
			if strings.Index(a.Header, "bytes") > strings.Index(a.Header, "packets") {
				t.Errorf("custom v5 format should have bytes before packets: %s", a.Header)
			}
		case 8:
			if len(strings.Fields(a.Header)) != 40 {
				t.Errorf("v8 format has %d fields", len(strings.Fields(a.Header)))
			}
		}
	}
}

func TestIncidents(t *testing.T) {
	dir, truth := defaultCorpus(t)
	want := []string{"ssh-brute-force", "port-scan-vertical", "port-scan-horizontal", "exfiltration", "rdp-exposed", "beaconing", "ioc-contact"}
	var ids []string
	for _, inc := range truth.Incidents {
		ids = append(ids, inc.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("incidents %v, want %v", ids, want)
	}
	// Every record touching a documentation address (in any address field)
	// belongs to exactly the incident that names that address.
	owner := map[string]int{}
	for i, inc := range truth.Incidents {
		for _, a := range append(append([]string{}, inc.Actors...), inc.Targets...) {
			if isDoc(a) {
				owner[a] = i
			}
		}
	}
	recs := make([]int64, len(truth.Incidents))
	bytes := make([]int64, len(truth.Incidents))
	exfilOut := int64(0)
	exfil := truth.Incidents[3]
	readCorpus(t, dir, func(l line) {
		hit := -1
		for _, f := range []string{"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"} {
			a, _ := l.get(f)
			if !isDoc(a) {
				continue
			}
			i, ok := owner[a]
			if !ok {
				t.Fatalf("%s: documentation address %s belongs to no incident", l.file.key, a)
			}
			if hit >= 0 && hit != i {
				t.Fatalf("%s: record touches two incidents", l.file.key)
			}
			hit = i
		}
		if hit < 0 {
			return
		}
		recs[hit]++
		b := l.num(t, "bytes")
		bytes[hit] += b
		if src, _ := l.get("srcaddr"); hit == 3 && src == exfil.Actors[0] {
			exfilOut += b
		}
	})
	for i, inc := range truth.Incidents {
		if recs[i] != inc.Records || bytes[i] != inc.Bytes || inc.Records == 0 {
			t.Errorf("%s: files %d records %d bytes, truth %d records %d bytes", inc.ID, recs[i], bytes[i], inc.Records, inc.Bytes)
		}
		var n int64
		for _, c := range inc.Interfaces {
			n += c.Records
		}
		if n != inc.Records || inc.FirstStart > inc.LastEnd || inc.Sessions == 0 {
			t.Errorf("%s: inconsistent truth %+v", inc.ID, inc)
		}
	}
	if exfilOut < 400_000_000 || exfil.LastEnd-exfil.FirstStart > 15*60 {
		t.Errorf("exfiltration: %d bytes out in %d s", exfilOut, exfil.LastEnd-exfil.FirstStart)
	}
	// 900 attempts x 2 records (4 when one straddles an interval boundary),
	// and a 20-25 minute session over three or four 600 s intervals.
	if bf := truth.Incidents[0]; bf.Sessions != 901 || bf.Records < 2*900+6 || bf.Records > 2*900+60 {
		t.Errorf("ssh brute force: %d sessions, %d records", bf.Sessions, bf.Records)
	}
	if vs := truth.Incidents[1]; vs.Records != 1024+2 || vs.Rejected != 1022 {
		t.Errorf("vertical scan: %d records, %d rejected", vs.Records, vs.Rejected)
	}
	if hs := truth.Incidents[2]; int(hs.Records) != len(hs.Targets) || hs.Rejected != hs.Records || len(hs.Targets) < 50 {
		t.Errorf("horizontal scan: %d records for %d targets", hs.Records, len(hs.Targets))
	}
	if b := truth.Incidents[5]; b.Sessions < 300 || b.Records < int64(2*b.Sessions) || b.Records > int64(2*b.Sessions+b.Sessions/10) {
		t.Errorf("beaconing: %d sessions, %d records", b.Sessions, b.Records)
	}
	// IOC matches: both directions, the CIDR and the IPv6 entry hit, and the
	// prefix trap 192.0.2.4 (the brute forcer is 192.0.2.45) has no traffic.
	byIOC := map[string]IOCMatch{}
	for _, m := range truth.IOCs {
		byIOC[m.IOC] = m
	}
	for _, k := range []string{"203.0.113.66", "198.51.100.128/25", "2001:db8:bad:1::66"} {
		if m := byIOC[k]; m.Inbound == 0 || m.Outbound == 0 {
			t.Errorf("IOC %s: %+v, want traffic both ways", k, m)
		}
	}
	if m := byIOC["198.51.100.128/25"]; m.Rejected == 0 || m.Accepted == 0 {
		t.Errorf("IOC range: %+v, want accepted and rejected", m)
	}
	if m := byIOC["203.0.113.66"]; m.PktRecords <= m.Records {
		t.Errorf("IOC via NAT: %d records, %d by packet address; the NAT's inner legs should add some", m.Records, m.PktRecords)
	}
	if m := byIOC["192.0.2.4"]; m.Records != 0 {
		t.Errorf("IOC 192.0.2.4 should have no traffic: %+v", m)
	}
	if truth.DataRatio.IP != exfil.Actors[0] {
		t.Errorf("data ratio IP %s, want the exfiltrating host %s", truth.DataRatio.IP, exfil.Actors[0])
	}
	// The exfiltration is in the top two pairs of the data ratio; the other
	// is the host -> NAT gateway pair on the NAT's ENI, which carries the
	// same upload plus the host's ordinary NAT traffic.
	found := false
	for _, p := range truth.DataRatio.Pairs[:2] {
		found = found || p.Src == exfil.Actors[0] && p.Dst == exfil.Targets[0] && p.TotalBytes > 400_000_000
	}
	if !found {
		t.Errorf("data ratio: the exfiltration is not in the top pairs: %+v", truth.DataRatio.Pairs[:2])
	}
}

func TestIOCFiles(t *testing.T) {
	dir, _ := defaultCorpus(t)
	f, err := os.Open(filepath.Join(dir, IOCCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(demoIOCs)+1 || rows[0][0] != "threat_ip" || rows[0][1] != "threat_comment" || !strings.Contains(rows[1][1], ",") {
		t.Errorf("iocs.csv: %q", rows)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, IOCCSVFile))
	if !strings.Contains(string(raw), `"C2 server, reported by partner CERT"`) {
		t.Errorf("iocs.csv should quote the comment with a comma:\n%s", raw)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, IOCTxtFile))
	var entries []string
	for _, l := range strings.Split(string(txt), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			entries = append(entries, l)
		}
	}
	for i, e := range entries {
		if e != rows[i+1][0] {
			t.Errorf("iocs.txt entry %d %q, iocs.csv has %q", i, e, rows[i+1][0])
		}
	}
	js, _ := os.ReadFile(filepath.Join(dir, TruthFile))
	var back Truth
	if err := json.Unmarshal(js, &back); err != nil || back.Records != corpusTruth.Records || len(back.Incidents) != 7 {
		t.Errorf("truth.json does not round-trip: %v", err)
	}
}

// digest hashes every file under dir (path and content).
func digest(t *testing.T, dir string) (string, int) {
	t.Helper()
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		h.Write([]byte(filepath.ToSlash(rel) + "\x00"))
		h.Write(b)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func TestDeterminism(t *testing.T) {
	gen := func(seed uint64, workers int) string {
		dir := t.TempDir()
		if _, err := Generate(Config{Dir: dir, Seed: seed, Records: 8000, Duration: 12 * time.Hour, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		d, n := digest(t, dir)
		if n < 100 {
			t.Fatalf("only %d files", n)
		}
		return d
	}
	a, b, c := gen(7, 1), gen(7, 4), gen(8, 4)
	if a != b {
		t.Error("the same seed gave different corpora with 1 and 4 workers")
	}
	if a == c {
		t.Error("different seeds gave the same corpus")
	}
}

func TestNoIncidentsAndOptions(t *testing.T) {
	dir := t.TempDir()
	accts := []Account{{ID: "123456789012", Regions: []string{"sa-east-1"}, Format: CustomV5Format, Layout: LayoutHiveHourly, Interval: 60, Prefix: "flowlogs"}}
	truth, err := Generate(Config{Dir: dir, Records: 3000, Duration: 6 * time.Hour, Accounts: accts, NoIncidents: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(truth.Incidents) != 0 || truth.Records < 2700 || truth.Records > 3300 {
		t.Errorf("%d incidents, %d records", len(truth.Incidents), truth.Records)
	}
	for _, m := range truth.IOCs {
		if m.Records != 0 {
			t.Errorf("IOC %s matched without incidents", m.IOC)
		}
	}
	var keys int
	re := regexp.MustCompile(`^flowlogs/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=sa-east-1/year=2026/month=11/day=20/hour=\d{2}/123456789012_vpcflowlogs_sa-east-1_fl-[0-9a-f]{17}_20261120T\d{4}Z_[0-9a-f]{8}\.log\.gz$`)
	filepath.WalkDir(filepath.Join(dir, "flowlogs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			if !re.MatchString(filepath.ToSlash(rel)) {
				t.Errorf("key %s", rel)
			}
			keys++
		}
		return err
	})
	if int64(keys) != truth.Files {
		t.Errorf("%d objects, truth says %d", keys, truth.Files)
	}
	if _, err := Generate(Config{Dir: dir, Accounts: accts}); err == nil {
		t.Error("generating into an existing corpus should fail")
	}
	for _, bad := range []Config{
		{},
		{Dir: dir, Records: -1},
		{Dir: dir, Accounts: []Account{{ID: "12", Regions: []string{"us-east-1"}}}},
		{Dir: dir, Accounts: []Account{{ID: "123456789012", Regions: []string{"us-east-1"}, Interval: 300}}},
		{Dir: dir, Accounts: []Account{{ID: "123456789012", Regions: []string{"useast"}}}},
		{Dir: dir, Accounts: []Account{{ID: "123456789012", Regions: []string{"us-east-1"}, Format: "${version} ${version}"}}},
	} {
		if _, err := Generate(bad); err == nil {
			t.Errorf("%+v: expected an error", bad)
		}
	}
}

// BenchmarkGenerate measures generation speed on one worker (one core). The
// size is FLOWIR_DEMO_BENCH_RECORDS (default 1,000,000), e.g.
//
//	FLOWIR_DEMO_BENCH_RECORDS=10000000 go test -run - -bench Generate -benchtime 1x ./internal/demo/
func BenchmarkGenerate(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("FLOWIR_DEMO_BENCH_RECORDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	workers := 1
	if s := os.Getenv("FLOWIR_DEMO_BENCH_WORKERS"); s != "" {
		workers, _ = strconv.Atoi(s)
	}
	var records int64
	var elapsed time.Duration
	for b.Loop() {
		dir := b.TempDir()
		t0 := time.Now()
		truth, err := Generate(Config{Dir: dir, Seed: 1, Records: n, Workers: workers})
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		records += truth.Records
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
}
