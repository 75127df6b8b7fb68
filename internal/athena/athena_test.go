package athena

import (
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/flow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// customFormat lists bytes before packets, the order the issue checks.
const customFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${log-status} ${vpc-id} ${pkt-srcaddr} ${pkt-dstaddr} ${tcp-flags} ${traffic-path}"

func mustFormat(t testing.TB, s string) flow.Format {
	t.Helper()
	f, err := flow.ParseFormat(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func spec(t testing.TB, format string, mod func(*Spec)) *Spec {
	t.Helper()
	s := &Spec{
		Format:   mustFormat(t, format),
		Bucket:   "ir-central-logs",
		Prefix:   "prod/vpc",
		Accounts: []string{"111122223333", "012345678901"},
		Regions:  []string{"us-east-1", "eu-west-1"},
		Start:    "2024/01/15",
	}
	if mod != nil {
		mod(s)
	}
	if err := s.Validate(now); err != nil {
		t.Fatal(err)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/athena -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestTableDDLCustomOrder is the check: a format with bytes before
// packets gives the columns in exactly that order, and the playbook's
// projection for the given accounts, regions, bucket and prefix.
func TestTableDDLCustomOrder(t *testing.T) {
	s := spec(t, customFormat, nil)
	ddl := s.TableDDL()

	// Columns, in order, read back from the DDL text itself.
	body := ddl[strings.Index(ddl, "(\n")+2 : strings.Index(ddl, ")\nPARTITIONED BY")]
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		f := strings.Fields(line)
		names = append(names, strings.Trim(f[0], "`"))
	}
	want := []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
		"bytes", "packets", "start", "end", "action", "log_status", "vpc_id", "pkt_srcaddr", "pkt_dstaddr", "tcp_flags", "traffic_path"}
	if !slices.Equal(names, want) {
		t.Fatalf("columns:\n got %v\nwant %v", names, want)
	}
	for _, frag := range []string{
		"`bytes` bigint,\n  `packets` bigint,",
		"`version` int,",
		"`protocol` bigint,",
		"`tcp_flags` int,",
		"PARTITIONED BY (\n  `date_partition` string,\n  `region_partition` string,\n  `account_partition` string\n)",
		"ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '",
		"LOCATION 's3://ir-central-logs/prod/vpc/AWSLogs/'",
		"'skip.header.line.count' = '1'",
		"'projection.enabled' = 'true'",
		"'projection.date_partition.type' = 'date'",
		"'projection.date_partition.range' = '2024/01/15,NOW'",
		"'projection.date_partition.format' = 'yyyy/MM/dd'",
		"'projection.date_partition.interval' = '1'",
		"'projection.date_partition.interval.unit' = 'DAYS'",
		"'projection.region_partition.type' = 'enum'",
		"'projection.region_partition.values' = 'us-east-1,eu-west-1'",
		"'projection.account_partition.type' = 'enum'",
		"'projection.account_partition.values' = '111122223333,012345678901'",
		"'storage.location.template' = 's3://ir-central-logs/prod/vpc/AWSLogs/${account_partition}/vpcflowlogs/${region_partition}/${date_partition}'",
	} {
		if !strings.Contains(ddl, frag) {
			t.Errorf("DDL lacks %q\n%s", frag, ddl)
		}
	}
	golden(t, "custom-text-plain.sql", ddl+"\n")
}

func TestTableDDLVariants(t *testing.T) {
	cases := []struct {
		name   string
		mod    func(*Spec)
		checks []string
	}{
		{"default-text-hourly", func(s *Spec) { s.Layout = LayoutHourly; s.Prefix = "" }, []string{
			"LOCATION 's3://ir-central-logs/AWSLogs/'",
			"'projection.hour_partition.type' = 'integer'",
			"'projection.hour_partition.range' = '0,23'",
			"'projection.hour_partition.digits' = '2'",
			"/${date_partition}/${hour_partition}'",
		}},
		{"default-parquet-hive", func(s *Spec) { s.Layout = LayoutHive; s.FileFormat = Parquet }, []string{
			"CREATE EXTERNAL TABLE IF NOT EXISTS `flowir`.`vpc_flow_logs_hive` (",
			"ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'",
			"STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'",
			"'projection.year.range' = '2024,NOW'",
			"'storage.location.template' = 's3://ir-central-logs/prod/vpc/AWSLogs/aws-account-id=${account_partition}/aws-service=vpcflowlogs/aws-region=${region_partition}/year=${year}/month=${month}/day=${day}'",
		}},
		{"default-parquet-hive-hourly", func(s *Spec) { s.Layout = LayoutHiveHourly; s.FileFormat = Parquet }, []string{
			"/day=${day}/hour=${hour}'",
			"'projection.hour.digits' = '2'",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := spec(t, "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}", c.mod)
			ddl := s.TableDDL()
			for _, frag := range c.checks {
				if !strings.Contains(ddl, frag) {
					t.Errorf("DDL lacks %q\n%s", frag, ddl)
				}
			}
			if s.FileFormat == Parquet && strings.Contains(ddl, "skip.header") {
				t.Error("Parquet DDL must not skip a header line")
			}
			if (s.Layout == LayoutHive || s.Layout == LayoutHiveHourly) != (s.DateViewSQL() != "") {
				t.Error("the date view exists exactly for the Hive layouts")
			}
			golden(t, c.name+".sql", ddl+"\n")
		})
	}
}

// TestValidation checks that each bad input is refused with a message that
// names the problem, and that good inputs pass.
func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Spec)
		want string // "" = valid
	}{
		{"ok", func(*Spec) {}, ""},
		{"4-digit account", func(s *Spec) { s.Accounts = []string{"1234"} }, "exactly 12 digits"},
		{"13-digit account", func(s *Spec) { s.Accounts = []string{"1111222233334"} }, "exactly 12 digits"},
		{"letters in account", func(s *Spec) { s.Accounts = []string{"11112222333a"} }, "exactly 12 digits"},
		{"no accounts", func(s *Spec) { s.Accounts = nil }, "no accounts"},
		{"AWSLogs prefix", func(s *Spec) { s.Prefix = "AWSLogs" }, "AWSLogs is reserved"},
		{"AWSLogs prefix nested", func(s *Spec) { s.Prefix = "prod/AWSLogs/" }, "AWSLogs is reserved"},
		{"awslogs prefix lower", func(s *Spec) { s.Prefix = "awslogs" }, "AWSLogs is reserved"},
		{"prefix with quote", func(s *Spec) { s.Prefix = "it's" }, "not allowed"},
		{"prefix with space", func(s *Spec) { s.Prefix = "my logs" }, "not allowed"},
		{"prefix //", func(s *Spec) { s.Prefix = "a//b" }, "empty folder"},
		{"prefix slashes trimmed", func(s *Spec) { s.Prefix = "/a/b/" }, ""},
		{"bucket upper", func(s *Spec) { s.Bucket = "My-Bucket" }, "not allowed"},
		{"bucket short", func(s *Spec) { s.Bucket = "ab" }, "2 characters"},
		{"bucket ip", func(s *Spec) { s.Bucket = "192.168.5.4" }, "IP address"},
		{"bucket dots", func(s *Spec) { s.Bucket = "a..b" }, "adjacent dots"},
		{"bucket dash end", func(s *Spec) { s.Bucket = "abc-" }, "begin and end"},
		{"bucket xn--", func(s *Spec) { s.Bucket = "xn--abc" }, "reserved"},
		{"bucket s3 url", func(s *Spec) { s.Bucket = "s3://abc" }, "bucket name alone"},
		{"bucket underscore", func(s *Spec) { s.Bucket = "my_bucket" }, "not allowed"},
		{"unknown region", func(s *Spec) { s.Regions = []string{"us-east-7"} }, "unknown AWS Region"},
		{"region typo", func(s *Spec) { s.Regions = []string{"useast1"} }, "not an AWS Region name"},
		{"unknown region allowed", func(s *Spec) { s.Regions = []string{"us-east-7"}; s.AllowUnknownRegions = true }, ""},
		{"no regions", func(s *Spec) { s.Regions = nil }, "no Regions"},
		{"start format", func(s *Spec) { s.Start = "2024-01-15" }, "YYYY/MM/DD"},
		{"start not a date", func(s *Spec) { s.Start = "2024/02/30" }, "YYYY/MM/DD"},
		{"start future", func(s *Spec) { s.Start = "2030/01/01" }, "future"},
		{"no start", func(s *Spec) { s.Start = "" }, "no --start"},
		{"unknown field", func(s *Spec) { s.Format = mustFormat(t, "${version} ${bytez}") }, "unknown field(s) in the log format: bytez"},
		{"tgw format", func(s *Spec) { s.Format = flow.TGWDefaultFormat() }, "Transit Gateway"},
		{"empty format", func(s *Spec) { s.Format = flow.Format{} }, "no log format"},
		{"bad table", func(s *Spec) { s.Table = "Flow-Logs" }, "table name"},
		{"bad database", func(s *Spec) { s.Database = "a;b" }, "database name"},
		{"bad layout", func(s *Spec) { s.Layout = "daily" }, "layout"},
		{"bad file format", func(s *Spec) { s.FileFormat = "orc" }, "file format"},
		{"bad ioc location", func(s *Spec) { s.IOCLocation = "https://x" }, "ioc-location"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Spec{
				Format:   mustFormat(t, customFormat),
				Bucket:   "ir-central-logs",
				Accounts: []string{"111122223333"},
				Regions:  []string{"us-east-1"},
				Start:    "2024/01/15",
			}
			c.mod(s)
			err := s.Validate(now)
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", c.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"111122223333", []string{"111122223333"}, ""},
		{"a,b,c", []string{"a", "b", "c"}, ""},
		{"a, b", []string{"a", "b"}, ""},
		{" us-east-1 ,eu-west-1\t", []string{"us-east-1", "eu-west-1"}, ""},
		{"us east-1", nil, "contains a space"},
		{"a,,b", nil, "item 2 is empty"},
		{"a,b,", nil, "item 3 is empty"},
		{"a,a", nil, "listed twice"},
		{"", nil, "is empty"},
		{"a\tb", nil, "contains a space"},
	}
	for _, c := range cases {
		got, err := ParseList("accounts", c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseList(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseList(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestIOCAndDirectionalView(t *testing.T) {
	s := spec(t, customFormat, nil)
	ioc := s.IOCTableDDL()
	for _, frag := range []string{"`incident_iocs`", "`threat_ip` string", "`threat_comment` string",
		"'org.apache.hadoop.hive.serde2.OpenCSVSerde'", "'separatorChar' = ','", "STORED AS TEXTFILE",
		"LOCATION 's3://ir-central-logs/prod/vpc/flowir-iocs/'"} {
		if !strings.Contains(ioc, frag) {
			t.Errorf("IOC DDL lacks %q\n%s", frag, ioc)
		}
	}
	v, err := s.DirectionalViewSQL()
	if err != nil {
		t.Fatal(err)
	}
	// flowir's direction: the flow whose destination is the IOC is OUTBOUND.
	out := v[strings.Index(v, "'OUTBOUND'"):strings.Index(v, "UNION ALL")]
	if !strings.Contains(out, "TRY_CAST(vpc.dstaddr AS ipaddress)") || !strings.Contains(out, "vpc.srcaddr AS connecting_ip") {
		t.Errorf("OUTBOUND branch must match the IOC on dstaddr:\n%s", out)
	}
	in := v[strings.Index(v, "'INBOUND'"):]
	if !strings.Contains(in, "TRY_CAST(vpc.srcaddr AS ipaddress)") || !strings.Contains(in, "vpc.dstaddr AS connecting_ip") {
		t.Errorf("INBOUND branch must match the IOC on srcaddr:\n%s", in)
	}
	// A format without ports cannot have the view.
	s2 := spec(t, "${version} ${srcaddr} ${dstaddr} ${start} ${end}", nil)
	if _, err := s2.DirectionalViewSQL(); err == nil || !strings.Contains(err.Error(), "srcport") {
		t.Errorf("want an error naming srcport, got %v", err)
	}
	golden(t, "directional-view.sql", v+"\n")
}

// TestRenderCatalog: every catalog query is listed; queries whose fields the
// format lacks are marked skipped, with the fields named.
func TestRenderCatalog(t *testing.T) {
	v2 := flow.DefaultFormat()
	qs, err := RenderCatalog(`"flowir"."vpc_flow_logs"`, v2, analysis.Bounds{})
	if err != nil {
		t.Fatal(err)
	}
	cat := analysis.Catalog()
	if len(qs) != len(cat) {
		t.Fatalf("%d rendered, catalog has %d", len(qs), len(cat))
	}
	for i, q := range qs {
		if q.Name != cat[i].Name {
			t.Errorf("query %d is %s, want %s", i, q.Name, cat[i].Name)
		}
		switch q.Name {
		case "top-talkers-packet-level", "top-talking-instances", "top-talking-subnets", "total-bytes-transferred-packet-level":
			if q.Skipped == "" || q.SQL != "" {
				t.Errorf("%s should be skipped on the v2 format", q.Name)
			}
		case "ipv4-traffic", "ipv6-traffic":
			// They read `type`, a v3 field.
			if !strings.Contains(q.Skipped, "type") {
				t.Errorf("%s: skipped %q, want it to name type", q.Name, q.Skipped)
			}
		default:
			if q.Skipped != "" {
				t.Errorf("%s skipped on v2: %s", q.Name, q.Skipped)
			}
			if !strings.Contains(q.SQL, `FROM "flowir"."vpc_flow_logs"`) {
				t.Errorf("%s does not read the table:\n%s", q.Name, q.SQL)
			}
		}
		if q.SQL != "" && strings.Count(q.SQL, "?") != len(q.Parameters) {
			t.Errorf("%s: %d placeholders, %d parameter names", q.Name, strings.Count(q.SQL, "?"), len(q.Parameters))
		}
	}
	all, err := RenderCatalog(`"flowir"."vpc_flow_logs"`, flow.AllVPCFormat(), analysis.Bounds{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range all {
		if q.Skipped != "" {
			t.Errorf("%s skipped with all fields: %s", q.Name, q.Skipped)
		}
	}
}

func TestRenderQueryParameters(t *testing.T) {
	q, err := analysis.Find("ip-timeline")
	if err != nil {
		t.Fatal(err)
	}
	b := analysis.Bounds{Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)}
	rq, err := RenderQuery(q, `"flowir"."t"`, flow.AllVPCFormat(), map[string]string{"ip": "10.0.0.5"}, b)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"ip", "ip", "since", "until", "date_from", "date_to"}
	if !slices.Equal(rq.Parameters, wantNames) {
		t.Errorf("parameters %v, want %v", rq.Parameters, wantNames)
	}
	wantVals := []string{"'10.0.0.5'", "'10.0.0.5'", "1714521600", "1714608000", "'2024/04/30'", "'2024/05/03'"}
	if !slices.Equal(rq.ExecutionParameters, wantVals) {
		t.Errorf("execution parameters %v, want %v", rq.ExecutionParameters, wantVals)
	}
	// Without the required ip, the SQL is still rendered, with no values.
	rq, err = RenderQuery(q, `"flowir"."t"`, flow.AllVPCFormat(), nil, analysis.Bounds{})
	if err != nil || rq.SQL == "" || len(rq.ExecutionParameters) != 0 || !slices.Equal(rq.Parameters, []string{"ip", "ip"}) {
		t.Errorf("listing render: %+v, %v", rq, err)
	}
	// A bad value is the user's error.
	if _, err := RenderQuery(q, `"flowir"."t"`, flow.AllVPCFormat(), map[string]string{"ip": "10.0.0"}, analysis.Bounds{}); !errors.Is(err, analysis.ErrParam) {
		t.Errorf("bad ip: %v", err)
	}
	if _, err := RenderQuery(q, `"flowir"."t"`, flow.AllVPCFormat(), map[string]string{"port": "1"}, analysis.Bounds{}); !errors.Is(err, analysis.ErrParam) {
		t.Errorf("unknown parameter: %v", err)
	}
	// Top talkers with a window: the UNION's two branches each carry it.
	tt, _ := analysis.Find("top-talkers")
	rq, err = RenderQuery(tt, `"flowir"."t"`, flow.AllVPCFormat(), nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"since", "until", "date_from", "date_to", "since", "until", "date_from", "date_to"}; !slices.Equal(rq.Parameters, want) {
		t.Errorf("top-talkers window parameters %v", rq.Parameters)
	}
}

func TestCloudFormation(t *testing.T) {
	s := spec(t, customFormat, nil)
	tmpl, skipped, err := s.CloudFormation(CFNOptions{ResultsLocation: "s3://ir-athena-results/flowir"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(tmpl, &doc); err != nil {
		t.Fatalf("template is not JSON: %v", err)
	}
	count := map[string]int{}
	for _, r := range doc.Resources {
		count[r.Type]++
	}
	if count["AWS::Glue::Database"] != 1 || count["AWS::Glue::Table"] != 2 || count["AWS::Athena::WorkGroup"] != 1 {
		t.Errorf("resource counts %v", count)
	}
	rendered, _ := RenderCatalog(s.QueryTable(), s.Format, analysis.Bounds{})
	n := 0
	for _, q := range rendered {
		if q.Skipped == "" {
			n++
		}
	}
	// One NamedQuery per rendered query, plus the directional view's.
	if count["AWS::Athena::NamedQuery"] != n+1 {
		t.Errorf("%d named queries, want %d (+1 view); skipped %v", count["AWS::Athena::NamedQuery"], n, skipped)
	}
	if len(skipped) != len(rendered)-n {
		t.Errorf("skipped %v", skipped)
	}
	tbl := doc.Resources["FlowLogTable"].Properties["TableInput"].(map[string]any)
	cols := tbl["StorageDescriptor"].(map[string]any)["Columns"].([]any)
	if cols[8].(map[string]any)["Name"] != "bytes" || cols[9].(map[string]any)["Name"] != "packets" {
		t.Errorf("Glue columns out of the format's order: %v", cols[7:10])
	}
	params := tbl["Parameters"].(map[string]any)
	if params["storage.location.template"] != s.LocationTemplate() || params["projection.enabled"] != "true" {
		t.Errorf("Glue table parameters %v", params)
	}
	wg := doc.Resources["WorkGroup"].Properties["WorkGroupConfiguration"].(map[string]any)
	if wg["ResultConfiguration"].(map[string]any)["OutputLocation"] != "s3://ir-athena-results/flowir/" {
		t.Errorf("workgroup %v", wg)
	}
	golden(t, "custom-text-plain.cfn.json", string(tmpl))

	if _, _, err := s.CloudFormation(CFNOptions{}); err == nil || !strings.Contains(err.Error(), "results") {
		t.Errorf("missing results location: %v", err)
	}
	if _, _, err := s.CloudFormation(CFNOptions{ResultsLocation: "s3://x-y-z/", WorkGroup: "bad group"}); err == nil {
		t.Error("bad workgroup accepted")
	}
}

func TestCost(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		scanned int64
		billed  int64
		usd     float64
	}{
		{0, 10 * mb, 10 * 5.0 / (1 << 20)},
		{1, 10 * mb, 10 * 5.0 / (1 << 20)},
		{10*mb + 1, 11 * mb, 11 * 5.0 / (1 << 20)},
		{1 << 40, 1 << 40, 5},
		{3 << 40, 3 << 40, 15},
	}
	for _, c := range cases {
		if got := BilledBytes(c.scanned); got != c.billed {
			t.Errorf("BilledBytes(%d) = %d, want %d", c.scanned, got, c.billed)
		}
		if got := CostUSD(c.scanned); got != c.usd {
			t.Errorf("CostUSD(%d) = %v, want %v", c.scanned, got, c.usd)
		}
	}
	if got := FormatCost(CostUSD(0)); got != "USD 0.000048" {
		t.Errorf("FormatCost = %s", got)
	}
	if got := FormatBytes(1536); got != "1536 bytes (1.50 KiB)" {
		t.Errorf("FormatBytes = %s", got)
	}
}

func TestValue(t *testing.T) {
	str := func(s string) *string { return &s }
	big1, _ := new(big.Int).SetString("99999999999999999999", 10)
	cases := []struct {
		typ  string
		in   *string
		want any
		err  bool
	}{
		{"bigint", str("42"), int64(42), false},
		{"integer", str("-7"), int64(-7), false},
		{"bigint", str("99999999999999999999"), big1, false},
		{"bigint", str("x"), nil, true},
		{"varchar", str("10.0.0.1"), "10.0.0.1", false},
		{"varchar", nil, nil, false},
		{"double", str("1.5"), 1.5, false},
		{"boolean", str("true"), true, false},
		{"decimal(38,0)", str("123456789012345678901234567890"), "123456789012345678901234567890", false},
		{"timestamp(3) with time zone", str("2024-05-01 12:00:00.000 UTC"), time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), false},
		{"timestamp", str("2024-05-01 12:00:01.500"), time.Date(2024, 5, 1, 12, 0, 1, 5e8, time.UTC), false},
		{"timestamp with time zone", str("2024-05-01 12:00:00.000 Europe/Madrid"), time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), false},
		{"date", str("2024-05-01"), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), false},
		{"timestamp", str("yesterday"), nil, true},
	}
	for _, c := range cases {
		got, err := Value(c.typ, c.in)
		if (err != nil) != c.err {
			t.Errorf("Value(%s, %v) error %v", c.typ, c.in, err)
			continue
		}
		if err != nil {
			continue
		}
		switch w := c.want.(type) {
		case *big.Int:
			if g, ok := got.(*big.Int); !ok || g.Cmp(w) != 0 {
				t.Errorf("Value(%s) = %v, want %v", c.typ, got, w)
			}
		case time.Time:
			if g, ok := got.(time.Time); !ok || !g.Equal(w) {
				t.Errorf("Value(%s) = %v, want %v", c.typ, got, w)
			}
		default:
			if got != c.want {
				t.Errorf("Value(%s, %v) = %#v, want %#v", c.typ, c.in, got, c.want)
			}
		}
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"a,b", "111122223333,444455556666", "a, b", ",", "a,,b", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := ParseList("x", s)
		if err != nil {
			return
		}
		parts := strings.Split(s, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if strings.Join(items, ",") != strings.Join(parts, ",") {
			t.Fatalf("items %q are not the trimmed items of %q", items, s)
		}
		seen := map[string]bool{}
		for _, it := range items {
			if it == "" || strings.ContainsAny(it, " \t\r\n,") || seen[it] {
				t.Fatalf("bad item %q from %q", it, s)
			}
			seen[it] = true
		}
	})
}

func FuzzNormalizePrefix(f *testing.F) {
	for _, s := range []string{"prod", "/a/b/", "AWSLogs", "a//b", "it's", "x/../y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePrefix(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(p, "'\\ ${}") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
			t.Fatalf("accepted %q as %q", s, p)
		}
		for _, seg := range strings.Split(p, "/") {
			if p != "" && (strings.EqualFold(seg, "awslogs") || seg == "." || seg == "..") {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}

func FuzzValidateBucket(f *testing.F) {
	for _, s := range []string{"my-bucket", "a..b", "192.168.0.1", "xn--a", "ab", "a.b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateBucket(s) != nil {
			return
		}
		if len(s) < 3 || len(s) > 63 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || strings.Contains(s, "..") {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzValue(f *testing.F) {
	for _, s := range []string{"1", "2024-05-01 12:00:00.000 UTC", "x", "1e9", "2024-05-01 12:00:00.000 +02:00"} {
		f.Add("timestamp with time zone", s)
		f.Add("bigint", s)
	}
	f.Fuzz(func(t *testing.T, typ, s string) {
		_, _ = Value(typ, &s) // must not panic
	})
}
