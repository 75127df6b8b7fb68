package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// FindingsShowOptions are the options of `flowir findings show` and
// `flowir findings evidence`.
type FindingsShowOptions struct {
	ID    string
	Limit int // show: evidence records printed (0: all)
}

// evidenceAddressColumns are the address columns of a finding's evidence
// records, which gain the owner and enrichment columns.
var evidenceAddressColumns = []string{"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"}

const findingIDHelp = `ID is the finding's id as every output prints it (12 hex digits), or any
unique prefix of at least 4 of them; the Id of its ASFF export
(flowir/CASE/RULE-HEX, or RULE-HEX) is taken too.`

func newFindingsShowCmd(f *Factory, g *globalOptions, runF func(*FindingsShowOptions) error) *cobra.Command {
	opts := &FindingsShowOptions{}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print one finding with its evidence records",
		Long: `Print one stored finding: every column 'flowir detect' prints, what the
case knows about its src and dst (owner, AWS service, ASN, country, ...,
with 'flowir enrich' run or an inventory imported), then its evidence
records (the rows its evidence_sql returns from table flows) in time order,
with start and end as ISO 8601 times in UTC and the owner and enrichment of
their addresses.

` + findingIDHelp + `

A table prints the finding as field/value lines and the first --limit
evidence records without the columns that are empty in all of them; --format
json prints {"finding": {...}, "evidence": [...]} with every record and
column. For CSV, TSV or NDJSON of the records, use 'flowir findings
evidence ID'.`,
		Example: `  flowir findings show 0e3959b8ee48
  flowir findings show 0e39 --limit 100
  flowir findings show 0e3959b8ee48 --format json > finding.json`,
		Args: findingIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runFindingsShow(cmd.Context(), f, g, opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "evidence records a table prints (0: all)")
	return cmd
}

func newFindingsEvidenceCmd(f *Factory, g *globalOptions, runF func(*FindingsShowOptions) error) *cobra.Command {
	opts := &FindingsShowOptions{}
	cmd := &cobra.Command{
		Use:   "evidence ID",
		Short: "Export a finding's evidence records (every column, any --format)",
		Long: `Print the evidence records of one stored finding: the rows its
evidence_sql returns from table flows, every column, in time order, with
start and end as ISO 8601 times in UTC, and after each address column
(srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr) what the case knows about the
address (NAME_owner with an inventory; NAME_aws_service, NAME_asn,
NAME_country, ... with 'flowir enrich' run).

` + findingIDHelp + `

Every --format works (table, csv, tsv, json, ndjson); CSV and TSV follow
--csv-safe like every command.`,
		Example: `  flowir findings evidence 0e3959b8ee48 --format csv > evidence.csv
  flowir findings evidence 0e39 --format ndjson | jq .bytes`,
		Args: findingIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runFindingsEvidence(cmd.Context(), f, g, opts)
		},
	}
	return cmd
}

func findingIDArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s needs one finding id ('flowir findings' lists them)", cmd.CommandPath())
	}
	return nil
}

// evidenceResult runs a finding's evidence query: start and end as times,
// the address columns enriched.
func evidenceResult(ctx context.Context, c *store.Case, format output.Format, r store.FindingRow) (*output.Result, error) {
	res, err := casework.Evidence(ctx, c, r)
	if err != nil {
		return nil, err
	}
	return enrichResult(ctx, c, format, outputResult(res), evidenceAddressColumns...)
}

func runFindingsEvidence(ctx context.Context, f *Factory, g *globalOptions, opts *FindingsShowOptions) error {
	format, c, err := readCase(ctx, f, g)
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := casework.FindFinding(ctx, c, opts.ID)
	if err != nil {
		return err
	}
	res, err := evidenceResult(ctx, c, format, r)
	if err != nil {
		return err
	}
	return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
}

func runFindingsShow(ctx context.Context, f *Factory, g *globalOptions, opts *FindingsShowOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	if format != output.FormatTable && format != output.FormatJSON {
		return usagef("findings show prints a table or --format json; for %s of the evidence records use 'flowir findings evidence ID --format %s'", format, format)
	}
	if opts.Limit < 0 {
		return usagef("--limit must be 0 (all) or positive")
	}
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := casework.FindFinding(ctx, c, opts.ID)
	if err != nil {
		return err
	}
	tv, err := loadTriage(ctx, c, format)
	if err != nil {
		return err
	}
	fr, err := enrichResult(ctx, c, format, findingsResult([]store.FindingRow{r}, true, tv), "src", "dst")
	if err != nil {
		return err
	}
	ev, err := evidenceResult(ctx, c, format, r)
	if err != nil {
		return err
	}
	out := f.IO.Out
	if format == output.FormatJSON {
		var fb, eb bytes.Buffer
		if err := output.Write(&fb, format, fr, f.IO.OutputOptions()); err != nil {
			return err
		}
		if err := output.Write(&eb, format, ev, f.IO.OutputOptions()); err != nil {
			return err
		}
		var one []json.RawMessage
		if err := json.Unmarshal(fb.Bytes(), &one); err != nil || len(one) != 1 {
			return fmt.Errorf("finding %s: rendering it as JSON: %v", r.ID, err)
		}
		b, err := json.MarshalIndent(map[string]json.RawMessage{"finding": one[0], "evidence": bytes.TrimSpace(eb.Bytes())}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	fmt.Fprintf(out, "== Finding %s\n", r.ID)
	if err := writeVertical(out, fr); err != nil {
		return err
	}
	total := len(ev.Rows)
	if opts.Limit > 0 && total > opts.Limit {
		ev.Rows = ev.Rows[:opts.Limit]
	}
	shown, dropped := withoutEmptyColumns(ev)
	fmt.Fprintf(out, "\n== Evidence records: %d of %d", len(ev.Rows), total)
	if len(ev.Rows) < total {
		fmt.Fprintf(out, " (--limit 0 prints all; 'flowir findings evidence %s' exports them)", r.ID)
	}
	fmt.Fprintln(out)
	if total == 0 {
		fmt.Fprintln(out, "(none: the records were removed from the case, or the finding came from other data)")
		return nil
	}
	if err := output.Write(out, format, shown, f.IO.OutputOptions()); err != nil {
		return err
	}
	if len(dropped) > 0 {
		fmt.Fprintf(out, "(empty in every record shown, so not shown: %s)\n", strings.Join(dropped, ", "))
	}
	return nil
}

// withoutEmptyColumns drops the columns that are NULL or "" in every row,
// so that a table of flow records fits: most of the 50 columns of flows are
// empty in a given log format. It returns the names it dropped.
func withoutEmptyColumns(r *output.Result) (*output.Result, []string) {
	var keep []int
	var dropped []string
	for i, c := range r.Columns {
		empty := true
		for _, row := range r.Rows {
			if v := row[i]; v != nil && v != "" {
				empty = false
				break
			}
		}
		if empty {
			dropped = append(dropped, c.Name)
			continue
		}
		keep = append(keep, i)
	}
	out := &output.Result{}
	for _, i := range keep {
		out.Columns = append(out.Columns, r.Columns[i])
	}
	for _, row := range r.Rows {
		nr := make([]any, len(keep))
		for j, i := range keep {
			nr[j] = row[i]
		}
		out.Rows = append(out.Rows, nr)
	}
	return out, dropped
}
