package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// InvestigateOptions are the options of `flowir investigate`.
type InvestigateOptions struct {
	Target   string
	Since    string
	Until    string
	Limit    int
	Section  string
	Internal []string
}

// investigateSections are the sections in print order.
var investigateSections = []string{"overview", "ioc_matches", "findings", "triage", "data_ratio", "peers", "ports", "timeline", "interfaces", "accounts", "members", "packet_level"}

func newInvestigateCmd(f *Factory, g *globalOptions, runF func(*InvestigateOptions) error) *cobra.Command {
	opts := &InvestigateOptions{}
	cmd := &cobra.Command{
		Use:   "investigate IP|CIDR",
		Short: "Everything the case says about one address or network",
		Long: `Everything the case says about one address or network (matched CIDR-correctly
on srcaddr and dstaddr):

  overview      first and last seen; records, bytes and packets out (source in
                the target) and in (destination in the target); accepted and
                rejected each way; number of peers. A record between two
                addresses of a target network counts both ways (records_both).
  ioc_matches   loaded IOC entries (flowir ioc) that contain the target, an
                address of it, or one of its peers
  findings      the stored findings (flowir detect) whose src or dst is in
                the target (role actor or target) or whose details list an
                address of it (role listed: a scan's targets, ...), with
                their id, status, tags and notes ('flowir findings show ID')
  triage        tags and notes (flowir tag, flowir note) on the target, on
                addresses and networks inside it, and on networks around it
  data_ratio    the playbook's data-ratio query: per source/destination pair,
                record count, total bytes, bytes per record (integer division,
                as Athena), first seen, last seen; by total bytes
  peers         the other side of its traffic: records and bytes each way,
                accepted, rejected, first and last seen
  ports         service ports, by whether the target serves on them or
                connects to them (replies are told apart by TCP flags or ports)
  timeline      per hour (record start, UTC): records and bytes each way,
                accepted, rejected
  interfaces    network interfaces, instances, accounts, regions, VPCs and
                subnets whose logs have its traffic
  accounts      records and bytes per account and region
  members       per address, for a network
  packet_level  records naming the target only in pkt-srcaddr/pkt-dstaddr
                (a NAT gateway's legs of its traffic), with the addresses
                shown in their place

A table per section on a terminal; --format json prints the whole structure
as one object; ndjson one object per row with a "section" key; csv and tsv
need --section. --since/--until keep records overlapping the window. The
case is opened read-only.

With an inventory in the case ('flowir inventory import'), the interfaces
section gains an owner column (instance and Name tag, load balancer, ...,
and security groups), peers and members gain peer_owner and address_owner,
the JSON document an "inventory" member, and the VPCs' CIDRs count as
internal for the peers' internal flag.

With 'flowir enrich' run, the overview of an address, the peers, members
and data-ratio addresses gain what the case knows about them
(peer_aws_service, peer_aws_region, peer_asn, peer_as_org, peer_country, ...;
one peer_whois column in a table), and the JSON document an "enrichment"
member: each address's values with their sources and dates.`,
		Example: `  flowir investigate 10.0.1.5
  flowir investigate 203.0.113.0/24 --since 2024-05-01 --until 2024-05-02
  flowir investigate 10.0.1.5 --format json > 10.0.1.5.json
  flowir investigate 10.0.1.5 --section data_ratio --format csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("investigate needs one IP address or CIDR network")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runInvestigate(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only records starting before this time")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "rows of the ranked sections (data_ratio, peers, ports, members)")
	cmd.Flags().StringVar(&opts.Section, "section", "", "print one section only: "+strings.Join(investigateSections, ", "))
	listVar(cmd.Flags(), &opts.Internal, "internal", "CIDRs of the monitored network, for the peers' internal flag")
	return cmd
}

func runInvestigate(cmd *cobra.Command, f *Factory, g *globalOptions, opts *InvestigateOptions) error {
	ctx := cmd.Context()
	target, err := analysis.ParseTarget(opts.Target)
	if err != nil {
		return &UsageError{err}
	}
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	if opts.Section != "" && !containsStr(investigateSections, opts.Section) {
		return usagef("--section %q: choose one of %s", opts.Section, strings.Join(investigateSections, ", "))
	}
	if (format == output.FormatCSV || format == output.FormatTSV) && opts.Section == "" {
		return usagef("--format %s prints one table: choose it with --section (%s), or use --format json", format, strings.Join(investigateSections, ", "))
	}
	if opts.Limit <= 0 {
		return usagef("--limit must be positive")
	}
	since, until, err := timeWindow(f, opts.Since, opts.Until)
	if err != nil {
		return err
	}
	io := analysis.InvestigateOptions{Since: since, Until: until, Limit: opts.Limit}
	for _, s := range opts.Internal {
		p, err := analysis.ParseCIDROrAddr(s)
		if err != nil {
			return usagef("--internal: %v", err)
		}
		io.Internal = append(io.Internal, analysis.NetRange{Prefix: p, Label: "--internal"})
	}
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	enr, err := loadInvEnrichment(ctx, c) // owners and VPC CIDRs from the inventory (inventory.go)
	if err != nil {
		return err
	}
	inv, err := casework.Investigate(ctx, c, target, io)
	if err != nil {
		return err
	}
	tv, err := loadTriage(ctx, c, format)
	if err != nil {
		return err
	}
	found, err := investigateFindings(ctx, c, target, tv)
	if err != nil {
		return err
	}
	extra := map[string]*output.Result{"findings": found, "triage": investigateTriage(target, tv)}
	return printInvestigation(f, format, opts.Section, inv, enr, extra)
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// investigationSections renders each section as a result table.
func investigationSections(inv *analysis.Investigation) map[string]*output.Result {
	tm := func(t *flow.SafeTime) any {
		if t == nil {
			return nil
		}
		return t.Time
	}
	list := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	cols := func(spec ...string) []output.Column {
		out := make([]output.Column, len(spec))
		for i, s := range spec {
			name, typ, _ := strings.Cut(s, ":")
			out[i] = output.Column{Name: name, Type: typ}
		}
		return out
	}
	m := map[string]*output.Result{}
	o := inv.Overview
	m["overview"] = &output.Result{Columns: cols("target", "kind", "addresses:BIGINT", "first_seen:TIMESTAMP", "last_seen:TIMESTAMP",
		"records:BIGINT", "records_out:BIGINT", "records_in:BIGINT", "records_both:BIGINT", "bytes_out:BIGINT", "bytes_in:BIGINT",
		"packets_out:BIGINT", "packets_in:BIGINT", "accepted_out:BIGINT", "rejected_out:BIGINT", "accepted_in:BIGINT", "rejected_in:BIGINT", "peers:BIGINT"),
		Rows: [][]any{{inv.Target, inv.Kind, int64(inv.Addresses), tm(o.FirstSeen), tm(o.LastSeen), o.Records, o.RecordsOut, o.RecordsIn, o.RecordsBoth,
			o.BytesOut, o.BytesIn, o.PacketsOut, o.PacketsIn, o.AcceptedOut, o.RejectedOut, o.AcceptedIn, o.RejectedIn, o.Peers}}}
	r := &output.Result{Columns: cols("address", "role", "threat_ip", "threat_comment", "records:BIGINT", "bytes:BIGINT",
		"valid_from:TIMESTAMP", "valid_until:TIMESTAMP", "revoked:BOOLEAN", "outside_validity:BIGINT")}
	for _, x := range inv.IOCMatches {
		r.Rows = append(r.Rows, []any{x.Address, x.Role, x.ThreatIP, x.Comment, x.Records, x.Bytes, tm(x.ValidFrom), tm(x.ValidUntil), x.Revoked, x.OutsideValidity})
	}
	m["ioc_matches"] = r
	r = &output.Result{Columns: cols("sourceaddress", "destinationaddress", "record_count:BIGINT", "total_bytes:BIGINT", "data_ratio:BIGINT",
		"first_seen:TIMESTAMP", "last_seen:TIMESTAMP")}
	for _, x := range inv.DataRatio {
		r.Rows = append(r.Rows, []any{x.Src, x.Dst, x.RecordCount, x.TotalBytes, x.DataRatio, x.FirstSeen.Time, x.LastSeen.Time})
	}
	m["data_ratio"] = r
	r = &output.Result{Columns: cols("peer", "internal:BOOLEAN", "records_out:BIGINT", "records_in:BIGINT", "bytes_out:BIGINT", "bytes_in:BIGINT",
		"accepted:BIGINT", "rejected:BIGINT", "first_seen:TIMESTAMP", "last_seen:TIMESTAMP")}
	for _, x := range inv.Peers {
		r.Rows = append(r.Rows, []any{x.Peer, x.Internal, x.RecordsOut, x.RecordsIn, x.BytesOut, x.BytesIn, x.Accepted, x.Rejected, x.FirstSeen.Time, x.LastSeen.Time})
	}
	m["peers"] = r
	r = &output.Result{Columns: cols("role", "protocol:INTEGER", "port:INTEGER", "records:BIGINT", "bytes:BIGINT", "peers:BIGINT", "accepted:BIGINT", "rejected:BIGINT")}
	for _, x := range inv.Ports {
		r.Rows = append(r.Rows, []any{x.Role, int64(x.Protocol), int64(x.Port), x.Records, x.Bytes, x.Peers, x.Accepted, x.Rejected})
	}
	m["ports"] = r
	r = &output.Result{Columns: cols("hour:TIMESTAMP", "records_out:BIGINT", "records_in:BIGINT", "bytes_out:BIGINT", "bytes_in:BIGINT", "accepted:BIGINT", "rejected:BIGINT")}
	for _, x := range inv.Timeline {
		r.Rows = append(r.Rows, []any{x.Hour.Time, x.RecordsOut, x.RecordsIn, x.BytesOut, x.BytesIn, x.Accepted, x.Rejected})
	}
	m["timeline"] = r
	r = &output.Result{Columns: cols("interface_id", "instance_id", "account", "region", "vpc_id", "subnet_id", "records:BIGINT", "bytes:BIGINT",
		"first_seen:TIMESTAMP", "last_seen:TIMESTAMP")}
	for _, x := range inv.Interfaces {
		r.Rows = append(r.Rows, []any{x.InterfaceID, x.InstanceID, x.Account, x.Region, x.VPC, x.Subnet, x.Records, x.Bytes, x.FirstSeen.Time, x.LastSeen.Time})
	}
	m["interfaces"] = r
	r = &output.Result{Columns: cols("account", "region", "records:BIGINT", "bytes:BIGINT")}
	for _, x := range inv.Accounts {
		r.Rows = append(r.Rows, []any{x.Account, x.Region, x.Records, x.Bytes})
	}
	m["accounts"] = r
	r = &output.Result{Columns: cols("address", "records_out:BIGINT", "records_in:BIGINT", "bytes_out:BIGINT", "bytes_in:BIGINT", "first_seen:TIMESTAMP", "last_seen:TIMESTAMP")}
	for _, x := range inv.Members {
		r.Rows = append(r.Rows, []any{x.Address, x.RecordsOut, x.RecordsIn, x.BytesOut, x.BytesIn, tm(x.FirstSeen), tm(x.LastSeen)})
	}
	m["members"] = r
	pl := inv.PacketLevel
	m["packet_level"] = &output.Result{Columns: cols("records:BIGINT", "bytes:BIGINT", "interfaces:VARCHAR[]", "shown_as:VARCHAR[]"),
		Rows: [][]any{{pl.Records, pl.Bytes, list(pl.Interfaces), list(pl.Via)}}}
	return m
}

var sectionTitles = map[string]string{
	"overview": "Overview", "ioc_matches": "IOC matches", "findings": "Findings involving it", "triage": "Tags and notes", "data_ratio": "Data ratio per source/destination pair (the playbook's query)",
	"peers": "Top peers", "ports": "Top ports", "timeline": "Hourly timeline (UTC)", "interfaces": "Interfaces, instances, accounts, regions",
	"accounts": "Accounts and regions", "members": "Addresses of the network", "packet_level": "Packet-level only (NAT and transit legs)",
}

// printInvestigation prints the investigation's sections and the extra
// ones (findings and triage, from the case rather than the records).
func printInvestigation(f *Factory, format output.Format, only string, inv *analysis.Investigation, enr *invEnrichment, extra map[string]*output.Result) error {
	out := f.IO.Out
	if format == output.FormatJSON && only == "" {
		doc, err := investigationDoc(f, inv, extra)
		if err != nil {
			return err
		}
		b, err := enr.marshal(doc)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	secs := investigationSections(inv)
	enr.sections(secs, inv.Target, inv.Kind == "address", format == output.FormatTable)
	for k, r := range extra {
		secs[k] = r
	}
	names := investigateSections
	if only != "" {
		names = []string{only}
	}
	for i, name := range names {
		r := secs[name]
		if name == "members" && inv.Kind != "network" && only == "" {
			continue
		}
		switch format {
		case output.FormatNDJSON:
			withSection := &output.Result{Columns: append([]output.Column{{Name: "section"}}, r.Columns...)}
			for _, row := range r.Rows {
				withSection.Rows = append(withSection.Rows, append([]any{name}, row...))
			}
			if err := output.Write(out, format, withSection, f.IO.OutputOptions()); err != nil {
				return err
			}
		case output.FormatTable:
			if only == "" {
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprintf(out, "== %s: %s\n", sectionTitles[name], inv.Target)
				if len(r.Rows) == 0 {
					fmt.Fprintln(out, "(none)")
					continue
				}
			}
			if name == "overview" && only == "" {
				if err := writeVertical(out, r); err != nil {
					return err
				}
				continue
			}
			if err := output.Write(out, format, r, f.IO.OutputOptions()); err != nil {
				return err
			}
		default:
			if err := output.Write(out, format, r, f.IO.OutputOptions()); err != nil {
				return err
			}
		}
	}
	return nil
}

// investigationDoc is the investigation as one JSON object, with members
// for the extra sections.
func investigationDoc(f *Factory, inv *analysis.Investigation, extra map[string]*output.Result) (map[string]any, error) {
	b, err := json.Marshal(inv)
	if err != nil {
		return nil, err
	}
	// Numbers stay json.Number: a byte count above 2^53 stays exact.
	decode := func(b []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		return d.Decode(v)
	}
	var m map[string]any
	if err := decode(b, &m); err != nil {
		return nil, err
	}
	for k, r := range extra {
		raw, err := resultObjects(f, r)
		if err != nil {
			return nil, err
		}
		var v any
		if err := decode(raw, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// writeVertical prints a one-row result as "name  value" lines.
func writeVertical(w io.Writer, r *output.Result) error {
	kv := &output.Result{Columns: []output.Column{{Name: "field"}, {Name: "value"}}}
	for i, c := range r.Columns {
		var v any = ""
		if len(r.Rows) > 0 {
			v = r.Rows[0][i]
		}
		switch t := v.(type) {
		case time.Time:
			v = t.UTC().Format(time.RFC3339)
		case map[string]any, []any:
			if b, err := json.Marshal(t); err == nil {
				v = string(b)
			}
		}
		if v == nil {
			v = ""
		}
		kv.Rows = append(kv.Rows, []any{c.Name, fmt.Sprint(v)})
	}
	return output.Write(w, output.FormatTable, kv, output.Options{NoHeader: true})
}
