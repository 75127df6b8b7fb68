package cli

import (
	"io"

	"github.com/flowir/flowir/internal/output"
)

// termSafe writes through output.TerminalSafe: what a terminal would act on
// instead of showing (an escape sequence, a carriage return, a
// bidirectional override) is written as a visible escape, line feeds kept.
// Human-readable messages quote evidence: a file name, an S3 key, a folder
// given on the command line, a line of an IOC list. An attacker who names a
// file "\x1b]0;...\a" or "\x1b[2J" must not rewrite the investigator's
// screen through flowir's summary (issue 17.12). Each Write is one message
// (fmt.Fprintf writes once), so a character is never split between writes.
type termSafe struct{ w io.Writer }

func (t termSafe) Write(p []byte) (int, error) {
	if _, err := io.WriteString(t.w, output.TerminalSafe(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// textOut is standard output for human-readable messages: escaped when it
// is a terminal, as the tables are; raw evidence names when it is a file or
// a pipe, where nothing acts on them.
func (f *Factory) textOut() io.Writer {
	if f.IO.IsStdoutTTY() {
		return termSafe{f.IO.Out}
	}
	return f.IO.Out
}

// textErr is textOut for standard error.
func (f *Factory) textErr() io.Writer {
	if f.IO.IsStderrTTY() {
		return termSafe{f.IO.ErrOut}
	}
	return f.IO.ErrOut
}
