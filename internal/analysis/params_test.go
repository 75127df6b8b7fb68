package analysis

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParamParse(t *testing.T) {
	tests := []struct {
		typ, in string
		want    any // nil: an error is expected
	}{
		{TypeIP, "10.0.0.5", "10.0.0.5"},
		{TypeIP, " 10.0.0.5 ", "10.0.0.5"},
		{TypeIP, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{TypeIP, "2001:db8:1234:a100:8d6e:3477:df66:f105", "2001:db8:1234:a100:8d6e:3477:df66:f105"},
		// The form the decoder stores (issue 17.16): IPv4-mapped as IPv4.
		{TypeIP, "::ffff:10.0.0.1", "10.0.0.1"},
		{TypeIP, "::FFFF:a00:1", "10.0.0.1"},
		{TypeIP, "999.1.1.1", nil},
		{TypeIP, "010.0.0.1", nil}, // leading zero: octal or decimal? refused
		{TypeIP, "10.0.0", nil},
		{TypeIP, "fe80::1%eth0", nil},
		{TypeIP, "10.0.0.0/8", nil},
		{TypeIP, "", nil},
		{TypeIP, "10.0.0.5' OR '1'='1", nil},
		{TypeCIDR, "10.1.2.3/8", "10.0.0.0/8"},
		{TypeCIDR, "10.0.0.0/8", "10.0.0.0/8"},
		{TypeCIDR, "2001:db8::1/32", "2001:db8::/32"},
		{TypeCIDR, "2001:DB8:0::/48", "2001:db8::/48"},
		{TypeCIDR, "10.0.0.1", "10.0.0.1/32"},
		{TypeCIDR, "2001:db8::1", "2001:db8::1/128"},
		{TypeCIDR, "::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{TypeCIDR, "::ffff:10.0.0.1", "10.0.0.1/32"},
		{TypeCIDR, "10.0.0.0/33", nil},
		{TypeCIDR, "999.0.0.0/8", nil},
		{TypeCIDR, "fe80::1%eth0", nil},
		{TypePort, "0", int64(0)},
		{TypePort, "22", int64(22)},
		{TypePort, "65535", int64(65535)},
		{TypePort, "65536", nil},
		{TypePort, "-1", nil},
		{TypePort, "+22", nil},
		{TypePort, "22a", nil},
		{TypeInt, "-5", int64(-5)},
		{TypeInt, "9223372036854775807", int64(9223372036854775807)},
		{TypeInt, "1e3", nil},
		{TypeString, "it's; DROP TABLE flows", "it's; DROP TABLE flows"},
	}
	for _, tc := range tests {
		p := Param{Name: "x", Type: tc.typ}
		got, err := p.Parse(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("Parse(%s, %q) = %v, want an error", tc.typ, tc.in, got)
			} else if !errors.Is(err, ErrParam) {
				t.Errorf("Parse(%s, %q) error %v does not wrap ErrParam", tc.typ, tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%s, %q): %v", tc.typ, tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%s, %q) = %#v, want %#v", tc.typ, tc.in, got, tc.want)
		}
	}
	if _, err := (Param{Name: "x", Type: "float"}).Parse("1"); err == nil {
		t.Error("unknown parameter type accepted")
	}
}

func TestParamString(t *testing.T) {
	tests := []struct {
		p    Param
		want string
	}{
		{Param{Name: "ip", Type: TypeIP, Required: true, Description: "the address"}, "ip (ip, required): the address"},
		{Param{Name: "port", Type: TypePort, Default: "22"}, "port (port, default 22)"},
		{Param{Name: "n", Type: TypeInt}, "n (int, optional)"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestBindParams(t *testing.T) {
	ipq, err := Find("data-ratio")
	if err != nil {
		t.Fatal(err)
	}
	noParams, err := Find("top-talkers")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		q       *Query
		params  map[string]string
		wantErr []string // substrings of the error; nil means success
	}{
		{"valid v4", ipq, map[string]string{"ip": "10.0.0.5"}, nil},
		{"valid v6", ipq, map[string]string{"ip": "2001:db8::5"}, nil},
		{"bad address", ipq, map[string]string{"ip": "999.1.1.1"}, []string{`ip="999.1.1.1"`, "not an IPv4 or IPv6 address"}},
		{"missing", ipq, nil, []string{"data-ratio needs ip", "-p ip=", "ip (ip, required)"}},
		{"unknown", ipq, map[string]string{"ip": "10.0.0.5", "port": "22"}, []string{`does not take "port"`, "its parameters: ip (ip, required)"}},
		{"unknown, several", ipq, map[string]string{"b": "1", "a": "2"}, []string{`"a", "b"`}},
		{"none taken", noParams, map[string]string{"ip": "10.0.0.5"}, []string{"top-talkers does not take \"ip\"", "it takes no parameters"}},
	}
	for _, tc := range tests {
		_, err := tc.q.bindParams(tc.params)
		if tc.wantErr == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !errors.Is(err, ErrParam) {
			t.Errorf("%s: %v does not wrap ErrParam", tc.name, err)
		}
		for _, w := range tc.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestBindParamsDefault(t *testing.T) {
	q := &Query{Name: "test", Params: []Param{
		{Name: "port", Type: TypePort, Default: "22"},
		{Name: "net", Type: TypeCIDR},
	}}
	got, err := q.bindParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got["port"] != int64(22) {
		t.Errorf("default port = %#v, want int64(22)", got["port"])
	}
	if _, ok := got["net"]; ok {
		t.Errorf("optional parameter without default got a value: %#v", got["net"])
	}
	got, err = q.bindParams(map[string]string{"port": "3389", "net": "10.9.8.7/16"})
	if err != nil {
		t.Fatal(err)
	}
	if got["port"] != int64(3389) || got["net"] != "10.9.0.0/16" {
		t.Errorf("got %#v", got)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 5, 10, 12, 30, 0, 0, time.UTC)
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
		err  string // substring of the error; "" means success
	}{
		{"2024-05-01T13:00:00Z", utc(2024, 5, 1, 13, 0, 0, 0), ""},
		{"2024-05-01T13:00:00.250Z", utc(2024, 5, 1, 13, 0, 0, 250e6), ""},
		{"2024-05-01T15:00:00+02:00", utc(2024, 5, 1, 13, 0, 0, 0), ""},
		{"2024-05-01T08:00:00.5-05:00", utc(2024, 5, 1, 13, 0, 0, 5e8), ""},
		{"2024-05-01t13:00:00z", utc(2024, 5, 1, 13, 0, 0, 0), ""},
		{"2024-05-01 13:00:00Z", utc(2024, 5, 1, 13, 0, 0, 0), ""},
		{"2024-05-01", utc(2024, 5, 1, 0, 0, 0, 0), ""},
		{"1714568400", utc(2024, 5, 1, 13, 0, 0, 0), ""},
		{"0", time.Unix(0, 0).UTC(), ""},
		{"24h", now.Add(-24 * time.Hour), ""},
		{"90m", now.Add(-90 * time.Minute), ""},
		{"30s", now.Add(-30 * time.Second), ""},
		{"7d", now.Add(-7 * 24 * time.Hour), ""},
		{"2w", now.Add(-14 * 24 * time.Hour), ""},
		{"1d12h", now.Add(-36 * time.Hour), ""},
		{"1.5h", now.Add(-90 * time.Minute), ""},
		{"7D", now.Add(-7 * 24 * time.Hour), ""},
		{"now", now, ""},
		{" 24h ", now.Add(-24 * time.Hour), ""},
		{"", time.Time{}, "empty"},
		{"2024-05-01T13:00:00", time.Time{}, "no time zone"},
		{"2024-05-01T13:00Z", time.Time{}, "not an RFC 3339 time"},
		{"2024-13-01", time.Time{}, "not a valid date"},
		{"2024-02-30", time.Time{}, "not a valid date"},
		{"2024-05-01T13:00:00+0200", time.Time{}, "not an RFC 3339 time"},
		{"20240501", time.Time{}, "ambiguous"},
		{"1714568400000", time.Time{}, "milliseconds"},
		{"-24h", time.Time{}, "counts back from now"},
		{"24", time.Unix(24, 0).UTC(), ""}, // Unix seconds, however odd
		{"3y", time.Time{}, "not a time"},
		{"h", time.Time{}, "not a time"},
		{"5 days", time.Time{}, "not a time"},
		{"yesterday", time.Time{}, "not a time"},
		{"99999999999999w", time.Time{}, "not a time"},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in, now)
		if tc.err != "" {
			if err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", tc.in, got)
				continue
			}
			if !errors.Is(err, ErrBounds) {
				t.Errorf("ParseTime(%q) error %v does not wrap ErrBounds", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTime(%q) error %q, want it to mention %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, want %v (UTC)", tc.in, got, tc.want)
		}
	}
}

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		since, until string
		want         string // "" when it parses
		side         string
	}{
		{"", "", "", ""},
		{"2026-11-20", "", "", ""},
		{"", "1h", "", ""},
		{"2026-11-20", "2026-11-21", "", ""},
		{"yesterday", "", "since: ", "since"},
		{"", "20240501", "until: ", "until"},
		{"2026-11-21", "2026-11-20", "until must be after since", ""},
		{"2026-11-21", "2026-11-21", "until must be after since", ""},
	} {
		s, u, err := ParseWindow(c.since, c.until, now)
		if c.want == "" {
			if err != nil || (c.since == "") != s.IsZero() || (c.until == "") != u.IsZero() {
				t.Errorf("ParseWindow(%q, %q) = %v, %v, %v", c.since, c.until, s, u, err)
			}
			continue
		}
		var we *WindowError
		if !errors.As(err, &we) || we.Side != c.side || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseWindow(%q, %q) error %v; want a WindowError on %q starting %q", c.since, c.until, err, c.side, c.want)
		}
	}
}
