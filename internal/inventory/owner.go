package inventory

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// lookup holds the indexes exposure, owners and gaps need, built once.
type lookup struct {
	vpc          map[string]*Vpc
	subnet       map[string]*Subnet
	rtBySubnet   map[string]*RouteTable // explicit subnet association
	rtMain       map[string]*RouteTable // VPC -> main route table
	rtVPC        map[string]bool        // VPCs with any route table in the inventory
	sg           map[string]*SecurityGroup
	sgRules      map[string][]IpPermission // group -> ingress rules from describe-security-group-rules
	naclBySubnet map[string]*NetworkAcl
	naclDefault  map[string]*NetworkAcl
	naclVPC      map[string]bool
	igw          map[string]*InternetGateway
	eigw         map[string]*EgressOnlyInternetGateway
	natByENI     map[string]*NatGateway
	nat          map[string]*NatGateway
	vpceByENI    map[string]*VpcEndpoint
	eipByENI     map[string][]*Address
	instance     map[string]*Instance
	pl           map[string]*PrefixList
	plEntries    map[string][]string
	plKnown      map[string]bool // lists whose entries are known
}

func (inv *Inventory) lookup() *lookup {
	if inv.ix != nil {
		return inv.ix
	}
	l := &lookup{
		vpc: map[string]*Vpc{}, subnet: map[string]*Subnet{}, rtBySubnet: map[string]*RouteTable{},
		rtMain: map[string]*RouteTable{}, rtVPC: map[string]bool{}, sg: map[string]*SecurityGroup{},
		sgRules: map[string][]IpPermission{}, naclBySubnet: map[string]*NetworkAcl{}, naclDefault: map[string]*NetworkAcl{},
		naclVPC: map[string]bool{}, igw: map[string]*InternetGateway{}, eigw: map[string]*EgressOnlyInternetGateway{},
		natByENI: map[string]*NatGateway{}, nat: map[string]*NatGateway{}, vpceByENI: map[string]*VpcEndpoint{},
		eipByENI: map[string][]*Address{}, instance: map[string]*Instance{}, pl: map[string]*PrefixList{},
		plEntries: map[string][]string{}, plKnown: map[string]bool{},
	}
	for i := range inv.Vpcs {
		l.vpc[inv.Vpcs[i].VpcId] = &inv.Vpcs[i]
	}
	for i := range inv.Subnets {
		l.subnet[inv.Subnets[i].SubnetId] = &inv.Subnets[i]
	}
	for i := range inv.RouteTables {
		rt := &inv.RouteTables[i]
		l.rtVPC[rt.VpcId] = true
		for _, a := range rt.Associations {
			if a.AssociationState != nil && a.AssociationState.State != "" && a.AssociationState.State != "associated" {
				continue
			}
			if a.Main {
				l.rtMain[rt.VpcId] = rt
			}
			if a.SubnetId != "" {
				l.rtBySubnet[a.SubnetId] = rt
			}
		}
	}
	for i := range inv.SecurityGroups {
		l.sg[inv.SecurityGroups[i].GroupId] = &inv.SecurityGroups[i]
	}
	for _, r := range inv.SecurityGroupRules {
		if r.IsEgress || r.GroupId == "" {
			continue
		}
		p := IpPermission{IpProtocol: r.IpProtocol, FromPort: r.FromPort, ToPort: r.ToPort}
		switch {
		case r.CidrIpv4 != "":
			p.IpRanges = []IpRange{{CidrIp: r.CidrIpv4, Description: r.Description}}
		case r.CidrIpv6 != "":
			p.Ipv6Ranges = []Ipv6Range{{CidrIpv6: r.CidrIpv6, Description: r.Description}}
		case r.PrefixListId != "":
			p.PrefixListIds = []PrefixListRef{{PrefixListId: r.PrefixListId, Description: r.Description}}
		case r.ReferencedGroupInfo != nil:
			p.UserIdGroupPairs = []UserIdGroupPair{{GroupId: r.ReferencedGroupInfo.GroupId, UserId: r.ReferencedGroupInfo.UserId}}
		}
		l.sgRules[r.GroupId] = append(l.sgRules[r.GroupId], p)
	}
	for i := range inv.NetworkAcls {
		n := &inv.NetworkAcls[i]
		l.naclVPC[n.VpcId] = true
		if n.IsDefault {
			l.naclDefault[n.VpcId] = n
		}
		for _, a := range n.Associations {
			if a.SubnetId != "" {
				l.naclBySubnet[a.SubnetId] = n
			}
		}
	}
	for i := range inv.InternetGateways {
		l.igw[inv.InternetGateways[i].InternetGatewayId] = &inv.InternetGateways[i]
	}
	for i := range inv.EgressOnlyInternetGateways {
		l.eigw[inv.EgressOnlyInternetGateways[i].EgressOnlyInternetGatewayId] = &inv.EgressOnlyInternetGateways[i]
	}
	for i := range inv.NatGateways {
		g := &inv.NatGateways[i]
		l.nat[g.NatGatewayId] = g
		for _, a := range g.NatGatewayAddresses {
			if a.NetworkInterfaceId != "" {
				l.natByENI[a.NetworkInterfaceId] = g
			}
		}
	}
	for i := range inv.VpcEndpoints {
		e := &inv.VpcEndpoints[i]
		for _, id := range e.NetworkInterfaceIds {
			l.vpceByENI[id] = e
		}
	}
	for i := range inv.Addresses {
		a := &inv.Addresses[i]
		if a.NetworkInterfaceId != "" {
			l.eipByENI[a.NetworkInterfaceId] = append(l.eipByENI[a.NetworkInterfaceId], a)
		}
	}
	for i := range inv.Instances {
		l.instance[inv.Instances[i].InstanceId] = &inv.Instances[i]
	}
	for i := range inv.PrefixLists {
		p := &inv.PrefixLists[i]
		l.pl[p.PrefixListId] = p
		if len(p.Cidrs) > 0 {
			l.plEntries[p.PrefixListId] = append([]string(nil), p.Cidrs...)
			l.plKnown[p.PrefixListId] = true
		}
	}
	for _, e := range inv.PrefixListEntries {
		var cidrs []string
		for _, x := range e.Entries {
			cidrs = append(cidrs, x.Cidr)
		}
		l.plEntries[e.PrefixListId] = cidrs
		l.plKnown[e.PrefixListId] = true
	}
	inv.ix = l
	return l
}

// Owner says what a network interface belongs to, for enrichment of flow
// records (interface-id) and for the exposure list.
type Owner struct {
	InterfaceID    string   `json:"interface_id"`
	OwnerType      string   `json:"owner_type"` // instance, load_balancer, nat_gateway, vpc_endpoint, lambda, ...
	OwnerID        string   `json:"owner_id"`   // i-..., app/name/id, nat-..., vpce-..., function name, ...
	OwnerName      string   `json:"owner_name"` // the Name tag, when known
	InstanceID     string   `json:"instance_id,omitempty"`
	InterfaceType  string   `json:"interface_type,omitempty"`
	Description    string   `json:"description,omitempty"`
	Status         string   `json:"status,omitempty"`
	SubnetID       string   `json:"subnet_id,omitempty"`
	VpcID          string   `json:"vpc_id,omitempty"`
	Account        string   `json:"account_id,omitempty"`
	Region         string   `json:"region,omitempty"`
	SecurityGroups []string `json:"security_groups,omitempty"`
	PrivateIPs     []string `json:"private_ips,omitempty"`
	PublicIPs      []string `json:"public_ips,omitempty"`
	IPv6Addresses  []string `json:"ipv6_addresses,omitempty"`
}

var (
	elbDesc    = regexp.MustCompile(`^ELB (.+)$`)
	natDesc    = regexp.MustCompile(`(nat-[0-9a-f]{8,17})`)
	vpceDesc   = regexp.MustCompile(`(vpce-[0-9a-f]{8,17})`)
	lambdaDesc = regexp.MustCompile(`^AWS Lambda VPC ENI-(.+?)(-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$`)
	tgwDesc    = regexp.MustCompile(`(tgw-attach-[0-9a-f]{8,17})`)
)

// Owners returns the owner of every interface in the inventory, by interface id.
func (inv *Inventory) Owners() map[string]Owner {
	out := make(map[string]Owner, len(inv.NetworkInterfaces))
	for i := range inv.NetworkInterfaces {
		o := inv.owner(&inv.NetworkInterfaces[i])
		out[o.InterfaceID] = o
	}
	return out
}

// owner resolves what one interface belongs to, from its attachment, its
// InterfaceType, its requester and its description (AWS writes "ELB
// app/name/id", "Interface for NAT Gateway nat-...", "AWS Lambda VPC ENI-fn-..."
// there), and the resources that list the interface.
func (inv *Inventory) owner(n *NetworkInterface) Owner {
	l := inv.lookup()
	o := Owner{InterfaceID: n.NetworkInterfaceId, InterfaceType: n.InterfaceType, Description: n.Description,
		Status: n.Status, SubnetID: n.SubnetId, VpcID: n.VpcId, Account: n.OwnerId, Region: n.Region}
	for _, g := range n.Groups {
		o.SecurityGroups = append(o.SecurityGroups, g.GroupId)
	}
	o.PrivateIPs, o.PublicIPs, o.IPv6Addresses = interfaceAddresses(n, l)
	if n.Attachment != nil {
		o.InstanceID = n.Attachment.InstanceId
	}
	it := strings.ToLower(n.InterfaceType)
	switch {
	case it == "nat_gateway" || it == "natgateway" || l.natByENI[n.NetworkInterfaceId] != nil || strings.HasPrefix(n.Description, "Interface for NAT Gateway"):
		o.OwnerType = "nat_gateway"
		if g := l.natByENI[n.NetworkInterfaceId]; g != nil {
			o.OwnerID, o.OwnerName = g.NatGatewayId, g.Tags.Get("Name")
		} else {
			o.OwnerID = natDesc.FindString(n.Description)
		}
	case it == "load_balancer" || it == "network_load_balancer" || it == "gateway_load_balancer" ||
		n.RequesterId == "amazon-elb" || elbDesc.MatchString(n.Description):
		o.OwnerType = "load_balancer"
		if m := elbDesc.FindStringSubmatch(n.Description); m != nil {
			o.OwnerID = m[1]
			if parts := strings.Split(m[1], "/"); len(parts) == 3 {
				o.OwnerName = parts[1]
			} else {
				o.OwnerName = m[1]
			}
		}
	case it == "vpc_endpoint" || it == "gateway_load_balancer_endpoint" || l.vpceByENI[n.NetworkInterfaceId] != nil:
		o.OwnerType = "vpc_endpoint"
		if e := l.vpceByENI[n.NetworkInterfaceId]; e != nil {
			o.OwnerID, o.OwnerName = e.VpcEndpointId, e.Tags.Get("Name")
			if o.OwnerName == "" {
				o.OwnerName = e.ServiceName
			}
		} else {
			o.OwnerID = vpceDesc.FindString(n.Description)
		}
	case it == "lambda" || lambdaDesc.MatchString(n.Description):
		o.OwnerType = "lambda"
		if m := lambdaDesc.FindStringSubmatch(n.Description); m != nil {
			o.OwnerID, o.OwnerName = m[1], m[1]
		}
	case it == "transit_gateway":
		o.OwnerType = "transit_gateway_attachment"
		o.OwnerID = tgwDesc.FindString(n.Description)
	case o.InstanceID != "" && strings.HasPrefix(o.InstanceID, "i-"):
		o.OwnerType = "instance"
		o.OwnerID = o.InstanceID
		if in := l.instance[o.InstanceID]; in != nil {
			o.OwnerName = in.Tags.Get("Name")
		}
	case strings.HasPrefix(n.Description, "arn:aws:ecs:") || strings.HasPrefix(n.Description, "arn:aws-"):
		o.OwnerType = "ecs_task"
		o.OwnerID = n.Description
	case n.RequesterManaged || n.RequesterId != "":
		o.OwnerType = "aws_managed"
		o.OwnerID = n.RequesterId
		o.OwnerName = n.Description
	case it != "" && it != "interface":
		o.OwnerType = it
	default:
		o.OwnerType = "interface"
		if n.Attachment == nil || n.Status == "available" {
			o.OwnerType = "unattached_interface"
		}
	}
	if o.OwnerName == "" {
		o.OwnerName = n.TagSet.Get("Name")
	}
	return o
}

// interfaceAddresses lists an interface's private IPv4, public IPv4 (its own
// associations and Elastic IPs pointing at it) and IPv6 addresses.
func interfaceAddresses(n *NetworkInterface, l *lookup) (private, public, v6 []string) {
	seenPub := map[string]bool{}
	addPub := func(ip string) {
		if ip != "" && !seenPub[ip] {
			seenPub[ip] = true
			public = append(public, ip)
		}
	}
	seenPriv := map[string]bool{}
	addPriv := func(ip string) {
		if ip != "" && !seenPriv[ip] {
			seenPriv[ip] = true
			private = append(private, ip)
		}
	}
	addPriv(n.PrivateIpAddress)
	if n.Association != nil {
		addPub(n.Association.PublicIp)
	}
	for _, p := range n.PrivateIpAddresses {
		addPriv(p.PrivateIpAddress)
		if p.Association != nil {
			addPub(p.Association.PublicIp)
		}
	}
	if l != nil {
		for _, a := range l.eipByENI[n.NetworkInterfaceId] {
			addPub(a.PublicIp)
		}
	}
	for _, a := range n.Ipv6Addresses {
		if a.Ipv6Address != "" {
			v6 = append(v6, canonicalIP(a.Ipv6Address))
		}
	}
	return
}

func canonicalIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}

// VPCCIDR is one CIDR of a VPC, for the internal/external decision.
type VPCCIDR struct {
	VpcID   string `json:"vpc_id"`
	CIDR    string `json:"cidr"`
	Account string `json:"account_id,omitempty"`
	Region  string `json:"region,omitempty"`
}

// VPCCIDRs lists every associated CIDR of every VPC, sorted by VPC.
func (inv *Inventory) VPCCIDRs() []VPCCIDR {
	var out []VPCCIDR
	for i := range inv.Vpcs {
		v := &inv.Vpcs[i]
		for _, c := range v.CIDRs() {
			out = append(out, VPCCIDR{VpcID: v.VpcId, CIDR: c, Account: v.OwnerId, Region: v.Region})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].VpcID < out[j].VpcID })
	return out
}
