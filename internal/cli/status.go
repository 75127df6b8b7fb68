package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// StatusOptions are the options of `flowir status`.
type StatusOptions struct {
	Sources bool // list every source instead of the summary
}

func newStatusCmd(f *Factory, g *globalOptions, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what the case holds: sources, records, time range, rejects",
		Long: `Show what the case holds: sources by status, records by log-status and action,
records per account, region and day, the time range of the records, rejected
lines by reason (those each source keeps with their text, its first 10,000,
and those counted only), and every partial or failed file with its error.

The line counts reconcile: lines = records + rejected lines + header lines
(+ the records an ingest's --since/--until left out). Sources are summed by
origin: local files, S3 bucket, CloudWatch Logs group.
With --format json the same information is one JSON object.

With --sources, one row per source (the chain of custody): path, size,
SHA-256, format, partition values, lines, records, rejects, headers, status,
error and time of ingest, in any --format.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			format, c, err := readCase(cmd.Context(), f, g)
			if err != nil {
				return err
			}
			defer c.Close()
			if opts.Sources {
				res, err := c.Query(cmd.Context(), sourcesQuery)
				if err != nil {
					return err
				}
				return writeResult(f, format, res)
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			return printStatus(f.IO, format, st)
		},
	}
	cmd.Flags().BoolVar(&opts.Sources, "sources", false, "list every source with its counts and SHA-256")
	return cmd
}

// sourcesQuery lists the sources table, every column, in ingest order.
const sourcesQuery = `SELECT * FROM sources ORDER BY source_id`

// span is the length of the case's time range. time.Duration holds about
// 292 years: a range that ends in a time written in milliseconds (issue
// 12.7, up to the year 131971) would overflow it (Sub saturates and printed
// 2562047h47m16.85s), so a longer span is given in days.
func span(first, last time.Time) string {
	sec := last.Unix() - first.Unix() // both within flow.MaxTime: no overflow
	if limit := int64(math.MaxInt64 / time.Second); sec > limit || sec < -limit {
		return fmt.Sprintf("%d days", sec/86400)
	}
	return (time.Duration(sec) * time.Second).String()
}

func printStatus(ios *output.IOStreams, format output.Format, st *store.Status) error {
	w := ios.Out
	if format == output.FormatJSON || format == output.FormatNDJSON {
		enc := json.NewEncoder(w)
		if format == output.FormatJSON {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(st)
	}
	if format != output.FormatTable {
		// Machine formats other than JSON: the per-partition rows, the most
		// useful table of the status.
		return partitionTable(w, format, st, ios.OutputOptions())
	}
	s := st.Sources
	dir := st.Dir
	if ios.IsStdoutTTY() {
		dir = output.TerminalSafe(dir)
	}
	fmt.Fprintf(w, "case:       %s (schema %d)\n", dir, st.SchemaVersion)
	fmt.Fprintf(w, "sources:    %d complete, %d partial, %d failed", s.Complete, s.Partial, s.Failed)
	if s.Superseded > 0 {
		fmt.Fprintf(w, ", %d superseded", s.Superseded)
	}
	fmt.Fprintf(w, " (%.1f MB)\n", float64(s.Bytes)/1e6)
	fmt.Fprintf(w, "lines:      %d = records %d + rejected %d + headers %d", st.Lines, st.Records+st.TGWRecords+st.JSONRecords, st.Rejects, st.Headers)
	if st.OutOfWindow > 0 {
		fmt.Fprintf(w, " + out of the ingest's time window %d", st.OutOfWindow)
	}
	fmt.Fprintln(w)
	if st.TGWRecords > 0 || st.JSONRecords > 0 {
		fmt.Fprintf(w, "records:    %d VPC flow log records, %d Transit Gateway records (tgwflow), %d playbook JSON records (vpc_flow_logs)\n", st.Records, st.TGWRecords, st.JSONRecords)
	}
	if st.FirstStart != nil && st.LastEnd != nil {
		fmt.Fprintf(w, "time range: %s .. %s (%s)\n", st.FirstStart.Format(time.RFC3339), st.LastEnd.Format(time.RFC3339), span(st.FirstStart.Time, st.LastEnd.Time))
	}
	if st.MillisecondTimes > 0 {
		fmt.Fprintf(w, "warning:    %d records have a start or end after %d (year 5138): AWS writes seconds, so these look like milliseconds; stored as written\n",
			st.MillisecondTimes, store.MillisecondTimeFloor)
	}
	opts := ios.OutputOptions()
	if len(st.ByStatus) > 0 {
		fmt.Fprintln(w, "\nrecords by log-status and action:")
		res := &output.Result{Columns: []output.Column{{Name: "log_status"}, {Name: "action"}, {Name: "records", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}, {Name: "packets", Type: "BIGINT"}}}
		for _, r := range st.ByStatus {
			res.Rows = append(res.Rows, []any{r.LogStatus, r.Action, r.Records, r.Bytes, r.Packets})
		}
		if err := output.Write(w, output.FormatTable, res, opts); err != nil {
			return err
		}
	}
	if len(st.ByOrigin) > 0 {
		fmt.Fprintln(w, "\nsources by origin (each source's path, S3 key and ETag, or log group and stream: flowir status --sources):")
		res := &output.Result{Columns: []output.Column{{Name: "origin"}, {Name: "location"}, {Name: "sources", Type: "BIGINT"}, {Name: "records", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}}}
		for _, r := range st.ByOrigin {
			res.Rows = append(res.Rows, []any{r.Origin, r.Location, r.Sources, r.Records, r.Bytes})
		}
		if err := output.Write(w, output.FormatTable, res, opts); err != nil {
			return err
		}
	}
	if len(st.ByPartition) > 0 {
		fmt.Fprintln(w, "\nrecords by account, region and day:")
		if err := partitionTable(w, output.FormatTable, st, opts); err != nil {
			return err
		}
	}
	if len(st.RejectReasons) > 0 {
		fmt.Fprintln(w, "\nrejected lines by reason (flowir sql 'SELECT * FROM rejects'):")
		if st.RejectsNotKept > 0 {
			fmt.Fprintf(w, "(%d of them are counted, not kept with their text: each source keeps its first %d; flowir sql 'SELECT * FROM rejects_not_kept')\n", st.RejectsNotKept, store.RejectsKept)
		}
		res := &output.Result{Columns: []output.Column{{Name: "reason"}, {Name: "lines", Type: "BIGINT"}}}
		for _, r := range st.RejectReasons {
			res.Rows = append(res.Rows, []any{r.Reason, r.Lines})
		}
		if err := output.Write(w, output.FormatTable, res, opts); err != nil {
			return err
		}
	}
	if len(st.Problems) > 0 {
		fmt.Fprintln(w, "\npartial and failed sources:")
		res := &output.Result{Columns: []output.Column{{Name: "source_id", Type: "BIGINT"}, {Name: "status"}, {Name: "records", Type: "BIGINT"}, {Name: "path"}, {Name: "error"}}}
		for _, r := range st.Problems {
			res.Rows = append(res.Rows, []any{r.ID, r.Status, r.Records, r.Path, r.Error})
		}
		if err := output.Write(w, output.FormatTable, res, opts); err != nil {
			return err
		}
	}
	return nil
}

func partitionTable(w io.Writer, format output.Format, st *store.Status, opts output.Options) error {
	res := &output.Result{Columns: []output.Column{{Name: "account"}, {Name: "region"}, {Name: "date"}, {Name: "records", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}}}
	for _, r := range st.ByPartition {
		res.Rows = append(res.Rows, []any{r.Account, r.Region, r.Date, r.Records, r.Bytes})
	}
	return output.Write(w, format, res, opts)
}
