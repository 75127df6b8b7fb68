package source_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/source"
)

func init() { awsapi.RetryBase = time.Millisecond }

// corpus is a demo corpus (three accounts: daily, Hive and hourly layouts)
// uploaded under central/ in bucket "logs", generated once per test binary.
type corpus struct {
	dir  string
	keys []string // every object key
	// recTimes holds, per key, the start and end of every record, read
	// from the files directly (not through flowir's decoder).
	recTimes map[string][][2]int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theCorpus != nil {
		os.RemoveAll(theCorpus.dir)
	}
	os.Exit(code)
}

var (
	corpusOnce sync.Once
	theCorpus  *corpus
	corpusErr  error
)

func getCorpus(t *testing.T) *corpus {
	t.Helper()
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flowir-s3-corpus-")
		if err != nil {
			corpusErr = err
			return
		}
		accts := demo.DefaultAccounts()
		for i := range accts {
			accts[i].Prefix = "central"
		}
		if _, err := demo.Generate(demo.Config{Dir: dir, Records: 20000, Duration: 24 * time.Hour, Accounts: accts}); err != nil {
			corpusErr = err
			return
		}
		c := &corpus{dir: dir, recTimes: map[string][][2]int64{}}
		corpusErr = filepath.Walk(filepath.Join(dir, "central"), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			key := filepath.ToSlash(rel)
			c.keys = append(c.keys, key)
			times, err := recordTimes(p)
			c.recTimes[key] = times
			return err
		})
		theCorpus = c
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return theCorpus
}

// recordTimes reads start and end of every record of a demo file by their
// header positions.
func recordTimes(p string) ([][2]int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(zr)
	var is, ie int
	var out [][2]int64
	for n := 0; sc.Scan(); n++ {
		toks := strings.Fields(sc.Text())
		if n == 0 {
			is, ie = slices.Index(toks, "start"), slices.Index(toks, "end")
			continue
		}
		s, _ := strconv.ParseInt(toks[is], 10, 64)
		e, _ := strconv.ParseInt(toks[ie], 10, 64)
		out = append(out, [2]int64{s, e})
	}
	return out, sc.Err()
}

func (c *corpus) upload(t *testing.T, srv *awstest.S3Server, bucket string) {
	t.Helper()
	srv.CreateBucket(t, bucket)
	for _, k := range c.keys {
		b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(k)))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put(t, bucket, k, b)
	}
}

func newS3(t *testing.T, bucket string) (*awstest.S3Server, *awsapi.S3) {
	t.Helper()
	awstest.Env(t)
	srv := awstest.NewS3Server(t)
	getCorpus(t).upload(t, srv, bucket)
	c, err := awsapi.NewS3(context.Background(), awsapi.Options{EndpointURL: srv.URL}, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func list(t *testing.T, c *awsapi.S3, url string, sel source.Selection) ([]string, *source.S3Listing) {
	t.Helper()
	loc, err := source.ParseS3URL(url)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	l, err := source.ListS3(context.Background(), c, loc, sel, func(o source.S3Object) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, l
}

func TestListS3Full(t *testing.T) {
	cp := getCorpus(t)
	srv, c := newS3(t, "logs")
	srv.Put(t, "logs", "central/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/trail.json.gz", []byte("{}"))
	srv.Put(t, "logs", "central/notes.txt", []byte("x"))
	srv.Requests()
	keys, l := list(t, c, "s3://logs/central", source.Selection{})
	if !slices.Equal(keys, cp.keys) {
		t.Fatalf("full listing selected %d keys, want the corpus's %d", len(keys), len(cp.keys))
	}
	if l.Ignored != 2 {
		t.Errorf("ignored = %d (%v), want the CloudTrail object and the notes", l.Ignored, l.IgnoredKeys)
	}
	if got := slices.Compact(awstest.Lists(srv.Requests())); !slices.Equal(got, []string{"central|/", "central/"}) {
		t.Errorf("listed %v", got)
	}
}

// TestListS3Pruned checks, for each layout, which prefixes a selection
// lists, and that the selected objects are exactly those whose stamp can
// hold a record in the window: every object with such a record (found by
// reading the files, not through flowir) is selected, and the extra ones
// are within the documented margins of the window.
func TestListS3Pruned(t *testing.T) {
	cp := getCorpus(t)
	srv, c := newS3(t, "logs")
	since := demo.DefaultStart.Add(13 * time.Hour)
	until := since.Add(2 * time.Hour) // 13:00-15:00 on 2026-11-20
	tests := []struct {
		name, account, region string
		url                   string
		listed                []string
		skippedFolders        bool
	}{
		{name: "daily", account: "111122223333", region: "us-east-1", url: "s3://logs/central/",
			listed: []string{"central/|/", "central/AWSLogs/|/", "central/AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/20/|/"}},
		{name: "hive", account: "444455556666", region: "us-west-2", url: "s3://logs/central/",
			listed: []string{"central/|/", "central/AWSLogs/|/",
				"central/AWSLogs/aws-account-id=444455556666/aws-service=vpcflowlogs/aws-region=us-west-2/year=2026/month=11/day=20/|/",
				"central/AWSLogs/aws-account-id=444455556666/service=vpcflowlogs/"}},
		{name: "hourly", account: "777788889999", region: "eu-west-1", url: "s3://logs/central/", skippedFolders: true,
			listed: []string{"central/|/", "central/AWSLogs/|/", "central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/|/",
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/11/",
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/12/",
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/13/",
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/14/",
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/15/",
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/16/",
				// Late deliveries (issue 17.11): an hour more after --until.
				"central/AWSLogs/777788889999/vpcflowlogs/eu-west-1/2026/11/20/17/"}},
		{name: "prefix-inside-tree", account: "111122223333", region: "us-east-1", url: "s3://logs/central/AWSLogs/111122223333/vpcflowlogs/us-east-1/",
			listed: []string{"central/AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/20/|/"}},
		{name: "prefix-without-slash", account: "111122223333", region: "us-east-1", url: "s3://logs/central/AWSLogs/111122223333/vpcflowlogs/us-east-1",
			listed: []string{"central/AWSLogs/111122223333/vpcflowlogs/us-east-1|/", "central/AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/20/|/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Requests()
			sel := source.Selection{Accounts: []string{tt.account}, Regions: []string{tt.region}, Since: since, Until: until}
			keys, l := list(t, c, tt.url, sel)
			if got := awstest.Lists(srv.Requests()); !slices.Equal(got, tt.listed) {
				t.Errorf("listed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.listed, "\n"))
			}
			if tt.skippedFolders != (l.SkippedFolders > 0) {
				t.Errorf("skipped hour folders = %d", l.SkippedFolders)
			}
			var needed, inAccount int
			for _, k := range cp.keys {
				p := source.ParseKey(k)
				if p.Account != tt.account || p.Region != tt.region {
					if slices.Contains(keys, k) {
						t.Errorf("selected %s of another account or region", k)
					}
					continue
				}
				inAccount++
				has := false
				for _, r := range cp.recTimes[k] {
					if r[1] >= since.Unix() && r[0] < until.Unix() {
						has = true
					}
				}
				if has {
					needed++
					if !slices.Contains(keys, k) {
						t.Errorf("%s holds records in the window but was not selected", k)
					}
				}
			}
			for _, k := range keys {
				stamp := source.ParseKey(k).FileTime
				if stamp.Before(since.Add(-75*time.Minute)) || !stamp.Before(until.Add(90*time.Minute)) {
					t.Errorf("selected %s, stamped %s, far outside the window", k, stamp)
				}
			}
			if needed == 0 || len(keys) > needed*3 || len(keys) >= inAccount/2 {
				t.Errorf("selected %d keys for %d needed (of %d in the account and region)", len(keys), needed, inAccount)
			}
			t.Logf("%s: %d selected, %d needed, %d in the account/region, %d keys listed", tt.name, len(keys), needed, inAccount, l.Keys)
		})
	}
}

func TestListS3Errors(t *testing.T) {
	_, c := newS3(t, "logs")
	loc, _ := source.ParseS3URL("s3://logs/elsewhere/")
	_, err := source.ListS3(context.Background(), c, loc, source.Selection{Regions: []string{"us-east-1"}}, func(source.S3Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no AWSLogs/ folder") {
		t.Errorf("no tree: %v", err)
	}
	for _, bad := range []source.Selection{{Accounts: []string{"1234"}}, {Regions: []string{"useast1"}},
		{Since: time.Unix(10, 0), Until: time.Unix(5, 0)}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	for _, u := range []string{"s3://", "s3:///x", "http://x/y", "s3://a/b"} {
		if _, err := source.ParseS3URL(u); err == nil {
			t.Errorf("%s: no error", u)
		}
	}
	// One object named in full is read alone.
	keys, _ := list(t, c, "s3://logs/"+getCorpus(t).keys[5], source.Selection{})
	if len(keys) != 1 || keys[0] != getCorpus(t).keys[5] {
		t.Errorf("single object: %v", keys)
	}
}

func TestFetchS3(t *testing.T) {
	awstest.Env(t)
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "b")
	data := []byte(strings.Repeat("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\n", 5000))
	srv.Put(t, "b", "k.log", data)
	c, err := awsapi.NewS3(context.Background(), awsapi.Options{EndpointURL: srv.URL}, "b")
	if err != nil {
		t.Fatal(err)
	}
	var obj source.S3Object
	c.List(context.Background(), "k", "", func(p awsapi.S3Page) error {
		obj = source.S3Object{S3Object: p.Objects[0], Bucket: "b"}
		return nil
	})
	for _, mem := range []int64{1 << 20, 1000} { // in memory; spilled to a file
		// The first two GETs break off mid-body; the download resumes.
		srv.SetFault(func(r awstest.Request, attempt int) (int, string, int) {
			if r.Key == "k.log" && attempt <= 2 {
				return 0, "", 7000 * attempt
			}
			return 0, "", 0
		})
		srv.Requests()
		sp, err := source.FetchS3(context.Background(), c, obj, source.Spooler{Dir: t.TempDir(), MemLimit: mem})
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := sp.Open()
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != string(data) || sp.Size != int64(len(data)) {
			t.Fatalf("mem %d: spool holds %d bytes, want %d", mem, len(got), len(data))
		}
		if n := len(srv.Requests()); n != 3 {
			t.Errorf("mem %d: %d GETs, want 3 (two broken, one resumed)", mem, n)
		}
		f, err := sp.File(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(f); len(b) != len(data) {
			t.Errorf("spool file has %d bytes", len(b))
		}
		sp.Close()
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("spool file %s left behind", f)
		}
	}
	srv.SetFault(nil)
	srv.Delete(t, "b", "k.log")
	if _, err := source.FetchS3(context.Background(), c, obj, source.Spooler{}); !errors.Is(err, awsapi.ErrNoSuchKey) {
		t.Errorf("deleted: %v", err)
	}
	srv.Put(t, "b", "k.log", data[:100])
	if _, err := source.FetchS3(context.Background(), c, obj, source.Spooler{}); !errors.Is(err, awsapi.ErrObjectChanged) {
		t.Errorf("replaced: %v", err)
	}
	srv.SetFault(func(r awstest.Request, attempt int) (int, string, int) {
		return http.StatusForbidden, "AccessDenied", 0
	})
	if _, err := source.FetchS3(context.Background(), c, obj, source.Spooler{}); !errors.Is(err, awsapi.ErrAccessDenied) {
		t.Errorf("denied: %v", err)
	}
}
