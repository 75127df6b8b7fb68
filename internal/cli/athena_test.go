package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/athena/awsfake"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// awsTestEnv gives the SDK static credentials and nothing else from this
// machine.
func awsTestEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDFLOWIRTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
}

const bytesFirst = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${log-status}"

// TestAthenaDDLCommand is the check through the command line.
func TestAthenaDDLCommand(t *testing.T) {
	out := mustRun(t, "athena", "ddl", "--log-format", bytesFirst, "--bucket", "ir-central-logs", "--prefix", "prod",
		"--accounts", "111122223333,444455556666", "--regions", "us-east-1,eu-west-1", "--start", "2024/01/15")
	table := out[strings.Index(out, "CREATE EXTERNAL TABLE IF NOT EXISTS `flowir`.`vpc_flow_logs`"):]
	table = table[:strings.Index(table, ";")]
	var cols []string
	for _, l := range strings.Split(table[strings.Index(table, "(\n")+2:strings.Index(table, ")\nPARTITIONED BY")], "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			cols = append(cols, strings.Trim(f[0], "`"))
		}
	}
	want := []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "bytes", "packets", "start", "end", "action", "log_status"}
	if !slices.Equal(cols, want) {
		t.Fatalf("columns %v\nwant %v", cols, want)
	}
	for _, frag := range []string{
		"'projection.date_partition.range' = '2024/01/15,NOW'",
		"'projection.date_partition.format' = 'yyyy/MM/dd'",
		"'projection.date_partition.interval.unit' = 'DAYS'",
		"'projection.region_partition.values' = 'us-east-1,eu-west-1'",
		"'projection.account_partition.values' = '111122223333,444455556666'",
		"'storage.location.template' = 's3://ir-central-logs/prod/AWSLogs/${account_partition}/vpcflowlogs/${region_partition}/${date_partition}'",
		"`incident_iocs`", "'OUTBOUND' AS direction", "incident_vpc_flow_directional",
	} {
		if !strings.Contains(out, frag) {
			t.Errorf("output lacks %q", frag)
		}
	}

	base := []string{"athena", "ddl", "--log-format", bytesFirst, "--bucket", "ir-central-logs", "--regions", "us-east-1", "--start", "2024/01/15"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--accounts", "1234"}, "exactly 12 digits"},
		{[]string{"--accounts", "111122223333", "--prefix", "AWSLogs"}, "AWSLogs is reserved"},
		{[]string{"--accounts", "111122223333, 4444 55556666"}, "contains a space"},
		{[]string{"--accounts", "111122223333", "--accounts", "111122223333"}, "listed twice"},
		{[]string{"--accounts", "111122223333", "--start", "yesterday-ish"}, "--start"},
		{[]string{"--accounts", "111122223333", "--regions", "eu-wast-1"}, "unknown AWS Region"},
		{[]string{"--accounts", "111122223333", "--bucket", "Bad_Bucket"}, "not allowed"},
		{[]string{"--accounts", "111122223333", "--log-format", "${version} ${byts}"}, "unknown field(s) in the log format: byts"},
	} {
		// A flag the case gives replaces the base's: a single-value flag
		// given twice is a usage error of its own (issue 17.23).
		var args []string
		for i := 0; i < len(base); i++ {
			if strings.HasPrefix(base[i], "--") && slices.Contains(c.args, base[i]) {
				i++
				continue
			}
			args = append(args, base[i])
		}
		code, _, stderr := run(t, append(args, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if code, _, stderr := run(t, "athena", "ddl", "--bucket", "b-b-b", "--accounts", "111122223333", "--regions", "us-east-1", "--start", "2024/01/15"); code != 2 || !strings.Contains(stderr, "real order") {
		t.Errorf("no format: exit %d %s", code, stderr)
	}
}

// TestAthenaDDLListFlags (issue 12.8): repeated --regions and --accounts
// accumulate (the last one alone was kept, and queries through the DDL then
// skipped the others), items may have spaces after commas, and --start
// takes the forms --since takes.
func TestAthenaDDLListFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--accounts", "111122223333", "--accounts", "444455556666", "--regions", "us-east-1", "--regions", "eu-west-1", "--start", "2024/01/15"},
		{"--accounts", "111122223333, 444455556666", "--regions", "us-east-1, eu-west-1", "--start", "2024-01-15"},
		{"--accounts", "111122223333,444455556666", "--regions", "us-east-1,eu-west-1", "--start", "2024-01-15T23:59:00Z"},
	} {
		out := mustRun(t, append([]string{"athena", "ddl", "--log-format", bytesFirst, "--bucket", "ir-logs"}, args...)...)
		for _, frag := range []string{
			"'projection.region_partition.values' = 'us-east-1,eu-west-1'",
			"'projection.account_partition.values' = '111122223333,444455556666'",
			"'projection.date_partition.range' = '2024/01/15,NOW'",
		} {
			if !strings.Contains(out, frag) {
				t.Errorf("%v: output lacks %q", args, frag)
			}
		}
	}
}

// TestListFlags: every flag that takes a list accumulates when repeated and
// splits on commas with spaces after them (issue 12.8's class): no list flag
// may be a plain string (last one wins), a StringArray (no comma split) or a
// StringSlice (keeps the spaces). The -p key=value flags are not lists.
func TestListFlags(t *testing.T) {
	ios, _, _, _ := output.Test()
	root := NewRootCmd(&Factory{IO: ios})
	var lists []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			name := c.CommandPath() + " --" + fl.Name
			switch typ := fl.Value.Type(); {
			case typ == "list":
				lists = append(lists, name)
			case fl.Name == "param":
			case strings.Contains(typ, "Slice") || strings.Contains(typ, "Array") || strings.Contains(fl.Usage, "comma-") || strings.Contains(fl.Usage, "comma "):
				t.Errorf("%s is a list flag of type %s: use listVar", name, typ)
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for _, want := range []string{"flowir athena ddl --regions", "flowir athena cfn --accounts", "flowir detect --rules", "flowir detect --internal",
		"flowir findings export --rules", "flowir inventory snapshot --regions", "flowir setup flow-logs --resource", "flowir export --columns"} {
		if !slices.Contains(lists, want) {
			t.Errorf("%s is not a list flag (lists: %v)", want, lists)
		}
	}
	var got []string
	v := &listValue{items: &got}
	for _, s := range []string{"a, b", "c", " d ,e,", ""} {
		v.Set(s)
	}
	if !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("listValue: %q", got)
	}
	// Through a command: both rules run, both ranges are internal.
	out := mustRun(t, "detect", "--show-config", "--rules", "brute-force, beaconing", "--rules", "exfiltration", "--internal", "198.18.0.0/15, 192.0.2.0/24", "--internal", "2001:db8::/32")
	cfg := analysis.NewDetectConfig()
	if err := cfg.LoadJSON("printed", []byte(out)); err != nil {
		t.Fatal(err)
	}
	if r := cfg.EnabledRules(); !slices.Equal(r, []string{analysis.RuleBruteForce, analysis.RuleExfiltration, analysis.RuleBeaconing}) || len(cfg.Internal) != 3 {
		t.Errorf("rules %v, internal %v", r, cfg.Internal)
	}
	out = mustRun(t, "setup", "flow-logs", "--resource", "vpc-0123456789abcdef0", "--resource", "vpc-0123456789abcdef1, vpc-0123456789abcdef2",
		"--destination", "arn:aws:s3:::ir-logs", "--dry-run")
	if !strings.Contains(out, "vpc-0123456789abcdef0 vpc-0123456789abcdef1 vpc-0123456789abcdef2") {
		t.Errorf("setup flow-logs: %s", out)
	}
}

func TestAthenaDDLFromSampleAndFlowLog(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "111122223333_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240501T1620Z_fe123456.log")
	os.WriteFile(sample, []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol bytes packets start end action log-status\n"+
		"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 100 2 1714580400 1714580460 ACCEPT OK\n"), 0o644)
	fromSample := mustRun(t, "athena", "ddl", "--format", "json", "--sample", sample, "--bucket", "ir-logs", "--accounts", "111122223333", "--regions", "us-east-1", "--start", "2024/05/01")
	fromFormat := mustRun(t, "athena", "ddl", "--format", "json", "--log-format", bytesFirst, "--bucket", "ir-logs", "--accounts", "111122223333", "--regions", "us-east-1", "--start", "2024/05/01")
	if fromSample != fromFormat {
		t.Errorf("--sample and the same --log-format give different DDL")
	}
	bad := filepath.Join(dir, "nohdr.log")
	os.WriteFile(bad, []byte("2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 100 2 1714580400 1714580460 ACCEPT OK\n"), 0o644)
	if code, _, stderr := run(t, "athena", "ddl", "--sample", bad, "--bucket", "ir-logs", "--accounts", "111122223333", "--regions", "us-east-1", "--start", "2024/05/01"); code != 2 || !strings.Contains(stderr, "not a header") {
		t.Errorf("headerless sample: exit %d %s", code, stderr)
	}

	awsTestEnv(t)
	ec2 := awsfake.NewEC2(awsfake.FlowLog{ID: "fl-0123456789abcdef0", LogFormat: bytesFirst, DestinationType: "s3",
		Destination: "arn:aws:s3:::ir-logs/prod", FileFormat: "parquet", Hive: true})
	defer ec2.Close()
	out := mustRun(t, "athena", "ddl", "--flow-log-id", "fl-0123456789abcdef0", "--endpoint-url", ec2.URL,
		"--accounts", "111122223333", "--regions", "us-east-1", "--start", "2024/05/01")
	for _, frag := range []string{"`vpc_flow_logs_hive`", "ParquetHiveSerDe", "s3://ir-logs/prod/AWSLogs/aws-account-id=${account_partition}", "`bytes` bigint,\n  `packets` bigint"} {
		if !strings.Contains(out, frag) {
			t.Errorf("DDL from DescribeFlowLogs lacks %q", frag)
		}
	}
}

// TestAthenaQueriesJSON: every catalog query is listed, in catalog order.
func TestAthenaQueriesJSON(t *testing.T) {
	var got []struct {
		Name, SQL, Skipped string
		Parameters         []string
	}
	if err := json.Unmarshal([]byte(mustRun(t, "athena", "queries", "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	cat := analysis.Catalog()
	if len(got) != len(cat) {
		t.Fatalf("%d queries listed, catalog has %d", len(got), len(cat))
	}
	for i, q := range cat {
		if got[i].Name != q.Name || got[i].SQL == "" || got[i].Skipped != "" {
			t.Errorf("entry %d: %+v, want %s rendered", i, got[i], q.Name)
		}
	}
	// With the v2 format the packet-level queries are listed as skipped.
	if err := json.Unmarshal([]byte(mustRun(t, "athena", "queries", "--format", "json", "--log-format", bytesFirst)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cat) {
		t.Fatalf("%d listed with the v2 format", len(got))
	}
	for _, q := range got {
		if q.Name == "top-talkers-packet-level" && !strings.Contains(q.Skipped, "pkt_srcaddr") {
			t.Errorf("top-talkers-packet-level: %+v", q)
		}
	}
	out := mustRun(t, "athena", "queries", "data-ratio", "-p", "ip=10.0.1.5", "--since", "2024-05-01", "--until", "2024-05-02")
	if !strings.Contains(out, "-- execution parameters: '10.0.1.5', '10.0.1.5', 1714521600, 1714608000, '2024/04/30', '2024/05/03'") {
		t.Errorf("data-ratio listing:\n%s", out)
	}
	if code, _, _ := run(t, "athena", "queries", "no-such-query"); code != 2 {
		t.Errorf("unknown query: exit %d", code)
	}
}

func TestAthenaCFNCommand(t *testing.T) {
	out := mustRun(t, "athena", "cfn", "--log-format", bytesFirst, "--bucket", "ir-logs", "--accounts", "111122223333",
		"--regions", "us-east-1", "--start", "2024/05/01", "--results", "s3://ir-results/athena/")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("template is not JSON: %v", err)
	}
	if code, _, stderr := run(t, "athena", "cfn", "--log-format", bytesFirst, "--bucket", "ir-logs", "--accounts", "111122223333",
		"--regions", "us-east-1", "--start", "2024/05/01"); code != 2 || !strings.Contains(stderr, "--results") {
		t.Errorf("missing --results: exit %d %s", code, stderr)
	}
}

// flowsView makes the Athena table name resolve on a DuckDB case:
// "flowir"."vpc_flow_logs" is catalog flowir (the database file's name),
// table vpc_flow_logs (in place of the case's own view of that name, which
// shows the playbook's JSON records).
const flowsView = `CREATE OR REPLACE VIEW vpc_flow_logs AS SELECT * FROM flows`

// duckdbShim is the one rewrite Athena SQL needs to run on DuckDB with
// flowir's Presto macros: DuckDB has no array_join (it calls it
// array_to_string; both skip NULL elements).
func duckdbShim(sql string) string { return strings.ReplaceAll(sql, "array_join(", "array_to_string(") }

// ingestedCase builds a case from the demo corpus, once per test binary.
var (
	caseOnce sync.Once
	caseDir  string
	caseErr  error
)

func demoCase(t *testing.T) string {
	t.Helper()
	corpusPath, _ := corpus(t)
	caseOnce.Do(func() {
		d, err := os.MkdirTemp("", "flowir-athena-case-")
		if err != nil {
			caseErr = err
			return
		}
		caseDir = filepath.Join(d, "case")
		code, _, stderr := run(t, "ingest", "--case", caseDir, "-q", corpusPath)
		if code != 0 {
			caseErr = fmt.Errorf("ingest: exit %d: %s", code, stderr)
		}
	})
	if caseErr != nil {
		t.Fatal(caseErr)
	}
	// Every time: a writing open of the case (export does one) replaces
	// vpc_flow_logs with the view of the playbook's JSON records.
	c, err := store.Open(context.Background(), caseDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.DB().Exec(flowsView); err != nil {
		t.Fatal(err)
	}
	return caseDir
}

// rowKey renders a row as comparable text.
func rowKey(r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		switch x := v.(type) {
		case time.Time:
			parts[i] = x.UTC().Format(time.RFC3339Nano)
		case *big.Int:
			parts[i] = x.String()
		case nil:
			parts[i] = "NULL"
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, "|")
}

// TestAthenaRenderingOnDuckDB runs every catalog query's Athena rendering on
// the case (DuckDB, with flowir's Presto compatibility) and compares it
// with the DuckDB rendering's answer: the dialect-neutral logic must agree.
// Aggregates must agree row for row in order; record listings, whose tie
// order differs by design (source line locally, the v2 fields on Athena),
// as multisets with no limit.
func TestAthenaRenderingOnDuckDB(t *testing.T) {
	dir := demoCase(t)
	ctx := context.Background()
	c, err := store.Open(ctx, dir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// An address with traffic, for the queries that take one.
	res, err := c.Query(ctx, `SELECT srcaddr FROM flows WHERE srcaddr IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	ip := res.Rows[0][0].(string)
	var first, last time.Time
	if err := c.DB().QueryRow(`SELECT to_timestamp(min(start)), to_timestamp(max("end")) FROM flows`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	windows := []analysis.Bounds{{}, {Since: first.Add(6 * time.Hour), Until: first.Add(18 * time.Hour)}}
	for _, q := range analysis.Catalog() {
		params := map[string]string{}
		for _, p := range q.Params {
			if p.Required {
				params[p.Name] = ip
			}
		}
		for wi, b := range windows {
			if q.Records {
				b.Limit = -1
			}
			local, largs, err := q.Render(analysis.DuckDB, "flows", params, b)
			if err != nil {
				t.Fatal(err)
			}
			remote, rargs, err := q.Render(analysis.Athena, `"flowir"."vpc_flow_logs"`, params, b)
			if err != nil {
				t.Fatal(err)
			}
			lr, err := c.Query(ctx, local, largs...)
			if err != nil {
				t.Fatalf("%s (DuckDB rendering): %v", q.Name, err)
			}
			rr, err := c.Query(ctx, duckdbShim(remote), rargs...)
			if err != nil {
				t.Fatalf("%s (Athena rendering on DuckDB): %v\n%s", q.Name, err, remote)
			}
			if len(lr.Rows) == 0 && wi == 0 && q.Name != "ipv6-traffic" {
				t.Errorf("%s: no rows on the demo case; the comparison would prove nothing", q.Name)
			}
			var lk, rk []string
			for _, r := range lr.Rows {
				lk = append(lk, rowKey(r))
			}
			for _, r := range rr.Rows {
				rk = append(rk, rowKey(r))
			}
			if q.Records {
				sort.Strings(lk)
				sort.Strings(rk)
			}
			if !slices.Equal(lk, rk) {
				n := min(3, len(lk), len(rk))
				t.Errorf("%s window %d: %d local rows, %d Athena-rendered rows; first differing:\n local %v\nathena %v", q.Name, wi, len(lk), len(rk), lk[:n], rk[:n])
			}
		}
	}
}

// duckdbExecutor answers the fake Athena from the case: it substitutes the
// execution parameters for the "?" in order (as Athena does with a
// prepared statement) and formats the values as Athena's text results.
func duckdbExecutor(t *testing.T, dir string) awsfake.Executor {
	return func(sql string, params []string) awsfake.Answer {
		var b strings.Builder
		pi := 0
		for _, r := range sql {
			if r == '?' && pi < len(params) {
				b.WriteString(params[pi])
				pi++
				continue
			}
			b.WriteRune(r)
		}
		if pi != len(params) || strings.Count(sql, "?") != len(params) {
			return awsfake.Answer{Fail: fmt.Sprintf("INVALID_PARAMETER_USAGE: %d parameters for %d placeholders", len(params), strings.Count(sql, "?"))}
		}
		c, err := store.Open(context.Background(), dir, store.Options{ReadOnly: true})
		if err != nil {
			return awsfake.Answer{Fail: err.Error()}
		}
		defer c.Close()
		res, err := c.Query(context.Background(), duckdbShim(b.String()))
		if err != nil {
			return awsfake.Answer{Fail: "SYNTAX_ERROR: " + err.Error()}
		}
		ans := awsfake.Answer{Scanned: 3 << 30, Polls: 2}
		for _, col := range res.Columns {
			typ := map[string]string{"BIGINT": "bigint", "INTEGER": "integer", "VARCHAR": "varchar", "DOUBLE": "double",
				"HUGEINT": "decimal(38,0)", "BOOLEAN": "boolean"}[col.Type]
			if strings.HasPrefix(col.Type, "TIMESTAMP") {
				typ = "timestamp(3) with time zone"
			}
			if typ == "" {
				typ = "varchar"
			}
			ans.Columns = append(ans.Columns, awsfake.Column{Name: col.Name, Type: typ})
		}
		for _, r := range res.Rows {
			row := make([]*string, len(r))
			for i, v := range r {
				var s string
				switch x := v.(type) {
				case nil:
					continue
				case time.Time:
					s = x.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
				default:
					s = fmt.Sprint(x)
				}
				row[i] = &s
			}
			ans.Rows = append(ans.Rows, row)
		}
		return ans
	}
}

// TestAthenaRunEndToEnd runs named queries through `flowir athena run`
// against a loopback Athena that executes on the case, and compares the
// printed rows with `flowir query` on the same case.
func TestAthenaRunEndToEnd(t *testing.T) {
	dir := demoCase(t)
	awsTestEnv(t)
	srv := awsfake.NewAthena(duckdbExecutor(t, dir))
	defer srv.Close()
	srv.PageSize = 7 // force paging
	for _, q := range []struct{ name, param string }{
		{"top-talkers", ""}, {"top-ips", ""}, {"status-count", ""}, {"admin-port-traffic", ""},
		{"total-bytes-transferred", ""}, {"record-count", ""},
	} {
		args := []string{q.name, "--format", "json"}
		local := mustRun(t, append([]string{"query", "--case", dir}, args...)...)
		code, remote, stderr := run(t, append([]string{"athena", "run", "--endpoint-url", srv.URL, "--workgroup", "flowir", "--output-location", "s3://ir-results/q/"}, args...)...)
		if code != 0 {
			t.Fatalf("athena run %s: exit %d: %s", q.name, code, stderr)
		}
		if local != remote {
			t.Errorf("%s: athena run and query disagree\nquery:\n%.600s\nathena run:\n%.600s", q.name, local, remote)
		}
		if !strings.Contains(stderr, "SUCCEEDED") || !strings.Contains(stderr, "scanned 3221225472 bytes (3.00 GiB)") || !strings.Contains(stderr, "USD 0.014648") {
			t.Errorf("%s: stderr lacks the state, scan and cost: %s", q.name, stderr)
		}
	}
	reqs := srv.Requests()
	if reqs[0].WorkGroup != "flowir" || reqs[0].Database != "flowir" || reqs[0].OutputLocation != "s3://ir-results/q/" {
		t.Errorf("request %+v", reqs[0])
	}

	// Parameters travel as execution parameters, not in the text.
	ip := "10.0.0.1"
	_ = mustRun(t, "athena", "run", "--endpoint-url", srv.URL, "data-ratio", "-p", "ip="+ip, "--since", "2026-11-20", "--format", "json")
	last := srv.Requests()[len(srv.Requests())-1]
	if strings.Contains(last.SQL, ip) || len(last.Params) != 4 || last.Params[0] != "'"+ip+"'" {
		t.Errorf("data-ratio request: %+v", last)
	}

	// A failed query shows Athena's reason and exits 1.
	code, _, stderr := run(t, "athena", "run", "--endpoint-url", srv.URL, "--sql", "SELECT bytez FROM vpc_flow_logs")
	if code != 1 || !strings.Contains(stderr, "Athena query failed") || !strings.Contains(stderr, "bytez") || !strings.Contains(stderr, "not billed") {
		t.Errorf("failed query: exit %d\n%s", code, stderr)
	}
	// Usage errors.
	for _, args := range [][]string{{"athena", "run"}, {"athena", "run", "top-talkers", "--sql", "SELECT 1"}, {"athena", "run", "data-ratio"}} {
		if code, _, _ := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestExportParquetRoundTrip: a case exported to Parquet and ingested into
// a new case gives identical counts and sums, and the files are in AWS's
// Hive layout.
func TestExportParquetRoundTrip(t *testing.T) {
	dir := demoCase(t)
	out := filepath.Join(t.TempDir(), "export")
	code, stdout, stderr := run(t, "export", "--case", dir, "--parquet", out, "--format", "json")
	if code != 0 && strings.Contains(stderr, "--default-account") {
		code, stdout, stderr = run(t, "export", "--case", dir, "--parquet", out, "--format", "json", "--default-account", "999999999999", "--default-region", "us-west-2")
	}
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	var sum store.ExportSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Files) == 0 {
		t.Fatal("no files exported")
	}
	for _, f := range sum.Files {
		if !strings.HasPrefix(f.Path, "AWSLogs/aws-account-id=") || !strings.Contains(f.Path, "/aws-service=vpcflowlogs/aws-region=") ||
			!strings.Contains(f.Path, "/year=") || !strings.HasSuffix(f.Path, ".log.parquet") {
			t.Errorf("not AWS's Hive layout: %s", f.Path)
		}
	}

	caseB := filepath.Join(t.TempDir(), "caseB")
	code, stdout, stderr = run(t, "ingest", "--case", caseB, "-q", "--format", "json", out)
	var is ingest.Summary
	jsonErr := json.Unmarshal([]byte(stdout), &is)
	if is.Ingested == 0 && (len(is.Ignored) > 0 || strings.Contains(strings.ToLower(stderr+stdout), "parquet")) {
		t.Skipf("flowir ingest cannot read Parquet yet (issue 4): it read %d of the %d exported files (ignored %d; stderr %q). The export itself was checked.",
			is.Ingested, len(sum.Files), len(is.Ignored), strings.TrimSpace(stderr))
	}
	if code != 0 || jsonErr != nil {
		t.Fatalf("ingest of the export: exit %d %v\n%s\n%s", code, jsonErr, stdout, stderr)
	}
	if is.Ingested != len(sum.Files) || is.Rejects != 0 {
		t.Fatalf("ingest of the export: %+v", is)
	}

	// The same aggregates from both cases.
	aggs := []string{
		`SELECT count(*), CAST(sum(bytes) AS BIGINT), CAST(sum(packets) AS BIGINT), count(DISTINCT srcaddr), count(DISTINCT dstaddr), CAST(sum(start) AS BIGINT), CAST(sum("end") AS BIGINT) FROM flows`,
		`SELECT log_status, action, protocol, count(*), CAST(sum(bytes) AS BIGINT), CAST(sum(packets) AS BIGINT) FROM flows GROUP BY ALL ORDER BY ALL`,
		// Records whose source had no layout were filed under the defaults
		// and the day of their end time; the same rule reads case A.
		`SELECT coalesce(account_partition, '999999999999'), coalesce(region_partition, 'us-west-2'),
			coalesce(date_partition, strftime(to_timestamp(coalesce("end", start)), '%Y/%m/%d')), count(*), CAST(sum(bytes) AS BIGINT)
			FROM flows GROUP BY ALL ORDER BY ALL`,
		`SELECT srcaddr, dstaddr, srcport, dstport, count(*), CAST(sum(bytes) AS BIGINT) FROM flows GROUP BY ALL ORDER BY ALL`,
	}
	var cols []string
	for _, c := range sum.Columns {
		cols = append(cols, fmt.Sprintf(`count(%s)`, store.Quote(c)))
	}
	aggs = append(aggs, "SELECT "+strings.Join(cols, ", ")+" FROM flows")
	answer := func(dir string) []string {
		c, err := store.Open(context.Background(), dir, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var out []string
		for _, q := range aggs {
			r, err := c.Query(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range r.Rows {
				out = append(out, rowKey(row))
			}
		}
		return out
	}
	a, b := answer(dir), answer(caseB)
	if !slices.Equal(a, b) {
		n := 0
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] && n < 5 {
				t.Errorf("differs: case %s\n         export %s", a[i], b[i])
				n++
			}
		}
		t.Fatalf("the exported and re-ingested case differ (%d vs %d aggregate rows)", len(a), len(b))
	}
}

// TestAthenaRunCtrlC: cancelling the command's context (what Ctrl-C does
// through signal.NotifyContext in Main) stops the query on Athena and
// reports it, with the data it scanned.
func TestAthenaRunCtrlC(t *testing.T) {
	awsTestEnv(t)
	srv := awsfake.NewAthena(func(string, []string) awsfake.Answer {
		return awsfake.Answer{Hang: true, Scanned: 20 << 20, Columns: []awsfake.Column{{Name: "n", Type: "bigint"}}}
	})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for srv.Calls("GetQueryExecution") < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	ios, _, _, errOut := output.Test()
	code := Run(ctx, []string{"athena", "run", "--endpoint-url", srv.URL, "--sql", "SELECT count(*) FROM big"}, ios)
	if code != 1 || srv.Calls("StopQueryExecution") != 1 {
		t.Fatalf("exit %d, %d StopQueryExecution calls\n%s", code, srv.Calls("StopQueryExecution"), errOut)
	}
	for _, want := range []string{"CANCELLED", "StopQueryExecution sent", "scanned 20971520 bytes", "estimated cost USD 0.000095"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
