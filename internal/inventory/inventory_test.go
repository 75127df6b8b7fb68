package inventory

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIPSet(t *testing.T) {
	all := fullSet(false)
	a := mustSet("10.0.0.0/8")
	if got := all.minus(a).union(a); !got.equal(all) {
		t.Fatalf("minus/union: %s", got)
	}
	if got := mustSet("0.0.0.0/1", "128.0.0.0/1"); !got.equal(all) || got.String() != "0.0.0.0/0" {
		t.Fatalf("halves: %s", got)
	}
	if got := mustSet("10.0.0.0/24").minus(mustSet("10.0.0.128/25")).String(); got != "10.0.0.0/25" {
		t.Fatal(got)
	}
	if got := mustSet("10.0.0.5/32", "10.0.0.6/31").String(); got != "10.0.0.5/32,10.0.0.6/31" {
		t.Fatal(got)
	}
	if got := mustSet("10.0.0.1", "10.0.0.2", "10.0.0.3").String(); got != "10.0.0.1/32,10.0.0.2/31" {
		t.Fatal(got)
	}
	if got := mustSet("::/0").minus(mustSet("8000::/1")).String(); got != "::/1" {
		t.Fatal(got)
	}
	if !mustSet("2001:db8::/32").intersect(mustSet("2001:db8:1::/48")).equal(mustSet("2001:db8:1::/48")) {
		t.Fatal("v6 intersect")
	}
	if s := fullSet(true).size(); s < 3.4e38 || s > 3.41e38 {
		t.Fatalf("v6 size %g", s)
	}
	// Brute force on a small space: /24 subsets against a bitmap.
	sets := []string{"10.0.0.0/25", "10.0.0.64/26", "10.0.0.200/29", "10.0.0.7/32", "10.0.0.0/24"}
	for _, x := range sets {
		for _, y := range sets {
			sx, sy := mustSet(x), mustSet(y)
			for op, got := range map[string]ipSet{"u": sx.union(sy), "i": sx.intersect(sy), "m": sx.minus(sy)} {
				for i := 0; i < 256; i++ {
					ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
					px, py := netip.MustParsePrefix(x).Contains(ip), netip.MustParsePrefix(y).Contains(ip)
					want := map[string]bool{"u": px || py, "i": px && py, "m": px && !py}[op]
					in := got.contains(prefixSet(netip.PrefixFrom(ip, 32)))
					if in != want {
						t.Fatalf("%s %s %s at %s: %v, want %v", x, op, y, ip, in, want)
					}
				}
			}
		}
	}
	for addr, want := range map[string]bool{"8.8.8.8": true, "10.1.2.3": false, "203.0.113.5": true, "100.64.0.1": false, "2600::1": true, "fe80::1": false, "::ffff:8.8.8.8": true} {
		if IsInternetAddr(addr) != want {
			t.Errorf("IsInternetAddr(%s) != %v", addr, want)
		}
	}
}

func TestImportFilesAndFolders(t *testing.T) {
	dir := t.TempDir()
	for name, body := range baseDocs {
		if err := os.WriteFile(filepath.Join(dir, "x-"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "other.json"), []byte(`{"Buckets":[]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "pl-0123456789abcdef0.json"), []byte(`{"Entries":[{"Cidr":"0.0.0.0/0","Description":"any"}]}`), 0o644)
	inv := &Inventory{}
	if err := inv.ImportPaths([]string{dir}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	c := inv.Counts()
	if c["vpc"] != 1 || c["subnet"] != 2 || c["route_table"] != 2 || c["network_interface"] != 1 || c["instance"] != 1 || c["prefix_list_entries"] != 1 {
		t.Fatalf("counts %v", c)
	}
	if len(inv.Files) != len(baseDocs)+2 {
		t.Fatalf("files %d", len(inv.Files))
	}
	warn := strings.Join(inv.Warnings, "\n")
	if !strings.Contains(warn, "notes.txt: skipped") || !strings.Contains(warn, "other.json: skipped: no key flowir knows (found Buckets") {
		t.Fatalf("warnings %q", warn)
	}
	if inv.RouteTables[0].Region != "eu-west-1" || inv.Vpcs[0].Region != "eu-west-1" {
		t.Fatalf("region not inferred: %q %q", inv.RouteTables[0].Region, inv.Vpcs[0].Region)
	}
	// Round trip through Resources/AddResource (what the case stores).
	back := &Inventory{}
	for _, r := range inv.Resources() {
		if err := back.AddResource(r); err != nil {
			t.Fatal(err)
		}
	}
	back.Finish()
	if len(back.Resources()) != len(inv.Resources()) || len(back.Evaluate().Exposures) != 1 {
		t.Fatalf("round trip lost resources")
	}
	for i, r := range back.Resources() {
		if string(r.Data) != string(inv.Resources()[i].Data) || r.Region != inv.Resources()[i].Region {
			t.Fatalf("resource %d differs after round trip", i)
		}
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct{ name, doc, err string }{
		{"bad.json", `{"Vpcs": [`, "not valid JSON (line 1"},
		{"list.json", `{"Vpcs": {"VpcId":"vpc-1"}}`, "Vpcs is not a list"},
		{"noid.json", `{"Subnets": [{"VpcId":"vpc-1"}]}`, "Subnets[0]: an item of Subnets has no id"},
		{"entries.json", `{"Entries": []}`, "no prefix list id"},
		{"empty.json", ``, "empty file"},
		{"array.json", `[{"a":1}]`, "not a Prowler or ASFF finding"},
		{"scalar.json", `42`, "neither a JSON object nor an array"},
		// Issue 17.22: a truncated file is placed where it ends, not at
		// line 1, column 1; a syntax error where it is.
		{"cut.json", "{\n  \"Vpcs\": [\n    {\"VpcId\": \"vpc-1\",\n     \"CidrBlock\": \"10.0", "line 4, column 24: the file ends inside a JSON value"},
		{"syntax.json", "{\"Vpcs\": [\n  {\"VpcId\": \"vpc-1\" \"x\"}]}", "line 2, column 21"},
		// ... and typed values are checked.
		{"cidr.json", `{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/99"}]}`, "Vpcs[0]: CidrBlock: not a CIDR"},
		{"cidr6.json", `{"Subnets": [{"SubnetId": "subnet-1", "CidrBlock": "2001:db8::/64"}]}`, "Subnets[0]: CidrBlock: \"2001:db8::/64\" is not IPv4"},
		{"sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 70000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}`,
			"SecurityGroups[0]: IpPermissions[0].ToPort: 70000 is out of range"},
		{"sgcidr.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/33"}]}]}]}`,
			"SecurityGroups[0]: IpPermissions[0].IpRanges[0].CidrIp: not a CIDR"},
		{"acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 0, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`,
			"Entries[0].RuleNumber: 0 is out of range"},
		{"eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.300"}]}`, "PrivateIpAddress: \"10.0.0.300\" is not an IP address"},
		{"pl.json", `{"PrefixListId": "pl-1", "Entries": [{"Cidr": "10.0.0.0/8"}, {"Cidr": "bad"}]}`, "Entries[1].Cidr: not a CIDR"},
	}
	for _, tc := range tests {
		inv := &Inventory{}
		_, err := inv.ImportJSON(tc.name, []byte(tc.doc), ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	inv := &Inventory{}
	inv.ImportJSON("a.json", []byte(`{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16"}]}`), ImportOptions{})
	inv.ImportJSON("b.json", []byte(`{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.1.0.0/16"}]}`), ImportOptions{})
	inv.ImportJSON("c.json", []byte(`{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.1.0.0/16"}]}`), ImportOptions{})
	if len(inv.Vpcs) != 1 || inv.Vpcs[0].CidrBlock != "10.1.0.0/16" || len(inv.Warnings) != 1 {
		t.Fatalf("duplicates: %+v %q", inv.Vpcs, inv.Warnings)
	}
}

func TestProwlerFormats(t *testing.T) {
	docs := map[string]string{
		"prowler3.json": `[{"FindingUniqueId":"p3-1","CheckID":"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22","CheckTitle":"SSH open","Status":"FAIL",
			"Severity":"high","ServiceName":"ec2","ResourceId":"sg-00000001","ResourceArn":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-00000001",
			"Region":"eu-west-1","AccountId":"111122223333","Categories":["internet-exposed"]},
			{"FindingUniqueId":"p3-2","CheckID":"iam_root_mfa_enabled","Status":"FAIL","Categories":[]}]`,
		"ocsf.json": `[{"status_code":"FAIL","severity":"High","finding_info":{"uid":"o-1","title":"Instance has a public IP"},"metadata":{"event_code":"ec2_instance_public_ip"},
			"resources":[{"uid":"arn:aws:ec2:eu-west-1:111122223333:instance/i-00000001","name":"i-00000001","type":"AwsEc2Instance","region":"eu-west-1","group":{"name":"ec2"}}],
			"cloud":{"account":{"uid":"111122223333"},"region":"eu-west-1"},"unmapped":{"categories":["internet-exposed"]}}]`,
		"asff.json": `{"Findings":[{"SchemaVersion":"2018-10-08","Id":"a-1","GeneratorId":"prowler-ec2_networkacl_allow_ingress_any_port","Title":"NACL allows ingress from 0.0.0.0/0",
			"AwsAccountId":"111122223333","Region":"eu-west-1","Compliance":{"Status":"FAILED"},"Severity":{"Label":"MEDIUM"},
			"Resources":[{"Type":"AwsEc2NetworkAcl","Id":"arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-00000001"}]}]}`,
		"prowler2.json": `{"Control ID":"extra75","Control":"[extra75] Security groups open to the internet","Status":"FAIL","Resource ID":"sg-00000002","Region":"eu-west-1","Account Number":"111122223333"}
{"Control ID":"check11","Control":"Avoid the use of the root account","Status":"PASS","Region":"eu-west-1","Account Number":"111122223333"}`,
	}
	inv := &Inventory{}
	for name, doc := range docs {
		if _, err := inv.ImportJSON(name, []byte(doc), ImportOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if len(inv.Prowler) != 6 {
		t.Fatalf("%d findings", len(inv.Prowler))
	}
	exposed := map[string]bool{}
	for _, f := range inv.Prowler {
		if f.InternetExposure && f.Failed() {
			exposed[f.Format+":"+strings.Join(f.ResourceIDs(), ",")] = true
		}
	}
	want := []string{"prowler-json:sg-00000001", "ocsf:i-00000001", "asff:acl-00000001", "prowler2:sg-00000002"}
	for _, w := range want {
		if !exposed[w] {
			t.Errorf("missing %s in %v", w, exposed)
		}
	}
	if len(exposed) != len(want) {
		t.Errorf("exposed = %v", exposed)
	}
}

func TestGaps(t *testing.T) {
	inv := baseInventory(t)
	doc := `{"FlowLogs":[
		{"FlowLogId":"fl-00000001","ResourceId":"subnet-00000001","TrafficType":"REJECT","LogDestinationType":"s3","MaxAggregationInterval":600,"FlowLogStatus":"ACTIVE"},
		{"FlowLogId":"fl-00000002","ResourceId":"eni-00000001","TrafficType":"ACCEPT","LogDestinationType":"s3","MaxAggregationInterval":60,"FlowLogStatus":"ACTIVE",
		 "LogFormat":"${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction} ${traffic-path} ${pkt-src-aws-service} ${pkt-dst-aws-service}",
		 "DeliverLogsErrorMessage":"Access error","DeliverLogsStatus":"FAILED"}]}`
	if _, err := inv.ImportJSON("fl.json", []byte(doc), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	inv.ix = nil
	got := map[string]bool{}
	for _, g := range inv.Gaps() {
		got[g.Severity+" "+g.Kind+" "+g.ResourceID] = true
	}
	want := []string{
		"high not_logged vpc-00000001",        // no VPC-level flow log
		"high not_logged subnet-00000002",     // nothing covers the private subnet
		"high delivery fl-00000002",           // Access error
		"medium traffic_type fl-00000001",     // REJECT only
		"medium traffic_type fl-00000002",     // ACCEPT only
		"medium format fl-00000001",           // default format lacks pkt-srcaddr, ...
		"low interval fl-00000001",            // 600 s
		"medium traffic_type subnet-00000001", // only REJECT on the subnet
		"high not_logged subnet-00000002",     // (listed once)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing gap %q in %v", w, got)
		}
	}
	// The interface is covered by ACCEPT (its own) and REJECT (its subnet): no gap for it.
	for k := range got {
		if strings.HasSuffix(k, " eni-00000001") {
			t.Errorf("unexpected interface gap %q", k)
		}
		if strings.HasPrefix(k, "medium format fl-00000002") || strings.HasPrefix(k, "low format fl-00000002") {
			t.Errorf("complete format reported: %q", k)
		}
	}
}

func TestDiffWideningFirst(t *testing.T) {
	old := baseInventory(t)
	new := baseInventory(t)
	new.sg("sg-00000001").IpPermissions = append(new.sg("sg-00000001").IpPermissions,
		IpPermission{IpProtocol: "tcp", FromPort: port(3389), ToPort: port(3389), IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}})
	new.Addresses = []Address{{AllocationId: "eipalloc-00000009", PublicIp: "198.51.100.9"}}
	new.VpcPeeringConnections = []VpcPeeringConnection{{VpcPeeringConnectionId: "pcx-00000001",
		RequesterVpcInfo: &PeeringVpcInfo{VpcId: "vpc-00000001", OwnerId: "111122223333"}, AccepterVpcInfo: &PeeringVpcInfo{VpcId: "vpc-0000000f", OwnerId: "999988887777"}}}
	new.Subnets[1].Tags = Tags{{Key: "Name", Value: "private"}}
	new.NetworkInterfaces[0].Description = "changed"
	// Reordered rules are no change.
	a := new.acl("acl-00000001")
	a.Entries[0], a.Entries[1] = a.Entries[1], a.Entries[0]
	for i := range new.Subnets {
		new.Subnets[i].Raw = nil
	}
	new.NetworkInterfaces[0].Raw = nil
	new.SecurityGroups[0].Raw = nil
	new.NetworkAcls[0].Raw = nil
	new.ix = nil
	changes := Diff(old, new)
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.Impact+" "+c.Change+" "+c.ResourceType+" "+c.ResourceID+": "+c.Detail)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"widening added address eipalloc-00000009: new Elastic IP 198.51.100.9",
		"widening added exposure eni-00000001: newly reachable from the internet: tcp 3389 (ipv4, instance i-00000001) from 0.0.0.0/0",
		"widening changed security_group sg-00000001: new world-open ingress rule: tcp 3389 from 0.0.0.0/0",
		"widening added vpc_peering_connection pcx-00000001: new VPC peering vpc-00000001 (111122223333) <-> vpc-0000000f (999988887777)",
		"change changed subnet subnet-00000002: changed: Tags",
		"change changed network_interface eni-00000001: changed: Description",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "network_acl") {
		t.Errorf("reordered ACL entries reported:\n%s", text)
	}
	seenOther := false
	for _, c := range changes {
		if c.Impact != "widening" {
			seenOther = true
		} else if seenOther {
			t.Fatalf("widening change after others:\n%s", text)
		}
	}
}

func TestToASFF(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f := FindingInput{ID: "42", Detection: "port-scan", Title: "Port scan from 198.51.100.7", Severity: "high", Technique: "T1046", Tactic: "Discovery",
		FirstSeen: now.Add(-time.Hour), LastSeen: now.Add(-time.Minute), Interfaces: []ResourceRef{{ID: "eni-00000001"}, {ID: "eni-00000002", Account: "444455556666", Region: "us-west-2"}},
		SrcAddr: "198.51.100.7", SrcPort: 40000, DstAddr: "10.0.1.10", DstPort: 22, Protocol: "tcp", Direction: "IN", Evidence: 120, Part: "111122223333/eu-west-1"}
	a, err := ToASFF(f, ASFFOptions{Account: "111122223333", Region: "eu-west-1", Now: now, Case: "case-1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(a)
	for _, want := range []string{`"SchemaVersion":"2018-10-08"`, `"Id":"flowir/case-1/42/111122223333/eu-west-1"`, `"flowir/finding_id":"42"`, `"ProductArn":"arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"`,
		`"GeneratorId":"flowir/port-scan"`, `"Types":["TTPs/Discovery/T1046 port-scan"]`, `"Severity":{"Label":"HIGH","Original":"high"}`,
		`"Id":"arn:aws:ec2:eu-west-1:111122223333:network-interface/eni-00000001"`, `"SourceIpV4":"198.51.100.7"`, `"Direction":"IN"`,
		`"Id":"arn:aws:ec2:us-west-2:444455556666:network-interface/eni-00000002","Region":"us-west-2"`,
		`"DestinationIpV4":"10.0.1.10","DestinationPort":22,"SourcePort":40000`,
		`"CreatedAt":"2024-05-01T11:00:00Z"`, `"UpdatedAt":"2024-05-01T12:00:00Z"`, `"flowir/evidence_records":"120"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s\nlacks %s", b, want)
		}
	}
	if _, err := ToASFF(f, ASFFOptions{Region: "eu-west-1"}); err == nil || !strings.Contains(err.Error(), "--account") {
		t.Errorf("missing account: %v", err)
	}
	f.Tactic, f.Interfaces = "Exfiltration", nil
	a, _ = ToASFF(f, ASFFOptions{Account: "111122223333", Region: "cn-north-1", Now: now})
	if a.Types[0] != "Effects/Data Exfiltration/T1046 port-scan" || a.Resources[0].Type != "AwsAccount" || !strings.HasPrefix(a.ProductArn, "arn:aws-cn:") {
		t.Errorf("%+v", a)
	}
}

func TestOwnersAndCIDRs(t *testing.T) {
	inv := baseInventory(t)
	o := inv.Owners()["eni-00000001"]
	if o.OwnerType != "instance" || o.OwnerID != "i-00000001" || o.OwnerName != "web-1" || o.SubnetID != "subnet-00000001" ||
		strings.Join(o.SecurityGroups, ",") != "sg-00000001" || strings.Join(o.PublicIPs, ",") != "203.0.113.10" {
		t.Fatalf("owner %+v", o)
	}
	cidrs := inv.VPCCIDRs()
	if len(cidrs) != 2 || cidrs[0].CIDR != "10.0.0.0/16" || cidrs[1].CIDR != "2600:1f18:aaaa:bb00::/56" {
		t.Fatalf("cidrs %+v", cidrs)
	}
	in := inv.NewInternal()
	if in.IsExternal("10.0.1.5") || !in.IsExternal("198.51.100.7") || in.IsExternal("2600:1f18:aaaa:bb01::1") || !in.IsExternal("2600:1f18:ffff::1") {
		t.Fatal("internal/external")
	}
	s := SummarizeSeen([]SourceAgg{{"198.51.100.7", 3, 300, 100, 200}, {"10.0.0.9", 5, 1, 50, 60}, {"203.0.113.1", 3, 10, 90, 300}}, in)
	if s.Records != 6 || s.Sources != 2 || s.Bytes != 310 || s.FirstSeen.Unix() != 90 || s.LastSeen.Unix() != 300 || s.TopSource != "198.51.100.7" {
		t.Fatalf("seen %+v", s)
	}
}

func FuzzImportJSON(f *testing.F) {
	for _, d := range baseDocs {
		f.Add([]byte(d))
	}
	f.Add([]byte(`[{"CheckID":"x","Status":"FAIL"}]`))
	f.Add([]byte(`{"Entries":[{"Cidr":"1.2.3.0/24"}],"PrefixListId":"pl-12345678"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv := &Inventory{}
		if _, err := inv.ImportJSON("fuzz.json", data, ImportOptions{}); err != nil {
			return
		}
		inv.Finish()
		_ = inv.Evaluate()
		_ = inv.Gaps()
		_ = Diff(&Inventory{}, inv)
	})
}
