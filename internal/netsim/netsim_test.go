package netsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// corpus200k is generated once for the tests that read files.
var corpus200k struct {
	dir   string
	truth *Truth
	err   error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "netsim")
	if err != nil {
		panic(err)
	}
	corpus200k.dir = filepath.Join(dir, "c")
	corpus200k.truth, corpus200k.err = Generate(Config{Dir: corpus200k.dir, Seed: 7, Records: 200_000})
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func corpus(t *testing.T) (string, *Truth) {
	t.Helper()
	if corpus200k.err != nil {
		t.Fatal(corpus200k.err)
	}
	return corpus200k.dir, corpus200k.truth
}

// line is one record read back from the files, with the values the checks
// need.
type line struct {
	file                 string
	stamp                int64
	account, eni         string
	src, dst, pkts, pktd string
	sport, dport, proto  int64
	packets, bytes       int64
	start, end           int64
	action, status       string
	flags                int64 // -1 when the format has none
	dir, path, dstSvc    string
	has                  func(flow.FieldID) bool
}

// readCorpus reads every object of a corpus with flowir's own text reader.
func readCorpus(t *testing.T, dir string, fn func(l *line)) (files int, headers map[string]string) {
	t.Helper()
	headers = map[string]string{}
	err := filepath.WalkDir(filepath.Join(dir, "AWSLogs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		base := filepath.Base(path)
		parts := strings.Split(base, "_")
		if len(parts) != 6 || parts[1] != "vpcflowlogs" || !strings.HasSuffix(base, ".log.gz") {
			t.Errorf("%s: not an AWS flow log object name", base)
			return nil
		}
		stamp, err := time.Parse("20060102T1504Z", parts[4])
		if err != nil {
			t.Errorf("%s: %v", base, err)
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		tr := decode.NewTextReader(zr, flow.DefaultFormat())
		for {
			it, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			switch it.Kind {
			case decode.ItemHeader:
				if it.Line != 1 {
					t.Errorf("%s: header on line %d", base, it.Line)
				}
				headers[parts[3]] = string(it.Raw)
				continue
			case decode.ItemReject:
				t.Errorf("%s:%d: rejected: %v: %s", base, it.Line, it.Err, it.Raw)
				continue
			}
			r := it.Record
			s := func(id flow.FieldID) string {
				if !r.Has(id) {
					return ""
				}
				return string(r.Str[id])
			}
			l := &line{file: base, stamp: stamp.Unix(), account: s(flow.AccountID), eni: s(flow.InterfaceID),
				src: s(flow.SrcAddr), dst: s(flow.DstAddr), pkts: s(flow.PktSrcAddr), pktd: s(flow.PktDstAddr),
				sport: r.Num[flow.SrcPort], dport: r.Num[flow.DstPort], proto: r.Num[flow.Protocol],
				packets: r.Num[flow.Packets], bytes: r.Num[flow.Bytes], start: r.Num[flow.Start], end: r.Num[flow.End],
				action: s(flow.Action), status: s(flow.LogStatus), flags: -1, dir: s(flow.FlowDirection), dstSvc: s(flow.PktDstAWSService),
				has: r.Has}
			if r.Has(flow.TCPFlags) {
				l.flags = r.Num[flow.TCPFlags]
			}
			if r.Has(flow.TrafficPath) {
				l.path = fmt.Sprint(r.Num[flow.TrafficPath])
			}
			fn(l)
		}
		if tr.Rejects != 0 {
			t.Errorf("%s: %d rejects", base, tr.Rejects)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, headers
}

// TestCorpusFollowsAWS reads the corpus back and checks the aggregation
// semantics AWS documents (reference 1.1, 1.5, 1.6, 3.1, 3.4, 6.3).
func TestCorpusFollowsAWS(t *testing.T) {
	dir, truth := corpus(t)
	if truth.Late != 0 {
		t.Errorf("%d connections generated after their file was written", truth.Late)
	}
	iv := map[string]int64{}
	nat := map[string]string{}
	for _, fl := range truth.FlowLogs {
		iv[fl.Account] = int64(fl.Interval)
		nat[fl.Account] = fl.NAT
	}
	type key struct {
		eni, src, dst       string
		sport, dport, proto int64
		end                 int64
	}
	seen := map[key]bool{}
	var records, bytes, nodata, skip, v6, closing int64
	statuses := map[string]int64{}
	files, headers := readCorpus(t, dir, func(l *line) {
		records++
		statuses[l.status]++
		if l.end < l.stamp || l.end >= l.stamp+filePeriod {
			t.Errorf("%s: end %d outside the object's five minutes from %d", l.file, l.end, l.stamp)
		}
		w := iv[l.account]
		if l.status != "OK" {
			if l.status == "NODATA" {
				nodata++
			} else {
				skip++
			}
			if l.end-l.start != w || l.src != "" {
				t.Errorf("%s: %s record spans %d s (want the %d-second window) or has addresses", l.file, l.status, l.end-l.start, w)
			}
			return
		}
		bytes += l.bytes
		// start is the first packet within the window, end the window's close.
		if l.start >= l.end || l.start < l.end-w {
			t.Errorf("%s: start %d end %d outside one %d-second window", l.file, l.start, l.end, w)
		}
		k := key{l.eni, l.src, l.dst, l.sport, l.dport, l.proto, l.end}
		if seen[k] {
			t.Errorf("%s: two records of one 5-tuple on %s in the window ending %d: %+v", l.file, l.eni, l.end, k)
		}
		seen[k] = true
		if l.packets <= 0 || l.bytes < 20*l.packets || l.bytes > 1600*l.packets {
			t.Errorf("%s: %d packets %d bytes", l.file, l.packets, l.bytes)
		}
		if l.flags >= 0 && l.flags&^(1|2|4|16) != 0 {
			t.Errorf("%s: tcp-flags %d has bits flow logs do not report", l.file, l.flags)
		}
		if l.flags == 1 && l.packets <= 2 {
			closing++
		}
		if l.has(flow.TrafficPath) && l.dir != "egress" {
			t.Errorf("%s: traffic-path %s on an %s record", l.file, l.path, l.dir)
		}
		if strings.Contains(l.src, ":") {
			v6++
		}
		// On a NAT gateway's interface srcaddr/dstaddr show the NAT where the
		// packet addresses differ (reference 6.3).
		if l.pkts != "" && l.pkts != l.src && l.src != nat[l.account] {
			t.Errorf("%s: pkt-srcaddr %s differs from srcaddr %s, which is not the NAT", l.file, l.pkts, l.src)
		}
		if l.pktd != "" && l.pktd != l.dst && l.dst != nat[l.account] {
			t.Errorf("%s: pkt-dstaddr %s differs from dstaddr %s, which is not the NAT", l.file, l.pktd, l.dst)
		}
		if l.dstSvc != "" && awsService(netip.MustParseAddr(l.pktd)) != l.dstSvc {
			t.Errorf("%s: pkt-dst-aws-service %s for %s", l.file, l.dstSvc, l.pktd)
		}
	})
	if records != truth.Records || bytes != truth.Bytes || files != truth.Files {
		t.Errorf("read %d records, %d bytes, %d files; truth %d, %d, %d", records, bytes, files, truth.Records, truth.Bytes, truth.Files)
	}
	if nodata == 0 || skip == 0 || v6 == 0 || closing == 0 {
		t.Errorf("want NODATA (%d), SKIPDATA (%d), IPv6 (%d) and closing-only records (%d)", nodata, skip, v6, closing)
	}
	for _, fl := range truth.FlowLogs {
		f, err := flow.ParseFormat(fl.Format)
		if err != nil {
			t.Fatal(err)
		}
		if headers[fl.ID] != f.Header() {
			t.Errorf("flow log %s: header %q, want %q", fl.ID, headers[fl.ID], f.Header())
		}
	}
	if len(truth.FlowLogs) != 4 {
		t.Errorf("%d flow logs", len(truth.FlowLogs))
	}
	for _, m := range truth.Incidents {
		if m.Records == 0 || len(m.Rules) == 0 || len(m.Targets) == 0 || !m.Start.Before(m.End) {
			t.Errorf("incident %s: %d records, rules %v, targets %d, %s to %s", m.ID, m.Records, m.Rules, len(m.Targets), m.Start, m.End)
		}
	}
}

// TestConnectionRecords checks how one connection becomes records: both
// directions, on every interface it crosses, split across capture windows,
// with the handshake's and the close's flags in the windows they fall in.
func TestConnectionRecords(t *testing.T) {
	g := &gen{t0: 0, t1: 86400, truth: &Truth{}, objSpan: filePeriod}
	g.portRng = g.stream("p")
	g.ids = ids{g.stream("i")}
	g.setup = g.stream("s")
	v := g.newVPC("t", "111122223333", "us-east-1", "10.0.0.0/16", formatProd, 60, layoutDaily)
	g.vpcs = []*vpc{v}
	pub := v.addSubnet(g, "10.0.0.0/24", "", "use1-az1", true)
	priv := v.addSubnet(g, "10.0.1.0/24", "", "use1-az1", false)
	v.nat = g.host(v, pub, "nat", true)
	h := g.host(v, priv, "host", false)
	h.eni.phase, v.nat.eni.phase = 0, 30
	x := ext(netip.MustParseAddr("203.0.113.5"), "")
	// Open at 100, data until 170, idle, closed at 300: the close is alone
	// in its window on the host (windows [60,120) [120,180) [180,240)
	// [240,300) [300,360)).
	c := g.tcp(h, x, 443).syn(100).stream(101, 170, 6000, 600_000).fin(300)
	c.cport, c.natPort = 40000, 50000
	g.emit(c)
	var lines []string
	for _, b := range v.fl.slots {
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	got := map[string]int{}
	for _, l := range lines {
		f := strings.Fields(l)
		// srcaddr dstaddr srcport dstport ... end flags pkt-src pkt-dst direction path
		got[strings.Join([]string{f[2][:len("eni-")], f[3], f[4], f[5], f[6], f[11], f[17], f[19], f[20], f[27], f[28]}, " ")]++
	}
	hostENI, natENI := h.eni.id, v.nat.eni.id
	_ = hostENI
	_ = natENI
	want := []string{
		// The host's interface: windows ending 120, 180, 360.
		"eni- 10.0.1.10 203.0.113.5 40000 443 120 2 10.0.1.10 203.0.113.5 egress 1",
		"eni- 203.0.113.5 10.0.1.10 443 40000 120 18 203.0.113.5 10.0.1.10 ingress -",
		"eni- 10.0.1.10 203.0.113.5 40000 443 180 0 10.0.1.10 203.0.113.5 egress 1",
		"eni- 203.0.113.5 10.0.1.10 443 40000 180 0 203.0.113.5 10.0.1.10 ingress -",
		"eni- 10.0.1.10 203.0.113.5 40000 443 360 1 10.0.1.10 203.0.113.5 egress 1",
		"eni- 203.0.113.5 10.0.1.10 443 40000 360 1 203.0.113.5 10.0.1.10 ingress -",
	}
	for _, w := range want {
		if got[w] != 1 {
			t.Errorf("missing %q", w)
		}
	}
	// The NAT's interface (windows phase 30: [90,150) [150,210) [270,330)):
	// inside leg host -> NAT with pkt-dstaddr the internet host, outside leg
	// NAT -> internet from the NAT's own port.
	for _, w := range []string{
		"eni- 10.0.1.10 10.0.0.10 40000 443 150 2 10.0.1.10 203.0.113.5 ingress -",
		"eni- 10.0.0.10 10.0.1.10 443 40000 150 18 203.0.113.5 10.0.1.10 egress 1",
		"eni- 10.0.0.10 203.0.113.5 50000 443 150 2 10.0.0.10 203.0.113.5 egress 8",
		"eni- 203.0.113.5 10.0.0.10 443 50000 150 18 203.0.113.5 10.0.0.10 ingress -",
		"eni- 10.0.0.10 203.0.113.5 50000 443 330 1 10.0.0.10 203.0.113.5 egress 8",
	} {
		if got[w] != 1 {
			t.Errorf("missing %q", w)
		}
	}
	if len(lines) != 6+4*3 {
		t.Errorf("%d records, want 18:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if t.Failed() {
		t.Logf("records:\n%s", strings.Join(lines, "\n"))
	}
}

func digest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(dir, path)
		h.Write([]byte(rel))
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return err
			}
			_, err = io.Copy(h, zr)
			return err
		}
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	if _, err := Generate(Config{Dir: a, Seed: 3, Workers: 1, hours: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(Config{Dir: b, Seed: 3, Workers: 4, hours: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(Config{Dir: c, Seed: 4, hours: 3}); err != nil {
		t.Fatal(err)
	}
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Errorf("same seed, different output: %s %s", da, db)
	}
	if digest(t, a) == digest(t, c) {
		t.Error("different seeds, same output")
	}
	if _, err := Generate(Config{Dir: a, Seed: 3, hours: 1}); err == nil {
		t.Error("generating over a corpus succeeded")
	}
}

// TestSizes: Records sets the size within 15% (above the smallest network),
// and generation is fast.
func TestSizes(t *testing.T) {
	for _, c := range []struct{ records, lo, hi int64 }{
		{1, 300_000, 450_000}, // the smallest network
		{1_000_000, 850_000, 1_150_000},
	} {
		start := time.Now()
		tr, err := Generate(Config{Seed: 1, Records: int(c.records)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d: %d records, %d hosts in %s", c.records, tr.Records, tr.Hosts, time.Since(start))
		if tr.Records < c.lo || tr.Records > c.hi {
			t.Errorf("asked for %d records, got %d (want %d to %d)", c.records, tr.Records, c.lo, c.hi)
		}
		if len(tr.Incidents) != 12 {
			t.Errorf("%d incidents", len(tr.Incidents))
		}
	}
	tr, err := Generate(Config{Seed: 1, NoIncidents: true, hours: 6})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Incidents) != 0 || tr.Background["incident beacon"] != 0 {
		t.Errorf("NoIncidents: %d incidents", len(tr.Incidents))
	}
}

func TestFilesBeside(t *testing.T) {
	dir, truth := corpus(t)
	b, err := os.ReadFile(filepath.Join(dir, IOCFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("threat_ip,threat_comment\n")) || !bytes.Contains(b, []byte(miningAddr)) || !bytes.Contains(b, []byte("170.114.0.0/16")) {
		t.Errorf("IOC file:\n%s", b)
	}
	var ranges struct {
		Prefixes []struct {
			IPPrefix string `json:"ip_prefix"`
			Service  string `json:"service"`
		} `json:"prefixes"`
	}
	b, err = os.ReadFile(filepath.Join(dir, AWSRangesFile))
	if err != nil || json.Unmarshal(b, &ranges) != nil || len(ranges.Prefixes) < len(awsRanges) {
		t.Fatalf("aws ranges: %v %d", err, len(ranges.Prefixes))
	}
	var back Truth
	b, err = os.ReadFile(filepath.Join(dir, TruthFile))
	if err != nil || json.Unmarshal(b, &back) != nil {
		t.Fatal(err)
	}
	if back.Records != truth.Records || len(back.Incidents) != len(truth.Incidents) {
		t.Errorf("truth.json: %d records, %d incidents", back.Records, len(back.Incidents))
	}
}

func TestScore(t *testing.T) {
	t0 := time.Date(2025, 3, 11, 9, 0, 0, 0, time.UTC)
	tr := &Truth{Incidents: []Incident{
		{ID: "brute", Rules: []string{"brute-force"}, Related: []string{"exposed-admin-port"}, Actors: []string{"179.43.187.10", "179.43.187.22"},
			Targets: []string{"10.40.0.20"}, Start: t0, End: t0.Add(time.Hour)},
		{ID: "exposed", Rules: []string{"exposed-admin-port"}, Targets: []string{"10.80.0.11"}, Start: t0, End: t0.Add(24 * time.Hour)},
		{ID: "sweep", Rules: []string{"port-scan-horizontal"}, Actors: []string{"10.60.32.20"}, Targets: []string{"10.60.10.1", "10.60.10.2", "10.60.10.3"},
			Start: t0, End: t0.Add(5 * time.Minute)},
	}}
	in := func(d time.Duration) (time.Time, time.Time) { return t0.Add(d), t0.Add(d + time.Minute) }
	f := func(rule, sev, actor, target string, targets []string, d time.Duration) Finding {
		a, b := in(d)
		return Finding{Rule: rule, Severity: sev, Actor: actor, Target: target, Targets: targets, First: a, Last: b}
	}
	s := tr.Score([]Finding{
		f("brute-force", "high", "179.43.187.0/24", "10.40.0.20", nil, 10*time.Minute),                // found, by network
		f("exposed-admin-port", "medium", "179.43.187.22", "10.40.0.20", nil, 10*time.Minute),         // related
		f("brute-force", "high", "179.43.187.10", "10.40.0.20", nil, 5*time.Hour),                     // too late: unrelated
		f("exposed-admin-port", "high", "185.156.73.91", "10.80.0.11", nil, 3*time.Hour),              // found, any actor
		f("port-scan-horizontal", "high", "10.60.32.20", "", []string{"10.60.10.1", "10.60.10.9"}, 0), // a target outside
		f("beaconing", "medium", "10.60.32.20", "3.91.171.208", nil, 0),                               // unrelated
	})
	if s.Found != 2 || !slices.Equal(s.Missed, []string{"sweep"}) || s.Related != 1 || len(s.Unrelated) != 3 || s.UnrelatedHigh != 2 ||
		s.ByRule["brute-force"] != [2]int{1, 1} || s.PerIncident["brute"] != 1 {
		t.Errorf("score: %+v", s)
	}
}
