package analysis

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSTIXBundle(t *testing.T) {
	data, err := os.ReadFile("testdata/ioc/bundle.stix.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseIOCs("bundle.stix.json", data, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != IOCFormatSTIX {
		t.Fatalf("format %s", f.Format)
	}
	checkEntries(t, f, []entryView{
		{"203.0.113.66", "203.0.113.66", "C2 server", 11},
		{"198.51.100.128/25", "198.51.100.128/25", "Bulletproof hosting range", 20},
		{"2001:db8:bad:1::66", "2001:db8:bad:1::66", "IPv6 C2 and a backup", 28},
		{"192.0.2.10", "192.0.2.10", "IPv6 C2 and a backup", 28},
		{"192.0.2.11", "192.0.2.11", "IPv6 C2 and a backup", 28},
		{"192.0.2.0/28", "192.0.2.0/28", "IPv6 C2 and a backup", 28},
		{"192.0.2.52", "192.0.2.52", "revoked", 37},
		{"192.0.2.54", "192.0.2.54", "escaped 'quote'", 43},
	})
	if !f.Entries[6].Revoked || f.Entries[0].Revoked {
		t.Errorf("revoked: %v, %v", f.Entries[6].Revoked, f.Entries[0].Revoked)
	}
	checkProblems(t, f, []problemView{
		{33, true, "AND in a comparison"},
		{35, true, "qualifier WITHIN"},
		{39, true, `pattern_type "snort"`},
		{41, false, "not a valid IP address"},
		{43, true, "operator != on ipv4-addr:value"},
		{45, true, "network-traffic:dst_ref.value reaches the address through another object"},
	})
	// identity, domain indicator, the AND and WITHIN indicators, snort
	// indicator, dst_ref indicator, relationship
	if f.Skipped != 7 || f.SkippedTests != 4 {
		t.Errorf("Skipped = %d, SkippedTests = %d, want 7 and 4", f.Skipped, f.SkippedTests)
	}
	for _, e := range f.Entries {
		if !strings.HasPrefix(e.STIXID, "indicator--") || e.Format != IOCFormatSTIX {
			t.Errorf("entry %s: STIX id %q format %q", e.ThreatIP, e.STIXID, e.Format)
		}
	}
}

func TestParseSTIXShapes(t *testing.T) {
	single := `{"type":"indicator","id":"indicator--x","name":"one","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix"}`
	f, err := ParseIOCs("one.json", []byte(single), "")
	if err != nil || len(f.Entries) != 1 || f.Entries[0].Line != 1 {
		t.Fatalf("single object: %v %+v", err, f)
	}
	arr := "[\n" + single + ",\n" + strings.Replace(single, "192.0.2.1", "192.0.2.2", 1) + "\n]"
	f, err = ParseIOCs("arr.json", []byte(arr), "")
	if err != nil || len(f.Entries) != 2 || f.Entries[0].Line != 2 || f.Entries[1].Line != 3 {
		t.Fatalf("array: %v %+v", err, f)
	}
	for _, bad := range []string{`{"type":"bundle","objects":[{]}`, `{"type":"bundle","objects":{}}`, `[1, 2] x`, `"text"`} {
		if _, err := ParseIOCs("bad.json", []byte(bad), IOCFormatSTIX); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestSTIXPatternAddresses: every address reachable through OR loads; the
// address tests that one address cannot decide are skipped with the reason
// (issue 12.9: an IP OR'ed with a domain was refused whole).
func TestSTIXPatternAddresses(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    []string
		skips   []string // "values: reason substring"
		err     string
	}{
		{"[ipv4-addr:value = '1.2.3.4']", []string{"1.2.3.4"}, nil, ""},
		{"[ ipv4-addr:value='1.2.3.4' ]", []string{"1.2.3.4"}, nil, ""},
		{"([ipv4-addr:value = '1.2.3.4'] OR [ipv6-addr:value = '2001:db8::1'])", []string{"1.2.3.4", "2001:db8::1"}, nil, ""},
		{"[(ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '1.2.3.5')]", []string{"1.2.3.4", "1.2.3.5"}, nil, ""},
		{"[ipv4-addr:value IN ('1.2.3.4')]", []string{"1.2.3.4"}, nil, ""},
		{`[ipv4-addr:value = 'a\'b']`, []string{"a'b"}, nil, ""},
		{"[ipv4-addr:value = '203.0.113.200'] OR [domain-name:value = 'x.example']", []string{"203.0.113.200"}, nil, ""},
		{"[domain-name:value = 'x.example' OR ipv4-addr:value = '1.2.3.4']", []string{"1.2.3.4"}, nil, ""},
		{"[file:hashes.'SHA-256' = 'ab'] OR [ipv4-addr:value = '1.2.3.4']", []string{"1.2.3.4"}, nil, ""},
		{"[url:value = 'http://x/]'] OR [ipv4-addr:value = '1.2.3.4']", []string{"1.2.3.4"}, nil, ""},
		{"[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5']", nil, []string{"1.2.3.4 1.2.3.5: observations joined by AND"}, ""},
		// AND binds tighter than OR: 1.2.3.6 alone satisfies the pattern.
		{"[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5'] OR [ipv4-addr:value = '1.2.3.6']", []string{"1.2.3.6"},
			[]string{"1.2.3.4 1.2.3.5: observations joined by AND"}, ""},
		{"[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 443 OR ipv4-addr:value = '1.2.3.6']", []string{"1.2.3.6"},
			[]string{"1.2.3.4: AND in a comparison"}, ""},
		{"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']", nil, []string{"1.2.3.4 1.2.3.5: FOLLOWEDBY"}, ""},
		// FOLLOWEDBY binds loosest: the whole OR is part of the sequence.
		{"[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '1.2.3.5'] FOLLOWEDBY [domain-name:value = 'x']", nil,
			[]string{"1.2.3.4 1.2.3.5: FOLLOWEDBY"}, ""},
		{"[ipv4-addr:value = '1.2.3.4'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'", nil, []string{"1.2.3.4: qualifier START/STOP"}, ""},
		{"[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES WITHIN 60 SECONDS OR [ipv4-addr:value = '1.2.3.5']", []string{"1.2.3.5"},
			[]string{"1.2.3.4: qualifier REPEATS"}, ""},
		{"[ipv4-addr:value NOT = '1.2.3.4']", nil, []string{"1.2.3.4: NOT"}, ""},
		{"[ipv4-addr:value LIKE '1.2.%']", nil, []string{"1.2.%: operator LIKE"}, ""},
		{"[ipv4-addr:resolves_to_refs[*].value = 'aa:bb:cc:dd:ee:ff']", nil, []string{"aa:bb:cc:dd:ee:ff: tests ipv4-addr:resolves_to_refs[*].value"}, ""},
		{"[network-traffic:src_ref.value = '1.2.3.4' AND network-traffic:dst_port = 22]", nil, []string{"1.2.3.4: network-traffic:src_ref.value"}, ""},
		{"[network-traffic:dst_ref.value = 'x.example']", nil, nil, "tests no IP"},
		{"[ipv4-addr:value = '1.2.3.4'", nil, nil, "expected ']'"},
		{"[ipv4-addr:value = '1.2.3.4]", nil, nil, "unterminated"},
		{"[ipv4-addr:value IN ('1.2.3.4' '1.2.3.5')]", nil, nil, "IN list"},
		{"[ipv4-addr:value = '1.2.3.4'] WITHIN", nil, nil, "WITHIN needs"},
		{"[ipv4-addr:value = 5]", nil, nil, "quoted addresses"},
		{"[ipv4-addr:value = '1.2.3.4'] OR", nil, nil, "expected '['"},
		{"[domain-name:value = 'x']", nil, nil, "tests no IP"},
		{"[file:hashes.'SHA-256' = 'abc']", nil, nil, "tests no IP"},
		{"[file:hashes.MD5 = ", nil, nil, "tests no IP"},
		{"", nil, nil, "tests no IP"},
	} {
		got, skips, err := stixPatternAddresses(c.pattern)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one containing %q", c.pattern, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, %v; want %v", c.pattern, got, err, c.want)
		}
		var gotSkips []string
		for _, s := range skips {
			gotSkips = append(gotSkips, strings.Join(s.values, " ")+": "+s.reason)
		}
		if len(gotSkips) != len(c.skips) {
			t.Errorf("%q: skips %q, want %q", c.pattern, gotSkips, c.skips)
			continue
		}
		for i := range c.skips {
			if !strings.Contains(gotSkips[i], c.skips[i]) {
				t.Errorf("%q: skip %q, want one containing %q", c.pattern, gotSkips[i], c.skips[i])
			}
		}
	}
}

// TestParseSTIXMixedFeed reads a feed as real ones are: domains, URLs and
// hashes next to addresses, expired and revoked indicators, patterns with
// AND, FOLLOWEDBY and qualifiers (issue 12.9). Only a pattern about
// addresses that cannot be parsed is an invalid entry.
func TestParseSTIXMixedFeed(t *testing.T) {
	data, err := os.ReadFile("testdata/ioc/mixed.stix.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseIOCs("mixed.stix.json", data, "")
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, f, []entryView{
		{"203.0.113.200", "203.0.113.200", "C2 by address or name", 5},
		{"198.51.100.7", "198.51.100.7", "expired scanner", 13},
		{"2001:db8::bad", "2001:db8::bad", "withdrawn", 16},
		{"192.0.2.128/26", "192.0.2.128/26", "address and port, or a network", 19},
		{"192.0.2.80", "192.0.2.80", "odd spacing and case", 25},
		{"2001:db8::80", "2001:db8::80", "odd spacing and case", 25},
		{"2001:db8:80::/48", "2001:db8:80::/48", "odd spacing and case", 25},
		{"192.0.2.90", "192.0.2.90", "bad window", 28},
	})
	checkProblems(t, f, []problemView{
		{19, true, "AND in a comparison"},
		{19, true, "FOLLOWEDBY"},
		{22, true, "qualifier REPEATS"},
		{22, true, "NOT"},
		{25, true, "qualifier START/STOP"},
		{25, true, "x-custom:ip_ref.value"},
		{25, true, "valid_from is not an RFC 3339 timestamp"},
		{28, true, "operator LIKE"},
		{28, true, "valid_until is not after valid_from"},
		{31, false, "expected an object path"},
	})
	if f.Skipped != 5 || f.SkippedTests != 8 || f.Invalid() != 1 {
		t.Errorf("Skipped %d, SkippedTests %d, Invalid %d; want 5, 8, 1", f.Skipped, f.SkippedTests, f.Invalid())
	}
	day := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
	type validity struct {
		from, until time.Time
		revoked     bool
	}
	want := []validity{
		{day("2026-11-01T00:00:00Z"), time.Time{}, false},
		{day("2026-01-01T00:00:00Z"), day("2026-02-01T00:00:00.5Z"), false},
		{day("2026-11-01T00:00:00Z"), time.Time{}, true},
		{day("2026-11-01T00:00:00Z"), time.Time{}, false},
		{}, {}, {}, // valid_from unreadable: open
		{day("2026-11-02T00:00:00Z"), time.Time{}, false}, // valid_until before valid_from: ignored
	}
	for i, e := range f.Entries {
		if got := (validity{e.ValidFrom, e.ValidUntil, e.Revoked}); got != want[i] {
			t.Errorf("entry %s: validity %v, want %v", e.ThreatIP, got, want[i])
		}
	}
}
