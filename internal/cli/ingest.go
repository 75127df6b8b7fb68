package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// IngestOptions are the options of `flowir ingest`.
type IngestOptions struct {
	Paths     []string
	LogFormat string
	Workers   int
	Progress  bool // show a progress bar on stderr
	Quiet     bool
}

func newIngestCmd(f *Factory, g *globalOptions, runF func(*IngestOptions) error) *cobra.Command {
	opts := &IngestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Load flow log files and folders into the case",
		Long: `Load VPC Flow Logs into the case: files (.log.gz, .gz, .log, plain text) and
folders (walked recursively; .log and .gz files are read, other files are
listed as ignored — name a file explicitly to read it whatever its name).

The field order of each file comes from its header line, as AWS writes it at
the top of every S3 text file (a header repeated inside a file is recognised
again). Lines before any header, as in CloudWatch Logs exports, are read with
--log-format, or with AWS's default (version 2) format.

Account, region, date and hour are taken from the S3 key layout of the path
(AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD[/HH]/, the Hive-compatible
aws-account-id=/aws-region=/year=/... layout) or from AWS's file name.

Every line becomes a record or a rejected line (kept with its reason in the
rejects table); lines = records + rejects + headers for every file. Each file
is loaded in one transaction: an interrupted ingest leaves no half file, and
running the same command again finishes the job. A file whose content (SHA-256)
is already in the case is skipped, whatever its name. A damaged gzip keeps the
records read before the damage and the file is marked partial.`,
		Example: `  flowir ingest ./logs/
  flowir ingest --log-format '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id}' export.log
  flowir ingest --format json logs/ > ingest-summary.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("ingest needs at least one file or folder\nSee 'flowir ingest --help'")
			}
			opts.Paths = args
			opts.Progress = f.IO.IsStderrTTY() && !opts.Quiet
			if runF != nil {
				return runF(opts)
			}
			return runIngest(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.LogFormat, "log-format", "", "format of lines before any header line: '${version} ${account-id} ...' (default: AWS's default format)")
	cmd.Flags().IntVar(&opts.Workers, "workers", 0, "files read in parallel (default: number of CPUs)")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func runIngest(cmd *cobra.Command, f *Factory, g *globalOptions, opts *IngestOptions) error {
	ctx := cmd.Context()
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	var lf flow.Format
	if opts.LogFormat != "" {
		if lf, err = flow.ParseFormat(opts.LogFormat); err != nil {
			return &UsageError{fmt.Errorf("--log-format: %w", err)}
		}
	}
	c, err := openCase(ctx, f, g, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer c.Close()
	io := ingest.Options{Paths: opts.Paths, Format: lf, Workers: opts.Workers}
	var bar *progressBar
	if opts.Progress {
		bar = &progressBar{w: f.IO.ErrOut, width: f.IO.TerminalWidth()}
		io.Progress = bar.update
	}
	sum, runErr := ingest.Run(ctx, c, io)
	if sum != nil {
		if err := printIngestSummary(f.IO.Out, format, c.Dir, sum); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d of %d files failed; see above, fix the cause and run the same command again (files already loaded are skipped)", sum.Failed, sum.Files)
	}
	return nil
}

// printIngestSummary prints the per-file problems and the totals.
func printIngestSummary(w io.Writer, format output.Format, dir string, s *ingest.Summary) error {
	switch format {
	case output.FormatJSON, output.FormatNDJSON:
		enc := json.NewEncoder(w)
		if format == output.FormatJSON {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(s)
	case output.FormatTable:
	default:
		res := &output.Result{Columns: []output.Column{{Name: "path"}, {Name: "outcome"}, {Name: "source_id", Type: "BIGINT"},
			{Name: "lines", Type: "BIGINT"}, {Name: "records", Type: "BIGINT"}, {Name: "rejects", Type: "BIGINT"},
			{Name: "headers", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}, {Name: "error"}}}
		for _, r := range s.Results {
			res.Rows = append(res.Rows, []any{r.Path, r.Outcome, r.SourceID, r.Lines, r.Records, r.Rejects, r.Headers, r.Bytes, r.Error})
		}
		return output.Write(w, format, res, output.Options{})
	}
	for _, r := range s.Results {
		switch r.Outcome {
		case ingest.Failed:
			fmt.Fprintf(w, "FAILED   %s: %s\n", r.Path, r.Error)
		case ingest.Partial:
			fmt.Fprintf(w, "PARTIAL  %s: %d records kept, %s\n", r.Path, r.Records, r.Error)
		}
	}
	fmt.Fprintf(w, "case:     %s\n", dir)
	fmt.Fprintf(w, "files:    %d (ingested %d, skipped %d already in the case, partial %d, failed %d)\n",
		s.Files, s.Ingested, s.Skipped, s.Partial, s.Failed)
	fmt.Fprintf(w, "lines:    %d = records %d + rejected %d + headers %d\n", s.Lines, s.Records, s.Rejects, s.Headers)
	if len(s.Ignored) > 0 {
		fmt.Fprintf(w, "ignored:  %d files in folders whose names are not flow log files (%s)\n", len(s.Ignored), strings.Join(firstN(s.Ignored, 3), ", "))
	}
	fmt.Fprintf(w, "time:     %.1fs, %.1f MB read\n", s.Seconds, float64(s.Bytes)/1e6)
	if s.Rejects > 0 {
		fmt.Fprintf(w, "rejected lines are in the case: flowir sql 'SELECT * FROM rejects LIMIT 20'\n")
	}
	return nil
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), fmt.Sprintf("... %d more", len(s)-n))
}

// progressBar draws ingest progress on one terminal line of stderr.
type progressBar struct {
	w     io.Writer
	width int
}

func (b *progressBar) update(p ingest.Progress) {
	frac := 0.0
	if p.BytesTotal > 0 {
		frac = float64(p.BytesDone) / float64(p.BytesTotal)
	}
	if frac > 1 {
		frac = 1
	}
	secs := p.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(p.BytesDone) / 1e6 / secs
	}
	eta := "--"
	if frac > 0 && !p.Done {
		left := time.Duration(float64(p.Elapsed) * (1 - frac) / frac).Round(time.Second)
		eta = left.String()
	}
	const barWidth = 24
	filled := int(frac * barWidth)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled)
	line := fmt.Sprintf("[%s] %3.0f%% files %d/%d  records %d  %.1f MB/s  ETA %s",
		bar, frac*100, p.FilesDone, p.FilesTotal, p.Records, rate, eta)
	if b.width > 0 && len(line) > b.width-1 {
		line = line[:b.width-1]
	}
	fmt.Fprintf(b.w, "\r\033[K%s", line)
	if p.Done {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
