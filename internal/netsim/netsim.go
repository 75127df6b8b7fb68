package netsim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// Config says what to generate.
type Config struct {
	// Dir receives the corpus; it must not hold one already. Empty: nothing
	// is written (the truth and counts are still computed).
	Dir  string
	Seed uint64
	// Records is the approximate size of the corpus (default 1,000,000).
	// The network grows with it: more servers, desktops and clients, each
	// behaving as at any size; the incidents stay the same. The smallest
	// network that holds every incident writes about 390,000 records a day,
	// which is what any smaller value gives.
	Records int
	// Start of the day generated (default 2025-03-11T00:00:00Z, a Tuesday).
	Start time.Time
	// NoIncidents generates the background alone.
	NoIncidents bool
	// Workers compress and write files (default: the number of CPUs).
	Workers int
	// ObjectMinutes is the time one object covers: AWS's 5 (the default),
	// or more for fewer, larger objects (60 makes an object per flow log per
	// hour, which ingests faster in tests; the records are the same).
	ObjectMinutes int
	// hours shortens the day (tests of the generator itself); 0 is 24.
	hours int
}

// The default start: a Tuesday, 00:00 UTC.
var defaultStart = time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)

// Files written next to the flow logs.
const (
	TruthFile = "truth.json"
	IOCFile   = "iocs.csv"
)

// gen is one generation run.
type gen struct {
	cfg        Config
	t0, t1     int64
	scale      float64
	objSpan    int64 // seconds of records per object
	sliceStart int64
	late       int
	w          *writer
	flowLogs   []*flowLog
	vpcs       []*vpc
	truth      *Truth
	ids        ids
	setup      *rand.Rand // world building
	portRng    *rand.Rand
	skipRng    *rand.Rand
	legBuf     []leg
	winBuf     []winAgg
	behaviours []behaviour
	net        *network
	iocs       []iocEntry
	kind       string // the behaviour generating
}

// n scales a count of hosts or clients with the corpus size, never below min.
func (g *gen) n(x float64, min int) int {
	return max(min, int(math.Round(x*g.scale)))
}

// Generate writes the corpus and returns its truth.
func Generate(cfg Config) (*Truth, error) {
	if cfg.Records <= 0 {
		cfg.Records = 1_000_000
	}
	if cfg.Start.IsZero() {
		cfg.Start = defaultStart
	}
	if cfg.ObjectMinutes <= 0 {
		cfg.ObjectMinutes = filePeriod / 60
	}
	if cfg.ObjectMinutes%5 != 0 {
		return nil, fmt.Errorf("netsim: ObjectMinutes %d is not a multiple of 5", cfg.ObjectMinutes)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	hours := int64(24)
	if cfg.hours > 0 {
		hours = int64(cfg.hours)
	}
	g := &gen{cfg: cfg, t0: cfg.Start.Unix(), t1: cfg.Start.Unix() + hours*3600, scale: max(0, float64(cfg.Records-recordsFixed)/recordsPerScale),
		truth: &Truth{Background: map[string]int64{}, Seed: cfg.Seed, Start: cfg.Start.UTC(), End: cfg.Start.UTC().Add(time.Duration(hours) * time.Hour)}}
	g.objSpan = int64(cfg.ObjectMinutes) * 60
	g.setup = g.stream("setup")
	g.ids = ids{g.stream("ids")}
	g.portRng, g.skipRng = g.stream("client ports"), g.stream("skipdata")
	g.build()
	if !cfg.NoIncidents {
		g.plant()
	}
	if err := g.checkAddresses(); err != nil {
		return nil, err
	}
	if cfg.Dir != "" {
		if _, err := os.Stat(filepath.Join(cfg.Dir, TruthFile)); err == nil {
			return nil, fmt.Errorf("netsim: %s already holds a corpus", cfg.Dir)
		}
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, err
		}
		g.w = newWriter(cfg.Workers)
	}
	for s := g.t0; s < g.t1; s += filePeriod {
		g.sliceStart = s
		for _, b := range g.behaviours {
			g.kind = b.kind
			b.run(s, s+filePeriod)
		}
		g.kind = "status records"
		g.statusRecords(s, s+filePeriod)
		g.flush(s + filePeriod)
	}
	g.flush(math.MaxInt64)
	if g.w != nil {
		if err := g.w.close(); err != nil {
			return nil, err
		}
	}
	g.truth.Late = g.late
	slices.SortStableFunc(g.truth.Incidents, func(a, b Incident) int { return a.Start.Compare(b.Start) })
	for i, fl := range g.flowLogs {
		info := fl.stats
		v := g.vpcs[i]
		info.VPC, info.CIDR = v.id, v.cidr.String()
		if v.nat != nil {
			info.NAT = v.nat.addr.String()
		}
		g.truth.FlowLogs[i] = &info
	}
	if cfg.Dir == "" {
		return g.truth, nil
	}
	g.truth.IOCFile, g.truth.AWSRangesFile = IOCFile, AWSRangesFile
	if err := g.writeIOCs(); err != nil {
		return nil, err
	}
	if err := writeAWSRanges(cfg.Dir); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(g.truth, "", "  ")
	if err != nil {
		return nil, err
	}
	return g.truth, os.WriteFile(filepath.Join(cfg.Dir, TruthFile), append(b, '\n'), 0o644)
}

// statusRecords writes NODATA records for the silent capture windows of
// the interfaces that have them, and the occasional SKIPDATA record, for
// windows that closed in [s0, s1).
func (g *gen) statusRecords(s0, s1 int64) {
	for _, v := range g.vpcs {
		for _, e := range v.enis {
			for k := floorDiv(s0-e.phase, e.iv) - 1; ; k++ {
				end := e.phase + (k+1)*e.iv
				if end < s0 {
					continue
				}
				if end >= s1 {
					break
				}
				if e.nodata && end-e.iv >= g.t0 && !e.seen[k] {
					g.record(&record{e: e, start: end - e.iv, end: end, status: statusNoData}, 0)
				}
				delete(e.seen, k)
			}
		}
	}
	// A capacity constraint now and then (reference 3.5).
	for _, v := range g.vpcs {
		if g.skipRng.IntN(400) == 0 {
			e := v.enis[g.skipRng.IntN(len(v.enis))]
			ws := e.phase + floorDiv(s0-e.phase, e.iv)*e.iv
			g.record(&record{e: e, start: ws, end: ws + e.iv, status: statusSkipData}, 0)
		}
	}
}
