// Package inventory models the network resources the incident-response
// playbook asks responders to keep an inventory of (VPCs, subnets, route
// tables, security groups, network ACLs, network interfaces, internet, NAT,
// VPN and customer gateways, VPC endpoints, peering connections, Elastic IPs,
// prefix lists and the flow logs themselves) and answers the preparation
// questions from it: which interfaces are reachable from the internet and why
// (exposure.go), what no flow log records (gaps.go), what changed since a
// baseline (diff.go), and how to set up flow logs and NAT gateway alarms
// exactly as the playbook says (setup.go).
//
// The model mirrors the JSON that `aws ec2 describe-*` prints, field for
// field, because responders often receive such dumps instead of credentials:
// import.go reads them by their top-level key, whatever the file names. The
// SDK snapshot (internal/awsapi) produces the same JSON, so both paths share
// one parser. Each resource keeps the exact JSON it was read from, so a stored
// snapshot loses nothing and a baseline diff sees every field.
//
// The package uses the standard library only.
package inventory

import (
	"encoding/json"
	"sort"
	"strings"
)

// Meta is what flowir records about a resource beside AWS's own fields: where
// it came from and the exact JSON it was read from. It never appears in the
// resource's JSON.
type Meta struct {
	Region string          // from the snapshot, --region, an ARN or an availability zone; "" if unknown
	Source string          // file (or API call) the resource was read from
	Raw    json.RawMessage // the resource's JSON exactly as read (compacted)
}

func (m *Meta) meta() *Meta { return m }

// Tag is an AWS resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Tags is a resource's tag list.
type Tags []Tag

// Get returns the value of tag key, or "".
func (t Tags) Get(key string) string {
	for _, x := range t {
		if x.Key == key {
			return x.Value
		}
	}
	return ""
}

// State is the {"State": "..."} or {"Code": "..."} object several resources use.
type State struct {
	State   string `json:"State,omitempty"`
	Code    string `json:"Code,omitempty"`
	Name    string `json:"Name,omitempty"`
	Message string `json:"Message,omitempty"`
}

// CidrAssociation is one IPv4 or IPv6 CIDR of a VPC or subnet.
type CidrAssociation struct {
	AssociationId      string `json:"AssociationId,omitempty"`
	CidrBlock          string `json:"CidrBlock,omitempty"`
	Ipv6CidrBlock      string `json:"Ipv6CidrBlock,omitempty"`
	CidrBlockState     *State `json:"CidrBlockState,omitempty"`
	Ipv6CidrBlockState *State `json:"Ipv6CidrBlockState,omitempty"`
}

// Vpc is one element of `aws ec2 describe-vpcs` .Vpcs.
type Vpc struct {
	Meta                        `json:"-"`
	VpcId                       string            `json:"VpcId"`
	OwnerId                     string            `json:"OwnerId,omitempty"`
	State                       string            `json:"State,omitempty"`
	CidrBlock                   string            `json:"CidrBlock,omitempty"`
	CidrBlockAssociationSet     []CidrAssociation `json:"CidrBlockAssociationSet,omitempty"`
	Ipv6CidrBlockAssociationSet []CidrAssociation `json:"Ipv6CidrBlockAssociationSet,omitempty"`
	IsDefault                   bool              `json:"IsDefault,omitempty"`
	Tags                        Tags              `json:"Tags,omitempty"`
}

// CIDRs returns the VPC's IPv4 and IPv6 CIDRs that are associated (or whose
// state is not given), primary first.
func (v *Vpc) CIDRs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	add(v.CidrBlock)
	for _, a := range v.CidrBlockAssociationSet {
		if a.CidrBlockState == nil || associated(a.CidrBlockState.State) {
			add(a.CidrBlock)
		}
	}
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState == nil || associated(a.Ipv6CidrBlockState.State) {
			add(a.Ipv6CidrBlock)
		}
	}
	return out
}

func associated(s string) bool { return s == "" || s == "associated" || s == "associating" }

// Subnet is one element of `aws ec2 describe-subnets` .Subnets.
type Subnet struct {
	Meta                        `json:"-"`
	SubnetId                    string            `json:"SubnetId"`
	VpcId                       string            `json:"VpcId,omitempty"`
	OwnerId                     string            `json:"OwnerId,omitempty"`
	CidrBlock                   string            `json:"CidrBlock,omitempty"`
	Ipv6CidrBlockAssociationSet []CidrAssociation `json:"Ipv6CidrBlockAssociationSet,omitempty"`
	AvailabilityZone            string            `json:"AvailabilityZone,omitempty"`
	MapPublicIpOnLaunch         bool              `json:"MapPublicIpOnLaunch,omitempty"`
	SubnetArn                   string            `json:"SubnetArn,omitempty"`
	State                       string            `json:"State,omitempty"`
	Tags                        Tags              `json:"Tags,omitempty"`
}

// Route is one route of a route table.
type Route struct {
	DestinationCidrBlock        string `json:"DestinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock    string `json:"DestinationIpv6CidrBlock,omitempty"`
	DestinationPrefixListId     string `json:"DestinationPrefixListId,omitempty"`
	GatewayId                   string `json:"GatewayId,omitempty"`
	EgressOnlyInternetGatewayId string `json:"EgressOnlyInternetGatewayId,omitempty"`
	NatGatewayId                string `json:"NatGatewayId,omitempty"`
	NetworkInterfaceId          string `json:"NetworkInterfaceId,omitempty"`
	InstanceId                  string `json:"InstanceId,omitempty"`
	TransitGatewayId            string `json:"TransitGatewayId,omitempty"`
	VpcPeeringConnectionId      string `json:"VpcPeeringConnectionId,omitempty"`
	LocalGatewayId              string `json:"LocalGatewayId,omitempty"`
	CarrierGatewayId            string `json:"CarrierGatewayId,omitempty"`
	CoreNetworkArn              string `json:"CoreNetworkArn,omitempty"`
	Origin                      string `json:"Origin,omitempty"`
	State                       string `json:"State,omitempty"`
}

// Destination returns the route's destination: a CIDR or a prefix list id.
func (r *Route) Destination() string {
	switch {
	case r.DestinationCidrBlock != "":
		return r.DestinationCidrBlock
	case r.DestinationIpv6CidrBlock != "":
		return r.DestinationIpv6CidrBlock
	}
	return r.DestinationPrefixListId
}

// Target returns the route's target id ("local", igw-, nat-, pcx-, ...).
func (r *Route) Target() string {
	for _, t := range []string{r.GatewayId, r.EgressOnlyInternetGatewayId, r.NatGatewayId, r.TransitGatewayId,
		r.VpcPeeringConnectionId, r.NetworkInterfaceId, r.InstanceId, r.LocalGatewayId, r.CarrierGatewayId, r.CoreNetworkArn} {
		if t != "" {
			return t
		}
	}
	return "?"
}

// RouteTableAssociation links a route table to a subnet, a gateway, or marks
// it as the VPC's main table.
type RouteTableAssociation struct {
	RouteTableAssociationId string `json:"RouteTableAssociationId,omitempty"`
	RouteTableId            string `json:"RouteTableId,omitempty"`
	SubnetId                string `json:"SubnetId,omitempty"`
	GatewayId               string `json:"GatewayId,omitempty"`
	Main                    bool   `json:"Main,omitempty"`
	AssociationState        *State `json:"AssociationState,omitempty"`
}

// RouteTable is one element of `aws ec2 describe-route-tables` .RouteTables.
type RouteTable struct {
	Meta         `json:"-"`
	RouteTableId string                  `json:"RouteTableId"`
	VpcId        string                  `json:"VpcId,omitempty"`
	OwnerId      string                  `json:"OwnerId,omitempty"`
	Routes       []Route                 `json:"Routes,omitempty"`
	Associations []RouteTableAssociation `json:"Associations,omitempty"`
	Tags         Tags                    `json:"Tags,omitempty"`
}

// IpRange is an IPv4 source or destination of a security group rule.
type IpRange struct {
	CidrIp      string `json:"CidrIp,omitempty"`
	Description string `json:"Description,omitempty"`
}

// Ipv6Range is an IPv6 source or destination of a security group rule.
type Ipv6Range struct {
	CidrIpv6    string `json:"CidrIpv6,omitempty"`
	Description string `json:"Description,omitempty"`
}

// PrefixListRef is a prefix list named by a security group rule.
type PrefixListRef struct {
	PrefixListId string `json:"PrefixListId,omitempty"`
	Description  string `json:"Description,omitempty"`
}

// UserIdGroupPair is a security group named by a rule: traffic from members of
// that group, never from the internet.
type UserIdGroupPair struct {
	GroupId                string `json:"GroupId,omitempty"`
	GroupName              string `json:"GroupName,omitempty"`
	UserId                 string `json:"UserId,omitempty"`
	VpcId                  string `json:"VpcId,omitempty"`
	VpcPeeringConnectionId string `json:"VpcPeeringConnectionId,omitempty"`
	PeeringStatus          string `json:"PeeringStatus,omitempty"`
	Description            string `json:"Description,omitempty"`
}

// IpPermission is one security group rule as describe-security-groups prints it.
// FromPort and ToPort are absent for "all protocols"; for ICMP they hold the
// type and code (-1 for all).
type IpPermission struct {
	IpProtocol       string            `json:"IpProtocol"`
	FromPort         *int              `json:"FromPort,omitempty"`
	ToPort           *int              `json:"ToPort,omitempty"`
	IpRanges         []IpRange         `json:"IpRanges,omitempty"`
	Ipv6Ranges       []Ipv6Range       `json:"Ipv6Ranges,omitempty"`
	PrefixListIds    []PrefixListRef   `json:"PrefixListIds,omitempty"`
	UserIdGroupPairs []UserIdGroupPair `json:"UserIdGroupPairs,omitempty"`
}

// SecurityGroup is one element of `aws ec2 describe-security-groups` .SecurityGroups.
type SecurityGroup struct {
	Meta                `json:"-"`
	GroupId             string         `json:"GroupId"`
	GroupName           string         `json:"GroupName,omitempty"`
	Description         string         `json:"Description,omitempty"`
	VpcId               string         `json:"VpcId,omitempty"`
	OwnerId             string         `json:"OwnerId,omitempty"`
	IpPermissions       []IpPermission `json:"IpPermissions,omitempty"`
	IpPermissionsEgress []IpPermission `json:"IpPermissionsEgress,omitempty"`
	Tags                Tags           `json:"Tags,omitempty"`
}

// SecurityGroupRule is one element of `aws ec2 describe-security-group-rules`
// .SecurityGroupRules, the one-rule-per-item view of the same rules.
type SecurityGroupRule struct {
	Meta                `json:"-"`
	SecurityGroupRuleId string `json:"SecurityGroupRuleId"`
	GroupId             string `json:"GroupId,omitempty"`
	GroupOwnerId        string `json:"GroupOwnerId,omitempty"`
	IsEgress            bool   `json:"IsEgress,omitempty"`
	IpProtocol          string `json:"IpProtocol,omitempty"`
	FromPort            *int   `json:"FromPort,omitempty"`
	ToPort              *int   `json:"ToPort,omitempty"`
	CidrIpv4            string `json:"CidrIpv4,omitempty"`
	CidrIpv6            string `json:"CidrIpv6,omitempty"`
	PrefixListId        string `json:"PrefixListId,omitempty"`
	ReferencedGroupInfo *struct {
		GroupId string `json:"GroupId,omitempty"`
		UserId  string `json:"UserId,omitempty"`
		VpcId   string `json:"VpcId,omitempty"`
	} `json:"ReferencedGroupInfo,omitempty"`
	Description string `json:"Description,omitempty"`
}

// PortRange is a network ACL entry's port range.
type PortRange struct {
	From *int `json:"From,omitempty"`
	To   *int `json:"To,omitempty"`
}

// IcmpTypeCode is a network ACL entry's ICMP type and code (-1 for all).
type IcmpTypeCode struct {
	Type *int `json:"Type,omitempty"`
	Code *int `json:"Code,omitempty"`
}

// NetworkAclEntry is one rule of a network ACL.
type NetworkAclEntry struct {
	RuleNumber    int           `json:"RuleNumber"`
	Protocol      string        `json:"Protocol"`
	RuleAction    string        `json:"RuleAction"`
	Egress        bool          `json:"Egress"`
	CidrBlock     string        `json:"CidrBlock,omitempty"`
	Ipv6CidrBlock string        `json:"Ipv6CidrBlock,omitempty"`
	PortRange     *PortRange    `json:"PortRange,omitempty"`
	IcmpTypeCode  *IcmpTypeCode `json:"IcmpTypeCode,omitempty"`
}

// NetworkAclAssociation links a network ACL to a subnet.
type NetworkAclAssociation struct {
	NetworkAclAssociationId string `json:"NetworkAclAssociationId,omitempty"`
	NetworkAclId            string `json:"NetworkAclId,omitempty"`
	SubnetId                string `json:"SubnetId,omitempty"`
}

// NetworkAcl is one element of `aws ec2 describe-network-acls` .NetworkAcls.
type NetworkAcl struct {
	Meta         `json:"-"`
	NetworkAclId string                  `json:"NetworkAclId"`
	VpcId        string                  `json:"VpcId,omitempty"`
	OwnerId      string                  `json:"OwnerId,omitempty"`
	IsDefault    bool                    `json:"IsDefault,omitempty"`
	Entries      []NetworkAclEntry       `json:"Entries,omitempty"`
	Associations []NetworkAclAssociation `json:"Associations,omitempty"`
	Tags         Tags                    `json:"Tags,omitempty"`
}

// NetworkInterfaceAssociation is the public IPv4 address of an interface (or
// of one of its private addresses): auto-assigned or an Elastic IP.
type NetworkInterfaceAssociation struct {
	AllocationId  string `json:"AllocationId,omitempty"`
	AssociationId string `json:"AssociationId,omitempty"`
	IpOwnerId     string `json:"IpOwnerId,omitempty"`
	PublicDnsName string `json:"PublicDnsName,omitempty"`
	PublicIp      string `json:"PublicIp,omitempty"`
	CarrierIp     string `json:"CarrierIp,omitempty"`
}

// NetworkInterfaceAttachment says what an interface is attached to.
type NetworkInterfaceAttachment struct {
	AttachmentId    string `json:"AttachmentId,omitempty"`
	InstanceId      string `json:"InstanceId,omitempty"`
	InstanceOwnerId string `json:"InstanceOwnerId,omitempty"`
	DeviceIndex     *int   `json:"DeviceIndex,omitempty"`
	Status          string `json:"Status,omitempty"`
}

// GroupIdentifier names a security group of an interface.
type GroupIdentifier struct {
	GroupId   string `json:"GroupId"`
	GroupName string `json:"GroupName,omitempty"`
}

// PrivateIpAddress is one private IPv4 address of an interface.
type PrivateIpAddress struct {
	PrivateIpAddress string                       `json:"PrivateIpAddress"`
	Primary          bool                         `json:"Primary,omitempty"`
	Association      *NetworkInterfaceAssociation `json:"Association,omitempty"`
}

// Ipv6Address is one IPv6 address of an interface.
type Ipv6Address struct {
	Ipv6Address string `json:"Ipv6Address"`
}

// NetworkInterface is one element of `aws ec2 describe-network-interfaces`
// .NetworkInterfaces.
type NetworkInterface struct {
	Meta               `json:"-"`
	NetworkInterfaceId string                       `json:"NetworkInterfaceId"`
	InterfaceType      string                       `json:"InterfaceType,omitempty"`
	Status             string                       `json:"Status,omitempty"`
	Description        string                       `json:"Description,omitempty"`
	VpcId              string                       `json:"VpcId,omitempty"`
	SubnetId           string                       `json:"SubnetId,omitempty"`
	AvailabilityZone   string                       `json:"AvailabilityZone,omitempty"`
	OwnerId            string                       `json:"OwnerId,omitempty"`
	RequesterId        string                       `json:"RequesterId,omitempty"`
	RequesterManaged   bool                         `json:"RequesterManaged,omitempty"`
	PrivateIpAddress   string                       `json:"PrivateIpAddress,omitempty"`
	PrivateIpAddresses []PrivateIpAddress           `json:"PrivateIpAddresses,omitempty"`
	Ipv6Addresses      []Ipv6Address                `json:"Ipv6Addresses,omitempty"`
	Association        *NetworkInterfaceAssociation `json:"Association,omitempty"`
	Attachment         *NetworkInterfaceAttachment  `json:"Attachment,omitempty"`
	Groups             []GroupIdentifier            `json:"Groups,omitempty"`
	DenyAllIgwTraffic  bool                         `json:"DenyAllIgwTraffic,omitempty"`
	SourceDestCheck    *bool                        `json:"SourceDestCheck,omitempty"`
	TagSet             Tags                         `json:"TagSet,omitempty"`
}

// GatewayAttachment links an internet, egress-only or VPN gateway to a VPC.
type GatewayAttachment struct {
	VpcId string `json:"VpcId,omitempty"`
	State string `json:"State,omitempty"`
}

// InternetGateway is one element of `aws ec2 describe-internet-gateways`
// .InternetGateways.
type InternetGateway struct {
	Meta              `json:"-"`
	InternetGatewayId string              `json:"InternetGatewayId"`
	OwnerId           string              `json:"OwnerId,omitempty"`
	Attachments       []GatewayAttachment `json:"Attachments,omitempty"`
	Tags              Tags                `json:"Tags,omitempty"`
}

// EgressOnlyInternetGateway is one element of
// `aws ec2 describe-egress-only-internet-gateways` .EgressOnlyInternetGateways:
// IPv6 out, nothing in.
type EgressOnlyInternetGateway struct {
	Meta                        `json:"-"`
	EgressOnlyInternetGatewayId string              `json:"EgressOnlyInternetGatewayId"`
	Attachments                 []GatewayAttachment `json:"Attachments,omitempty"`
	Tags                        Tags                `json:"Tags,omitempty"`
}

// NatGatewayAddress is one address of a NAT gateway.
type NatGatewayAddress struct {
	AllocationId       string `json:"AllocationId,omitempty"`
	AssociationId      string `json:"AssociationId,omitempty"`
	NetworkInterfaceId string `json:"NetworkInterfaceId,omitempty"`
	PrivateIp          string `json:"PrivateIp,omitempty"`
	PublicIp           string `json:"PublicIp,omitempty"`
	IsPrimary          bool   `json:"IsPrimary,omitempty"`
	Status             string `json:"Status,omitempty"`
}

// NatGateway is one element of `aws ec2 describe-nat-gateways` .NatGateways.
type NatGateway struct {
	Meta                `json:"-"`
	NatGatewayId        string              `json:"NatGatewayId"`
	VpcId               string              `json:"VpcId,omitempty"`
	SubnetId            string              `json:"SubnetId,omitempty"`
	State               string              `json:"State,omitempty"`
	ConnectivityType    string              `json:"ConnectivityType,omitempty"`
	NatGatewayAddresses []NatGatewayAddress `json:"NatGatewayAddresses,omitempty"`
	Tags                Tags                `json:"Tags,omitempty"`
}

// VpcEndpoint is one element of `aws ec2 describe-vpc-endpoints` .VpcEndpoints.
type VpcEndpoint struct {
	Meta                `json:"-"`
	VpcEndpointId       string            `json:"VpcEndpointId"`
	VpcEndpointType     string            `json:"VpcEndpointType,omitempty"`
	VpcId               string            `json:"VpcId,omitempty"`
	ServiceName         string            `json:"ServiceName,omitempty"`
	State               string            `json:"State,omitempty"`
	RouteTableIds       []string          `json:"RouteTableIds,omitempty"`
	SubnetIds           []string          `json:"SubnetIds,omitempty"`
	NetworkInterfaceIds []string          `json:"NetworkInterfaceIds,omitempty"`
	Groups              []GroupIdentifier `json:"Groups,omitempty"`
	PolicyDocument      string            `json:"PolicyDocument,omitempty"`
	OwnerId             string            `json:"OwnerId,omitempty"`
	Tags                Tags              `json:"Tags,omitempty"`
}

// PeeringVpcInfo is one side of a VPC peering connection.
type PeeringVpcInfo struct {
	VpcId        string `json:"VpcId,omitempty"`
	OwnerId      string `json:"OwnerId,omitempty"`
	Region       string `json:"Region,omitempty"`
	CidrBlock    string `json:"CidrBlock,omitempty"`
	CidrBlockSet []struct {
		CidrBlock string `json:"CidrBlock,omitempty"`
	} `json:"CidrBlockSet,omitempty"`
	Ipv6CidrBlockSet []struct {
		Ipv6CidrBlock string `json:"Ipv6CidrBlock,omitempty"`
	} `json:"Ipv6CidrBlockSet,omitempty"`
}

// VpcPeeringConnection is one element of `aws ec2 describe-vpc-peering-connections`
// .VpcPeeringConnections.
type VpcPeeringConnection struct {
	Meta                   `json:"-"`
	VpcPeeringConnectionId string          `json:"VpcPeeringConnectionId"`
	AccepterVpcInfo        *PeeringVpcInfo `json:"AccepterVpcInfo,omitempty"`
	RequesterVpcInfo       *PeeringVpcInfo `json:"RequesterVpcInfo,omitempty"`
	Status                 *State          `json:"Status,omitempty"`
	Tags                   Tags            `json:"Tags,omitempty"`
}

// CustomerGateway is one element of `aws ec2 describe-customer-gateways`
// .CustomerGateways: the on-premises end of a site-to-site VPN.
type CustomerGateway struct {
	Meta              `json:"-"`
	CustomerGatewayId string `json:"CustomerGatewayId"`
	BgpAsn            string `json:"BgpAsn,omitempty"`
	IpAddress         string `json:"IpAddress,omitempty"`
	Type              string `json:"Type,omitempty"`
	State             string `json:"State,omitempty"`
	DeviceName        string `json:"DeviceName,omitempty"`
	Tags              Tags   `json:"Tags,omitempty"`
}

// VpnGateway is one element of `aws ec2 describe-vpn-gateways` .VpnGateways.
type VpnGateway struct {
	Meta           `json:"-"`
	VpnGatewayId   string              `json:"VpnGatewayId"`
	State          string              `json:"State,omitempty"`
	Type           string              `json:"Type,omitempty"`
	VpcAttachments []GatewayAttachment `json:"VpcAttachments,omitempty"`
	AmazonSideAsn  *int64              `json:"AmazonSideAsn,omitempty"`
	Tags           Tags                `json:"Tags,omitempty"`
}

// VpnConnection is one element of `aws ec2 describe-vpn-connections` .VpnConnections.
type VpnConnection struct {
	Meta              `json:"-"`
	VpnConnectionId   string `json:"VpnConnectionId"`
	CustomerGatewayId string `json:"CustomerGatewayId,omitempty"`
	VpnGatewayId      string `json:"VpnGatewayId,omitempty"`
	TransitGatewayId  string `json:"TransitGatewayId,omitempty"`
	State             string `json:"State,omitempty"`
	Type              string `json:"Type,omitempty"`
	Tags              Tags   `json:"Tags,omitempty"`
}

// Address is one element of `aws ec2 describe-addresses` .Addresses: an
// Elastic IP and what it is associated with.
type Address struct {
	Meta                    `json:"-"`
	AllocationId            string `json:"AllocationId,omitempty"`
	AssociationId           string `json:"AssociationId,omitempty"`
	PublicIp                string `json:"PublicIp"`
	Domain                  string `json:"Domain,omitempty"`
	InstanceId              string `json:"InstanceId,omitempty"`
	NetworkInterfaceId      string `json:"NetworkInterfaceId,omitempty"`
	NetworkInterfaceOwnerId string `json:"NetworkInterfaceOwnerId,omitempty"`
	PrivateIpAddress        string `json:"PrivateIpAddress,omitempty"`
	NetworkBorderGroup      string `json:"NetworkBorderGroup,omitempty"`
	Tags                    Tags   `json:"Tags,omitempty"`
}

// ID is the Elastic IP's allocation id, or its address for an old EC2-Classic
// allocation that has none.
func (a *Address) ID() string {
	if a.AllocationId != "" {
		return a.AllocationId
	}
	return a.PublicIp
}

// DestinationOptions are a flow log's S3 file options.
type DestinationOptions struct {
	FileFormat               string `json:"FileFormat,omitempty"`
	HiveCompatiblePartitions bool   `json:"HiveCompatiblePartitions,omitempty"`
	PerHourPartition         bool   `json:"PerHourPartition,omitempty"`
}

// FlowLog is one element of `aws ec2 describe-flow-logs` .FlowLogs.
type FlowLog struct {
	Meta                     `json:"-"`
	FlowLogId                string              `json:"FlowLogId"`
	ResourceId               string              `json:"ResourceId,omitempty"`
	TrafficType              string              `json:"TrafficType,omitempty"`
	LogDestinationType       string              `json:"LogDestinationType,omitempty"`
	LogDestination           string              `json:"LogDestination,omitempty"`
	LogGroupName             string              `json:"LogGroupName,omitempty"`
	LogFormat                string              `json:"LogFormat,omitempty"`
	MaxAggregationInterval   int                 `json:"MaxAggregationInterval,omitempty"`
	FlowLogStatus            string              `json:"FlowLogStatus,omitempty"`
	DeliverLogsStatus        string              `json:"DeliverLogsStatus,omitempty"`
	DeliverLogsErrorMessage  string              `json:"DeliverLogsErrorMessage,omitempty"`
	DeliverLogsPermissionArn string              `json:"DeliverLogsPermissionArn,omitempty"`
	DestinationOptions       *DestinationOptions `json:"DestinationOptions,omitempty"`
	CreationTime             string              `json:"CreationTime,omitempty"`
	Tags                     Tags                `json:"Tags,omitempty"`
}

// PrefixList is one element of `aws ec2 describe-managed-prefix-lists`
// .PrefixLists or of `aws ec2 describe-prefix-lists` .PrefixLists (the
// AWS-service lists, which carry their Cidrs inline).
type PrefixList struct {
	Meta           `json:"-"`
	PrefixListId   string   `json:"PrefixListId"`
	PrefixListName string   `json:"PrefixListName,omitempty"`
	AddressFamily  string   `json:"AddressFamily,omitempty"`
	OwnerId        string   `json:"OwnerId,omitempty"`
	State          string   `json:"State,omitempty"`
	MaxEntries     *int     `json:"MaxEntries,omitempty"`
	Version        *int64   `json:"Version,omitempty"`
	Cidrs          []string `json:"Cidrs,omitempty"`
	Tags           Tags     `json:"Tags,omitempty"`
}

// PrefixListEntry is one CIDR of a managed prefix list.
type PrefixListEntry struct {
	Cidr        string `json:"Cidr"`
	Description string `json:"Description,omitempty"`
}

// PrefixListEntries is the output of `aws ec2 get-managed-prefix-list-entries`
// for one list. AWS's output has no list id, so flowir takes it from a
// "PrefixListId" key beside "Entries" or from the file name (pl-....json).
type PrefixListEntries struct {
	Meta         `json:"-"`
	PrefixListId string            `json:"PrefixListId"`
	Entries      []PrefixListEntry `json:"Entries"`
}

// InstanceState is an instance's state: {"Code": 16, "Name": "running"}.
type InstanceState struct {
	Code *int   `json:"Code,omitempty"`
	Name string `json:"Name,omitempty"`
}

// Instance is one instance of `aws ec2 describe-instances`
// .Reservations[].Instances: read for its Name tag, and for its network
// interfaces when describe-network-interfaces output is missing (Finish).
type Instance struct {
	Meta              `json:"-"`
	InstanceId        string             `json:"InstanceId"`
	InstanceType      string             `json:"InstanceType,omitempty"`
	State             *InstanceState     `json:"State,omitempty"`
	VpcId             string             `json:"VpcId,omitempty"`
	SubnetId          string             `json:"SubnetId,omitempty"`
	PrivateIpAddress  string             `json:"PrivateIpAddress,omitempty"`
	PublicIpAddress   string             `json:"PublicIpAddress,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"NetworkInterfaces,omitempty"` // the same shape as describe-network-interfaces items
	Placement         *struct {
		AvailabilityZone string `json:"AvailabilityZone,omitempty"`
	} `json:"Placement,omitempty"`
	SecurityGroups []GroupIdentifier `json:"SecurityGroups,omitempty"`
	Tags           Tags              `json:"Tags,omitempty"`
}

// SourceFile records one file (or API call) an inventory was read from, for
// the chain of custody.
type SourceFile struct {
	Path   string         `json:"path"`
	SHA256 string         `json:"sha256,omitempty"`
	Size   int64          `json:"size"`
	Items  map[string]int `json:"items"` // resource kind -> items read
}

// Inventory is a set of resources read from describe-* JSON or from the APIs.
type Inventory struct {
	Vpcs                       []Vpc
	Subnets                    []Subnet
	RouteTables                []RouteTable
	SecurityGroups             []SecurityGroup
	SecurityGroupRules         []SecurityGroupRule
	NetworkAcls                []NetworkAcl
	NetworkInterfaces          []NetworkInterface
	InternetGateways           []InternetGateway
	EgressOnlyInternetGateways []EgressOnlyInternetGateway
	NatGateways                []NatGateway
	VpcEndpoints               []VpcEndpoint
	VpcPeeringConnections      []VpcPeeringConnection
	CustomerGateways           []CustomerGateway
	VpnGateways                []VpnGateway
	VpnConnections             []VpnConnection
	Addresses                  []Address
	FlowLogs                   []FlowLog
	PrefixLists                []PrefixList
	PrefixListEntries          []PrefixListEntries
	Instances                  []Instance
	Prowler                    []ProwlerFinding

	// Files lists what was read, in order.
	Files []SourceFile
	// Warnings are problems that did not stop the import (a file with no
	// known key, a resource read twice with different content, ...).
	Warnings []string

	index map[string]map[string]int // kind -> id -> position, for de-duplication
	ix    *lookup                   // lookups built on first use by exposure, owners, gaps
}

// Counts returns the number of resources of each kind that has any.
func (inv *Inventory) Counts() map[string]int {
	out := map[string]int{}
	for _, k := range kinds {
		if n := k.count(inv); n > 0 {
			out[k.name] = n
		}
	}
	return out
}

// Len is the number of resources of every kind.
func (inv *Inventory) Len() int {
	n := 0
	for _, c := range inv.Counts() {
		n += c
	}
	return n
}

// Regions returns the distinct regions of the resources, sorted.
func (inv *Inventory) Regions() []string {
	set := map[string]bool{}
	for _, r := range inv.Resources() {
		if r.Region != "" {
			set[r.Region] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// regionFromAZ turns an availability zone (us-east-1a, us-east-1-bos-1a) into
// its region.
func regionFromAZ(az string) string {
	if az == "" {
		return ""
	}
	// Local Zones: us-east-1-bos-1a -> us-east-1.
	parts := strings.Split(az, "-")
	if len(parts) >= 3 {
		r := strings.Join(parts[:3], "-")
		// Standard zones end with a letter after the region number.
		last := r[len(r)-1]
		if last >= 'a' && last <= 'z' {
			r = r[:len(r)-1]
		}
		return r
	}
	return ""
}

// regionFromARN returns the region field of an ARN, or "".
func regionFromARN(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) == 6 && p[0] == "arn" {
		return p[3]
	}
	return ""
}
