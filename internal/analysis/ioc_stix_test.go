package analysis

import (
	"os"
	"slices"
	"strings"
	"testing"
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
	})
	checkProblems(t, f, []problemView{
		{33, false, "AND in a comparison"},
		{35, false, "qualifier WITHIN"},
		{37, false, "revoked"},
		{39, true, `pattern_type "snort"`},
		{41, false, "not a valid IP address"},
		{43, false, `operator "!="`},
		{45, false, "only ipv4-addr:value and ipv6-addr:value"},
	})
	// identity, domain indicator, snort indicator, relationship
	if f.Skipped != 4 {
		t.Errorf("Skipped = %d, want 4", f.Skipped)
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

func TestSTIXPatternAddresses(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    []string
		err     string
	}{
		{"[ipv4-addr:value = '1.2.3.4']", []string{"1.2.3.4"}, ""},
		{"[ ipv4-addr:value='1.2.3.4' ]", []string{"1.2.3.4"}, ""},
		{"([ipv4-addr:value = '1.2.3.4'] OR [ipv6-addr:value = '2001:db8::1'])", []string{"1.2.3.4", "2001:db8::1"}, ""},
		{"[(ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '1.2.3.5')]", []string{"1.2.3.4", "1.2.3.5"}, ""},
		{"[ipv4-addr:value IN ('1.2.3.4')]", []string{"1.2.3.4"}, ""},
		{`[ipv4-addr:value = 'a\'b']`, []string{"a'b"}, ""},
		{"[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5']", nil, "AND"},
		{"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']", nil, "FOLLOWEDBY"},
		{"[ipv4-addr:value = '1.2.3.4'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'", nil, "START"},
		{"[ipv4-addr:value NOT = '1.2.3.4']", nil, "NOT"},
		{"[ipv4-addr:value LIKE '1.2.%']", nil, "LIKE"},
		{"[ipv4-addr:value = '1.2.3.4'", nil, "expected ']'"},
		{"[ipv4-addr:value = '1.2.3.4]", nil, "unterminated"},
		{"[ipv4-addr:value IN ('1.2.3.4' '1.2.3.5')]", nil, "IN list"},
		{"[domain-name:value = 'x']", nil, "tests no IP"},
		{"[file:hashes.'SHA-256' = 'abc']", nil, "tests no IP"},
		{"", nil, "tests no IP"},
	} {
		got, err := stixPatternAddresses(c.pattern)
		if c.err == "" {
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%q: %v, %v; want %v", c.pattern, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: error %v, want one containing %q", c.pattern, err, c.err)
		}
	}
}
