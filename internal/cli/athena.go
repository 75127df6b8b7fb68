package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/athena"
	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/source"
)

// awsFlags are the AWS connection flags of the commands that call AWS.
type awsFlags struct {
	Profile, Region, EndpointURL string
}

func (a *awsFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.Profile, "profile", "", "AWS shared-config profile (default: the SDK's credential chain)")
	cmd.Flags().StringVar(&a.Region, "region", "", "AWS Region of the API calls (default: AWS_REGION or the profile's)")
	cmd.Flags().StringVar(&a.EndpointURL, "endpoint-url", "", "send API calls to this endpoint instead of AWS's")
}

func (a *awsFlags) options() awsapi.Options {
	return awsapi.Options{Profile: a.Profile, Region: a.Region, EndpointURL: a.EndpointURL}
}

// AthenaTableOptions say which log format and which table the Athena
// commands generate for.
type AthenaTableOptions struct {
	LogFormat string
	Sample    string
	FlowLogID string
	AWS       awsFlags

	Database, Table string

	// Location and projection (ddl, cfn).
	Bucket, Prefix, Start           string
	Accounts, Regions               []string
	FileFormat, Layout, IOCLocation string
	AllowUnknownRegions             bool

	// Set by --flow-log-id when the flags above are not given.
	flowLog *awsapi.FlowLogConfig
}

func (o *AthenaTableOptions) bindFormat(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.LogFormat, "log-format", "", "the flow log's format: '${version} ${account-id} ...' in its real order")
	cmd.Flags().StringVar(&o.Sample, "sample", "", "read the format from the header line of a delivered file (.log.gz or .log)")
	cmd.Flags().StringVar(&o.FlowLogID, "flow-log-id", "", "read the format (and S3 destination) from the flow log itself (EC2 DescribeFlowLogs)")
	cmd.Flags().StringVar(&o.Database, "database", athena.DefaultDatabase, "Athena (Glue) database")
	cmd.Flags().StringVar(&o.Table, "table", athena.DefaultTable, "table name")
	o.AWS.bind(cmd)
}

func (o *AthenaTableOptions) bindLocation(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Bucket, "bucket", "", "S3 bucket the flow logs are delivered to (default with --flow-log-id: its destination)")
	cmd.Flags().StringVar(&o.Prefix, "prefix", "", "optional folder before AWSLogs/ (not AWSLogs itself)")
	listVar(cmd.Flags(), &o.Accounts, "accounts", "12-digit account ids under AWSLogs/")
	listVar(cmd.Flags(), &o.Regions, "regions", "Regions (us-east-1,eu-west-1)")
	cmd.Flags().StringVar(&o.Start, "start", "", "first day of the logs: YYYY/MM/DD, or any form --since takes (2024-01-31, RFC 3339, 90d); the projection covers start..NOW")
	cmd.Flags().StringVar(&o.FileFormat, "file-format", "", "text or parquet (default text, or the flow log's)")
	cmd.Flags().StringVar(&o.Layout, "layout", "", "S3 layout: plain, hourly, hive or hive-hourly (default plain, or the flow log's)")
	cmd.Flags().StringVar(&o.IOCLocation, "ioc-location", "", "s3:// folder of the IOC CSV files (default s3://BUCKET/PREFIX/flowir-iocs/)")
	cmd.Flags().BoolVar(&o.AllowUnknownRegions, "allow-unknown-regions", false, "accept Region names flowir does not know (newer Regions)")
}

// resolveFormat reads the log format from exactly one of --log-format,
// --sample and --flow-log-id; def is used when none is given (nil: one is
// required).
func (o *AthenaTableOptions) resolveFormat(ctx context.Context, def *flow.Format) (flow.Format, error) {
	n := 0
	for _, s := range []string{o.LogFormat, o.Sample, o.FlowLogID} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return flow.Format{}, usagef("give only one of --log-format, --sample and --flow-log-id")
	case n == 0 && def != nil:
		return *def, nil
	case n == 0:
		return flow.Format{}, usagef("the table's columns must follow the log format's real order: give --log-format '${version} ${account-id} ...', --sample FILE (a delivered .log.gz) or --flow-log-id fl-...")
	}
	var f flow.Format
	var err error
	switch {
	case o.LogFormat != "":
		if f, err = flow.ParseFormat(o.LogFormat); err != nil {
			return f, usagef("--log-format: %v", err)
		}
	case o.Sample != "":
		if f, err = sampleFormat(o.Sample); err != nil {
			return f, err
		}
	default:
		fl, err := awsapi.DescribeFlowLog(ctx, o.AWS.options(), o.FlowLogID)
		if err != nil {
			return f, err
		}
		o.flowLog = fl
		if f, err = flow.ParseFormat(fl.LogFormat); err != nil {
			return f, fmt.Errorf("flow log %s has a format flowir cannot read (%q): %w", fl.ID, fl.LogFormat, err)
		}
	}
	if err := athena.ValidateFormat(f); err != nil {
		return f, &UsageError{err}
	}
	return f, nil
}

// sampleFormat reads the header line of a delivered text file.
func sampleFormat(path string) (flow.Format, error) {
	fh, err := os.Open(path)
	if err != nil {
		return flow.Format{}, usagef("--sample: %v", err)
	}
	o, err := source.Open(path, fh)
	if err != nil {
		return flow.Format{}, fmt.Errorf("--sample %s: %w", path, err)
	}
	defer o.Close()
	line, err := bufio.NewReader(io.LimitReader(o, 1<<20)).ReadString('\n')
	if err != nil && err != io.EOF {
		return flow.Format{}, fmt.Errorf("--sample %s: %w", path, err)
	}
	f, ok := flow.HeaderFormat([]byte(strings.TrimRight(line, "\r\n")))
	if !ok {
		return flow.Format{}, usagef("--sample %s: the first line is not a header line naming the fields (is it a CloudWatch Logs export or a Parquet file? give --log-format instead)", path)
	}
	return f, nil
}

// projectionStart turns --start into the YYYY/MM/DD day the partition
// projection starts on: YYYY/MM/DD as given, or any time --since takes (a
// date, RFC 3339, Unix seconds, a duration back from now), as its UTC day.
func projectionStart(s string, now time.Time) (string, error) {
	if _, err := time.Parse("2006/01/02", strings.TrimSpace(s)); err == nil || s == "" {
		return strings.TrimSpace(s), nil
	}
	t, err := analysis.ParseTime(s, now)
	if err != nil {
		return "", usagef("--start: %v (or YYYY/MM/DD)", err)
	}
	return t.UTC().Format("2006/01/02"), nil
}

// spec builds and validates the table description.
func (o *AthenaTableOptions) spec(f flow.Format, now time.Time) (*athena.Spec, error) {
	s := &athena.Spec{
		Database: o.Database, Table: o.Table, Format: f,
		FileFormat: athena.FileFormat(o.FileFormat), Layout: athena.Layout(o.Layout),
		Bucket: o.Bucket, Prefix: o.Prefix, Start: o.Start, IOCLocation: o.IOCLocation,
		AllowUnknownRegions: o.AllowUnknownRegions,
	}
	if fl := o.flowLog; fl != nil {
		if s.Bucket == "" {
			b, p, err := fl.S3Destination()
			if err != nil {
				return nil, err
			}
			s.Bucket = b
			if s.Prefix == "" {
				s.Prefix = p
			}
		}
		if s.FileFormat == "" && fl.FileFormat == "parquet" {
			s.FileFormat = athena.Parquet
		}
		if s.Layout == "" {
			switch {
			case fl.Hive && fl.PerHour:
				s.Layout = athena.LayoutHiveHourly
			case fl.Hive:
				s.Layout = athena.LayoutHive
			case fl.PerHour:
				s.Layout = athena.LayoutHourly
			}
		}
	}
	var err error
	if len(o.Accounts) > 0 {
		if s.Accounts, err = athena.ParseList("accounts", strings.Join(o.Accounts, ",")); err != nil {
			return nil, &UsageError{err}
		}
	}
	if len(o.Regions) > 0 {
		if s.Regions, err = athena.ParseList("regions", strings.Join(o.Regions, ",")); err != nil {
			return nil, &UsageError{err}
		}
	}
	if s.Start, err = projectionStart(o.Start, now); err != nil {
		return nil, err
	}
	if err := s.Validate(now); err != nil {
		return nil, &UsageError{err}
	}
	return s, nil
}

func newAthenaCmd(f *Factory, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "athena",
		Short: "Scale out to Amazon Athena: DDL, named queries, CloudFormation, running queries",
		Long: `When the flow logs outgrow one machine, query them where they are with Amazon
Athena. flowir generates the table in the log format's real column order with
the incident-response playbook's partition projection, renders the same named
queries the local case answers, writes a CloudFormation template, and runs
queries through the Athena API with their cost.

Athena bills USD 5 per TB scanned, at least 10 MB per query; see the README's
"Athena or the local case" for when each is the better tool.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("athena needs a subcommand: ddl, queries, cfn or run\nSee 'flowir athena --help'")
		},
	}
	cmd.AddCommand(
		newAthenaDDLCmd(f, g, nil),
		newAthenaQueriesCmd(f, g, nil),
		newAthenaCFNCmd(f, g, nil),
		newAthenaRunCmd(f, g, nil),
	)
	return cmd
}

const athenaDirectionHelp = `The directional view ` + athena.DirectionalView + ` lists every flow touching an
IOC of table ` + athena.IOCTable + ` (threat_ip may be an address or a CIDR network), with the
direction as flowir defines it, from the monitored network's side: a flow whose
destination is the IOC is OUTBOUND, one whose source is the IOC is INBOUND (the
playbook's view labels them the other way round).`

func newAthenaDDLCmd(f *Factory, g *globalOptions, runF func(*AthenaTableOptions) error) *cobra.Command {
	opts := &AthenaTableOptions{}
	cmd := &cobra.Command{
		Use:   "ddl",
		Short: "Print the Athena DDL: flow log table, IOC table and directional view",
		Long: `Print the statements that create the Athena database, the flow log table, the
incident_iocs table and the directional IOC view.

The table's columns follow the log format's real order, taken from
--log-format, from the header line of a delivered file (--sample), or from the
flow log itself (--flow-log-id, EC2 DescribeFlowLogs; it also gives the bucket,
prefix, file format and layout). Text files are read by position, so a DDL in
another order silently reads one field as another; this is why the order is
never guessed. Column names are AWS's field names with '_' for '-'.

Partition projection is the playbook's: date_partition (yyyy/MM/dd, --start to
NOW, one day at a time), region_partition and account_partition (enums of
--regions and --accounts), and the storage.location.template of the layout.
Hourly layouts add hour_partition. The Hive layouts split the date into
year=/month=/day= folders, so the table (named TABLE_hive) is partitioned by
year, month and day and a view named TABLE adds date_partition.

` + athenaDirectionHelp,
		Example: `  flowir athena ddl --log-format '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${log-status}' \
      --bucket my-central-logs --prefix prod --accounts 111122223333,444455556666 --regions us-east-1,eu-west-1 --start 2024/01/01
  flowir athena ddl --sample 111122223333_vpcflowlogs_us-east-1_fl-0a1b_20240501T1620Z_fe123456.log.gz --bucket b --accounts 111122223333 --regions us-east-1 --start 2024/05/01
  flowir athena ddl --flow-log-id fl-0123456789abcdef0 --accounts 111122223333 --regions us-east-1 --start 2024/05/01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runAthenaDDL(cmd, f, g, opts)
		},
	}
	opts.bindFormat(cmd)
	opts.bindLocation(cmd)
	return cmd
}

func runAthenaDDL(cmd *cobra.Command, f *Factory, g *globalOptions, opts *AthenaTableOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	lf, err := opts.resolveFormat(cmd.Context(), nil)
	if err != nil {
		return err
	}
	s, err := opts.spec(lf, f.Now())
	if err != nil {
		return err
	}
	st, err := s.Statements()
	if err != nil {
		return err
	}
	switch format {
	case output.FormatJSON, output.FormatNDJSON:
		return writeJSON(f.IO.Out, format, st)
	case output.FormatTable:
		for i, x := range st {
			if i > 0 {
				fmt.Fprintln(f.IO.Out)
			}
			fmt.Fprintf(f.IO.Out, "-- %s\n%s;\n", x.Name, x.SQL)
		}
		return nil
	}
	res := &output.Result{Columns: []output.Column{{Name: "name"}, {Name: "engine"}, {Name: "sql"}}}
	for _, x := range st {
		res.Rows = append(res.Rows, []any{x.Name, x.Engine, x.SQL})
	}
	return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
}

// writeJSON writes v as one indented document (json) or, for a slice, one
// compact object per line (ndjson).
func writeJSON[T any](w io.Writer, format output.Format, v []T) error {
	if format == output.FormatNDJSON {
		enc := json.NewEncoder(w)
		for _, x := range v {
			if err := enc.Encode(x); err != nil {
				return err
			}
		}
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if v == nil {
		v = []T{}
	}
	return enc.Encode(v)
}

// AthenaQueriesOptions are the options of `flowir athena queries`.
type AthenaQueriesOptions struct {
	Table  AthenaTableOptions
	Name   string
	Params []string
	Since  string
	Until  string
	Limit  int
}

func newAthenaQueriesCmd(f *Factory, g *globalOptions, runF func(*AthenaQueriesOptions) error) *cobra.Command {
	opts := &AthenaQueriesOptions{}
	cmd := &cobra.Command{
		Use:   "queries [NAME]",
		Short: "Print the named queries in Athena (Trino) SQL for the generated table",
		Long: `Print every named query of the catalog (or the one named) rendered in Athena's
SQL for the table 'flowir athena ddl' creates: the same definitions 'flowir
query' runs on the local case, rendered for the other engine, never a second
copy.

Parameters and time bounds are "?" placeholders: run the statement as a
prepared statement with execution parameters (flowir athena run does). With
-p, --since and --until the values are printed too, as Athena's
ExecutionParameters. --since/--until also limit the date_partition range, so
Athena reads only the days concerned.

A query that reads a field the log format lacks is listed as skipped, as AWS's
own template leaves such queries out. Without --log-format, --sample or
--flow-log-id the table is assumed to have every VPC field.`,
		Example: `  flowir athena queries
  flowir athena queries --format json
  flowir athena queries data-ratio -p ip=10.0.1.5 --since 2024-05-01 --until 2024-05-02`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runAthenaQueries(cmd, f, g, opts)
		},
	}
	opts.Table.bindFormat(cmd)
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "query parameter as key=value (one -p per parameter)")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only records starting before this time")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum rows (default: the query's own limit; -1 for none)")
	return cmd
}

// parseQueryArgs reads -p, --since, --until and --limit, for flowir query
// and the athena commands. A parameter takes one value: given twice it is a
// usage error, where the map kept the last one without a word.
func parseQueryArgs(f *Factory, params []string, since, until string, limit int) (map[string]string, analysis.Bounds, error) {
	m := map[string]string{}
	var b analysis.Bounds
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, b, usagef("parameter %q: give it as key=value", p)
		}
		if prev, dup := m[k]; dup {
			return nil, b, usagef("parameter %s given twice (-p %s=%s, -p %s=%s): a parameter takes one value; run the query once per value", k, k, prev, k, v)
		}
		m[k] = v
	}
	var err error
	if b.Since, b.Until, err = parseWindow(f, since, until); err != nil {
		return nil, b, err
	}
	b.Limit = limit
	return m, b, nil
}

func runAthenaQueries(cmd *cobra.Command, f *Factory, g *globalOptions, opts *AthenaQueriesOptions) error {
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	all := flow.AllVPCFormat()
	lf, err := opts.Table.resolveFormat(cmd.Context(), &all)
	if err != nil {
		return err
	}
	if err := athena.ValidateName("database", opts.Table.Database); err != nil {
		return &UsageError{err}
	}
	if err := athena.ValidateName("table", opts.Table.Table); err != nil {
		return &UsageError{err}
	}
	table := `"` + opts.Table.Database + `"."` + opts.Table.Table + `"`
	params, b, err := parseQueryArgs(f, opts.Params, opts.Since, opts.Until, opts.Limit)
	if err != nil {
		return err
	}
	var qs []*athena.RenderedQuery
	if opts.Name != "" {
		q, err := analysis.Find(opts.Name)
		if err != nil {
			return &UsageError{err}
		}
		rq, err := athena.RenderQuery(q, table, lf, params, b)
		if err != nil {
			return &UsageError{err}
		}
		qs = append(qs, rq)
	} else {
		if len(params) > 0 {
			return usagef("-p needs a query name: flowir athena queries NAME -p key=value")
		}
		if qs, err = athena.RenderCatalog(table, lf, b); err != nil {
			return &UsageError{err}
		}
	}
	switch format {
	case output.FormatJSON, output.FormatNDJSON:
		return writeJSON(f.IO.Out, format, qs)
	case output.FormatTable:
		for i, q := range qs {
			if i > 0 {
				fmt.Fprintln(f.IO.Out)
			}
			name := q.Name
			if q.AWSName != "" {
				name += " (" + q.AWSName + ")"
			}
			fmt.Fprintf(f.IO.Out, "-- %s: %s\n", name, q.Description)
			if q.Skipped != "" {
				fmt.Fprintf(f.IO.Out, "-- skipped: %s\n", q.Skipped)
				continue
			}
			if len(q.Parameters) > 0 {
				fmt.Fprintf(f.IO.Out, "-- parameters (in order of the ?): %s\n", strings.Join(q.Parameters, ", "))
			}
			if len(q.ExecutionParameters) > 0 {
				fmt.Fprintf(f.IO.Out, "-- execution parameters: %s\n", strings.Join(q.ExecutionParameters, ", "))
			}
			fmt.Fprintf(f.IO.Out, "%s;\n", q.SQL)
		}
		return nil
	}
	res := &output.Result{Columns: []output.Column{{Name: "name"}, {Name: "aws_name"}, {Name: "origin"}, {Name: "description"},
		{Name: "parameters"}, {Name: "execution_parameters"}, {Name: "skipped"}, {Name: "sql"}}}
	for _, q := range qs {
		res.Rows = append(res.Rows, []any{q.Name, q.AWSName, q.Origin, q.Description,
			strings.Join(q.Parameters, ","), strings.Join(q.ExecutionParameters, ","), q.Skipped, q.SQL})
	}
	return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
}

// AthenaCFNOptions are the options of `flowir athena cfn`.
type AthenaCFNOptions struct {
	Table     AthenaTableOptions
	WorkGroup string
	Results   string
	Cutoff    int64
	Output    string
}

func newAthenaCFNCmd(f *Factory, g *globalOptions, runF func(*AthenaCFNOptions) error) *cobra.Command {
	opts := &AthenaCFNOptions{}
	cmd := &cobra.Command{
		Use:   "cfn",
		Short: "Print a CloudFormation template: Glue database and table, Athena workgroup, named queries",
		Long: `Print a CloudFormation template (JSON) that creates what AWS's "Generate Athena
integration" creates for a flow log, with partition projection instead of a
partition-loading Lambda: a Glue database, the flow log table (the same
columns, order and projection as 'flowir athena ddl'), the incident_iocs table,
an Athena workgroup (engine version 3) whose results go to --results, and one
AWS::Athena::NamedQuery per catalog query the format can answer. The views
(the directional IOC view; for Hive layouts the date view) are named queries
to run once: CloudFormation cannot create an Athena view directly.

Deploy with: aws cloudformation deploy --template-file flowir.json --stack-name flowir`,
		Example: `  flowir athena cfn --flow-log-id fl-0123456789abcdef0 --accounts 111122223333 --regions us-east-1 --start 2024/05/01 --results s3://my-athena-results/flowir/ > flowir.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runAthenaCFN(cmd, f, opts)
		},
	}
	opts.Table.bindFormat(cmd)
	opts.Table.bindLocation(cmd)
	cmd.Flags().StringVar(&opts.WorkGroup, "workgroup", athena.DefaultWorkGroup, "name of the Athena workgroup to create")
	cmd.Flags().StringVar(&opts.Results, "results", "", "s3:// folder for query results (required)")
	cmd.Flags().Int64Var(&opts.Cutoff, "bytes-scanned-cutoff", 0, "cancel any query of the workgroup that scans more bytes (minimum 10485760)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the template to this file instead of stdout")
	return cmd
}

func runAthenaCFN(cmd *cobra.Command, f *Factory, opts *AthenaCFNOptions) error {
	lf, err := opts.Table.resolveFormat(cmd.Context(), nil)
	if err != nil {
		return err
	}
	s, err := opts.Table.spec(lf, f.Now())
	if err != nil {
		return err
	}
	tmpl, skipped, err := s.CloudFormation(athena.CFNOptions{WorkGroup: opts.WorkGroup, ResultsLocation: opts.Results, BytesScannedCutoff: opts.Cutoff})
	if err != nil {
		if errors.Is(err, athena.ErrInvalid) {
			return &UsageError{err}
		}
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(f.textErr(), "flowir: left out of the template: %s\n", s)
	}
	if opts.Output != "" {
		return os.WriteFile(opts.Output, tmpl, 0o644)
	}
	_, err = f.IO.Out.Write(tmpl)
	return err
}

// AthenaRunOptions are the options of `flowir athena run`.
type AthenaRunOptions struct {
	Name           string
	SQL            string
	Params         []string
	Since, Until   string
	Limit          int
	Database       string
	Table          string
	LogFormat      string
	WorkGroup      string
	OutputLocation string
	ShowSQL        bool
	AWS            awsFlags
	// Poll is the GetQueryExecution backoff (tests make it fast).
	Poll awsapi.Poll
}

func newAthenaRunCmd(f *Factory, g *globalOptions, runF func(*AthenaRunOptions) error) *cobra.Command {
	opts := &AthenaRunOptions{}
	cmd := &cobra.Command{
		Use:   "run NAME | --sql 'SELECT ...'",
		Short: "Run a named query (or any SQL) on Athena and print the rows and the cost",
		Long: `Run a named query of the catalog, rendered for the table 'flowir athena ddl'
creates, or any SQL given with --sql, through the Athena API: StartQueryExecution
(workgroup, database, results location, parameters as execution parameters),
GetQueryExecution until it ends (with backoff), GetQueryResults page by page.
The rows are printed like every other flowir result (--format).

On stderr: the query id, the data scanned and the estimated cost: USD 5 per TB
scanned, rounded up to whole MB with a 10 MB minimum per query. Failed queries
are not billed; cancelled ones are billed for what they scanned. Ctrl-C stops
the query (StopQueryExecution). A failed or cancelled query shows Athena's
reason and exits with status 1.`,
		Example: `  flowir athena run top-talkers --since 24h --workgroup flowir
  flowir athena run data-ratio -p ip=10.0.1.5 --output-location s3://my-athena-results/
  flowir athena run --sql 'SELECT count(*) FROM "flowir"."vpc_flow_logs" WHERE date_partition = ''2024/05/01'''`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return usagef("athena run takes one query name")
			case len(args) == 1 && opts.SQL != "":
				return usagef("give a query name or --sql, not both")
			case len(args) == 0 && opts.SQL == "":
				return usagef("athena run needs a query name (see 'flowir athena queries') or --sql 'SELECT ...'")
			}
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runAthenaRun(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.SQL, "sql", "", "run this SQL instead of a named query")
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "query parameter as key=value (one -p per parameter)")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only records starting before this time")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum rows (default: the query's own limit; -1 for none)")
	cmd.Flags().StringVar(&opts.Database, "database", athena.DefaultDatabase, "Athena database")
	cmd.Flags().StringVar(&opts.Table, "table", athena.DefaultTable, "flow log table the named queries read")
	cmd.Flags().StringVar(&opts.LogFormat, "log-format", "", "the table's log format, to refuse queries it cannot answer before paying for them")
	cmd.Flags().StringVar(&opts.WorkGroup, "workgroup", "primary", "Athena workgroup")
	cmd.Flags().StringVar(&opts.OutputLocation, "output-location", "", "s3:// folder for the results (default: the workgroup's)")
	cmd.Flags().BoolVar(&opts.ShowSQL, "show-sql", false, "print the SQL and its execution parameters to stderr first")
	opts.AWS.bind(cmd)
	return cmd
}

func runAthenaRun(cmd *cobra.Command, f *Factory, g *globalOptions, opts *AthenaRunOptions) error {
	ctx := cmd.Context()
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	if err := athena.ValidateName("database", opts.Database); err != nil {
		return &UsageError{err}
	}
	if err := athena.ValidateWorkGroup(opts.WorkGroup); err != nil {
		return &UsageError{err}
	}
	q := awsapi.AthenaQuery{SQL: opts.SQL, WorkGroup: opts.WorkGroup, Database: opts.Database}
	if opts.OutputLocation != "" {
		if q.OutputLocation, err = athena.ValidateS3URL("output-location", opts.OutputLocation); err != nil {
			return &UsageError{err}
		}
	}
	if opts.Name != "" {
		if err := athena.ValidateName("table", opts.Table); err != nil {
			return &UsageError{err}
		}
		nq, err := analysis.Find(opts.Name)
		if err != nil {
			return &UsageError{err}
		}
		lf := flow.AllVPCFormat()
		if opts.LogFormat != "" {
			if lf, err = parseLogFormat(opts.LogFormat); err != nil {
				return err
			}
		}
		params, b, err := parseQueryArgs(f, opts.Params, opts.Since, opts.Until, opts.Limit)
		if err != nil {
			return err
		}
		rq, err := athena.RenderQuery(nq, `"`+opts.Database+`"."`+opts.Table+`"`, lf, params, b)
		if err != nil {
			return &UsageError{err}
		}
		if rq.Skipped != "" {
			return usagef("%s cannot run on this table: %s", nq.Name, rq.Skipped)
		}
		if len(rq.Parameters) != len(rq.ExecutionParameters) {
			// Render reports the missing parameter with the query's help.
			_, _, err := nq.Render(analysis.Athena, "t", params, b)
			return &UsageError{err}
		}
		q.SQL, q.Parameters = rq.SQL, rq.ExecutionParameters
	} else if len(opts.Params) > 0 || opts.Since != "" || opts.Until != "" || opts.Limit != 0 {
		return usagef("-p, --since, --until and --limit apply to named queries; write them into --sql")
	}
	if opts.ShowSQL {
		fmt.Fprintf(f.IO.ErrOut, "%s\n-- execution parameters: %s\n", q.SQL, strings.Join(q.Parameters, ", "))
	}
	client, err := awsapi.NewAthena(ctx, opts.AWS.options())
	if err != nil {
		return err
	}
	res, runErr := client.Run(ctx, q, opts.Poll, func(id string) {
		fmt.Fprintf(f.IO.ErrOut, "athena: query %s started (workgroup %s); Ctrl-C stops it\n", id, opts.WorkGroup)
	})
	if res != nil && res.State != "" {
		billed := "not billed (failed queries are free)"
		if res.State != "FAILED" {
			billed = fmt.Sprintf("billed as %s, estimated cost %s (USD 5 per TB, 10 MB minimum)",
				athena.FormatBytes(athena.BilledBytes(res.ScannedBytes)), athena.FormatCost(athena.CostUSD(res.ScannedBytes)))
		}
		fmt.Fprintf(f.IO.ErrOut, "athena: query %s %s in %s; scanned %s; %s\n", res.QueryID, res.State, res.EngineTime,
			athena.FormatBytes(res.ScannedBytes), billed)
	}
	if runErr != nil {
		return runErr
	}
	out := &output.Result{Columns: make([]output.Column, len(res.Columns))}
	for i, c := range res.Columns {
		out.Columns[i] = output.Column{Name: c.Name, Type: strings.ToUpper(c.Type)}
	}
	for n, r := range res.Rows {
		row := make([]any, len(r))
		for i, v := range r {
			if row[i], err = athena.Value(res.Columns[i].Type, v); err != nil {
				return fmt.Errorf("query %s, row %d, column %s: %w", res.QueryID, n+1, res.Columns[i].Name, err)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return output.Write(f.IO.Out, format, out, f.IO.OutputOptions())
}
