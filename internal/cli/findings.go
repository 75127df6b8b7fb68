package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
	"github.com/flowir/flowir/internal/triage"
)

// FindingsExportOptions are the options of `flowir findings export`.
type FindingsExportOptions struct {
	SecurityHub bool
	Account     string
	Rules       []string
	AWS         awsapi.Options
}

// FindingsListOptions are the options of `flowir findings`.
type FindingsListOptions struct {
	Rules          []string
	ShowSuppressed bool
	Status         []string
	Tags           []string
}

func newFindingsCmd(f *Factory, g *globalOptions) *cobra.Command {
	opts := &FindingsListOptions{}
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List the stored detection findings; show one with its evidence, export (ASFF, Security Hub)",
		Long: `List the findings 'flowir detect' stored, with their ids and triage (the
same columns as 'flowir detect --stored'); the subcommands show one finding
with its evidence records, export its records, set its review status, or
export the findings in ASFF.

Triage columns: status (open, confirmed, false-positive, resolved; see
'flowir findings status --help'), tags ('flowir tag'), notes ('flowir
note'; in JSON a list of {text, author, at}), status_by and status_at (who
set the status and when). --status keeps the findings with one of the
given statuses, --tag those with all the given tags. Standard error names
the triaged findings that are no longer stored (a rerun of detect did not
find them again, or found them with an earlier first_seen, so a new id);
their triage stays in the log ('flowir triage ID').`,
		Example: `  flowir findings
  flowir findings --status open,confirmed
  flowir findings --tag compromised --format json
  flowir findings --rules exfiltration,beaconing --format json
  flowir findings show 0e3959b8ee48
  flowir findings evidence 0e3959b8ee48 --format csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, c, err := readCase(ctx, f, g)
			if err != nil {
				return err
			}
			defer c.Close()
			rows, err := c.Findings(ctx, opts.Rules)
			if err != nil {
				return err
			}
			if len(opts.Status) > 0 || len(opts.Tags) > 0 {
				tv, err := loadTriage(ctx, c, format)
				if err != nil {
					return err
				}
				rows = filterTriage(rows, tv, opts.Status, opts.Tags)
			}
			if err := warnOrphanTriage(ctx, c, f); err != nil {
				return err
			}
			return printFindings(ctx, c, f, format, rows, opts.ShowSuppressed)
		},
	}
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		for i, s := range opts.Status {
			st, err := triage.ParseStatus(s)
			if err != nil {
				return usagef("--status: %v", err)
			}
			opts.Status[i] = st
		}
		for i, s := range opts.Tags {
			opts.Tags[i] = strings.ToLower(strings.TrimSpace(s))
		}
		return nil
	}
	listVar(cmd.Flags(), &opts.Rules, "rules", "only the findings of these rules")
	listVar(cmd.Flags(), &opts.Status, "status", "only the findings with one of these statuses (open, confirmed, false-positive, resolved)")
	listVar(cmd.Flags(), &opts.Tags, "tag", "only the findings with all of these tags")
	cmd.Flags().BoolVar(&opts.ShowSuppressed, "show-suppressed", false, "list suppressed findings too, with columns suppressed and suppressed_reason")
	cmd.AddCommand(newFindingsExportCmd(f, g, nil), newFindingsShowCmd(f, g, nil), newFindingsEvidenceCmd(f, g, nil), newFindingsStatusCmd(f, g, nil))
	return cmd
}

func newFindingsExportCmd(f *Factory, g *globalOptions, runF func(*FindingsExportOptions) error) *cobra.Command {
	opts := &FindingsExportOptions{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the stored findings in the AWS Security Finding Format, or send them to Security Hub",
		Long: `Convert the findings stored by 'flowir detect' to the AWS Security Finding
Format (ASFF) and print them as {"Findings": [...]} (the input of
'aws securityhub batch-import-findings --cli-input-json'), or with
--security-hub send them with BatchImportFindings, 100 per call, each to
the Security Hub of its own Region. Security Hub takes a finding only from
the account it names: run the export with each account's credentials (the
others' findings are refused and listed).

Each finding is filed under the account and Region of its own evidence
records (the records' account-id, else the account of their S3 location; their
region field, else the Region of their S3 location). A finding whose records
span several accounts or Regions becomes one ASFF finding per account and
Region, each with its part of the evidence (FirstObservedAt,
LastObservedAt, flowir/evidence_records). Where the records do not say (an
account-id of "unknown", a CloudWatch Logs export), the inventory's owner of
an interface the finding names places it, else --account and --region.

Each finding's Id is stable (flowir/CASE/RULE-HASH of rule, addresses, port
and first time seen, plus /ACCOUNT/REGION for the parts of a finding that
spans several), so exporting again updates the findings in Security Hub
instead of duplicating them. The product is the account's default product
for custom findings (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default).
Types follow ASFF's taxonomy from the MITRE ATT&CK technique (TTPs/Discovery,
Effects/Data Exfiltration, ...). When the case holds an inventory, the
network interfaces whose addresses a finding names become its resources
(AwsEc2NetworkInterface, AwsEc2Instance, each under its own account and
Region).

Triage ('flowir findings status', 'flowir note', 'flowir tag'): the
finding's status is its Workflow.Status (open NEW, confirmed NOTIFIED,
false-positive SUPPRESSED, resolved RESOLVED; without a status, SUPPRESSED
for a finding an allow list suppressed, else none, which Security Hub makes
NEW); its newest note is its Note {Text (first 512 bytes), UpdatedBy,
UpdatedAt}; ProductFields flowir/status, flowir/tags and flowir/notes (how
many) say the rest. Security Hub takes Workflow and Note from
BatchImportFindings only when it creates a finding: after that, change them
in Security Hub (BatchUpdateFindings), which is where its users triage.

Network follows the finding's connections ('flowir detect --help'):
SourceIpV4/V6 is the actor (src, the side that opened them), SourcePort its
port when the evidence shows only one, DestinationIpV4/V6 and
DestinationPort the target, Direction IN (inbound) or OUT (outbound), seen
from the monitored network.`,
		Example: `  flowir findings export > findings.asff.json
  flowir findings export --security-hub --region eu-west-1 --account 123456789012`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			ctx := cmd.Context()
			if g.format != "" && g.format != "asff" && g.format != "json" {
				return usagef("findings export writes ASFF JSON: --format asff (or json), not %q", g.format)
			}
			c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer c.Close()
			rows, err := c.Findings(ctx, opts.Rules)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return fmt.Errorf("the case holds no findings: run 'flowir detect' first")
			}
			findings, err := findingsASFF(ctx, c, g.resolveCase(f), rows, opts.Account, opts.AWS.Region, f.Now())
			if err != nil {
				return err
			}
			if !opts.SecurityHub {
				return writeASFF(f.IO.Out, findings)
			}
			// BatchImportFindings takes a finding in its own Region: one
			// client per Region the findings are in.
			byRegion := map[string][]json.RawMessage{}
			var regions []string
			for _, a := range findings {
				raw, err := json.Marshal(a)
				if err != nil {
					return err
				}
				if byRegion[a.Region] == nil {
					regions = append(regions, a.Region)
				}
				byRegion[a.Region] = append(byRegion[a.Region], raw)
			}
			failed := 0
			for _, region := range regions {
				o := opts.AWS
				o.Region = region
				sh, err := awsapi.NewSecurityHub(ctx, o)
				if err != nil {
					return err
				}
				res, err := sh.ImportFindings(ctx, byRegion[region])
				fmt.Fprintf(f.IO.Out, "Security Hub (%s): %d findings imported, %d refused, in %d BatchImportFindings calls\n", sh.Region, res.Success, res.Failed, res.Calls)
				for _, e := range res.Errors {
					fmt.Fprintln(f.textErr(), "refused:", e)
				}
				if err != nil {
					return err
				}
				failed += res.Failed
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d findings were refused by Security Hub (listed above; a finding is accepted only from the account it names)", failed, len(findings))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.SecurityHub, "security-hub", false, "send the findings to AWS Security Hub (BatchImportFindings)")
	cmd.Flags().StringVar(&opts.Account, "account", "", "AWS account id for findings whose evidence records and the inventory do not place")
	listVar(cmd.Flags(), &opts.Rules, "rules", "export only the findings of these rules")
	bindAWSTarget(cmd, &opts.AWS)
	return cmd
}

// techniqueTactics maps the ATT&CK techniques flowir's detections report to
// their tactic, for the ASFF type.
var techniqueTactics = map[string]string{
	"T1046": "Discovery", "T1595": "Reconnaissance", "T1110": "Credential Access", "T1048": "Exfiltration",
	"T1041": "Exfiltration", "T1071": "Command and Control", "T1090": "Command and Control", "T1133": "Initial Access",
	"T1190": "Initial Access", "T1021": "Lateral Movement", "T1498": "Impact", "T1496": "Impact",
}

func tacticOf(technique string) string {
	base, _, _ := strings.Cut(technique, ".")
	return techniqueTactics[base]
}

// findingsASFF converts stored findings to ASFF.
//
// Each finding is filed under the account and Region of its own evidence
// records (store.EvidencePlacements), one ASFF finding per account and
// Region when they span several: a finding's account is a property of its
// records, not of the case. Where the records do not say (account-id
// "unknown" and no S3 location, no region field), the inventory's owner of an
// interface whose address the finding names places them, then account and
// region (--account, --region). The interfaces and instances of those owners
// are the finding's resources, each under its own account and Region.
func findingsASFF(ctx context.Context, c *store.Case, caseDir string, rows []store.FindingRow, account, region string, now time.Time) ([]inventory.ASFFFinding, error) {
	owners, err := c.InterfaceOwners(ctx)
	if err != nil {
		return nil, err
	}
	byAddr := map[string]inventory.Owner{}
	for _, o := range owners {
		for _, a := range append(append(append([]string(nil), o.PrivateIPs...), o.PublicIPs...), o.IPv6Addresses...) {
			if ip, err := netip.ParseAddr(a); err == nil {
				byAddr[ip.String()] = o
			}
		}
	}
	caseName := caseLabel(caseDir)
	tv, err := loadTriage(ctx, c, output.FormatJSON)
	if err != nil {
		return nil, err
	}
	out := make([]inventory.ASFFFinding, 0, len(rows))
	for _, r := range rows {
		id := asffID(r)
		places, err := c.EvidencePlacements(ctx, r.EvidenceSQL, r.Src)
		if err != nil {
			return nil, fmt.Errorf("finding %s: its evidence query fails, so its account and Region are unknown: %w", id, err)
		}
		// The owners of the addresses the finding names.
		var ifaces, insts []inventory.ResourceRef
		var ownAccount, ownRegion string
		for _, a := range []string{r.Src, r.Dst} {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				continue
			}
			if o, ok := byAddr[ip.Unmap().String()]; ok {
				ifaces = append(ifaces, inventory.ResourceRef{ID: o.InterfaceID, Account: o.Account, Region: o.Region})
				if o.InstanceID != "" {
					insts = append(insts, inventory.ResourceRef{ID: o.InstanceID, Account: o.Account, Region: o.Region})
				}
				ownAccount, ownRegion = cmp.Or(ownAccount, o.Account), cmp.Or(ownRegion, o.Region)
			}
		}
		parts := placeFinding(places, cmp.Or(ownAccount, account), cmp.Or(ownRegion, region))
		base := inventory.FindingInput{
			ID:        id,
			Detection: r.Rule, Title: r.Summary, Severity: r.Severity, Technique: r.Technique, Tactic: tacticOf(r.Technique),
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, SrcAddr: r.Src, DstAddr: r.Dst, Protocol: inventory.ProtoName(r.Protocol),
			Evidence: r.Records, SuppressedBy: r.SuppressedBy, FindingID: r.ID,
		}
		// Triage: the status as Workflow.Status, the newest note as Note.
		st := tv.finding(r.ID)
		base.Status, base.Workflow, base.Tags, base.Notes = st.Status, triage.Workflow(st, r.SuppressedBy != ""), st.Tags, len(st.Notes)
		if n := len(st.Notes); n > 0 {
			last := st.Notes[n-1]
			base.Note = &inventory.ASFFNote{Text: last.Text, UpdatedBy: last.Author, UpdatedAt: last.At.UTC().Format(time.RFC3339Nano)}
		}
		if r.Protocol == 0 {
			base.Protocol = ""
		}
		if r.DstPort != nil {
			base.DstPort = *r.DstPort
		}
		switch r.Direction {
		case analysis.DirInbound:
			base.Direction = "IN"
		case analysis.DirOutbound:
			base.Direction = "OUT"
		}
		desc := fmt.Sprintf("%s Evidence: %d flow records, %d bytes, %s to %s. Evidence query: %s", r.Summary, r.Records, r.Bytes,
			r.FirstSeen.Format(time.RFC3339), r.LastSeen.Format(time.RFC3339), r.EvidenceSQL)
		for k, p := range parts {
			in := base
			in.Account, in.Region, in.SrcPort = p.Account, p.Region, p.ActorPort
			in.Description = desc
			if len(parts) > 1 {
				in.Part = p.Account + "/" + p.Region
				in.FirstSeen, in.LastSeen, in.Evidence = p.First, p.Last, p.Records
				in.Description = fmt.Sprintf("Part %d of %d: the %d of its %d evidence records logged in account %s, Region %s. %s",
					k+1, len(parts), p.Records, r.Records, p.Account, p.Region, desc)
			}
			// Each resource once: with the part of its own account and
			// Region, else with the first.
			for _, res := range []struct {
				from []inventory.ResourceRef
				to   *[]inventory.ResourceRef
			}{{ifaces, &in.Interfaces}, {insts, &in.Instances}} {
				for _, x := range res.from {
					home := slices.IndexFunc(parts, func(q store.Placement) bool { return q.Account == x.Account && q.Region == x.Region })
					if home == k || home < 0 && k == 0 {
						*res.to = append(*res.to, x)
					}
				}
			}
			a, err := inventory.ToASFF(in, inventory.ASFFOptions{Account: p.Account, Region: p.Region, Now: now, Case: caseName})
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// placeFinding resolves where each part of a finding's evidence belongs:
// the records' own account and Region, else account and region; parts that
// resolve to the same account and Region are merged. A finding without
// evidence records is one part, placed by account and region.
func placeFinding(places []store.Placement, account, region string) []store.Placement {
	if len(places) == 0 {
		return []store.Placement{{Account: account, Region: region}}
	}
	var out []store.Placement
	for _, p := range places {
		p.Account, p.Region = cmp.Or(p.Account, account), cmp.Or(p.Region, region)
		i := slices.IndexFunc(out, func(q store.Placement) bool { return q.Account == p.Account && q.Region == p.Region })
		if i < 0 {
			out = append(out, p)
			continue
		}
		q := &out[i]
		q.Records, q.Bytes = q.Records+p.Records, new(big.Int).Add(q.Bytes, p.Bytes)
		if q.First.IsZero() || !p.First.IsZero() && p.First.Before(q.First) {
			q.First = p.First
		}
		if p.Last.After(q.Last) {
			q.Last = p.Last
		}
		switch {
		case p.ActorPorts == 0:
		case q.ActorPorts == 0 || q.ActorPorts == 1 && p.ActorPorts == 1 && q.ActorPort == p.ActorPort:
			q.ActorPorts, q.ActorPort = p.ActorPorts, p.ActorPort
		default:
			q.ActorPorts, q.ActorPort = 2, 0 // at least two
		}
	}
	return out
}

// asffID is a finding's id in ASFF: its rule and the first 16 hex digits of
// its hash, whose first store.FindingIDLen are its id in the case (what
// 'flowir findings show' takes). It is what it was before findings had ids
// in the case, so exporting again still updates the findings in Security Hub
// instead of duplicating them.
func asffID(r store.FindingRow) string {
	return r.Rule + "-" + store.FindingHash(r)[:16]
}

// caseLabel is the case directory's base name, for finding ids.
func caseLabel(dir string) string {
	dir = strings.TrimRight(dir, "/")
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		dir = dir[i+1:]
	}
	if dir == "" {
		return "case"
	}
	return dir
}

// writeFindingsASFF prints findings in ASFF: what `flowir detect --format
// asff` writes.
func writeFindingsASFF(ctx context.Context, c *store.Case, f *Factory, g *globalOptions, rows []store.FindingRow) error {
	findings, err := findingsASFF(ctx, c, g.resolveCase(f), rows, "", "", f.Now())
	if err != nil {
		return err
	}
	return writeASFF(f.IO.Out, findings)
}

// writeASFF prints findings as {"Findings": [...]}.
func writeASFF(w io.Writer, findings []inventory.ASFFFinding) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"Findings": findings})
}
