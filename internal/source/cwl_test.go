package source_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/source"
)

func TestParseCWLURL(t *testing.T) {
	for in, want := range map[string]string{"cwl://vpc-flow": "vpc-flow", "cwl:///aws/vpc/flow-logs": "/aws/vpc/flow-logs", "CWL://a.b#c": "a.b#c"} {
		if g, err := source.ParseCWLURL(in); err != nil || g != want {
			t.Errorf("%s: %q %v", in, g, err)
		}
	}
	for _, in := range []string{"cwl://", "cwl://a b", "cwl://a:b", "s3://x"} {
		if _, err := source.ParseCWLURL(in); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

// TestCWLStreamsFetch lists streams (one starting after the window is
// passed over) and spools a stream's events as message lines.
func TestCWLStreamsFetch(t *testing.T) {
	awstest.Env(t)
	srv := awstest.NewCWLServer(t)
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	srv.AddEvents("g", "early", awstest.LogEvent{Timestamp: t0.UnixMilli(), Message: "m1 \"quoted\" <tag>"}, awstest.LogEvent{Timestamp: t0.Add(time.Hour).UnixMilli(), Message: "m2"})
	srv.AddEvents("g", "late", awstest.LogEvent{Timestamp: t0.Add(48 * time.Hour).UnixMilli(), Message: "m3"})
	c, err := awsapi.NewCWL(context.Background(), awsapi.Options{EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sel := source.Selection{Since: t0, Until: t0.Add(2 * time.Hour)}
	var got []source.CWLStream
	listed, pruned, err := source.ListCWLStreams(context.Background(), c, "g", "", sel, func(s source.CWLStream) error { got = append(got, s); return nil })
	if err != nil || listed != 2 || pruned != 1 || len(got) != 1 || got[0].URL() != "cwl://g/early" {
		t.Fatalf("listed %d pruned %d %+v %v", listed, pruned, got, err)
	}
	sp, err := source.FetchCWL(context.Background(), c, got[0], sel.Since, sel.Until, source.Spooler{})
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := sp.Open()
	b, _ := io.ReadAll(rc)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var ev struct {
		Message   string `json:"message"`
		Timestamp int64  `json:"timestamp"`
		ID        string `json:"eventId"`
	}
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &ev) != nil || ev.Message != "m1 \"quoted\" <tag>" || ev.Timestamp != t0.UnixMilli() || ev.ID == "" {
		t.Fatalf("spool %q", b)
	}
	if len(sp.SHA256) != 64 || sp.Size != int64(len(b)) {
		t.Errorf("spool size %d sha %s", sp.Size, sp.SHA256)
	}
}
