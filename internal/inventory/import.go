package inventory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Resource is one resource in a kind-neutral form: what the case stores and
// what the baseline diff compares.
type Resource struct {
	Kind    string          // "vpc", "subnet", "security_group", ... (see Kinds)
	ID      string          // the AWS id (vpc-..., sg-..., eipalloc-..., ...)
	Region  string          // "" when unknown
	VpcID   string          // "" for resources outside a VPC
	Account string          // owner account, when the JSON says
	Source  string          // file or API call it was read from
	Data    json.RawMessage // the resource's JSON
}

// kind describes one resource kind: the top-level key of its describe-* JSON
// and how to reach its items in an Inventory.
type kind struct {
	name  string // stored kind name
	key   string // top-level key in `aws ec2 describe-*` output
	count func(*Inventory) int
	add   func(inv *Inventory, raw json.RawMessage, m Meta) error
	each  func(inv *Inventory, fn func(Resource))
}

type metaPtr[T any] interface {
	*T
	meta() *Meta
}

// defKind builds the kind of resources of type T stored in the slice list
// returns; id, vpc and account read a resource's identity; region guesses its
// region from its own fields (an ARN, a zone) when the import did not say.
func defKind[T any, P metaPtr[T]](name, key string, list func(*Inventory) *[]T, id, vpc, account, region func(*T) string) kind {
	return kind{
		name:  name,
		key:   key,
		count: func(inv *Inventory) int { return len(*list(inv)) },
		add: func(inv *Inventory, raw json.RawMessage, m Meta) error {
			var v T
			if err := strictItem(raw, &v); err != nil {
				return err
			}
			rid := id(&v)
			if rid == "" {
				return fmt.Errorf("an item of %s has no id", key)
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return err
			}
			mm := P(&v).meta()
			*mm = m
			mm.Raw = json.RawMessage(buf.Bytes())
			if mm.Region == "" && region != nil {
				mm.Region = region(&v)
			}
			return put(inv, name, rid, list(inv), v, func(a, b *T) bool {
				return bytes.Equal(P(a).meta().Raw, P(b).meta().Raw)
			})
		},
		each: func(inv *Inventory, fn func(Resource)) {
			l := *list(inv)
			for i := range l {
				v := &l[i]
				mm := P(v).meta()
				data := mm.Raw
				if len(data) == 0 {
					data, _ = json.Marshal(v)
				}
				r := Resource{Kind: name, ID: id(v), Region: mm.Region, Source: mm.Source, Data: data}
				if vpc != nil {
					r.VpcID = vpc(v)
				}
				if account != nil {
					r.Account = account(v)
				}
				fn(r)
			}
		},
	}
}

// strictItem decodes one item and checks that it is a JSON object.
func strictItem(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("expected an object, found %.40s", raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	return validateItem(v)
}

// put adds v under id, or replaces an earlier resource with the same id (the
// later read wins, with a warning when the two differ).
func put[T any](inv *Inventory, kindName, id string, list *[]T, v T, same func(a, b *T) bool) error {
	if inv.index == nil {
		inv.index = map[string]map[string]int{}
	}
	m := inv.index[kindName]
	if m == nil {
		m = map[string]int{}
		inv.index[kindName] = m
	}
	if i, ok := m[id]; ok && i < len(*list) {
		if !same(&(*list)[i], &v) {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s %s was read twice with different content; the later one is kept", kindName, id))
		}
		(*list)[i] = v
		return nil
	}
	m[id] = len(*list)
	*list = append(*list, v)
	return nil
}

// kinds lists every resource kind, in the order the case stores and prints them.
var kinds = []kind{
	defKind[Vpc]("vpc", "Vpcs", func(i *Inventory) *[]Vpc { return &i.Vpcs },
		func(v *Vpc) string { return v.VpcId }, func(v *Vpc) string { return v.VpcId },
		func(v *Vpc) string { return v.OwnerId }, nil),
	defKind[Subnet]("subnet", "Subnets", func(i *Inventory) *[]Subnet { return &i.Subnets },
		func(v *Subnet) string { return v.SubnetId }, func(v *Subnet) string { return v.VpcId },
		func(v *Subnet) string { return v.OwnerId },
		func(v *Subnet) string {
			if r := regionFromARN(v.SubnetArn); r != "" {
				return r
			}
			return regionFromAZ(v.AvailabilityZone)
		}),
	defKind[RouteTable]("route_table", "RouteTables", func(i *Inventory) *[]RouteTable { return &i.RouteTables },
		func(v *RouteTable) string { return v.RouteTableId }, func(v *RouteTable) string { return v.VpcId },
		func(v *RouteTable) string { return v.OwnerId }, nil),
	defKind[SecurityGroup]("security_group", "SecurityGroups", func(i *Inventory) *[]SecurityGroup { return &i.SecurityGroups },
		func(v *SecurityGroup) string { return v.GroupId }, func(v *SecurityGroup) string { return v.VpcId },
		func(v *SecurityGroup) string { return v.OwnerId }, nil),
	defKind[SecurityGroupRule]("security_group_rule", "SecurityGroupRules", func(i *Inventory) *[]SecurityGroupRule { return &i.SecurityGroupRules },
		func(v *SecurityGroupRule) string { return v.SecurityGroupRuleId }, nil,
		func(v *SecurityGroupRule) string { return v.GroupOwnerId }, nil),
	defKind[NetworkAcl]("network_acl", "NetworkAcls", func(i *Inventory) *[]NetworkAcl { return &i.NetworkAcls },
		func(v *NetworkAcl) string { return v.NetworkAclId }, func(v *NetworkAcl) string { return v.VpcId },
		func(v *NetworkAcl) string { return v.OwnerId }, nil),
	defKind[NetworkInterface]("network_interface", "NetworkInterfaces", func(i *Inventory) *[]NetworkInterface { return &i.NetworkInterfaces },
		func(v *NetworkInterface) string { return v.NetworkInterfaceId }, func(v *NetworkInterface) string { return v.VpcId },
		func(v *NetworkInterface) string { return v.OwnerId },
		func(v *NetworkInterface) string { return regionFromAZ(v.AvailabilityZone) }),
	defKind[InternetGateway]("internet_gateway", "InternetGateways", func(i *Inventory) *[]InternetGateway { return &i.InternetGateways },
		func(v *InternetGateway) string { return v.InternetGatewayId },
		func(v *InternetGateway) string {
			if len(v.Attachments) > 0 {
				return v.Attachments[0].VpcId
			}
			return ""
		},
		func(v *InternetGateway) string { return v.OwnerId }, nil),
	defKind[EgressOnlyInternetGateway]("egress_only_internet_gateway", "EgressOnlyInternetGateways",
		func(i *Inventory) *[]EgressOnlyInternetGateway { return &i.EgressOnlyInternetGateways },
		func(v *EgressOnlyInternetGateway) string { return v.EgressOnlyInternetGatewayId },
		func(v *EgressOnlyInternetGateway) string {
			if len(v.Attachments) > 0 {
				return v.Attachments[0].VpcId
			}
			return ""
		}, nil, nil),
	defKind[NatGateway]("nat_gateway", "NatGateways", func(i *Inventory) *[]NatGateway { return &i.NatGateways },
		func(v *NatGateway) string { return v.NatGatewayId }, func(v *NatGateway) string { return v.VpcId }, nil, nil),
	defKind[VpcEndpoint]("vpc_endpoint", "VpcEndpoints", func(i *Inventory) *[]VpcEndpoint { return &i.VpcEndpoints },
		func(v *VpcEndpoint) string { return v.VpcEndpointId }, func(v *VpcEndpoint) string { return v.VpcId },
		func(v *VpcEndpoint) string { return v.OwnerId }, nil),
	defKind[VpcPeeringConnection]("vpc_peering_connection", "VpcPeeringConnections",
		func(i *Inventory) *[]VpcPeeringConnection { return &i.VpcPeeringConnections },
		func(v *VpcPeeringConnection) string { return v.VpcPeeringConnectionId },
		func(v *VpcPeeringConnection) string {
			if v.RequesterVpcInfo != nil {
				return v.RequesterVpcInfo.VpcId
			}
			return ""
		},
		func(v *VpcPeeringConnection) string {
			if v.RequesterVpcInfo != nil {
				return v.RequesterVpcInfo.OwnerId
			}
			return ""
		},
		func(v *VpcPeeringConnection) string {
			if v.RequesterVpcInfo != nil {
				return v.RequesterVpcInfo.Region
			}
			return ""
		}),
	defKind[CustomerGateway]("customer_gateway", "CustomerGateways", func(i *Inventory) *[]CustomerGateway { return &i.CustomerGateways },
		func(v *CustomerGateway) string { return v.CustomerGatewayId }, nil, nil, nil),
	defKind[VpnGateway]("vpn_gateway", "VpnGateways", func(i *Inventory) *[]VpnGateway { return &i.VpnGateways },
		func(v *VpnGateway) string { return v.VpnGatewayId },
		func(v *VpnGateway) string {
			if len(v.VpcAttachments) > 0 {
				return v.VpcAttachments[0].VpcId
			}
			return ""
		}, nil, nil),
	defKind[VpnConnection]("vpn_connection", "VpnConnections", func(i *Inventory) *[]VpnConnection { return &i.VpnConnections },
		func(v *VpnConnection) string { return v.VpnConnectionId }, nil, nil, nil),
	defKind[Address]("address", "Addresses", func(i *Inventory) *[]Address { return &i.Addresses },
		func(v *Address) string { return v.ID() }, nil, func(v *Address) string { return v.NetworkInterfaceOwnerId }, nil),
	defKind[FlowLog]("flow_log", "FlowLogs", func(i *Inventory) *[]FlowLog { return &i.FlowLogs },
		func(v *FlowLog) string { return v.FlowLogId }, nil, nil, nil),
	defKind[PrefixList]("prefix_list", "PrefixLists", func(i *Inventory) *[]PrefixList { return &i.PrefixLists },
		func(v *PrefixList) string { return v.PrefixListId }, nil, func(v *PrefixList) string { return v.OwnerId }, nil),
	defKind[PrefixListEntries]("prefix_list_entries", "Entries", func(i *Inventory) *[]PrefixListEntries { return &i.PrefixListEntries },
		func(v *PrefixListEntries) string { return v.PrefixListId }, nil, nil, nil),
	defKind[Instance]("instance", "Instances", func(i *Inventory) *[]Instance { return &i.Instances },
		func(v *Instance) string { return v.InstanceId }, func(v *Instance) string { return v.VpcId }, nil, nil),
	defKind[ProwlerFinding]("prowler_finding", "", func(i *Inventory) *[]ProwlerFinding { return &i.Prowler },
		func(v *ProwlerFinding) string { return v.UID }, nil, func(v *ProwlerFinding) string { return v.Account },
		func(v *ProwlerFinding) string { return v.Region }),
}

var kindByName = func() map[string]*kind {
	m := map[string]*kind{}
	for i := range kinds {
		m[kinds[i].name] = &kinds[i]
	}
	return m
}()

var kindByKey = func() map[string]*kind {
	m := map[string]*kind{}
	for i := range kinds {
		if kinds[i].key != "" {
			m[kinds[i].key] = &kinds[i]
		}
	}
	return m
}()

// Kinds returns the names of the resource kinds, in storage order.
func Kinds() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

// Keys returns the top-level keys of describe-* JSON that import recognises.
func Keys() []string {
	out := []string{"Reservations"}
	for _, k := range kinds {
		if k.key != "" {
			out = append(out, k.key)
		}
	}
	sort.Strings(out)
	return out
}

// Resources returns every resource, kind by kind in storage order.
func (inv *Inventory) Resources() []Resource {
	var out []Resource
	for _, k := range kinds {
		k.each(inv, func(r Resource) { out = append(out, r) })
	}
	return out
}

// AddResource adds one stored resource (as Resources returned it) back into
// the inventory: how a snapshot is read back from the case.
func (inv *Inventory) AddResource(r Resource) error {
	k := kindByName[r.Kind]
	if k == nil {
		return fmt.Errorf("unknown resource kind %q (this flowir knows %s)", r.Kind, strings.Join(Kinds(), ", "))
	}
	if err := k.add(inv, r.Data, Meta{Region: r.Region, Source: r.Source}); err != nil {
		return fmt.Errorf("%s %s: %w", r.Kind, r.ID, err)
	}
	return nil
}

// ImportOptions adjust an import.
type ImportOptions struct {
	// Region labels resources whose JSON does not say their region (most
	// describe-* items do not); an ARN or availability zone in the item wins.
	Region string
}

var plIDInName = regexp.MustCompile(`pl-[0-9a-f]{8,17}`)

// ImportJSON reads one document: `aws ec2 describe-*` output (an object whose
// top-level keys name the resources, several keys per document allowed),
// `aws ec2 get-managed-prefix-list-entries` output, or Prowler findings
// (JSON array, OCSF array, ASFF, or the NDJSON of Prowler 2). name labels the
// resources' source and, for prefix list entries, may carry the list id.
// It returns the number of items read per kind.
func (inv *Inventory) ImportJSON(name string, data []byte, opt ImportOptions) (map[string]int, error) {
	counts := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(data))
	var docs []json.RawMessage
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON (%s)", name, jsonErrorPlace(data, dec.InputOffset(), err))
		}
		docs = append(docs, raw)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	meta := Meta{Region: opt.Region, Source: name}
	for di, doc := range docs {
		doc = bytes.TrimSpace(doc)
		switch {
		case len(doc) > 0 && doc[0] == '[':
			n, err := inv.importProwlerArray(name, doc, meta)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				counts["prowler_finding"] += n
			}
		case len(doc) > 0 && doc[0] == '{':
			if err := inv.importObject(name, doc, meta, counts, len(docs) > 1); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: document %d is neither a JSON object nor an array", name, di+1)
		}
	}
	return counts, nil
}

// importObject reads one top-level object.
func (inv *Inventory) importObject(name string, doc json.RawMessage, meta Meta, counts map[string]int, stream bool) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if f, ok, err := prowlerObject(top, doc); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	} else if ok {
		f.Meta = meta
		if err := inv.addProwler(f); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		counts["prowler_finding"]++
		return nil
	}
	if raw, ok := top["Findings"]; ok { // Security Hub get-findings output (ASFF)
		n, err := inv.importProwlerArray(name, raw, meta)
		if err != nil {
			return err
		}
		counts["prowler_finding"] += n
		return nil
	}
	known := 0
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		raw := top[key]
		switch key {
		case "Reservations":
			known++
			var res []struct {
				Instances []json.RawMessage `json:"Instances"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return fmt.Errorf("%s: Reservations: %v", name, err)
			}
			for i, r := range res {
				for j, it := range r.Instances {
					if err := kindByName["instance"].add(inv, it, meta); err != nil {
						return fmt.Errorf("%s: Reservations[%d].Instances[%d]: %v", name, i, j, err)
					}
					counts["instance"]++
				}
			}
			continue
		case "Entries":
			known++
			id := ""
			if v, ok := top["PrefixListId"]; ok {
				_ = json.Unmarshal(v, &id)
			}
			if id == "" {
				id = plIDInName.FindString(filepath.Base(name))
			}
			if id == "" {
				return fmt.Errorf("%s: prefix list entries (get-managed-prefix-list-entries output) but no prefix list id: name the file after the list (pl-0123456789abcdef0.json) or add \"PrefixListId\" beside \"Entries\"", name)
			}
			var entries []PrefixListEntry
			if err := json.Unmarshal(raw, &entries); err != nil {
				return fmt.Errorf("%s: Entries: %v", name, err)
			}
			body, _ := json.Marshal(PrefixListEntries{PrefixListId: id, Entries: entries})
			if err := kindByName["prefix_list_entries"].add(inv, body, meta); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			counts["prefix_list_entries"]++
			continue
		}
		k := kindByKey[key]
		if k == nil {
			continue
		}
		known++
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%s: %s is not a list: %v", name, key, err)
		}
		for i, it := range items {
			if err := k.add(inv, it, meta); err != nil {
				return fmt.Errorf("%s: %s[%d]: %v", name, key, i, err)
			}
			counts[k.name]++
		}
	}
	if known == 0 {
		if stream {
			return fmt.Errorf("%s: a JSON document with no key flowir knows (found %s)", name, strings.Join(keys, ", "))
		}
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: skipped: no key flowir knows (found %s; known: %s)", name, strings.Join(keys, ", "), strings.Join(Keys(), ", ")))
	}
	return nil
}

// jsonErrorPlace says where a JSON error is, as line:column.
func jsonErrorPlace(data []byte, off int64, err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off = max(se.Offset-1, 0) // Offset counts the offending byte
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The decoder reports the start of the value it could not finish;
		// the damage is where the data ends.
		off = int64(len(data))
		err = fmt.Errorf("the file ends inside a JSON value (truncated?)")
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// ImportFile reads one file (see ImportJSON) and records it in inv.Files with
// its SHA-256.
func (inv *Inventory) ImportFile(path string, opt ImportOptions) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	counts, err := inv.ImportJSON(path, data, opt)
	if err != nil {
		return err
	}
	inv.Files = append(inv.Files, SourceFile{Path: path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Items: counts})
	return nil
}

// ImportPaths reads files and folders. Folders are walked recursively and
// their .json, .jsonl and .ndjson files read (other files are skipped with a
// warning); a file named explicitly is read whatever its name. Every resource
// read is labelled with opt.Region unless its JSON says otherwise.
func (inv *Inventory) ImportPaths(paths []string, opt ImportOptions) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			if err := inv.ImportFile(p, opt); err != nil {
				return err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".json", ".jsonl", ".ndjson":
				files = append(files, path)
			default:
				if !strings.HasPrefix(d.Name(), ".") {
					inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: skipped (not .json; name it explicitly to read it)", path))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, f := range files {
			if err := inv.ImportFile(f, opt); err != nil {
				return err
			}
		}
	}
	inv.Finish()
	return nil
}

// Finish fills in what one file cannot know alone: the region of VPC-scoped
// resources from their VPC's subnets and interfaces. Call it after the last
// import.
func (inv *Inventory) Finish() {
	vpcRegion := map[string]string{}
	for _, s := range inv.Subnets {
		if s.Region != "" && s.VpcId != "" {
			vpcRegion[s.VpcId] = s.Region
		}
	}
	for _, n := range inv.NetworkInterfaces {
		if n.Region != "" && n.VpcId != "" && vpcRegion[n.VpcId] == "" {
			vpcRegion[n.VpcId] = n.Region
		}
	}
	fill := func(m *Meta, vpc string) {
		if m.Region == "" {
			m.Region = vpcRegion[vpc]
		}
	}
	for i := range inv.Vpcs {
		fill(&inv.Vpcs[i].Meta, inv.Vpcs[i].VpcId)
	}
	for i := range inv.RouteTables {
		fill(&inv.RouteTables[i].Meta, inv.RouteTables[i].VpcId)
	}
	for i := range inv.SecurityGroups {
		fill(&inv.SecurityGroups[i].Meta, inv.SecurityGroups[i].VpcId)
	}
	for i := range inv.NetworkAcls {
		fill(&inv.NetworkAcls[i].Meta, inv.NetworkAcls[i].VpcId)
	}
	for i := range inv.NatGateways {
		fill(&inv.NatGateways[i].Meta, inv.NatGateways[i].VpcId)
	}
	for i := range inv.VpcEndpoints {
		fill(&inv.VpcEndpoints[i].Meta, inv.VpcEndpoints[i].VpcId)
	}
	for i := range inv.InternetGateways {
		for _, a := range inv.InternetGateways[i].Attachments {
			fill(&inv.InternetGateways[i].Meta, a.VpcId)
		}
	}
	for i := range inv.Instances {
		fill(&inv.Instances[i].Meta, inv.Instances[i].VpcId)
	}
	inv.interfacesFromInstances()
	inv.ix = nil
}

// interfacesFromInstances adds the network interfaces that describe-instances
// lists inside each instance and describe-network-interfaces output (if any)
// does not: a dump of instances alone is enough to evaluate their exposure.
// They are stored like the rest, their source saying where they came from.
func (inv *Inventory) interfacesFromInstances() {
	have := map[string]bool{}
	for _, n := range inv.NetworkInterfaces {
		have[n.NetworkInterfaceId] = true
	}
	for i := range inv.Instances {
		in := &inv.Instances[i]
		for _, n := range in.NetworkInterfaces {
			if n.NetworkInterfaceId == "" || have[n.NetworkInterfaceId] {
				continue
			}
			have[n.NetworkInterfaceId] = true
			if n.VpcId == "" {
				n.VpcId = in.VpcId
			}
			if n.SubnetId == "" {
				n.SubnetId = in.SubnetId
			}
			if n.AvailabilityZone == "" && in.Placement != nil {
				n.AvailabilityZone = in.Placement.AvailabilityZone
			}
			if n.Status == "" {
				n.Status = "in-use"
			}
			att := NetworkInterfaceAttachment{}
			if n.Attachment != nil {
				att = *n.Attachment
			}
			att.InstanceId = in.InstanceId
			n.Attachment = &att
			raw, err := json.Marshal(n)
			if err != nil {
				continue
			}
			meta := Meta{Region: in.Region, Source: in.Source + " (interface of instance " + in.InstanceId + ")"}
			if meta.Region == "" {
				meta.Region = regionFromAZ(n.AvailabilityZone)
			}
			if err := kindByName["network_interface"].add(inv, raw, meta); err != nil {
				inv.Warnings = append(inv.Warnings, fmt.Sprintf("interface %s of instance %s: %v", n.NetworkInterfaceId, in.InstanceId, err))
			}
		}
	}
}
