package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/flow"
)

// externalDir holds third-party test data (see its PROVENANCE.md). The tests
// using it skip only when the whole folder is absent; a missing or unreadable
// file inside it is a failure.
const externalDir = "../../../shared/external"

func external(t testing.TB, rel string) []byte {
	t.Helper()
	if _, err := os.Stat(externalDir); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist", externalDir)
	} else if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(externalDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstCols returns the first n fields of flowir's all-fields VPC format,
// which is AWS's version order (v2 fields, then v3, ...).
func firstCols(t testing.TB, n int, last string) flow.Format {
	t.Helper()
	all := flow.AllVPCFormat()
	f := flow.Format{Cols: all.Cols[:n]}
	if got := f.Cols[n-1].Name; got != last {
		t.Fatalf("field %d of the version-order format is %s, want %s", n, got, last)
	}
	return f
}

// decoded is one record read from an external file: its rendered fields and
// the line it came from.
type decoded struct {
	raw    string
	fields map[string]string
}

// readRecords reads a whole stream and fails on any reject.
func readRecords(t *testing.T, data []byte, f flow.Format) ([]decoded, *TextReader) {
	t.Helper()
	tr := NewTextReader(bytes.NewReader(data), f)
	var out []decoded
	for {
		it, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch it.Kind {
		case ItemReject:
			t.Errorf("line %d rejected: %v: %.80q", it.Line, it.Err, it.Raw)
		case ItemRecord:
			out = append(out, decoded{raw: string(it.Raw), fields: render(*it.Format, it.Record)})
		}
	}
	if tr.Lines != tr.Records+tr.Rejects+tr.Headers {
		t.Errorf("Lines %d != %d + %d + %d", tr.Lines, tr.Records, tr.Rejects, tr.Headers)
	}
	return out, tr
}

// jsonPath looks up a dotted path in decoded JSON.
func jsonPath(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// jsonLeaves lists the dotted paths of every non-object value under v.
func jsonLeaves(v any, prefix string, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok {
		*out = append(*out, prefix)
		return
	}
	for k, c := range m {
		jsonLeaves(c, prefix+"."+k, out)
	}
}

// elasticText renders an Elastic value the way flowir renders the field: a
// number or a string as text, an ISO time as Unix seconds.
func elasticText(t *testing.T, path string, v any) string {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		if path == "event.start" || path == "event.end" {
			tm, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return strconv.FormatInt(tm.Unix(), 10)
		}
		return x
	}
	t.Fatalf("%s: unexpected JSON value %T %v", path, v, v)
	return ""
}

// elasticPaths says where Elastic's ingest pipeline puts each flow log field.
// It was worked out from the expected files and Elastic's field docs:
// aws.vpcflow.<column> for most fields, ECS fields for the rest, with
// pkt-*-aws-service shortened to pkt_*_service and the sublocation fields
// nested. A field may be written to several places; newer pipelines moved
// ecs-cluster-arn from aws.vpcflow to orchestrator.cluster.id.
var elasticPaths = map[string][]string{
	"version":                    {"aws.vpcflow.version"},
	"account-id":                 {"aws.vpcflow.account_id", "cloud.account.id"},
	"interface-id":               {"aws.vpcflow.interface_id"},
	"srcaddr":                    {"source.ip", "source.address"},
	"dstaddr":                    {"destination.ip", "destination.address"},
	"srcport":                    {"source.port"},
	"dstport":                    {"destination.port"},
	"protocol":                   {"network.iana_number"},
	"packets":                    {"source.packets", "network.packets"},
	"bytes":                      {"source.bytes", "network.bytes"},
	"start":                      {"event.start"},
	"end":                        {"event.end"},
	"action":                     {"aws.vpcflow.action", "event.action"},
	"log-status":                 {"aws.vpcflow.log_status"},
	"vpc-id":                     {"aws.vpcflow.vpc_id"},
	"subnet-id":                  {"aws.vpcflow.subnet_id"},
	"instance-id":                {"aws.vpcflow.instance_id", "cloud.instance.id"},
	"tcp-flags":                  {"aws.vpcflow.tcp_flags"},
	"type":                       {"aws.vpcflow.type"},
	"pkt-srcaddr":                {"aws.vpcflow.pkt_srcaddr"},
	"pkt-dstaddr":                {"aws.vpcflow.pkt_dstaddr"},
	"region":                     {"cloud.region"},
	"az-id":                      {"cloud.availability_zone"},
	"sublocation-type":           {"aws.vpcflow.sublocation.type"},
	"sublocation-id":             {"aws.vpcflow.sublocation.id"},
	"pkt-src-aws-service":        {"aws.vpcflow.pkt_src_service"},
	"pkt-dst-aws-service":        {"aws.vpcflow.pkt_dst_service"},
	"flow-direction":             {"network.direction"},
	"traffic-path":               {"aws.vpcflow.traffic_path"},
	"ecs-cluster-arn":            {"aws.vpcflow.ecs_cluster_arn", "orchestrator.cluster.id"},
	"ecs-cluster-name":           {"orchestrator.cluster.name"},
	"ecs-container-instance-arn": {"orchestrator.resource.name"},
	"ecs-container-instance-id":  {"orchestrator.resource.id"},
	"ecs-container-id":           {"aws.vpcflow.ecs_container_id"},
	"ecs-second-container-id":    {"aws.vpcflow.ecs_second_container_id"},
	"ecs-service-name":           {"service.name"},
	"ecs-task-definition-arn":    {"aws.vpcflow.ecs_task_definition_arn"},
	"ecs-task-arn":               {"aws.vpcflow.ecs_task_arn"},
	"ecs-task-id":                {"aws.vpcflow.ecs_task_id"},
	"reject-reason":              {"event.reason"},
	// Transit Gateway fields. The expected files only show the ones that
	// have values; the others are always `-` there, so for them the check
	// is that Elastic wrote nothing.
	"resource-type":             {"aws.vpcflow.resource_type"},
	"tgw-id":                    {"aws.vpcflow.tgw_id"},
	"tgw-attachment-id":         {"aws.vpcflow.tgw_attachment_id"},
	"tgw-src-vpc-account-id":    {"aws.vpcflow.tgw_src_vpc_account_id"},
	"tgw-dst-vpc-account-id":    {"aws.vpcflow.tgw_dst_vpc_account_id"},
	"tgw-src-vpc-id":            {"aws.vpcflow.tgw_src_vpc_id"},
	"tgw-dst-vpc-id":            {"aws.vpcflow.tgw_dst_vpc_id"},
	"tgw-src-subnet-id":         {"aws.vpcflow.tgw_src_subnet_id"},
	"tgw-dst-subnet-id":         {"aws.vpcflow.tgw_dst_subnet_id"},
	"tgw-src-eni":               {"aws.vpcflow.tgw_src_eni"},
	"tgw-dst-eni":               {"aws.vpcflow.tgw_dst_eni"},
	"tgw-src-az-id":             {"aws.vpcflow.tgw_src_az_id"},
	"tgw-dst-az-id":             {"aws.vpcflow.tgw_dst_az_id"},
	"tgw-pair-attachment-id":    {"aws.vpcflow.tgw_pair_attachment_id"},
	"packets-lost-no-route":     {"aws.vpcflow.packets_lost_no_route"},
	"packets-lost-blackhole":    {"aws.vpcflow.packets_lost_blackhole"},
	"packets-lost-mtu-exceeded": {"aws.vpcflow.packets_lost_mtu_exceeded"},
	"packets-lost-ttl-expired":  {"aws.vpcflow.packets_lost_ttl_expired"},
}

// tcpFlagNames are the bits Elastic names in aws.vpcflow.tcp_flags_array.
var tcpFlagNames = []struct {
	bit  int64
	name string
}{{1, "fin"}, {2, "syn"}, {4, "rst"}, {8, "psh"}, {16, "ack"}, {32, "urg"}}

func TestElasticIntegrations(t *testing.T) {
	tests := []struct {
		file    string
		format  func(t testing.TB) flow.Format
		message bool // each line is {"message": "<record>"}
		headers int64
	}{
		{"test-extra-samples.log", func(testing.TB) flow.Format { return flow.DefaultFormat() }, false, 0},
		{"test-tcp-flag-sequence.log", func(testing.TB) flow.Format { return flow.DefaultFormat() }, false, 3},
		{"test-v5-all-fields.log", func(t testing.TB) flow.Format { return firstCols(t, 29, "traffic-path") }, false, 0},
		{"test-ecs-samples.log", func(t testing.TB) flow.Format { return firstCols(t, 39, "ecs-task-id") }, false, 0},
		{"test-v8-samples.log", func(t testing.TB) flow.Format { return firstCols(t, 40, "reject-reason") }, false, 0},
		{"test-tgw-samples.log", func(testing.TB) flow.Format { return flow.TGWDefaultFormat() }, false, 0},
		{"test-with-message-field.log", func(testing.TB) flow.Format { return flow.DefaultFormat() }, true, 0},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data := external(t, filepath.Join("elastic-integrations", tt.file))
			if tt.message {
				data = unwrapMessages(t, data)
			}
			recs, tr := readRecords(t, data, tt.format(t))
			if tr.Headers != tt.headers {
				t.Errorf("%d header lines, want %d", tr.Headers, tt.headers)
			}
			var exp struct {
				Expected []map[string]any `json:"expected"`
			}
			dec := json.NewDecoder(bytes.NewReader(external(t, filepath.Join("elastic-integrations", tt.file+"-expected.json"))))
			dec.UseNumber()
			if err := dec.Decode(&exp); err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(exp.Expected) || len(recs) == 0 {
				t.Fatalf("%d records, %d expected events", len(recs), len(exp.Expected))
			}
			for i, ev := range exp.Expected {
				compareElastic(t, i+1, recs[i], ev)
			}
		})
	}
	// Every pair in the folder is covered.
	if entries, err := os.ReadDir(filepath.Join(externalDir, "elastic-integrations")); err == nil {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".log") && !seen[e.Name()] {
				t.Errorf("%s is not tested", e.Name())
			}
		}
	}
}

// unwrapMessages turns lines of {"message": "..."} into the messages.
func unwrapMessages(t *testing.T, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m struct {
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m.Message == nil {
			t.Fatalf("not a {\"message\": ...} line: %q (%v)", sc.Text(), err)
		}
		out.WriteString(*m.Message + "\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func compareElastic(t *testing.T, n int, rec decoded, ev map[string]any) {
	t.Helper()
	if orig, _ := jsonPath(ev, "event.original"); orig != rec.raw {
		t.Fatalf("event %d: event.original %q is not record %d %q", n, orig, n, rec.raw)
	}
	claimed := map[string]bool{}
	for name, ours := range rec.fields {
		paths, ok := elasticPaths[name]
		if !ok {
			t.Errorf("event %d: no Elastic mapping for field %s", n, name)
			continue
		}
		found := 0
		for _, p := range paths {
			claimed[p] = true
			v, ok := jsonPath(ev, p)
			if !ok {
				continue
			}
			theirs := elasticText(t, p, v)
			if theirs == "-" {
				// Elastic keeps some `-` values literally (cloud.region):
				// a quirk, the same as NULL.
				theirs = "NULL"
			} else {
				found++
			}
			if theirs != ours {
				t.Errorf("event %d: %s = %q, flowir %s = %q", n, p, theirs, name, ours)
			}
		}
		if ours != "NULL" && found == 0 {
			t.Errorf("event %d: flowir %s = %q, Elastic has none of %v", n, name, ours, paths)
		}
	}
	// tcp_flags_array is derived from tcp-flags: the same bits.
	if v, ok := jsonPath(ev, "aws.vpcflow.tcp_flags_array"); ok {
		flags, err := strconv.ParseInt(rec.fields["tcp-flags"], 10, 64)
		if err != nil {
			t.Fatalf("event %d: tcp_flags_array without tcp-flags: %v", n, err)
		}
		var want []string
		for _, f := range tcpFlagNames {
			if flags&f.bit != 0 {
				want = append(want, f.name)
			}
		}
		var got []string
		for _, x := range v.([]any) {
			got = append(got, x.(string))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("event %d: tcp_flags_array %v, flowir tcp-flags %d means %v", n, got, flags, want)
		}
	}
	// Every value Elastic took from the record's own fields must come from a
	// field flowir decoded.
	var leaves []string
	for _, root := range []string{"aws.vpcflow", "orchestrator", "service", "cloud.account", "cloud.instance"} {
		if v, ok := jsonPath(ev, root); ok {
			jsonLeaves(v, root, &leaves)
		}
	}
	for _, p := range []string{"event.reason", "event.action", "network.direction", "cloud.region", "cloud.availability_zone", "network.iana_number"} {
		if _, ok := jsonPath(ev, p); ok {
			leaves = append(leaves, p)
		}
	}
	for _, p := range leaves {
		if p == "aws.vpcflow.tcp_flags_array" || p == "aws.vpcflow.sublocation" {
			continue // derived, or an empty object
		}
		if !claimed[p] {
			t.Errorf("event %d: Elastic has %s, which no decoded field accounts for", n, p)
		}
	}
}

// VRL's parse_aws_vpc_flow_log cases: input, format (underscore names, null
// for the default format) and typed expected values or an error.
func TestVRLCases(t *testing.T) {
	data := external(t, "vectordotdev-vrl/parse_aws_vpc_flow_log.expected.jsonl")
	sc := bufio.NewScanner(bytes.NewReader(data))
	cases := 0
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c struct {
			Name     string         `json:"name"`
			Input    string         `json:"input"`
			Format   *string        `json:"format"`
			Expected map[string]any `json:"expected"`
			Error    bool           `json:"error"`
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		cases++
		t.Run(c.Name, func(t *testing.T) {
			f := flow.DefaultFormat()
			if c.Format != nil {
				var err error
				if f, err = flow.ParseFormat(*c.Format); err != nil {
					t.Fatalf("format %q: %v", *c.Format, err)
				}
				if len(f.Unknown()) != 0 {
					t.Fatalf("format %q has fields flowir does not know: %v", *c.Format, f.Unknown())
				}
			}
			d := NewTextDecoder(f)
			var r flow.Record
			err := d.Decode([]byte(c.Input), &r)
			if c.Error {
				if strings.Contains(c.Input, "  ") && err == nil {
					// VRL splits on single spaces, so a doubled space is an
					// error there. flowir deliberately reads runs of blanks
					// as one separator (reference §2: AWS's own examples
					// have a doubled space); this is not a disagreement.
					return
				}
				if err == nil {
					t.Fatalf("VRL rejects %q, flowir decoded %v", c.Input, render(f, &r))
				}
				return
			}
			if err != nil {
				t.Fatalf("VRL decodes %q, flowir: %v", c.Input, err)
			}
			got := render(f, &r)
			if len(c.Expected) != len(f.Cols) {
				t.Errorf("VRL gives %d fields, the format has %d", len(c.Expected), len(f.Cols))
			}
			for k, v := range c.Expected {
				name := strings.ReplaceAll(k, "_", "-")
				id, ok := flow.Lookup(name)
				if !ok {
					t.Errorf("VRL field %s is not known", k)
					continue
				}
				kind := flow.Get(id).Kind
				isInt := kind == flow.KindInt32 || kind == flow.KindInt64
				switch x := v.(type) {
				case nil:
					if got[name] != "NULL" {
						t.Errorf("%s = %q, VRL null", name, got[name])
					}
				case json.Number:
					if !isInt || got[name] != x.String() {
						t.Errorf("%s = %q (%v), VRL integer %s", name, got[name], kind, x)
					}
				case string:
					if isInt || got[name] != x {
						t.Errorf("%s = %q (%v), VRL string %q", name, got[name], kind, x)
					}
				default:
					t.Errorf("%s: unexpected VRL value %T", name, v)
				}
			}
			// Where flowir differs from VRL on purpose: VRL would reject the
			// same line with doubled spaces or tabs (it splits on single
			// spaces); flowir reads runs of blanks as one separator and must
			// give the very same record.
			loose := "  " + strings.ReplaceAll(c.Input, " ", " \t ") + "\t"
			var r2 flow.Record
			if err := d.Decode([]byte(loose), &r2); err != nil {
				t.Fatalf("with runs of blanks: %v", err)
			}
			for k, v := range render(f, &r2) {
				if got[k] != v {
					t.Errorf("with runs of blanks: %s = %q, want %q", k, v, got[k])
				}
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases != 6 {
		t.Errorf("%d VRL cases, PROVENANCE.md lists 6", cases)
	}
}

// raw.log from opensearch-catalog: 775 real default-format records. The
// expected totals are computed here with strings.Fields and strconv, apart
// from the decoder, and checked against the counts PROVENANCE.md states.
func TestOpenSearchRawLog(t *testing.T) {
	data := external(t, "opensearch-catalog/raw.log")

	type totals struct {
		records, nodata, ok, accept, reject int
		proto                               map[string]int
		bytes, packets                      int64
	}
	// Independent count.
	want := totals{proto: map[string]int{}}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 14 {
			t.Fatalf("line with %d fields: %q", len(f), line)
		}
		want.records++
		switch f[13] {
		case "NODATA":
			want.nodata++
		case "OK":
			want.ok++
		}
		switch f[12] {
		case "ACCEPT":
			want.accept++
		case "REJECT":
			want.reject++
		}
		if f[7] != "-" {
			want.proto[f[7]]++
		}
		for i, sum := range map[int]*int64{8: &want.packets, 9: &want.bytes} {
			if f[i] == "-" {
				continue
			}
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			*sum += n
		}
	}
	// The counts PROVENANCE.md gives for the file.
	if want.records != 775 || want.nodata != 404 || want.ok != 371 || want.accept != 371 || want.reject != 0 ||
		want.proto["6"] != 362 || want.proto["17"] != 8 || want.proto["1"] != 1 || len(want.proto) != 3 {
		t.Fatalf("raw.log is not the file PROVENANCE.md describes: %+v", want)
	}

	// The decoder's count.
	tr := NewTextReader(bytes.NewReader(data), flow.DefaultFormat())
	got := totals{proto: map[string]int{}}
	for {
		it, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind != ItemRecord {
			t.Fatalf("line %d: kind %d %v", it.Line, it.Kind, it.Err)
		}
		r := it.Record
		got.records++
		switch r.Status() {
		case "NODATA":
			got.nodata++
		case "OK":
			got.ok++
		}
		if r.Has(flow.Action) {
			switch string(r.Str[flow.Action]) {
			case "ACCEPT":
				got.accept++
			case "REJECT":
				got.reject++
			}
		}
		if r.Has(flow.Protocol) {
			got.proto[strconv.FormatInt(r.Num[flow.Protocol], 10)]++
		}
		if r.Has(flow.Bytes) {
			got.bytes += r.Num[flow.Bytes]
		}
		if r.Has(flow.Packets) {
			got.packets += r.Num[flow.Packets]
		}
	}
	if tr.Rejects != 0 || tr.Headers != 0 || tr.Lines != 775 || tr.Records != 775 {
		t.Errorf("Lines %d, Records %d, Rejects %d, Headers %d; want 775, 775, 0, 0", tr.Lines, tr.Records, tr.Rejects, tr.Headers)
	}
	if got.records != want.records || got.nodata != want.nodata || got.ok != want.ok || got.accept != want.accept || got.reject != want.reject {
		t.Errorf("decoder counts %+v, want %+v", got, want)
	}
	for p, n := range want.proto {
		if got.proto[p] != n {
			t.Errorf("protocol %s: %d records, want %d", p, got.proto[p], n)
		}
	}
	if len(got.proto) != len(want.proto) {
		t.Errorf("protocols %v, want %v", got.proto, want.proto)
	}
	if got.bytes != want.bytes || got.packets != want.packets {
		t.Errorf("sum bytes %d packets %d, want %d and %d", got.bytes, got.packets, want.bytes, want.packets)
	}
	if want.bytes == 0 || want.packets == 0 {
		t.Errorf("zero totals: bytes %d packets %d", want.bytes, want.packets)
	}
}
