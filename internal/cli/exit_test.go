package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/store"
)

// TestExitStatus checks that the exit status follows the error's type,
// however it is wrapped.
func TestExitStatus(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("open: %w", err) }
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitError},
		{usagef("--limit must be positive"), ExitUsage},
		{wrap(&casework.InputError{Err: errors.New("ambiguous id")}), ExitUsage},
		{wrap(&PartialError{errors.New("1 of 3 sources failed")}), ExitPartial},
		{fmt.Errorf("%w at /x: ingest logs first", store.ErrNoCase), ExitNoCase},
		{wrap(&store.CaseLockedError{Dir: "c", Holder: "another process (PID 1)"}), ExitCaseLocked},
		{errors.New(`unknown command "x" for "flowir"`), ExitUsage},
	} {
		if got := exitStatus(c.err); got != c.want {
			t.Errorf("exitStatus(%v) = %d; want %d", c.err, got, c.want)
		}
	}
}
