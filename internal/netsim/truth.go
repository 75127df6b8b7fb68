package netsim

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// Truth is what Generate wrote, computed while writing it.
type Truth struct {
	Seed     uint64
	Start    time.Time
	End      time.Time
	Records  int64
	Bytes    int64
	Packets  int64
	Files    int
	Hosts    int // internal network interfaces
	FlowLogs []*FlowLogInfo
	// Incidents are the planted incidents, in the order they start.
	Incidents []Incident
	// IOCFile is the IOC list (the playbook's threat_ip,threat_comment
	// CSV), relative to the output directory; AWSRangesFile the subset of
	// ip-ranges.json that covers the AWS addresses used.
	IOCFile       string
	AWSRangesFile string
	// Background counts the records of each kind of behaviour (incidents
	// included, under "incident ..."), for understanding the corpus.
	Background map[string]int64
	// Late counts connections generated after their first packet's
	// five-minute file had been written: a generator bug if not zero.
	Late int
}

// FlowLogInfo describes one flow log of the corpus.
type FlowLogInfo struct {
	ID       string
	Account  string
	Region   string
	VPC      string
	CIDR     string
	Format   string // as --log-format takes it
	Interval int    // aggregation interval, seconds
	NAT      string // the NAT gateway's private address, "" if none
	Records  int64
	Files    int
}

// Incident is one planted incident and how a detection should report it.
type Incident struct {
	ID    string
	Title string
	// Rules are the detection rules that should report it; any one of them
	// reporting it with the right actor and target finds it.
	Rules []string
	// Related are rules whose findings about the same actor and target are
	// a consequence of the incident (an exposed port that a brute force
	// came through, the NAT alarm on an exfiltration): neither needed nor
	// unrelated.
	Related []string
	// Actors and Targets: a finding's actor must be one of Actors (or a
	// network containing one), and every target it names one of Targets.
	// An empty Actors accepts any actor (an exposed service: whoever came
	// in). A finding that names them the other way round also matches.
	Actors  []string
	Targets []string
	Port    int
	Proto   int
	Account string
	Start   time.Time
	End     time.Time
	Records int64 // records of the incident's own connections
	Bytes   int64
}

// Finding is what Score needs of a detection finding.
type Finding struct {
	Rule     string
	Severity string // "high", "medium", "low"
	Actor    string // an address or a network
	Target   string // "" when the finding names many (Targets)
	Targets  []string
	// Actors: other actors the finding names (a group of sources).
	Actors []string
	First  time.Time
	Last   time.Time
}

// Score is how a set of findings compares with the truth.
type Score struct {
	Incidents int
	Found     int
	Missed    []string // ids of the incidents not found
	// PerIncident: the findings of an incident's own rules about it.
	PerIncident map[string]int
	Related     int // findings that are consequences of an incident
	Unrelated   []Finding
	// UnrelatedHigh counts the high-severity unrelated findings.
	UnrelatedHigh int
	// ByRule counts unrelated findings per rule: [total, high].
	ByRule map[string][2]int
}

// slack is how far outside an incident's time span a finding may reach and
// still be about it (records end up to one 600-second window later, and
// rules report bursts and windows).
const slack = 30 * time.Minute

// inSet reports whether a (an address or a network) names one of set.
func inSet(a string, set []string) bool {
	if slices.Contains(set, a) {
		return true
	}
	if strings.Contains(a, "/") {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return false
		}
		for _, s := range set {
			if x, err := netip.ParseAddr(s); err == nil && p.Contains(x) {
				return true
			}
		}
	}
	return false
}

// about reports whether f names m's actor and targets (either way round)
// within m's time span.
func (m *Incident) about(f *Finding) bool {
	if !f.Last.IsZero() && (f.Last.Before(m.Start.Add(-slack)) || f.First.After(m.End.Add(slack))) {
		return false
	}
	targets := f.Targets
	if f.Target != "" {
		targets = append([]string{f.Target}, targets...)
	}
	all := func(xs, set []string) bool {
		if len(xs) == 0 {
			return false
		}
		for _, x := range xs {
			if !inSet(x, set) {
				return false
			}
		}
		return true
	}
	actorOK := func(a string) bool { return len(m.Actors) == 0 || inSet(a, m.Actors) }
	if actorOK(f.Actor) && all(targets, m.Targets) {
		return true
	}
	// The other way round: the finding names the target as its actor.
	return inSet(f.Actor, m.Targets) && (len(m.Actors) == 0 || all(targets, m.Actors))
}

// Score matches findings to the incidents.
func (t *Truth) Score(fs []Finding) Score {
	s := Score{Incidents: len(t.Incidents), PerIncident: map[string]int{}, ByRule: map[string][2]int{}}
	found := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		own, related := false, false
		for j := range t.Incidents {
			m := &t.Incidents[j]
			if !m.about(f) {
				continue
			}
			if slices.Contains(m.Rules, f.Rule) {
				own = true
				found[m.ID] = true
				s.PerIncident[m.ID]++
			} else if slices.Contains(m.Related, f.Rule) {
				related = true
			}
		}
		switch {
		case own:
		case related:
			s.Related++
		default:
			s.Unrelated = append(s.Unrelated, *f)
			c := s.ByRule[f.Rule]
			c[0]++
			if f.Severity == "high" {
				c[1]++
				s.UnrelatedHigh++
			}
			s.ByRule[f.Rule] = c
		}
	}
	for _, m := range t.Incidents {
		if found[m.ID] {
			s.Found++
		} else {
			s.Missed = append(s.Missed, m.ID)
		}
	}
	return s
}

// Report prints the score: recall, the unrelated findings in total and per
// 1M records (of a corpus of records), and per rule.
func (s Score) Report(records int64) string {
	var b strings.Builder
	per := 1e6 / float64(max(records, 1))
	fmt.Fprintf(&b, "recall %d of %d incidents", s.Found, s.Incidents)
	if len(s.Missed) > 0 {
		fmt.Fprintf(&b, " (missed: %s)", strings.Join(s.Missed, ", "))
	}
	fmt.Fprintf(&b, "\nunrelated findings: %d (%d high) = %.1f (%.1f high) per 1M records; %d more are consequences of an incident\n",
		len(s.Unrelated), s.UnrelatedHigh, float64(len(s.Unrelated))*per, float64(s.UnrelatedHigh)*per, s.Related)
	rules := make([]string, 0, len(s.ByRule))
	for r := range s.ByRule {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		fmt.Fprintf(&b, "  %-24s %5d unrelated (%d high)\n", r, s.ByRule[r][0], s.ByRule[r][1])
	}
	ids := make([]string, 0, len(s.PerIncident))
	for id := range s.PerIncident {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "  %-30s %3d findings\n", id, s.PerIncident[id])
	}
	return b.String()
}
