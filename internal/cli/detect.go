package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/enrich"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// DetectOptions are the options of `flowir detect`.
type DetectOptions struct {
	Config     string
	Rules      []string
	Disable    []string
	Internal   []string
	NAT        []string
	NoInfer    bool
	Since      string
	Until      string
	ShowConfig bool
	ListRules  bool
	Stored     bool
	NoStore    bool
	Timings    bool
	// Allow is an allow list: findings it allows are stored suppressed.
	Allow string
	// ShowSuppressed prints suppressed findings too, flagged.
	ShowSuppressed bool
	// Thresholds set on the command line: "rule\x00param" -> text.
	Thresholds map[string]string
}

func newDetectCmd(f *Factory, g *globalOptions, runF func(*DetectOptions) error) *cobra.Command {
	opts := &DetectOptions{Thresholds: map[string]string{}}
	var long strings.Builder
	long.WriteString(`Run the detections over the case, store the findings (table findings) and
print them.

A rerun replaces only the stored findings it examined again: those of the
rules it runs (--rules, --disable) whose evidence lies wholly inside the
window it reads (--since, --until). Findings of other rules, outside the
window, or straddling its edge (part of their evidence was not read again)
are kept; a finding of the rerun that such a kept finding covers (same
rule, src, dst, port and protocol, within its time range) is not stored
twice. Standard error says, per rule, how many findings were stored,
replaced and kept. --no-store runs the rules and prints the findings
without touching the stored ones (the case is opened read-only).

Every finding has: id, rule, severity, MITRE ATT&CK technique, src, dst,
dst_port, direction, first_seen, last_seen, records and bytes (of its
evidence records), a one-line summary, and evidence_sql: a query that
returns exactly its evidence records from table flows (paste it into
'flowir sql').

The id is stable: 12 hex digits of the SHA-256 of the finding's rule, src,
dst, dst_port, protocol, direction and first_seen, so a rerun on the same
records gives the same finding the same id (a rerun on more records too,
unless its first_seen moves earlier). It is stored in column finding_id of
table findings.

Actor, target and direction mean the same in every rule: ` + "\n" + analysis.Convention + `

Internal (monitored) addresses: 10/8, 172.16/12, 192.168/16, 100.64/10,
169.254/16, 127/8, fc00::/7, fe80::/10, ::1, and the ranges that never hold
an internet peer (0/8, multicast 224/4 and ff00::/8, reserved 240/4, ::),
plus --internal CIDRs, plus the
addresses of the case's own network interfaces found in the records (a
VPC's IPv6 addresses are public; --no-infer-interfaces turns that off), plus
the CIDRs of the VPCs of the newest inventory ('flowir inventory import').
With an inventory, columns src_owner and dst_owner name the interface and
what owns it (instance and Name tag, load balancer, ...), subnet, VPC and
security groups.

Reading the records: actor and target are the packet-level addresses when
the log format has them, so traffic through a NAT gateway is attributed to
the instance behind it; the NAT's outside leg is skipped (NAT addresses are
found from pkt-dstaddr; without it, from a host's connection logged both to
the internet and, with the same source port, to the NAT; or given with
--nat). One connection is logged on
every interface it crosses, so rules count connections, not records, and
volumes are counted on one interface.

Allow lists (--allow FILE): traffic checked and accepted as expected. One
entry per line, then the reason, which is required:

  # comment
  10.0.5.10                the vulnerability scanner (ticket SEC-123)
  203.0.113.0/24           partner SFTP, contract 2024-17
  S3                       nightly backups to S3
  AMAZON_APPFLOW           AppFlow pulls from Salesforce
  eni-0a1b2c3d4e5f6a7b8 rule=port-scan-vertical  the scanner appliance

An entry is an address or CIDR (IPv4 or IPv6), an AWS service code of
ip-ranges.json (AMAZON covers every AWS range; see 'flowir enrich'), or a
network interface id (its addresses from the inventory, or from the records'
flow-direction); rule=R1,R2 limits it to those rules. A finding whose actor
or target an entry covers is still stored, marked suppressed with the entry,
file, line and reason (columns suppressed and suppressed_reason of table
findings); the summary counts them, and --show-suppressed prints them with
those two columns. In ASFF their workflow status is SUPPRESSED.

With 'flowir enrich' run, src and dst also gain what the case knows about
them (src_aws_service, src_asn, src_country, ...; src_whois in a table).

--format asff writes the findings in the AWS Security Finding Format
({"Findings": [...]}, see 'flowir findings export', which also sends them to
Security Hub).

Thresholds: every rule's thresholds are flags (--RULE-THRESHOLD, listed
below) and keys of a JSON config file (--config; 'flowir detect
--show-config' prints the effective configuration in that layout). Flags
override the file. Durations take 600, 10m or 1h; byte counts 5000000, 5MB
or 20MiB.

Rules:
`)
	for _, r := range analysis.Rules() {
		fmt.Fprintf(&long, "\n%s (%s, %s): %s\n%s\n", r.Name, r.Technique, r.Severity, r.Title, indent(r.Doc, "  "))
		for _, p := range r.Thresholds {
			fmt.Fprintf(&long, "  --%s %s: %s (%s)\n", analysis.FlagName(r.Name, p.Name), analysis.FormatThreshold(p.Kind, p.Default), p.Doc, p.Range())
		}
	}
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Run the detections (scans, brute force, exfiltration, beaconing, IOC contact, ...) and store the findings",
		Long:  long.String(),
		Example: `  flowir detect
  flowir detect --rules port-scan-vertical,brute-force --format json
  flowir detect --internal 198.18.0.0/15 --exfiltration-min-bytes 50MB --since 2024-05-01
  flowir detect --show-config > detect.json; flowir detect --config detect.json
  flowir detect --stored --format csv
  flowir detect --since 2026-11-21 --rules brute-force --no-store
  flowir detect --allow allow.txt --show-suppressed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.Flags().Visit(func(fl *pflag.Flag) {
				if k, ok := fl.Annotations["threshold"]; ok {
					opts.Thresholds[k[0]] = fl.Value.String()
				}
			})
			if runF != nil {
				return runF(opts)
			}
			return runDetect(cmd, f, g, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Config, "config", "", "JSON file with thresholds, internal ranges and NAT addresses")
	listVar(fl, &opts.Rules, "rules", "run only these rules")
	listVar(fl, &opts.Disable, "disable", "do not run these rules")
	listVar(fl, &opts.Internal, "internal", "CIDRs (or addresses) of the monitored network, in addition to the private ranges")
	listVar(fl, &opts.NAT, "nat", "addresses of NAT gateways, for records that do not reveal them: no pkt-dstaddr, and no host connection logged both to the internet and to the NAT")
	fl.BoolVar(&opts.NoInfer, "no-infer-interfaces", false, "do not add the case's own interface addresses to the internal set")
	fl.StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	fl.StringVar(&opts.Until, "until", "", "only records starting before this time")
	fl.BoolVar(&opts.ShowConfig, "show-config", false, "print the effective configuration as JSON and exit")
	fl.BoolVar(&opts.ListRules, "list-rules", false, "list the rules with their techniques and thresholds and exit")
	fl.BoolVar(&opts.Stored, "stored", false, "print the findings stored by the last runs instead of running the rules")
	fl.BoolVar(&opts.NoStore, "no-store", false, "run the rules and print the findings without storing them (exploration)")
	fl.BoolVar(&opts.Timings, "timings", false, "print how long each rule took to standard error")
	fl.StringVar(&opts.Allow, "allow", "", "allow list: findings it covers are stored marked suppressed, with the entry's reason")
	fl.BoolVar(&opts.ShowSuppressed, "show-suppressed", false, "print suppressed findings too, with columns suppressed and suppressed_reason")
	for _, r := range analysis.Rules() {
		for _, p := range r.Thresholds {
			name := analysis.FlagName(r.Name, p.Name)
			fl.String(name, analysis.FormatThreshold(p.Kind, p.Default), fmt.Sprintf("%s: %s (%s, %s)", r.Name, p.Doc, p.Kind, p.Range()))
			_ = fl.SetAnnotation(name, "threshold", []string{r.Name + "\x00" + p.Name})
		}
	}
	return cmd
}

func indent(s, pre string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

// detectConfig builds the configuration: defaults, then the file, then flags.
func detectConfig(f *Factory, opts *DetectOptions) (*analysis.DetectConfig, error) {
	cfg := analysis.NewDetectConfig()
	if opts.Config != "" {
		data, err := os.ReadFile(opts.Config)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := cfg.LoadJSON(opts.Config, data); err != nil {
			return nil, &UsageError{err}
		}
	}
	keys := make([]string, 0, len(opts.Thresholds))
	for k := range opts.Thresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rule, param, _ := strings.Cut(k, "\x00")
		if err := cfg.Set(rule, param, opts.Thresholds[k]); err != nil {
			return nil, usagef("--%s: %v", analysis.FlagName(rule, param), err)
		}
	}
	if len(opts.Rules) > 0 {
		if err := cfg.OnlyRules(opts.Rules); err != nil {
			return nil, &UsageError{err}
		}
	}
	for _, r := range opts.Disable {
		if err := cfg.Enable(r, false); err != nil {
			return nil, &UsageError{err}
		}
	}
	for _, s := range opts.Internal {
		p, err := analysis.ParseCIDROrAddr(s)
		if err != nil {
			return nil, usagef("--internal: %v", err)
		}
		cfg.Internal = append(cfg.Internal, analysis.NetRange{Prefix: p, Label: "--internal"})
	}
	for _, s := range opts.NAT {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return nil, usagef("--nat: %q is not an IP address", s)
		}
		cfg.NAT = append(cfg.NAT, a.Unmap())
	}
	if opts.NoInfer {
		cfg.InferInterfaceAddresses = false
	}
	since, until, err := timeWindow(f, opts.Since, opts.Until)
	if err != nil {
		return nil, err
	}
	cfg.Since, cfg.Until = since, until
	return cfg, nil
}

func runDetect(cmd *cobra.Command, f *Factory, g *globalOptions, opts *DetectOptions) error {
	ctx := cmd.Context()
	w := f.textErr()
	if opts.ListRules {
		return listRules(f, g)
	}
	cfg, err := detectConfig(f, opts)
	if err != nil {
		return err
	}
	if opts.ShowConfig {
		b, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f.IO.Out, "%s\n", b)
		return err
	}
	asff := g.format == "asff" // the findings in ASFF instead of a table (findings.go)
	if asff {
		g.format = "json"
	}
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	if opts.Stored && opts.NoStore {
		return usagef("--stored prints the stored findings; --no-store runs the rules without storing: give one of them")
	}
	if opts.Allow != "" && opts.Stored {
		return usagef("--allow applies when the rules run; --stored prints what earlier runs stored")
	}
	if opts.Stored {
		c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer c.Close()
		rows, err := casework.Findings(ctx, c, opts.Rules)
		if err != nil {
			return err
		}
		if asff {
			return writeFindingsASFF(ctx, c, f, g, rows)
		}
		return printFindings(ctx, c, f, format, rows, opts.ShowSuppressed)
	}
	if len(cfg.EnabledRules()) == 0 {
		return usagef("no rule to run: --rules and --disable left none")
	}
	var allowEntries []enrich.AllowEntry
	if opts.Allow != "" {
		data, err := os.ReadFile(opts.Allow)
		if err != nil {
			return fmt.Errorf("read allow list: %w", err)
		}
		var names []string
		for _, r := range analysis.Rules() {
			names = append(names, r.Name)
		}
		if allowEntries, err = enrich.ParseAllowList(opts.Allow, data, names); err != nil {
			return &UsageError{err}
		}
	}
	c, err := openCase(ctx, f, g, store.Options{Analysis: true, ReadOnly: opts.NoStore})
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := casework.Detect(ctx, c, cfg, casework.DetectOptions{Allow: allowEntries, NoStore: opts.NoStore})
	if err != nil {
		return err
	}
	for _, e := range res.Unmatched {
		what := "no address of the case is in AWS service " + e.Service + " (run 'flowir enrich aws-ranges' to label AWS addresses)"
		if e.Interface != "" {
			what = "no address is known for " + e.Interface + " (no inventory lists it and its records have no flow-direction)"
		}
		fmt.Fprintf(w, "%s:%d: %s: the entry allows nothing\n", e.File, e.Line, what)
	}
	rows, suppressed := res.Findings, res.Suppressed
	bySev := res.BySeverity()
	if opts.NoStore {
		fmt.Fprintf(w, "detect (not stored: --no-store): %d rules in %s: %d findings (%d high, %d medium, %d low)\n",
			len(res.Run.Rules), res.Took, len(rows), bySev[analysis.SeverityHigh], bySev[analysis.SeverityMedium], bySev[analysis.SeverityLow])
	} else {
		fmt.Fprintf(w, "detect run %d: %d rules in %s: %d findings (%d high, %d medium, %d low)\n",
			res.Replaced.RunID, len(res.Run.Rules), res.Took, len(rows),
			bySev[analysis.SeverityHigh], bySev[analysis.SeverityMedium], bySev[analysis.SeverityLow])
		writeReplacements(w, res.Stored, res.Replaced)
	}
	if suppressed > 0 {
		shown := " (--show-suppressed prints them)"
		if opts.ShowSuppressed {
			shown = " (printed with suppressed = true)"
		}
		stored := ", stored with the reason"
		if opts.NoStore {
			stored = " (not stored: --no-store)"
		}
		fmt.Fprintf(w, "%d of them suppressed by the allow list %s%s%s\n", suppressed, opts.Allow, stored, shown)
	}
	if opts.Timings {
		fmt.Fprintf(w, "  %-22s %s\n", "prepare", res.Run.Timings["prepare"].Round(time.Millisecond))
		for _, r := range res.Run.Rules {
			fmt.Fprintf(w, "  %-22s %s\n", r, res.Run.Timings[r].Round(time.Millisecond))
		}
	}
	if len(res.Run.NAT) > 0 {
		fmt.Fprintf(w, "NAT gateways (outside leg skipped, traffic attributed to the hosts behind them): %s\n", joinShort(res.Run.NAT, 8))
	}
	if res.Run.InferredInterfaces > 0 {
		fmt.Fprintf(w, "internal: the private ranges%s, plus %d interface addresses found in the records\n",
			extraRanges(cfg), res.Run.InferredInterfaces)
	}
	if cfg.Enabled(analysis.RuleIOCContact) && len(cfg.IOCs) == 0 {
		fmt.Fprintln(w, "ioc-contact: no IOC list loaded (flowir ioc FILE), so it found nothing")
	}
	if cfg.Enabled(analysis.RuleNATEgress) && len(res.Run.NAT) == 0 {
		fmt.Fprintln(w, "nat-egress: no NAT gateway found in the records (no pkt-dstaddr, no host connection logged both to the internet and to the NAT); name it with --nat, so it found nothing")
	}
	if asff {
		return writeFindingsASFF(ctx, c, f, g, rows)
	}
	return printFindings(ctx, c, f, format, rows, opts.ShowSuppressed)
}

// printFindings prints findings with what the case knows about their
// addresses; suppressed ones only with showSuppressed, then flagged.
func printFindings(ctx context.Context, c *store.Case, f *Factory, format output.Format, rows []store.FindingRow, showSuppressed bool) error {
	tv, err := loadTriage(ctx, c, format)
	if err != nil {
		return err
	}
	res := findingsResult(rows, showSuppressed, tv)
	out, err := enrichResult(ctx, c, format, res, "src", "dst") // owners and enrichment (enrich_output.go)
	if err != nil {
		return err
	}
	return output.Write(f.IO.Out, format, out, f.IO.OutputOptions())
}

// writeReplacements says, per rule, what storing a run did to the case's
// findings.
func writeReplacements(w io.Writer, run store.DetectRun, res *store.ReplaceResult) {
	var window string
	switch {
	case !run.Since.IsZero() && !run.Until.IsZero():
		window = "from " + run.Since.Format(time.RFC3339) + " to " + run.Until.Format(time.RFC3339)
	case !run.Since.IsZero():
		window = "from " + run.Since.Format(time.RFC3339)
	case !run.Until.IsZero():
		window = "until " + run.Until.Format(time.RFC3339)
	}
	if window == "" {
		fmt.Fprintln(w, "stored findings, per rule (no --since/--until: every stored finding of these rules is replaced):")
	} else {
		fmt.Fprintf(w, "stored findings, per rule (replaced: those wholly inside the window %s):\n", window)
	}
	covered := 0
	for _, r := range res.Rules {
		fmt.Fprintf(w, "  %-22s %d stored, %d replaced, %d kept", r.Rule, r.Stored, r.Replaced, r.Kept)
		if r.Kept > 0 {
			fmt.Fprint(w, " (outside the window or across its edge)")
		}
		if r.Covered > 0 {
			fmt.Fprintf(w, ", %d not stored (covered by a kept finding across the window's edge)", r.Covered)
			covered += r.Covered
		}
		fmt.Fprintln(w)
	}
	if covered > 0 {
		fmt.Fprintln(w, "a kept finding across the window's edge rests partly on records this run did not read; rerun with a window that contains it to re-examine it")
	}
}

func extraRanges(cfg *analysis.DetectConfig) string {
	if len(cfg.Internal) == 0 {
		return ""
	}
	var ps []string
	for _, r := range cfg.Internal {
		ps = append(ps, r.Prefix.String())
	}
	return " and " + strings.Join(ps, ", ")
}

// findingTable is what a finding prints as, after its id and the triage
// head columns; findingsResult adds them and the triage tail.
var findingTable = output.Table[store.FindingRow]{
	{Name: "rule", Kind: output.KindID, Value: func(r store.FindingRow) any { return r.Rule }},
	{Name: "severity", Value: func(r store.FindingRow) any { return r.Severity }},
	{Name: "technique", Kind: output.KindID, Value: func(r store.FindingRow) any { return r.Technique }},
	{Name: "src", Kind: output.KindAddress, Value: func(r store.FindingRow) any { return r.Src }},
	{Name: "dst", Kind: output.KindAddress, Value: func(r store.FindingRow) any { return r.Dst }},
	{Name: "dst_port", Type: "INTEGER", Value: func(r store.FindingRow) any {
		if r.DstPort == nil {
			return nil
		}
		return int64(*r.DstPort)
	}},
	{Name: "direction", Value: func(r store.FindingRow) any { return r.Direction }},
	{Name: "first_seen", Type: "TIMESTAMP", Value: func(r store.FindingRow) any { return r.FirstSeen }},
	{Name: "last_seen", Type: "TIMESTAMP", Value: func(r store.FindingRow) any { return r.LastSeen }},
	{Name: "records", Type: "BIGINT", Value: func(r store.FindingRow) any { return r.Records }},
	{Name: "bytes", Type: "BIGINT", Kind: output.KindBytes, Value: func(r store.FindingRow) any { return r.Bytes }},
	{Name: "summary", Kind: output.KindText, Value: func(r store.FindingRow) any { return r.Summary }},
	{Name: "evidence_sql", Kind: output.KindText, Value: func(r store.FindingRow) any { return r.EvidenceSQL }},
	{Name: "details", Kind: output.KindText, Value: func(r store.FindingRow) any {
		if r.Details == nil {
			return nil
		}
		return r.Details
	}},
}

// findingsResult lists the findings; suppressed ones only with
// showSuppressed, then with columns suppressed and suppressed_reason. The
// triage columns (status and tags after the id; notes, status_by and
// status_at last) come from tv (triage.go).
func findingsResult(rows []store.FindingRow, showSuppressed bool, tv *triageView) *output.Result {
	res := &output.Result{Columns: append([]output.Column{{Name: "id", Kind: output.KindID}}, triageHeadColumns...)}
	res.Columns = append(res.Columns, findingTable.Columns()...)
	if showSuppressed {
		res.Columns = append(res.Columns, output.Column{Name: "suppressed", Type: "BOOLEAN"}, output.Column{Name: "suppressed_reason", Kind: output.KindText})
	}
	res.Columns = append(res.Columns, triageTailColumns...)
	for _, r := range rows {
		if r.SuppressedBy != "" && !showSuppressed {
			continue
		}
		id := r.ID
		if id == "" {
			id = store.FindingID(r)
		}
		head, tail := tv.cells(id)
		row := append([]any{id}, head...)
		row = append(row, findingTable.Row(r)...)
		if showSuppressed {
			var reason any
			if r.SuppressedBy != "" {
				reason = r.SuppressedBy
			}
			row = append(row, r.SuppressedBy != "", reason)
		}
		res.Rows = append(res.Rows, append(row, tail...))
	}
	return res
}

func listRules(f *Factory, g *globalOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	res := &output.Result{Columns: []output.Column{{Name: "rule"}, {Name: "technique"}, {Name: "severity"}, {Name: "title"}, {Name: "thresholds"}}}
	for _, r := range analysis.Rules() {
		var ts []string
		for _, p := range r.Thresholds {
			ts = append(ts, p.Name+"="+analysis.FormatThreshold(p.Kind, p.Default))
		}
		res.Rows = append(res.Rows, []any{r.Name, r.Technique, r.Severity, r.Title, strings.Join(slices.Clip(ts), " ")})
	}
	return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
}
