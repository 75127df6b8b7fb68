package inventory

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// How flowir decides that an interface is reachable from the internet.
//
// A connection from an internet host H to port P of interface E works when
// all of these hold, and flowir checks each one exactly:
//
//  1. E has a public address of H's family: a public IPv4 address (its own
//     association, an Elastic IP on any of its private addresses) or an IPv6
//     address. E is in use and does not deny internet gateway traffic.
//  2. The reply to H leaves through an internet gateway: in the route table of
//     E's subnet (its explicit association, else the VPC's main table), the
//     longest-prefix route for H is an active route to an igw- attached to the
//     VPC. A default route to a NAT gateway, a peering, a transit gateway or
//     an egress-only gateway does not carry inbound connections.
//  3. A security group of E admits H to P: an ingress rule whose protocol and
//     ports cover P and whose source covers H (a CIDR, or a prefix list whose
//     entries are in the inventory). Rules naming other security groups never
//     admit the internet. Security groups are stateful: replies need nothing.
//  4. The network ACL of E's subnet (its association, else the VPC's default
//     ACL) lets the packet in: the inbound entries are read in rule-number
//     order and the first that matches (protocol, port P, source H) decides.
//  5. The same ACL lets the reply out: network ACLs are stateless, so the
//     outbound entries must allow the protocol to H on the client's ephemeral
//     port; flowir counts H as able to connect when at least one port of
//     1024-65535 is allowed. ICMP counts as reachable when the echo reply
//     can leave (what answering a ping needs); other protocols need the same
//     protocol allowed out.
//
// flowir computes, for every protocol and port range, the exact set of
// internet addresses H for which all five hold, with set arithmetic on
// address ranges, so splits such as a deny of one /24 before an allow of
// 0.0.0.0/0 are exact. "The internet" is every address but the private,
// shared, loopback, link-local, multicast and reserved ranges (IPv6: 2000::/3).
//
// An interface is listed as exposed ("world") when the set holds at least
// half of the internet: what a rule from 0.0.0.0/0 or ::/0 opens, minus
// whatever deny rules and more specific routes carve out (listed as
// exceptions). A set smaller than that (a rule from one partner's /24 or an
// office /32) is "restricted": reachable from those internet addresses only,
// listed with --all, not counted as exposed.

// Protocol classes.
const (
	protoAll   = -1 // a rule for every protocol
	protoOther = -2 // the class of every protocol no rule names
)

// parseProto reads a protocol as security groups and network ACLs write it.
func parseProto(s string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "-1", "all", "":
		return protoAll, true
	}
	if n, ok := flow.ProtocolNumber(s); ok {
		return n, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return n, true
}

// ProtoName names a protocol number as flowir prints it.
func ProtoName(p int) string {
	switch p {
	case protoAll:
		return "all"
	case protoOther:
		return "other"
	}
	if n, ok := flow.ProtocolName(p); ok {
		return n
	}
	return strconv.Itoa(p)
}

func isICMP(p int) bool { return p == 1 || p == 58 }

// axisMax is the top of a protocol class's axis: ports for TCP and UDP,
// type*256+code for ICMP, a single point for the rest.
func axisMax(p int) int {
	switch p {
	case 6, 17, 1, 58:
		return 65535
	}
	return 0
}

func icmpRange(t, c *int) (int, int) {
	if t == nil || *t < 0 || *t > 255 {
		return 0, 65535
	}
	if c == nil || *c < 0 || *c > 255 {
		return *t * 256, *t*256 + 255
	}
	return *t*256 + *c, *t*256 + *c
}

func portRange(from, to *int) (int, int) {
	lo, hi := 0, 65535
	if from != nil && *from >= 0 {
		lo = *from
	}
	if to != nil && *to >= 0 {
		hi = *to
	}
	if lo > 65535 {
		lo = 65535
	}
	if hi > 65535 {
		hi = 65535
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// svcText renders a protocol and a range of its axis.
func svcText(p, lo, hi int) string {
	switch {
	case p == protoAll:
		return "all traffic"
	case p == 6 || p == 17:
		if lo == 0 && hi == 65535 {
			return ProtoName(p) + " all ports"
		}
		return ProtoName(p) + " " + portsText(p, lo, hi)
	case isICMP(p):
		return ProtoName(p) + " " + portsText(p, lo, hi)
	case p == protoOther:
		return "other protocols"
	}
	return "protocol " + strconv.Itoa(p)
}

// portsText renders a range of a protocol's axis: "22", "1024-65535", "all",
// "type 8", "types 0-7", "type 3 code 4".
func portsText(p, lo, hi int) string {
	switch {
	case p == 6 || p == 17:
		if lo == hi {
			return strconv.Itoa(lo)
		}
		return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
	case isICMP(p):
		if lo == 0 && hi == 65535 {
			return "all"
		}
		tl, cl, th, ch := lo/256, lo%256, hi/256, hi%256
		if cl == 0 && ch == 255 {
			if tl == th {
				return "type " + strconv.Itoa(tl) + icmpName(p, tl)
			}
			return fmt.Sprintf("types %d-%d", tl, th)
		}
		if tl == th && cl == ch {
			return fmt.Sprintf("type %d code %d", tl, cl)
		}
		return fmt.Sprintf("type %d code %d - type %d code %d", tl, cl, th, ch)
	}
	return "all"
}

func icmpName(p, t int) string {
	if p == 1 {
		switch t {
		case 0:
			return " (echo reply)"
		case 8:
			return " (echo request)"
		case 3:
			return " (destination unreachable)"
		}
	}
	if p == 58 {
		switch t {
		case 128:
			return " (echo request)"
		case 129:
			return " (echo reply)"
		}
	}
	return ""
}

// sgRule is one security group ingress grant, flattened.
type sgRule struct {
	text   string // "sg-1 tcp 22 from 0.0.0.0/0"
	proto  int
	lo, hi int
	src    [2]ipSet // [v4, v6] internet-relevant sources
	has    [2]bool
}

// naclRule is one network ACL entry, parsed.
type naclRule struct {
	num    int
	allow  bool
	proto  int
	lo, hi int
	v6     bool
	set    ipSet
	text   string
}

func (r *naclRule) matches(class, lo, hi int) bool {
	return (r.proto == protoAll || r.proto == class) && r.lo <= lo && r.hi >= hi
}

// contrib is a rule and the part of a set it decided.
type contrib struct {
	text string
	set  ipSet
}

// firstMatch evaluates ordered ACL entries for one protocol class and one
// elementary range: the addresses the entries allow, with each entry's share.
func firstMatch(rules []naclRule, v6 bool, class, lo, hi int) (allowed ipSet, parts []contrib) {
	remaining := fullSet(v6)
	allowed = ipSet{v6: v6}
	for i := range rules {
		r := &rules[i]
		if r.v6 != v6 || !r.matches(class, lo, hi) {
			continue
		}
		m := remaining.intersect(r.set)
		if m.empty() {
			continue
		}
		if r.allow {
			allowed = allowed.union(m)
		}
		parts = append(parts, contrib{r.text, m})
		remaining = remaining.minus(m)
		if remaining.empty() {
			break
		}
	}
	return allowed, parts
}

// cuts returns the elementary ranges of [0, max] that no rule boundary splits.
func cuts(max int, bounds []int) [][2]int {
	pts := map[int]bool{0: true, max + 1: true}
	for _, b := range bounds {
		if b > 0 && b <= max {
			pts[b] = true
		}
	}
	var ps []int
	for p := range pts {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	out := make([][2]int, 0, len(ps)-1)
	for i := 0; i+1 < len(ps); i++ {
		out = append(out, [2]int{ps[i], ps[i+1] - 1})
	}
	return out
}

// Exposure is one open path from the internet to one interface: a protocol
// and port range, the addresses and route it is reached by, and the rules
// that open it.
type Exposure struct {
	InterfaceID  string   `json:"interface_id"`
	OwnerType    string   `json:"owner_type"`
	OwnerID      string   `json:"owner_id"`
	OwnerName    string   `json:"owner_name"`
	InstanceID   string   `json:"instance_id"`
	VpcID        string   `json:"vpc_id"`
	SubnetID     string   `json:"subnet_id"`
	Account      string   `json:"account_id"`
	Region       string   `json:"region"`
	Protocol     string   `json:"protocol"` // tcp, udp, icmp, icmpv6, all, other, or a number
	Ports        string   `json:"ports"`    // 22, 1024-65535, all, type 8, ...
	FromPort     *int     `json:"from_port"`
	ToPort       *int     `json:"to_port"`
	Family       string   `json:"family"` // ipv4, ipv6, ipv4+ipv6
	Scope        string   `json:"scope"`  // world or restricted
	PublicIPs    []string `json:"public_ips"`
	Sources      string   `json:"sources"`
	Path         string   `json:"path"`
	SGRules      []string `json:"security_group_rules"`
	NACLRules    []string `json:"nacl_rules"`
	Routes       []string `json:"routes"`
	Notes        []string `json:"notes"`
	Seen         *Seen    `json:"seen,omitempty"`
	Prowler      []string `json:"prowler,omitempty"`
	SecurityGrps []string `json:"-"`

	class      int
	lo, hi     int
	otherProto []int    // for class "other": the protocols it excludes
	dstAddrs   []string // the interface's private addresses of the exposed families
}

// Verdict is the outcome for one interface, exposed or not, with the reason.
type Verdict struct {
	InterfaceID string   `json:"interface_id"`
	OwnerType   string   `json:"owner_type"`
	OwnerID     string   `json:"owner_id"`
	OwnerName   string   `json:"owner_name"`
	VpcID       string   `json:"vpc_id"`
	SubnetID    string   `json:"subnet_id"`
	Status      string   `json:"status"` // exposed, restricted, not_exposed, unknown
	Reason      string   `json:"reason"`
	Open        []string `json:"open"` // "tcp 22", ... for exposed interfaces
	Notes       []string `json:"notes"`
}

// Report is the result of Evaluate.
type Report struct {
	Exposures  []Exposure // reachable from the internet at large
	Restricted []Exposure // reachable from some internet addresses only
	Verdicts   []Verdict  // one per interface
}

// Evaluate decides, for every network interface of the inventory, whether and
// how it is reachable from the internet.
func (inv *Inventory) Evaluate() *Report {
	rep := &Report{}
	ids := make([]int, len(inv.NetworkInterfaces))
	for i := range ids {
		ids[i] = i
	}
	sort.Slice(ids, func(a, b int) bool {
		return inv.NetworkInterfaces[ids[a]].NetworkInterfaceId < inv.NetworkInterfaces[ids[b]].NetworkInterfaceId
	})
	for _, i := range ids {
		world, restricted, v := inv.evaluate(&inv.NetworkInterfaces[i])
		rep.Exposures = append(rep.Exposures, world...)
		rep.Restricted = append(rep.Restricted, restricted...)
		rep.Verdicts = append(rep.Verdicts, v)
	}
	return rep
}

// famState is what one address family of one interface contributes.
type famState struct {
	v6        bool
	name      string
	public    []string // public addresses of the family
	pubText   string
	routeSet  ipSet
	localSet  ipSet // addresses the route table keeps inside the VPC
	routes    []contrib
	routeText string // subnet -> rtb (how chosen)
	reason    string // why this family is not exposed, when it is not
}

func (inv *Inventory) evaluate(n *NetworkInterface) (world, restricted []Exposure, v Verdict) {
	l := inv.lookup()
	o := inv.owner(n)
	v = Verdict{InterfaceID: n.NetworkInterfaceId, OwnerType: o.OwnerType, OwnerID: o.OwnerID, OwnerName: o.OwnerName,
		VpcID: n.VpcId, SubnetID: n.SubnetId}
	notExposed := func(reason string) (world, restricted []Exposure, v2 Verdict) {
		v.Status, v.Reason = "not_exposed", reason
		return nil, nil, v
	}
	unknown := func(reason string) (world, restricted []Exposure, v2 Verdict) {
		v.Status, v.Reason = "unknown", reason
		return nil, nil, v
	}
	if in := l.instance[o.InstanceID]; in != nil && in.State != nil && in.State.Name != "" && in.State.Name != "running" && in.State.Name != "pending" {
		return notExposed("its instance " + in.InstanceId + " is " + in.State.Name + ": nothing answers until it runs again (its rules still open it then)")
	}
	if n.Status == "available" || (n.Attachment == nil && n.Status == "") {
		return notExposed("interface is not attached to anything (status " + orDash(n.Status) + "): no traffic reaches it")
	}
	if n.DenyAllIgwTraffic {
		return notExposed("interface denies all internet gateway traffic (DenyAllIgwTraffic)")
	}
	if o.OwnerType == "nat_gateway" {
		return notExposed("NAT gateway interface: a NAT gateway drops connections initiated from the internet")
	}

	// 1. Public addresses.
	_, pub4, pub6 := interfaceAddresses(n, l)
	var fams []*famState
	if len(pub4) > 0 {
		fams = append(fams, &famState{v6: false, name: "ipv4", public: pub4, pubText: inv.publicText(n, pub4)})
	}
	var pub6net []string
	for _, a := range pub6 {
		if IsInternetAddr(a) {
			pub6net = append(pub6net, a)
		}
	}
	if len(pub6net) > 0 {
		fams = append(fams, &famState{v6: true, name: "ipv6", public: pub6net, pubText: "IPv6 " + strings.Join(pub6net, ", ")})
	}
	if len(fams) == 0 {
		if len(pub6) > 0 {
			return notExposed("no public IPv4 address, and its IPv6 addresses (" + strings.Join(pub6, ", ") + ") are not global unicast")
		}
		return notExposed("no public IPv4 address (no association, no Elastic IP) and no IPv6 address")
	}

	// 2. Routes back to the internet.
	rt, how := inv.routeTable(n)
	if rt == nil {
		return unknown(fmt.Sprintf("no route table for subnet %s in the inventory (import describe-route-tables)", orDash(n.SubnetId)))
	}
	var live []*famState
	for _, f := range fams {
		f.routeSet, f.localSet, f.routes = inv.internetRoutes(rt, n.VpcId, f.v6, &v.Notes)
		f.routeText = fmt.Sprintf("%s -> %s (%s)", orDash(n.SubnetId), rt.RouteTableId, how)
		if f.routeSet.intersect(internet(f.v6)).empty() {
			f.reason = fmt.Sprintf("no route to an internet gateway for %s in %s (%s): %s", f.name, rt.RouteTableId, how, inv.defaultRouteText(rt, n.VpcId, f.v6))
			continue
		}
		live = append(live, f)
	}
	if len(live) == 0 {
		return notExposed(joinReasons(fams))
	}

	// 3-5. Security groups and network ACL.
	if len(n.Groups) == 0 {
		if strings.EqualFold(n.InterfaceType, "network_load_balancer") {
			return unknown("network load balancer without security groups: it forwards its listener ports, which the EC2 inventory does not show (see aws elbv2 describe-listeners)")
		}
		return notExposed("no security group on the interface: an AWS-managed interface (" + orDash(n.InterfaceType) + ") that accepts no connection from the internet")
	}
	sgs, sgNotes, sgKnown := inv.sgRules(n)
	v.Notes = append(v.Notes, sgNotes...)
	if !sgKnown {
		return unknown("none of its security groups is in the inventory (import describe-security-groups)")
	}
	acl, naclIn, naclOut, aclHow := inv.nacl(n)
	if acl == "" {
		v.Notes = append(v.Notes, "no network ACL for subnet "+orDash(n.SubnetId)+" in the inventory: assumed to allow everything, as the default ACL does")
	}

	stage := map[string]int{} // family -> furthest stage reached: 3 SG, 4 ACL in, 5 ACL out
	for _, f := range live {
		cells := evalFamily(f, sgs, naclIn, naclOut, acl == "")
		best := 2
		for _, c := range cells {
			if c.stage > best {
				best = c.stage
			}
		}
		stage[f.name] = best
		for _, c := range mergeCells(cells) {
			if c.out.set.empty() {
				continue
			}
			e := Exposure{
				InterfaceID: n.NetworkInterfaceId, OwnerType: o.OwnerType, OwnerID: o.OwnerID, OwnerName: o.OwnerName,
				InstanceID: o.InstanceID, VpcID: n.VpcId, SubnetID: n.SubnetId, Account: n.OwnerId, Region: n.Region,
				Family: f.name, PublicIPs: f.public, SGRules: c.out.sg, NACLRules: c.out.nacl, Routes: c.out.routes,
				Notes: append([]string(nil), v.Notes...), SecurityGrps: o.SecurityGroups,
				class: c.class, lo: c.lo, hi: c.hi, otherProto: c.other,
			}
			if !f.v6 {
				e.dstAddrs = o.PrivateIPs
			} else {
				e.dstAddrs = o.IPv6Addresses
			}
			e.Path = f.pubText + "; " + f.routeText + ": " + strings.Join(c.out.routes, ", ")
			if acl != "" {
				e.Path += "; " + acl + " (" + aclHow + ")"
			}
			isWorld := c.out.set.size() >= internet(f.v6).size()/2
			e.Sources = sourcesText(c.out.set, f.localSet, f.v6, isWorld)
			if isWorld {
				e.Scope = "world"
				world = append(world, e)
			} else {
				e.Scope = "restricted"
				restricted = append(restricted, e)
			}
		}
		switch best {
		case 2:
			f.reason = fmt.Sprintf("no security group rule admits the internet over %s (%s)", f.name, sgSummary(sgs, f.v6))
		case 3:
			f.reason = fmt.Sprintf("network ACL %s denies the inbound %s traffic its security groups admit (%s)", acl, f.name, denySummary(naclIn, f.v6))
		case 4:
			f.reason = fmt.Sprintf("network ACL %s outbound rules block the %s replies to ephemeral ports 1024-65535 (%s)", acl, f.name, denySummary(naclOut, f.v6))
		}
	}
	world = mergeFamilies(world)
	restricted = mergeFamilies(restricted)
	for i := range world {
		world[i].finish()
		v.Open = append(v.Open, svcText(world[i].class, world[i].lo, world[i].hi)+" ("+world[i].Family+")")
	}
	for i := range restricted {
		restricted[i].finish()
	}
	switch {
	case len(world) > 0:
		v.Status, v.Reason = "exposed", "reachable from the internet: "+strings.Join(v.Open, "; ")
	case len(restricted) > 0:
		var open []string
		for _, e := range restricted {
			open = append(open, svcText(e.class, e.lo, e.hi)+" from "+e.Sources)
		}
		v.Status, v.Reason = "restricted", "reachable only from some internet addresses: "+strings.Join(open, "; ")
	default:
		v.Status, v.Reason = "not_exposed", joinReasons(fams)
	}
	return world, restricted, v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinReasons(fams []*famState) string {
	var rs []string
	for _, f := range fams {
		if f.reason != "" {
			rs = append(rs, f.reason)
		}
	}
	return strings.Join(rs, "; ")
}

// publicText describes the public IPv4 addresses: auto-assigned or Elastic IP.
func (inv *Inventory) publicText(n *NetworkInterface, pub []string) string {
	l := inv.lookup()
	eip := map[string]string{}
	note := func(a *NetworkInterfaceAssociation) {
		if a == nil || a.PublicIp == "" {
			return
		}
		if a.AllocationId != "" {
			eip[a.PublicIp] = a.AllocationId
		} else if a.IpOwnerId != "" && a.IpOwnerId != "amazon" {
			eip[a.PublicIp] = "owner " + a.IpOwnerId
		}
	}
	note(n.Association)
	for _, p := range n.PrivateIpAddresses {
		note(p.Association)
	}
	for _, a := range l.eipByENI[n.NetworkInterfaceId] {
		eip[a.PublicIp] = a.ID()
	}
	var parts []string
	for _, ip := range pub {
		if id, ok := eip[ip]; ok {
			parts = append(parts, "Elastic IP "+ip+" ("+id+")")
		} else {
			parts = append(parts, "public IPv4 "+ip)
		}
	}
	return strings.Join(parts, ", ")
}

// routeTable finds the route table of an interface's subnet.
func (inv *Inventory) routeTable(n *NetworkInterface) (*RouteTable, string) {
	l := inv.lookup()
	if rt := l.rtBySubnet[n.SubnetId]; rt != nil {
		return rt, "explicit association"
	}
	if rt := l.rtMain[n.VpcId]; rt != nil {
		return rt, "main route table"
	}
	return nil, ""
}

// igwUsable says whether a route to gateway id can carry internet traffic for vpc.
func (inv *Inventory) igwUsable(id, vpc string) (bool, string) {
	if !strings.HasPrefix(id, "igw-") {
		return false, ""
	}
	l := inv.lookup()
	if len(inv.InternetGateways) == 0 {
		return true, ""
	}
	g := l.igw[id]
	if g == nil {
		return true, id + " is not in the inventory; its route is taken as working"
	}
	for _, a := range g.Attachments {
		if a.VpcId == vpc && (a.State == "" || a.State == "available" || a.State == "attached") {
			return true, ""
		}
	}
	return false, id + " is not attached to " + vpc + ": its routes are black holes"
}

type routeEntry struct {
	bits   int
	pl     bool
	set    ipSet
	text   string
	target string
	state  string
}

// internetRoutes returns the remote addresses whose longest-prefix route in
// rt leads to a usable internet gateway, with the routes that carry them.
func (inv *Inventory) internetRoutes(rt *RouteTable, vpc string, v6 bool, notes *[]string) (ipSet, ipSet, []contrib) {
	l := inv.lookup()
	var rs []routeEntry
	for _, r := range rt.Routes {
		target := r.Target()
		switch {
		case r.DestinationPrefixListId != "":
			if !l.plKnown[r.DestinationPrefixListId] {
				if strings.HasPrefix(target, "igw-") {
					*notes = append(*notes, "route to prefix list "+r.DestinationPrefixListId+" via "+target+": entries not in the inventory, not counted")
				}
				continue
			}
			for _, c := range l.plEntries[r.DestinationPrefixListId] {
				p, err := netip.ParsePrefix(c)
				if err != nil || p.Addr().Is6() != v6 {
					continue
				}
				rs = append(rs, routeEntry{bits: p.Bits(), pl: true, set: prefixSet(p), text: r.DestinationPrefixListId + " (" + c + ") -> " + target, target: target, state: r.State})
			}
		default:
			dst := r.DestinationCidrBlock
			if v6 {
				dst = r.DestinationIpv6CidrBlock
			}
			if dst == "" {
				continue
			}
			p, err := netip.ParsePrefix(dst)
			if err != nil || p.Addr().Is6() != v6 {
				continue
			}
			rs = append(rs, routeEntry{bits: p.Bits(), set: prefixSet(p), text: dst + " -> " + target, target: target, state: r.State})
		}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].bits != rs[j].bits {
			return rs[i].bits > rs[j].bits
		}
		return !rs[i].pl && rs[j].pl // a CIDR route beats a prefix-list route of the same length
	})
	remaining := fullSet(v6)
	out, local := ipSet{v6: v6}, ipSet{v6: v6}
	var parts []contrib
	for _, r := range rs {
		m := remaining.intersect(r.set)
		if m.empty() {
			continue
		}
		remaining = remaining.minus(m)
		if r.target == "local" {
			local = local.union(m)
		}
		if r.state != "" && r.state != "active" {
			continue
		}
		ok, note := inv.igwUsable(r.target, vpc)
		if note != "" {
			*notes = append(*notes, note)
		}
		if ok {
			out = out.union(m)
			parts = append(parts, contrib{r.text, m})
		}
	}
	return out, local, parts
}

// defaultRouteText says where an internet host's traffic goes in rt.
func (inv *Inventory) defaultRouteText(rt *RouteTable, vpc string, v6 bool) string {
	probe := netip.MustParseAddr("8.8.8.8")
	if v6 {
		probe = netip.MustParseAddr("2001:4860:4860::8888")
	}
	best, bits := "", -1
	for _, r := range rt.Routes {
		dst := r.DestinationCidrBlock
		if v6 {
			dst = r.DestinationIpv6CidrBlock
		}
		p, err := netip.ParsePrefix(dst)
		if err != nil || !p.Contains(probe) || p.Bits() <= bits {
			continue
		}
		bits = p.Bits()
		best = dst + " -> " + r.Target()
		if r.State != "" && r.State != "active" {
			best += " (" + r.State + ")"
		} else if ok, _ := inv.igwUsable(r.Target(), vpc); !ok && strings.HasPrefix(r.Target(), "igw-") {
			best += " (not attached to " + vpc + ": a black hole)"
		}
	}
	if best == "" {
		return "no default route"
	}
	return best
}

// sgRules flattens the ingress rules of an interface's security groups.
func (inv *Inventory) sgRules(n *NetworkInterface) (rules []sgRule, notes []string, known bool) {
	l := inv.lookup()
	for _, g := range n.Groups {
		var perms []IpPermission
		sg := l.sg[g.GroupId]
		if sg != nil {
			perms = append(perms, sg.IpPermissions...)
		}
		perms = append(perms, l.sgRules[g.GroupId]...)
		if sg == nil && len(l.sgRules[g.GroupId]) == 0 {
			notes = append(notes, "security group "+g.GroupId+" is not in the inventory: its rules are not counted")
			continue
		}
		known = true
		for _, p := range perms {
			proto, ok := parseProto(p.IpProtocol)
			if !ok {
				notes = append(notes, fmt.Sprintf("%s: unreadable protocol %q, rule skipped", g.GroupId, p.IpProtocol))
				continue
			}
			lo, hi := 0, 65535
			switch {
			case proto == 6 || proto == 17:
				lo, hi = portRange(p.FromPort, p.ToPort)
			case isICMP(proto):
				lo, hi = icmpRange(p.FromPort, p.ToPort)
			case proto != protoAll:
				lo, hi = 0, 0
			}
			svc := svcText(proto, lo, hi)
			add := func(src string, set ipSet, v6 bool) {
				fi := 0
				if v6 {
					fi = 1
				}
				r := sgRule{text: g.GroupId + " " + svc + " from " + src, proto: proto, lo: lo, hi: hi}
				r.src[fi], r.has[fi] = set, true
				rules = append(rules, r)
			}
			for _, r := range p.IpRanges {
				s, err := parseCIDRSet(r.CidrIp)
				if err != nil || s.v6 {
					notes = append(notes, fmt.Sprintf("%s: unreadable source %q, rule skipped", g.GroupId, r.CidrIp))
					continue
				}
				add(r.CidrIp, s, false)
			}
			for _, r := range p.Ipv6Ranges {
				s, err := parseCIDRSet(r.CidrIpv6)
				if err != nil || !s.v6 {
					notes = append(notes, fmt.Sprintf("%s: unreadable source %q, rule skipped", g.GroupId, r.CidrIpv6))
					continue
				}
				add(r.CidrIpv6, s, true)
			}
			for _, pl := range p.PrefixListIds {
				if !l.plKnown[pl.PrefixListId] {
					notes = append(notes, fmt.Sprintf("%s: %s from prefix list %s whose entries are not in the inventory: not counted as the internet (import `aws ec2 get-managed-prefix-list-entries --prefix-list-id %s`)", g.GroupId, svc, pl.PrefixListId, pl.PrefixListId))
					continue
				}
				var s4, s6 ipSet
				s6.v6 = true
				for _, c := range l.plEntries[pl.PrefixListId] {
					s, err := parseCIDRSet(c)
					if err != nil {
						continue
					}
					if s.v6 {
						s6 = s6.union(s)
					} else {
						s4 = s4.union(s)
					}
				}
				label := "prefix list " + pl.PrefixListId
				if !s4.empty() {
					add(label+" ("+s4.String()+")", s4, false)
				}
				if !s6.empty() {
					add(label+" ("+s6.String()+")", s6, true)
				}
			}
			for _, gp := range p.UserIdGroupPairs {
				// Members of a security group are never the internet.
				rules = append(rules, sgRule{text: g.GroupId + " " + svc + " from " + gp.GroupId + " (a security group, not the internet)", proto: proto, lo: lo, hi: hi})
			}
		}
	}
	return rules, notes, known
}

// nacl finds the ACL of an interface's subnet and splits its entries by
// direction, in rule-number order.
func (inv *Inventory) nacl(n *NetworkInterface) (id string, in, out []naclRule, how string) {
	l := inv.lookup()
	a := l.naclBySubnet[n.SubnetId]
	how = "subnet association"
	if a == nil {
		a = l.naclDefault[n.VpcId]
		how = "VPC default ACL"
	}
	if a == nil {
		return "", nil, nil, ""
	}
	for _, e := range a.Entries {
		proto, ok := parseProto(e.Protocol)
		if !ok {
			continue
		}
		lo, hi := 0, 65535
		switch {
		case proto == 6 || proto == 17:
			if e.PortRange != nil {
				lo, hi = portRange(e.PortRange.From, e.PortRange.To)
			}
		case isICMP(proto):
			if e.IcmpTypeCode != nil {
				lo, hi = icmpRange(e.IcmpTypeCode.Type, e.IcmpTypeCode.Code)
			}
		case proto != protoAll:
			lo, hi = 0, 0
		}
		cidr := e.CidrBlock
		if cidr == "" {
			cidr = e.Ipv6CidrBlock
		}
		set, err := parseCIDRSet(cidr)
		if err != nil {
			continue
		}
		dir := "in"
		if e.Egress {
			dir = "out"
		}
		num := strconv.Itoa(e.RuleNumber)
		if e.RuleNumber == 32767 {
			num = "*"
		}
		r := naclRule{num: e.RuleNumber, allow: strings.EqualFold(e.RuleAction, "allow"), proto: proto, lo: lo, hi: hi,
			v6: set.v6, set: set, text: fmt.Sprintf("%s %s #%s %s %s %s", a.NetworkAclId, dir, num, strings.ToLower(e.RuleAction), svcText(proto, lo, hi), cidr)}
		if e.Egress {
			out = append(out, r)
		} else {
			in = append(in, r)
		}
	}
	byNum := func(rs []naclRule) {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].num < rs[j].num })
	}
	byNum(in)
	byNum(out)
	return a.NetworkAclId, in, out, how
}

// cell is the outcome for one protocol class and elementary range.
type cell struct {
	class  int
	lo, hi int
	other  []int
	stage  int // 2 nothing admitted, 3 SG admits, 4 ACL in lets through, 5 reply gets out
	out    outcome
}

type outcome struct {
	set    ipSet
	sg     []string
	nacl   []string
	routes []string
}

// equal compares two outcomes for merging. The ACL entries that let replies
// out are left out of the comparison (they are per protocol, so they would
// keep tcp, udp and icmp apart when all are open the same way); merged
// outcomes keep the entries of both.
func (a outcome) equal(b outcome) bool {
	return a.set.equal(b.set) && eqStrings(a.sg, b.sg) && eqStrings(noReply(a.nacl), noReply(b.nacl)) && eqStrings(a.routes, b.routes)
}

func noReply(rs []string) []string {
	var out []string
	for _, r := range rs {
		if !strings.HasSuffix(r, " (reply)") {
			out = append(out, r)
		}
	}
	return out
}

func (a *outcome) absorb(b outcome) {
	seen := map[string]bool{}
	for _, r := range a.nacl {
		seen[r] = true
	}
	for _, r := range b.nacl {
		if !seen[r] {
			seen[r] = true
			a.nacl = append(a.nacl, r)
		}
	}
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// evalFamily computes the reachable sources of every elementary cell.
func evalFamily(f *famState, sgs []sgRule, naclIn, naclOut []naclRule, noACL bool) []cell {
	fi := 0
	if f.v6 {
		fi = 1
	}
	wrongICMP := 58
	if f.v6 {
		wrongICMP = 1
	}
	classSet := map[int]bool{6: true, 17: true}
	if f.v6 {
		classSet[58] = true
	} else {
		classSet[1] = true
	}
	for _, r := range sgs {
		if r.proto >= 0 && r.proto != wrongICMP {
			classSet[r.proto] = true
		}
	}
	for _, rs := range [][]naclRule{naclIn, naclOut} {
		for _, r := range rs {
			if r.proto >= 0 && r.proto != wrongICMP && r.v6 == f.v6 {
				classSet[r.proto] = true
			}
		}
	}
	var classes []int
	for c := range classSet {
		classes = append(classes, c)
	}
	sort.Ints(classes)
	named := append([]int(nil), classes...)
	classes = append(classes, protoOther)

	inet := internet(f.v6)
	base := f.routeSet.intersect(inet)
	var cells []cell
	for _, c := range classes {
		max := axisMax(c)
		var bounds []int
		for _, r := range sgs {
			if r.proto == c {
				bounds = append(bounds, r.lo, r.hi+1)
			}
		}
		for _, r := range naclIn {
			if r.proto == c && r.v6 == f.v6 {
				bounds = append(bounds, r.lo, r.hi+1)
			}
		}
		echoRep := 0 // ICMP echo reply; ICMPv6's is type 129
		if c == 58 {
			echoRep = 129
		}
		// The reply path for TCP/UDP and other protocols does not depend on
		// the destination port: compute it once per class.
		var replyAll ipSet
		var replyParts []contrib
		switch {
		case noACL:
			replyAll = fullSet(f.v6)
		case c == 6 || c == 17:
			var ob []int
			for _, r := range naclOut {
				if r.proto == c && r.v6 == f.v6 {
					ob = append(ob, r.lo, r.hi+1)
				}
			}
			replyAll = ipSet{v6: f.v6}
			for _, x := range cuts(65535, ob) {
				if x[1] < 1024 {
					continue
				}
				lo := x[0]
				if lo < 1024 {
					lo = 1024
				}
				a, parts := firstMatch(naclOut, f.v6, c, lo, x[1])
				replyAll = replyAll.union(a)
				replyParts = append(replyParts, parts...)
			}
		case isICMP(c):
			replyAll, replyParts = firstMatch(naclOut, f.v6, c, echoRep*256, echoRep*256)
		default:
			replyAll, replyParts = firstMatch(naclOut, f.v6, c, 0, 0)
		}
		for _, x := range cuts(max, bounds) {
			ce := cell{class: c, lo: x[0], hi: x[1], stage: 2}
			if c == protoOther {
				ce.other = named
			}
			// 3. Security groups.
			src := ipSet{v6: f.v6}
			var sgTexts []string
			for _, r := range sgs {
				if !(r.proto == protoAll || r.proto == c) || r.lo > x[0] || r.hi < x[1] || !r.has[fi] {
					continue
				}
				s := r.src[fi].intersect(base)
				if s.empty() {
					continue
				}
				src = src.union(s)
				sgTexts = append(sgTexts, r.text)
			}
			if src.empty() {
				cells = append(cells, ce)
				continue
			}
			ce.stage = 3
			// 4. ACL inbound.
			in := fullSet(f.v6)
			var inParts []contrib
			if !noACL {
				in, inParts = firstMatch(naclIn, f.v6, c, x[0], x[1])
			}
			s := src.intersect(in)
			if s.empty() {
				cells = append(cells, ce)
				continue
			}
			ce.stage = 4
			// 5. ACL outbound (the reply).
			reply, rParts := replyAll, replyParts
			s = s.intersect(reply)
			if s.empty() {
				cells = append(cells, ce)
				continue
			}
			ce.stage = 5
			ce.out.set = s
			ce.out.sg = sgTexts
			for _, p := range inParts {
				if !p.set.intersect(s).empty() {
					ce.out.nacl = append(ce.out.nacl, p.text)
				}
			}
			for _, p := range inParts {
				if !p.set.intersect(src).minus(in).empty() {
					ce.out.nacl = append(ce.out.nacl, p.text+" (exception)")
				}
			}
			seen := map[string]bool{}
			for _, p := range rParts {
				if !p.set.intersect(s).empty() && !seen[p.text] {
					seen[p.text] = true
					ce.out.nacl = append(ce.out.nacl, p.text+" (reply)")
				}
			}
			for _, p := range f.routes {
				if !p.set.intersect(s).empty() {
					ce.out.routes = append(ce.out.routes, p.text)
				}
			}
			cells = append(cells, ce)
		}
	}
	return cells
}

// mergeCells joins adjacent ranges of a class with the same outcome, and
// collapses a family whose every class is fully open the same way into one
// "all traffic" cell.
func mergeCells(cells []cell) []cell {
	var out []cell
	for _, c := range cells {
		if c.out.set.empty() {
			continue
		}
		if n := len(out); n > 0 && out[n-1].class == c.class && out[n-1].hi+1 == c.lo && out[n-1].out.equal(c.out) {
			out[n-1].hi = c.hi
			out[n-1].out.absorb(c.out)
			continue
		}
		out = append(out, c)
	}
	// Collapse: every class present once, full range, same outcome.
	classes := map[int]bool{}
	for _, c := range cells {
		classes[c.class] = true
	}
	if len(out) == len(classes) && len(out) > 0 {
		all := true
		for _, c := range out {
			if c.lo != 0 || c.hi != axisMax(c.class) || !c.out.equal(out[0].out) {
				all = false
				break
			}
		}
		if all {
			c := out[0]
			for _, x := range out[1:] {
				c.out.absorb(x.out)
			}
			c.class, c.lo, c.hi, c.other = protoAll, 0, 0, nil
			return []cell{c}
		}
	}
	return out
}

// mergeFamilies joins the IPv4 and IPv6 rows of the same protocol and range.
func mergeFamilies(es []Exposure) []Exposure {
	var out []Exposure
	idx := map[string]int{}
	for _, e := range es {
		key := fmt.Sprintf("%d/%d/%d/%v", e.class, e.lo, e.hi, e.otherProto)
		if i, ok := idx[key]; ok && out[i].Family != e.Family {
			o := &out[i]
			o.Family = o.Family + "+" + e.Family
			o.PublicIPs = append(append([]string(nil), o.PublicIPs...), e.PublicIPs...)
			o.Sources += "; " + e.Sources
			o.Path += " | " + e.Path
			o.SGRules = append(append([]string(nil), o.SGRules...), e.SGRules...)
			o.NACLRules = append(append([]string(nil), o.NACLRules...), e.NACLRules...)
			o.Routes = append(append([]string(nil), o.Routes...), e.Routes...)
			o.dstAddrs = append(append([]string(nil), o.dstAddrs...), e.dstAddrs...)
			continue
		}
		idx[key] = len(out)
		out = append(out, e)
	}
	return out
}

// finish fills the printed protocol and ports.
func (e *Exposure) finish() {
	e.Protocol = ProtoName(e.class)
	switch {
	case e.class == 6 || e.class == 17:
		lo, hi := e.lo, e.hi
		e.FromPort, e.ToPort = &lo, &hi
		e.Ports = portsText(e.class, e.lo, e.hi)
	case isICMP(e.class):
		e.Ports = portsText(e.class, e.lo, e.hi)
	default:
		e.Ports = "all"
	}
	if e.class == protoOther {
		var names []string
		for _, p := range e.otherProto {
			names = append(names, ProtoName(p))
		}
		e.Notes = append(e.Notes, "protocol \"other\" means every protocol except "+strings.Join(names, ", "))
	}
	if e.Notes == nil {
		e.Notes = []string{}
	}
	if e.NACLRules == nil {
		e.NACLRules = []string{}
	}
}

// sourcesText renders the reachable sources: "0.0.0.0/0" or "0.0.0.0/0
// except ..." for the internet at large, the CIDRs otherwise.
func sourcesText(s, local ipSet, v6 bool, world bool) string {
	all := "0.0.0.0/0"
	if v6 {
		all = "::/0"
	}
	list := func(x ipSet) string {
		ps := x.prefixes()
		var parts []string
		for i, p := range ps {
			if i == 8 {
				parts = append(parts, fmt.Sprintf("and %d more ranges", len(ps)-8))
				break
			}
			parts = append(parts, p.String())
		}
		return strings.Join(parts, ", ")
	}
	if !world {
		return list(s)
	}
	missing := internet(v6).minus(s).minus(local) // the VPC's own addresses are not the internet
	if missing.empty() {
		return all
	}
	return all + " except " + list(missing)
}

// sgSummary lists the ingress rules of a family, for the "not exposed" reason.
func sgSummary(sgs []sgRule, v6 bool) string {
	fi := 0
	if v6 {
		fi = 1
	}
	var parts []string
	for _, r := range sgs {
		if r.has[fi] || (!r.has[0] && !r.has[1]) {
			parts = append(parts, r.text)
		}
	}
	if len(parts) == 0 {
		return "no ingress rule for this family"
	}
	if len(parts) > 6 {
		parts = append(parts[:6], fmt.Sprintf("and %d more", len(parts)-6))
	}
	return strings.Join(parts, "; ")
}

// denySummary lists the deny entries of a family.
func denySummary(rs []naclRule, v6 bool) string {
	var parts []string
	for _, r := range rs {
		if r.v6 == v6 && !r.allow {
			parts = append(parts, r.text)
		}
	}
	if len(parts) == 0 {
		return "no matching allow entry"
	}
	if len(parts) > 6 {
		parts = append(parts[:6], fmt.Sprintf("and %d more", len(parts)-6))
	}
	return strings.Join(parts, "; ")
}
