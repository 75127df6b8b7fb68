package inventory

import (
	"fmt"
	"testing"
)

// benchInventory is one VPC with n interfaces in 16 public subnets, each
// interface with two security groups of 10 rules and the subnet's ACL of 20
// entries with a deny before the allows.
func benchInventory(n int) *Inventory {
	inv := &Inventory{}
	inv.Vpcs = []Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/16"}}
	inv.InternetGateways = []InternetGateway{{InternetGatewayId: "igw-1", Attachments: []GatewayAttachment{{VpcId: "vpc-1", State: "available"}}}}
	inv.RouteTables = []RouteTable{{RouteTableId: "rtb-1", VpcId: "vpc-1", Associations: []RouteTableAssociation{{Main: true}},
		Routes: []Route{{DestinationCidrBlock: "10.0.0.0/16", GatewayId: "local"}, {DestinationCidrBlock: "0.0.0.0/0", GatewayId: "igw-1"},
			{DestinationCidrBlock: "198.51.100.0/24", VpcPeeringConnectionId: "pcx-1"}}}}
	for s := 0; s < 16; s++ {
		acl := NetworkAcl{NetworkAclId: fmt.Sprintf("acl-%d", s), VpcId: "vpc-1",
			Associations: []NetworkAclAssociation{{SubnetId: fmt.Sprintf("subnet-%d", s)}}}
		acl.Entries = append(acl.Entries, NetworkAclEntry{RuleNumber: 10, Protocol: "6", RuleAction: "deny", CidrBlock: "0.0.0.0/0", PortRange: &PortRange{From: port(22), To: port(22)}})
		for i := 0; i < 18; i++ {
			acl.Entries = append(acl.Entries, NetworkAclEntry{RuleNumber: 100 + i, Protocol: "6", RuleAction: "allow", CidrBlock: fmt.Sprintf("%d.0.0.0/8", 20+i), PortRange: &PortRange{From: port(1000 * i), To: port(1000*i + 999)}})
		}
		acl.Entries = append(acl.Entries, NetworkAclEntry{RuleNumber: 500, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			NetworkAclEntry{RuleNumber: 100, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"})
		inv.NetworkAcls = append(inv.NetworkAcls, acl)
	}
	for g := 0; g < 64; g++ {
		sg := SecurityGroup{GroupId: fmt.Sprintf("sg-%d", g), VpcId: "vpc-1"}
		for i := 0; i < 10; i++ {
			src := "0.0.0.0/0"
			if i%3 == 0 {
				src = fmt.Sprintf("10.%d.0.0/16", i)
			}
			sg.IpPermissions = append(sg.IpPermissions, IpPermission{IpProtocol: "tcp", FromPort: port(g*10 + i), ToPort: port(g*10 + i + 5), IpRanges: []IpRange{{CidrIp: src}}})
		}
		inv.SecurityGroups = append(inv.SecurityGroups, sg)
	}
	for i := 0; i < n; i++ {
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, NetworkInterface{
			NetworkInterfaceId: fmt.Sprintf("eni-%08x", i), Status: "in-use", VpcId: "vpc-1", SubnetId: fmt.Sprintf("subnet-%d", i%16),
			PrivateIpAddress: fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), Association: &NetworkInterfaceAssociation{PublicIp: fmt.Sprintf("203.0.%d.%d", i/250%256, i%250+1)},
			Attachment: &NetworkInterfaceAttachment{InstanceId: fmt.Sprintf("i-%08x", i)},
			Groups:     []GroupIdentifier{{GroupId: fmt.Sprintf("sg-%d", i%64)}, {GroupId: fmt.Sprintf("sg-%d", (i+1)%64)}},
		})
	}
	return inv
}

func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			inv := benchInventory(n)
			rows := 0
			for i := 0; i < b.N; i++ {
				inv.ix = nil
				rows = len(inv.Evaluate().Exposures)
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/interface")
		})
	}
}
