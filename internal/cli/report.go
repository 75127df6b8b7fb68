package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/report"
	"github.com/flowir/flowir/internal/store"
)

// ReportOptions are the options of `flowir report`.
type ReportOptions struct {
	Out      string
	Markdown string
	Since    string
	Until    string
	Title    string
	Limit    int
	Internal []string
}

func newReportCmd(f *Factory, g *globalOptions, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the case as one self-contained HTML report (and Markdown)",
		Long: `Write the case as one HTML file to attach to the incident ticket: it opens
from disk, offline, and makes no network request (no script, no web font, no
external image; inline CSS and SVG charts; a Content-Security-Policy that
forbids any request). --markdown writes the same content as Markdown.

Sections:
  header            case, window, records in it, generated at, flowir version,
                    the exact command
  chain of custody  sources (count, bytes; each with its SHA-256 in an
                    appendix), lines = records + rejects + headers, rejects by
                    reason, partial and failed files, coverage gaps (hours
                    without any record per account and interface: AWS writes
                    NODATA for quiet intervals, so such an hour is missing
                    logs; SKIPDATA hours too)
  traffic           accepted and rejected bytes and records over time (charts)
  top talkers, top pairs (the named queries top-talkers and
                    total-bytes-transferred), top destination ports, internal
                    vs external (private ranges, the inventory's VPC CIDRs and
                    --internal)
  findings          the stored findings (flowir detect) by severity: summary,
                    actor, target, port, first/last seen, ATT&CK technique, a
                    timeline of the evidence records, the evidence query
  IOC hits          per loaded indicator (flowir ioc), direction seen from the
                    monitored network
  exposure          with an inventory: what is reachable from the internet
                    and the inbound records seen (flowir inventory exposed)
  appendix          every query that produced a number, with its parameters
                    (or the command printing it), and every source's SHA-256

--since/--until keep the records overlapping the window (and the findings
whose first..last seen overlaps it); the chain of custody is the whole case.
The case is opened read-only. The file is written whole or not at all.`,
		Example: `  flowir report --out incident-42.html
  flowir report --since 2026-11-20T08:00:00Z --until 2026-11-20T12:00:00Z --title "INC-42 exfiltration" --out inc42.html --markdown inc42.md
  flowir report > report.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runReport(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "-", "the HTML file to write (- for standard output)")
	cmd.Flags().StringVar(&opts.Markdown, "markdown", "", "also write the report as Markdown to this file")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only records starting before this time")
	cmd.Flags().StringVar(&opts.Title, "title", "", "the report's title (default: flowir report: CASE)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 10, "rows of the ranked tables (top talkers, pairs, ports)")
	listVar(cmd.Flags(), &opts.Internal, "internal", "CIDRs of the monitored network, for the internal vs external split")
	return cmd
}

func runReport(cmd *cobra.Command, f *Factory, g *globalOptions, opts *ReportOptions) error {
	ctx := cmd.Context()
	if opts.Limit <= 0 {
		return usagef("--limit must be positive")
	}
	since, until, err := timeWindow(f, opts.Since, opts.Until)
	if err != nil {
		return err
	}
	ro := report.Options{Since: since, Until: until, Title: opts.Title, Version: Version, Now: f.Now(), Limit: opts.Limit, Command: commandLine(cmd)}
	for _, s := range opts.Internal {
		p, err := analysis.ParseCIDROrAddr(s)
		if err != nil {
			return usagef("--internal: %v", err)
		}
		ro.Internal = append(ro.Internal, analysis.NetRange{Prefix: p, Label: "--internal"})
	}
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	rep, err := report.Build(ctx, c, ro)
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, rep); err != nil {
		return err
	}
	if opts.Markdown != "" {
		var md bytes.Buffer
		if err := report.WriteMarkdown(&md, rep); err != nil {
			return err
		}
		if err := writeWhole(opts.Markdown, md.Bytes()); err != nil {
			return err
		}
	}
	if opts.Out == "-" {
		_, err := f.IO.Out.Write(page.Bytes())
		return err
	}
	if err := writeWhole(opts.Out, page.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "wrote %s (%d bytes): %d records, %d findings, %d queries in the appendix\n", opts.Out, page.Len(), rep.Records, len(rep.Findings), len(rep.Queries))
	return nil
}

// writeWhole writes data to a temporary file beside path, then renames it:
// a reader never sees half a report, and a failed run leaves none.
func writeWhole(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// commandLine rebuilds the command as given: its path and the flags set
// (the command's and the inherited ones), each value shell-quoted, so the
// report says exactly how to make it again.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	add := func(fl *pflag.Flag) {
		if !fl.Changed {
			return
		}
		if s, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range s.GetSlice() {
				parts = append(parts, "--"+fl.Name, shellQuote(v))
			}
			return
		}
		parts = append(parts, "--"+fl.Name, shellQuote(fl.Value.String()))
	}
	// Visit on these derived sets sees nothing: pflag records what was set
	// only in the set that parsed it; the flags themselves say Changed.
	cmd.InheritedFlags().VisitAll(add)
	cmd.LocalNonPersistentFlags().VisitAll(add)
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
