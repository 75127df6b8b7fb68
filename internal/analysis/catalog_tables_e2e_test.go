package analysis_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/store"
)

func runQuery(t *testing.T, c *store.Case, name string, params map[string]string) *store.Result {
	t.Helper()
	q, err := analysis.Find(name)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := q.Render(analysis.DuckDB, "flows", params, analysis.Bounds{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, sql)
	}
	return res
}

func i64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case *big.Int: // exact sums (HUGEINT) since c966c4c
		if x.IsInt64() {
			return x.Int64()
		}
	}
	return -1
}

// TestTGWQueriesOnSamples ingests Elastic's Transit Gateway samples and
// checks the three TGW queries against sums computed here from the file's
// fields by position (the TGW default format), not through flowir.
func TestTGWQueriesOnSamples(t *testing.T) {
	const path = "../../../shared/external/elastic-integrations/test-tgw-samples.log"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skip("no external test data")
	}
	c, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "case"), store.Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := ingest.Run(context.Background(), c, ingest.Options{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0
		}
		return n
	}
	attach := map[string]int64{} // tgw-id|attachment -> bytes
	lost := map[string]int64{}   // tgw|attachment|reason -> packets
	vpcs := map[string]int64{}   // src account|src vpc|dst account|dst vpc -> bytes
	reasons := []string{"no-route", "blackhole", "mtu-exceeded", "ttl-expired"}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		x := strings.Fields(sc.Text())
		// 3 tgw-id, 4 attachment, 5/6 src/dst account, 7/8 src/dst vpc,
		// 22 bytes, 27..30 packets lost.
		attach[x[3]+"|"+x[4]] += num(x[22])
		for i, r := range reasons {
			if n := num(x[27+i]); n > 0 {
				lost[x[3]+"|"+x[4]+"|"+r] += n
			}
		}
		if x[7] != "-" || x[8] != "-" {
			vpcs[x[5]+"|"+x[7]+"|"+x[6]+"|"+x[8]] += num(x[22])
		}
	}
	str := func(v any) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(v)
	}
	got := map[string]int64{}
	res := runQuery(t, c, "tgw-top-attachments", nil)
	for _, r := range res.Rows {
		got[str(r[0])+"|"+str(r[1])] = i64(r[2])
	}
	if fmt.Sprint(got) != fmt.Sprint(attach) {
		t.Errorf("tgw-top-attachments %v, want %v", got, attach)
	}
	for i := 1; i < len(res.Rows); i++ {
		if i64(res.Rows[i][2]) > i64(res.Rows[i-1][2]) {
			t.Errorf("not ordered by bytes")
		}
	}
	got = map[string]int64{}
	for _, r := range runQuery(t, c, "tgw-packets-lost", nil).Rows {
		got[str(r[0])+"|"+str(r[1])+"|"+str(r[2])] = i64(r[3])
	}
	if fmt.Sprint(got) != fmt.Sprint(lost) {
		t.Errorf("tgw-packets-lost %v, want %v", got, lost)
	}
	got = map[string]int64{}
	for _, r := range runQuery(t, c, "tgw-vpc-traffic", nil).Rows {
		got[str(r[0])+"|"+str(r[1])+"|"+str(r[2])+"|"+str(r[3])] = i64(r[4])
	}
	if fmt.Sprint(got) != fmt.Sprint(vpcs) || len(vpcs) == 0 {
		t.Errorf("tgw-vpc-traffic %v, want %v", got, vpcs)
	}
}

// TestJSONQueries loads the playbook's JSON records and runs its queries.
func TestJSONQueries(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	counts := map[string]int64{}
	for i := 0; i < 40; i++ {
		ip := fmt.Sprintf("203.0.113.%d", i%3+i%5)
		counts[ip]++
		b, _ := json.Marshal(map[string]any{"ip": ip, "start_time": fmt.Sprintf("2024-05-01T10:%02d:00Z", 59-i), "in_bytes": i, "protocol": 6})
		lines = append(lines, string(b))
	}
	lines = append(lines, `{"ip": 5}`, `garbage`)
	p := filepath.Join(dir, "new-logs.jsonl")
	os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
	c, err := store.Open(context.Background(), filepath.Join(dir, "case"), store.Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := ingest.Run(context.Background(), c, ingest.Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	if n := i64(runQuery(t, c, "json-count", nil).Rows[0][0]); n != 40 {
		t.Errorf("json-count = %d", n)
	}
	res := runQuery(t, c, "json-sample", nil)
	if len(res.Rows) != 40 || len(res.Columns) != 22 || res.Rows[0][8] != "2024-05-01T10:20:00Z" {
		t.Errorf("json-sample: %d rows, %d columns, first start_time %v", len(res.Rows), len(res.Columns), res.Rows[0][8])
	}
	top := runQuery(t, c, "json-top-ips", nil)
	var ips []string
	for ip := range counts {
		ips = append(ips, ip)
	}
	sort.Slice(ips, func(i, j int) bool {
		if counts[ips[i]] != counts[ips[j]] {
			return counts[ips[i]] > counts[ips[j]]
		}
		return ips[i] < ips[j]
	})
	for i, r := range top.Rows {
		if r[0] != ips[i] || i64(r[1]) != counts[ips[i]] {
			t.Errorf("json-top-ips row %d = %v, want %s %d", i, r, ips[i], counts[ips[i]])
		}
	}
	recs := runQuery(t, c, "json-ip-records", map[string]string{"ip": ips[0]})
	if int64(len(recs.Rows)) != counts[ips[0]] {
		t.Errorf("json-ip-records: %d rows, want %d", len(recs.Rows), counts[ips[0]])
	}
	for i := 1; i < len(recs.Rows); i++ {
		if recs.Rows[i][8].(string) < recs.Rows[i-1][8].(string) {
			t.Errorf("json-ip-records not in time order")
		}
	}
}
