package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// InventoryOptions are the options of the `flowir inventory` commands.
type InventoryOptions struct {
	Paths      []string
	Region     string // import: label for resources that do not say
	TakenAt    string // import: when the dumps were made
	Regions    []string
	AWS        awsapi.Options
	Snapshot   int64 // 0: the newest
	Explain    bool
	Restricted bool
	NoFlows    bool
}

func newInventoryCmd(f *Factory, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Inventory of internet-exposed assets: import or snapshot, exposure, logging gaps, baseline diff",
		Long: `The playbook's first preparation step: an inventory of the network resources
(VPCs, subnets, route tables, security groups, network ACLs, network
interfaces, internet and NAT gateways, VPC endpoints, peering, customer and
VPN gateways, Elastic IPs, prefix lists, flow logs), stored in the case with
its time, and the questions it answers:

  flowir inventory import PATH...   aws ec2 describe-* JSON (and Prowler output), offline
  flowir inventory snapshot         the same through the AWS APIs
  flowir inventory exposed          which interfaces and ports the internet can reach, and why
  flowir inventory gaps             what no flow log records
  flowir inventory diff [OLD] [NEW] what changed since a baseline, widening changes first
  flowir inventory interfaces       who owns each network interface (enrichment)
  flowir inventory prowler          Prowler's internet-exposure findings beside flowir's`,
	}
	cmd.AddCommand(
		newInventoryImportCmd(f, g, nil),
		newInventorySnapshotCmd(f, g, nil),
		newInventorySnapshotsCmd(f, g),
		newInventoryExposedCmd(f, g, nil),
		newInventoryGapsCmd(f, g),
		newInventoryDiffCmd(f, g),
		newInventoryInterfacesCmd(f, g),
		newInventoryProwlerCmd(f, g),
	)
	return cmd
}

// bindAWSTarget adds --profile, --region and --endpoint-url.
func bindAWSTarget(cmd *cobra.Command, o *awsapi.Options) {
	cmd.Flags().StringVar(&o.Profile, "profile", "", "AWS shared-config profile (default: the SDK's credential chain)")
	cmd.Flags().StringVar(&o.Region, "region", "", "AWS Region of the API calls (default: AWS_REGION or the profile's)")
	cmd.Flags().StringVar(&o.EndpointURL, "endpoint-url", "", "send API calls to this endpoint instead of AWS's")
}

func newInventoryImportCmd(f *Factory, g *globalOptions, runF func(*InventoryOptions) error) *cobra.Command {
	opts := &InventoryOptions{}
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Store the JSON of aws ec2 describe-* commands (and Prowler output) as an inventory snapshot",
		Long: `Read the JSON that aws ec2 describe-* commands print and store it in the case
as one inventory snapshot. Files are recognised by their top-level key, not
their name: Vpcs, Subnets, RouteTables, SecurityGroups, SecurityGroupRules,
NetworkAcls, NetworkInterfaces, InternetGateways, EgressOnlyInternetGateways,
NatGateways, VpcEndpoints, VpcPeeringConnections, CustomerGateways,
VpnGateways, VpnConnections, Addresses, FlowLogs, PrefixLists (managed and
AWS-service lists), Reservations (describe-instances, for Name tags), and
Entries (get-managed-prefix-list-entries; the list id comes from a
"PrefixListId" key or from the file name, pl-....json). One file may hold
several keys.

Prowler output is recognised too (Prowler 3 JSON, Prowler 4/5 JSON-OCSF,
ASFF from json-asff or Security Hub, Prowler 2's line-per-finding JSON): its
internet-exposure findings are shown beside flowir's by 'inventory exposed'
and 'inventory prowler'. Prowler results imported alone describe an
inventory, they do not replace it: they are added to the snapshot given by
--snapshot, else to the newest snapshot with network resources taken at or
before --taken-at (the time of the Prowler run), else to the newest one.
Importing the same results again replaces them.

Folders are read recursively (.json, .jsonl, .ndjson). Every file's SHA-256
is kept. A file that is not valid JSON stops the import with its line and
column; nothing is stored. The snapshot's time is --taken-at (when the dumps
were made) or, by default, now.

describe-* output does not say its region: --region labels the resources,
unless an ARN or availability zone in the item says otherwise.`,
		Example: `  aws ec2 describe-vpcs > dump/vpcs.json; aws ec2 describe-security-groups > dump/sg.json; ...
  flowir inventory import dump/ --region eu-west-1 --taken-at 2024-05-01T10:00:00Z
  flowir inventory import prowler-output.ocsf.json
  flowir inventory import prowler-output.ocsf.json --snapshot 2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("inventory import needs at least one file or folder\nSee 'flowir inventory import --help'")
			}
			opts.Paths = args
			if runF != nil {
				return runF(opts)
			}
			return runInventoryImport(cmd.Context(), f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Region, "region", "", "region of resources whose JSON does not say (describe-* output never does)")
	cmd.Flags().StringVar(&opts.TakenAt, "taken-at", "", "when the dumps were made (RFC 3339, date, or Unix seconds); default now")
	cmd.Flags().Int64Var(&opts.Snapshot, "snapshot", 0, "add Prowler results to this snapshot (default: the newest with network resources)")
	return cmd
}

func runInventoryImport(ctx context.Context, f *Factory, g *globalOptions, opts *InventoryOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	taken := f.Now()
	if opts.TakenAt != "" {
		t, err := analysis.ParseTime(opts.TakenAt, f.Now())
		if err != nil {
			return usagef("--taken-at: %v", err)
		}
		taken = t
	}
	inv := &inventory.Inventory{}
	if err := inv.ImportPaths(opts.Paths, inventory.ImportOptions{Region: opts.Region}); err != nil {
		return err
	}
	for _, w := range inv.Warnings {
		fmt.Fprintln(f.textErr(), "warning:", w)
	}
	if inv.Len() == 0 {
		return fmt.Errorf("nothing to import: no file held a key flowir knows (%s)", strings.Join(inventory.Keys(), ", "))
	}
	c, err := openCase(ctx, f, g, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer c.Close()
	origin := strings.Join(opts.Paths, " ")
	if counts := inv.Counts(); len(counts) == 1 && counts["prowler_finding"] > 0 {
		// Prowler results alone describe a snapshot; they do not replace it.
		snaps, err := c.InventorySnapshots(ctx)
		if err != nil {
			return err
		}
		var target *store.InventorySnapshot
		switch {
		case opts.Snapshot != 0:
			for i := range snaps {
				if snaps[i].ID == opts.Snapshot {
					target = &snaps[i]
				}
			}
			if target == nil {
				return usagef("--snapshot %d: no such inventory snapshot (list them with 'flowir inventory snapshots')", opts.Snapshot)
			}
		case len(snaps) > 0:
			var notAfter time.Time
			if opts.TakenAt != "" {
				notAfter = taken
			}
			target = store.NewestNetworkSnapshot(snaps, notAfter)
		}
		if target != nil {
			n, err := c.AttachProwler(ctx, target.ID, inv, origin)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "%d Prowler results added to inventory snapshot %d (taken %s)\n", n, target.ID, target.TakenAt.UTC().Format(time.RFC3339))
			return nil
		}
		fmt.Fprintln(f.IO.ErrOut, "warning: the case holds no inventory snapshot: the Prowler results are stored as a snapshot of their own; import describe-* output with them, or before them, for exposure")
	}
	if opts.Snapshot != 0 {
		return usagef("--snapshot is for Prowler results alone: describe-* output makes a snapshot of its own")
	}
	id, err := c.SaveInventory(ctx, inv, store.InventorySnapshot{TakenAt: taken, Method: "import", Origin: origin})
	if err != nil {
		return err
	}
	return printStored(f, format, id, taken, inv)
}

// printStored reports a stored snapshot: its id and what it holds.
func printStored(f *Factory, format output.Format, id int64, taken time.Time, inv *inventory.Inventory) error {
	counts := inv.Counts()
	if format == output.FormatJSON || format == output.FormatNDJSON {
		return json.NewEncoder(f.IO.Out).Encode(map[string]any{"snapshot_id": id, "taken_at": taken.UTC().Format(time.RFC3339),
			"resources": inv.Len(), "counts": counts, "files": inv.Files, "warnings": invStrings(inv.Warnings)})
	}
	res := &output.Result{Columns: []output.Column{{Name: "kind"}, {Name: "resources", Type: "BIGINT"}}}
	for _, k := range inventory.Kinds() {
		if n := counts[k]; n > 0 {
			res.Rows = append(res.Rows, []any{k, int64(n)})
		}
	}
	if format == output.FormatTable {
		fmt.Fprintf(f.IO.Out, "inventory snapshot %d (taken %s): %d resources from %d files\n", id, taken.UTC().Format(time.RFC3339), inv.Len(), len(inv.Files))
	}
	if err := output.Write(f.IO.Out, format, res, f.IO.OutputOptions()); err != nil {
		return err
	}
	if format == output.FormatTable {
		fmt.Fprintln(f.IO.Out, "\nnext: flowir inventory exposed | gaps | diff")
	}
	return nil
}

func invStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newInventorySnapshotCmd(f *Factory, g *globalOptions, runF func(*InventoryOptions) error) *cobra.Command {
	opts := &InventoryOptions{}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Read the inventory through the AWS APIs (every page, every requested region) and store it",
		Long: `Read the network inventory through the EC2 API with the standard credential
chain (read-only calls: DescribeVpcs, DescribeSubnets, DescribeRouteTables,
DescribeSecurityGroups, DescribeNetworkAcls, DescribeNetworkInterfaces,
DescribeInternetGateways, DescribeEgressOnlyInternetGateways,
DescribeNatGateways, DescribeVpcEndpoints, DescribeVpcPeeringConnections,
DescribeCustomerGateways, DescribeVpnGateways, DescribeVpnConnections,
DescribeAddresses, DescribeFlowLogs, DescribeManagedPrefixLists,
GetManagedPrefixListEntries, DescribeInstances), following every page, in
each --regions region (default: --region or the configured one). Throttled
calls are retried with backoff. The snapshot is stored in the case with the
time it started; one failing call fails the snapshot and nothing is stored.`,
		Example: `  flowir inventory snapshot --profile ir-readonly --regions eu-west-1,us-east-1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runInventorySnapshot(cmd.Context(), f, g, opts)
		},
	}
	bindAWSTarget(cmd, &opts.AWS)
	listVar(cmd.Flags(), &opts.Regions, "regions", "regions to read (default: --region or the configured region)")
	return cmd
}

func runInventorySnapshot(ctx context.Context, f *Factory, g *globalOptions, opts *InventoryOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	regions := opts.Regions
	if len(regions) == 0 {
		regions = []string{opts.AWS.Region}
	}
	started := f.Now()
	inv := &inventory.Inventory{}
	for _, r := range regions {
		o := opts.AWS
		o.Region = strings.TrimSpace(r)
		c, err := awsapi.NewEC2Client(ctx, o)
		if err != nil {
			return err
		}
		pages := 0
		err = c.Snapshot(ctx, func(p awsapi.InventoryPage) error {
			pages++
			name := fmt.Sprintf("ec2:%s:%s#%d", p.Region, p.API, p.Page)
			counts, err := inv.ImportJSON(name, p.JSON, inventory.ImportOptions{Region: p.Region})
			if err != nil {
				return err
			}
			inv.Files = append(inv.Files, inventory.SourceFile{Path: name, Size: int64(len(p.JSON)), Items: counts})
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "%s: %d pages read\n", c.Region, pages)
	}
	inv.Finish()
	if inv.Len() == 0 {
		return errors.New("the APIs returned no resources: check --regions and the account")
	}
	c, err := openCase(ctx, f, g, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer c.Close()
	origin := "EC2 API"
	if opts.AWS.Profile != "" {
		origin += " profile " + opts.AWS.Profile
	}
	if opts.AWS.EndpointURL != "" {
		origin += " at " + awsapi.Redact(opts.AWS.EndpointURL)
	}
	id, err := c.SaveInventory(ctx, inv, store.InventorySnapshot{TakenAt: started, Method: "sdk", Origin: origin})
	if err != nil {
		return err
	}
	return printStored(f, format, id, started, inv)
}

func newInventorySnapshotsCmd(f *Factory, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "snapshots",
		Short: "List the inventory snapshots stored in the case",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, c, err := readCase(cmd.Context(), f, g)
			if err != nil {
				return err
			}
			defer c.Close()
			snaps, err := c.InventorySnapshots(cmd.Context())
			if err != nil {
				return err
			}
			res := &output.Result{Columns: []output.Column{{Name: "snapshot_id", Type: "BIGINT"}, {Name: "taken_at", Type: "TIMESTAMP"},
				{Name: "method"}, {Name: "origin"}, {Name: "regions"}, {Name: "resources", Type: "BIGINT"}, {Name: "warnings", Type: "BIGINT"}}}
			for _, s := range snaps {
				res.Rows = append(res.Rows, []any{s.ID, s.TakenAt, s.Method, s.Origin, strings.Join(s.Regions, ","), int64(s.Resources), int64(len(s.Warnings))})
			}
			return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
		},
	}
}

// loadInventory opens the case read-only and reads a snapshot (0: the newest).
func loadInventory(ctx context.Context, f *Factory, g *globalOptions, id int64) (*store.Case, *inventory.Inventory, *store.InventorySnapshot, error) {
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, nil, err
	}
	inv, meta, err := c.LoadInventory(ctx, id)
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	return c, inv, meta, nil
}

func newInventoryExposedCmd(f *Factory, g *globalOptions, runF func(*InventoryOptions) error) *cobra.Command {
	opts := &InventoryOptions{}
	cmd := &cobra.Command{
		Use:   "exposed",
		Short: "List every network interface and port reachable from the internet, and why",
		Long: `List every network interface the internet can reach, one row per interface and
open protocol and port range, with what it belongs to (instance and Name tag,
load balancer, ...), the path (public IPv4, Elastic IP or IPv6; the subnet's
route table and its internet gateway route) and the rules that open it.

An interface and port are reachable when all of these hold:
  1. a public address: a public IPv4 (auto-assigned or Elastic IP) or an
     IPv6 address; the interface is in use and does not deny internet
     gateway traffic; NAT gateway interfaces never accept inbound connections;
  2. replies reach the internet: in the subnet's route table (its explicit
     association, else the VPC's main table) the longest-prefix route for the
     client is an active route to an internet gateway attached to the VPC; a
     default route to a NAT gateway, peering, transit gateway or egress-only
     gateway exposes nothing;
  3. a security group admits the client: an ingress rule for the protocol and
     port whose source covers it (a CIDR, or a prefix list whose entries are
     imported; a prefix list without entries and a rule naming another
     security group never count as the internet);
  4. the subnet's network ACL lets the packet in: inbound entries in
     rule-number order, the first match decides (a deny before an allow wins);
  5. the network ACL lets the reply out to the client's ephemeral port
     (some port of 1024-65535; for ICMP the echo reply; other protocols the
     same protocol).
flowir computes the exact set of internet addresses that pass all five, for
every protocol and port range. A row is listed when that set holds at least
half of the internet (what a 0.0.0.0/0 or ::/0 rule opens; "sources" lists
the exceptions carved out by deny entries or more specific routes). Ports
open only to some public ranges (a partner, an office) are "restricted":
listed with --restricted. Protocol "all" means every protocol; "other" every
protocol not named in the rules (see the row's notes).

When the case holds flow logs, each row adds what was seen: accepted records
on that interface to that protocol and port from internet addresses outside
the inventory's VPCs, their distinct sources, first and last seen.

--explain lists every interface instead, exposed or not, with the reason.
Prowler findings imported with 'inventory import' that concern a listed
interface, its instance or its security groups are named in column prowler.`,
		Example: `  flowir inventory exposed
  flowir inventory exposed --format json
  flowir inventory exposed --explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runInventoryExposed(cmd.Context(), f, g, opts)
		},
	}
	cmd.Flags().Int64Var(&opts.Snapshot, "snapshot", 0, "inventory snapshot id (default: the newest; see 'inventory snapshots')")
	cmd.Flags().BoolVar(&opts.Explain, "explain", false, "one row per interface, exposed or not, with the reason")
	cmd.Flags().BoolVar(&opts.Restricted, "restricted", false, "also list ports open only to some internet ranges (scope restricted)")
	cmd.Flags().BoolVar(&opts.NoFlows, "no-flows", false, "do not look up the flow logs of the case")
	return cmd
}

func runInventoryExposed(ctx context.Context, f *Factory, g *globalOptions, opts *InventoryOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	ex, err := casework.Exposure(ctx, c, casework.ExposureOptions{Snapshot: opts.Snapshot, Restricted: opts.Restricted, NoFlows: opts.NoFlows || opts.Explain})
	if err != nil {
		return err
	}
	inv, meta, rep, rows, hasFlows := ex.Inventory, ex.Snapshot, ex.Report, ex.Rows, ex.HasFlows
	if opts.Explain {
		res := &output.Result{Columns: []output.Column{{Name: "interface_id"}, {Name: "status"}, {Name: "owner_type"}, {Name: "owner_id"},
			{Name: "owner_name"}, {Name: "vpc_id"}, {Name: "subnet_id"}, {Name: "reason"}, {Name: "notes"}}}
		for _, v := range rep.Verdicts {
			res.Rows = append(res.Rows, []any{v.InterfaceID, v.Status, v.OwnerType, v.OwnerID, v.OwnerName, v.VpcID, v.SubnetID, v.Reason, invList(v.Notes)})
		}
		return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
	}
	res := &output.Result{Columns: []output.Column{
		{Name: "interface_id"}, {Name: "owner_type"}, {Name: "owner_id"}, {Name: "owner_name"}, {Name: "vpc_id"}, {Name: "subnet_id"},
		{Name: "protocol"}, {Name: "ports"}, {Name: "from_port", Type: "INTEGER"}, {Name: "to_port", Type: "INTEGER"}, {Name: "family"},
		{Name: "scope"}, {Name: "public_ips"}, {Name: "sources"}, {Name: "path"}, {Name: "security_group_rules"}, {Name: "nacl_rules"},
		{Name: "routes"}, {Name: "seen_records", Type: "BIGINT"}, {Name: "seen_sources", Type: "BIGINT"}, {Name: "first_seen", Type: "TIMESTAMP"},
		{Name: "last_seen", Type: "TIMESTAMP"}, {Name: "top_source"}, {Name: "prowler"}, {Name: "notes"}, {Name: "account_id"}, {Name: "region"}}}
	for _, e := range rows {
		var from, to any
		if e.FromPort != nil {
			from, to = int64(*e.FromPort), int64(*e.ToPort)
		}
		var recs, srcs, first, last, top any
		if e.Seen != nil {
			recs, srcs, top = e.Seen.Records, e.Seen.Sources, invNil(e.Seen.TopSource)
			if e.Seen.Records > 0 {
				first, last = e.Seen.FirstSeen, e.Seen.LastSeen
			}
		}
		res.Rows = append(res.Rows, []any{e.InterfaceID, e.OwnerType, invNil(e.OwnerID), invNil(e.OwnerName), e.VpcID, e.SubnetID,
			e.Protocol, e.Ports, from, to, e.Family, e.Scope, invList(e.PublicIPs), e.Sources, e.Path, invList(e.SGRules), invList(e.NACLRules),
			invList(e.Routes), recs, srcs, first, last, top, invList(e.Prowler), invList(e.Notes), invNil(e.Account), invNil(e.Region)})
	}
	if err := output.Write(f.IO.Out, format, res, f.IO.OutputOptions()); err != nil {
		return err
	}
	if unknown := ex.Unknown(); unknown > 0 {
		fmt.Fprintf(f.IO.ErrOut, "note: %d interface(s) could not be evaluated (missing route tables or security groups in the inventory): see --explain\n", unknown)
	}
	if !opts.Restricted && len(rep.Restricted) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "note: %d more port range(s) are open only to some internet ranges: see --restricted\n", len(rep.Restricted))
	}
	fmt.Fprintf(f.IO.ErrOut, "inventory snapshot %d taken %s; %d interfaces, %d exposed rows", meta.ID, meta.TakenAt.Format(time.RFC3339), len(rep.Verdicts), len(rep.Exposures))
	if !hasFlows && !opts.NoFlows {
		fmt.Fprint(f.IO.ErrOut, "; no flow logs in the case, so nothing is shown as seen")
	}
	fmt.Fprintln(f.IO.ErrOut)
	if format == output.FormatTable {
		return printProwlerBeside(f.IO.Out, inv, rep, f.IO.OutputOptions())
	}
	return nil
}

func invNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func invList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// prowlerRows lists the failed internet-exposure Prowler findings and
// whether flowir's exposure list names the same resource (and port, when the
// check is about one).
func prowlerRows(inv *inventory.Inventory, rep *inventory.Report) *output.Result {
	res := &output.Result{Columns: []output.Column{{Name: "check_id"}, {Name: "status"}, {Name: "severity"}, {Name: "resource"},
		{Name: "region"}, {Name: "flowir"}, {Name: "title"}, {Name: "format"}}}
	for _, v := range casework.ProwlerVerdicts(inv, rep) {
		p := v.Finding
		res.Rows = append(res.Rows, []any{p.CheckID, p.Status, p.Severity, invFirst(p.ResourceID, p.ResourceARN), p.Region, v.Verdict, p.Title, p.Format})
	}
	return res
}

func invFirst(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func printProwlerBeside(w io.Writer, inv *inventory.Inventory, rep *inventory.Report, o output.Options) error {
	res := prowlerRows(inv, rep)
	if len(res.Rows) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nProwler internet-exposure findings (FAIL): %d\n", len(res.Rows))
	return output.Write(w, output.FormatTable, res, o)
}

func newInventoryProwlerCmd(f *Factory, g *globalOptions) *cobra.Command {
	var snap int64
	cmd := &cobra.Command{
		Use:   "prowler",
		Short: "Prowler's failed internet-exposure findings, each with flowir's verdict on the same resource",
		Long: `List the failed Prowler findings of the internet-exposure kind (Prowler's
"internet-exposed" category; for outputs without categories, checks whose id
or title speaks of the internet, 0.0.0.0/0, public or exposed resources),
imported with 'inventory import', and say whether flowir's exposure list names
the same resource (interface, instance or security group).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.outputFormat()
			if err != nil {
				return err
			}
			c, inv, _, err := loadInventory(cmd.Context(), f, g, snap)
			if err != nil {
				return err
			}
			defer c.Close()
			if len(inv.Prowler) == 0 {
				fmt.Fprintln(f.IO.ErrOut, "note: this snapshot holds no Prowler findings: import Prowler's JSON or OCSF output with 'flowir inventory import'")
			}
			return output.Write(f.IO.Out, format, prowlerRows(inv, inv.Evaluate()), f.IO.OutputOptions())
		},
	}
	cmd.Flags().Int64Var(&snap, "snapshot", 0, "inventory snapshot id (default: the newest)")
	return cmd
}

func newInventoryGapsCmd(f *Factory, g *globalOptions) *cobra.Command {
	var snap int64
	cmd := &cobra.Command{
		Use:   "gaps",
		Short: "What the flow logs do not record: uncovered VPCs, subnets and interfaces, partial traffic, thin formats, errors",
		Long: `From the inventory's flow logs (describe-flow-logs), list:
  - VPCs, subnets and network interfaces that no active flow log covers (a
    VPC flow log covers its subnets and interfaces; a subnet's, its interfaces);
  - flow logs, subnets and interfaces recorded only for ACCEPT or only for
    REJECT traffic (an ACCEPT log on a VPC and a REJECT log on its subnet make
    ALL for that subnet);
  - formats that lack the fields an investigation needs (vpc-id, subnet-id,
    instance-id, tcp-flags, type, pkt-srcaddr, pkt-dstaddr, flow-direction,
    traffic-path, pkt-src-aws-service, pkt-dst-aws-service);
  - a 600-second maximum aggregation interval;
  - delivery errors (DeliverLogsErrorMessage) and flow logs that are not ACTIVE.
Each row says how to fix it, with the 'flowir setup flow-logs' command.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.outputFormat()
			if err != nil {
				return err
			}
			c, inv, _, err := loadInventory(cmd.Context(), f, g, snap)
			if err != nil {
				return err
			}
			defer c.Close()
			if len(inv.FlowLogs) == 0 {
				fmt.Fprintln(f.IO.ErrOut, "note: the snapshot holds no flow logs (import `aws ec2 describe-flow-logs` output): everything is reported as not logged")
			}
			res := &output.Result{Columns: []output.Column{{Name: "severity"}, {Name: "kind"}, {Name: "resource_type"}, {Name: "resource_id"},
				{Name: "vpc_id"}, {Name: "flow_log_id"}, {Name: "detail"}, {Name: "fix"}}}
			for _, gp := range inv.Gaps() {
				res.Rows = append(res.Rows, []any{gp.Severity, gp.Kind, gp.ResourceType, gp.ResourceID, invNil(gp.VpcID), invNil(gp.FlowLogID), gp.Detail, invNil(gp.Fix)})
			}
			return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
		},
	}
	cmd.Flags().Int64Var(&snap, "snapshot", 0, "inventory snapshot id (default: the newest)")
	return cmd
}

func newInventoryDiffCmd(f *Factory, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "diff [OLD] [NEW]",
		Short: "Compare two inventories (snapshots of the case or folders of JSON): widening changes first",
		Long: `Compare a baseline inventory (OLD) with a newer one (NEW) and list the
resources added, removed and changed. Changes that widen exposure come first:
interfaces and ports newly reachable from the internet, new world-open
security group rules, new allow (or removed deny) ACL entries, new internet
routes, new Elastic IPs and public addresses, new peering and VPN
connections. Then lost visibility (flow logs removed, narrowed or failing),
then narrowing changes, then the rest with the fields that changed.

OLD and NEW are snapshot ids of the case ('inventory snapshots') or paths of
describe-* JSON (a file or a folder, read without storing). With no argument
the two newest snapshots are compared; with one, it is compared with the
newest snapshot. Reordered rules are not changes.`,
		Example: `  flowir inventory diff                 # the two newest snapshots
  flowir inventory diff 1               # snapshot 1 (the baseline) against the newest
  flowir inventory diff baseline/ today/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 2 {
				return usagef("inventory diff takes at most two arguments, OLD and NEW")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.outputFormat()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var c *store.Case
			getCase := func() (*store.Case, error) {
				if c == nil {
					var err error
					c, err = openCase(ctx, f, g, store.Options{ReadOnly: true})
					if err != nil {
						return nil, err
					}
				}
				return c, nil
			}
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			resolve := func(arg string) (*inventory.Inventory, string, error) {
				if _, err := os.Stat(arg); err == nil {
					inv := &inventory.Inventory{}
					if err := inv.ImportPaths([]string{arg}, inventory.ImportOptions{}); err != nil {
						return nil, "", err
					}
					return inv, arg, nil
				}
				id, err := strconv.ParseInt(arg, 10, 64)
				if err != nil || id <= 0 {
					return nil, "", usagef("%q is neither a file or folder nor a snapshot id", arg)
				}
				cs, err := getCase()
				if err != nil {
					return nil, "", err
				}
				inv, meta, err := cs.LoadInventory(ctx, id)
				if err != nil {
					return nil, "", err
				}
				return inv, fmt.Sprintf("snapshot %d (%s)", meta.ID, meta.TakenAt.Format(time.RFC3339)), nil
			}
			var old, new *inventory.Inventory
			var oldName, newName string
			switch len(args) {
			case 2:
				if old, oldName, err = resolve(args[0]); err != nil {
					return err
				}
				if new, newName, err = resolve(args[1]); err != nil {
					return err
				}
			default:
				cs, err := getCase()
				if err != nil {
					return err
				}
				snaps, err := cs.InventorySnapshots(ctx)
				if err != nil {
					return err
				}
				if len(snaps) == 0 {
					return store.ErrNoInventory
				}
				// Snapshots of Prowler results alone (an older flowir made
				// them) hold no network: compare the ones that do.
				var network []store.InventorySnapshot
				for _, s := range snaps {
					if s.HasNetwork() {
						network = append(network, s)
					}
				}
				if len(network) > 0 {
					snaps = network
				}
				newest := snaps[len(snaps)-1].ID
				if new, newName, err = resolve(strconv.FormatInt(newest, 10)); err != nil {
					return err
				}
				if len(args) == 1 {
					if old, oldName, err = resolve(args[0]); err != nil {
						return err
					}
				} else {
					if len(snaps) < 2 {
						return errors.New("the case holds one inventory snapshot: give a baseline (a snapshot id or a folder of describe-* JSON), or import a second snapshot")
					}
					if old, oldName, err = resolve(strconv.FormatInt(snaps[len(snaps)-2].ID, 10)); err != nil {
						return err
					}
				}
			}
			fmt.Fprintf(f.textErr(), "baseline: %s\nnewer:    %s\n", oldName, newName)
			res := &output.Result{Columns: []output.Column{{Name: "impact"}, {Name: "change"}, {Name: "resource_type"}, {Name: "resource_id"}, {Name: "vpc_id"}, {Name: "detail"}}}
			for _, ch := range inventory.Diff(old, new) {
				res.Rows = append(res.Rows, []any{ch.Impact, ch.Change, ch.ResourceType, ch.ResourceID, invNil(ch.VpcID), ch.Detail})
			}
			return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
		},
	}
}

func newInventoryInterfacesCmd(f *Factory, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "interfaces",
		Short: "Who owns each network interface of the newest snapshot (the enrichment of flow records)",
		Long: `List every network interface of the newest inventory snapshot with what it
belongs to (instance and its Name tag, load balancer, NAT gateway, VPC
endpoint, Lambda function, ...), its subnet, VPC, security groups and
addresses. The same table is the SQL view interface_owner (join flows on
interface_id), and the VPCs' CIDRs are the view vpc_cidrs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, c, err := readCase(cmd.Context(), f, g)
			if err != nil {
				return err
			}
			defer c.Close()
			owners, err := c.InterfaceOwners(cmd.Context())
			if err != nil {
				return err
			}
			if len(owners) == 0 {
				return store.ErrNoInventory
			}
			ids := make([]string, 0, len(owners))
			for id := range owners {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			res := &output.Result{Columns: []output.Column{{Name: "interface_id"}, {Name: "owner_type"}, {Name: "owner_id"}, {Name: "owner_name"},
				{Name: "subnet_id"}, {Name: "vpc_id"}, {Name: "security_groups"}, {Name: "private_ips"}, {Name: "public_ips"}, {Name: "ipv6_addresses"},
				{Name: "status"}, {Name: "description"}}}
			for _, id := range ids {
				o := owners[id]
				res.Rows = append(res.Rows, []any{o.InterfaceID, o.OwnerType, invNil(o.OwnerID), invNil(o.OwnerName), invNil(o.SubnetID),
					invNil(o.VpcID), invList(o.SecurityGroups), invList(o.PrivateIPs), invList(o.PublicIPs), invList(o.IPv6Addresses),
					invNil(o.Status), invNil(o.Description)})
			}
			return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
		},
	}
}
