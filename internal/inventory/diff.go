package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Change is one difference between a baseline inventory and a newer one.
type Change struct {
	Impact       string `json:"impact"` // widening, visibility, narrowing, change
	Change       string `json:"change"` // added, removed, changed
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	VpcID        string `json:"vpc_id"`
	Detail       string `json:"detail"`
}

var impactRank = map[string]int{"widening": 0, "visibility": 1, "narrowing": 2, "change": 3}

// Diff compares a baseline (old) with a newer inventory (new). Changes that
// widen exposure come first (a new internet-reachable interface and port, a
// new world-open rule, a new internet route, a new Elastic IP, a new peering
// or VPN), then losses of visibility (flow logs removed or narrowed), then
// narrowing changes, then the rest, each with the fields that changed.
//
// Prowler results are compared only when both sides hold some: they come
// from a separate scan, and a snapshot without them was not scanned, which
// says nothing about its resources (every result would read "removed").
func Diff(old, new *Inventory) []Change {
	var out []Change
	type res struct {
		r   Resource
		can string
	}
	prowler := len(old.Prowler) > 0 && len(new.Prowler) > 0
	index := func(inv *Inventory) map[string]res {
		m := map[string]res{}
		for _, r := range inv.Resources() {
			if r.Kind == "prowler_finding" && !prowler {
				continue
			}
			m[r.Kind+"\x00"+r.ID] = res{r, canonicalJSON(r.Data)}
		}
		return m
	}
	a, b := index(old), index(new)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		ra, inA := a[k]
		rb, inB := b[k]
		switch {
		case inA && !inB:
			c := Change{Change: "removed", ResourceType: ra.r.Kind, ResourceID: ra.r.ID, VpcID: ra.r.VpcID}
			c.Impact, c.Detail = removedImpact(ra.r)
			out = append(out, c)
		case !inA && inB:
			c := Change{Change: "added", ResourceType: rb.r.Kind, ResourceID: rb.r.ID, VpcID: rb.r.VpcID}
			c.Impact, c.Detail = addedImpact(rb.r)
			out = append(out, c)
			out = append(out, specific(nil, &rb.r)...)
		case ra.can != rb.can:
			sp := specific(&ra.r, &rb.r)
			out = append(out, sp...)
			impact := "change"
			for _, s := range sp {
				if s.Impact == "narrowing" && impact == "change" {
					impact = "narrowing"
				}
			}
			out = append(out, Change{Impact: impact, Change: "changed", ResourceType: rb.r.Kind, ResourceID: rb.r.ID, VpcID: rb.r.VpcID,
				Detail: "changed: " + strings.Join(changedPaths(ra.r.Data, rb.r.Data), ", ")})
		}
	}
	out = append(out, exposureDiff(old, new)...)
	sort.SliceStable(out, func(i, j int) bool {
		if impactRank[out[i].Impact] != impactRank[out[j].Impact] {
			return impactRank[out[i].Impact] < impactRank[out[j].Impact]
		}
		if out[i].ResourceType != out[j].ResourceType {
			return out[i].ResourceType < out[j].ResourceType
		}
		return out[i].ResourceID < out[j].ResourceID
	})
	return out
}

func addedImpact(r Resource) (string, string) {
	switch r.Kind {
	case "internet_gateway":
		return "widening", "new internet gateway"
	case "address":
		var a Address
		_ = json.Unmarshal(r.Data, &a)
		d := "new Elastic IP " + a.PublicIp
		if a.NetworkInterfaceId != "" {
			d += " on " + a.NetworkInterfaceId
		}
		return "widening", d
	case "vpc_peering_connection":
		var p VpcPeeringConnection
		_ = json.Unmarshal(r.Data, &p)
		d := "new VPC peering"
		if p.RequesterVpcInfo != nil && p.AccepterVpcInfo != nil {
			d += fmt.Sprintf(" %s (%s) <-> %s (%s)", p.RequesterVpcInfo.VpcId, p.RequesterVpcInfo.OwnerId, p.AccepterVpcInfo.VpcId, p.AccepterVpcInfo.OwnerId)
		}
		return "widening", d
	case "vpn_connection", "customer_gateway", "vpn_gateway":
		return "widening", "new " + strings.ReplaceAll(r.Kind, "_", " ")
	case "network_interface":
		var n NetworkInterface
		_ = json.Unmarshal(r.Data, &n)
		_, pub, v6 := interfaceAddresses(&n, nil)
		if len(pub)+len(v6) > 0 {
			return "widening", "new interface with public addresses " + strings.Join(append(pub, v6...), ", ")
		}
	case "vpc", "subnet", "nat_gateway", "egress_only_internet_gateway":
		return "change", "new " + strings.ReplaceAll(r.Kind, "_", " ")
	}
	return "change", "new " + strings.ReplaceAll(r.Kind, "_", " ")
}

func removedImpact(r Resource) (string, string) {
	if r.Kind == "flow_log" {
		var f FlowLog
		_ = json.Unmarshal(r.Data, &f)
		return "visibility", "flow log of " + f.ResourceId + " removed: its traffic is no longer recorded"
	}
	switch r.Kind {
	case "internet_gateway", "address", "vpc_peering_connection", "vpn_connection":
		return "narrowing", strings.ReplaceAll(r.Kind, "_", " ") + " removed"
	}
	return "change", strings.ReplaceAll(r.Kind, "_", " ") + " removed"
}

// decodePair decodes the old (nil for a new resource) and new versions of a
// resource into their type. The JSON was parsed when it was imported; a field
// of an unexpected type is left at its zero value, as the importers do.
func decodePair[T any](a, b *Resource) (x, y T) {
	if a != nil {
		_ = json.Unmarshal(a.Data, &x)
	}
	_ = json.Unmarshal(b.Data, &y)
	return x, y
}

// specific finds the changes inside a resource that widen or narrow exposure.
func specific(a, b *Resource) []Change {
	var out []Change
	mk := func(impact, detail string) {
		out = append(out, Change{Impact: impact, Change: "changed", ResourceType: b.Kind, ResourceID: b.ID, VpcID: b.VpcID, Detail: detail})
		if a == nil {
			out[len(out)-1].Change = "added"
		}
	}
	switch b.Kind {
	case "security_group":
		x, y := decodePair[SecurityGroup](a, b)
		added, removed := setDiff(sgTuples(x.IpPermissions), sgTuples(y.IpPermissions))
		for _, t := range added {
			if strings.HasSuffix(t, " from 0.0.0.0/0") || strings.HasSuffix(t, " from ::/0") {
				mk("widening", "new world-open ingress rule: "+t)
			} else {
				mk("widening", "new ingress rule: "+t)
			}
		}
		for _, t := range removed {
			mk("narrowing", "ingress rule removed: "+t)
		}
	case "network_acl":
		x, y := decodePair[NetworkAcl](a, b)
		added, removed := setDiff(aclTuples(x.Entries), aclTuples(y.Entries))
		for _, t := range added {
			if strings.Contains(t, " allow ") {
				mk("widening", "new allow entry: "+t)
			} else {
				mk("narrowing", "new deny entry: "+t)
			}
		}
		for _, t := range removed {
			if strings.Contains(t, " deny ") {
				mk("widening", "deny entry removed: "+t)
			} else {
				mk("narrowing", "allow entry removed: "+t)
			}
		}
	case "route_table":
		x, y := decodePair[RouteTable](a, b)
		added, removed := setDiff(routeTuples(x.Routes), routeTuples(y.Routes))
		for _, t := range added {
			switch {
			case strings.Contains(t, "-> igw-"):
				mk("widening", "new internet route: "+t)
			case strings.Contains(t, "-> pcx-") || strings.Contains(t, "-> tgw-") || strings.Contains(t, "-> vgw-"):
				mk("widening", "new route to another network: "+t)
			default:
				mk("change", "new route: "+t)
			}
		}
		for _, t := range removed {
			mk("narrowing", "route removed: "+t)
		}
	case "network_interface":
		if a == nil {
			break
		}
		x, y := decodePair[NetworkInterface](a, b)
		_, px, vx := interfaceAddresses(&x, nil)
		_, py, vy := interfaceAddresses(&y, nil)
		added, removed := setDiff(append(px, vx...), append(py, vy...))
		for _, ip := range added {
			mk("widening", "new public address "+ip)
		}
		for _, ip := range removed {
			mk("narrowing", "public address removed: "+ip)
		}
		ga, gb := groupIDs(x.Groups), groupIDs(y.Groups)
		if ga != gb {
			mk("change", "security groups "+ga+" -> "+gb)
		}
	case "address":
		if a == nil {
			break
		}
		x, y := decodePair[Address](a, b)
		if y.NetworkInterfaceId != "" && y.NetworkInterfaceId != x.NetworkInterfaceId {
			mk("widening", "Elastic IP "+y.PublicIp+" now associated with "+y.NetworkInterfaceId)
		}
	case "internet_gateway":
		if a == nil {
			break
		}
		x, y := decodePair[InternetGateway](a, b)
		added, _ := setDiff(attachTuples(x.Attachments), attachTuples(y.Attachments))
		for _, t := range added {
			mk("widening", "internet gateway attached to "+t)
		}
	case "flow_log":
		if a == nil {
			break
		}
		x, y := decodePair[FlowLog](a, b)
		if strings.EqualFold(x.TrafficType, "ALL") && !strings.EqualFold(y.TrafficType, "ALL") {
			mk("visibility", "traffic type narrowed from ALL to "+y.TrafficType)
		}
		if x.FlowLogStatus != y.FlowLogStatus && !strings.EqualFold(y.FlowLogStatus, "ACTIVE") {
			mk("visibility", "status "+x.FlowLogStatus+" -> "+y.FlowLogStatus)
		}
		if y.DeliverLogsErrorMessage != "" && y.DeliverLogsErrorMessage != x.DeliverLogsErrorMessage {
			mk("visibility", "delivery error: "+y.DeliverLogsErrorMessage)
		}
	}
	return out
}

func groupIDs(gs []GroupIdentifier) string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.GroupId)
	}
	sort.Strings(ids)
	return "[" + strings.Join(ids, ",") + "]"
}

func sgTuples(perms []IpPermission) []string {
	var out []string
	for _, p := range perms {
		proto, ok := parseProto(p.IpProtocol)
		svc := p.IpProtocol
		if ok {
			lo, hi := 0, 65535
			switch {
			case proto == 6 || proto == 17:
				lo, hi = portRange(p.FromPort, p.ToPort)
			case isICMP(proto):
				lo, hi = icmpRange(p.FromPort, p.ToPort)
			}
			svc = svcText(proto, lo, hi)
		}
		for _, r := range p.IpRanges {
			out = append(out, svc+" from "+r.CidrIp)
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, svc+" from "+r.CidrIpv6)
		}
		for _, r := range p.PrefixListIds {
			out = append(out, svc+" from "+r.PrefixListId)
		}
		for _, r := range p.UserIdGroupPairs {
			out = append(out, svc+" from "+r.GroupId)
		}
	}
	return out
}

func aclTuples(es []NetworkAclEntry) []string {
	var out []string
	for _, e := range es {
		proto, ok := parseProto(e.Protocol)
		svc := e.Protocol
		if ok {
			lo, hi := 0, 65535
			switch {
			case (proto == 6 || proto == 17) && e.PortRange != nil:
				lo, hi = portRange(e.PortRange.From, e.PortRange.To)
			case isICMP(proto) && e.IcmpTypeCode != nil:
				lo, hi = icmpRange(e.IcmpTypeCode.Type, e.IcmpTypeCode.Code)
			}
			svc = svcText(proto, lo, hi)
		}
		dir := "in"
		if e.Egress {
			dir = "out"
		}
		cidr := e.CidrBlock + e.Ipv6CidrBlock
		out = append(out, fmt.Sprintf("%s #%s %s %s %s", dir, strconv.Itoa(e.RuleNumber), strings.ToLower(e.RuleAction), svc, cidr))
	}
	return out
}

func routeTuples(rs []Route) []string {
	var out []string
	for _, r := range rs {
		t := r.Destination() + " -> " + r.Target()
		if r.State != "" && r.State != "active" {
			t += " (" + r.State + ")"
		}
		out = append(out, t)
	}
	return out
}

func attachTuples(as []GatewayAttachment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.VpcId)
	}
	return out
}

// setDiff returns the strings of b not in a, and of a not in b, sorted.
func setDiff(a, b []string) (added, removed []string) {
	ma, mb := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		ma[x] = true
	}
	for _, x := range b {
		mb[x] = true
	}
	for x := range mb {
		if !ma[x] {
			added = append(added, x)
		}
	}
	for x := range ma {
		if !mb[x] {
			removed = append(removed, x)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return
}

// exposureDiff compares what is reachable from the internet.
func exposureDiff(old, new *Inventory) []Change {
	key := func(e Exposure) string {
		return e.InterfaceID + " " + e.Protocol + " " + e.Ports + " (" + e.Family + ")"
	}
	ea, eb := map[string]Exposure{}, map[string]Exposure{}
	for _, e := range old.Evaluate().Exposures {
		ea[key(e)] = e
	}
	for _, e := range new.Evaluate().Exposures {
		eb[key(e)] = e
	}
	var out []Change
	for k, e := range eb {
		if _, ok := ea[k]; !ok {
			owner := e.OwnerType
			if e.OwnerID != "" {
				owner += " " + e.OwnerID
			}
			out = append(out, Change{Impact: "widening", Change: "added", ResourceType: "exposure", ResourceID: e.InterfaceID, VpcID: e.VpcID,
				Detail: fmt.Sprintf("newly reachable from the internet: %s %s (%s, %s) from %s", e.Protocol, e.Ports, e.Family, owner, e.Sources)})
		}
	}
	for k, e := range ea {
		if _, ok := eb[k]; !ok {
			out = append(out, Change{Impact: "narrowing", Change: "removed", ResourceType: "exposure", ResourceID: e.InterfaceID, VpcID: e.VpcID,
				Detail: fmt.Sprintf("no longer reachable from the internet: %s %s (%s)", e.Protocol, e.Ports, e.Family)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Detail < out[j].Detail })
	return out
}

// canonicalJSON renders JSON with sorted keys and sorted arrays, so that
// reordered lists (AWS does not keep rule order stable) compare equal.
func canonicalJSON(data []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(data)
	}
	return canon(v)
}

func canon(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			b.WriteString(canon(x[k]))
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canon(e)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ",") + "]"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// changedPaths lists the top-level fields whose canonical values differ.
func changedPaths(a, b []byte) []string {
	var x, y map[string]any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	keys := map[string]bool{}
	for k := range x {
		keys[k] = true
	}
	for k := range y {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if canon(x[k]) != canon(y[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
