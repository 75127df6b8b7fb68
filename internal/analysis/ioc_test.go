package analysis

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// entryView is what the tests compare: value as written, canonical key,
// comment and line.
type entryView struct {
	ThreatIP, Key, Comment string
	Line                   int
}

func views(f *IOCFile) []entryView {
	var out []entryView
	for _, e := range f.Entries {
		out = append(out, entryView{e.ThreatIP, e.Key(), e.Comment, e.Line})
	}
	return out
}

type problemView struct {
	Line    int
	Warning bool
	Reason  string // substring
}

func checkProblems(t *testing.T, f *IOCFile, want []problemView) {
	t.Helper()
	if len(f.Problems) != len(want) {
		t.Fatalf("problems = %v, want %d: %v", f.Problems, len(want), want)
	}
	for i, w := range want {
		p := f.Problems[i]
		if p.Line != w.Line || p.Warning != w.Warning || !strings.Contains(p.Reason, w.Reason) || p.File != f.Path {
			t.Errorf("problem %d = %+v, want line %d warning %v reason containing %q", i, p, w.Line, w.Warning, w.Reason)
		}
	}
}

func checkEntries(t *testing.T, f *IOCFile, want []entryView) {
	t.Helper()
	got := views(f)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries:\n got %v\nwant %v", got, want)
	}
}

func TestParseCSVIOCs(t *testing.T) {
	in := "threat_ip,threat_comment\n" +
		"203.0.113.66,C2 server\n" +
		"198.51.100.128/25,\"Bulletproof hosting, range\"\n" +
		"\n" +
		"# a comment line, with a comma\n" +
		"2001:db8:bad:1::66,\"IPv6 \"\"C2\"\" node\"\n" +
		"192.0.2.4,\"escaped \\\" quote\"\n" +
		"not-an-ip,bad entry\n" +
		"192.0.2.0/33,bad mask\n" +
		"203.0.113.7/24,host bits\n" +
		"192.0.2.9,\"a comment\nover two lines\"\n" +
		"192.0.2.10,C2, reported by CERT\n" +
		"  \"192.0.2.11\" , spaced\r\n" +
		"192.0.2.12"
	f, err := ParseIOCs("iocs.csv", []byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != IOCFormatCSV {
		t.Fatalf("format %q", f.Format)
	}
	checkEntries(t, f, []entryView{
		{"203.0.113.66", "203.0.113.66", "C2 server", 2},
		{"198.51.100.128/25", "198.51.100.128/25", "Bulletproof hosting, range", 3},
		{"2001:db8:bad:1::66", "2001:db8:bad:1::66", `IPv6 "C2" node`, 6},
		{"192.0.2.4", "192.0.2.4", `escaped " quote`, 7},
		{"203.0.113.7/24", "203.0.113.0/24", "host bits", 10},
		{"192.0.2.9", "192.0.2.9", "a comment\nover two lines", 11},
		{"192.0.2.10", "192.0.2.10", "C2", 13},
		{"192.0.2.11", "192.0.2.11", "spaced", 14},
		{"192.0.2.12", "192.0.2.12", "", 15},
	})
	checkProblems(t, f, []problemView{
		{8, false, "not a valid IP address"},
		{9, false, "not a valid CIDR"},
		{10, true, "host bits set"},
		{13, true, "3 fields"},
	})
	if f.Invalid() != 2 {
		t.Errorf("Invalid = %d", f.Invalid())
	}
	if s := f.Problems[0].String(); !strings.HasPrefix(s, "iocs.csv:8: invalid entry:") || !strings.Contains(s, `"not-an-ip"`) {
		t.Errorf("problem text %q does not name the file, line and value", s)
	}
}

func TestParseCSVIOCsNoHeaderAndUnterminated(t *testing.T) {
	in := "203.0.113.66,C2\n\"192.0.2.1,unterminated\n192.0.2.2,after\n"
	f, err := ParseIOCs("x.csv", []byte(in), IOCFormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, f, []entryView{{"203.0.113.66", "203.0.113.66", "C2", 1}, {"192.0.2.2", "192.0.2.2", "after", 3}})
	checkProblems(t, f, []problemView{{2, false, "unterminated"}})
}

func TestParsePlainIOCs(t *testing.T) {
	in := "# flowir demo list\nthreat_ip\n203.0.113.66   # C2 server\n\n198.51.100.128/25\n  2001:DB8:BAD:1:0:0:0:66  \n10.0.0.1 garbage\n203.0.113[.]9\n010.1.1.1\n192.0.2.1-192.0.2.9\n::ffff:192.0.2.77\nfe80::1%eth0\n0.0.0.0/0\n"
	f, err := ParseIOCs("iocs.txt", []byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != IOCFormatPlain {
		t.Fatalf("format %q", f.Format)
	}
	checkEntries(t, f, []entryView{
		{"203.0.113.66", "203.0.113.66", "C2 server", 3},
		{"198.51.100.128/25", "198.51.100.128/25", "", 5},
		{"2001:DB8:BAD:1:0:0:0:66", "2001:db8:bad:1::66", "", 6},
		{"203.0.113[.]9", "203.0.113.9", "", 8},
		{"::ffff:192.0.2.77", "192.0.2.77", "", 11},
		{"0.0.0.0/0", "0.0.0.0/0", "", 13},
	})
	checkProblems(t, f, []problemView{
		{7, false, "contains a space"},
		{8, true, "defanged"},
		{9, false, "not a valid IP address"},
		{10, false, "ranges are not supported"},
		{11, true, "IPv4-mapped"},
		{12, false, "zone"},
		{13, true, "every address"},
	})
}

func TestDetectIOCFormat(t *testing.T) {
	for in, want := range map[string]string{
		"\ufeff{\"type\":\"bundle\"}": IOCFormatSTIX,
		"  [ ]":                       IOCFormatSTIX,
		"# x, y\n1.2.3.4\n":           IOCFormatPlain,
		"1.2.3.4 # a, b\n":            IOCFormatPlain,
		"threat_ip,threat_comment\n":  IOCFormatCSV,
		"1.2.3.4,\"a # b\"\n":         IOCFormatCSV,
		"":                            IOCFormatPlain,
	} {
		if got := DetectIOCFormat([]byte(in)); got != want {
			t.Errorf("DetectIOCFormat(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestIOCEveryPrefixLength loads a CIDR of every length of both families
// and checks the canonical key and the network bounds.
func TestIOCEveryPrefixLength(t *testing.T) {
	var b strings.Builder
	for bits := 0; bits <= 32; bits++ {
		fmt.Fprintf(&b, "198.51.100.77/%d\n", bits)
	}
	for bits := 0; bits <= 128; bits++ {
		fmt.Fprintf(&b, "2001:db8:bad:1::66/%d\n", bits)
	}
	f, err := ParseIOCs("all.txt", []byte(b.String()), IOCFormatPlain)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 33+129 || f.Invalid() != 0 {
		t.Fatalf("%d entries, %d invalid", len(f.Entries), f.Invalid())
	}
	for _, e := range f.Entries {
		orig := netip.MustParsePrefix(e.ThreatIP)
		if e.Prefix != orig.Masked() {
			t.Errorf("%s: prefix %s, want %s", e.ThreatIP, e.Prefix, orig.Masked())
		}
		if e.Prefix.Bits() == e.Prefix.Addr().BitLen() {
			if e.Kind() != "address" || e.Key() != e.Prefix.Addr().String() {
				t.Errorf("%s: kind %s key %s", e.ThreatIP, e.Kind(), e.Key())
			}
		} else if e.Kind() != "network" || e.Key() != e.Prefix.String() {
			t.Errorf("%s: kind %s key %s", e.ThreatIP, e.Kind(), e.Key())
		}
		if !orig.Contains(orig.Addr()) || !e.Prefix.Contains(orig.Addr()) {
			t.Errorf("%s does not contain its own address", e.ThreatIP)
		}
	}
}

func TestParseIOCsErrors(t *testing.T) {
	if _, err := ParseIOCs("bad.csv", []byte("1.2.3.4,\xff\xfe\n"), IOCFormatCSV); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("non-UTF-8 CSV: %v", err)
	}
	if _, err := ParseIOCs("x", nil, "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
	f, err := ParseIOCs("empty.txt", nil, "")
	if err != nil || len(f.Entries) != 0 || len(f.Problems) != 0 {
		t.Errorf("empty file: %v %v", f, err)
	}
}

func TestIOCMatcher(t *testing.T) {
	m, err := NewIOCMatcher([]IOCRef{
		{Key: "203.0.113.0/24", ThreatIP: "203.0.113.0/24"},
		{Key: "203.0.113.66", ThreatIP: "203.0.113.66"},
		{Key: "192.0.2.4", ThreatIP: "192.0.2.4"},
		{Key: "2001:db8:bad::/48", ThreatIP: "2001:db8:bad::/48"},
	})
	if err != nil {
		t.Fatal(err)
	}
	addrs, keys := m.MatchAll([]string{"203.0.113.66", "192.0.2.45", "192.0.2.4", "2001:db8:bad:1::66", "2001:db8:bae::1", "junk", "203.0.113.255", "203.0.114.0"})
	got := fmt.Sprint(addrs, keys)
	want := fmt.Sprint([]string{"192.0.2.4", "2001:db8:bad:1::66", "203.0.113.255", "203.0.113.66", "203.0.113.66"},
		[]string{"192.0.2.4", "2001:db8:bad::/48", "203.0.113.0/24", "203.0.113.0/24", "203.0.113.66"})
	if got != want {
		t.Errorf("MatchAll:\n got %s\nwant %s", got, want)
	}
	if refs := m.Match("203.0.113.66"); len(refs) != 2 || refs[0].Key != "203.0.113.66" {
		t.Errorf("Match = %v", refs)
	}
	if _, err := NewIOCMatcher([]IOCRef{{Key: "bogus"}}); err == nil {
		t.Error("a bad key was accepted")
	}
}
