package inventory

import (
	"strings"
	"testing"
)

// baseDocs is a small account as `aws ec2 describe-*` prints it: one VPC with
// a public subnet (explicit route table with a default route to an attached
// internet gateway) and a private subnet (main route table, default route to a
// NAT gateway); the default network ACL allows everything; the web interface
// has a public IPv4 address and an IPv6 address, and its security group
// opens tcp 22 to 0.0.0.0/0.
var baseDocs = map[string]string{
	"vpcs.json": `{"Vpcs":[{"VpcId":"vpc-00000001","OwnerId":"111122223333","CidrBlock":"10.0.0.0/16",
		"Ipv6CidrBlockAssociationSet":[{"Ipv6CidrBlock":"2600:1f18:aaaa:bb00::/56","Ipv6CidrBlockState":{"State":"associated"}}]}]}`,
	"subnets.json": `{"Subnets":[
		{"SubnetId":"subnet-00000001","VpcId":"vpc-00000001","CidrBlock":"10.0.1.0/24","AvailabilityZone":"eu-west-1a"},
		{"SubnetId":"subnet-00000002","VpcId":"vpc-00000001","CidrBlock":"10.0.2.0/24","AvailabilityZone":"eu-west-1b"}]}`,
	"rt.json": `{"RouteTables":[
		{"RouteTableId":"rtb-00000001","VpcId":"vpc-00000001","Associations":[{"SubnetId":"subnet-00000001","RouteTableId":"rtb-00000001","Main":false,"AssociationState":{"State":"associated"}}],
		 "Routes":[{"DestinationCidrBlock":"10.0.0.0/16","GatewayId":"local","State":"active"},
		           {"DestinationIpv6CidrBlock":"2600:1f18:aaaa:bb00::/56","GatewayId":"local","State":"active"},
		           {"DestinationCidrBlock":"0.0.0.0/0","GatewayId":"igw-00000001","State":"active"},
		           {"DestinationIpv6CidrBlock":"::/0","GatewayId":"igw-00000001","State":"active"}]},
		{"RouteTableId":"rtb-00000002","VpcId":"vpc-00000001","Associations":[{"Main":true,"RouteTableId":"rtb-00000002"}],
		 "Routes":[{"DestinationCidrBlock":"10.0.0.0/16","GatewayId":"local","State":"active"},
		           {"DestinationCidrBlock":"0.0.0.0/0","NatGatewayId":"nat-00000001","State":"active"}]}]}`,
	"igw.json": `{"InternetGateways":[{"InternetGatewayId":"igw-00000001","Attachments":[{"VpcId":"vpc-00000001","State":"available"}]}]}`,
	"acl.json": `{"NetworkAcls":[{"NetworkAclId":"acl-00000001","VpcId":"vpc-00000001","IsDefault":true,
		"Associations":[{"SubnetId":"subnet-00000001","NetworkAclId":"acl-00000001"},{"SubnetId":"subnet-00000002","NetworkAclId":"acl-00000001"}],
		"Entries":[
		 {"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0"},
		 {"RuleNumber":32767,"Protocol":"-1","RuleAction":"deny","Egress":false,"CidrBlock":"0.0.0.0/0"},
		 {"RuleNumber":101,"Protocol":"-1","RuleAction":"allow","Egress":false,"Ipv6CidrBlock":"::/0"},
		 {"RuleNumber":32768,"Protocol":"-1","RuleAction":"deny","Egress":false,"Ipv6CidrBlock":"::/0"},
		 {"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":true,"CidrBlock":"0.0.0.0/0"},
		 {"RuleNumber":32767,"Protocol":"-1","RuleAction":"deny","Egress":true,"CidrBlock":"0.0.0.0/0"},
		 {"RuleNumber":101,"Protocol":"-1","RuleAction":"allow","Egress":true,"Ipv6CidrBlock":"::/0"},
		 {"RuleNumber":32768,"Protocol":"-1","RuleAction":"deny","Egress":true,"Ipv6CidrBlock":"::/0"}]}]}`,
	"sg.json": `{"SecurityGroups":[{"GroupId":"sg-00000001","GroupName":"web","VpcId":"vpc-00000001",
		"IpPermissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}],"Ipv6Ranges":[],"PrefixListIds":[],"UserIdGroupPairs":[]}],
		"IpPermissionsEgress":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]}]}`,
	"eni.json": `{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-00000001","InterfaceType":"interface","Status":"in-use",
		"VpcId":"vpc-00000001","SubnetId":"subnet-00000001","AvailabilityZone":"eu-west-1a","OwnerId":"111122223333",
		"PrivateIpAddress":"10.0.1.10","PrivateIpAddresses":[{"PrivateIpAddress":"10.0.1.10","Primary":true,
			"Association":{"PublicIp":"203.0.113.10","IpOwnerId":"amazon"}}],
		"Association":{"PublicIp":"203.0.113.10","IpOwnerId":"amazon"},
		"Ipv6Addresses":[{"Ipv6Address":"2600:1f18:aaaa:bb01::10"}],
		"Attachment":{"InstanceId":"i-00000001","Status":"attached","DeviceIndex":0},
		"Groups":[{"GroupId":"sg-00000001","GroupName":"web"}]}]}`,
	"instances.json": `{"Reservations":[{"Instances":[{"InstanceId":"i-00000001","VpcId":"vpc-00000001","Tags":[{"Key":"Name","Value":"web-1"}]}]}]}`,
}

func baseInventory(t *testing.T) *Inventory {
	t.Helper()
	inv := &Inventory{}
	for _, name := range []string{"vpcs.json", "subnets.json", "rt.json", "igw.json", "acl.json", "sg.json", "eni.json", "instances.json"} {
		if _, err := inv.ImportJSON(name, []byte(baseDocs[name]), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	inv.Finish()
	return inv
}

func port(n int) *int { return &n }

// open renders the exposures of one interface as "family proto ports" lines.
func open(rep *Report, eni string) []string {
	var out []string
	for _, e := range rep.Exposures {
		if e.InterfaceID == eni {
			out = append(out, e.Family+" "+e.Protocol+" "+e.Ports)
		}
	}
	return out
}

func verdict(rep *Report, eni string) Verdict {
	for _, v := range rep.Verdicts {
		if v.InterfaceID == eni {
			return v
		}
	}
	return Verdict{}
}

func (inv *Inventory) sg(id string) *SecurityGroup { inv.ix = nil; return inv.lookup().sg[id] }
func (inv *Inventory) acl(id string) *NetworkAcl {
	for i := range inv.NetworkAcls {
		if inv.NetworkAcls[i].NetworkAclId == id {
			inv.ix = nil
			return &inv.NetworkAcls[i]
		}
	}
	return nil
}

func TestExposureReasons(t *testing.T) {
	tests := []struct {
		name   string
		modify func(inv *Inventory)
		open   []string // expected world exposures of eni-00000001
		status string
		reason string // substring of the verdict's reason or notes
	}{
		{
			name:   "public IPv4, internet route, world-open SSH",
			modify: func(inv *Inventory) {},
			open:   []string{"ipv4 tcp 22"},
			status: "exposed",
		},
		{
			name: "no public IP",
			modify: func(inv *Inventory) {
				n := &inv.NetworkInterfaces[0]
				n.Association = nil
				n.PrivateIpAddresses[0].Association = nil
				n.Ipv6Addresses = nil
			},
			status: "not_exposed",
			reason: "no public IPv4 address",
		},
		{
			name: "no internet route: only the local route",
			modify: func(inv *Inventory) {
				inv.RouteTables[0].Routes = inv.RouteTables[0].Routes[:2]
			},
			status: "not_exposed",
			reason: "no route to an internet gateway for ipv4",
		},
		{
			name: "route via NAT only: the subnet uses the main table whose default route is a NAT gateway",
			modify: func(inv *Inventory) {
				inv.RouteTables[0].Associations = nil // subnet falls back to the main table rtb-00000002
				inv.NetworkInterfaces[0].Ipv6Addresses = nil
			},
			status: "not_exposed",
			reason: "0.0.0.0/0 -> nat-00000001",
		},
		{
			name: "security group from a private range",
			modify: func(inv *Inventory) {
				inv.sg("sg-00000001").IpPermissions[0].IpRanges = []IpRange{{CidrIp: "10.0.0.0/8"}}
			},
			status: "not_exposed",
			reason: "no security group rule admits the internet over ipv4 (sg-00000001 tcp 22 from 10.0.0.0/8)",
		},
		{
			name: "security group referencing another group is not the internet",
			modify: func(inv *Inventory) {
				p := &inv.sg("sg-00000001").IpPermissions[0]
				p.IpRanges = nil
				p.UserIdGroupPairs = []UserIdGroupPair{{GroupId: "sg-00000009"}}
			},
			status: "not_exposed",
			reason: "not the internet",
		},
		{
			name: "NACL deny before allow wins",
			modify: func(inv *Inventory) {
				a := inv.acl("acl-00000001")
				a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: 90, Protocol: "6", RuleAction: "deny", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: port(22), To: port(22)}})
			},
			status: "not_exposed",
			reason: "acl-00000001 in #90 deny tcp 22 0.0.0.0/0",
		},
		{
			name: "NACL deny after the allow does not matter",
			modify: func(inv *Inventory) {
				a := inv.acl("acl-00000001")
				a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: 110, Protocol: "6", RuleAction: "deny", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: port(22), To: port(22)}})
			},
			open:   []string{"ipv4 tcp 22"},
			status: "exposed",
		},
		{
			name: "NACL outbound without ephemeral ports blocks the replies",
			modify: func(inv *Inventory) {
				a := inv.acl("acl-00000001")
				for i := range a.Entries {
					if a.Entries[i].Egress && a.Entries[i].RuleNumber == 100 {
						a.Entries[i].Protocol = "6"
						a.Entries[i].PortRange = &PortRange{From: port(443), To: port(443)}
					}
				}
			},
			status: "not_exposed",
			reason: "outbound rules block the ipv4 replies",
		},
		{
			name: "NACL outbound allowing only part of the ephemeral range still lets clients connect",
			modify: func(inv *Inventory) {
				a := inv.acl("acl-00000001")
				for i := range a.Entries {
					if a.Entries[i].Egress && a.Entries[i].RuleNumber == 100 {
						a.Entries[i].Protocol = "6"
						a.Entries[i].PortRange = &PortRange{From: port(32768), To: port(65535)}
					}
				}
			},
			open:   []string{"ipv4 tcp 22"},
			status: "exposed",
		},
		{
			name: "IPv6-only path",
			modify: func(inv *Inventory) {
				n := &inv.NetworkInterfaces[0]
				n.Association = nil
				n.PrivateIpAddresses[0].Association = nil
				inv.sg("sg-00000001").IpPermissions = []IpPermission{{IpProtocol: "tcp", FromPort: port(443), ToPort: port(443), Ipv6Ranges: []Ipv6Range{{CidrIpv6: "::/0"}}}}
			},
			open:   []string{"ipv6 tcp 443"},
			status: "exposed",
		},
		{
			name: "IPv6 through an egress-only internet gateway is not reachable",
			modify: func(inv *Inventory) {
				n := &inv.NetworkInterfaces[0]
				n.Association = nil
				n.PrivateIpAddresses[0].Association = nil
				rt := &inv.RouteTables[0]
				rt.Routes[3] = Route{DestinationIpv6CidrBlock: "::/0", EgressOnlyInternetGatewayId: "eigw-00000001", State: "active"}
				inv.sg("sg-00000001").IpPermissions = []IpPermission{{IpProtocol: "tcp", FromPort: port(443), ToPort: port(443), Ipv6Ranges: []Ipv6Range{{CidrIpv6: "::/0"}}}}
			},
			status: "not_exposed",
			reason: "::/0 -> eigw-00000001",
		},
		{
			name: "prefix list whose entries are unknown is not the internet",
			modify: func(inv *Inventory) {
				p := &inv.sg("sg-00000001").IpPermissions[0]
				p.IpRanges = nil
				p.PrefixListIds = []PrefixListRef{{PrefixListId: "pl-00000001"}}
			},
			status: "not_exposed",
			reason: "entries are not in the inventory",
		},
		{
			name: "prefix list containing 0.0.0.0/0 is world-open",
			modify: func(inv *Inventory) {
				p := &inv.sg("sg-00000001").IpPermissions[0]
				p.IpRanges = nil
				p.PrefixListIds = []PrefixListRef{{PrefixListId: "pl-00000001"}}
				inv.PrefixListEntries = []PrefixListEntries{{PrefixListId: "pl-00000001", Entries: []PrefixListEntry{{Cidr: "0.0.0.0/0"}}}}
			},
			open:   []string{"ipv4 tcp 22"},
			status: "exposed",
		},
		{
			name: "prefix list of one partner range is restricted, not world",
			modify: func(inv *Inventory) {
				p := &inv.sg("sg-00000001").IpPermissions[0]
				p.IpRanges = nil
				p.PrefixListIds = []PrefixListRef{{PrefixListId: "pl-00000001"}}
				inv.PrefixLists = []PrefixList{{PrefixListId: "pl-00000001", Cidrs: []string{"198.51.100.0/24"}}}
			},
			status: "restricted",
			reason: "198.51.100.0/24",
		},
		{
			name: "security group from one office address is restricted",
			modify: func(inv *Inventory) {
				inv.sg("sg-00000001").IpPermissions[0].IpRanges = []IpRange{{CidrIp: "198.51.100.7/32"}}
			},
			status: "restricted",
			reason: "tcp 22 from 198.51.100.7/32",
		},
		{
			name: "Elastic IP known only from describe-addresses",
			modify: func(inv *Inventory) {
				n := &inv.NetworkInterfaces[0]
				n.Association = nil
				n.PrivateIpAddresses[0].Association = nil
				n.Ipv6Addresses = nil
				inv.Addresses = []Address{{AllocationId: "eipalloc-00000001", PublicIp: "198.51.100.20", NetworkInterfaceId: "eni-00000001", PrivateIpAddress: "10.0.1.10"}}
			},
			open:   []string{"ipv4 tcp 22"},
			status: "exposed",
		},
		{
			name: "internet gateway detached from the VPC",
			modify: func(inv *Inventory) {
				inv.InternetGateways[0].Attachments = nil
			},
			status: "not_exposed",
			reason: "no route to an internet gateway",
		},
		{
			name: "black-hole route",
			modify: func(inv *Inventory) {
				inv.RouteTables[0].Routes[2].State = "blackhole"
				inv.NetworkInterfaces[0].Ipv6Addresses = nil
			},
			status: "not_exposed",
			reason: "0.0.0.0/0 -> igw-00000001 (blackhole)",
		},
		{
			name: "interface denies internet gateway traffic",
			modify: func(inv *Inventory) {
				inv.NetworkInterfaces[0].DenyAllIgwTraffic = true
			},
			status: "not_exposed",
			reason: "DenyAllIgwTraffic",
		},
		{
			name: "detached interface",
			modify: func(inv *Inventory) {
				inv.NetworkInterfaces[0].Status = "available"
				inv.NetworkInterfaces[0].Attachment = nil
			},
			status: "not_exposed",
			reason: "not attached",
		},
		{
			name: "stopped instance",
			modify: func(inv *Inventory) {
				inv.Instances[0].State = &InstanceState{Name: "stopped"}
			},
			status: "not_exposed",
			reason: "its instance i-00000001 is stopped",
		},
		{
			name: "main route table with an internet route exposes a subnet without explicit association",
			modify: func(inv *Inventory) {
				inv.RouteTables[0].Associations = []RouteTableAssociation{{Main: true, RouteTableId: "rtb-00000001"}}
				inv.RouteTables[1].Associations = nil
			},
			open:   []string{"ipv4 tcp 22"},
			status: "exposed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := baseInventory(t)
			tc.modify(inv)
			inv.ix = nil
			rep := inv.Evaluate()
			got := open(rep, "eni-00000001")
			if strings.Join(got, "|") != strings.Join(tc.open, "|") {
				t.Errorf("open = %q, want %q", got, tc.open)
			}
			v := verdict(rep, "eni-00000001")
			if v.Status != tc.status {
				t.Errorf("status = %s, want %s (reason %q)", v.Status, tc.status, v.Reason)
			}
			text := v.Reason + " | " + strings.Join(v.Notes, " | ")
			if tc.reason != "" && !strings.Contains(text, tc.reason) {
				t.Errorf("reason %q does not mention %q", text, tc.reason)
			}
		})
	}
}

func TestExposurePortSplitsAndRows(t *testing.T) {
	t.Run("all traffic open collapses to one row", func(t *testing.T) {
		inv := baseInventory(t)
		inv.sg("sg-00000001").IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 all all" {
			t.Fatalf("open = %q", got)
		}
		if e := rep.Exposures[0]; e.Sources != "0.0.0.0/0" || e.OwnerType != "instance" || e.OwnerName != "web-1" || e.FromPort != nil {
			t.Fatalf("row = %+v", e)
		}
	})
	t.Run("a NACL deny of port 22 before allow-all splits the open ranges", func(t *testing.T) {
		inv := baseInventory(t)
		inv.sg("sg-00000001").IpPermissions = []IpPermission{{IpProtocol: "tcp", FromPort: port(0), ToPort: port(65535), IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
		a := inv.acl("acl-00000001")
		a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: 50, Protocol: "6", RuleAction: "deny", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: port(22), To: port(22)}})
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 tcp 0-21|ipv4 tcp 23-65535" {
			t.Fatalf("open = %q", got)
		}
		e := rep.Exposures[1]
		if *e.FromPort != 23 || *e.ToPort != 65535 {
			t.Fatalf("ports = %d-%d", *e.FromPort, *e.ToPort)
		}
	})
	t.Run("a deny of one /24 before allow leaves the port open to the rest of the internet", func(t *testing.T) {
		inv := baseInventory(t)
		a := inv.acl("acl-00000001")
		a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: 10, Protocol: "-1", RuleAction: "deny", CidrBlock: "198.51.100.0/24"})
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 tcp 22" {
			t.Fatalf("open = %q", got)
		}
		e := rep.Exposures[0]
		if e.Sources != "0.0.0.0/0 except 198.51.100.0/24" {
			t.Fatalf("sources = %q", e.Sources)
		}
		if !strings.Contains(strings.Join(e.NACLRules, "|"), "#10 deny") {
			t.Fatalf("nacl rules = %q", e.NACLRules)
		}
	})
	t.Run("two halves of the address space are the whole internet", func(t *testing.T) {
		inv := baseInventory(t)
		inv.sg("sg-00000001").IpPermissions[0].IpRanges = []IpRange{{CidrIp: "0.0.0.0/1"}, {CidrIp: "128.0.0.0/1"}}
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 tcp 22" || rep.Exposures[0].Sources != "0.0.0.0/0" {
			t.Fatalf("open = %q, %+v", got, rep.Exposures)
		}
	})
	t.Run("IPv4 and IPv6 open on the same port are one row", func(t *testing.T) {
		inv := baseInventory(t)
		inv.sg("sg-00000001").IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4+ipv6 tcp 22" {
			t.Fatalf("open = %q", got)
		}
		e := rep.Exposures[0]
		if strings.Join(e.PublicIPs, ",") != "203.0.113.10,2600:1f18:aaaa:bb01::10" || e.Sources != "0.0.0.0/0; ::/0" {
			t.Fatalf("row = %+v", e)
		}
	})
	t.Run("ICMP echo needs the echo reply out", func(t *testing.T) {
		inv := baseInventory(t)
		inv.sg("sg-00000001").IpPermissions = []IpPermission{{IpProtocol: "icmp", FromPort: port(8), ToPort: port(-1), IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
		a := inv.acl("acl-00000001")
		for i := range a.Entries {
			if a.Entries[i].Egress && a.Entries[i].RuleNumber == 100 {
				a.Entries[i].Protocol = "6"
			}
		}
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); len(got) != 0 {
			t.Fatalf("open = %q with the echo reply blocked", got)
		}
		a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: 120, Egress: true, Protocol: "1", RuleAction: "allow", CidrBlock: "0.0.0.0/0", IcmpTypeCode: &IcmpTypeCode{Type: port(0), Code: port(-1)}})
		inv.ix = nil
		rep = inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 icmp type 8 (echo request)" {
			t.Fatalf("open = %q", got)
		}
	})
	t.Run("all traffic admitted but only TCP replies may leave: only TCP is reachable", func(t *testing.T) {
		inv := baseInventory(t)
		inv.sg("sg-00000001").IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
		a := inv.acl("acl-00000001")
		for i := range a.Entries {
			if a.Entries[i].Egress && a.Entries[i].RuleNumber == 100 {
				a.Entries[i].Protocol = "6"
				a.Entries[i].PortRange = &PortRange{From: port(1024), To: port(65535)}
			}
		}
		inv.ix = nil
		rep := inv.Evaluate()
		if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 tcp 0-65535" {
			t.Fatalf("open = %q", got)
		}
	})
	t.Run("a load balancer interface names its load balancer", func(t *testing.T) {
		inv := baseInventory(t)
		n := &inv.NetworkInterfaces[0]
		n.Attachment = &NetworkInterfaceAttachment{InstanceOwnerId: "amazon-elb", Status: "attached"}
		n.InterfaceType = "interface"
		n.RequesterId = "amazon-elb"
		n.Description = "ELB app/public-alb/50dc6c495c0c9188"
		inv.ix = nil
		rep := inv.Evaluate()
		if len(rep.Exposures) != 1 || rep.Exposures[0].OwnerType != "load_balancer" || rep.Exposures[0].OwnerID != "app/public-alb/50dc6c495c0c9188" || rep.Exposures[0].OwnerName != "public-alb" {
			t.Fatalf("exposures = %+v", rep.Exposures)
		}
	})
	t.Run("a NAT gateway interface is never exposed", func(t *testing.T) {
		inv := baseInventory(t)
		n := &inv.NetworkInterfaces[0]
		n.InterfaceType = "nat_gateway"
		n.Attachment = nil
		n.Groups = nil
		inv.ix = nil
		rep := inv.Evaluate()
		v := verdict(rep, "eni-00000001")
		if len(rep.Exposures) != 0 || v.Status != "not_exposed" || !strings.Contains(v.Reason, "NAT gateway") {
			t.Fatalf("exposures = %+v, verdict %+v", rep.Exposures, v)
		}
	})
}

func TestInterfacesWithoutSecurityGroups(t *testing.T) {
	for typ, want := range map[string]string{"network_load_balancer": "unknown", "gateway_load_balancer_endpoint": "not_exposed"} {
		inv := baseInventory(t)
		n := &inv.NetworkInterfaces[0]
		n.InterfaceType, n.Groups, n.Attachment = typ, nil, &NetworkInterfaceAttachment{InstanceOwnerId: "amazon-aws"}
		inv.ix = nil
		rep := inv.Evaluate()
		if v := verdict(rep, "eni-00000001"); v.Status != want || len(rep.Exposures) != 0 {
			t.Errorf("%s: %+v", typ, v)
		}
	}
}

func TestInterfacesFromInstances(t *testing.T) {
	inv := baseInventory(t)
	inv.NetworkInterfaces = nil
	inv.Instances = nil
	doc := `{"Reservations":[{"Instances":[{"InstanceId":"i-00000001","VpcId":"vpc-00000001","SubnetId":"subnet-00000001","State":{"Code":16,"Name":"running"},
		"Placement":{"AvailabilityZone":"eu-west-1a"},"Tags":[{"Key":"Name","Value":"web-1"}],
		"NetworkInterfaces":[{"NetworkInterfaceId":"eni-00000001","Status":"in-use","PrivateIpAddress":"10.0.1.10",
			"Association":{"PublicIp":"203.0.113.10","IpOwnerId":"amazon"},"Attachment":{"AttachmentId":"eni-attach-1","DeviceIndex":0,"Status":"attached"},
			"Groups":[{"GroupId":"sg-00000001","GroupName":"web"}],"PrivateIpAddresses":[{"PrivateIpAddress":"10.0.1.10","Primary":true}]}]}]}]}`
	if _, err := inv.ImportJSON("instances.json", []byte(doc), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	inv.Finish()
	if len(inv.NetworkInterfaces) != 1 || inv.NetworkInterfaces[0].Attachment.InstanceId != "i-00000001" || inv.NetworkInterfaces[0].Region != "eu-west-1" ||
		!strings.Contains(inv.NetworkInterfaces[0].Source, "interface of instance i-00000001") {
		t.Fatalf("interfaces %+v", inv.NetworkInterfaces)
	}
	rep := inv.Evaluate()
	if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 tcp 22" || rep.Exposures[0].OwnerName != "web-1" {
		t.Fatalf("open = %q", got)
	}
	// Finish again (as after loading a stored snapshot) adds nothing twice.
	inv.Finish()
	if len(inv.NetworkInterfaces) != 1 {
		t.Fatal("interface added twice")
	}
}

func TestSecurityGroupRulesImport(t *testing.T) {
	inv := baseInventory(t)
	inv.SecurityGroups = nil
	doc := `{"SecurityGroupRules":[{"SecurityGroupRuleId":"sgr-00000001","GroupId":"sg-00000001","IsEgress":false,"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"0.0.0.0/0"},
		{"SecurityGroupRuleId":"sgr-00000002","GroupId":"sg-00000001","IsEgress":true,"IpProtocol":"-1","FromPort":-1,"ToPort":-1,"CidrIpv4":"0.0.0.0/0"}]}`
	if _, err := inv.ImportJSON("rules.json", []byte(doc), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	inv.ix = nil
	rep := inv.Evaluate()
	if got := open(rep, "eni-00000001"); strings.Join(got, "|") != "ipv4 tcp 3389" {
		t.Fatalf("open = %q", got)
	}
}
