package analysis

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParseIOCs feeds arbitrary bytes to every IOC format. The parser must
// not panic, every entry must be a canonical network that its own text
// parses to, and every problem must name the file and a line of it.
func FuzzParseIOCs(f *testing.F) {
	f.Add([]byte("threat_ip,threat_comment\n203.0.113.66,\"C2, server\"\n198.51.100.0/24,x\n"))
	f.Add([]byte("# list\n203.0.113.66 # c2\n2001:db8::/32\nbad\n"))
	f.Add([]byte("\"unterminated\n1.2.3.4,\"a\\\"b\"\n"))
	if b, err := os.ReadFile("testdata/ioc/bundle.stix.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"type":"indicator","pattern":"[ipv4-addr:value IN ('1.2.3.4', '::1')] OR [ipv6-addr:value ISSUBSET '2001:db8::/48']"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, format := range []string{IOCFormatCSV, IOCFormatPlain, IOCFormatSTIX, ""} {
			pf, err := ParseIOCs("fuzz", data, format)
			if err != nil {
				continue
			}
			for _, e := range pf.Entries {
				if !e.Prefix.IsValid() || e.Prefix.Masked() != e.Prefix {
					t.Fatalf("%s: entry %q has prefix %v", format, e.ThreatIP, e.Prefix)
				}
				p, _, err := ParseIOCValue(e.ThreatIP)
				if err != nil || p != e.Prefix {
					t.Fatalf("%s: entry %q reparses to %v, %v; stored %v", format, e.ThreatIP, p, err, e.Prefix)
				}
				if e.Line < 1 || e.Line > lines {
					t.Fatalf("%s: entry %q on line %d of %d", format, e.ThreatIP, e.Line, lines)
				}
			}
			for _, p := range pf.Problems {
				if p.File != "fuzz" || p.Line < 1 || p.Line > lines || p.Reason == "" {
					t.Fatalf("%s: problem %+v", format, p)
				}
			}
		}
	})
}

// FuzzSTIXPattern checks that the pattern reader never panics, returns
// values only for patterns it accepts, and that an accepted pattern gives
// something: addresses to load or address tests skipped with a reason.
func FuzzSTIXPattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '1.2.3.4']",
		"([ipv4-addr:value = '1.2.3.4'] OR [ipv6-addr:value IN ('::1', '2001:db8::/32')])",
		"[ipv4-addr:value = '1.2.3.4' AND x:y = 1] WITHIN 5 SECONDS",
		"[file:hashes.'SHA-256' = 'ab']",
		"[(ipv4-addr:value ISSUBSET '10.0.0.0/8')]",
		"[ipv4-addr:value = '203.0.113.200'] OR [domain-name:value = 'x.example']",
		"[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5'] OR [ipv4-addr:value = '1.2.3.6'] FOLLOWEDBY [url:value = 'x']",
		"[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES WITHIN 60 SECONDS START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
		"[ipv4-addr:value NOT IN ('1.2.3.4') OR network-traffic:dst_ref.value = '1.2.3.5' OR EXISTS ipv4-addr:x]",
		"[ipv4-addr:resolves_to_refs[*].value = 'x' OR ipv4-addr:value LIKE '1.%']",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		vals, skips, err := stixPatternAddresses(pattern)
		if err == nil && len(vals) == 0 && len(skips) == 0 {
			t.Fatalf("%q: no error, no values and nothing skipped", pattern)
		}
		if err != nil && (vals != nil || skips != nil) {
			t.Fatalf("%q: values %v, skips %v with error %v", pattern, vals, skips, err)
		}
		for _, s := range skips {
			if s.reason == "" {
				t.Fatalf("%q: skip %v without a reason", pattern, s.values)
			}
		}
	})
}
