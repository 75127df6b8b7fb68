package cli

import (
	"strings"

	"github.com/spf13/pflag"
)

// listValue is the value of every list flag: each occurrence of the flag
// adds to the list, and each value may hold several items separated by
// commas, with or without spaces after them. So "--regions a,b",
// "--regions 'a, b'" and "--regions a --regions b" all give [a b]. Empty
// items (a trailing comma) are dropped; validating the items is the
// command's job.
//
// pflag's own kinds each do part of this: StringVar keeps only the last
// occurrence (athena ddl --regions lost all but the last Region),
// StringArrayVar does not split on commas, and StringSliceVar keeps the
// spaces after commas.
type listValue struct {
	items   *[]string
	changed bool
}

func (l *listValue) Set(s string) error {
	if !l.changed {
		*l.items = nil // the first occurrence replaces the default
		l.changed = true
	}
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l.items = append(*l.items, x)
		}
	}
	return nil
}

func (l *listValue) String() string { return strings.Join(*l.items, ",") }

func (l *listValue) Type() string { return "list" }

// listVar defines a list flag (see listValue); usage should say what the
// items are.
func listVar(fs *pflag.FlagSet, p *[]string, name, usage string) {
	fs.Var(&listValue{items: p}, name, usage+" (comma-separated, repeatable)")
}
