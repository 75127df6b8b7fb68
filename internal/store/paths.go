package store

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/flowir/flowir/internal/sqltext"
)

// fileArg renders path as the SQL string literal of exactly that one file,
// for DuckDB's file readers (read_parquet, read_csv) and COPY.
//
// DuckDB reads every file name it is given as a glob pattern: `*`, `?` and
// `[...]` match other files, so a file named flows[1].parquet would be read
// as flows1.parquet, and one named *.parquet as every Parquet file of its
// folder (issue 16.3). There is no setting that turns this off; a pattern
// character stands for itself when written as a one-character class, `[*]`,
// `[?]`, `[[]`, which is what this does. A name without pattern characters is
// opened as it is. The path is made absolute first, so that nothing in it is
// read relative to another folder or as a `~` or URL prefix.
//
// On Unix a backslash is an ordinary character of a file name, but DuckDB's
// globbing treats it as a separator, so a path holding both a backslash and
// a pattern character cannot be named as one file at all: that is an error
// saying so, never another file read.
func fileArg(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if strings.ContainsRune(abs, 0) {
		return "", fmt.Errorf("%s: a file name cannot hold a NUL byte", path)
	}
	if !strings.ContainsAny(abs, "*?[") {
		return sqltext.String(abs), nil
	}
	if filepath.Separator == '/' && strings.ContainsRune(abs, '\\') {
		return "", fmt.Errorf("%s: DuckDB cannot be given this file by name: its path holds both a backslash and one of * ? [, which DuckDB reads as a pattern; rename the file or its folder", path)
	}
	var b strings.Builder
	for _, r := range abs {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return sqltext.String(b.String()), nil
}

// fileListArg renders paths as a DuckDB list literal of exactly those
// files (see fileArg).
func fileListArg(paths []string) (string, error) {
	args := make([]string, len(paths))
	for i, p := range paths {
		a, err := fileArg(p)
		if err != nil {
			return "", err
		}
		args[i] = a
	}
	return "[" + strings.Join(args, ", ") + "]", nil
}
