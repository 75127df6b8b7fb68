package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/store"
)

const invDump = "testdata/inventory/dump"

// exposedRows runs inventory exposed --format json and returns its rows.
func exposedRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	out := mustRun(t, append([]string{"inventory", "exposed", "--format", "json"}, args...)...)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rows
}

func rowKeys(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %s %s", r["interface_id"], r["protocol"], r["ports"], r["family"]))
	}
	sort.Strings(out)
	return out
}

// TestInventoryExposedEndToEnd imports a dump of three VPCs and checks the
// exposure list against the answer worked out by hand from the dump:
//
//   - eni-0aa...01 (web-1, public subnet, ACL acl-0aa...02): tcp 443 over
//     IPv4 and IPv6; tcp 9000 through a prefix list holding 0.0.0.0/0. Not tcp
//     22 (ACL deny #90 before allow #100), not udp 53 (the ACL lets no UDP
//     reply out), not 5432 (a partner prefix list: restricted), not 3389
//     (10.0.0.0/8), not 8080 (a security group).
//   - eni-0aa...02: Elastic IP, but its subnet's main route table sends
//     0.0.0.0/0 to a NAT gateway.
//   - eni-0aa...03: the NAT gateway's own interface.
//   - eni-0aa...04: an application load balancer, tcp 80 and 443.
//   - eni-0bb...01: no public IPv4; IPv6 with all traffic from ::/0.
//   - eni-0bb...02: public IPv4, tcp 80.
//   - eni-0bb...03: IPv6 but DenyAllIgwTraffic.
//   - eni-0cc...01: everything open, but the internet gateway is detached.
func TestInventoryExposedEndToEnd(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWIR_CASE", filepath.Join(dir, "case"))
	out := mustRun(t, "inventory", "import", invDump, "testdata/inventory/prowler.ocsf.json", "--region", "eu-west-1", "--taken-at", "2024-05-01T10:00:00Z")
	if !strings.Contains(out, "inventory snapshot 1 (taken 2024-05-01T10:00:00Z): 44 resources from 15 files") {
		t.Fatalf("import said:\n%s", out)
	}
	rows := exposedRows(t)
	want := []string{
		"eni-0aa00000000000001 tcp 443 ipv4+ipv6",
		"eni-0aa00000000000001 tcp 9000 ipv4",
		"eni-0aa00000000000004 tcp 443 ipv4",
		"eni-0aa00000000000004 tcp 80 ipv4",
		"eni-0bb00000000000001 all all ipv6",
		"eni-0bb00000000000002 tcp 80 ipv4",
	}
	if got := rowKeys(rows); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("exposed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range rows {
		if r["interface_id"] == "eni-0aa00000000000004" && (r["owner_type"] != "load_balancer" || r["owner_name"] != "pub-alb") {
			t.Errorf("load balancer row %v", r)
		}
		if r["interface_id"] == "eni-0aa00000000000001" && r["ports"] == "443" {
			if r["owner_name"] != "web-1" || r["from_port"] != float64(443) || r["to_port"] != float64(443) || r["sources"] != "0.0.0.0/0; ::/0" || r["seen_records"] != nil {
				t.Errorf("web row %v", r)
			}
		}
	}
	// --explain: one verdict per interface.
	out = mustRun(t, "inventory", "exposed", "--explain", "--format", "json")
	var verdicts []map[string]any
	json.Unmarshal([]byte(out), &verdicts)
	reasons := map[string]string{}
	for _, v := range verdicts {
		reasons[v["interface_id"].(string)] = v["status"].(string) + ": " + v["reason"].(string)
	}
	for eni, want := range map[string]string{
		"eni-0aa00000000000002": "not_exposed: no route to an internet gateway for ipv4 in rtb-0aa00000000000002 (main route table): 0.0.0.0/0 -> nat-0aa00000000000001",
		"eni-0aa00000000000003": "not_exposed: NAT gateway interface",
		"eni-0bb00000000000003": "not_exposed: interface denies all internet gateway traffic",
		"eni-0cc00000000000001": "not_exposed: no route to an internet gateway for ipv4 in rtb-0cc00000000000001 (main route table): 0.0.0.0/0 -> igw-0cc00000000000001 (not attached",
	} {
		if !strings.HasPrefix(reasons[eni], want) {
			t.Errorf("%s: %q, want %q...", eni, reasons[eni], want)
		}
	}
	if len(verdicts) != 8 {
		t.Errorf("%d verdicts", len(verdicts))
	}
	// --restricted adds the partner-only port.
	rows = exposedRows(t, "--restricted")
	if got := rowKeys(rows); len(got) != 7 || !strings.Contains(strings.Join(got, "|"), "eni-0aa00000000000001 tcp 5432 ipv4") {
		t.Fatalf("restricted: %v", got)
	}
	// Prowler beside flowir: the SSH check is about port 22, which the ACL closes.
	out = mustRun(t, "inventory", "prowler", "--format", "csv")
	if !strings.Contains(out, "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22,FAIL,High,sg-0aa00000000000001,eu-west-1,port 22 not reachable per flowir") ||
		!strings.Contains(out, "ec2_instance_public_ip,FAIL,Medium,i-0cc00000000000001,eu-west-1,not reachable per flowir") || strings.Count(out, "\n") != 3 {
		t.Fatalf("prowler:\n%s", out)
	}
	// Enrichment: interface owners and the SQL views.
	out = mustRun(t, "inventory", "interfaces", "--format", "csv")
	if !strings.Contains(out, "eni-0aa00000000000004,load_balancer,app/pub-alb/1234567890abcdef,pub-alb,subnet-0aa00000000000001,vpc-0aa00000000000001") {
		t.Fatalf("interfaces:\n%s", out)
	}
	out = mustRun(t, "sql", "--format", "csv", "SELECT count(*) AS n FROM vpc_cidrs")
	if !strings.Contains(out, "\n5\n") {
		t.Fatalf("vpc_cidrs: %s", out)
	}
}

// TestInventoryExposedSeen adds flow logs: the accepted inbound records from
// internet sources to the exposed port are counted; rejected, internal and
// other-port records are not.
func TestInventoryExposedSeen(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWIR_CASE", filepath.Join(dir, "case"))
	mustRun(t, "inventory", "import", invDump, "--region", "eu-west-1")
	logs := filepath.Join(dir, "111122223333_vpcflowlogs_eu-west-1_fl-0aa00000000000001_20240501T1000Z_abcdef12.log")
	lines := []string{
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
		"2 111122223333 eni-0aa00000000000001 198.51.100.7 10.10.1.11 50000 443 6 10 1000 1714557600 1714557660 ACCEPT OK",
		"2 111122223333 eni-0aa00000000000001 198.51.100.7 10.10.1.11 50001 443 6 10 2000 1714557700 1714557760 ACCEPT OK",
		"2 111122223333 eni-0aa00000000000001 192.0.2.44 10.10.1.11 40000 443 6 5 500 1714558000 1714558060 ACCEPT OK",
		"2 111122223333 eni-0aa00000000000001 203.0.113.99 10.10.1.11 40000 443 6 1 40 1714558000 1714558060 REJECT OK",
		"2 111122223333 eni-0aa00000000000001 10.10.2.12 10.10.1.11 40000 443 6 1 40 1714558000 1714558060 ACCEPT OK",
		"2 111122223333 eni-0aa00000000000001 198.51.100.7 10.10.1.11 40000 22 6 1 40 1714558000 1714558060 ACCEPT OK",
		"2 111122223333 eni-0aa00000000000001 10.10.1.11 198.51.100.7 443 50000 6 10 9000 1714557600 1714557660 ACCEPT OK",
	}
	if err := os.WriteFile(logs, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "ingest", "-q", logs)
	for _, r := range exposedRows(t) {
		if r["interface_id"] == "eni-0aa00000000000001" && r["ports"] == "443" {
			if r["seen_records"] != float64(3) || r["seen_sources"] != float64(2) || r["first_seen"] != "2024-05-01T10:00:00Z" ||
				r["last_seen"] != "2024-05-01T10:07:40Z" || r["top_source"] != "198.51.100.7" {
				t.Fatalf("seen: %v", r)
			}
			return
		}
	}
	t.Fatal("no row for eni-0aa00000000000001 tcp 443")
}

func TestInventoryGapsAndDiff(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWIR_CASE", filepath.Join(dir, "case"))
	mustRun(t, "inventory", "import", invDump, "--region", "eu-west-1", "--taken-at", "2024-05-01")
	out := mustRun(t, "inventory", "gaps", "--format", "csv")
	for _, want := range []string{
		"high,not_logged,vpc,vpc-0bb00000000000001,vpc-0bb00000000000001,,no flow log on the VPC (0 of 1 subnets have their own)",
		"high,not_logged,network_interface,eni-0cc00000000000001,",
		"low,interval,flow_log,fl-0aa00000000000001",
		"medium,format,flow_log,fl-0aa00000000000001,vpc-0aa00000000000001,fl-0aa00000000000001,\"default (version 2) format lacks vpc-id",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("gaps lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, ",subnet-0aa0000000000000") {
		t.Errorf("subnets of the logged VPC reported:\n%s", out)
	}
	// A newer dump: a world-open RDP rule and a new Elastic IP.
	newer := filepath.Join(dir, "newer")
	copyDir(t, invDump, newer)
	sg := filepath.Join(newer, "security-groups.json")
	b, _ := os.ReadFile(sg)
	b = []byte(strings.Replace(string(b), `"IpPermissions": [`, `"IpPermissions": [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},`, 1))
	os.WriteFile(sg, b, 0o644)
	os.WriteFile(filepath.Join(newer, "eip.json"), []byte(`{"Addresses":[{"AllocationId":"eipalloc-0ff00000000000001","PublicIp":"192.0.2.10","Domain":"vpc"}]}`), 0o644)
	mustRun(t, "inventory", "import", newer, "--region", "eu-west-1", "--taken-at", "2024-05-02")
	out = mustRun(t, "inventory", "diff", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"impact,change,resource_type,resource_id,vpc_id,detail",
		"widening,added,address,eipalloc-0ff00000000000001,,new Elastic IP 192.0.2.10",
		"widening,added,exposure,eni-0aa00000000000001,vpc-0aa00000000000001,\"newly reachable from the internet: tcp 3389 (ipv4, instance i-0aa00000000000001) from 0.0.0.0/0\"",
		"widening,changed,security_group,sg-0aa00000000000001,vpc-0aa00000000000001,new world-open ingress rule: tcp 3389 from 0.0.0.0/0",
		"change,changed,security_group,sg-0aa00000000000001,vpc-0aa00000000000001,changed: IpPermissions",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("diff:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	// The same from the folders, without the case.
	out2 := mustRun(t, "inventory", "diff", invDump, newer, "--format", "csv")
	if out2 != out {
		t.Fatalf("folder diff differs:\n%s", out2)
	}
	if code, _, stderr := run(t, "inventory", "diff", "nope-not-here"); code != 2 || !strings.Contains(stderr, "neither a file or folder nor a snapshot id") {
		t.Fatalf("bad argument: %d %s", code, stderr)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	os.MkdirAll(to, 0o755)
	es, _ := os.ReadDir(from)
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, e.Name()), b, 0o644)
	}
}

func TestInventoryImportErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWIR_CASE", filepath.Join(dir, "case"))
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\"Vpcs\": [\n{\"VpcId\": }]}"), 0o644)
	code, _, stderr := run(t, "inventory", "import", bad)
	if code != 1 || !strings.Contains(stderr, "bad.json: not valid JSON (line 2") {
		t.Fatalf("%d %s", code, stderr)
	}
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(`{"Buckets":[]}`), 0o644)
	code, _, stderr = run(t, "inventory", "import", other)
	if code != 1 || !strings.Contains(stderr, "nothing to import") || !strings.Contains(stderr, "no key flowir knows (found Buckets") {
		t.Fatalf("%d %s", code, stderr)
	}
	if code, _, stderr = run(t, "inventory", "exposed"); code != 10 && code != 1 || !strings.Contains(stderr, "no case") && !strings.Contains(stderr, "no inventory") {
		t.Fatalf("%d %s", code, stderr)
	}
}

// awsRecorder is a loopback endpoint that answers EC2 query-protocol,
// CloudWatch RPC v2 CBOR and nothing else, and records every request.
type awsRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []string
	forms  []url.Values
	alarms []cbor.Map
	ec2    map[string]string // Action -> body inside the response element
}

func newAWSRecorder(t *testing.T, ec2 map[string]string) *awsRecorder {
	t.Helper()
	s := &awsRecorder{ec2: ec2}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/") {
			s.reqs = append(s.reqs, "cloudwatch:"+strings.TrimPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/"))
			v, _ := cbor.Decode(body)
			if m, ok := v.(cbor.Map); ok {
				s.alarms = append(s.alarms, m)
			}
			w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
			w.Header().Set("Content-Type", "application/cbor")
			w.Write(cbor.Encode(cbor.Map{}))
			return
		}
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		s.reqs = append(s.reqs, "ec2:"+action)
		s.forms = append(s.forms, form)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>%s</%sResponse>`, action, s.ec2[action], action)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *awsRecorder) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

func TestSetupDryRunsSendNothing(t *testing.T) {
	awstest.Env(t)
	srv := newAWSRecorder(t, nil)
	code, stdout, stderr := run(t, "setup", "flow-logs", "--resource", "vpc-0123456789abcdef0", "--destination", "arn:aws:s3:::ir-logs/AWSLogs/", "--dry-run", "--endpoint-url", srv.URL)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "AWSLogs cannot be used as a subfolder name") {
		t.Fatalf("AWSLogs: %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "setup", "flow-logs", "--resource", "subnet-0123456789abcdef0", "--destination", "arn:aws:s3:::ir-logs/flow-logs/",
		"--traffic", "reject", "--interval", "600", "--format", "${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr}", "--parquet", "--hourly", "--dry-run",
		"--endpoint-url", srv.URL, "--region", "eu-west-1")
	want := "aws ec2 create-flow-logs --resource-type Subnet --resource-ids subnet-0123456789abcdef0 --traffic-type REJECT --log-destination-type s3 --log-destination arn:aws:s3:::ir-logs/flow-logs/ --max-aggregation-interval 600 --log-format '${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr}' --destination-options FileFormat=parquet,HiveCompatiblePartitions=false,PerHourPartition=true --region eu-west-1\n"
	if code != 0 || stdout != want || !strings.Contains(stderr, "dry run: nothing was changed") {
		t.Fatalf("flow-logs dry run: %d\n%s\nwant\n%s%s", code, stdout, want, stderr)
	}
	code, stdout, _ = run(t, "setup", "flow-logs", "--resource", "vpc-0123456789abcdef0", "--destination", "arn:aws:s3:::ir-logs", "--format", "${version} ${geo-country}", "--dry-run")
	if code != 2 {
		t.Fatalf("unknown field accepted: %d %s", code, stdout)
	}
	code, stdout, _ = run(t, "setup", "nat-alarms", "--nat-gateway", "nat-0123456789abcdef0", "--sns-topic", "arn:aws:sns:eu-west-1:123456789012:ir", "--dry-run", "--endpoint-url", srv.URL)
	if code != 0 {
		t.Fatalf("nat-alarms dry run: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || lines[0] != "# nat-0123456789abcdef0 BytesOutToDestination: Sum over 900 s >= 5000000 for 1 evaluation period(s)" ||
		lines[2] != "# nat-0123456789abcdef0 ErrorPortAllocation: Maximum over 300 s > 0 for 3 evaluation period(s)" {
		t.Fatalf("nat-alarms dry run:\n%s", stdout)
	}
	for _, want := range []string{"--metric-name BytesOutToDestination --dimensions Name=NatGatewayId,Value=nat-0123456789abcdef0 --statistic Sum --period 900 --evaluation-periods 1 --threshold 5000000 --comparison-operator GreaterThanOrEqualToThreshold --alarm-actions arn:aws:sns:eu-west-1:123456789012:ir"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("%s\nlacks %s", lines[1], want)
		}
	}
	if !strings.Contains(lines[3], "--metric-name ErrorPortAllocation --dimensions Name=NatGatewayId,Value=nat-0123456789abcdef0 --statistic Maximum --period 300 --evaluation-periods 3 --threshold 0 --comparison-operator GreaterThanThreshold") {
		t.Errorf("%s", lines[3])
	}
	if reqs := srv.requests(); len(reqs) != 0 {
		t.Fatalf("dry runs sent requests: %v", reqs)
	}
	// --all reads the NAT gateways (a read) and still creates nothing.
	srv.ec2 = map[string]string{"DescribeNatGateways": `<natGatewaySet><item><natGatewayId>nat-0000000000000000a</natGatewayId><state>available</state></item></natGatewaySet>`}
	_, stdout, _ = run(t, "setup", "nat-alarms", "--all", "--dry-run", "--endpoint-url", srv.URL)
	if reqs := srv.requests(); strings.Join(reqs, ",") != "ec2:DescribeNatGateways" || !strings.Contains(stdout, "Value=nat-0000000000000000a") {
		t.Fatalf("--all dry run: %v\n%s", reqs, stdout)
	}
	if code, _, stderr := run(t, "setup", "nat-alarms", "--dry-run"); code != 2 || !strings.Contains(stderr, "--nat-gateway") {
		t.Fatalf("no gateway: %d %s", code, stderr)
	}
	if code, _, _ := run(t, "setup", "nat-alarms", "--nat-gateway", "nat-1", "--dry-run"); code != 2 {
		t.Fatalf("bad id accepted")
	}
}

func TestSetupCreates(t *testing.T) {
	awstest.Env(t)
	srv := newAWSRecorder(t, map[string]string{"CreateFlowLogs": `<flowLogIdSet><item>fl-0000000000000000b</item></flowLogIdSet><unsuccessful/>`})
	out := mustRun(t, "setup", "flow-logs", "--resource", "vpc-0123456789abcdef0,vpc-0123456789abcdef1", "--destination", "arn:aws:s3:::ir-logs/f/", "--endpoint-url", srv.URL, "--region", "eu-west-1")
	if out != "created flow log fl-0000000000000000b in eu-west-1\n" {
		t.Fatalf("output %q", out)
	}
	f := srv.forms[0]
	if f.Get("Action") != "CreateFlowLogs" || f.Get("ResourceId.2") != "vpc-0123456789abcdef1" || f.Get("MaxAggregationInterval") != "60" ||
		!strings.HasPrefix(f.Get("LogFormat"), "${version} ${account-id} ${interface-id}") || f.Get("TrafficType") != "ALL" || f.Get("DestinationOptions.FileFormat") != "plain-text" {
		t.Fatalf("form %v", f)
	}
	out = mustRun(t, "setup", "nat-alarms", "--nat-gateway", "nat-0123456789abcdef0", "--endpoint-url", srv.URL, "--region", "eu-west-1")
	if strings.Count(out, "created alarm") != 2 || len(srv.alarms) != 2 {
		t.Fatalf("alarms: %s %d", out, len(srv.alarms))
	}
	a := srv.alarms[1]
	if a["MetricName"] != cbor.String("ErrorPortAllocation") || a["Statistic"] != cbor.String("Maximum") || a["Period"] != cbor.Uint(300) ||
		a["EvaluationPeriods"] != cbor.Uint(3) || a["ComparisonOperator"] != cbor.String("GreaterThanThreshold") || a["Namespace"] != cbor.String("AWS/NATGateway") {
		t.Fatalf("alarm %v", a)
	}
}

func TestInventorySnapshotCommand(t *testing.T) {
	awstest.Env(t)
	dir := t.TempDir()
	t.Setenv("FLOWIR_CASE", filepath.Join(dir, "case"))
	srv := newAWSRecorder(t, map[string]string{
		"DescribeVpcs":        `<vpcSet><item><vpcId>vpc-00000001</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet>`,
		"DescribeSubnets":     `<subnetSet><item><subnetId>subnet-00000001</subnetId><vpcId>vpc-00000001</vpcId><availabilityZone>eu-west-1a</availabilityZone></item></subnetSet>`,
		"DescribeRouteTables": `<routeTableSet><item><routeTableId>rtb-00000001</routeTableId><vpcId>vpc-00000001</vpcId><routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-00000001</gatewayId><state>active</state></item></routeSet><associationSet><item><main>true</main></item></associationSet></item></routeTableSet>`,
		"DescribeSecurityGroups": `<securityGroupInfo><item><groupId>sg-00000001</groupId><vpcId>vpc-00000001</vpcId><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>
			<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissions></item></securityGroupInfo>`,
		"DescribeNetworkInterfaces": `<networkInterfaceSet><item><networkInterfaceId>eni-00000001</networkInterfaceId><subnetId>subnet-00000001</subnetId><vpcId>vpc-00000001</vpcId><status>in-use</status>
			<privateIpAddress>10.0.0.5</privateIpAddress><association><publicIp>198.51.100.5</publicIp></association><attachment><instanceId>i-00000001</instanceId></attachment>
			<groupSet><item><groupId>sg-00000001</groupId></item></groupSet></item></networkInterfaceSet>`,
	})
	out := mustRun(t, "inventory", "snapshot", "--endpoint-url", srv.URL, "--regions", "eu-west-1")
	if !strings.Contains(out, "inventory snapshot 1") {
		t.Fatalf("snapshot: %s", out)
	}
	if n := len(srv.requests()); n != 18 { // every describe call once; no prefix lists, so no entries call
		t.Errorf("%d requests: %v", n, srv.requests())
	}
	if got := rowKeys(exposedRows(t)); strings.Join(got, "|") != "eni-00000001 tcp 22 ipv4" {
		t.Fatalf("exposed after snapshot: %v", got)
	}
	out = mustRun(t, "inventory", "snapshots", "--format", "csv")
	if !strings.Contains(out, ",sdk,EC2 API at http://127.0.0.1:") || !strings.Contains(out, ",eu-west-1,") {
		t.Fatalf("snapshots: %s", out)
	}
}

// TestInventoryProwlerAlone reproduces issue 12.10: Prowler output imported
// on its own made an empty "newest" snapshot, after which inventory exposed
// showed no interface and inventory diff reported every resource removed.
// Prowler results join the snapshot they describe instead.
func TestInventoryProwlerAlone(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWIR_CASE", filepath.Join(dir, "case"))
	mustRun(t, "inventory", "import", invDump, "--region", "eu-west-1", "--taken-at", "2024-05-01T10:00:00Z")
	before := exposedRows(t)
	out := mustRun(t, "inventory", "import", "testdata/inventory/prowler.ocsf.json")
	if !strings.Contains(out, "Prowler results added to inventory snapshot 1 (taken 2024-05-01T10:00:00Z)") {
		t.Fatalf("import said:\n%s", out)
	}
	// Again: replaced, not doubled.
	mustRun(t, "inventory", "import", "testdata/inventory/prowler.ocsf.json")
	if after := exposedRows(t); len(after) != len(before) || len(after) == 0 {
		t.Errorf("exposed: %d rows after the Prowler import, %d before", len(after), len(before))
	}
	snaps := mustRun(t, "inventory", "snapshots", "--format", "csv")
	if strings.Count(strings.TrimSpace(snaps), "\n") != 1 || !strings.Contains(snaps, "Prowler results from testdata/inventory/prowler.ocsf.json") {
		t.Errorf("snapshots:\n%s", snaps)
	}
	prowler := mustRun(t, "inventory", "prowler", "--format", "csv")
	once := mustRun(t, "sql", "--format", "csv", "SELECT count(*) AS n, count(DISTINCT resource_id) AS d FROM inventory_resources WHERE resource_type = 'prowler_finding'")
	if lines := strings.Split(strings.TrimSpace(once), "\n"); len(lines) != 2 || strings.Split(lines[1], ",")[0] != strings.Split(lines[1], ",")[1] || lines[1] == "0,0" {
		t.Errorf("Prowler results stored twice or not at all: %s\n%s", once, prowler)
	}
	// A newer describe dump, then Prowler results of the time of the first:
	// they go to the first snapshot, and diff compares the two dumps.
	mustRun(t, "inventory", "import", invDump, "--region", "eu-west-1", "--taken-at", "2024-05-02T10:00:00Z")
	out = mustRun(t, "inventory", "import", "testdata/inventory/prowler.ocsf.json", "--taken-at", "2024-05-01T12:00:00Z")
	if !strings.Contains(out, "added to inventory snapshot 1 ") {
		t.Errorf("Prowler results of 2024-05-01 went elsewhere:\n%s", out)
	}
	if d := mustRun(t, "inventory", "diff", "--format", "csv"); strings.Contains(d, "removed") {
		t.Errorf("diff of two identical dumps:\n%s", d)
	}
	if code, _, stderr := run(t, "inventory", "import", "testdata/inventory/prowler.ocsf.json", "--snapshot", "9"); code != 2 || !strings.Contains(stderr, "no such inventory snapshot") {
		t.Errorf("--snapshot 9: exit %d %s", code, stderr)
	}
	// A case whose newest snapshot holds Prowler results only (as an older
	// flowir stored them) still answers exposure from the network snapshot.
	c, err := store.Open(context.Background(), filepath.Join(dir, "case"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB().Exec(`INSERT INTO inventory_snapshots VALUES (3, '2024-05-03T00:00:00Z', now(), 'import', 'old prowler', '', 1, '[]', 'old');
		INSERT INTO inventory_resources SELECT 3, resource_type, resource_id, region, account_id, vpc_id, source, data FROM inventory_resources WHERE snapshot_id = 1 AND resource_type = 'prowler_finding' LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if after := exposedRows(t); len(after) != len(before) {
		t.Errorf("exposed with a Prowler-only newest snapshot: %d rows, want %d", len(after), len(before))
	}
	if d := mustRun(t, "inventory", "diff", "--format", "csv"); strings.Contains(d, "removed") {
		t.Errorf("diff with a Prowler-only newest snapshot:\n%s", d)
	}
	owners := mustRun(t, "sql", "--format", "csv", "SELECT count(*) AS n FROM interface_owner")
	if owners == "n\n0\n" {
		t.Error("interface_owner is empty: the view took the Prowler-only snapshot")
	}
}
