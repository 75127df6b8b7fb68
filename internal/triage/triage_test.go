package triage

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAddress(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"10.0.0.5", "10.0.0.5", true},
		{" 203.0.113.200 ", "203.0.113.200", true},
		{"::ffff:203.0.113.200", "203.0.113.200", true},
		{"2001:DB8:BAD:1::66", "2001:db8:bad:1::66", true},
		{"10.0.0.5/24", "10.0.0.0/24", true},
		{"10.0.0.5/32", "10.0.0.5", true},
		{"2001:db8::1/128", "2001:db8::1", true},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", true},
		{"2001:db8:bad::/48", "2001:db8:bad::/48", true},
		{"fe80::1%eth0", "", false},
		{"0e3959b8ee48", "", false},
		{"10.0.0", "", false},
		{"", "", false},
	} {
		got, ok := Address(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Address(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseTagStatus(t *testing.T) {
	for _, c := range []struct {
		in     string
		custom bool
		want   string
		err    string
	}{
		{"compromised", false, "compromised", ""},
		{" Malicious ", false, "malicious", ""},
		{"comprimised", false, "", "unknown tag \"comprimised\": use one of compromised, victim,"},
		{"ticket:INC-42", true, "ticket:inc-42", ""},
		{"apt-29", true, "apt-29", ""},
		{"has space", true, "", "a custom tag is a lower-case word"},
		{"-x", true, "", "a custom tag"},
		{strings.Repeat("a", 64), true, "", "a custom tag"},
		{strings.Repeat("a", 63), true, strings.Repeat("a", 63), ""},
	} {
		got, err := ParseTag(c.in, c.custom)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseTag(%q, %v) = %q, %v; want %q, %q", c.in, c.custom, got, err, c.want, c.err)
		}
	}
	for _, c := range []struct{ in, want string }{{"confirmed", "confirmed"}, {"False-Positive", "false-positive"}, {"open", "open"}, {"resolved", "resolved"}, {"closed", ""}, {"fp", ""}} {
		got, err := ParseStatus(c.in)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("ParseStatus(%q) = %q, %v", c.in, got, err)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := Entry{Author: "alice", Kind: KindFinding, Subject: "0e3959b8ee48", Action: ActionStatus, Value: StatusConfirmed}
	for _, c := range []struct {
		edit func(*Entry)
		err  string
	}{
		{func(e *Entry) {}, ""},
		{func(e *Entry) { e.Author = " " }, "--author"},
		{func(e *Entry) { e.Kind = KindAddress }, "only findings have a status"},
		{func(e *Entry) { e.Value = "done" }, "unknown status"},
		{func(e *Entry) { e.Action, e.Value = ActionNote, " \n" }, "empty note"},
		{func(e *Entry) { e.Action, e.Value = ActionTag, "" }, "empty tag"},
		{func(e *Entry) { e.Action = "delete" }, "unknown triage action"},
		{func(e *Entry) { e.Kind = "host" }, "unknown subject kind"},
	} {
		e := ok
		c.edit(&e)
		err := e.Check()
		if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: %v, want %q", e, err, c.err)
		}
	}
}

func TestFold(t *testing.T) {
	at := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	e := func(seq int64, who, subject, action, value string) Entry {
		kind := KindFinding
		if _, ok := Address(subject); ok {
			kind = KindAddress
		}
		return Entry{Seq: seq, At: at.Add(time.Duration(seq) * time.Minute), Author: who, Kind: kind, Subject: subject, Action: action, Value: value}
	}
	const f1, f2, ip = "0e3959b8ee48", "afbd45b90c3d", "203.0.113.200"
	log := []Entry{
		// Out of order on purpose: Seq decides.
		e(5, "bob", f1, ActionStatus, StatusFalsePositive),
		e(1, "alice", f1, ActionStatus, StatusConfirmed),
		e(2, "alice", f1, ActionNote, "SSH from the pentest range?"),
		e(3, "alice", ip, ActionTag, "malicious"),
		e(4, "alice", ip, ActionTag, "exfil-destination"),
		e(6, "bob", f1, ActionNote, "pentest, ticket SEC-9"),
		e(7, "bob", ip, ActionTag, "malicious"), // twice: once
		e(8, "bob", ip, ActionUntag, "exfil-destination"),
		e(9, "bob", ip, ActionUntag, "benign"), // not there: nothing
	}
	st := Fold(log)
	s1 := FindingState(st, f1)
	if s1.Status != StatusFalsePositive || s1.StatusBy != "bob" || !s1.StatusAt.Equal(at.Add(5*time.Minute)) || len(s1.Notes) != 2 ||
		s1.Notes[0].Text != "SSH from the pentest range?" || s1.Notes[1].Author != "bob" {
		t.Errorf("finding: %+v", s1)
	}
	if got := NoteText(s1.Notes); got != "2026-12-06T01:02:00Z alice: SSH from the pentest range? | 2026-12-06T01:06:00Z bob: pentest, ticket SEC-9" {
		t.Errorf("NoteText: %s", got)
	}
	if s := st[ip]; s == nil || !slices.Equal(s.Tags, []string{"malicious"}) || s.Status != "" {
		t.Errorf("address: %+v", s)
	}
	if s2 := FindingState(st, f2); s2.Status != StatusOpen || s2.StatusBy != "" || s2.Tags != nil || s2.Notes != nil {
		t.Errorf("untriaged finding: %+v", s2)
	}
}

func TestWorkflow(t *testing.T) {
	set := func(s string) State { return State{Status: s, StatusBy: "alice"} }
	for _, c := range []struct {
		s          State
		suppressed bool
		want       string
	}{
		{State{Status: StatusOpen}, false, ""},
		{State{Status: StatusOpen}, true, "SUPPRESSED"},
		{set(StatusOpen), false, "NEW"},
		{set(StatusOpen), true, "NEW"}, // reopened by a person: the person wins over the allow list
		{set(StatusConfirmed), true, "NOTIFIED"},
		{set(StatusFalsePositive), false, "SUPPRESSED"},
		{set(StatusResolved), false, "RESOLVED"},
	} {
		if got := Workflow(c.s, c.suppressed); got != c.want {
			t.Errorf("Workflow(%+v, %v) = %q, want %q", c.s, c.suppressed, got, c.want)
		}
	}
}
