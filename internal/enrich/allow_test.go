package enrich

import (
	"strings"
	"testing"
)

const allowText = `# approved traffic
10.18.10.87/32   the backup host, ticket OPS-1
2001:db8:5::/48  partner v6 range
S3               nightly backups to S3
AMAZON_APPFLOW   AppFlow   pulls from Salesforce
eni-0aaa1111bbbb2222c rule=port-scan-vertical  the scanner appliance
198.51.100.7     one host
`

func TestAllowList(t *testing.T) {
	entries, err := ParseAllowList("allow.txt", []byte(allowText), []string{"port-scan-vertical", "exfiltration"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 6 || entries[3].Reason != "AppFlow   pulls from Salesforce" || entries[4].Rules[0] != "port-scan-vertical" || entries[4].Line != 6 {
		t.Fatalf("%+v", entries)
	}
	vals := AWSValues(loadFixture(t), []string{"52.217.3.251", "13.248.118.7", "3.5.40.1"})
	l := NewAllowList(entries, NewTable(vals, testOwners()))
	l.AddInterfaceAddress("eni-0aaa1111bbbb2222c", "::ffff:10.18.10.90")
	tests := []struct {
		rule  string
		addrs []string
		line  int // 0: not allowed
	}{
		{"exfiltration", []string{"10.18.10.87", "203.0.113.200"}, 2},
		{"exfiltration", []string{"10.18.10.86", "203.0.113.200"}, 0},
		{"exfiltration", []string{"10.18.10.86", "52.217.3.251"}, 4},
		{"exfiltration", []string{"10.18.10.86", "13.248.118.7"}, 5},
		{"exfiltration", []string{"10.18.10.86", "3.5.40.1"}, 0}, // AMAZON only, not S3
		{"exfiltration", []string{"2001:db8:5:ffff::1", ""}, 3},
		{"exfiltration", []string{"2001:db8:6::1", ""}, 0},
		// The interface entry is limited to one rule; the inventory gives its address, the records another.
		{"port-scan-vertical", []string{"10.0.0.1", "10.18.10.90"}, 6},
		{"exfiltration", []string{"10.18.10.90", "203.0.113.1"}, 0},
		{"exfiltration", []string{"198.51.100.7", ""}, 7},
		{"exfiltration", []string{"198.51.100.8", ""}, 0},
	}
	for _, tc := range tests {
		e := l.Match(tc.rule, tc.addrs...)
		switch {
		case e == nil && tc.line != 0:
			t.Errorf("%s %v: not allowed, want line %d", tc.rule, tc.addrs, tc.line)
		case e != nil && e.Line != tc.line:
			t.Errorf("%s %v: allowed by line %d, want %d", tc.rule, tc.addrs, e.Line, tc.line)
		}
	}
	if e := l.Match("exfiltration", "10.18.10.87"); e.Why() != "10.18.10.87/32 (allow.txt:2): the backup host, ticket OPS-1" {
		t.Errorf("why: %q", e.Why())
	}
	// AMAZON_APPFLOW and S3 are services of the case, the interface has addresses: all can match.
	if u := l.Unmatched(); len(u) != 0 {
		t.Errorf("unmatched %+v", u)
	}
	l2 := NewAllowList([]AllowEntry{{Entry: "EC2", Service: "EC2"}, {Entry: "eni-0ffff0000ffff0000", Interface: "eni-0ffff0000ffff0000"}}, nil)
	if u := l2.Unmatched(); len(u) != 2 {
		t.Errorf("unmatched %+v", u)
	}
}

func TestAllowListErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"10.0.0.0/33 x", "a.txt:1: \"10.0.0.0/33\" is not a CIDR network"},
		{"# c\n10.0.0.1/8 why", "a.txt:2: \"10.0.0.1/8\" has host bits set: did you mean 10.0.0.0/8?"},
		{"S3", "a.txt:1: S3 has no reason"},
		{"s3 lower case", "neither an address"},
		{"eni-0abc rule=x reason", "neither an address"},
		{"S3 rule=nope reason", "a.txt:1: rule=nope: no such rule"},
		{"S3 rule=exfiltration", "S3 has no reason"},
		{"# nothing\n\n", "a.txt: no entry"},
	}
	for _, tc := range tests {
		_, err := ParseAllowList("a.txt", []byte(tc.text), []string{"exfiltration"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
	// Every bad line is reported, not only the first.
	_, err := ParseAllowList("a.txt", []byte("S3\nbad!\n10.0.0.0/8 ok\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "a.txt:1:") || !strings.Contains(err.Error(), "a.txt:2:") {
		t.Errorf("%v", err)
	}
}
