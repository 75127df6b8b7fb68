// Package sqltext writes values into SQL text, for the few places where a
// bound parameter cannot go: paths in COPY and read_parquet, Athena's DDL and
// ExecutionParameters, and the fixed lists a detection's evidence query
// carries so that it can be run again on its own. Everything else binds its
// values.
//
// It is the one home of this quoting for both dialects flowir writes
// (DuckDB and Athena's Trino/Hive): analysis, which writes questions about
// flows, store, which writes tables and schema, and athena all use it.
// Standard library only.
package sqltext

import (
	"strconv"
	"strings"
)

// String is s as one SQL string literal: in single quotes, each quote inside
// doubled. DuckDB, Trino and Hive DDL all read it back as s, whatever s
// holds; there is no backslash escaping in any of them.
func String(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Strings is ss as string literals separated by ", ", for an IN (...) list.
func Strings(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = String(s)
	}
	return strings.Join(parts, ", ")
}

// Ints is xs in decimal separated by ", ", for an IN (...) list of ports,
// protocols or ids.
func Ints[T ~int | ~int64](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatInt(int64(x), 10)
	}
	return strings.Join(parts, ", ")
}
