package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/source"
)

// cwlFormat is a custom v3 format, as DescribeFlowLogs reports it.
const cwlFormat = "${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags}"

var cwlT0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// cwlEvents makes n events of one interface, one a minute from t0+offset
// minutes: record i covers [t, t+59] and carries i+1 bytes.
func cwlEvents(eni string, offset, n int) []awstest.LogEvent {
	var evs []awstest.LogEvent
	for i := offset; i < offset+n; i++ {
		t := cwlT0.Add(time.Duration(i) * time.Minute)
		msg := fmt.Sprintf("3 %s 10.0.0.1 10.0.0.2 %d 443 6 2 %d %d %d ACCEPT OK 2", eni, 30000+i, i+1, t.Unix(), t.Unix()+59)
		evs = append(evs, awstest.LogEvent{Timestamp: t.UnixMilli(), IngestionTime: t.Add(5 * time.Minute).UnixMilli(), Message: msg})
	}
	return evs
}

func cwlEnv(t *testing.T) *awstest.CWLServer {
	t.Helper()
	awstest.Env(t)
	srv := awstest.NewCWLServer(t)
	srv.AddEvents("vpc-flow", "eni-aaa-all", cwlEvents("eni-aaa", 0, 30)...)
	srv.AddEvents("vpc-flow", "eni-bbb-all", cwlEvents("eni-bbb", 0, 20)...)
	srv.AddEvents("vpc-flow", "eni-ccc-all", cwlEvents("eni-ccc", 0, 5)...)
	srv.AddEvents("vpc-flow", "other", awstest.LogEvent{Timestamp: cwlT0.UnixMilli(), Message: "not a flow log"})
	srv.SetFlowLogs(awstest.FlowLog{ID: "fl-0123", LogGroup: "vpc-flow", LogFormat: cwlFormat}, awstest.FlowLog{ID: "fl-9999", LogGroup: "elsewhere", LogFormat: "${version}"})
	return srv
}

func cwlOpts(srv *awstest.CWLServer, now time.Time) Options {
	return Options{Paths: []string{"cwl://vpc-flow"}, StreamPrefix: "eni-", AWS: awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1"},
		Now: func() time.Time { return now }}
}

// TestCWL reads a log group stream by stream: the format comes from the
// group's flow log, streams are chosen by prefix, FilterLogEvents is paged
// (empty pages included), records are filtered by the window, a second run
// reads nothing, and new events are picked up without counting old ones
// twice.
func TestCWL(t *testing.T) {
	srv := cwlEnv(t)
	c := newCase(t)
	now := cwlT0.Add(time.Hour)
	opts := cwlOpts(srv, now)
	opts.Select.Since = cwlT0.Add(10 * time.Minute)
	s := mustRun(t, c, opts)
	if s.Ingested != 3 || s.Failed != 0 || s.Rejects != 0 {
		t.Fatalf("%+v", s)
	}
	// eni-aaa: records 10..29 kept (end >= since), 0..8 out; record 9
	// ends at 10:09:59 < since. eni-bbb: 10..19; eni-ccc: none.
	var n, b int64
	c.DB().QueryRow(`SELECT count(*), sum(bytes)::BIGINT FROM flows`).Scan(&n, &b)
	wantB := int64(0)
	for i := 10; i < 30; i++ {
		wantB += int64(i + 1)
	}
	for i := 10; i < 20; i++ {
		wantB += int64(i + 1)
	}
	if n != 30 || b != wantB || s.OutOfWindow != 25 {
		t.Fatalf("%d records %d bytes (%d out of window), want 30, %d, 25", n, b, s.OutOfWindow, wantB)
	}
	var paths []string
	rows, _ := c.DB().Query(`SELECT path FROM sources WHERE origin = 'cwl' ORDER BY path`)
	for rows.Next() {
		var p string
		rows.Scan(&p)
		paths = append(paths, p)
	}
	rows.Close()
	if !slices.Equal(paths, []string{"cwl://vpc-flow/eni-aaa-all", "cwl://vpc-flow/eni-bbb-all", "cwl://vpc-flow/eni-ccc-all"}) {
		t.Errorf("sources %v", paths)
	}
	var tcp int64
	c.DB().QueryRow(`SELECT count(*) FROM flows WHERE tcp_flags = 2 AND interface_id = 'eni-aaa'`).Scan(&tcp)
	if tcp != 20 {
		t.Errorf("the flow log's format was not used: %d records with tcp_flags", tcp)
	}
	calls := srv.Calls()
	if slices.Index(calls, "DescribeFlowLogs") < 0 || slices.Index(calls, "FilterLogEvents") < 0 {
		t.Errorf("calls %v", calls)
	}

	// The same window again at the same time: nothing is fetched.
	s = mustRun(t, c, opts)
	if s.Skipped != 3 || slices.Contains(srv.Calls(), "FilterLogEvents") {
		t.Fatalf("second run: %+v", s)
	}

	// Ten minutes later, ten more events on eni-aaa: read again and
	// superseded, nothing counted twice.
	srv.AddEvents("vpc-flow", "eni-aaa-all", cwlEvents("eni-aaa", 30, 10)...)
	opts.Now = func() time.Time { return now.Add(10 * time.Minute) }
	s = mustRun(t, c, opts)
	c.DB().QueryRow(`SELECT count(*) FROM flows WHERE interface_id = 'eni-aaa'`).Scan(&n)
	var superseded int64
	c.DB().QueryRow(`SELECT count(*) FROM sources WHERE status = 'superseded'`).Scan(&superseded)
	if n != 30 || superseded != 3 || s.Ingested != 3 {
		t.Fatalf("after new events: %d eni-aaa records (want 30), %d superseded, %+v", n, superseded, s)
	}

	// Retention expires the first half hour: a wider window cannot be
	// read again without losing records, so the earlier load is kept.
	srv.Expire("vpc-flow", cwlT0.Add(30*time.Minute).UnixMilli())
	opts.Select.Since = time.Time{}
	opts.Now = func() time.Time { return now.Add(20 * time.Minute) }
	s, _ = Run(context.Background(), c, opts)
	if s.Failed == 0 {
		t.Fatalf("expired events: %+v", s)
	}
	for _, r := range s.Results {
		if r.Outcome == Failed && !strings.Contains(r.Error, "retention") {
			t.Errorf("%s: %s", r.Path, r.Error)
		}
	}
	c.DB().QueryRow(`SELECT count(*) FROM flows WHERE interface_id = 'eni-aaa'`).Scan(&n)
	if n != 30 {
		t.Errorf("the earlier load was lost: %d records", n)
	}
}

func TestCWLErrors(t *testing.T) {
	srv := cwlEnv(t)
	c := newCase(t)
	opts := cwlOpts(srv, cwlT0)
	opts.Paths = []string{"cwl://nope"}
	s, err := Run(context.Background(), c, opts)
	if err == nil || !strings.Contains(err.Error(), "no such log group") {
		t.Errorf("missing group: %v %+v", err, s)
	}
	srv.SetFlowLogs(awstest.FlowLog{ID: "fl-1", LogGroup: "vpc-flow", LogFormat: cwlFormat}, awstest.FlowLog{ID: "fl-2", LogGroup: "vpc-flow"})
	opts.Paths = []string{"cwl://vpc-flow"}
	if _, err := Run(context.Background(), c, opts); err == nil || !strings.Contains(err.Error(), "different formats") {
		t.Errorf("two formats: %v", err)
	}
	// No flow log: AWS's default format, with a note; these custom
	// records then fail their streams, visibly, saying why (issue 12.4:
	// not one line is a record), not lost.
	srv.SetFlowLogs()
	s = mustRun(t, c, opts)
	if s.Records != 0 || s.Failed == 0 || s.Failed != s.Files || len(s.Listings) != 1 || len(s.Listings[0].Notes) == 0 {
		t.Errorf("no flow log: %+v %+v", s, s.Listings)
	}
	for _, r := range s.Results {
		if !strings.Contains(r.Error, "not one line is a flow log record") || !strings.Contains(r.Error, "--log-format") {
			t.Errorf("%s: %s", r.Path, r.Error)
		}
	}
	if _, err := source.ParseCWLURL("cwl://"); err == nil {
		t.Error("empty group accepted")
	}
}
