package cli

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/flow"
)

// Every query and output survives the extreme values ingest accepts (issue
// 17.2): bytes = packets = 2^53-1 on enough records that every sum passes
// int64's range, start 0, end at 2100-01-01, end before start, ports 0 and
// 65535, protocol 255, and records that are NULL wherever a field can be.
// Sums must be exact: the totals below are computed in Go with big.Int,
// independently of SQL. (Times in milliseconds, which give years beyond
// 9999, are issue 12.7's; they are left out here.)
func TestExtremeValuesEveryCommand(t *testing.T) {
	const n = 1500 // records of the largest counter: 1,024 pass int64
	max := fmt.Sprint(flow.MaxCounter)
	var b strings.Builder
	b.WriteString(valuesHeader)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.%d 203.0.113.%d 0 65535 255 %s %s 0 %d ACCEPT OK\n", i%200, i%5, max, max, int64(flow.MillisThreshold))
	}
	fmt.Fprintf(&b, "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.9 65535 0 6 %s %s %d 0 REJECT OK\n", max, max, int64(flow.MillisThreshold))
	b.WriteString("2 123456789010 eni-0a1b2c3d4e5f60718 2001:db8::1 203.0.113.9 22 3389 17 1 1 1795000060 1795000000 REJECT OK\n")
	b.WriteString("2 123456789010 eni-0a1b2c3d4e5f60718 - - - - - - - 1795000000 1795000060 - NODATA\n")
	b.WriteString("2 123456789010 eni-0a1b2c3d4e5f60718 - - - - - - - 1795000000 1795000060 - SKIPDATA\n")
	dir := t.TempDir()
	// An AWS file name gives every record an account, Region and day, so
	// that export can file them.
	log := filepath.Join(dir, "123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261118T1105Z_0a1b2c3d.log")
	os.WriteFile(log, []byte(b.String()), 0o644)
	caseDir := filepath.Join(dir, "case")
	mustRun(t, "ingest", "--case", caseDir, log)

	m := big.NewInt(flow.MaxCounter)
	times := func(k int64) string { return new(big.Int).Mul(m, big.NewInt(k)).String() }
	all := new(big.Int).Add(new(big.Int).Mul(m, big.NewInt(n+1)), big.NewInt(1)).String() // every record's bytes
	ipv4 := times(n + 1)

	formats := []string{"table", "csv", "tsv", "json", "ndjson"}
	var catalog []struct{ Name, Parameters string }
	if err := json.Unmarshal([]byte(mustRun(t, "queries", "--format", "json")), &catalog); err != nil || len(catalog) == 0 {
		t.Fatalf("queries: %v", err)
	}
	type cmd struct {
		args []string
		want []string // in the json output
	}
	var cmds []cmd
	for _, q := range catalog {
		args := []string{"query", q.Name}
		for _, p := range strings.Fields(q.Parameters) {
			name, _, _ := strings.Cut(p, ":")
			args = append(args, "-p", name+"=10.0.1.5")
		}
		c := cmd{args: args}
		switch q.Name {
		case "ipv4-traffic":
			c.want = []string{`"total_bytes":` + ipv4}
		case "total-bytes-transferred":
			// Records i = 0, 200, ..., 1400 go from 10.0.1.0 to 203.0.113.0.
			c.want = []string{`{"srcaddr":"10.0.1.0","dstaddr":"203.0.113.0","total_bytes":` + times(n/200+1)}
		case "top-talkers":
			// 203.0.113.9 (2^53-1 from one record, 1 from another) is
			// below the five destinations of 300 records each.
			c.want = []string{`{"ip":"203.0.113.0","total_bytes":` + times(n/5)}
		}
		cmds = append(cmds, c)
	}
	ioc := filepath.Join(dir, "iocs.txt")
	os.WriteFile(ioc, []byte("203.0.113.0/30\n203.0.113.9\n"), 0o644)
	cmds = append(cmds,
		cmd{args: []string{"status"}, want: []string{`"bytes":` + times(n)}},
		cmd{args: []string{"status", "--sources"}},
		cmd{args: []string{"investigate", "10.0.0.0/8", "--section", "overview"}, want: []string{`"bytes_out":` + times(n+1)}},
		cmd{args: []string{"investigate", "10.0.1.5", "--section", "data_ratio"}},
		cmd{args: []string{"investigate", "203.0.113.9", "--section", "peers"}},
		cmd{args: []string{"ioc", ioc}, want: []string{`"bytes_out":` + times(n/5*4)}},
		cmd{args: []string{"ioc", "--detail", ioc}},
		cmd{args: []string{"detect"}},
		cmd{args: []string{"findings"}},
		cmd{args: []string{"enrich", "show"}},
	)
	for _, c := range cmds {
		for _, f := range formats {
			args := append(append([]string{}, c.args...), "--case", caseDir, "--format", f)
			code, out, errOut := run(t, args...)
			if code != 0 {
				t.Errorf("flowir %s: exit %d: %s", strings.Join(args, " "), code, errOut)
				continue
			}
			if f == "json" {
				for _, w := range c.want {
					if !strings.Contains(strings.ReplaceAll(out, " ", ""), w) {
						t.Errorf("flowir %s does not say %s:\n%.2000s", strings.Join(args, " "), w, out)
					}
				}
			}
		}
	}

	// Export checks its files' byte total against the case's: exact too.
	code, out, errOut := run(t, "export", "--case", caseDir, "--parquet", filepath.Join(dir, "export"), "--format", "json")
	if code != 0 || !strings.Contains(strings.ReplaceAll(out, " ", ""), `"total_bytes":`+all) {
		t.Errorf("export: exit %d, want total_bytes %s:\n%.2000s%s", code, all, out, errOut)
	}
}
