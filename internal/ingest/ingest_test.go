package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/store"
)

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

const good = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newCase(t *testing.T) *store.Case {
	t.Helper()
	c, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "case"), store.Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func scalar(t *testing.T, c *store.Case, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// lines returns a flow log text of n records (with a header), each with its
// own byte count so that a record read twice would show.
func lines(n, from int) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	for i := range n {
		fmt.Fprintf(&b, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 %d 1418530010 1418530070 ACCEPT OK\n", from+i)
	}
	return b.Bytes()
}

// TestBadInput runs every kind of damaged or unexpected input through the
// pipeline and checks the outcome and the line accounting of each.
func TestBadInput(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	truncated := gz(t, header+strings.Repeat(good, 2000))
	truncated = truncated[:len(truncated)/2]
	tests := []struct {
		name    string
		data    []byte
		outcome string
		records int64
		rejects int64
		headers int64
		reason  string // a reject reason that must be present
		errLike string
	}{
		{name: "empty.log", data: nil, outcome: Ingested},
		{name: "header-only.log", data: []byte(header), outcome: Ingested, headers: 1},
		{name: "good.log.gz", data: gz(t, header+good+good), outcome: Ingested, records: 2, headers: 1},
		{name: "truncated.log.gz", data: truncated, outcome: Partial, headers: 1, errLike: "unexpected EOF"},
		{name: "garbage.gz", data: append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{7, 1, 2}, 100)...), outcome: Failed, errLike: "gzip"},
		{name: "binary.log", data: []byte("\x00\x01\x02ELF\x00binary"), outcome: Failed, errLike: "1 rejected (1 nul-byte); it is not text: a binary"},
		{name: "missing-field.log", data: []byte(header + good + "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT\n"), outcome: Ingested, records: 1, rejects: 1, headers: 1, reason: "field-count"},
		{name: "extra-field.log", data: []byte(header + good + strings.TrimSuffix(good, "\n") + " extra\n"), outcome: Ingested, records: 1, rejects: 1, headers: 1, reason: "field-count"},
		{name: "port-http.log", data: []byte(header + good + strings.Replace(good, " 22 ", " http ", 1)), outcome: Ingested, records: 1, rejects: 1, headers: 1, reason: "bad-number"},
		{name: "bad-ip.log", data: []byte(header + good + strings.Replace(good, "172.31.16.139", "999.1.1.1", 1)), outcome: Ingested, records: 1, rejects: 1, headers: 1, reason: "bad-ip"},
		// Issue 12.4: lines, but not one record among them: the source fails
		// (exit non-zero) and says why; issue 17.8: NUL bytes are rejects,
		// and a file of nothing else fails the same way.
		{name: "no-record.log", data: []byte(header + strings.Replace(good, "172.31.16.139", "999.1.1.1", 1)), outcome: Failed, errLike: "not one line after 1 header line(s) is a flow log record: 1 rejected (1 bad-ip)"},
		{name: "readme.md", data: []byte("# notes\n\nnot a log\n"), outcome: Failed, errLike: "not one line is a flow log record: 3 rejected (2 field-count, 1 empty-line); is it a flow log?"},
		{name: "nul-early.log", data: []byte(header + "2 123456789010 eni-1\x00 10.0.0.1\n" + good), outcome: Ingested, records: 1, rejects: 1, headers: 1, reason: "nul-byte"},
		{name: "long-line.log", data: []byte(header + good + big + "\n" + good), outcome: Ingested, records: 2, rejects: 1, headers: 1, reason: "line-too-long"},
		// Issue 12.5: a Transit Gateway-shaped line in a default-format
		// stream is a reject, not a record whose account is "TransitGateway".
		{name: "tgw-line.log", data: []byte(header + good + "6 TransitGateway eni-0123456789abcdef0 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK\n"),
			outcome: Ingested, records: 1, rejects: 1, headers: 1, reason: "bad-value"},
		{name: "unknown-field.log", data: []byte(strings.TrimSuffix(header, "\n") + " encryption-status\n" + strings.TrimSuffix(good, "\n") + " 1\n"), outcome: Ingested, records: 1, headers: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			p := write(t, t.TempDir(), tt.name, tt.data)
			sum, err := Run(context.Background(), c, Options{Paths: []string{p}})
			if err != nil {
				t.Fatal(err)
			}
			if len(sum.Results) != 1 {
				t.Fatalf("results = %+v", sum.Results)
			}
			r := sum.Results[0]
			if r.Outcome != tt.outcome {
				t.Fatalf("outcome = %s (%s), want %s", r.Outcome, r.Error, tt.outcome)
			}
			if tt.errLike != "" && !strings.Contains(r.Error, tt.errLike) {
				t.Errorf("error %q does not mention %q", r.Error, tt.errLike)
			}
			if tt.outcome != Failed && tt.outcome != Partial {
				if r.Records != tt.records || r.Rejects != tt.rejects || r.Headers != tt.headers {
					t.Errorf("records/rejects/headers = %d/%d/%d, want %d/%d/%d", r.Records, r.Rejects, r.Headers, tt.records, tt.rejects, tt.headers)
				}
			}
			if r.Lines != r.Records+r.Rejects+r.Headers {
				t.Errorf("lines %d != records %d + rejects %d + headers %d", r.Lines, r.Records, r.Rejects, r.Headers)
			}
			if got := scalar(t, c, "SELECT count(*) FROM flows"); got != r.Records && tt.outcome != Failed {
				t.Errorf("flows has %d rows, summary says %d", got, r.Records)
			}
			if got := scalar(t, c, "SELECT count(*) FROM rejects"); got != r.Rejects {
				t.Errorf("rejects has %d rows, summary says %d", got, r.Rejects)
			}
			if tt.reason != "" {
				if n := scalar(t, c, "SELECT count(*) FROM rejects WHERE reason = ?", tt.reason); n == 0 {
					t.Errorf("no reject with reason %s", tt.reason)
				}
			}
			if tt.outcome == Partial {
				if r.Records == 0 || r.Records >= 2000 {
					t.Errorf("partial file kept %d records, want some but not all", r.Records)
				}
				if st := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'partial'"); st != 1 {
					t.Errorf("partial sources = %d", st)
				}
			}
			if tt.name == "unknown-field.log" {
				var extra string
				if err := c.DB().QueryRow("SELECT extra_fields FROM flows").Scan(&extra); err != nil || extra != `{"encryption-status":"1"}` {
					t.Errorf("extra_fields = %q, %v", extra, err)
				}
			}
		})
	}
}

func TestMissingPath(t *testing.T) {
	c := newCase(t)
	_, err := Run(context.Background(), c, Options{Paths: []string{filepath.Join(t.TempDir(), "nope")}})
	if err == nil || !strings.Contains(err.Error(), "no such file or folder") {
		t.Fatalf("err = %v", err)
	}
}

// TestIdempotent ingests a folder twice, with one file copied under another
// name, and checks that nothing is counted twice.
func TestIdempotent(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	a := gz(t, header+good+good+good)
	write(t, dir, "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0405Z_fe123456.log.gz", a)
	write(t, dir, "copy/renamed.log.gz", a)
	write(t, dir, "other.log", []byte(header+good))
	write(t, dir, "notes.md", []byte("not a log"))
	sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ingested != 2 || sum.Skipped != 1 || sum.Records != 4 || len(sum.Ignored) != 1 {
		t.Fatalf("first run: %+v", sum)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 4 {
		t.Fatalf("flows = %d, want 4", n)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows WHERE account_partition = '123456789010' AND region_partition = 'us-east-1' AND date_partition = '2014/12/14'"); n != 3 {
		t.Fatalf("partitioned records = %d, want 3", n)
	}
	sum, err = Run(context.Background(), c, Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ingested != 0 || sum.Skipped != 3 {
		t.Fatalf("second run: %+v", sum)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 4 {
		t.Fatalf("flows after rerun = %d, want 4", n)
	}
}

// TestPartialSuperseded replaces a truncated download by the complete file at
// the same path: the partial records are replaced, not added to.
func TestPartialSuperseded(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	full := gz(t, header+strings.Repeat(good, 5000))
	p := write(t, dir, "x.log.gz", full[:len(full)*2/3])
	if _, err := Run(context.Background(), c, Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'partial'"); n != 1 {
		t.Fatalf("partial sources = %d", n)
	}
	write(t, dir, "x.log.gz", full)
	if _, err := Run(context.Background(), c, Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 5000 {
		t.Fatalf("flows = %d, want 5000", n)
	}
	if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'superseded'"); n != 1 {
		t.Fatalf("superseded sources = %d", n)
	}
}

// TestHeaderlessWithFormat reads a CloudWatch-style export with --log-format.
func TestHeaderlessWithFormat(t *testing.T) {
	c := newCase(t)
	f, err := flow.ParseFormat("${version} ${srcaddr} ${dstaddr} ${bytes} ${packets} ${action} ${log-status}")
	if err != nil {
		t.Fatal(err)
	}
	p := write(t, t.TempDir(), "export.log", []byte("2 10.0.0.1 10.0.0.2 1500 3 ACCEPT OK\r\n2 10.0.0.1  10.0.0.3 70 1 REJECT OK\n"))
	sum, err := Run(context.Background(), c, Options{Paths: []string{p}, Format: f})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 2 || sum.Rejects != 0 {
		t.Fatalf("%+v", sum)
	}
	if n := scalar(t, c, "SELECT sum(bytes) + 1000000 * sum(packets) FROM flows"); n != 1570+4000000 {
		t.Fatalf("bytes/packets mixed up: %d", n)
	}
}

// TestInterruptedCommit interrupts ingests just as their last batches
// commit (every file read, as Ctrl-C at the end of a run would): the summary
// must say exactly what is in the case, and the sources cut off are not
// started, not failed (they are not in the case, nothing was wrong with
// them, and the next run ingests them).
func TestInterruptedCommit(t *testing.T) {
	cp := getCorpus(t)
	for round := range 3 {
		c := newCase(t)
		ctx, cancel := context.WithCancel(context.Background())
		var once sync.Once
		opts := Options{Paths: []string{cp.dir}, Workers: 2, Tick: time.Millisecond, Progress: func(p Progress) {
			if p.FilesDone == len(cp.keys) {
				once.Do(cancel)
			}
		}}
		s, err := Run(ctx, c, opts)
		cancel()
		stored := scalar(t, c, `SELECT count(*) FROM sources`)
		if s == nil || s.Failed != 0 || int64(s.Ingested+s.Partial) != stored {
			t.Fatalf("round %d: summary %+v (error %v), the case holds %d sources", round, s, err, stored)
		}
		if err == nil && stored != int64(len(cp.keys)) {
			t.Fatalf("round %d: no error, but %d of %d sources stored", round, stored, len(cp.keys))
		}
		s = mustRun(t, c, Options{Paths: []string{cp.dir}, Workers: 2})
		if s.Failed != 0 || int64(s.Skipped) != stored || s.Ingested != len(cp.keys)-int(stored) {
			t.Fatalf("round %d: the next run: %+v, after %d stored", round, s, stored)
		}
		checkTruth(t, c, cp.truth)
		t.Logf("round %d: interrupted with %d of %d sources stored", round, stored, len(cp.keys))
	}
}

// TestControlCharacterIsOneReject ingests a folder in which one line of one
// file holds a carriage return inside a field (issue 12.11): that line is a
// reject, and every other line and file is stored, in one batch.
func TestControlCharacterIsOneReject(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	for i := range 5 {
		write(t, dir, "good"+string(rune('a'+i))+".log", []byte(header+strings.Repeat(good, i+1)))
	}
	bad := strings.Replace(good, "eni-1235b8ca123456789", "eni-aa\rbb", 1)
	write(t, dir, "bad.log", []byte(header+good+bad+good))
	for run := range 2 { // the second run finds everything in the case
		sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 && (sum.Ingested != 6 || sum.Failed != 0 || sum.Records != 15+2 || sum.Rejects != 1) {
			t.Fatalf("summary %+v", sum)
		}
		if run == 1 && (sum.Ingested != 0 || sum.Skipped != 6) {
			t.Fatalf("second run: %+v", sum)
		}
	}
	if n := scalar(t, c, "SELECT count(*) FROM rejects WHERE reason = 'control-character' AND line = 3"); n != 1 {
		t.Errorf("%d control-character rejects at line 3", n)
	}
	if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 17 {
		t.Errorf("%d records stored", n)
	}
}

// TestAutoCompact ingests ten files one run each: every run writes one
// record file into the case's one partition, and the run that leaves more
// than store.AutoCompactFiles small files there merges them into one. The
// records and their byte sums are unchanged.
func TestAutoCompact(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	var want int64
	for i := range store.AutoCompactFiles + 2 {
		p := write(t, dir, fmt.Sprintf("f%d.log", i), lines(10, 1000*i))
		for j := range 10 {
			want += int64(1000*i + j)
		}
		s, err := Run(context.Background(), c, Options{Paths: []string{p}})
		if err != nil || s.Ingested != 1 {
			t.Fatalf("run %d: %+v, %v", i, s, err)
		}
		files := scalar(t, c, `SELECT count(*) FROM data_files`)
		wantFiles := int64(i + 1)
		switch {
		case i == store.AutoCompactFiles:
			wantFiles = 1
		case i > store.AutoCompactFiles:
			wantFiles = int64(i - store.AutoCompactFiles + 1)
		}
		if files != wantFiles {
			t.Fatalf("after run %d: %d record files, want %d", i, files, wantFiles)
		}
		if got := scalar(t, c, `SELECT sum(bytes) FROM flows`); got != want {
			t.Fatalf("after run %d: sum(bytes) %d, want %d", i, got, want)
		}
		if got := scalar(t, c, `SELECT count(*) FROM flows`); got != int64(10*(i+1)) {
			t.Fatalf("after run %d: %d records, want %d", i, got, 10*(i+1))
		}
	}
}
