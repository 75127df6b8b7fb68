package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
)

func TestCWLStreamsAndEvents(t *testing.T) {
	awstest.Env(t)
	srv := awstest.NewCWLServer(t)
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"eni-a-all", "eni-b-all", "eni-c-all", "x"} {
		for i := 0; i < 7; i++ {
			srv.AddEvents("g", s, awstest.LogEvent{Timestamp: t0.Add(time.Duration(i) * time.Minute).UnixMilli(), Message: fmt.Sprintf("%s %d", s, i)})
		}
	}
	srv.SetFlowLogs(awstest.FlowLog{ID: "fl-1", LogGroup: "g", LogFormat: "${version} ${srcaddr}"}, awstest.FlowLog{ID: "fl-2", LogGroup: "h"})
	ctx := context.Background()
	opts := awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1"}
	c, err := awsapi.NewCWL(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := c.Streams(ctx, "g", "eni-", func(s awsapi.LogStream) error {
		names = append(names, s.Name)
		if !s.FirstEvent.Equal(t0) || !s.LastEvent.Equal(t0.Add(6*time.Minute)) {
			t.Errorf("%s: first %v last %v", s.Name, s.FirstEvent, s.LastEvent)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"eni-a-all", "eni-b-all", "eni-c-all"}) {
		t.Fatalf("streams %v (paged two at a time)", names)
	}
	var msgs []string
	pages := 0
	err = c.Events(ctx, "g", "eni-b-all", t0.Add(time.Minute), t0.Add(5*time.Minute), func(evs []awsapi.LogEvent) error {
		pages++
		for _, e := range evs {
			msgs = append(msgs, e.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"eni-b-all 1", "eni-b-all 2", "eni-b-all 3", "eni-b-all 4", "eni-b-all 5"}
	if !slices.Equal(msgs, want) || pages != 3 {
		t.Fatalf("events %v in %d pages (an empty one first, then 3 a page)", msgs, pages)
	}
	if err := c.Streams(ctx, "missing", "", func(awsapi.LogStream) error { return nil }); !errors.Is(err, awsapi.ErrNoSuchLogGroup) {
		t.Errorf("missing group: %v", err)
	}
	fls, err := awsapi.FlowLogsForLogGroup(ctx, opts, "g")
	if err != nil || len(fls) != 1 || fls[0].ID != "fl-1" || fls[0].LogFormat != "${version} ${srcaddr}" {
		t.Fatalf("flow logs %+v %v", fls, err)
	}
	if fls, err := awsapi.FlowLogsForLogGroup(ctx, opts, "none"); err != nil || len(fls) != 0 {
		t.Errorf("no flow log: %+v %v", fls, err)
	}
}
