// Package demo writes a synthetic AWS VPC Flow Logs corpus with planted
// incidents, and computes the corpus's ground truth while it writes it.
//
// The corpus serves three purposes: `flowir demo` (a self-contained training
// exercise and smoke test), end-to-end tests (which compare flowir's answers
// with the truth), and a large-volume benchmark. Those uses explain the design:
//
//   - Deterministic. Every random choice comes from math/rand/v2 PCG streams
//     derived from Config.Seed. Each flow log (one VPC in one account and
//     region) is generated from its own streams and writes its own files, so
//     the output is byte-identical whatever Config.Workers is.
//   - Independent truth. Truth is accumulated in Go from each record at the
//     moment it is formatted, never by reading the files back or by SQL, so
//     that a test comparing flowir with the truth compares two independent
//     computations.
//   - Streaming. Records are generated in time order, five minutes (or ten,
//     for 600-second flow logs) at a time, and written as soon as a five-minute
//     file is complete; memory does not grow with Config.Records. Addresses
//     come from fixed-size pools, so the per-address truth (top talkers) is
//     bounded too.
//   - Faithful to AWS. Files use the S3 key layouts AWS writes (daily, hourly,
//     Hive-compatible), one gzip object per flow log per five-minute window
//     named by the window's timestamp, each starting with a header line; the
//     records follow the AWS documentation: per-ENI, per-direction records
//     within 60 s or 600 s aggregation windows, tcp-flags per direction,
//     NODATA and SKIPDATA records with `-`, NAT gateway records whose
//     pkt-srcaddr/pkt-dstaddr differ from srcaddr/dstaddr, traffic-path only
//     on egress, and so on (see the project's reference/flowlogs-reference.md,
//     sections 1 to 3 and 6).
//
// The layout under Config.Dir is:
//
//	AWSLogs/...            the flow log objects (under Account.Prefix/ if set)
//	iocs.csv               the IOC list in the playbook's incident_iocs format
//	iocs.txt               the same list, one IP or CIDR per line
//	truth.json             the Truth, as JSON
//
// Only documentation address ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32) are used for attackers, C2 servers and IOCs,
// and the background traffic never uses them, so everything a detection finds
// in those ranges was planted on purpose and is listed in Truth.Incidents.
package demo

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/flowir/flowir/internal/flow"
)

// Layout is an S3 key layout of flow log objects.
type Layout int

const (
	// LayoutDaily is the default: AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/.
	LayoutDaily Layout = iota
	// LayoutHourly adds an hour folder: .../{yyyy}/{mm}/{dd}/{HH}/.
	LayoutHourly
	// LayoutHive is the Hive-compatible layout:
	// AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={yyyy}/month={mm}/day={dd}/.
	LayoutHive
	// LayoutHiveHourly is the Hive-compatible layout with hour={HH}/ added.
	LayoutHiveHourly
)

var layoutNames = [...]string{"daily", "hourly", "hive", "hive-hourly"}

func (l Layout) String() string {
	if l >= 0 && int(l) < len(layoutNames) {
		return layoutNames[l]
	}
	return fmt.Sprintf("layout(%d)", int(l))
}

// MarshalText writes the layout's name, so that it reads well in truth.json.
func (l Layout) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a layout name written by MarshalText.
func (l *Layout) UnmarshalText(b []byte) error {
	for i, n := range layoutNames {
		if n == string(b) {
			*l = Layout(i)
			return nil
		}
	}
	return fmt.Errorf("demo: unknown layout %q (want one of %s)", b, strings.Join(layoutNames[:], ", "))
}

// CustomV5Format is the custom format of the second default account: every v3
// to v5 field flowir's tests care about, in a deliberately unusual order
// (version last, bytes before packets, packet-level addresses before the ENI
// addresses). It exists to prove that nothing depends on the default order.
const CustomV5Format = "${account-id} ${region} ${az-id} ${vpc-id} ${subnet-id} ${interface-id} ${instance-id} " +
	"${flow-direction} ${type} ${pkt-srcaddr} ${srcaddr} ${srcport} ${pkt-dstaddr} ${dstaddr} ${dstport} " +
	"${protocol} ${tcp-flags} ${bytes} ${packets} ${start} ${end} ${action} ${log-status} ${traffic-path} " +
	"${pkt-src-aws-service} ${pkt-dst-aws-service} ${version}"

// Account describes one AWS account of the corpus: its regions (one VPC, and
// one VPC-level flow log delivering to S3, per region) and how its flow logs
// are configured.
type Account struct {
	ID      string   // 12 digits
	Regions []string // e.g. "us-east-1"; one VPC per region
	// Format is the flow log format as AWS's --log-format takes it
	// ("${version} ${account-id} ..."); "" means AWS's default (version 2)
	// format. Fields flowir does not know are written as `-`.
	Format string
	Layout Layout
	// Interval is the maximum aggregation interval in seconds, 60 or 600
	// (0 means 600, AWS's default).
	Interval int
	// Prefix is the optional S3 subfolder before AWSLogs/ ("" for none).
	Prefix string
}

// DefaultAccounts returns the three accounts of the default corpus, two
// regions each, chosen to cover the format and layout variations flowir must
// handle:
//
//   - 111122223333: AWS's default v2 format, daily layout, 600 s aggregation;
//   - 444455556666: CustomV5Format, Hive-compatible layout, 60 s aggregation;
//   - 777788889999: every VPC field up to v8 (ECS fields as `-`,
//     reject-reason), hourly partitions, 60 s aggregation.
func DefaultAccounts() []Account {
	return []Account{
		{ID: "111122223333", Regions: []string{"us-east-1", "eu-west-1"}, Layout: LayoutDaily, Interval: 600},
		{ID: "444455556666", Regions: []string{"us-east-1", "us-west-2"}, Format: CustomV5Format, Layout: LayoutHive, Interval: 60},
		{ID: "777788889999", Regions: []string{"eu-west-1", "ap-southeast-2"}, Format: flow.AllVPCFormat().String(), Layout: LayoutHourly, Interval: 60},
	}
}

// Config says what to generate. The zero value of every field except Dir has
// a default.
type Config struct {
	// Dir is the output root. Generate creates it if needed and refuses to
	// write into an existing AWSLogs tree, so a corpus never mixes two runs.
	Dir string
	// Seed selects the corpus; the same Config always gives the same bytes.
	Seed uint64
	// Records is the approximate number of flow records (default 20000). The
	// planted incidents take about 4,300 records whatever the size; the
	// background fills the rest, and is never less than a quarter of Records.
	Records int
	// Start is the first capture window (default 2026-11-20T00:00:00Z). It is
	// rounded down to a multiple of 10 minutes.
	Start time.Time
	// Duration is the time span (default 48h), rounded up to a multiple of 10
	// minutes. Incidents are placed at fixed fractions of it; below about
	// 12 hours the longer ones (brute force, beaconing) are cut short.
	Duration time.Duration
	// Accounts lists the accounts (default DefaultAccounts()).
	Accounts []Account
	// NoIncidents leaves the incidents out (they are planted by default; the
	// field is negative so that the zero Config plants them).
	NoIncidents bool
	// DataRatioIP is the address whose per-pair statistics (the playbook's
	// "data ratio" query) Truth.DataRatio holds. Default: the exfiltrating
	// host, or without incidents the first web server.
	DataRatioIP string
	// Workers is how many flow logs are generated in parallel (default
	// GOMAXPROCS). The output does not depend on it.
	Workers int
}

// DefaultStart is the default first capture window.
var DefaultStart = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

const (
	defaultRecords  = 20000
	defaultDuration = 48 * time.Hour
	window          = 300 // seconds per S3 object (AWS publishes every 5 minutes)
)

// Files written next to the AWSLogs tree.
const (
	TruthFile  = "truth.json"
	IOCCSVFile = "iocs.csv"
	IOCTxtFile = "iocs.txt"
)

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("demo: no output directory: set Config.Dir")
	}
	if c.Records < 0 {
		return c, fmt.Errorf("demo: Records is %d; give a positive number of records (or 0 for %d)", c.Records, defaultRecords)
	}
	if c.Records == 0 {
		c.Records = defaultRecords
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC().Truncate(10 * time.Minute)
	if c.Duration < 0 {
		return c, fmt.Errorf("demo: Duration is %v; give a positive span", c.Duration)
	}
	if c.Duration == 0 {
		c.Duration = defaultDuration
	}
	if r := c.Duration % (10 * time.Minute); r != 0 {
		c.Duration += 10*time.Minute - r
	}
	if c.Accounts == nil {
		c.Accounts = DefaultAccounts()
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if len(c.Accounts) == 0 {
		return c, errors.New("demo: no accounts: give at least one, or leave Accounts nil for the defaults")
	}
	vpcs := 0
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if len(a.ID) != 12 || strings.Trim(a.ID, "0123456789") != "" {
			return c, fmt.Errorf("demo: account %q: an AWS account ID is 12 digits", a.ID)
		}
		if seen[a.ID] {
			return c, fmt.Errorf("demo: account %s is listed twice", a.ID)
		}
		seen[a.ID] = true
		if len(a.Regions) == 0 {
			return c, fmt.Errorf("demo: account %s has no regions", a.ID)
		}
		regs := map[string]bool{}
		for _, r := range a.Regions {
			if !validRegion(r) || regs[r] {
				return c, fmt.Errorf("demo: account %s: region %q is malformed or repeated (expected e.g. us-east-1)", a.ID, r)
			}
			regs[r] = true
		}
		vpcs += len(a.Regions)
		if a.Interval == 0 {
			a.Interval = 600
		}
		if a.Interval != 60 && a.Interval != 600 {
			return c, fmt.Errorf("demo: account %s: aggregation interval %d s; AWS allows 60 or 600", a.ID, a.Interval)
		}
		if a.Layout < LayoutDaily || a.Layout > LayoutHiveHourly {
			return c, fmt.Errorf("demo: account %s: unknown layout %d", a.ID, int(a.Layout))
		}
		a.Prefix = strings.Trim(a.Prefix, "/")
		if a.Prefix == "AWSLogs" || strings.HasPrefix(a.Prefix, "AWSLogs/") {
			return c, fmt.Errorf("demo: account %s: AWS does not allow AWSLogs as the S3 subfolder", a.ID)
		}
		if a.Format != "" {
			if _, err := flow.ParseFormat(a.Format); err != nil {
				return c, fmt.Errorf("demo: account %s: %v", a.ID, err)
			}
		}
	}
	if vpcs > maxVPCs {
		return c, fmt.Errorf("demo: %d regions in total; at most %d are supported (each VPC gets its own 10.x.0.0/16)", vpcs, maxVPCs)
	}
	if c.DataRatioIP != "" {
		if _, err := netip.ParseAddr(c.DataRatioIP); err != nil {
			return c, fmt.Errorf("demo: DataRatioIP %q is not an IP address", c.DataRatioIP)
		}
	}
	return c, nil
}

// validRegion accepts region codes shaped like AWS's: letters, a hyphen-joined
// direction and a number (us-east-1, ap-southeast-2, us-gov-west-1).
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for _, c := range p {
			if last && (c < '0' || c > '9') || !last && (c < 'a' || c > 'z') {
				return false
			}
		}
	}
	return true
}

// Generate writes the corpus described by cfg and returns its ground truth,
// which it also writes to Dir/truth.json. The IOC lists used by the planted
// incidents are written to Dir/iocs.csv and Dir/iocs.txt.
func Generate(cfg Config) (*Truth, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w, err := newWorld(cfg)
	if err != nil {
		return nil, err
	}
	for _, a := range cfg.Accounts {
		root := filepath.Join(cfg.Dir, filepath.FromSlash(a.Prefix), "AWSLogs")
		if _, err := os.Stat(root); err == nil {
			return nil, fmt.Errorf("demo: %s already exists; generate into a new or empty directory", root)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	accs := make([]*acc, len(w.vpcs))
	errs := make([]error, len(w.vpcs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Workers, len(w.vpcs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				accs[i], errs[i] = newRunner(w, w.vpcs[i]).run()
			}
		}()
	}
	for i := range w.vpcs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	t := w.truth(accs)
	if err := w.writeIOCs(); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, TruthFile), append(js, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return t, nil
}

// writeIOCs writes the IOC list in the two formats flowir reads: the
// playbook's incident_iocs CSV (threat_ip,threat_comment; comments containing
// a comma are quoted, as the playbook's OpenCSVSerde expects) and a plain list.
func (w *world) writeIOCs() error {
	var b strings.Builder
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"threat_ip", "threat_comment"})
	for _, e := range w.iocs {
		_ = cw.Write([]string{e.text, e.comment})
	}
	cw.Flush()
	if err := os.WriteFile(filepath.Join(w.cfg.Dir, IOCCSVFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	b.Reset()
	b.WriteString("# flowir demo IOC list: one IP address or CIDR per line; lines starting with # are comments.\n")
	for _, e := range w.iocs {
		b.WriteString("# " + e.comment + "\n" + e.text + "\n")
	}
	if err := os.WriteFile(filepath.Join(w.cfg.Dir, IOCTxtFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}
