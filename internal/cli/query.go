package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/output"
)

func newQueriesCmd(f *Factory, g *globalOptions, runF func() error) *cobra.Command {
	return &cobra.Command{
		Use:   "queries",
		Short: "List the named-query catalog",
		Long: `List the named queries: AWS's 16 predefined Athena-integration queries
(kebab-case names; AWS's names such as VpcFlowLogsTopTalkers work as aliases),
the incident-response playbook's queries (json-* for its "NEW logs" JSON
records), and flowir's own (tgw-* for Transit Gateway flow logs), with their
parameters.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF()
			}
			format, err := g.outputFormat()
			if err != nil {
				return err
			}
			res := &output.Result{Columns: []output.Column{{Name: "name"}, {Name: "aws_name"}, {Name: "origin"}, {Name: "parameters"}, {Name: "description"}}}
			for _, q := range analysis.All() {
				var params []string
				for _, p := range q.Params {
					s := p.Name + ":" + p.Type
					if !p.Required {
						s = "[" + s + "]"
					}
					params = append(params, s)
				}
				res.Rows = append(res.Rows, []any{q.Name, strings.Join(q.Aliases, ","), q.Origin, strings.Join(params, " "), q.Description})
			}
			return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
		},
	}
}

// QueryOptions are the options of `flowir query`.
type QueryOptions struct {
	Name    string
	Params  []string
	Since   string
	Until   string
	Limit   int
	ShowSQL bool
	Enrich  bool
}

func newQueryCmd(f *Factory, g *globalOptions, runF func(*QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{}
	cmd := &cobra.Command{
		Use:   "query NAME",
		Short: "Run a named query from the catalog",
		Long: `Run a named query (see 'flowir queries'). Parameters are given as -p key=value,
validated (IP addresses are parsed) and bound, never pasted into the SQL.

--since and --until keep the records that overlap the window: end >= since and
start < until. They take RFC 3339 times (2024-05-01T10:00:00Z), dates
(2024-05-01, UTC midnight), Unix seconds, or durations back from now (24h, 7d).

--enrich adds, after every column whose values are IP addresses, what the
case knows about them: the inventory's owner (NAME_owner) and the values
stored by 'flowir enrich' (NAME_aws_service, NAME_aws_region,
NAME_network_border_group, NAME_asn, NAME_as_org, NAME_country, NAME_city,
NAME_ptr; one NAME_whois column in a table on a terminal).`,
		Example: `  flowir query top-talkers
  flowir query VpcFlowLogsTopTalkers --since 24h
  flowir query data-ratio -p ip=10.10.10.10 --format csv
  flowir query top-talkers --enrich`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("query needs one query name; list them with 'flowir queries'")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runQuery(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "query parameter as key=value (one -p per parameter)")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only records starting before this time")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum rows (default: the query's own limit; -1 for none)")
	cmd.Flags().BoolVar(&opts.ShowSQL, "show-sql", false, "print the SQL and its bound parameters to stderr before running it")
	cmd.Flags().BoolVar(&opts.Enrich, "enrich", false, "add what the case knows about each address column (owner, AWS service and Region, AS, country, reverse DNS)")
	return cmd
}

func runQuery(cmd *cobra.Command, f *Factory, g *globalOptions, opts *QueryOptions) error {
	q, err := analysis.Find(opts.Name)
	if err != nil {
		return &UsageError{err}
	}
	params, b, err := parseQueryArgs(f, opts.Params, opts.Since, opts.Until, opts.Limit)
	if err != nil {
		return err
	}
	sqlText, args, err := q.Render(analysis.DuckDB, "flows", params, b)
	if err != nil {
		return &UsageError{err}
	}
	if opts.ShowSQL {
		fmt.Fprintf(f.IO.ErrOut, "%s\n-- parameters: %v\n", sqlText, args)
	}
	format, c, err := readCase(cmd.Context(), f, g)
	if err != nil {
		return err
	}
	defer c.Close()
	if !opts.Enrich {
		rows, err := c.QueryRows(cmd.Context(), sqlText, args...)
		if err != nil {
			return fmt.Errorf("query %s: %w", q.Name, err)
		}
		defer rows.Close()
		return writeRows(cmd.Context(), f, format, rows)
	}
	res, err := c.Query(cmd.Context(), sqlText, args...)
	if err != nil {
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	out := outputResult(res)
	cols := addressColumns(out)
	if len(cols) == 0 && len(out.Rows) > 0 {
		return usagef("query %s has no column of IP addresses to enrich", q.Name)
	}
	t, err := casework.Enrichment(cmd.Context(), c)
	if err != nil {
		return err
	}
	if t == nil {
		fmt.Fprintln(f.IO.ErrOut, "the case knows nothing about its addresses yet: run 'flowir enrich' (and 'flowir enrich aws-ranges', 'flowir inventory import')")
	} else {
		out = enrichWith(t, format == output.FormatTable, out, cols...)
	}
	return output.Write(f.IO.Out, format, out, f.IO.OutputOptions())
}
