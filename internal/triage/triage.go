// Package triage is the analysts' judgement on findings and addresses: the
// status of a finding (open, confirmed, false-positive, resolved), tags on
// findings and addresses (compromised, malicious, benign, ...) and free-text
// notes, each with who said it and when.
//
// Triage is kept as an append-only log of entries (the case's table triage):
// nothing is updated or deleted, so the case shows who changed what and when,
// as an incident record must. The current state is folded from the log: the
// latest status, the tags added and not removed since, every note.
//
// A finding's entries are keyed by its stable id (store.FindingID), so they
// survive a rerun of flowir detect that finds it again; an address's by its
// canonical text (an IPv4-mapped IPv6 address is its IPv4 address, a
// network its masked CIDR).
//
// The package depends on the standard library alone.
package triage

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Subject kinds.
const (
	KindFinding = "finding"
	KindAddress = "address" // an address or a CIDR network
)

// Actions of a log entry.
const (
	ActionNote   = "note"
	ActionTag    = "tag"
	ActionUntag  = "untag"
	ActionStatus = "status"
)

// Statuses of a finding.
const (
	StatusOpen          = "open"
	StatusConfirmed     = "confirmed"
	StatusFalsePositive = "false-positive"
	StatusResolved      = "resolved"
)

// Term is one word of a vocabulary with what it means.
type Term struct {
	Name, Doc string
	// Workflow is the ASFF Workflow.Status of a finding status.
	Workflow string
}

// Statuses are the statuses of a finding, in their usual order, with their
// ASFF workflow status (AWS Security Hub: NEW is not yet reviewed, NOTIFIED
// is the responsible party was told and is acting, RESOLVED is reviewed and
// remediated, SUPPRESSED is reviewed and needing no action).
var Statuses = []Term{
	{StatusOpen, "not reviewed yet, or reopened (every finding starts open)", "NEW"},
	{StatusConfirmed, "reviewed: a true positive, being handled", "NOTIFIED"},
	{StatusFalsePositive, "reviewed: not an incident (expected traffic, a wrong detection)", "SUPPRESSED"},
	{StatusResolved, "a true positive, contained and remediated", "RESOLVED"},
}

// Tags is the tag vocabulary. Other tags need --custom (a typo must not
// create a new tag that no filter finds).
var Tags = []Term{
	{Name: "compromised", Doc: "an asset of ours an attacker controlled or used"},
	{Name: "victim", Doc: "an asset of ours that was attacked, not known to be compromised"},
	{Name: "malicious", Doc: "an attacker's address or infrastructure"},
	{Name: "c2", Doc: "command-and-control infrastructure"},
	{Name: "exfil-destination", Doc: "where data was sent out to"},
	{Name: "scanner", Doc: "a scanner (internet background noise, or an authorised one)"},
	{Name: "suspicious", Doc: "not explained yet: needs a closer look"},
	{Name: "benign", Doc: "checked: expected, harmless"},
}

var customTag = regexp.MustCompile(`^[a-z0-9][a-z0-9._:-]{0,62}$`)

// ParseStatus checks a status name.
func ParseStatus(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, t := range Statuses {
		if t.Name == s {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown status %q: use one of %s", s, names(Statuses))
}

// ParseTag checks a tag: one of Tags, or with custom any lower-case word of
// letters, digits and . _ : - (up to 63).
func ParseTag(s string, custom bool) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if slices.ContainsFunc(Tags, func(x Term) bool { return x.Name == t }) {
		return t, nil
	}
	if !custom {
		return "", fmt.Errorf("unknown tag %q: use one of %s, or give --custom to add a tag of your own", s, names(Tags))
	}
	if !customTag.MatchString(t) {
		return "", fmt.Errorf("tag %q: a custom tag is a lower-case word of letters, digits and . _ : - (at most 63), starting with a letter or digit", s)
	}
	return t, nil
}

func names(ts []Term) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return strings.Join(out, ", ")
}

// Address returns the canonical text of an address or CIDR network, and
// whether s is one: the key its triage entries are stored under.
func Address(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap().String(), true
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.IsSingleIP() {
			return p.Addr().String(), true
		}
		return p.String(), true
	}
	return "", false
}

// Entry is one line of the triage log.
type Entry struct {
	Seq     int64 // order in the log
	At      time.Time
	Author  string
	Kind    string // KindFinding or KindAddress
	Subject string // a finding id, or an address or CIDR (canonical)
	Action  string // ActionNote, ActionTag, ActionUntag, ActionStatus
	Value   string // the note's text, the tag, the status
}

// Check validates an entry before it is stored.
func (e Entry) Check() error {
	if strings.TrimSpace(e.Author) == "" {
		return fmt.Errorf("no author: say who you are with --author (or $USER)")
	}
	switch e.Kind {
	case KindFinding, KindAddress:
	default:
		return fmt.Errorf("unknown subject kind %q", e.Kind)
	}
	switch e.Action {
	case ActionNote:
		if strings.TrimSpace(e.Value) == "" {
			return fmt.Errorf("empty note: give its text")
		}
	case ActionTag, ActionUntag:
		if e.Value == "" {
			return fmt.Errorf("empty tag")
		}
	case ActionStatus:
		if e.Kind != KindFinding {
			return fmt.Errorf("only findings have a status; tag an address instead")
		}
		if _, err := ParseStatus(e.Value); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown triage action %q", e.Action)
	}
	return nil
}

// Note is one note with who wrote it and when.
type Note struct {
	Text   string    `json:"text"`
	Author string    `json:"author"`
	At     time.Time `json:"at"`
}

// State is the current triage of one subject.
type State struct {
	// Status is the latest status ("" for an address; StatusOpen for a
	// finding nobody set one on), StatusBy and StatusAt who set it and when
	// (empty when nobody did).
	Status   string
	StatusBy string
	StatusAt time.Time
	Tags     []string // sorted
	Notes    []Note   // oldest first
}

// Fold computes the current state of every subject of the log, in log
// order (Seq).
func Fold(entries []Entry) map[string]*State {
	entries = slices.Clone(entries)
	slices.SortStableFunc(entries, func(a, b Entry) int { return int(a.Seq - b.Seq) })
	out := map[string]*State{}
	for _, e := range entries {
		s := out[e.Subject]
		if s == nil {
			s = &State{}
			out[e.Subject] = s
		}
		switch e.Action {
		case ActionNote:
			s.Notes = append(s.Notes, Note{Text: e.Value, Author: e.Author, At: e.At})
		case ActionTag:
			if i, found := slices.BinarySearch(s.Tags, e.Value); !found {
				s.Tags = slices.Insert(s.Tags, i, e.Value)
			}
		case ActionUntag:
			if i, found := slices.BinarySearch(s.Tags, e.Value); found {
				s.Tags = slices.Delete(s.Tags, i, i+1)
			}
		case ActionStatus:
			s.Status, s.StatusBy, s.StatusAt = e.Value, e.Author, e.At
		}
	}
	return out
}

// FindingState is the state of a finding in states: open, untagged, without
// notes when nobody triaged it.
func FindingState(states map[string]*State, id string) State {
	s := State{}
	if p := states[id]; p != nil {
		s = *p
	}
	if s.Status == "" {
		s.Status = StatusOpen
	}
	return s
}

// Workflow is the ASFF Workflow.Status of a finding: the one of its status
// when someone set one, else SUPPRESSED for a finding an allow list
// suppressed, else "" (Security Hub makes a new finding NEW).
func Workflow(s State, suppressed bool) string {
	if s.StatusBy != "" {
		for _, t := range Statuses {
			if t.Name == s.Status {
				return t.Workflow
			}
		}
	}
	if suppressed {
		return "SUPPRESSED"
	}
	return ""
}

// NoteText renders notes as one text: "AT AUTHOR: TEXT", newest last, joined
// by " | ", for the text formats.
func NoteText(ns []Note) string {
	var parts []string
	for _, n := range ns {
		parts = append(parts, n.At.UTC().Format(time.RFC3339)+" "+n.Author+": "+n.Text)
	}
	return strings.Join(parts, " | ")
}
