package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// DemoOptions are the options of `flowir demo`.
type DemoOptions struct {
	Out     string
	Seed    uint64
	Records int
	Force   bool
}

// demoMarker marks a directory flowir demo made, so a rerun may replace it.
const demoMarker = ".flowir-demo"

func newDemoCmd(f *Factory, g *globalOptions, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate synthetic flow logs with planted incidents, ingest them and run the playbook",
		Long: `A self-contained exercise: writes a realistic synthetic corpus of VPC Flow Logs
(three accounts, two regions each, AWS's default format and custom formats
including one where bytes comes before packets, the daily, hourly and
Hive-compatible S3 layouts, NODATA and SKIPDATA records, IPv6) with planted
incidents (SSH brute force, port scans, exfiltration, beaconing, IOC contact,
RDP open to the internet), ingests it into a fresh case, runs some of the
playbook's queries and checks the answers against the ground truth the
generator computed itself.

The corpus goes to OUT/logs, the case to OUT/case (or --case), the ground truth
to OUT/logs/truth.json and the IOC lists to OUT/logs/iocs.csv and iocs.txt.`,
		Example: `  flowir demo
  flowir demo --records 1000000 --seed 7 --out /tmp/exercise`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runDemo(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Out, "out", "flowir-demo", "directory for the corpus and the case")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "random seed: the same seed gives the same corpus")
	cmd.Flags().IntVar(&opts.Records, "records", 20000, "approximate number of flow records")
	return cmd
}

func runDemo(cmd *cobra.Command, f *Factory, g *globalOptions, opts *DemoOptions) error {
	ctx := cmd.Context()
	w := f.textErr()
	if opts.Records <= 0 {
		return usagef("--records must be positive")
	}
	if err := prepareDemoDir(opts.Out); err != nil {
		return err
	}
	logs := filepath.Join(opts.Out, "logs")
	caseDir := g.caseDir
	if caseDir == "" {
		caseDir = filepath.Join(opts.Out, "case")
	}
	if _, err := os.Stat(filepath.Join(caseDir, store.DBFile)); err == nil {
		return fmt.Errorf("case %s already exists: the demo needs a fresh case; give --case a new directory", caseDir)
	}
	fmt.Fprintf(w, "1/3 writing about %d synthetic flow records to %s ...\n", opts.Records, logs)
	truth, err := demo.Generate(demo.Config{Dir: logs, Seed: opts.Seed, Records: opts.Records})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "    %d files, %d records, %d planted incidents\n", truth.Files, truth.Records, len(truth.Incidents))

	fmt.Fprintf(w, "2/3 ingesting into case %s ...\n", caseDir)
	plan := ingest.PlanResources(0)
	c, err := store.Open(ctx, caseDir, store.Options{Create: true, Load: true, MemoryLimit: plan.DuckDBMemory, Threads: plan.DuckDBThreads})
	if err != nil {
		return err
	}
	io := ingest.Options{Paths: []string{logs}, Workers: plan.Workers}
	if f.IO.IsStderrTTY() {
		bar := &progressBar{w: f.IO.ErrOut, width: f.IO.TerminalWidth()}
		io.Progress = bar.update
	}
	sum, err := ingest.Run(ctx, c, io)
	c.Close()
	if err != nil {
		return err
	}
	if err := printIngestSummary(f, output.FormatTable, caseDir, sum); err != nil {
		return err
	}
	if sum.Records != truth.Records || sum.Rejects != 0 || sum.Failed != 0 {
		return fmt.Errorf("demo ingest does not match the generator's ground truth: %d records and %d rejects, want %d and 0", sum.Records, sum.Rejects, truth.Records)
	}

	fmt.Fprintf(w, "3/3 running the playbook's queries\n")
	rc, err := store.Open(ctx, caseDir, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer rc.Close()
	out := f.IO.Out
	for _, step := range []struct {
		title, query string
		params       map[string]string
		limit        int
	}{
		{"Records by log-status and action (flowir query status-count)", "status-count", nil, 0},
		{"Top talkers by bytes (flowir query top-talkers, AWS's VpcFlowLogsTopTalkers)", "top-talkers", nil, 10},
		{"Data ratio for " + truth.DataRatio.IP + " (flowir query data-ratio -p ip=" + truth.DataRatio.IP + ")", "data-ratio", map[string]string{"ip": truth.DataRatio.IP}, 10},
	} {
		q, err := analysis.Find(step.query)
		if err != nil {
			return err
		}
		sqlText, args, err := q.Render(analysis.DuckDB, "flows", step.params, analysis.Bounds{Limit: step.limit})
		if err != nil {
			return err
		}
		res, err := rc.Query(ctx, sqlText, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", step.query, err)
		}
		fmt.Fprintf(out, "\n== %s\n", step.title)
		if err := writeResult(f, output.FormatTable, res); err != nil {
			return err
		}
	}
	if err := checkDemoTruth(ctx, rc, truth); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe case matches the generator's ground truth (records, bytes, packets, top talkers, data ratio).\n")
	fmt.Fprintf(out, "\nPlanted incidents to find:\n")
	for _, inc := range truth.Incidents {
		fmt.Fprintf(out, "  - %s (%s): %s\n", inc.ID, inc.Technique, inc.Summary)
	}
	fmt.Fprintf(out, `
Try next:
  flowir status --case %[1]s
  flowir queries
  flowir query ssh-rdp-traffic --case %[1]s --limit 20
  flowir sql --case %[1]s 'SELECT sourceaddress, destinationaddress, count(*) AS record_count, SUM(numbytes) AS total_bytes FROM vpcflow GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 10'
  IOC lists to try: %[2]s and %[3]s
`, caseDir, filepath.Join(logs, demo.IOCCSVFile), filepath.Join(logs, demo.IOCTxtFile))
	return nil
}

// prepareDemoDir makes out ready for a fresh corpus: it must be new, empty, or
// a directory an earlier `flowir demo` made (which is then replaced).
func prepareDemoDir(out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) == 0:
	default:
		if _, err := os.Stat(filepath.Join(out, demoMarker)); err != nil {
			return fmt.Errorf("%s exists and was not made by flowir demo: give --out a new or empty directory", out)
		}
		if err := os.RemoveAll(out); err != nil {
			return fmt.Errorf("replace earlier demo in %s: %w", out, err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, demoMarker), []byte("made by flowir demo; flowir demo may delete this directory\n"), 0o644)
}
