package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// SQLOptions are the options of `flowir sql`.
type SQLOptions struct {
	Query string
	File  string
}

func newSQLCmd(f *Factory, g *globalOptions, runF func(*SQLOptions) error) *cobra.Command {
	opts := &SQLOptions{}
	cmd := &cobra.Command{
		Use:   "sql [QUERY | -]",
		Short: "Run read-only SQL over the case's tables and views",
		Long: `Run one read-only SQL statement over the case and print its rows.

Tables: flows (every VPC flow log field in snake_case, plus account_partition,
region_partition, date_partition, hour_partition, source_id, source_line; a
view over the Parquet files under the case's data/ folder), tgwflow,
sources (the chain of custody: path, size, SHA-256, counts, status), rejects
(source_id, line, reason, detail, raw).

View vpcflow has the column names of the AWS incident-response playbook's
Athena table (sourceaddress, destinationaddress, numbytes, starttime, ...), so
the playbook's queries run unchanged with "<database>"."<table>" replaced by
vpcflow (or "flowir"."vpcflow"). The Presto/Trino functions they use behave as
in Athena: from_unixtime, to_unixtime, date_format with MySQL-style specifiers,
date_diff, and integer division of integers.

The query must be exactly one SELECT statement, as DuckDB's parser sees it
(WITH, VALUES, FROM ..., DESCRIBE, SHOW, SUMMARIZE and PIVOT ... IN (...) are
SELECTs; a ';' inside a string or comment is not a second statement). COPY,
EXPORT, CREATE, INSERT, UPDATE, DELETE, DROP, ALTER, ATTACH, CHECKPOINT, SET,
PRAGMA, CALL, INSTALL, LOAD and EXPLAIN are refused, and so are the functions
that write or change settings from inside a SELECT (enable_logging,
checkpoint, query, ...). The case is attached read-only and the query cannot
read files outside it.

The query comes from the argument, from --file, or from standard input
when the argument is '-' or absent (at most 1 MiB; Ctrl-C stops the wait).

Rows are printed as DuckDB returns them: csv, tsv, json and ndjson hold one
row at a time, the table at most 10,000 (a longer table is printed in blocks,
the header repeated when a block needs wider columns). DuckDB itself holds the
whole result, in its compact columnar form, until the last row is printed:
about 0.5 GB for a million rows of every column of flows.

On a terminal, csv and tsv show control characters escaped and neutralise
spreadsheet formulas (--csv-safe); written to a file or a pipe they are exact
unless --csv-safe is given.`,
		Example: `  flowir sql 'SELECT action, count(*) FROM flows GROUP BY action'
  flowir sql --format csv -f playbook-data-ratio.sql > ratio.csv
  echo 'SELECT * FROM rejects LIMIT 10' | flowir sql`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Query = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runSQL(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "read the query from this file")
	return cmd
}

// maxQueryBytes bounds a query read from a file or standard input, so that
// --file /dev/zero or a runaway pipe ends with a message instead of taking
// all memory.
const maxQueryBytes = 1 << 20

func runSQL(cmd *cobra.Command, f *Factory, g *globalOptions, opts *SQLOptions) error {
	ctx := cmd.Context()
	q := opts.Query
	switch {
	case opts.File != "" && q != "":
		return usagef("give the query as an argument or with --file, not both")
	case opts.File != "":
		// Opened inside readQuery: opening a FIFO waits for its writer.
		b, err := readQuery(ctx, opts.File, func() (io.ReadCloser, error) { return os.Open(opts.File) })
		if err != nil {
			return err
		}
		q = string(b)
	case q == "-" || q == "":
		if q == "" && f.IO.IsStdinTTY() {
			return usagef("no query: give one as an argument, with --file, or on standard input\nSee 'flowir sql --help'")
		}
		b, err := readQuery(ctx, "standard input", func() (io.ReadCloser, error) { return io.NopCloser(f.IO.In), nil })
		if err != nil {
			return err
		}
		q = string(b)
	}
	if strings.TrimSpace(q) == "" {
		return usagef("the query is empty")
	}
	format, c, err := readCase(ctx, f, g)
	if err != nil {
		return err
	}
	defer c.Close()
	rows, err := c.QueryRows(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	return writeRows(ctx, f, format, rows)
}

// readQuery opens a query's source and reads at most maxQueryBytes from
// it. It returns when ctx is cancelled even if the source never opens or
// never ends (a FIFO without a writer, a pipe whose writer stays open):
// Ctrl-C stops a `flowir sql` waiting for its query.
func readQuery(ctx context.Context, what string, open func() (io.ReadCloser, error)) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := open()
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxQueryBytes+1))
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		switch {
		case res.err != nil:
			return nil, fmt.Errorf("read the query from %s: %w", what, res.err)
		case len(res.b) > maxQueryBytes:
			return nil, usagef("the query from %s is longer than %d bytes: is it the right file?", what, maxQueryBytes)
		}
		return res.b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the query on %s: %w", what, context.Cause(ctx))
	}
}
