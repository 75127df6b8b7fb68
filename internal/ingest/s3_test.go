package ingest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// The S3 tests share one demo corpus (three accounts in the daily, Hive
// and hourly layouts, under the prefix "central/"), generated once, with
// its ground truth computed by the generator.
type s3Corpus struct {
	dir   string
	keys  []string
	truth *demo.Truth
}

var (
	corpusOnce sync.Once
	corpusVal  *s3Corpus
	corpusErr  error
)

func TestMain(m *testing.M) {
	awsapi.RetryBase = time.Millisecond
	code := m.Run()
	if corpusVal != nil {
		os.RemoveAll(corpusVal.dir)
	}
	os.Exit(code)
}

func getCorpus(t *testing.T) *s3Corpus {
	t.Helper()
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flowir-ingest-s3-")
		if err != nil {
			corpusErr = err
			return
		}
		accts := demo.DefaultAccounts()
		for i := range accts {
			accts[i].Prefix = "central"
		}
		truth, err := demo.Generate(demo.Config{Dir: dir, Records: 20000, Duration: 24 * time.Hour, Accounts: accts})
		if err != nil {
			corpusErr = err
			return
		}
		c := &s3Corpus{dir: dir, truth: truth}
		corpusErr = filepath.Walk(filepath.Join(dir, "central"), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				c.keys = append(c.keys, filepath.ToSlash(rel))
			}
			return err
		})
		corpusVal = c
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusVal
}

// s3Env starts a loopback S3 server holding the corpus in bucket "logs".
func s3Env(t *testing.T) (*awstest.S3Server, *s3Corpus) {
	t.Helper()
	cp := getCorpus(t)
	awstest.Env(t)
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "logs")
	for _, k := range cp.keys {
		b, err := os.ReadFile(filepath.Join(cp.dir, filepath.FromSlash(k)))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put(t, "logs", k, b)
	}
	srv.Requests()
	return srv, cp
}

func s3Opts(srv *awstest.S3Server, url string) Options {
	return Options{Paths: []string{url}, AWS: awsapi.Options{EndpointURL: srv.URL}, Workers: 2}
}

func mustRun(t *testing.T, c *store.Case, opts Options) *Summary {
	t.Helper()
	s, err := Run(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// partitionSums returns records, bytes and packets per account/region/day.
func partitionSums(t *testing.T, c *store.Case, where string, args ...any) map[string][3]int64 {
	t.Helper()
	rows, err := c.DB().Query(`SELECT account_partition, region_partition, date_partition, count(*), coalesce(sum(bytes), 0)::BIGINT,
		coalesce(sum(packets), 0)::BIGINT FROM flows `+where+` GROUP BY ALL`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][3]int64{}
	for rows.Next() {
		var a, r, d string
		var v [3]int64
		if err := rows.Scan(&a, &r, &d, &v[0], &v[1], &v[2]); err != nil {
			t.Fatal(err)
		}
		out[a+" "+r+" "+d] = v
	}
	return out
}

// checkTruth compares a case with the generator's ground truth.
func checkTruth(t *testing.T, c *store.Case, truth *demo.Truth) {
	t.Helper()
	var n, bytes, packets int64
	if err := c.DB().QueryRow(`SELECT count(*), sum(bytes)::BIGINT, sum(packets)::BIGINT FROM flows`).Scan(&n, &bytes, &packets); err != nil {
		t.Fatal(err)
	}
	if n != truth.Records || bytes != truth.Bytes || packets != truth.Packets {
		t.Fatalf("case holds %d records, %d bytes, %d packets; truth %d, %d, %d", n, bytes, packets, truth.Records, truth.Bytes, truth.Packets)
	}
	got := partitionSums(t, c, "")
	for _, p := range truth.Partitions {
		if v := got[p.Account+" "+p.Region+" "+p.Date]; v[0] != p.Records || v[1] != p.Bytes {
			t.Errorf("partition %s %s %s: %d records %d bytes, truth %d %d", p.Account, p.Region, p.Date, v[0], v[1], p.Records, p.Bytes)
		}
	}
	if len(got) != len(truth.Partitions) {
		t.Errorf("%d partitions, truth %d", len(got), len(truth.Partitions))
	}
}

// TestS3Full ingests the whole prefix from the S3 server, checks it against
// the ground truth and against an ingest of the same objects from local
// files, checks the sources' S3 origin, and that a second run skips every
// object by key and ETag without downloading any.
func TestS3Full(t *testing.T) {
	srv, cp := s3Env(t)
	c := newCase(t)
	s := mustRun(t, c, s3Opts(srv, "s3://logs/central/"))
	if s.Ingested != len(cp.keys) || int64(s.Ingested) != cp.truth.Files || s.Failed != 0 || s.Records != cp.truth.Records ||
		s.Lines != cp.truth.Lines || s.Rejects != 0 {
		t.Fatalf("summary %+v (truth %d files %d records %d lines)", s.Results[:1], cp.truth.Files, cp.truth.Records, cp.truth.Lines)
	}
	checkTruth(t, c, cp.truth)
	reqs := srv.Requests()
	if gets := awstest.Gets(reqs); len(gets) != len(cp.keys) {
		t.Errorf("%d GETs for %d objects", len(gets), len(cp.keys))
	}
	var bad int64
	c.DB().QueryRow(`SELECT count(*) FROM sources WHERE origin <> 's3' OR etag IS NULL OR NOT starts_with(path, 's3://logs/central/AWSLogs/') OR length(sha256) <> 64`).Scan(&bad)
	if bad != 0 {
		t.Errorf("%d sources without their S3 origin", bad)
	}

	local := newCase(t)
	mustRun(t, local, Options{Paths: []string{filepath.Join(cp.dir, "central")}})
	if a, b := partitionSums(t, c, ""), partitionSums(t, local, ""); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("S3 and local ingests differ")
	}

	s = mustRun(t, c, s3Opts(srv, "s3://logs/central/"))
	if s.Skipped != len(cp.keys) || s.Ingested != 0 {
		t.Fatalf("second run: ingested %d skipped %d", s.Ingested, s.Skipped)
	}
	if gets := awstest.Gets(srv.Requests()); len(gets) != 0 {
		t.Errorf("second run downloaded %d objects already in the case", len(gets))
	}
	// The local copies hold the same content: skipped too.
	s = mustRun(t, c, Options{Paths: []string{filepath.Join(cp.dir, "central")}})
	if s.Skipped != len(cp.keys) {
		t.Errorf("local copies of ingested objects: %d skipped", s.Skipped)
	}
}

// windowCount reads the corpus files directly (not through flowir) and
// counts the records of one account and region with end >= since and
// start < until, and their bytes.
func windowCount(t *testing.T, cp *s3Corpus, account, region string, since, until int64) (n, bytes int64) {
	t.Helper()
	for _, k := range cp.keys {
		p := source.ParseKey(k)
		if p.Account != account || p.Region != region {
			continue
		}
		f, err := os.Open(filepath.Join(cp.dir, filepath.FromSlash(k)))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		var is, ie, ib int
		for i := 0; sc.Scan(); i++ {
			toks := strings.Fields(sc.Text())
			if i == 0 {
				is, ie, ib = slices.Index(toks, "start"), slices.Index(toks, "end"), slices.Index(toks, "bytes")
				continue
			}
			s, _ := strconv.ParseInt(toks[is], 10, 64)
			e, _ := strconv.ParseInt(toks[ie], 10, 64)
			if e >= since && s < until {
				n++
				b, _ := strconv.ParseInt(toks[ib], 10, 64) // "-" counts 0
				bytes += b
			}
		}
		f.Close()
	}
	return n, bytes
}

// TestS3Pruned ingests one account, one region and a two-hour window for
// each layout: only the objects the listing selects are downloaded, and
// the case holds exactly the records of the window, as counted from the
// files directly and as selected by SQL from a full ingest.
func TestS3Pruned(t *testing.T) {
	srv, cp := s3Env(t)
	full := newCase(t)
	mustRun(t, full, s3Opts(srv, "s3://logs/central/"))
	since := demo.DefaultStart.Add(13 * time.Hour)
	until := since.Add(2 * time.Hour)
	for _, tt := range []struct{ account, region string }{
		{"111122223333", "us-east-1"}, {"444455556666", "us-west-2"}, {"777788889999", "eu-west-1"},
	} {
		t.Run(tt.account, func(t *testing.T) {
			srv.Requests()
			c := newCase(t)
			opts := s3Opts(srv, "s3://logs/central/")
			opts.Select = source.Selection{Accounts: []string{tt.account}, Regions: []string{tt.region}, Since: since, Until: until}
			s := mustRun(t, c, opts)
			reqs := srv.Requests()
			gets := awstest.Gets(reqs)
			sort.Strings(gets)
			var ingested []string
			for _, r := range s.Results {
				ingested = append(ingested, strings.TrimPrefix(r.Path, "s3://logs/"))
				if r.Lines != r.Records+r.Rejects+r.Headers+r.OutOfWindow {
					t.Errorf("%s does not reconcile: %+v", r.Path, r)
				}
			}
			sort.Strings(ingested)
			if !slices.Equal(gets, ingested) || len(s.Listings) != 1 || s.Listings[0].Selected != len(gets) {
				t.Fatalf("downloaded %d objects, ingested %d", len(gets), len(ingested))
			}
			inAcct := 0
			for _, k := range cp.keys {
				if p := source.ParseKey(k); p.Account == tt.account && p.Region == tt.region {
					inAcct++
				}
			}
			if len(gets) == 0 || len(gets)*4 > inAcct {
				t.Errorf("downloaded %d of the %d objects of the account and region for a 2-hour window of 24 hours", len(gets), inAcct)
			}
			for _, l := range awstest.Lists(reqs) {
				if !strings.Contains(l, tt.account) && !slices.Contains([]string{"central/|/", "central/AWSLogs/|/"}, l) {
					t.Errorf("listed %s, outside the account", l)
				}
			}
			wantN, wantBytes := windowCount(t, cp, tt.account, tt.region, since.Unix(), until.Unix())
			var n, b, srcOut, srcRecords int64
			c.DB().QueryRow(`SELECT count(*), coalesce(sum(bytes), 0)::BIGINT FROM flows`).Scan(&n, &b)
			c.DB().QueryRow(`SELECT sum(out_of_window)::BIGINT, sum(records)::BIGINT FROM sources`).Scan(&srcOut, &srcRecords)
			if n != wantN || b != wantBytes || s.Records != n || srcRecords != n || srcOut != s.OutOfWindow || s.OutOfWindow == 0 {
				t.Fatalf("case holds %d records (%d bytes), the files hold %d (%d bytes) in the window; summary %d records, %d out of window",
					n, b, wantN, wantBytes, s.Records, s.OutOfWindow)
			}
			where := `WHERE account_partition = ? AND region_partition = ? AND "end" >= ? AND start < ?`
			if a, w := partitionSums(t, c, ""), partitionSums(t, full, where, tt.account, tt.region, since.Unix(), until.Unix()); fmt.Sprint(a) != fmt.Sprint(w) {
				t.Errorf("pruned ingest %v, SQL over the full ingest %v", a, w)
			}
			var win int64
			c.DB().QueryRow(`SELECT count(*) FROM sources WHERE window_since = ? AND window_until = ?`, since, until).Scan(&win)
			if win != int64(len(gets)) {
				t.Errorf("%d sources record the window, want %d", win, len(gets))
			}
			t.Logf("%s %s: %d objects downloaded of %d, %d records kept, %d out of the window", tt.account, tt.region, len(gets), inAcct, n, s.OutOfWindow)
		})
	}
}

// TestS3WiderWindow ingests a window, then a wider one into the same case:
// the objects of the first are read again with the wider window and
// superseded, so the case holds the wider window's records exactly once.
func TestS3WiderWindow(t *testing.T) {
	srv, cp := s3Env(t)
	c := newCase(t)
	since := demo.DefaultStart.Add(13 * time.Hour)
	opts := s3Opts(srv, "s3://logs/central/")
	opts.Select = source.Selection{Accounts: []string{"111122223333"}, Regions: []string{"us-east-1"}, Since: since, Until: since.Add(time.Hour)}
	mustRun(t, c, opts)
	opts.Select.Until = since.Add(3 * time.Hour)
	mustRun(t, c, opts)
	want, _ := windowCount(t, cp, "111122223333", "us-east-1", since.Unix(), since.Add(3*time.Hour).Unix())
	var n, superseded int64
	c.DB().QueryRow(`SELECT count(*) FROM flows`).Scan(&n)
	c.DB().QueryRow(`SELECT count(*) FROM sources WHERE status = 'superseded'`).Scan(&superseded)
	if n != want || superseded == 0 {
		t.Fatalf("%d records after widening (%d superseded sources), want %d", n, superseded, want)
	}
	// The narrower window again: everything is covered, nothing downloaded.
	srv.Requests()
	opts.Select.Until = since.Add(time.Hour)
	s := mustRun(t, c, opts)
	if s.Ingested != 0 || len(awstest.Gets(srv.Requests())) != 0 {
		t.Errorf("a covered window was read again: %+v", s)
	}
}

// TestS3Resume cancels an ingest in the middle, as a killed process would
// stop, and runs it again: the case ends as after one clean run, and the
// second run downloads only what the first did not commit.
func TestS3Resume(t *testing.T) {
	srv, cp := s3Env(t)
	c := newCase(t)
	defer func(n int) { batchSources = n }(batchSources)
	batchSources = 40 // commit often, so that the kill finds some work done
	ctx, cancel := context.WithCancel(context.Background())
	var gets atomic.Int64
	srv.SetFault(func(r awstest.Request, _ int) (int, string, int) {
		if r.Method == http.MethodGet && r.Key != "" && gets.Add(1) == int64(len(cp.keys)*2/3) {
			cancel()
		}
		return 0, "", 0
	})
	opts := s3Opts(srv, "s3://logs/central/")
	s, err := Run(ctx, c, opts)
	if err == nil || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("cancelled run: %v", err)
	}
	var committed int64
	c.DB().QueryRow(`SELECT count(*) FROM sources`).Scan(&committed)
	if committed == 0 || committed >= int64(len(cp.keys)) {
		t.Fatalf("first run committed %d of %d objects; the test wants a run killed half way", committed, len(cp.keys))
	}
	var inFlows int64
	c.DB().QueryRow(`SELECT count(*) FROM flows`).Scan(&inFlows)
	var sum int64
	c.DB().QueryRow(`SELECT coalesce(sum(records), 0)::BIGINT FROM sources`).Scan(&sum)
	if inFlows != sum {
		t.Fatalf("after the kill, flows holds %d records, the sources say %d", inFlows, sum)
	}
	// The summary of the interrupted run tells exactly what is in the case;
	// a source cut off by the interruption is not started, not failed.
	if int64(s.Ingested+s.Partial) != committed || s.Failed != 0 {
		t.Fatalf("the interrupted run reported %d sources stored and %d failed, the case holds %d", s.Ingested+s.Partial, s.Failed, committed)
	}
	srv.SetFault(nil)
	srv.Requests()
	s = mustRun(t, c, opts)
	bad := 0
	for _, r := range s.Results {
		if r.Outcome != Ingested && r.Outcome != Skipped {
			if bad++; bad <= 3 {
				t.Errorf("resume: %s %s: %s", r.Path, r.Outcome, r.Error)
			}
		}
	}
	if bad > 0 || len(s.Results) != len(cp.keys) {
		t.Errorf("resume: %d of %d sources neither ingested nor skipped, %d with no outcome", bad, len(cp.keys), len(cp.keys)-len(s.Results))
	}
	if int64(s.Skipped) != committed || s.Ingested != len(cp.keys)-int(committed) {
		t.Errorf("resume: skipped %d ingested %d, %d were committed", s.Skipped, s.Ingested, committed)
	}
	if n := len(awstest.Gets(srv.Requests())); n != len(cp.keys)-int(committed) {
		t.Errorf("resume downloaded %d objects, %d were missing", n, len(cp.keys)-int(committed))
	}
	checkTruth(t, c, cp.truth)
	t.Logf("killed after %d of %d objects committed", committed, len(cp.keys))
}

// TestS3Faults injects throttling, broken connections and a deletion
// between listing and reading.
func TestS3Faults(t *testing.T) {
	srv, cp := s3Env(t)
	c := newCase(t)
	var victim atomic.Value
	srv.SetFault(func(r awstest.Request, attempt int) (int, string, int) {
		switch {
		case r.Key == "" && attempt <= 2:
			return http.StatusServiceUnavailable, "SlowDown", 0 // listings too
		case r.Method != http.MethodGet || r.Key == "":
			return 0, "", 0
		case strings.Contains(r.Key, "eu-west-1") && victim.CompareAndSwap(nil, r.Key):
			srv.Delete(t, "logs", r.Key)
			return 0, "", 0
		case attempt == 1:
			return http.StatusServiceUnavailable, "SlowDown", 0
		case attempt == 2 && strings.Contains(r.Key, "us-east-1"):
			return 0, "", 100 // the connection breaks after 100 bytes
		}
		return 0, "", 0
	})
	s, err := Run(context.Background(), c, s3Opts(srv, "s3://logs/central/"))
	if err != nil {
		t.Fatal(err)
	}
	gone, _ := victim.Load().(string)
	if s.Failed != 1 || s.Ingested != len(cp.keys)-1 || gone == "" {
		t.Fatalf("ingested %d failed %d", s.Ingested, s.Failed)
	}
	for _, r := range s.Results {
		if r.Outcome == Failed && (r.Path != "s3://logs/"+gone || !strings.Contains(r.Error, "between listing and reading")) {
			t.Errorf("failure %s: %s", r.Path, r.Error)
		}
	}
	var failedRows, flows, sum int64
	c.DB().QueryRow(`SELECT count(*) FROM sources WHERE status = 'failed' AND path = ?`, "s3://logs/"+gone).Scan(&failedRows)
	c.DB().QueryRow(`SELECT count(*) FROM flows`).Scan(&flows)
	c.DB().QueryRow(`SELECT sum(records)::BIGINT FROM sources`).Scan(&sum)
	if failedRows != 1 || flows != sum {
		t.Fatalf("the deleted object's failure is not recorded (%d) or the case does not reconcile (%d vs %d)", failedRows, flows, sum)
	}
	// The object comes back: the next run ingests it and forgets the failure.
	srv.SetFault(nil)
	b, _ := os.ReadFile(filepath.Join(cp.dir, filepath.FromSlash(gone)))
	srv.Put(t, "logs", gone, b)
	s = mustRun(t, c, s3Opts(srv, "s3://logs/central/"))
	if s.Ingested != 1 || s.Skipped != len(cp.keys)-1 {
		t.Fatalf("rerun: ingested %d skipped %d", s.Ingested, s.Skipped)
	}
	c.DB().QueryRow(`SELECT count(*) FROM sources WHERE status = 'failed'`).Scan(&failedRows)
	if failedRows != 0 {
		t.Errorf("%d failed rows left", failedRows)
	}
	checkTruth(t, c, cp.truth)
}

func TestS3Errors(t *testing.T) {
	awstest.Env(t)
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "logs")
	c := newCase(t)
	for _, tt := range []struct {
		url   string
		fault awstest.Fault
		want  string
	}{
		{"s3://missing-bucket/x/", nil, "no such bucket"},
		{"s3://logs/", func(awstest.Request, int) (int, string, int) { return http.StatusForbidden, "AccessDenied", 0 }, "access denied"},
		{"s3://logs/elsewhere/", nil, "no AWSLogs/ folder"},
	} {
		srv.SetFault(tt.fault)
		opts := s3Opts(srv, tt.url)
		if strings.Contains(tt.want, "AWSLogs") {
			opts.Select.Regions = []string{"us-east-1"}
		}
		_, err := Run(context.Background(), c, opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.url, err, tt.want)
		}
	}
	var n int64
	c.DB().QueryRow(`SELECT count(*) FROM sources`).Scan(&n)
	if n != 0 {
		t.Errorf("%d sources after failed runs", n)
	}
	if _, err := Run(context.Background(), c, Options{Paths: []string{"s3://logs/"}, Select: source.Selection{Accounts: []string{"12"}}}); err == nil {
		t.Error("a malformed account was accepted")
	}
}

// TestS3TenThousand ingests a bucket of 10,000 small objects.
func TestS3TenThousand(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("10,000 objects: a scale test, run without -short and -race")
	}
	awstest.Env(t)
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "many")
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	const n = 10000
	for i := range n {
		ts := start.Add(time.Duration(i) * time.Minute)
		key := fmt.Sprintf("AWSLogs/123456789010/vpcflowlogs/us-east-1/%s/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_%s_%08x.log.gz",
			ts.Format("2006/01/02"), ts.Format("20060102T1504Z"), i)
		line := fmt.Sprintf("2 123456789010 eni-1 10.0.0.1 10.0.0.2 %d 443 6 1 %d %d %d ACCEPT OK\n", 1024+i%60000, 40+i, ts.Unix(), ts.Unix()+59)
		srv.Put(t, "many", key, gz(t, header+line))
	}
	c := newCase(t)
	t0 := time.Now()
	s := mustRun(t, c, Options{Paths: []string{"s3://many/"}, AWS: awsapi.Options{EndpointURL: srv.URL}})
	if s.Ingested != n || s.Records != n || s.Headers != n {
		t.Fatalf("ingested %d records %d", s.Ingested, s.Records)
	}
	var sum int64
	c.DB().QueryRow(`SELECT sum(bytes)::BIGINT FROM flows`).Scan(&sum)
	if want := int64(n*40 + n*(n-1)/2); sum != want {
		t.Fatalf("bytes %d, want %d", sum, want)
	}
	t.Logf("10,000 objects in %v", time.Since(t0).Round(time.Millisecond))
}

// TestS3Parquet exports a full ingest as AWS Parquet in the Hive layout,
// serves it from S3 and ingests it: the same sums per partition.
func TestS3Parquet(t *testing.T) {
	srv, cp := s3Env(t)
	full := newCase(t)
	mustRun(t, full, s3Opts(srv, "s3://logs/central/"))
	dir := filepath.Join(t.TempDir(), "parquet-logs")
	exp, err := full.ExportParquet(context.Background(), store.ExportOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv.CreateBucket(t, "parquet-logs")
	for _, f := range exp.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put(t, "parquet-logs", "exports/"+f.Path, b)
	}
	c := newCase(t)
	s := mustRun(t, c, s3Opts(srv, "s3://parquet-logs/exports/"))
	if s.Failed != 0 || s.Rejects != 0 || s.Records != cp.truth.Records || s.Lines != cp.truth.Records {
		t.Fatalf("Parquet ingest: %d records %d rejects %d failed (truth %d)", s.Records, s.Rejects, s.Failed, cp.truth.Records)
	}
	checkTruth(t, c, cp.truth)
	var formats int64
	c.DB().QueryRow(`SELECT count(*) FROM sources WHERE format <> 'parquet'`).Scan(&formats)
	if formats != 0 {
		t.Errorf("%d sources not recorded as Parquet", formats)
	}
	// Pruned by account and region on the Hive layout as well.
	opts := s3Opts(srv, "s3://parquet-logs/exports/")
	opts.Select = source.Selection{Accounts: []string{"444455556666"}, Regions: []string{"us-west-2"}}
	p := newCase(t)
	mustRun(t, p, opts)
	where := `WHERE account_partition = ? AND region_partition = ?`
	if a, w := partitionSums(t, p, ""), partitionSums(t, full, where, "444455556666", "us-west-2"); fmt.Sprint(a) != fmt.Sprint(w) || len(a) == 0 {
		t.Errorf("pruned Parquet ingest %v, SQL over the full ingest %v", a, w)
	}
	// And by time: an export file holds a whole day and claims no 5-minute
	// stamp, so its day folder decides, and the records kept are exactly
	// those of the window.
	since := time.Unix((cp.truth.MinStart+cp.truth.MaxEnd)/2, 0).UTC().Truncate(time.Hour)
	until := since.Add(2 * time.Hour)
	opts = s3Opts(srv, "s3://parquet-logs/exports/")
	opts.Select = source.Selection{Since: since, Until: until}
	w := newCase(t)
	mustRun(t, w, opts)
	if a, want := partitionSums(t, w, ""), partitionSums(t, full, `WHERE "end" >= ? AND start < ?`, since.Unix(), until.Unix()); fmt.Sprint(a) != fmt.Sprint(want) || len(a) == 0 {
		t.Errorf("time-pruned Parquet ingest %v, SQL over the full ingest %v", a, want)
	}
}
