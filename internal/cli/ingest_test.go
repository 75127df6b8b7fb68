package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
)

// TestIngestS3Command runs `flowir ingest s3://...` as a user would, against
// a loopback S3 server: the full prefix (checked against the ground truth),
// then one account, one region and a two-hour window into another case,
// whose records must be exactly what SQL selects from the full case.
func TestIngestS3Command(t *testing.T) {
	awsapi.RetryBase = time.Millisecond
	dir, truth := corpus(t)
	awstest.Env(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "") // no credentials at all: unsigned requests
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "evidence")
	err := filepath.Walk(filepath.Join(dir, "AWSLogs"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		srv.Put(t, "evidence", "case-42/"+filepath.ToSlash(rel), b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full")
	out := mustRun(t, "ingest", "--case", full, "--format", "json", "--endpoint-url", srv.URL, "s3://evidence/case-42/")
	var sum struct {
		Files, Ingested, Failed     int
		Records, Lines, OutOfWindow int64 `json:",omitempty"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Records != truth.Records || sum.Lines != truth.Lines || int64(sum.Ingested) != truth.Files || sum.Failed != 0 {
		t.Fatalf("ingest summary %+v; truth %d records %d lines %d files", sum, truth.Records, truth.Lines, truth.Files)
	}

	// status --sources shows each source's S3 key and ETag.
	var sources []struct {
		Path, Origin, ETag string
	}
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--sources", "--case", full, "--format", "json")), &sources); err != nil {
		t.Fatal(err)
	}
	if int64(len(sources)) != truth.Files || sources[0].Origin != "s3" || sources[0].ETag == "" || !strings.HasPrefix(sources[0].Path, "s3://evidence/case-42/AWSLogs/") {
		t.Fatalf("status --sources: %d sources, first %+v", len(sources), sources[0])
	}

	since := truth.Start.Add(20 * time.Hour)
	until := since.Add(2 * time.Hour)
	pruned := filepath.Join(t.TempDir(), "pruned")
	srv.Requests()
	mustRun(t, "ingest", "--case", pruned, "--endpoint-url", srv.URL, "--account", "777788889999", "--region", "ap-southeast-2",
		"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339), "s3://evidence/case-42/")
	gets := awstest.Gets(srv.Requests())
	if len(gets) == 0 || int64(len(gets))*10 > truth.Files {
		t.Errorf("the pruned ingest downloaded %d of %d objects", len(gets), truth.Files)
	}
	for _, k := range gets {
		if !strings.Contains(k, "777788889999/vpcflowlogs/ap-southeast-2/") {
			t.Errorf("downloaded %s", k)
		}
	}
	q := `SELECT count(*) AS n, sum(bytes) AS b, sum(packets) AS p FROM flows`
	got := mustRun(t, "sql", "--case", pruned, "--format", "csv", q)
	want := mustRun(t, "sql", "--case", full, "--format", "csv", q+` WHERE account_partition = '777788889999' AND region_partition = 'ap-southeast-2'
		AND "end" >= `+itoa(since.Unix())+` AND start < `+itoa(until.Unix()))
	if got != want || strings.HasPrefix(strings.Split(got, "\n")[1], "0,") {
		t.Fatalf("pruned case %q, SQL over the full case %q", got, want)
	}

	// Usage errors exit 2 with a message.
	for _, args := range [][]string{
		{"ingest", "--case", pruned, "--account", "1234", "s3://evidence/"},
		{"ingest", "--case", pruned, "--stream-prefix", "eni-", "s3://evidence/"},
		{"ingest", "--case", pruned, "--since", "yesterday-ish", "s3://evidence/"},
		{"ingest", "--case", pruned, "--region", "us-east-1,eu-west-1", "cwl://g"},
	} {
		if code, _, errOut := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if code, _, errOut := run(t, "ingest", "--case", pruned, "--endpoint-url", srv.URL, "s3://no-such-bucket/"); code != 1 || !strings.Contains(errOut, "no such bucket") {
		t.Errorf("missing bucket: exit %d, %q", code, errOut)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestIngestCWLCommand reads a CloudWatch Logs group through the command
// line: the region from --region, the format from the group's flow log
// (DescribeFlowLogs on the same endpoint), one stream chosen by prefix.
func TestIngestCWLCommand(t *testing.T) {
	awstest.Env(t)
	srv := awstest.NewCWLServer(t)
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i, eni := range []string{"eni-aaa", "eni-bbb"} {
		for m := 0; m < 5; m++ {
			ts := t0.Add(time.Duration(m) * time.Minute)
			srv.AddEvents("/vpc/flow", eni+"-all", awstest.LogEvent{Timestamp: ts.UnixMilli(),
				Message: strings.Join([]string{eni, "10.0.0.1", "10.0.0.2", "6", itoa(int64(100 * (i + 1))), itoa(ts.Unix()), itoa(ts.Unix() + 59), "ACCEPT", "OK"}, " ")})
		}
	}
	srv.SetFlowLogs(awstest.FlowLog{ID: "fl-0abc", LogGroup: "/vpc/flow", LogFormat: "${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${bytes} ${start} ${end} ${action} ${log-status}"})
	dir := filepath.Join(t.TempDir(), "case")
	out := mustRun(t, "ingest", "--case", dir, "--format", "json", "--endpoint-url", srv.URL, "--region", "eu-west-1",
		"--stream-prefix", "eni-bbb", "--since", t0.Add(2*time.Minute).Format(time.RFC3339), "cwl:///vpc/flow")
	var sum struct {
		Ingested    int
		OutOfWindow int64 `json:"out_of_window"`
	}
	json.Unmarshal([]byte(out), &sum)
	if sum.Ingested != 1 || sum.OutOfWindow != 2 {
		t.Fatalf("summary %s", out)
	}
	got := mustRun(t, "sql", "--case", dir, "--format", "csv", `SELECT count(*), sum(bytes), min(interface_id) FROM flows`)
	if !strings.Contains(got, "3,600,eni-bbb") {
		t.Fatalf("flows: %s", got)
	}
	var sources []struct{ Path, Origin string }
	json.Unmarshal([]byte(mustRun(t, "status", "--sources", "--case", dir, "--format", "json")), &sources)
	if len(sources) != 1 || sources[0].Path != "cwl:///vpc/flow/eni-bbb-all" || sources[0].Origin != "cwl" {
		t.Errorf("sources %+v", sources)
	}
}

// TestEndpointPasswordNotShown gives --endpoint-url a password, as an
// S3-compatible store's URL may hold, and a server that is not there: the
// error names the endpoint without the password (issue 17.18).
func TestEndpointPasswordNotShown(t *testing.T) {
	awsapi.RetryBase = time.Millisecond
	awstest.Env(t)
	dir := filepath.Join(t.TempDir(), "case")
	for _, src := range []string{"s3://evidence-bucket/p/", "cwl://group"} {
		code, out, errOut := run(t, "ingest", "--case", dir, "--region", "us-east-1", "--endpoint-url", "http://lab:s3cr3t-pw@127.0.0.1:1/", src)
		if code == 0 || strings.Contains(out+errOut, "s3cr3t-pw") || !strings.Contains(errOut, "127.0.0.1:1") {
			t.Errorf("%s: exit %d, the password is shown or the endpoint not named:\n%s%s", src, code, out, errOut)
		}
	}
}
