package awsapi

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/athena/awsfake"
)

// testEnv points the SDK at static test credentials and nothing else on
// this machine (no shared config, no instance metadata).
func testEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFLOWIRTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func sp(s string) *string { return &s }

var fastPoll = Poll{Initial: time.Millisecond, Max: 5 * time.Millisecond}

func newAthena(t *testing.T, exec awsfake.Executor) (*Athena, *awsfake.Athena) {
	t.Helper()
	testEnv(t)
	srv := awsfake.NewAthena(exec)
	t.Cleanup(srv.Close)
	a, err := NewAthena(context.Background(), Options{EndpointURL: srv.URL, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	return a, srv
}

func TestAthenaRunPagesAndParameters(t *testing.T) {
	// 7 rows over pages of 3 (header included on the first page), so the
	// client must follow NextToken three times and drop only the header.
	var rows [][]*string
	for i := 0; i < 7; i++ {
		rows = append(rows, []*string{sp(fmt.Sprintf("10.0.0.%d", i)), sp(fmt.Sprint(i * 100))})
	}
	rows = append(rows, []*string{nil, sp("0")}) // a NULL survives
	a, srv := newAthena(t, func(sql string, params []string) awsfake.Answer {
		return awsfake.Answer{Columns: []awsfake.Column{{Name: "ip", Type: "varchar"}, {Name: "total_bytes", Type: "bigint"}}, Rows: rows, Scanned: 123456789, Polls: 3}
	})
	srv.PageSize = 3
	var started string
	res, err := a.Run(context.Background(), AthenaQuery{
		SQL: "SELECT ip, total_bytes FROM t WHERE srcaddr = ?", Parameters: []string{"'10.0.0.5'"},
		WorkGroup: "flowir", Database: "flowir", OutputLocation: "s3://results-bucket/flowir/",
	}, fastPoll, func(id string) { started = id })
	if err != nil {
		t.Fatal(err)
	}
	if started == "" || started != res.QueryID {
		t.Errorf("started callback got %q, result id %q", started, res.QueryID)
	}
	if len(res.Rows) != 8 {
		t.Fatalf("%d rows, want 8", len(res.Rows))
	}
	if *res.Rows[0][0] != "10.0.0.0" || res.Rows[7][0] != nil || *res.Rows[6][1] != "600" {
		t.Errorf("rows out of order or altered: first %v last %v", *res.Rows[0][0], res.Rows[7])
	}
	if res.Columns[1] != (AthenaColumn{"total_bytes", "bigint"}) {
		t.Errorf("columns %v", res.Columns)
	}
	if res.ScannedBytes != 123456789 || res.State != "SUCCEEDED" || res.EngineTime != 1234*time.Millisecond {
		t.Errorf("result %+v", res)
	}
	if n := srv.Calls("GetQueryResults"); n != 3 {
		t.Errorf("%d GetQueryResults calls, want 3 pages", n)
	}
	if n := srv.Calls("GetQueryExecution"); n != 4 {
		t.Errorf("%d GetQueryExecution calls, want 4 (3 running + 1 succeeded)", n)
	}
	req := srv.Requests()[0]
	if req.WorkGroup != "flowir" || req.Database != "flowir" || req.OutputLocation != "s3://results-bucket/flowir/" ||
		len(req.Params) != 1 || req.Params[0] != "'10.0.0.5'" || req.Token == "" {
		t.Errorf("StartQueryExecution request %+v", req)
	}
}

func TestAthenaRunFailed(t *testing.T) {
	a, _ := newAthena(t, func(string, []string) awsfake.Answer {
		return awsfake.Answer{Fail: "COLUMN_NOT_FOUND: line 1:8: Column 'bytez' cannot be resolved", Polls: 1}
	})
	res, err := a.Run(context.Background(), AthenaQuery{SQL: "SELECT bytez FROM t"}, fastPoll, nil)
	if !errors.Is(err, ErrQueryFailed) || !strings.Contains(err.Error(), "Column 'bytez' cannot be resolved") {
		t.Fatalf("error %v", err)
	}
	if res == nil || res.State != "FAILED" {
		t.Errorf("result %+v", res)
	}
}

func TestAthenaRunStopOnCancel(t *testing.T) {
	a, srv := newAthena(t, func(string, []string) awsfake.Answer {
		return awsfake.Answer{Hang: true, Scanned: 5 << 20}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for srv.Calls("GetQueryExecution") < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel() // what Ctrl-C does through signal.NotifyContext
	}()
	res, err := a.Run(ctx, AthenaQuery{SQL: "SELECT * FROM big"}, fastPoll, nil)
	if !errors.Is(err, ErrQueryCancelled) {
		t.Fatalf("error %v", err)
	}
	if srv.Calls("StopQueryExecution") != 1 {
		t.Errorf("StopQueryExecution called %d times", srv.Calls("StopQueryExecution"))
	}
	if res.State != "CANCELLED" || res.ScannedBytes != 5<<20 {
		t.Errorf("after stop: %+v", res)
	}
}

func TestAthenaRunServiceError(t *testing.T) {
	a, _ := newAthena(t, nil)
	_, err := a.Run(context.Background(), AthenaQuery{SQL: ""}, fastPoll, nil)
	if err == nil || !strings.Contains(err.Error(), "InvalidRequestException") {
		t.Fatalf("want the service's error, got %v", err)
	}
}

func TestDescribeFlowLog(t *testing.T) {
	testEnv(t)
	format := "${version} ${account-id} ${bytes} ${packets}"
	srv := awsfake.NewEC2(awsfake.FlowLog{ID: "fl-0123456789abcdef0", LogFormat: format, DestinationType: "s3",
		Destination: "arn:aws:s3:::ir-logs/prod", ResourceID: "vpc-1", FileFormat: "parquet", Hive: true})
	defer srv.Close()
	opts := Options{EndpointURL: srv.URL}
	c, err := DescribeFlowLog(context.Background(), opts, "fl-0123456789abcdef0")
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != format || c.FileFormat != "parquet" || !c.Hive || c.PerHour {
		t.Errorf("config %+v", c)
	}
	if len(srv.Seen["FlowLogId.1"]) != 1 || srv.Seen["FlowLogId.1"][0] != "fl-0123456789abcdef0" {
		t.Errorf("request form %v", srv.Seen)
	}
	b, p, err := c.S3Destination()
	if err != nil || b != "ir-logs" || p != "prod" {
		t.Errorf("destination %q %q %v", b, p, err)
	}
	if _, err := DescribeFlowLog(context.Background(), opts, "fl-missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing flow log: %v", err)
	}
	if _, err := DescribeFlowLog(context.Background(), opts, "vpc-1"); err == nil {
		t.Error("a non fl- id was accepted")
	}
	cw := &FlowLogConfig{ID: "fl-1", DestinationType: "cloud-watch-logs", Destination: "arn:aws:logs:us-east-1:1:log-group:x"}
	if _, _, err := cw.S3Destination(); err == nil {
		t.Error("CloudWatch destination accepted as S3")
	}
}
