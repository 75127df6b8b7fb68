package output

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// IOStreams are the standard streams of a command, with what is known about
// the terminal behind them. Commands take an *IOStreams instead of using
// os.Stdout directly, so tests can run them against buffers (see Test) and so
// that the decisions that depend on a terminal — table or machine format,
// fitting the table to the screen, showing a progress bar on stderr — are
// made in one place.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// ColorEnabled says whether commands may use ANSI colours. It is false
	// by default and nothing uses colour yet.
	ColorEnabled bool

	stdinTTY, stdoutTTY, stderrTTY bool

	// csvSafe is --csv-safe when given; nil means the default, on when
	// standard output is a terminal.
	csvSafe *bool

	// width reports the terminal width, or 0 if unknown. It is asked on each
	// call, because a terminal can be resized while a command runs.
	width func() int
}

// System returns the process's standard streams. Whether each is a terminal
// is determined once, here.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	s.width = func() int {
		if w := columnsEnv(); w > 0 {
			return w
		}
		for _, f := range []struct {
			tty  bool
			file *os.File
		}{{s.stdoutTTY, os.Stdout}, {s.stderrTTY, os.Stderr}} {
			if f.tty {
				if w, _, err := term.GetSize(int(f.file.Fd())); err == nil && w > 0 {
					return w
				}
			}
		}
		return 0
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// columnsEnv returns the COLUMNS environment variable if it is a positive
// integer. Users set it to force a width (for instance under script(1) or in
// a CI log viewer); it wins over the size the terminal reports.
func columnsEnv() int {
	v, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS")))
	if err != nil || v <= 0 {
		return 0
	}
	return v
}

// Test returns IOStreams backed by in-memory buffers, for driving commands
// from tests: write the command's input to in, read its output from out and
// errOut. No stream is a terminal and the terminal width is 0 until set with
// the Set methods; the environment (COLUMNS) is not consulted, so tests do
// not depend on the developer's shell.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	s = &IOStreams{In: in, Out: out, ErrOut: errOut}
	return s, in, out, errOut
}

// IsStdinTTY reports whether standard input is a terminal (so a command
// should not wait for piped input).
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal, in which case
// commands default to the table format and fit it to the screen.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal, which is when a
// progress bar may be drawn.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides IsStdinTTY, for tests.
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides IsStdoutTTY, for tests.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides IsStderrTTY, for tests.
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// TerminalWidth returns the width of the terminal in columns: the COLUMNS
// environment variable if it is set to a positive integer, otherwise the
// size of standard output (or standard error) if it is a terminal, otherwise
// 0, meaning unknown.
func (s *IOStreams) TerminalWidth() int {
	if s.width == nil {
		return 0
	}
	return s.width()
}

// SetTerminalWidth fixes the value TerminalWidth returns, for tests.
func (s *IOStreams) SetTerminalWidth(w int) { s.width = func() int { return w } }

// SetCSVSafe sets whether CSV and TSV output neutralises spreadsheet
// formulas (Options.CSVSafe), overriding the default: on when standard
// output is a terminal.
func (s *IOStreams) SetCSVSafe(v bool) { s.csvSafe = &v }

// OutputOptions returns the Options for printing a result to Out. When Out
// is a terminal, the table is fitted to its width, CSV and TSV show control
// characters escaped, and formulas are neutralised unless SetCSVSafe(false)
// said otherwise. Output that goes to a file or a pipe is evidence: it is
// exact and never shortened, and neutralised only if SetCSVSafe(true) asked.
func (s *IOStreams) OutputOptions() Options {
	o := Options{CSVSafe: s.stdoutTTY, Terminal: s.stdoutTTY}
	if s.csvSafe != nil {
		o.CSVSafe = *s.csvSafe
	}
	if s.stdoutTTY {
		o.Width = s.TerminalWidth()
	}
	return o
}
