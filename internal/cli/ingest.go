package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

// IngestOptions are the options of `flowir ingest`.
type IngestOptions struct {
	Paths        []string
	LogFormat    string
	Workers      int
	Downloads    int
	Progress     bool // show a progress bar on stderr
	Quiet        bool
	Accounts     []string
	Regions      []string
	Since, Until string
	StreamPrefix string
	Profile      string
	EndpointURL  string
	SpoolDir     string
}

func newIngestCmd(f *Factory, g *globalOptions, runF func(*IngestOptions) error) *cobra.Command {
	opts := &IngestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest SOURCE...",
		Short: "Load flow logs into the case: files, folders, S3, CloudWatch Logs",
		Long: `Load VPC and Transit Gateway Flow Logs into the case. A SOURCE is:

  a file        read whatever its name: text (.log, .log.gz, .gz, plain),
                Parquet, CloudWatch Logs JSON, the playbook's JSON records
  a folder      walked recursively; .log, .gz, .parquet, .jsonl and .ndjson
                files are read, other files are listed as ignored
  s3://BUCKET/PREFIX
                every object under the prefix, or with --account, --region,
                --since or --until only the account/region/day (or hour)
                folders of AWS's layouts (plain, hourly, Hive-compatible)
                that can hold the records asked for: the whole bucket is
                never listed then
  cwl://LOG_GROUP
                the group's streams (one per network interface; narrow them
                with --stream-prefix), read with FilterLogEvents
  -             standard input, read once (kept in memory, or in a
                temporary file when large, while it is loaded)

Symbolic links are followed, to files and folders; a link that loops back
to a folder above it, a link to nothing, and named pipes or devices inside
folders are not read and are listed. A named pipe, a device (/dev/zero) or
a process substitution given as a SOURCE is refused: a stream cannot be
hashed and then read; give - and pipe it to standard input instead.

A source with lines but not one record among them (a README, a binary file,
a log read with the wrong --log-format) fails, saying what its lines were;
--log-format refuses a field no flow log has before anything is read.

What a source holds is recognised by its content, not its name. Text takes
its field order from its header line (AWS writes one at the top of every S3
text object; a header repeated inside is recognised again). Lines before any
header, as in CloudWatch Logs, are read with --log-format, with the format of
the group's flow log (cwl://, via EC2 DescribeFlowLogs), or with AWS's default
format; headerless Transit Gateway records in AWS's default TGW format (36
fields, tgw-... ids) are recognised by their shape. Transit Gateway records
go to table tgwflow. Parquet as AWS delivers it (columns named with '_',
INT32 or INT64 integers, Snappy or Gzip) is read row by row, a row counting
as a line; columns other tools write with other types are converted where no
value changes (an integer account id zero-padded to 12 digits, integers
written as strings, start/end as TIMESTAMP), said in the source's notes, and
any other type refuses the file naming the column. CloudWatch Logs exports are read too: lines of {"message": ...},
'aws logs filter-log-events' output, and subscription payloads (gzip JSON
with logEvents). The playbook's "NEW logs" JSON records go to table
vpc_flow_logs; malformed lines are skipped like Athena's ignore.malformed.json
but counted and kept in rejects.

Account, region, date and hour are taken from the S3 key layout of the path
(AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD[/HH]/, the Hive-compatible
aws-account-id=/aws-region=/year=/... layout), from AWS's file name, or from
a Parquet file's own partition columns. A file under Hive-style folders
holding a value AWS does not write there (aws-region=not-a-region,
year=000x, month=13, day=30 of February, hour=24) fails, naming the folder.

--since and --until keep the records with end >= since and start < until;
the records they leave out are counted (out of window). S3 objects and
files are chosen by the time in AWS's file name or folder with margins:
AWS delivers late at times ("typically ... to Amazon S3 in about 10
minutes", best effort), and a late record is in a later file, so files
named up to about 1h30 after --until are read too (their records outside
the window counted out of window); a record delivered later than that is
not read. --account and
--region select by the S3 key layout (the account and region of the flow
log's delivery folder). For cwl:// sources --region is the region of the log
group.

Every line becomes a record or a rejected line (kept with its reason in the
rejects table); for every source, lines = records + rejects + headers + out
of window. An empty line (AWS never writes one) is a reject, reason
empty-line. A record whose start or end is past 100000000000 (the year 5138
in seconds: most likely milliseconds, which other tools write) is stored as
written and counted: a warning on standard error names the source, and
'flowir status' counts such records. A source keeps its first 10,000 rejected lines with their text;
the rest are counted by reason in table rejects_not_kept, so that a file of
millions of bad lines does not fill the case. Each source is loaded in one transaction: an interrupted ingest
(Ctrl-C, a killed process) leaves no half source, its summary counts only
the sources it committed, and running the same command again finishes the
job. The free space of the case folder is checked before anything is loaded
and before each source, against an estimate from the input's size (about
the size of gzip text or Parquet, a ninth of plain text), and that of
--spool-dir before an object too large for memory is downloaded into it: a
disk short of room stops the ingest the same way, saying "not enough disk
space in DIR: need ~X, have Y".
A source whose content (SHA-256) is already in the case is skipped, whatever
its name; an S3 object already ingested (same key and ETag) is skipped
without being downloaded; a CloudWatch Logs stream already read for the
window is not read again. S3 objects are downloaded in parallel (--downloads)
into memory or, when large, temporary files (--spool-dir), with throttling
(503 SlowDown) and transient errors retried with backoff. A damaged gzip
keeps the records read before the damage and the source is marked partial.

AWS access uses the standard credential chain, --profile and --endpoint-url
(an S3-compatible store, addressed path-style; without any credentials,
requests to it go unsigned).`,
		Example: `  flowir ingest ./logs/
  flowir ingest s3://central-logs/prod/ --account 111122223333 --region us-east-1 --since 2024-05-01T10:00:00Z --until 2024-05-01T12:00:00Z
  flowir ingest s3://logs/ --endpoint-url http://127.0.0.1:9000 --profile lab
  flowir ingest cwl://vpc-flow-logs --region eu-west-1 --since 24h --stream-prefix eni-0abc
  flowir ingest --log-format '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id}' export.log
  flowir ingest --format json logs/ > ingest-summary.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("ingest needs at least one file, folder, s3:// or cwl:// source\nSee 'flowir ingest --help'")
			}
			opts.Paths = args
			opts.Progress = f.IO.IsStderrTTY() && !opts.Quiet
			if runF != nil {
				return runF(opts)
			}
			return runIngest(cmd, f, g, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.LogFormat, "log-format", "", "format of lines before any header line: '${version} ${account-id} ...' (default: AWS's default format, or a cwl:// group's flow log format)")
	fl.IntVar(&opts.Workers, "workers", 0, "sources decoded and stored in parallel (default: as many as half the memory available allows, at most the number of CPUs; a batch that fails is loaded again one source at a time)")
	fl.IntVar(&opts.Downloads, "downloads", 0, "S3 objects or CloudWatch Logs streams downloaded in parallel (default 8)")
	listVar(fl, &opts.Accounts, "account", "only these AWS accounts (12 digits) of the S3 key layout")
	listVar(fl, &opts.Regions, "region", "only these regions of the S3 key layout; for cwl:// the log group's region")
	fl.StringVar(&opts.Since, "since", "", "only records ending at or after this time (RFC 3339, date, Unix seconds, or a duration back from now: 24h, 7d)")
	fl.StringVar(&opts.Until, "until", "", "only records starting before this time")
	fl.StringVar(&opts.StreamPrefix, "stream-prefix", "", "cwl:// only: the streams whose names start with this (one stream per network interface: eni-0abc)")
	fl.StringVar(&opts.Profile, "profile", "", "AWS shared configuration profile")
	fl.StringVar(&opts.EndpointURL, "endpoint-url", "", "S3 (or CloudWatch Logs) endpoint: an S3-compatible store or a local server")
	fl.StringVar(&opts.SpoolDir, "spool-dir", "", "folder for downloaded objects too large for memory (default: the system's temporary folder); each ingest works in a locked folder of its own in it and removes the folders of killed ingests")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress bar")
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
		if lf, err = parseLogFormat(opts.LogFormat); err != nil {
			return err
		}
	}
	for _, p := range opts.Paths {
		if p == ingest.StdinPath && f.IO.IsStdinTTY() {
			return usagef("- reads the logs from standard input, which is a terminal here: pipe them in (flowir ingest - < FILE, or COMMAND | flowir ingest -)")
		}
	}
	io := ingest.Options{Paths: opts.Paths, Stdin: f.IO.In, Format: lf, Workers: opts.Workers, Downloads: opts.Downloads,
		StreamPrefix: opts.StreamPrefix, SpoolDir: opts.SpoolDir, Now: f.Now,
		AWS: awsapi.Options{Profile: opts.Profile, EndpointURL: opts.EndpointURL}}
	io.Select.Accounts, io.Select.Regions = opts.Accounts, opts.Regions
	if io.Select.Since, io.Select.Until, err = parseWindow(f, opts.Since, opts.Until); err != nil {
		return err
	}
	if err := io.Select.Validate(); err != nil {
		return usagef("%v", err)
	}
	cwl := false
	for _, p := range opts.Paths {
		cwl = cwl || source.IsCWLURL(p)
	}
	if cwl {
		if len(io.Select.Regions) > 1 {
			return usagef("--region: a cwl:// log group is in one region; give one (%s)", strings.Join(io.Select.Regions, ","))
		}
		if len(io.Select.Regions) == 1 {
			io.AWS.Region = io.Select.Regions[0]
		}
	}
	if opts.StreamPrefix != "" && !cwl {
		return usagef("--stream-prefix applies to cwl:// sources only")
	}
	// Loaders and DuckDB's memory and threads follow the memory budget,
	// not the number of cores (issue 17.1).
	plan := ingest.PlanResources(opts.Workers)
	io.Workers = plan.Workers
	c, err := openCase(ctx, f, g, store.Options{Create: true, Load: true, MemoryLimit: plan.DuckDBMemory, Threads: plan.DuckDBThreads})
	if err != nil {
		return err
	}
	defer c.Close()
	var bar *progressBar
	if opts.Progress {
		bar = &progressBar{w: f.IO.ErrOut, width: f.IO.TerminalWidth()}
		io.Progress = bar.update
	}
	sum, runErr := ingest.Run(ctx, c, io)
	if sum != nil {
		warnMillisecondTimes(f, sum)
		if err := printIngestSummary(f, format, c.Dir, sum); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if sum.Failed > 0 {
		err := fmt.Errorf("%d of %d sources failed; see above, fix the cause and run the same command again (sources already loaded are skipped)", sum.Failed, sum.Files)
		if sum.Failed >= sum.Files {
			return err // nothing loaded: an error (1), not a partial run (3)
		}
		return &PartialError{err}
	}
	return nil
}

// printIngestSummary prints the per-file problems and the totals.
// parseLogFormat reads a --log-format the user typed. A field that is
// neither one flowir knows nor one AWS writes that flowir keeps as text
// (flow.Untyped) is refused before anything is read (issue 12.4): in a
// format typed by hand it is a misspelling (${interface} for
// ${interface-id}), and applied, it would reject every line for a column
// that does not exist.
func parseLogFormat(s string) (flow.Format, error) {
	lf, err := flow.ParseFormat(s)
	if err != nil {
		return lf, usagef("--log-format: %v", err)
	}
	if u := lf.Undocumented(); len(u) > 0 {
		return lf, usagef("--log-format: no flow log field is named %s; the fields are listed in AWS's \"Available fields\" (for example ${pkt-srcaddr}): check the spelling", flow.DescribeFields(u))
	}
	return lf, nil
}

// warnMillisecondTimes says on standard error, whatever the format, which
// sources have records whose start or end looks like milliseconds (issue
// 12.7): AWS writes Unix seconds, so such a file was most likely written by
// another tool; its records are stored as written, and status counts them.
func warnMillisecondTimes(f *Factory, s *ingest.Summary) {
	for _, r := range s.Results {
		if r.MillisecondTimes > 0 && (r.Outcome == ingest.Ingested || r.Outcome == ingest.Partial) {
			fmt.Fprintf(f.textErr(), "warning: start/end look like milliseconds: %d records in %s (past %d, the year 5138 in seconds; AWS writes Unix seconds); stored as written, so their times read as far in the future: convert the file to seconds and ingest it again\n",
				r.MillisecondTimes, r.Path, store.MillisecondTimeFloor)
		}
	}
}

func printIngestSummary(f *Factory, format output.Format, dir string, s *ingest.Summary) error {
	w := f.IO.Out
	switch format {
	case output.FormatJSON, output.FormatNDJSON:
		enc := json.NewEncoder(w)
		if format == output.FormatJSON {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(s)
	case output.FormatTable:
	default:
		res := &output.Result{Columns: []output.Column{{Name: "path"}, {Name: "origin"}, {Name: "etag"}, {Name: "outcome"}, {Name: "format"},
			{Name: "source_id", Type: "BIGINT"}, {Name: "lines", Type: "BIGINT"}, {Name: "records", Type: "BIGINT"}, {Name: "rejects", Type: "BIGINT"},
			{Name: "headers", Type: "BIGINT"}, {Name: "out_of_window", Type: "BIGINT"}, {Name: "bytes", Type: "BIGINT"}, {Name: "error"}}}
		for _, r := range s.Results {
			res.Rows = append(res.Rows, []any{r.Path, r.Origin, r.ETag, r.Outcome, r.Format, r.SourceID, r.Lines, r.Records, r.Rejects, r.Headers, r.OutOfWindow, r.Bytes, r.Error})
		}
		return output.Write(w, format, res, f.IO.OutputOptions())
	}
	// The lines quote file names, S3 keys and folders: shown, not obeyed.
	w = f.textOut()
	for _, r := range s.Results {
		switch r.Outcome {
		case ingest.Failed:
			fmt.Fprintf(w, "FAILED   %s: %s\n", r.Path, r.Error)
		case ingest.Partial:
			fmt.Fprintf(w, "PARTIAL  %s: %d records kept, %s\n", r.Path, r.Records, r.Error)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "NOTE     %s: %s\n", r.Path, n)
		}
	}
	fmt.Fprintf(w, "case:     %s\n", dir)
	for _, l := range s.Listings {
		fmt.Fprintf(w, "listed:   %s: %d keys under %d prefixes, %d selected, %d pruned by account/region/time", l.Location, l.Keys, len(l.Prefixes), l.Selected, l.Pruned)
		if l.SkippedFolders > 0 {
			fmt.Fprintf(w, ", %d hour folders not listed", l.SkippedFolders)
		}
		if l.Ignored > 0 {
			fmt.Fprintf(w, ", %d not flow log objects (%s)", l.Ignored, strings.Join(firstN(l.IgnoredKeys, 3), ", "))
		}
		fmt.Fprintln(w)
		for _, n := range l.Notes {
			fmt.Fprintf(w, "note:     %s: %s\n", l.Location, n)
		}
	}
	fmt.Fprintf(w, "sources:  %d (ingested %d, skipped %d already in the case, partial %d, failed %d)\n",
		s.Files, s.Ingested, s.Skipped, s.Partial, s.Failed)
	if s.OutOfWindow > 0 {
		fmt.Fprintf(w, "lines:    %d = records %d + rejected %d + headers %d + out of the time window %d\n", s.Lines, s.Records, s.Rejects, s.Headers, s.OutOfWindow)
	} else {
		fmt.Fprintf(w, "lines:    %d = records %d + rejected %d + headers %d\n", s.Lines, s.Records, s.Rejects, s.Headers)
	}
	if len(s.Ignored) > 0 {
		fmt.Fprintf(w, "ignored:  %d files in folders whose names are not flow log files (%s)\n", len(s.Ignored), strings.Join(firstN(s.Ignored, 3), ", "))
	}
	for _, n := range s.NotRead {
		fmt.Fprintf(w, "not read: %s: %s\n", n.Path, n.Reason)
	}
	for _, d := range s.StaleSpools {
		fmt.Fprintf(w, "removed:  %s: the spool folder of an ingest that was killed\n", d)
	}
	fmt.Fprintf(w, "time:     %.1fs, %.1f MB read\n", s.Seconds, float64(s.Bytes)/1e6)
	if s.Rejects > 0 {
		fmt.Fprintf(w, "rejected lines are in the case: flowir sql 'SELECT * FROM rejects LIMIT 20'\n")
	}
	if s.RejectsNotKept > 0 {
		fmt.Fprintf(w, "not kept: %d rejected lines past the first %d of their source are counted by reason, not kept with their text (flowir sql 'SELECT * FROM rejects_not_kept')\n", s.RejectsNotKept, store.RejectsKept)
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
	total := fmt.Sprint(p.FilesTotal)
	if p.Listing {
		total += "+" // still listing
	}
	line := fmt.Sprintf("[%s] %3.0f%% sources %d/%s  %.1f/%.1f MB  records %d  %.1f MB/s  ETA %s",
		bar, frac*100, p.FilesDone, total, float64(p.BytesDone)/1e6, float64(p.BytesTotal)/1e6, p.Records, rate, eta)
	if b.width > 0 && len(line) > b.width-1 {
		line = line[:b.width-1]
	}
	fmt.Fprintf(b.w, "\r\033[K%s", line)
	if p.Done {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
