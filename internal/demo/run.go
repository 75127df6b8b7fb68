package demo

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/flow"
)

// Shares of the background budget spent on NODATA and SKIPDATA records, in
// records per thousand. NODATA is only written for an ENI and interval without
// traffic, so on busy corpora fewer appear.
const (
	noDataPerMille   = 15
	skipDataPerMille = 3
)

// runner generates the records and files of one VPC's flow log, in time
// order, one chunk at a time. A chunk is 300 s (one S3 object window) for a
// 60 s aggregation interval and 600 s (one interval, two windows) for 600 s,
// so that every aggregation interval lies inside one chunk.
type runner struct {
	w     *world
	v     *vpc
	rng   *rand.Rand
	acc   *acc
	chunk int64
	c0    int64 // start of the current chunk
	nwin  int64 // S3 windows per chunk

	bufs    [2][]byte // formatted records per window of the chunk
	winRecs [2]int64
	winByte [2]int64
	pending []rec // records ending in a later chunk (long sessions)

	// active[k*len(enis)+i] is set when ENI i has a record in interval k of
	// the chunk; status likewise when it already has a NODATA/SKIPDATA record.
	active []bool
	status []bool

	bgCum    [nBG]int
	produced int64 // background records so far
	noDebt   int64 // per-mille accumulators for NODATA / SKIPDATA
	skipDebt int64
	ev       int // next planted session

	gz      *gzip.Writer
	bw      *bufio.Writer
	lastDir string
}

func newRunner(w *world, v *vpc) *runner {
	r := &runner{w: w, v: v, acc: newAcc(w)}
	// Two PCG words: the corpus seed, and the VPC's position and identity,
	// so each flow log has its own stream whatever the others do.
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", v.n, v.account.ID, v.region)
	r.rng = rand.New(rand.NewPCG(w.cfg.Seed, h.Sum64()))
	r.chunk = window
	if v.interval > window {
		r.chunk = v.interval
	}
	r.nwin = r.chunk / window
	kper := r.chunk / v.interval
	r.active = make([]bool, int(kper)*len(v.enis))
	r.status = make([]bool, len(r.active))
	c := 0
	for k := range nBG {
		wt := bgWeights[k]
		if k == bgIsolated && v.isolated == nil {
			wt = 0
		}
		c += wt
		r.bgCum[k] = c
	}
	return r
}

// run generates the whole span and returns the accumulated truth.
func (r *runner) run() (*acc, error) {
	r.bw = bufio.NewWriterSize(nil, 256<<10)
	gz, err := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	r.gz = gz
	v := r.v
	for r.c0 = r.w.start; r.c0 < r.w.end; r.c0 += r.chunk {
		for i := range r.nwin {
			r.bufs[i], r.winRecs[i], r.winByte[i] = r.bufs[i][:0], 0, 0
		}
		clear(r.active)
		clear(r.status)

		// Records of long sessions that end in this chunk.
		keep := r.pending[:0]
		for i := range r.pending {
			x := &r.pending[i]
			if x.end < r.c0+r.chunk {
				r.write(x)
			} else {
				keep = append(keep, *x)
			}
		}
		r.pending = keep

		// Planted sessions starting in this chunk.
		for r.ev < len(v.events) && v.events[r.ev].at < r.c0+r.chunk {
			r.play(&v.events[r.ev])
			r.ev++
		}

		// Background up to this chunk's share of the budget.
		wi := (r.c0 + r.chunk - r.w.start) / window
		target := v.bgRecs * r.w.weightCum[wi] / r.w.weightCum[len(r.w.weightCum)-1]
		delta := target - r.produced
		for r.produced < target {
			r.produced += r.background()
		}
		if delta > 0 {
			r.skipDebt += delta * skipDataPerMille
			r.noDebt += delta * noDataPerMille
		}
		r.produced += r.statusRecords(statusSkipData, &r.skipDebt)
		r.produced += r.statusRecords(statusNoData, &r.noDebt)

		for i := range r.nwin {
			if err := r.flush(i); err != nil {
				return nil, err
			}
		}
	}
	return r.acc, nil
}

// statusRecords writes NODATA or SKIPDATA records for random ENI intervals of
// the chunk, one per thousand units of debt. NODATA goes only where the ENI
// had no traffic in that interval (AWS writes it for an idle interval); no
// ENI interval gets two status records. It returns the records written.
func (r *runner) statusRecords(st uint8, debt *int64) int64 {
	var n int64
	ne := len(r.v.enis)
	kper := int(r.chunk / r.v.interval)
	for ; *debt >= 1000; *debt -= 1000 {
		k, e := r.rng.IntN(kper), r.v.enis[r.rng.IntN(ne)]
		i := k*ne + e.idx
		if r.status[i] || st == statusNoData && r.active[i] {
			continue
		}
		r.status[i] = true
		i0 := r.c0 + int64(k)*r.v.interval
		// AWS's examples show the status record spanning the capture window.
		x := rec{eni: e, status: st, action: actNone, src: -1, dst: -1, psrc: -1, pdst: -1,
			start: i0 + r.rng.Int64N(3), end: i0 + r.v.interval - 1 - r.rng.Int64N(3)}
		r.emit(&x)
		n++
	}
	return n
}

// emit routes a record: dropped when it ends after the span, kept for later
// when it ends after the current chunk, written otherwise.
func (r *runner) emit(x *rec) {
	switch {
	case x.end >= r.w.end:
	case x.end >= r.c0+r.chunk:
		r.pending = append(r.pending, *x)
	default:
		r.write(x)
	}
}

// write formats x into its S3 window's buffer and adds it to the truth.
// The window is the one its end time falls in, as AWS has delivered since
// 2021 ("records with an end time between 16:20:00 and 16:24:59").
func (r *runner) write(x *rec) {
	k := (x.start - r.c0) / r.v.interval
	r.active[int(k)*len(r.v.enis)+x.eni.idx] = true
	wi := (x.end - r.c0) / window
	r.bufs[wi] = r.format(r.bufs[wi], x)
	r.winRecs[wi]++
	if x.status == statusOK {
		r.winByte[wi] += x.bytes
	}
	r.acc.add(r.w, r.v, x)
}

// format appends x as one line in the flow log's format. NODATA and SKIPDATA
// records keep the ENI's metadata (account, interface, VPC, subnet, instance,
// region, AZ) and their start and end, and have `-` in every flow field and
// in action, as in AWS's examples.
func (r *runner) format(b []byte, x *rec) []byte {
	v, w := r.v, r.w
	ok := x.status == statusOK
	for i, c := range v.cols {
		if i > 0 {
			b = append(b, ' ')
		}
		switch c {
		case flow.Version:
			b = append(b, v.version...)
		case flow.AccountID:
			b = append(b, v.account.ID...)
		case flow.InterfaceID:
			b = append(b, x.eni.id...)
		case flow.VPCID:
			b = append(b, v.id...)
		case flow.SubnetID:
			b = append(b, x.eni.subnet...)
		case flow.InstanceID:
			b = append(b, x.eni.instance...)
		case flow.Region:
			b = append(b, v.region...)
		case flow.AZID:
			b = append(b, x.eni.az...)
		case flow.Start:
			b = strconv.AppendInt(b, x.start, 10)
		case flow.End:
			b = strconv.AppendInt(b, x.end, 10)
		case flow.LogStatus:
			b = append(b, statusText[x.status]...)
		case flow.Action:
			b = append(b, actionText[x.action]...)
		default:
			if !ok {
				b = append(b, '-') // NODATA and SKIPDATA: no flow fields
				continue
			}
			switch c {
			case flow.SrcAddr:
				b = append(b, w.addrs[x.src]...)
			case flow.DstAddr:
				b = append(b, w.addrs[x.dst]...)
			case flow.PktSrcAddr:
				b = append(b, w.addrs[x.psrc]...)
			case flow.PktDstAddr:
				b = append(b, w.addrs[x.pdst]...)
			case flow.SrcPort:
				b = strconv.AppendInt(b, int64(x.sport), 10)
			case flow.DstPort:
				b = strconv.AppendInt(b, int64(x.dport), 10)
			case flow.Protocol:
				b = strconv.AppendInt(b, int64(x.proto), 10)
			case flow.Packets:
				b = strconv.AppendInt(b, x.packets, 10)
			case flow.Bytes:
				b = strconv.AppendInt(b, x.bytes, 10)
			case flow.TCPFlags:
				b = strconv.AppendInt(b, int64(x.flags), 10)
			case flow.Type:
				if x.v6 {
					b = append(b, "IPv6"...)
				} else {
					b = append(b, "IPv4"...)
				}
			case flow.PktSrcAWSService:
				b = append(b, svcNames[w.addrSvc[x.psrc]]...)
			case flow.PktDstAWSService:
				b = append(b, svcNames[w.addrSvc[x.pdst]]...)
			case flow.FlowDirection:
				if x.egress {
					b = append(b, "egress"...)
				} else {
					b = append(b, "ingress"...)
				}
			case flow.TrafficPath:
				// AWS: traffic-path is not supported for ingress traffic.
				if x.egress && x.path > 0 {
					b = strconv.AppendInt(b, int64(x.path), 10)
				} else {
					b = append(b, '-')
				}
			case flow.RejectReason:
				if x.action == actReject && x.bpa {
					b = append(b, "BPA"...)
				} else {
					b = append(b, '-')
				}
			default:
				// sublocation-*, ecs-* (no Outposts, no ECS tasks here) and
				// fields flowir does not know.
				b = append(b, '-')
			}
		}
	}
	return append(b, '\n')
}

var (
	statusText = [...]string{"OK", "NODATA", "SKIPDATA"}
	actionText = [...]string{"ACCEPT", "REJECT", "-"}
)

// objectKey returns the S3 key (relative to the bucket) of the object holding
// the window starting at t.
func (v *vpc) objectKey(t time.Time, seed uint64) string {
	a := v.account
	y, m, d, h := t.Year(), int(t.Month()), t.Day(), t.Hour()
	var dir string
	switch a.Layout {
	case LayoutDaily:
		dir = fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d/", a.ID, v.region, y, m, d)
	case LayoutHourly:
		dir = fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d/%02d/", a.ID, v.region, y, m, d, h)
	case LayoutHive:
		dir = fmt.Sprintf("AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%04d/month=%02d/day=%02d/", a.ID, v.region, y, m, d)
	case LayoutHiveHourly:
		dir = fmt.Sprintf("AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%04d/month=%02d/day=%02d/hour=%02d/", a.ID, v.region, y, m, d, h)
	}
	if a.Prefix != "" {
		dir = a.Prefix + "/" + dir
	}
	stamp := t.Format("20060102T1504Z")
	// The 8-hex suffix AWS adds is opaque; a hash of the object's identity
	// keeps it deterministic and unique.
	hs := fnv.New32a()
	fmt.Fprintf(hs, "%d/%s/%s", seed, v.flowLog, stamp)
	return fmt.Sprintf("%s%s_vpcflowlogs_%s_%s_%s_%08x.log.gz", dir, a.ID, v.region, v.flowLog, stamp, hs.Sum32())
}

// flush writes window i of the chunk as one gzip object, unless it is empty
// (AWS writes no object for a window without records). Objects are not split
// at AWS's 75 MB limit: at these densities a window holds a few MB at most.
func (r *runner) flush(i int64) error {
	if r.winRecs[i] == 0 {
		return nil
	}
	t := time.Unix(r.c0+i*window, 0).UTC()
	key := r.v.objectKey(t, r.w.cfg.Seed)
	path := filepath.Join(r.w.cfg.Dir, filepath.FromSlash(key))
	if dir := filepath.Dir(path); dir != r.lastDir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		r.lastDir = dir
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.bw.Reset(f)
	r.gz.Reset(r.bw)
	_, err = r.gz.Write([]byte(r.v.header))
	if err == nil {
		_, err = r.gz.Write(r.bufs[i])
	}
	if err == nil {
		err = r.gz.Close()
	}
	if err == nil {
		err = r.bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("demo: writing %s: %w", path, err)
	}
	r.acc.file(t, r.winRecs[i], r.winByte[i])
	return nil
}
