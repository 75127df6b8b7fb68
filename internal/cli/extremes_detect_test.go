package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/flow"
)

// A finding's bytes are exact past int64 (issue 17.2): detect summed its
// evidence as BIGINT, so a pair with more than 1,024 records of the largest
// counter (2^53-1 bytes) made detect fail with an overflow. Here every
// record carries 2^53-1 bytes, so each finding's bytes must be exactly its
// records times 2^53-1, computed here with math/big, independently of SQL:
// in detect's and findings' JSON and CSV, in the stored findings, and in
// the ASFF export's description. investigate and ioc on the same pair are
// exact too.
func TestExactFindingBytes(t *testing.T) {
	const n = 1100 // records per pair: 1,024 of 2^53-1 pass int64
	m := big.NewInt(flow.MaxCounter)
	times := func(k int64) string { return new(big.Int).Mul(m, big.NewInt(k)).String() }
	var b strings.Builder
	b.WriteString(valuesHeader)
	for i := 0; i < n; i++ {
		// An upload from 10.0.1.5 to 203.0.113.50:443 within a minute ...
		fmt.Fprintf(&b, "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.50 %d 443 6 1 %d 1795000000 1795000060 ACCEPT OK\n", 40000+i, flow.MaxCounter)
		// ... and a port scan of 10.0.1.7 by 198.51.100.7, rejected.
		fmt.Fprintf(&b, "2 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.7 40000 %d 6 1 %d 1795000000 1795000060 REJECT OK\n", 1+i, flow.MaxCounter)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261118T1105Z_0a1b2c3d.log")
	os.WriteFile(log, []byte(b.String()), 0o644)
	caseDir := filepath.Join(dir, "case")
	mustRun(t, "ingest", "--case", caseDir, log)
	ioc := filepath.Join(dir, "iocs.txt")
	os.WriteFile(ioc, []byte("203.0.113.50\n"), 0o644)

	// ioc and investigate on the pair.
	for _, args := range [][]string{
		{"ioc", ioc},
		{"investigate", "10.0.1.5", "--section", "overview"},
	} {
		out := mustRun(t, append(args, "--case", caseDir, "--format", "json")...)
		if !strings.Contains(strings.ReplaceAll(out, " ", ""), `"bytes_out":`+times(n)) {
			t.Errorf("flowir %s does not say bytes_out %s:\n%.2000s", strings.Join(args, " "), times(n), out)
		}
	}

	// detect (the run's findings) and findings (the stored ones), in JSON
	// and CSV: bytes = records x (2^53-1).
	check := func(what string, records, bytes string) {
		t.Helper()
		r, ok := new(big.Int).SetString(records, 10)
		if !ok {
			t.Errorf("%s: records %q", what, records)
			return
		}
		if want := new(big.Int).Mul(r, m).String(); bytes != want {
			t.Errorf("%s: %s records, %s bytes; want %s", what, records, bytes, want)
		}
	}
	want := []string{"exfiltration 10.0.1.5 203.0.113.50", "ioc-contact 10.0.1.5 203.0.113.50", "port-scan-vertical 198.51.100.7 10.0.1.7"}
	for _, cmd := range [][]string{{"detect"}, {"findings"}} {
		args := append(append([]string{}, cmd...), "--case", caseDir, "--format", "json")
		code, out, errOut := run(t, args...)
		if code != 0 {
			t.Fatalf("flowir %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		dec.UseNumber()
		var fs []map[string]any
		if err := dec.Decode(&fs); err != nil {
			t.Fatalf("flowir %s: %v\n%.2000s", strings.Join(args, " "), err, out)
		}
		got := map[string]string{} // rule src dst -> records
		for _, f := range fs {
			got[fmt.Sprint(f["rule"], " ", f["src"], " ", f["dst"])] = fmt.Sprint(f["records"])
			check(fmt.Sprint(cmd, " json ", f["rule"], " ", f["src"], " ", f["dst"]), fmt.Sprint(f["records"]), fmt.Sprint(f["bytes"]))
			// The details' sums are exact too, also as stored.
			if d, _ := f["details"].(map[string]any); f["rule"] == "exfiltration" && fmt.Sprint(d["max_window_bytes"]) != times(n) {
				t.Errorf("flowir %s: exfiltration max_window_bytes %v, want %s", strings.Join(args, " "), d["max_window_bytes"], times(n))
			}
		}
		// Each of these findings holds all n records of its pair.
		for _, w := range want {
			if got[w] != fmt.Sprint(n) {
				t.Errorf("flowir %s: finding %q has %q records, want %d (findings: %v)", strings.Join(args, " "), w, got[w], n, got)
			}
		}
		args[len(args)-1] = "csv"
		out = mustRun(t, args...)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != len(fs)+1 {
			t.Fatalf("flowir %s: %d rows, %v; want %d findings", strings.Join(args, " "), len(rows), err, len(fs))
		}
		ri, bi := slices.Index(rows[0], "records"), slices.Index(rows[0], "bytes")
		for _, row := range rows[1:] {
			check(fmt.Sprint(cmd, " csv ", row), row[ri], row[bi])
		}
	}

	// The ASFF export says the exact bytes in each finding's description.
	out := mustRun(t, "findings", "export", "--case", caseDir)
	var asff struct {
		Findings []struct{ Description string }
	}
	if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&asff); err != nil || len(asff.Findings) == 0 {
		t.Fatalf("findings export: %v\n%.2000s", err, out)
	}
	for _, f := range asff.Findings {
		var records int64
		var bytes string
		if i := strings.Index(f.Description, "Evidence: "); i < 0 {
			t.Errorf("ASFF description without evidence: %s", f.Description)
		} else if _, err := fmt.Sscanf(f.Description[i:], "Evidence: %d flow records, %s bytes", &records, &bytes); err != nil {
			t.Errorf("ASFF description %q: %v", f.Description[i:], err)
		} else {
			check("ASFF", fmt.Sprint(records), strings.TrimSuffix(bytes, ","))
		}
	}
}
