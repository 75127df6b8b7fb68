package store

import (
	"context"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/triage"
)

// TestTriageLog: entries are appended in order with their times, refused
// when invalid (nothing of the batch stored), and kept when detect reruns.
func TestTriageLog(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	at := time.Date(2026, 12, 6, 1, 0, 0, 0, time.FixedZone("CET", 3600))
	ok := triage.Entry{At: at, Author: "alice", Kind: triage.KindFinding, Subject: "0e3959b8ee48", Action: triage.ActionStatus, Value: "confirmed"}
	note := triage.Entry{At: at.Add(time.Minute), Author: "bob", Kind: triage.KindAddress, Subject: "203.0.113.200", Action: triage.ActionNote, Value: "exfil; see INC-7"}
	if err := c.AddTriage(ctx, ok, note); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.Author = ""
	if err := c.AddTriage(ctx, note, bad); err == nil {
		t.Fatal("an entry without an author was stored")
	}
	if _, err := c.ReplaceFindings(ctx, DetectRun{StartedAt: at, Rules: []string{"brute-force"}, Config: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	log, err := c.Triage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Seq != 1 || log[1].Seq != 2 || !log[0].At.Equal(at) || log[0].At.Location() != time.UTC ||
		log[1] != (triage.Entry{Seq: 2, At: at.Add(time.Minute).UTC(), Author: "bob", Kind: "address", Subject: "203.0.113.200", Action: "note", Value: "exfil; see INC-7"}) {
		t.Errorf("log %+v", log)
	}
}
