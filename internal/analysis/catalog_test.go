package analysis

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/flow"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files in testdata/")

// testParams gives every parameter of q a valid value.
func testParams(q *Query) map[string]string {
	m := map[string]string{}
	for _, p := range q.Params {
		switch p.Type {
		case TypeIP:
			m[p.Name] = "203.0.113.5"
		case TypeCIDR:
			m[p.Name] = "203.0.113.0/24"
		case TypePort, TypeInt:
			m[p.Name] = "22"
		default:
			m[p.Name] = "x"
		}
	}
	return m
}

var (
	goldenSince = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	goldenUntil = time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
)

func render(t *testing.T, q *Query, d Dialect, params map[string]string, b Bounds) (string, []any) {
	t.Helper()
	table := ""
	if d == Athena {
		table = "flowir.vpc_flow_logs"
	}
	sql, args, err := q.Render(d, table, params, b)
	if err != nil {
		t.Fatalf("%s (%v): %v", q.Name, d, err)
	}
	return sql, args
}

func TestCatalog(t *testing.T) {
	qs := Catalog()
	aws := map[string]string{
		"VpcFlowLogsAcceptedTraffic":                  "accepted-traffic",
		"VpcFlowLogsAdminPortTraffic":                 "admin-port-traffic",
		"VpcFlowLogsIPv4Traffic":                      "ipv4-traffic",
		"VpcFlowLogsIPv6Traffic":                      "ipv6-traffic",
		"VpcFlowLogsRejectedTCPTraffic":               "rejected-tcp-traffic",
		"VpcFlowLogsRejectedTraffic":                  "rejected-traffic",
		"VpcFlowLogsSshRdpTraffic":                    "ssh-rdp-traffic",
		"VpcFlowLogsTopTalkers":                       "top-talkers",
		"VpcFlowLogsTopTalkersPacketLevel":            "top-talkers-packet-level",
		"VpcFlowLogsTopTalkingInstances":              "top-talking-instances",
		"VpcFlowLogsTopTalkingSubnets":                "top-talking-subnets",
		"VpcFlowLogsTopTCPTraffic":                    "top-tcp-traffic",
		"VpcFlowLogsTotalBytesTransferred":            "total-bytes-transferred",
		"VpcFlowLogsTotalBytesTransferredPacketLevel": "total-bytes-transferred-packet-level",
		"VpcFlowLogsTrafficFrmSrcAddr":                "traffic-from-src-addr",
		"VpcFlowLogsTrafficToDstAddr":                 "traffic-to-dst-addr",
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	keys := map[string]string{}
	origins := map[string]int{}
	for _, q := range qs {
		origins[q.Origin]++
		if !kebab.MatchString(q.Name) {
			t.Errorf("%q is not kebab-case", q.Name)
		}
		if q.Description == "" || q.Notes == "" {
			t.Errorf("%s: missing description or notes", q.Name)
		}
		for _, k := range q.keys() {
			if other, dup := keys[k]; dup {
				t.Errorf("%s and %s share the name key %q", q.Name, other, k)
			}
			keys[k] = q.Name
		}
		if q.Origin == OriginAWS {
			if len(q.Aliases) != 1 || aws[q.Aliases[0]] != q.Name {
				t.Errorf("%s: aliases %v, want the one AWS name", q.Name, q.Aliases)
			}
		} else if len(q.Aliases) != 0 {
			t.Errorf("%s: only AWS queries have aliases, got %v", q.Name, q.Aliases)
		}
		if !slices.IsSorted(q.Columns) {
			t.Errorf("%s: Columns not sorted: %v", q.Name, q.Columns)
		}
		for _, p := range q.Params {
			if _, err := p.Parse(testParams(q)[p.Name]); err != nil {
				t.Errorf("%s: parameter %s: %v", q.Name, p.Name, err)
			}
		}
	}
	if origins[OriginAWS] != 16 || origins[OriginPlaybook] != 5 || origins[OriginFlowIR] != 1 || len(qs) != 22 {
		t.Errorf("catalog holds %d queries by origin %v; want 16 aws, 5 playbook, 1 flowir", len(qs), origins)
	}
	// Fresh values on every call: one caller's edits do not leak.
	qs[0].Name = "changed"
	if Catalog()[0].Name == "changed" {
		t.Error("Catalog returns shared values")
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"top-talkers", "top-talkers"},
		{"TOP-TALKERS", "top-talkers"},
		{"top_talkers", "top-talkers"},
		{" Top Talkers ", "top-talkers"},
		{"toptalkers", "top-talkers"},
		{"VpcFlowLogsTopTalkers", "top-talkers"},
		{"vpcflowlogstoptalkers", "top-talkers"},
		{"data-ratio", "data-ratio"},
		{"status-count", "status-count"},
		// The playbook's (Spanish) list, with its mangled capitals.
		{"VPCFlowLogsAcceptedTraffic", "accepted-traffic"},
		{"VPCFlowLogsAdminPortTraffic", "admin-port-traffic"},
		{"VpcFlowLogsIPv4Traffic", "ipv4-traffic"},
		{"VpcFlowLogsIPv6Traffic", "ipv6-traffic"},
		{"VPCFlowLogsRejectedTCPTraffic", "rejected-tcp-traffic"},
		{"VPCFlowLogsRejectedTraffic", "rejected-traffic"},
		{"VPCFlowLogSSSHRDPTraffic", "ssh-rdp-traffic"},
		{"VPCFlowLogStopTalkers", "top-talkers"},
		{"VPCFlowLogStopTalkersPacketLevel", "top-talkers-packet-level"},
		{"VPCFlowLogStopTalkingInstances", "top-talking-instances"},
		{"VPCFlowLogStopTalkingSubnets", "top-talking-subnets"},
		{"VPCFlowLogStopTCPTraffic", "top-tcp-traffic"},
		{"VpcFlowLogsTotalBytesTransferred", "total-bytes-transferred"},
		{"VPCFlowLogsTotalBytesTransferredPacketLevel", "total-bytes-transferred-packet-level"},
		{"VpcFlowLogsTrafficFrmSrcAddr", "traffic-from-src-addr"},
		{"VpcFlowLogsTrafficToDstAddr", "traffic-to-dst-addr"},
	}
	for _, tc := range tests {
		q, err := Find(tc.in)
		if err != nil {
			t.Errorf("Find(%q): %v", tc.in, err)
			continue
		}
		if q.Name != tc.want {
			t.Errorf("Find(%q) = %s, want %s", tc.in, q.Name, tc.want)
		}
	}
}

func TestFindSuggestions(t *testing.T) {
	tests := []struct {
		in      string
		suggest []string // names the error must offer, in this order; nil: no suggestion
	}{
		{"top-talker", []string{"top-talkers"}},
		{"top-talkres", []string{"top-talkers"}},
		{"data-ration", []string{"data-ratio"}},
		{"dataratio2", []string{"data-ratio"}},
		{"ip-timelin", []string{"ip-timeline"}},
		{"VpcFlowLogsTrafficFromSrcAddr", []string{"traffic-from-src-addr"}},
		{"VpcFlowLogsTopTalker", []string{"top-talkers"}},
		{"talking", []string{"top-talking-instances", "top-talking-subnets"}},
		{"rejected", []string{"rejected-tcp-traffic", "rejected-traffic"}},
		{"zzzzzz", nil},
		{"", nil},
	}
	for _, tc := range tests {
		q, err := Find(tc.in)
		if err == nil {
			t.Errorf("Find(%q) = %s, want an error", tc.in, q.Name)
			continue
		}
		if !errors.Is(err, ErrUnknownQuery) {
			t.Errorf("Find(%q): %v does not wrap ErrUnknownQuery", tc.in, err)
		}
		msg := err.Error()
		if tc.suggest == nil {
			if strings.Contains(msg, "did you mean") {
				t.Errorf("Find(%q): unexpected suggestion in %q", tc.in, msg)
			}
			continue
		}
		want := "did you mean " + strings.Join(tc.suggest, " or ") + "?"
		if !strings.Contains(msg, want) {
			t.Errorf("Find(%q) error %q, want it to say %q", tc.in, msg, want)
		}
	}
}

func TestRenderGolden(t *testing.T) {
	for _, q := range Catalog() {
		for _, d := range []Dialect{DuckDB, Athena} {
			sql, args := render(t, q, d, testParams(q), Bounds{Since: goldenSince, Until: goldenUntil})
			var b strings.Builder
			fmt.Fprintf(&b, "-- %s (%s), since %s, until %s, default limit\n", q.Name, d,
				goldenSince.Format(time.RFC3339), goldenUntil.Format(time.RFC3339))
			for i, a := range args {
				fmt.Fprintf(&b, "-- arg %d: %T %v\n", i+1, a, a)
			}
			b.WriteString(sql + "\n")
			path := filepath.Join("testdata", q.Name+"."+d.String()+".sql")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/analysis/ -update to create it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs from the rendering (run with -update if the change is intended):\n%s", path, b.String())
			}
		}
	}
}

// TestNoUserValueInSQL is the injection guard: whatever the user supplies
// (parameters, time bounds) reaches the engine only as a bound argument.
func TestNoUserValueInSQL(t *testing.T) {
	since := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC) // 1700000000
	until := since.Add(97 * time.Minute)
	values := []string{"198.51.100.77", "2001:db8::7:77"}
	for _, q := range Catalog() {
		for _, d := range []Dialect{DuckDB, Athena} {
			for _, v := range values {
				params := map[string]string{}
				for _, p := range q.Params {
					params[p.Name] = v
				}
				sql, args := render(t, q, d, params, Bounds{Since: since, Until: until})
				forbidden := []string{v, "100.77", "7:77", "1700000000", fmt.Sprint(until.Unix()), "2023/11", "2023-11"}
				for _, f := range forbidden {
					if strings.Contains(sql, f) {
						t.Errorf("%s (%v): user value %q appears in the SQL:\n%s", q.Name, d, f, sql)
					}
				}
				if len(q.Params) > 0 && !slices.Contains(args, any(v)) {
					t.Errorf("%s (%v): parameter %q not among the args %v", q.Name, d, v, args)
				}
				if !slices.Contains(args, any(int64(1700000000))) {
					t.Errorf("%s (%v): since not bound: %v", q.Name, d, args)
				}
			}
		}
	}
	// A string parameter carrying SQL stays out of the text too.
	evil := "x'; DROP TABLE flows; --"
	q := &Query{Name: "test", Params: []Param{{Name: "s", Type: TypeString, Required: true}},
		build: func(r *renderer) *stmt { return r.records("action = " + r.param("s")) }}
	for _, d := range []Dialect{DuckDB, Athena} {
		sql, args := render(t, q, d, map[string]string{"s": evil}, Bounds{})
		if strings.Contains(sql, "DROP") || len(args) != 1 || args[0] != evil {
			t.Errorf("%v: string parameter leaked: %q %v", d, sql, args)
		}
	}
}

// TestPlaceholders checks that every "?" has its argument, in both dialects,
// with and without bounds, and that no internal marker survives.
func TestPlaceholders(t *testing.T) {
	bounds := []Bounds{{}, {Since: goldenSince}, {Until: goldenUntil}, {Since: goldenSince, Until: goldenUntil}}
	for _, q := range Catalog() {
		for _, d := range []Dialect{DuckDB, Athena} {
			for _, b := range bounds {
				sql, args := render(t, q, d, testParams(q), b)
				if n := strings.Count(sql, "?"); n != len(args) {
					t.Errorf("%s (%v, %+v): %d placeholders, %d args", q.Name, d, b, n, len(args))
				}
				if strings.Contains(sql, marker) {
					t.Errorf("%s (%v): marker left in SQL", q.Name, d)
				}
				if strings.HasSuffix(sql, ";") || strings.HasSuffix(sql, "\n") {
					t.Errorf("%s (%v): SQL should end without ';' or newline", q.Name, d)
				}
			}
		}
	}
}

// TestColumns checks Columns against the SQL: every flow column the
// rendered SQL names is declared, and every declared column is used.
func TestColumns(t *testing.T) {
	var all []string
	for _, f := range flow.All()[:flow.NumVPCFields] {
		all = append(all, f.Column)
	}
	// Not flow fields: the case's provenance columns and the partition.
	extra := map[string]bool{"source_id": true, "source_line": true, AthenaDatePartition: true}
	for _, q := range Catalog() {
		used := map[string]bool{}
		for _, d := range []Dialect{DuckDB, Athena} {
			sql, _ := render(t, q, d, testParams(q), Bounds{})
			for _, c := range all {
				if regexp.MustCompile(`\b` + c + `\b`).MatchString(sql) {
					used[c] = true
				}
			}
			for c := range extra {
				if strings.Contains(sql, c) && !(d == DuckDB && q.Records && (c == "source_id" || c == "source_line")) {
					t.Errorf("%s (%v): unexpected %s in unbounded SQL", q.Name, d, c)
				}
			}
		}
		for c := range used {
			if !slices.Contains(q.Columns, c) {
				t.Errorf("%s: reads %s but Columns = %v", q.Name, c, q.Columns)
			}
		}
		for _, c := range q.Columns {
			if !used[c] {
				t.Errorf("%s: Columns lists %s, which the SQL does not read", q.Name, c)
			}
		}
	}
}

func TestRenderBounds(t *testing.T) {
	q, err := Find("rejected-traffic")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2024, 5, 1, 10, 0, 0, 700e6, time.UTC) // floors to ...000
	until := time.Date(2024, 5, 1, 11, 0, 0, 200e6, time.UTC) // ceils to ...601
	sql, args := render(t, q, DuckDB, nil, Bounds{Since: since, Until: until})
	if !strings.Contains(sql, `"end" >= ?`) || !strings.Contains(sql, "start < ?") {
		t.Errorf("window missing:\n%s", sql)
	}
	if want := []any{since.Unix(), until.Unix() + 1}; !slices.Equal(args, want) {
		t.Errorf("args = %v, want %v", args, want)
	}
	if strings.Contains(sql, AthenaDatePartition) {
		t.Error("DuckDB rendering prunes partitions")
	}

	// Athena: the same window plus a partition range widened by a day.
	_, args = render(t, q, Athena, nil, Bounds{Since: since, Until: until})
	if want := []any{since.Unix(), until.Unix() + 1, "2024/04/30", "2024/05/02"}; !slices.Equal(args, want) {
		t.Errorf("Athena args = %v, want %v", args, want)
	}

	// One-sided windows.
	sql, args = render(t, q, DuckDB, nil, Bounds{Since: since})
	if strings.Contains(sql, "start <") || len(args) != 1 {
		t.Errorf("since only: %v\n%s", args, sql)
	}
	sql, args = render(t, q, DuckDB, nil, Bounds{Until: until})
	if strings.Contains(sql, `"end" >=`) || len(args) != 1 {
		t.Errorf("until only: %v\n%s", args, sql)
	}
	// An exact-second until is not widened.
	_, args = render(t, q, DuckDB, nil, Bounds{Until: goldenUntil})
	if args[0] != goldenUntil.Unix() {
		t.Errorf("until %v rendered as %v", goldenUntil, args[0])
	}

	// Windows that select nothing are refused.
	for _, b := range []Bounds{{Since: until, Until: since}, {Since: since, Until: since}} {
		if _, _, err := q.Render(DuckDB, "", nil, b); !errors.Is(err, ErrBounds) {
			t.Errorf("%+v: err = %v, want ErrBounds", b, err)
		}
	}
}

func TestRenderLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  string // "" means no LIMIT clause
	}{
		{"top-talkers", 0, "LIMIT 50"},
		{"top-talkers", 5, "LIMIT 5"},
		{"top-talkers", -1, ""},
		{"admin-port-traffic", 0, "LIMIT 10"},
		{"top-ips", 0, "LIMIT 100"},
		{"sample", 0, "LIMIT 1000"},
		{"rejected-traffic", 0, ""},
		{"rejected-traffic", 20, "LIMIT 20"},
		{"data-ratio", 0, ""},
	}
	for _, tc := range tests {
		q, err := Find(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []Dialect{DuckDB, Athena} {
			sql, _ := render(t, q, d, testParams(q), Bounds{Limit: tc.limit})
			last := sql[strings.LastIndex(sql, "\n")+1:]
			if tc.want == "" {
				if strings.Contains(sql, "LIMIT") {
					t.Errorf("%s limit %d (%v): unexpected %q", tc.name, tc.limit, d, last)
				}
			} else if last != tc.want {
				t.Errorf("%s limit %d (%v): last line %q, want %q", tc.name, tc.limit, d, last, tc.want)
			}
		}
	}
	q, _ := Find("top-talkers")
	if _, _, err := q.Render(DuckDB, "", nil, Bounds{Limit: -2}); !errors.Is(err, ErrBounds) {
		t.Errorf("limit -2: err = %v, want ErrBounds", err)
	}
}

func TestRenderErrors(t *testing.T) {
	q, _ := Find("traffic-from-src-addr")
	ok := map[string]string{"ip": "10.0.0.1"}
	if _, _, err := q.Render(Athena, "", ok, Bounds{}); err == nil {
		t.Error("Athena without a table name accepted")
	}
	for _, table := range []string{"flows; DROP TABLE flows", "a.b.c.d", `"x"y"`, "1flows", "flows --"} {
		if _, _, err := q.Render(DuckDB, table, ok, Bounds{}); err == nil {
			t.Errorf("table name %q accepted", table)
		}
	}
	for _, table := range []string{"flows", "tgwflow", "db.vpc_flow_logs", `"awsdatacatalog"."my-db"."vpc_flow_logs"`} {
		sql, _, err := q.Render(Athena, table, ok, Bounds{})
		if err != nil || !strings.Contains(sql, "FROM "+table+"\n") {
			t.Errorf("table %q: %v", table, err)
		}
	}
	if _, _, err := q.Render(Dialect(7), "", ok, Bounds{}); err == nil {
		t.Error("unknown dialect accepted")
	}
	if _, _, err := q.Render(DuckDB, "", map[string]string{"ip": "999.1.1.1"}, Bounds{}); !errors.Is(err, ErrParam) {
		t.Errorf("bad IP: err = %v, want ErrParam", err)
	}
	broken := &Query{Name: "broken", build: func(r *renderer) *stmt { return r.records("srcaddr = " + r.param("ip")) }}
	if _, _, err := broken.Render(DuckDB, "", nil, Bounds{}); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("undeclared parameter: err = %v", err)
	}
}

// TestDialects pins the places where the two renderings must differ, and
// that they differ nowhere else. DuckDB's sums stay HUGEINT, exact past
// int64 (issue 17.2); Athena's are cast to BIGINT, the type Athena gives.
func TestDialects(t *testing.T) {
	q, _ := Find("data-ratio")
	duck, _ := render(t, q, DuckDB, testParams(q), Bounds{})
	ath, _ := render(t, q, Athena, testParams(q), Bounds{})
	for _, w := range []string{"sum(bytes) // count(*) AS data_ratio", `to_timestamp(min(start)) AS first_seen`, `to_timestamp(max("end")) AS last_seen`, "FROM flows\n"} {
		if !strings.Contains(duck, w) {
			t.Errorf("DuckDB data-ratio lacks %q:\n%s", w, duck)
		}
	}
	for _, w := range []string{"CAST(sum(bytes) AS BIGINT) / count(*) AS data_ratio", `from_unixtime(min(start)) AS first_seen`, "FROM flowir.vpc_flow_logs\n"} {
		if !strings.Contains(ath, w) {
			t.Errorf("Athena data-ratio lacks %q:\n%s", w, ath)
		}
	}
	// Apart from the hooks, the texts are identical.
	norm := func(s string) string {
		for _, r := range [][2]string{{"to_timestamp(", "TS("}, {"from_unixtime(", "TS("}, {" // ", " / "}, {"FROM flowir.vpc_flow_logs", "FROM flows"}, {"CAST(sum(bytes) AS BIGINT)", "sum(bytes)"}} {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
		return s
	}
	if norm(duck) != norm(ath) {
		t.Errorf("renderings differ beyond the dialect hooks:\n%s\n---\n%s", duck, ath)
	}

	q, _ = Find("admin-port-traffic")
	duck, _ = render(t, q, DuckDB, nil, Bounds{})
	ath, _ = render(t, q, Athena, nil, Bounds{})
	if !strings.Contains(duck, "array_to_string(list_sort(list_distinct(list(admin_port))), ',')") ||
		!strings.Contains(ath, "array_join(array_sort(array_distinct(array_agg(admin_port))), ',')") {
		t.Errorf("admin port list hooks missing:\n%s\n---\n%s", duck, ath)
	}

	q, _ = Find("sample")
	duck, _ = render(t, q, DuckDB, nil, Bounds{})
	ath, _ = render(t, q, Athena, nil, Bounds{})
	if !strings.Contains(duck, `ORDER BY start NULLS LAST, "end" NULLS LAST, source_id, source_line`) {
		t.Errorf("DuckDB record order:\n%s", duck)
	}
	if strings.Contains(ath, "source_id") || !strings.Contains(ath, `ORDER BY start NULLS LAST, "end" NULLS LAST, interface_id NULLS LAST`) {
		t.Errorf("Athena record order:\n%s", ath)
	}
}

// TestAggregatesSkipNullKeys: the ranking queries never produce a NULL key
// from NODATA/SKIPDATA records.
func TestAggregatesSkipNullKeys(t *testing.T) {
	want := map[string][]string{
		"top-talkers":                          {"srcaddr IS NOT NULL", "dstaddr IS NOT NULL", "bytes IS NOT NULL"},
		"top-talkers-packet-level":             {"pkt_srcaddr IS NOT NULL", "pkt_dstaddr IS NOT NULL"},
		"top-ips":                              {"srcaddr IS NOT NULL", "dstaddr IS NOT NULL"},
		"admin-port-traffic":                   {"srcaddr IS NOT NULL", "dstaddr IS NOT NULL"},
		"top-talking-instances":                {"instance_id IS NOT NULL", "bytes IS NOT NULL"},
		"top-talking-subnets":                  {"subnet_id IS NOT NULL"},
		"total-bytes-transferred":              {"srcaddr IS NOT NULL", "dstaddr IS NOT NULL"},
		"total-bytes-transferred-packet-level": {"pkt_srcaddr IS NOT NULL", "pkt_dstaddr IS NOT NULL"},
		"ipv4-traffic":                         {"bytes IS NOT NULL"},
	}
	for name, conds := range want {
		q, err := Find(name)
		if err != nil {
			t.Fatal(err)
		}
		sql, _ := render(t, q, DuckDB, nil, Bounds{})
		for _, c := range conds {
			if !strings.Contains(sql, c) {
				t.Errorf("%s lacks %q:\n%s", name, c, sql)
			}
		}
	}
}

func TestAthenaParameters(t *testing.T) {
	got, err := AthenaParameters([]any{"10.0.0.5", int64(1700000000), "it's", 7})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'10.0.0.5'", "1700000000", "'it''s'", "7"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := AthenaParameters([]any{1.5}); err == nil {
		t.Error("float accepted")
	}
}

func TestSynopsis(t *testing.T) {
	q, _ := Find("data-ratio")
	if got := q.Synopsis(); got != "data-ratio -p ip=IP" {
		t.Errorf("Synopsis() = %q", got)
	}
	q = &Query{Name: "x", Params: []Param{{Name: "port", Type: TypePort}}}
	if got := q.Synopsis(); got != "x [-p port=PORT]" {
		t.Errorf("Synopsis() = %q", got)
	}
}
