package netsim

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/flow"
)

// Log statuses.
const (
	statusOK uint8 = iota
	statusNoData
	statusSkipData
)

// record is one flow log record.
type record struct {
	e              *eni
	src, dst       netip.Addr
	sport, dport   uint16
	proto          uint8
	pkts, bytes    int64
	start, end     int64
	reject         bool
	flags          uint8
	pktSrc, pktDst netip.Addr
	srcSvc, dstSvc string
	egress         bool
	path           uint8
	status         uint8
}

// Layouts of a flow log's S3 keys (reference 3.1).
const (
	layoutDaily = iota
	layoutHourly
	layoutHive
)

// filePeriod is how much time one S3 object covers: AWS publishes a file
// per flow log every five minutes, holding the records whose end time falls
// in those five minutes (reference 3.1). It is also the step in which
// traffic is generated.
const filePeriod = 300

// flowLog is one VPC's flow log: its format, aggregation interval, and the
// records waiting to be written, by five-minute file.
type flowLog struct {
	id      string
	account string
	region  string
	cols    []flow.FieldID
	version int
	header  string
	iv      int64
	layout  int
	slots   map[int64][]byte
	stats   FlowLogInfo
}

func newFlowLog(id, account, region, format string, iv int64, layout int) *flowLog {
	f, err := flow.ParseFormat(format)
	if err != nil {
		panic(fmt.Sprintf("netsim: bad format %q: %v", format, err))
	}
	fl := &flowLog{id: id, account: account, region: region, iv: iv, layout: layout,
		slots: map[int64][]byte{}, header: f.Header() + "\n", version: f.MaxVersion()}
	for _, c := range f.Cols {
		fl.cols = append(fl.cols, c.ID)
	}
	fl.stats = FlowLogInfo{ID: id, Account: account, Region: region, Format: format, Interval: int(iv)}
	return fl
}

func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, '-')
	}
	return a.AppendTo(b)
}

func appendStr(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// format appends r as a line in the flow log's format.
func (fl *flowLog) format(b []byte, r *record) []byte {
	data := r.status == statusOK
	for i, id := range fl.cols {
		if i > 0 {
			b = append(b, ' ')
		}
		switch id {
		case flow.Version:
			b = strconv.AppendInt(b, int64(fl.version), 10)
		case flow.AccountID:
			b = append(b, fl.account...)
		case flow.InterfaceID:
			b = append(b, r.e.id...)
		case flow.Start:
			b = strconv.AppendInt(b, r.start, 10)
		case flow.End:
			b = strconv.AppendInt(b, r.end, 10)
		case flow.LogStatus:
			b = append(b, [...]string{"OK", "NODATA", "SKIPDATA"}[r.status]...)
		case flow.VPCID:
			b = append(b, r.e.vpc.id...)
		case flow.SubnetID:
			b = append(b, r.e.subnet.id...)
		case flow.InstanceID:
			b = appendStr(b, r.e.instance)
		case flow.Region:
			b = append(b, fl.region...)
		case flow.AZID:
			b = append(b, r.e.subnet.az...)
		default:
			if !data {
				b = append(b, '-')
				continue
			}
			b = fl.formatData(b, id, r)
		}
	}
	return append(b, '\n')
}

// formatData appends a field that only traffic records carry.
func (fl *flowLog) formatData(b []byte, id flow.FieldID, r *record) []byte {
	switch id {
	case flow.SrcAddr:
		return appendAddr(b, r.src)
	case flow.DstAddr:
		return appendAddr(b, r.dst)
	case flow.SrcPort:
		return strconv.AppendInt(b, int64(r.sport), 10)
	case flow.DstPort:
		return strconv.AppendInt(b, int64(r.dport), 10)
	case flow.Protocol:
		return strconv.AppendInt(b, int64(r.proto), 10)
	case flow.Packets:
		return strconv.AppendInt(b, r.pkts, 10)
	case flow.Bytes:
		return strconv.AppendInt(b, r.bytes, 10)
	case flow.Action:
		if r.reject {
			return append(b, "REJECT"...)
		}
		return append(b, "ACCEPT"...)
	case flow.TCPFlags:
		return strconv.AppendInt(b, int64(r.flags), 10)
	case flow.Type:
		if r.src.Is6() {
			return append(b, "IPv6"...)
		}
		return append(b, "IPv4"...)
	case flow.PktSrcAddr:
		return appendAddr(b, r.pktSrc)
	case flow.PktDstAddr:
		return appendAddr(b, r.pktDst)
	case flow.PktSrcAWSService:
		return appendStr(b, r.srcSvc)
	case flow.PktDstAWSService:
		return appendStr(b, r.dstSvc)
	case flow.FlowDirection:
		if r.egress {
			return append(b, "egress"...)
		}
		return append(b, "ingress"...)
	case flow.TrafficPath:
		if !r.egress || r.path == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, int64(r.path), 10)
	}
	return append(b, '-')
}

// record adds r to its flow log's file and to the counts.
func (g *gen) record(r *record, tag int16) {
	fl := r.e.vpc.fl
	slot := floorDiv(r.end, g.objSpan) * g.objSpan
	fl.slots[slot] = fl.format(fl.slots[slot], r)
	fl.stats.Records++
	g.truth.Records++
	if g.truth.Background != nil {
		g.truth.Background[g.kind]++
	}
	if r.status == statusOK {
		r.e.seen[floorDiv(r.start-r.e.phase, r.e.iv)] = true
		g.truth.Bytes += r.bytes
		g.truth.Packets += r.pkts
		if tag > 0 {
			m := &g.truth.Incidents[tag-1]
			m.Records++
			m.Bytes += r.bytes
		}
	}
}

// objectKey is the S3 key AWS gives the object of a flow log stamped t
// (reference 3.1). The trailing hash is opaque in AWS's names; here it is
// a hash of the object's identity, so names are deterministic.
func (fl *flowLog) objectKey(t time.Time) string {
	y, m, d, h := t.Year(), int(t.Month()), t.Day(), t.Hour()
	var dir string
	switch fl.layout {
	case layoutHourly:
		dir = fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d/%02d/", fl.account, fl.region, y, m, d, h)
	case layoutHive:
		dir = fmt.Sprintf("AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%04d/month=%02d/day=%02d/", fl.account, fl.region, y, m, d)
	default:
		dir = fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d/", fl.account, fl.region, y, m, d)
	}
	stamp := t.Format("20060102T1504Z")
	h32 := fnv.New32a()
	fmt.Fprintf(h32, "%s/%s", fl.id, stamp)
	return fmt.Sprintf("%s%s_vpcflowlogs_%s_%s_%s_%08x.log.gz", dir, fl.account, fl.region, fl.id, stamp, h32.Sum32())
}

// fileJob is one object to compress and write.
type fileJob struct {
	path string
	data []byte
}

// writer compresses and writes objects on several goroutines; the content
// of every object is fixed before it is queued, so the output does not
// depend on the number of workers.
type writer struct {
	jobs chan fileJob
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
	dirs sync.Map
}

func newWriter(workers int) *writer {
	w := &writer{jobs: make(chan fileJob, 2*workers)}
	for range workers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := range w.jobs {
				if err := w.write(j); err != nil {
					w.mu.Lock()
					if w.err == nil {
						w.err = err
					}
					w.mu.Unlock()
				}
			}
		}()
	}
	return w
}

func (w *writer) write(j fileJob) error {
	dir := filepath.Dir(j.path)
	if _, ok := w.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		w.dirs.Store(dir, true)
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	_, err = zw.Write(j.data)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("netsim: writing %s: %w", j.path, err)
	}
	return nil
}

func (w *writer) close() error {
	close(w.jobs)
	w.wg.Wait()
	return w.err
}

// flush queues every file of every flow log whose five minutes end at or
// before t: no connection generated from now on can add a record to them.
func (g *gen) flush(t int64) {
	for _, fl := range g.flowLogs {
		var ready []int64
		for s := range fl.slots {
			if s+g.objSpan <= t {
				ready = append(ready, s)
			}
		}
		slices.Sort(ready)
		for _, s := range ready {
			data := append([]byte(fl.header), fl.slots[s]...)
			delete(fl.slots, s)
			fl.stats.Files++
			g.truth.Files++
			if g.w != nil {
				g.w.jobs <- fileJob{path: filepath.Join(g.cfg.Dir, filepath.FromSlash(fl.objectKey(time.Unix(s, 0).UTC()))), data: data}
			}
		}
	}
}
