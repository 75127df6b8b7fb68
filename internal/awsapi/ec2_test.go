package awsapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/inventory"
)

// ec2Server speaks EC2's query protocol: form-encoded POSTs with an Action,
// XML answers whose sets are <item> lists, NextToken pagination, and
// <Response><Errors> error documents. pages maps an Action to the bodies of
// its successive pages (inside the <ActionResponse> element); a page that
// is not the last carries <nextToken>.
type ec2Server struct {
	*httptest.Server
	mu       sync.Mutex
	pages    map[string][]string
	throttle map[string]int // Action -> number of RequestLimitExceeded answers before success
	calls    []url.Values
}

func newEC2Server(t *testing.T, pages map[string][]string) *ec2Server {
	t.Helper()
	s := &ec2Server{pages: pages, throttle: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ec2Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		http.Error(w, "EC2 query protocol expects a form POST", http.StatusBadRequest)
		return
	}
	if !strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		http.Error(w, "unsigned", http.StatusForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := r.PostForm
	action := form.Get("Action")
	s.mu.Lock()
	s.calls = append(s.calls, form)
	if s.throttle[action] > 0 {
		s.throttle[action]--
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-throttle</RequestID></Response>`)
		return
	}
	pages := s.pages[action]
	s.mu.Unlock()
	if form.Get("Version") != "2016-11-15" {
		http.Error(w, "missing Version", http.StatusBadRequest)
		return
	}
	if pages == nil {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<Response><Errors><Error><Code>InvalidAction</Code><Message>The action %s is not valid for this web service.</Message></Error></Errors><RequestID>req-x</RequestID></Response>`, action)
		return
	}
	i := 0
	if tok := form.Get("NextToken"); tok != "" {
		fmt.Sscanf(tok, "page-%d", &i)
	}
	if i >= len(pages) {
		http.Error(w, "bad NextToken", http.StatusBadRequest)
		return
	}
	body := pages[i]
	if i+1 < len(pages) {
		body += fmt.Sprintf("<nextToken>page-%d</nextToken>", i+1)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-%d</requestId>%s</%sResponse>`, action, i, body, action)
}

func (s *ec2Server) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.calls {
		a := c.Get("Action")
		if tok := c.Get("NextToken"); tok != "" {
			a += "(" + tok + ")"
		}
		out = append(out, a)
	}
	return out
}

// inventoryPages is a small account in EC2's XML: two pages of VPCs, a
// security group with a world-open rule and a group reference, a network ACL,
// a route table, an interface with a public IP, an Elastic IP, a flow log, a
// prefix list with entries on two pages, and an instance.
var inventoryPages = map[string][]string{
	"DescribeVpcs": {
		`<vpcSet><item><vpcId>vpc-00000001</vpcId><ownerId>111122223333</ownerId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><isDefault>false</isDefault></item></vpcSet>`,
		`<vpcSet><item><vpcId>vpc-00000002</vpcId><ownerId>111122223333</ownerId><cidrBlock>10.1.0.0/16</cidrBlock>
		  <ipv6CidrBlockAssociationSet><item><ipv6CidrBlock>2600:1f18:aaaa:bb00::/56</ipv6CidrBlock><ipv6CidrBlockState><state>associated</state></ipv6CidrBlockState></item></ipv6CidrBlockAssociationSet></item></vpcSet>`,
	},
	"DescribeSubnets": {`<subnetSet><item><subnetId>subnet-00000001</subnetId><vpcId>vpc-00000001</vpcId><cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>eu-west-1a</availabilityZone><mapPublicIpOnLaunch>true</mapPublicIpOnLaunch></item></subnetSet>`},
	"DescribeRouteTables": {`<routeTableSet><item><routeTableId>rtb-00000001</routeTableId><vpcId>vpc-00000001</vpcId>
		<routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item>
		<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-00000001</gatewayId><state>active</state><origin>CreateRoute</origin></item></routeSet>
		<associationSet><item><routeTableAssociationId>rtbassoc-1</routeTableAssociationId><routeTableId>rtb-00000001</routeTableId><main>true</main><associationState><state>associated</state></associationState></item></associationSet>
		</item></routeTableSet>`},
	"DescribeSecurityGroups": {`<securityGroupInfo><item><ownerId>111122223333</ownerId><groupId>sg-00000001</groupId><groupName>web</groupName><groupDescription>web tier</groupDescription><vpcId>vpc-00000001</vpcId>
		<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>https</description></item></ipRanges><ipv6Ranges/><prefixListIds/></item>
		<item><ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort><groups><item><groupId>sg-00000002</groupId><userId>111122223333</userId></item></groups><ipRanges/></item></ipPermissions>
		<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissionsEgress></item></securityGroupInfo>`},
	"DescribeNetworkAcls": {`<networkAclSet><item><networkAclId>acl-00000001</networkAclId><vpcId>vpc-00000001</vpcId><default>true</default>
		<entrySet><item><ruleNumber>100</ruleNumber><protocol>-1</protocol><ruleAction>allow</ruleAction><egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock></item>
		<item><ruleNumber>90</ruleNumber><protocol>6</protocol><ruleAction>deny</ruleAction><egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock><portRange><from>22</from><to>22</to></portRange></item>
		<item><ruleNumber>100</ruleNumber><protocol>-1</protocol><ruleAction>allow</ruleAction><egress>true</egress><cidrBlock>0.0.0.0/0</cidrBlock></item></entrySet>
		<associationSet><item><networkAclAssociationId>aclassoc-1</networkAclAssociationId><networkAclId>acl-00000001</networkAclId><subnetId>subnet-00000001</subnetId></item></associationSet></item></networkAclSet>`},
	"DescribeNetworkInterfaces": {`<networkInterfaceSet><item><networkInterfaceId>eni-00000001</networkInterfaceId><subnetId>subnet-00000001</subnetId><vpcId>vpc-00000001</vpcId>
		<availabilityZone>eu-west-1a</availabilityZone><ownerId>111122223333</ownerId><requesterManaged>false</requesterManaged><status>in-use</status><interfaceType>interface</interfaceType>
		<privateIpAddress>10.0.1.10</privateIpAddress><sourceDestCheck>true</sourceDestCheck>
		<groupSet><item><groupId>sg-00000001</groupId><groupName>web</groupName></item></groupSet>
		<attachment><attachmentId>eni-attach-1</attachmentId><instanceId>i-00000001</instanceId><instanceOwnerId>111122223333</instanceOwnerId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>2024-05-01T10:00:00.000Z</attachTime></attachment>
		<association><publicIp>198.51.100.10</publicIp><allocationId>eipalloc-00000001</allocationId><ipOwnerId>111122223333</ipOwnerId></association>
		<privateIpAddressesSet><item><privateIpAddress>10.0.1.10</privateIpAddress><primary>true</primary></item></privateIpAddressesSet>
		<ipv6AddressesSet/><tagSet/></item></networkInterfaceSet>`},
	"DescribeInternetGateways":           {`<internetGatewaySet><item><internetGatewayId>igw-00000001</internetGatewayId><ownerId>111122223333</ownerId><attachmentSet><item><vpcId>vpc-00000001</vpcId><state>available</state></item></attachmentSet></item></internetGatewaySet>`},
	"DescribeEgressOnlyInternetGateways": {`<egressOnlyInternetGatewaySet/>`},
	"DescribeNatGateways":                {`<natGatewaySet/>`},
	"DescribeVpcEndpoints":               {`<vpcEndpointSet/>`},
	"DescribeVpcPeeringConnections":      {`<vpcPeeringConnectionSet/>`},
	"DescribeCustomerGateways":           {`<customerGatewaySet/>`},
	"DescribeVpnGateways":                {`<vpnGatewaySet/>`},
	"DescribeVpnConnections":             {`<vpnConnectionSet/>`},
	"DescribeAddresses":                  {`<addressesSet><item><publicIp>198.51.100.10</publicIp><allocationId>eipalloc-00000001</allocationId><domain>vpc</domain><networkInterfaceId>eni-00000001</networkInterfaceId><privateIpAddress>10.0.1.10</privateIpAddress></item></addressesSet>`},
	"DescribeFlowLogs": {`<flowLogSet><item><flowLogId>fl-00000001</flowLogId><resourceId>vpc-00000001</resourceId><trafficType>ALL</trafficType><logDestinationType>s3</logDestinationType>
		<logDestination>arn:aws:s3:::ir-logs</logDestination><maxAggregationInterval>600</maxAggregationInterval><flowLogStatus>ACTIVE</flowLogStatus><deliverLogsStatus>SUCCESS</deliverLogsStatus>
		<creationTime>2024-05-01T10:00:00.000Z</creationTime><logFormat>${version} ${srcaddr}</logFormat></item></flowLogSet>`},
	"DescribeManagedPrefixLists": {`<prefixListSet><item><prefixListId>pl-00000001</prefixListId><prefixListName>partners</prefixListName><addressFamily>IPv4</addressFamily><ownerId>111122223333</ownerId><maxEntries>5</maxEntries><version>1</version></item></prefixListSet>`},
	"GetManagedPrefixListEntries": {
		`<entrySet><item><cidr>198.51.100.0/24</cidr><description>a</description></item></entrySet>`,
		`<entrySet><item><cidr>203.0.113.0/24</cidr></item></entrySet>`,
	},
	"DescribeInstances": {`<reservationSet><item><reservationId>r-1</reservationId><ownerId>111122223333</ownerId><instancesSet><item><instanceId>i-00000001</instanceId><instanceType>t3.micro</instanceType>
		<instanceState><code>16</code><name>running</name></instanceState><vpcId>vpc-00000001</vpcId><subnetId>subnet-00000001</subnetId>
		<tagSet><item><key>Name</key><value>web-1</value></item></tagSet></item></instancesSet></item></reservationSet>`},
}

func TestEC2SnapshotAllPagesAndThrottling(t *testing.T) {
	awstest.Env(t)
	awsapi.RetryBase = time.Millisecond
	srv := newEC2Server(t, inventoryPages)
	srv.throttle["DescribeSubnets"] = 2
	c, err := awsapi.NewEC2Client(context.Background(), awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{}
	var apis []string
	err = c.Snapshot(context.Background(), func(p awsapi.InventoryPage) error {
		apis = append(apis, fmt.Sprintf("%s#%d", p.API, p.Page))
		_, err := inv.ImportJSON("ec2:"+p.API, p.JSON, inventory.ImportOptions{Region: p.Region})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	inv.Finish()
	got := strings.Join(srv.actions(), " ")
	for _, want := range []string{"DescribeVpcs DescribeVpcs(page-1)", "DescribeSubnets DescribeSubnets DescribeSubnets ",
		"GetManagedPrefixListEntries GetManagedPrefixListEntries(page-1)", "DescribeInstances"} {
		if !strings.Contains(got, want) {
			t.Errorf("calls %q lack %q", got, want)
		}
	}
	if len(apis) != 20 || apis[0] != "DescribeVpcs#1" || apis[1] != "DescribeVpcs#2" {
		t.Errorf("pages %v", apis)
	}
	c2 := inv.Counts()
	if c2["vpc"] != 2 || c2["subnet"] != 1 || c2["security_group"] != 1 || c2["network_acl"] != 1 || c2["network_interface"] != 1 ||
		c2["address"] != 1 || c2["flow_log"] != 1 || c2["prefix_list"] != 1 || c2["prefix_list_entries"] != 1 || c2["instance"] != 1 || c2["internet_gateway"] != 1 {
		t.Fatalf("counts %v", c2)
	}
	// The JSON the SDK's types marshal to is what the aws CLI prints: the
	// fields exposure needs arrive intact.
	sg := inv.SecurityGroups[0]
	if sg.Description != "web tier" || len(sg.IpPermissions) != 2 || *sg.IpPermissions[0].FromPort != 443 || sg.IpPermissions[0].IpRanges[0].CidrIp != "0.0.0.0/0" ||
		sg.IpPermissions[1].UserIdGroupPairs[0].GroupId != "sg-00000002" {
		t.Errorf("security group %+v", sg)
	}
	acl := inv.NetworkAcls[0]
	if !acl.IsDefault || len(acl.Entries) != 3 || acl.Entries[1].RuleNumber != 90 || *acl.Entries[1].PortRange.From != 22 || acl.Entries[2].Egress != true {
		t.Errorf("acl %+v", acl)
	}
	if inv.PrefixListEntries[0].PrefixListId != "pl-00000001" || len(inv.PrefixListEntries[0].Entries) != 2 {
		t.Errorf("prefix list entries %+v", inv.PrefixListEntries)
	}
	if inv.Instances[0].Tags.Get("Name") != "web-1" || *inv.Instances[0].State.Code != 16 || inv.FlowLogs[0].MaxAggregationInterval != 600 || inv.FlowLogs[0].CreationTime != "2024-05-01T10:00:00Z" {
		t.Errorf("instance %+v flow log %+v", inv.Instances[0], inv.FlowLogs[0])
	}
	if inv.Vpcs[1].Region != "eu-west-1" || inv.Vpcs[1].CIDRs()[1] != "2600:1f18:aaaa:bb00::/56" {
		t.Errorf("vpc %+v", inv.Vpcs[1])
	}
	rep := inv.Evaluate()
	if len(rep.Exposures) != 1 || rep.Exposures[0].Ports != "443" || rep.Exposures[0].OwnerName != "web-1" || !strings.Contains(rep.Exposures[0].Path, "Elastic IP 198.51.100.10 (eipalloc-00000001)") {
		t.Fatalf("exposures %+v", rep.Exposures)
	}
}

func TestEC2SnapshotErrors(t *testing.T) {
	awstest.Env(t)
	awsapi.RetryBase = time.Millisecond
	pages := map[string][]string{"DescribeVpcs": inventoryPages["DescribeVpcs"]}
	srv := newEC2Server(t, pages)
	c, err := awsapi.NewEC2Client(context.Background(), awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1", MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Snapshot(context.Background(), func(awsapi.InventoryPage) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "EC2 DescribeSubnets in eu-west-1") || !strings.Contains(err.Error(), "InvalidAction") {
		t.Fatalf("error %v", err)
	}
	srv.throttle["DescribeVpcs"] = 5
	err = c.Snapshot(context.Background(), func(awsapi.InventoryPage) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "still throttled after retries") {
		t.Fatalf("throttling error %v", err)
	}
}

func TestEC2CreateFlowLogsAndNATGateways(t *testing.T) {
	awstest.Env(t)
	awsapi.RetryBase = time.Millisecond
	srv := newEC2Server(t, map[string][]string{
		"CreateFlowLogs":      {`<flowLogIdSet><item>fl-0000000a</item></flowLogIdSet><unsuccessful><item><resourceId>vpc-0000000b</resourceId><error><code>InvalidVpcID.NotFound</code><message>The vpc ID 'vpc-0000000b' does not exist</message></error></item></unsuccessful>`},
		"DescribeNatGateways": {`<natGatewaySet><item><natGatewayId>nat-00000001</natGatewayId><state>available</state></item><item><natGatewayId>nat-00000002</natGatewayId><state>deleted</state></item></natGatewaySet>`, `<natGatewaySet><item><natGatewayId>nat-00000003</natGatewayId><state>available</state></item></natGatewaySet>`},
	})
	c, err := awsapi.NewEC2Client(context.Background(), awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := c.CreateFlowLogs(context.Background(), awsapi.FlowLogCreate{ResourceType: "VPC", ResourceIDs: []string{"vpc-0000000a", "vpc-0000000b"},
		TrafficType: "ALL", Destination: "arn:aws:s3:::ir-logs/flow/", Interval: 60, LogFormat: "${version} ${srcaddr}", FileFormat: "parquet", Hive: true})
	if len(ids) != 1 || ids[0] != "fl-0000000a" || err == nil || !strings.Contains(err.Error(), "vpc-0000000b: InvalidVpcID.NotFound") {
		t.Fatalf("ids %v err %v", ids, err)
	}
	f := srv.calls[0]
	for k, v := range map[string]string{"ResourceType": "VPC", "ResourceId.1": "vpc-0000000a", "ResourceId.2": "vpc-0000000b", "TrafficType": "ALL",
		"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::ir-logs/flow/", "MaxAggregationInterval": "60", "LogFormat": "${version} ${srcaddr}",
		"DestinationOptions.FileFormat": "parquet", "DestinationOptions.HiveCompatiblePartitions": "true", "DestinationOptions.PerHourPartition": "false"} {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	nats, err := c.NATGatewayIDs(context.Background())
	if err != nil || strings.Join(nats, ",") != "nat-00000001,nat-00000003" {
		t.Fatalf("nat gateways %v %v", nats, err)
	}
}
