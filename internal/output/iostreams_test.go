package output

import (
	"fmt"
	"io"
	"testing"
)

func TestIOStreamsTest(t *testing.T) {
	ios, in, out, errOut := Test()
	in.WriteString("input")
	b, err := io.ReadAll(ios.In)
	if err != nil || string(b) != "input" {
		t.Errorf("In read %q, %v", b, err)
	}
	fmt.Fprint(ios.Out, "rows")
	fmt.Fprint(ios.ErrOut, "progress")
	if out.String() != "rows" || errOut.String() != "progress" {
		t.Errorf("out %q, errOut %q", out.String(), errOut.String())
	}
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() || ios.ColorEnabled {
		t.Error("test streams claim a terminal or colour")
	}
	t.Setenv("COLUMNS", "99")
	if w := ios.TerminalWidth(); w != 0 {
		t.Errorf("TerminalWidth = %d; test streams must not read COLUMNS", w)
	}
	if o := ios.OutputOptions(); o != (Options{}) {
		t.Errorf("OutputOptions = %+v off a terminal", o)
	}

	ios.SetTerminalWidth(72)
	ios.SetStdoutTTY(true)
	ios.SetStdinTTY(true)
	ios.SetStderrTTY(true)
	if !ios.IsStdoutTTY() || !ios.IsStdinTTY() || !ios.IsStderrTTY() || ios.TerminalWidth() != 72 {
		t.Error("setters had no effect")
	}
	if o := ios.OutputOptions(); o != (Options{Width: 72, CSVSafe: true, Terminal: true}) {
		t.Errorf("OutputOptions = %+v on a 72-column terminal", o)
	}
	ios.SetCSVSafe(false)
	if o := ios.OutputOptions(); o.CSVSafe || !o.Terminal {
		t.Errorf("OutputOptions = %+v after SetCSVSafe(false) on a terminal", o)
	}
	ios.SetStdoutTTY(false)
	ios.SetCSVSafe(true)
	if o := ios.OutputOptions(); o != (Options{CSVSafe: true}) {
		t.Errorf("OutputOptions = %+v after SetCSVSafe(true) off a terminal", o)
	}
}

func TestSystemColumnsEnv(t *testing.T) {
	t.Setenv("COLUMNS", "123")
	if w := System().TerminalWidth(); w != 123 {
		t.Errorf("TerminalWidth with COLUMNS=123 = %d", w)
	}
	for _, bad := range []string{"abc", "-5", "0"} {
		t.Setenv("COLUMNS", bad)
		s := System()
		// Under go test stdout is not a terminal, so nothing else applies.
		if !s.IsStdoutTTY() && !s.IsStderrTTY() {
			if w := s.TerminalWidth(); w != 0 {
				t.Errorf("COLUMNS=%q: TerminalWidth = %d, want 0", bad, w)
			}
		}
	}
	s := System()
	if s.In == nil || s.Out == nil || s.ErrOut == nil || s.ColorEnabled {
		t.Error("System streams incomplete or colour enabled")
	}
}
