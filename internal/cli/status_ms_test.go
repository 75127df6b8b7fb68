package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStatusMillisecondTimes: records whose start/end were written in
// milliseconds (year 49901 as seconds) are stored as written; flowir status
// says so, and its JSON form does not fail on them (issue 12.7:
// Time.MarshalJSON refused the year).
func TestStatusMillisecondTimes(t *testing.T) {
	c := newDetectCase(t, []fr{
		tcp("10.0.1.5", 40000, "203.0.113.66", 443, t0, t0+30, 10, 2000),
		tcp("10.0.1.5", 40001, "203.0.113.66", 443, t0*1000, t0*1000+30_000, 10, 2000),
	})
	dir := c.Dir
	c.Close()
	code, out, errOut := run(t, "status", "--case", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("status --format json: exit %d\n%s", code, errOut)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if st["millisecond_time_records"] != float64(1) || !strings.HasPrefix(st["last_end"].(string), "58") {
		t.Errorf("millisecond_time_records %v, last_end %v", st["millisecond_time_records"], st["last_end"])
	}
	code, out, errOut = run(t, "status", "--case", dir)
	if code != 0 || !strings.Contains(out, "1 records have a start or end after 100000000000") {
		t.Errorf("status: exit %d\n%s\n%s", code, out, errOut)
	}
}
