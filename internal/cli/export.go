package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/athena"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// ExportOptions are the options of `flowir export`.
type ExportOptions struct {
	Parquet        string
	DefaultAccount string
	DefaultRegion  string
	Columns        []string
}

func newExportCmd(f *Factory, g *globalOptions, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --parquet DIR",
		Short: "Write the case's flows as Parquet in AWS's own Hive-compatible S3 layout",
		Long: `Write the case's VPC flow records as Parquet files laid out exactly as AWS
delivers Parquet flow logs with Hive-compatible partitions:

  DIR/AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/
      year=YYYY/month=MM/day=DD/ACCOUNT_vpcflowlogs_REGION_fl-flowirexport_YYYYMMDD_HASH.log.parquet

with AWS's column names (the field names with '_') and Parquet types (INT_32
for version, ports, tcp_flags and traffic_path; INT_64 for protocol, packets,
bytes, start and end; strings for the rest). Upload DIR to S3 and the table of
'flowir athena ddl --file-format parquet --layout hive' reads it; 'flowir
ingest DIR' reads it back. HASH is the start of the file's SHA-256.

The columns are the VPC fields of the case's log formats (plus any column that
holds a value), or --columns. Records are filed under the account, Region and
day of their source's S3 layout; records from sources without one need
--default-account and --default-region, and are filed under the day of their
end time. After writing, every file is read back and the record count and byte
total are checked against the case. Fields flowir does not know and Transit
Gateway records are not exported; the summary counts them.`,
		Example: `  flowir export --parquet ./export
  flowir export --parquet ./export --default-account 111122223333 --default-region eu-west-1
  aws s3 sync ./export/AWSLogs/ s3://my-analysis-bucket/flowir/AWSLogs/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Parquet == "" {
				return usagef("export needs --parquet DIR (the folder to write AWSLogs/... into)")
			}
			if runF != nil {
				return runF(opts)
			}
			return runExport(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Parquet, "parquet", "", "folder to write the Parquet files into (must not hold an AWSLogs folder)")
	cmd.Flags().StringVar(&opts.DefaultAccount, "default-account", "", "account for records whose source had no account in its path or name")
	cmd.Flags().StringVar(&opts.DefaultRegion, "default-region", "", "Region for records whose source had no Region in its path or name")
	listVar(cmd.Flags(), &opts.Columns, "columns", "fields to write, in order (default: the case's log formats)")
	return cmd
}

func runExport(cmd *cobra.Command, f *Factory, g *globalOptions, opts *ExportOptions) error {
	ctx := cmd.Context()
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	eo := store.ExportOptions{Dir: opts.Parquet, Account: opts.DefaultAccount, Region: opts.DefaultRegion}
	if opts.DefaultAccount != "" {
		if err := athena.ValidateAccount(opts.DefaultAccount); err != nil {
			return usagef("--default-account: %v", err)
		}
	}
	if opts.DefaultRegion != "" {
		if err := athena.ValidateRegion(opts.DefaultRegion, true); err != nil {
			return usagef("--default-region: %v", err)
		}
	}
	if len(opts.Columns) > 0 {
		if eo.Columns, err = athena.ParseList("columns", strings.Join(opts.Columns, ",")); err != nil {
			return &UsageError{err}
		}
	}
	// Read-write: DuckDB's COPY is disabled on read-only cases. The case
	// is not changed.
	c, err := openCase(ctx, f, g, store.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	sum, err := c.ExportParquet(ctx, eo)
	if err != nil {
		return err
	}
	if sum.ExtraFieldRecords > 0 {
		fmt.Fprintf(f.IO.ErrOut, "flowir: warning: %d records carry fields flowir does not know (flows.extra_fields); those fields have no AWS column type and are not in the Parquet files\n", sum.ExtraFieldRecords)
	}
	if sum.TGWRecords > 0 {
		fmt.Fprintf(f.IO.ErrOut, "flowir: warning: %d Transit Gateway records (table tgwflow) are not exported\n", sum.TGWRecords)
	}
	switch format {
	case output.FormatJSON, output.FormatNDJSON:
		enc := json.NewEncoder(f.IO.Out)
		if format == output.FormatJSON {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(sum)
	case output.FormatTable:
		fmt.Fprintf(f.textOut(), "exported: %d records (%d bytes of traffic) in %d Parquet files under %s/AWSLogs/\n", sum.Records, sum.Bytes, len(sum.Files), sum.Dir)
		fmt.Fprintf(f.IO.Out, "columns:  %d (%v)\n", len(sum.Columns), sum.Columns)
		if sum.DatedByEnd > 0 {
			fmt.Fprintf(f.IO.Out, "dated:    %d records from sources without a date folder, filed under the day of their end time\n", sum.DatedByEnd)
		}
		fmt.Fprintf(f.IO.Out, "checked:  every file read back; counts and byte totals match the case\n")
		return nil
	}
	res := &output.Result{Columns: []output.Column{{Name: "path"}, {Name: "account"}, {Name: "region"}, {Name: "date"},
		{Name: "records", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}, {Name: "sha256"}}}
	for _, x := range sum.Files {
		res.Rows = append(res.Rows, []any{x.Path, x.Account, x.Region, x.Date, x.Records, x.Bytes, x.SHA256})
	}
	return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
}
