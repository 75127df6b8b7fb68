package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// CompactOptions are the options of `flowir compact`.
type CompactOptions struct {
	// MinFiles: compact only partitions with more small files than this.
	MinFiles int
}

func newCompactCmd(f *Factory, g *globalOptions, runF func(*CompactOptions) error) *cobra.Command {
	opts := &CompactOptions{}
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Merge each partition's small record files into few large ones",
		Long: fmt.Sprintf(`Merge the small Parquet files of each partition of the case's data/ folder
(account, region, day; see the README's Storage section) into files of up
to %d records, each sorted by start time, so that queries open few files
and skip the row groups outside a time window.

Every ingest batch writes one file per partition it touches; an ingest
compacts a partition itself once it holds more than %d files of fewer
than %d records, so this command is only needed to merge the rest
(--min-files 0, the default, merges any two or more).

The case's records do not change: each merged file's records are counted
per source and checked against the files it replaces, and it replaces them
in one transaction. A compaction that is stopped or killed leaves the case
as it was, or with the partitions it finished; run it again.`, store.CompactFileRecords, store.AutoCompactFiles, store.CompactFileRecords),
		Example: `  flowir compact
  flowir compact --min-files 8`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runCompact(cmd, f, g, opts)
		},
	}
	cmd.Flags().IntVar(&opts.MinFiles, "min-files", 0, "compact only partitions holding more than this many small files")
	return cmd
}

func runCompact(cmd *cobra.Command, f *Factory, g *globalOptions, opts *CompactOptions) error {
	if opts.MinFiles < 0 {
		return usagef("--min-files must be 0 or more, not %d", opts.MinFiles)
	}
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	c, err := openCase(ctx, f, g, store.Options{Load: true})
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Compact(ctx, store.CompactOptions{MinFiles: opts.MinFiles})
	if err != nil {
		return err
	}
	if format == output.FormatJSON || format == output.FormatNDJSON {
		return json.NewEncoder(f.IO.Out).Encode(st)
	}
	if st.Partitions == 0 {
		_, err = fmt.Fprintln(f.IO.Out, "nothing to compact")
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "compacted %d partitions: %d files into %d (%d records)\n", st.Partitions, st.FilesBefore, st.FilesAfter, st.Records)
	return err
}
