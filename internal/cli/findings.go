package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/inventory"
	"github.com/flowir/flowir/internal/store"
)

// FindingsExportOptions are the options of `flowir findings export`.
type FindingsExportOptions struct {
	SecurityHub bool
	Account     string
	Rules       []string
	AWS         awsapi.Options
}

func newFindingsCmd(f *Factory, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "Work with the stored detection findings (export to ASFF and Security Hub)",
	}
	cmd.AddCommand(newFindingsExportCmd(f, g, nil))
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
--security-hub send them with BatchImportFindings, 100 per call.

Each finding's Id is stable (flowir/CASE/RULE-HASH of rule, addresses, port
and first time seen), so exporting again updates the findings in Security Hub
instead of duplicating them. The product is the account's default product
for custom findings (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default).
Types follow ASFF's taxonomy from the MITRE ATT&CK technique (TTPs/Discovery,
Effects/Data Exfiltration, ...). When the case holds an inventory, the
network interfaces whose addresses a finding names become its resources
(AwsEc2NetworkInterface, AwsEc2Instance), and give its account and region;
otherwise --account and --region do, else the account and region most flow
records of the case come from.`,
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
			sh, err := awsapi.NewSecurityHub(ctx, opts.AWS)
			if err != nil {
				return err
			}
			raws := make([]json.RawMessage, len(findings))
			for i, a := range findings {
				if raws[i], err = json.Marshal(a); err != nil {
					return err
				}
			}
			res, err := sh.ImportFindings(ctx, raws)
			fmt.Fprintf(f.IO.Out, "Security Hub (%s): %d findings imported, %d refused, in %d BatchImportFindings calls\n", sh.Region, res.Success, res.Failed, res.Calls)
			for _, e := range res.Errors {
				fmt.Fprintln(f.IO.ErrOut, "refused:", e)
			}
			if err != nil {
				return err
			}
			if res.Failed > 0 {
				return fmt.Errorf("%d of %d findings were refused by Security Hub (listed above)", res.Failed, len(findings))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.SecurityHub, "security-hub", false, "send the findings to AWS Security Hub (BatchImportFindings)")
	cmd.Flags().StringVar(&opts.Account, "account", "", "AWS account id for findings the inventory does not place")
	cmd.Flags().StringSliceVar(&opts.Rules, "rules", nil, "export only the findings of these rules")
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

// findingsASFF converts stored findings to ASFF, naming as resources the
// interfaces of the newest inventory whose addresses the finding names.
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
	if account == "" || region == "" {
		// The account and region most flow records come from.
		a, r, err := c.FlowAccountRegion(ctx)
		if err != nil {
			return nil, err
		}
		if account == "" {
			account = a
		}
		if region == "" {
			region = r
		}
	}
	caseName := caseLabel(caseDir)
	out := make([]inventory.ASFFFinding, 0, len(rows))
	for _, r := range rows {
		in := inventory.FindingInput{
			ID:        findingID(r),
			Detection: r.Rule, Title: r.Summary, Severity: r.Severity, Technique: r.Technique, Tactic: tacticOf(r.Technique),
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, SrcAddr: r.Src, DstAddr: r.Dst, Protocol: inventory.ProtoName(r.Protocol),
			Evidence: r.Records,
		}
		if r.Protocol == 0 {
			in.Protocol = ""
		}
		if r.DstPort != nil {
			in.DstPort = *r.DstPort
		}
		switch r.Direction {
		case "inbound":
			in.Direction = "IN"
		case "outbound":
			in.Direction = "OUT"
		}
		in.Description = fmt.Sprintf("%s Evidence: %d flow records, %d bytes, %s to %s. Evidence query: %s", r.Summary, r.Records, r.Bytes,
			r.FirstSeen.Format(time.RFC3339), r.LastSeen.Format(time.RFC3339), r.EvidenceSQL)
		for _, a := range []string{r.Src, r.Dst} {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				continue
			}
			if o, ok := byAddr[ip.Unmap().String()]; ok {
				in.Interfaces = append(in.Interfaces, o.InterfaceID)
				if o.InstanceID != "" {
					in.Instances = append(in.Instances, o.InstanceID)
				}
				if in.Account == "" {
					in.Account = o.Account
				}
				if in.Region == "" {
					in.Region = o.Region
				}
			}
		}
		a, err := inventory.ToASFF(in, inventory.ASFFOptions{Account: account, Region: region, Now: now, Case: caseName})
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// findingID is a stable id: the same finding found again gets the same id.
func findingID(r store.FindingRow) string {
	port := ""
	if r.DstPort != nil {
		port = strconv.Itoa(*r.DstPort)
	}
	h := sha256.Sum256([]byte(strings.Join([]string{r.Rule, r.Src, r.Dst, port, strconv.Itoa(r.Protocol), r.Direction, r.FirstSeen.UTC().Format(time.RFC3339)}, "\x00")))
	return r.Rule + "-" + hex.EncodeToString(h[:8])
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
