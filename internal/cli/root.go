// Package cli wires flowir's commands. Each command is thin: an options
// struct, a constructor that binds flags to it, and a run function that does
// the work through the other packages, with its I/O streams injected so tests
// can drive it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// Factory carries what every command needs from the outside world.
type Factory struct {
	IO  *output.IOStreams
	Now func() time.Time
	// Getenv reads the environment (FLOWIR_CASE); os.Getenv by default.
	Getenv func(string) string
	// Resolver answers reverse DNS for 'flowir enrich --resolve'; nil: the
	// system's resolver.
	Resolver *net.Resolver
}

// globalOptions are flags shared by every command.
type globalOptions struct {
	caseDir string
	format  string
}

// UsageError marks errors in how a command was called; they exit with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// PartialError marks a command that did part of its work: some sources
// failed while the others were loaded. It exits with status 3.
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// Exit statuses, in the style of restic's; root --help and the README list
// them. A signal n ends a command with 128+n (130 for Ctrl-C, 143 for
// SIGTERM).
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitPartial     = 3
	ExitNoCase      = 10
	ExitCaseLocked  = 11
	ExitInterrupted = 130
)

const exitStatusHelp = `Exit status: 0 done; 1 error; 2 usage error (a flag, argument or value);
3 partial (some sources failed, the others are loaded); 10 no case at
--case; 11 the case is in use by another process; 130 (143) stopped by
Ctrl-C (SIGTERM).`

// exitStatus chooses the exit status of an error by its type.
func exitStatus(err error) int {
	var ue *UsageError
	var ie *casework.InputError
	var pe *PartialError
	var le *store.CaseLockedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), errors.As(err, &ie):
		return ExitUsage
	case errors.As(err, &le):
		return ExitCaseLocked
	case errors.Is(err, store.ErrNoCase):
		return ExitNoCase
	case errors.As(err, &pe):
		return ExitPartial
	}
	// Cobra's own argument and command errors have no type of their own.
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") {
		return ExitUsage
	}
	return ExitError
}

// NewRootCmd builds the flowir command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	if f.Now == nil {
		f.Now = time.Now
	}
	if f.Getenv == nil {
		f.Getenv = os.Getenv
	}
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "flowir",
		Short: "Incident-response workbench for AWS VPC Flow Logs",
		Long: `flowir loads AWS VPC Flow Logs into a local case (a DuckDB database in a
directory) exactly and idempotently, and answers the incident-response
playbook's questions offline: who talked to whom, when, on which ports, how
much, and whether it was allowed.

Start with:  flowir demo            (a self-contained exercise on synthetic logs)
Then:        flowir ingest PATH...  (files or folders of .log.gz / .log)
             flowir status
             flowir queries / flowir query NAME / flowir sql 'SELECT ...'

` + exitStatusHelp,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.PersistentFlags().StringVar(&g.caseDir, "case", "", "case directory (default $FLOWIR_CASE, else ./flowir-case)")
	root.PersistentFlags().StringVar(&g.format, "format", "", "output format: table, csv, tsv, json or ndjson (default table); "+
		"a table on a terminal never cuts addresses, ids or numbers, shortens free text, turns into one record per row when too wide, "+
		"and shows byte counts readable (4.5 GB, decimal: 1 kB = 1000 bytes); other formats and piped tables keep exact integers")
	root.PersistentFlags().Var(csvSafeFlag{f.IO}, "csv-safe", "in csv and tsv, put a ' before text that a spreadsheet would run as a formula (=, +, -, @, ...) (default true when standard output is a terminal)")
	root.PersistentFlags().Lookup("csv-safe").NoOptDefVal = "true"
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())}
	})
	root.AddCommand(
		newIngestCmd(f, g, nil),
		newStatusCmd(f, g, nil),
		newSQLCmd(f, g, nil),
		newQueriesCmd(f, g, nil),
		newQueryCmd(f, g, nil),
		newDemoCmd(f, g, nil),
		newIOCCmd(f, g, nil),
		newDetectCmd(f, g, nil),
		newInvestigateCmd(f, g, nil),
		newAthenaCmd(f, g),
		newExportCmd(f, g, nil),
		newInventoryCmd(f, g), newSetupCmd(f, g), newFindingsCmd(f, g),
		newEnrichCmd(f, g, nil),
		newNoteCmd(f, g, nil), newTagCmd(f, g, nil), newTriageCmd(f, g),
		newReportCmd(f, g, nil), newServeCmd(f, g, nil),
		newCompactCmd(f, g, nil),
	)
	refuseRepeats(root)
	return root
}

// caseDir resolves --case, $FLOWIR_CASE, then ./flowir-case.
func (g *globalOptions) resolveCase(f *Factory) string {
	if g.caseDir != "" {
		return g.caseDir
	}
	if d := f.Getenv("FLOWIR_CASE"); d != "" {
		return d
	}
	return "flowir-case"
}

// outputFormat resolves --format: table unless told otherwise.
func (g *globalOptions) outputFormat() (output.Format, error) {
	if g.format == "" {
		return output.FormatTable, nil
	}
	ff, err := output.ParseFormat(g.format)
	if err != nil {
		return "", &UsageError{err}
	}
	return ff, nil
}

// openCase opens the case for reading or writing.
func openCase(ctx context.Context, f *Factory, g *globalOptions, opt store.Options) (*store.Case, error) {
	return store.Open(ctx, g.resolveCase(f), opt)
}

// readCase resolves --format, then opens the case read-only: what every
// command that only reads the case and prints rows starts with. The format
// is checked first, so a usage error never waits for the database.
func readCase(ctx context.Context, f *Factory, g *globalOptions) (output.Format, *store.Case, error) {
	format, err := g.outputFormat()
	if err != nil {
		return "", nil, err
	}
	c, err := openCase(ctx, f, g, store.Options{ReadOnly: true})
	if err != nil {
		return "", nil, err
	}
	return format, c, nil
}

// csvSafeFlag is --csv-safe: it sets the output option on the streams, so
// every command that prints rows follows it.
type csvSafeFlag struct{ io *output.IOStreams }

func (v csvSafeFlag) String() string { return "" }
func (v csvSafeFlag) Type() string   { return "bool" }
func (v csvSafeFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("give true or false")
	}
	v.io.SetCSVSafe(b)
	return nil
}

// onceValue is a flag that takes one value and refuses a second: pflag
// keeps the last of `--since 24h --since 7d` without a word, and a result
// computed with one of two values the user gave cannot be trusted.
type onceValue struct {
	pflag.Value
	first string
	set   bool
}

func (v *onceValue) Set(s string) error {
	if v.set {
		return fmt.Errorf("given twice (%q, then %q): give it once", v.first, s)
	}
	v.first, v.set = s, true
	return v.Value.Set(s)
}

// refuseRepeats makes every single-value flag of cmd and of the commands
// under it refuse a second occurrence (onceValue). Flags that collect
// several values (-p, list flags, counters) are left alone.
func refuseRepeats(cmd *cobra.Command) {
	wrap := func(fl *pflag.Flag) {
		if _, done := fl.Value.(*onceValue); done || repeatable(fl.Value) {
			return
		}
		fl.Value = &onceValue{Value: fl.Value}
	}
	cmd.PersistentFlags().VisitAll(wrap)
	cmd.Flags().VisitAll(wrap)
	for _, sub := range cmd.Commands() {
		refuseRepeats(sub)
	}
}

// repeatable reports whether a flag value is meant to be given more than
// once: pflag's slices and arrays, cli's list flags, counters.
func repeatable(v pflag.Value) bool {
	if _, ok := v.(pflag.SliceValue); ok {
		return true
	}
	t := v.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array") || t == "list" || t == "count"
}

// writeRows prints a query's rows as they come: CSV, TSV, JSON and NDJSON
// hold one row at a time (the table a block of them, see output). It stops
// when ctx is cancelled. On an error the output is left unfinished (a JSON
// array without its closing bracket), so that a truncated result cannot be
// taken for a whole one.
func writeRows(ctx context.Context, f *Factory, format output.Format, rows *store.Rows) error {
	cols := make([]output.Column, len(rows.Columns))
	for i, c := range rows.Columns {
		cols[i] = output.Column{Name: c.Name, Type: c.Type}
	}
	w, err := output.NewWriter(f.IO.Out, format, cols, f.IO.OutputOptions())
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		if n%1024 == 0 {
			if err := context.Cause(ctx); err != nil {
				return err
			}
		}
		if err := w.WriteRow(rows.Values()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return w.Close()
}

// writeResult prints a query result in the chosen format.
func writeResult(f *Factory, format output.Format, r *store.Result) error {
	return output.Write(f.IO.Out, format, outputResult(r), f.IO.OutputOptions())
}

// outputResult is a query result as the output writers take it.
func outputResult(r *store.Result) *output.Result {
	res := &output.Result{Columns: make([]output.Column, len(r.Columns)), Rows: r.Rows}
	for i, c := range r.Columns {
		res.Columns[i] = output.Column{Name: c.Name, Type: c.Type}
	}
	return res
}

// signalError is the cause of the context of a run stopped by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "stopped by " + e.sig.String() }

// exitCode is the shell's convention for a process ended by the signal:
// 128 + its number (130 for Ctrl-C, 143 for SIGTERM).
func (e signalError) exitCode() int {
	if n, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

// Main runs flowir with the process's arguments and streams and returns the
// exit status: 0 success, 1 failure, 2 usage error, 128+n when signal n
// (SIGINT, SIGTERM) stopped it.
//
// The first SIGINT or SIGTERM cancels the commands' context: DuckDB
// interrupts its query, ingest stops between batches and keeps what it
// committed, reading standard input stops. A second one ends the process at
// once, with the signal's default action.
func Main() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel(signalError{sig})
	}()
	signalsHandled()
	return Run(ctx, os.Args[1:], output.System())
}

// signalsHandled is called once Main handles SIGINT and SIGTERM. The tests'
// stand-in for flowir says so on standard error, so that a test sends its
// signal to a process that is ready for it, however slow the machine.
var signalsHandled = func() {}

// Run runs flowir with args on the given streams and returns the exit status.
func Run(ctx context.Context, args []string, ios *output.IOStreams) int {
	store.Version = Version
	root := NewRootCmd(&Factory{IO: ios})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	// An --endpoint-url may hold a password, and the SDK quotes it.
	msg := awsapi.Redact(err.Error())
	var sig signalError
	if errors.As(context.Cause(ctx), &sig) {
		msg = sig.Error()
		if !errors.Is(err, context.Canceled) && !errors.As(err, &sig) {
			msg += ": " + awsapi.Redact(err.Error())
		}
	}
	if ios.IsStderrTTY() {
		// Errors quote evidence (a file name, a value DuckDB could not
		// convert): shown, not obeyed.
		msg = output.TerminalSafe(msg)
	}
	fmt.Fprintln(ios.ErrOut, "flowir:", msg)
	if sig.sig != nil {
		return sig.exitCode()
	}
	return exitStatus(err)
}
