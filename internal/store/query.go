package store

import (
	"context"
	"fmt"
	"strings"
)

// Column names and types a query returned.
type Column struct {
	Name string
	Type string // DuckDB type name, e.g. BIGINT, VARCHAR, TIMESTAMP
}

// Result is a query's rows, with values as the DuckDB driver scans them
// (int64, float64, string, time.Time, *big.Int, nil, ...).
type Result struct {
	Columns []Column
	Rows    [][]any
}

// Query runs one SQL statement with bound arguments and returns all rows.
func (c *Case) Query(ctx context.Context, q string, args ...any) (*Result, error) {
	return queryResult(ctx, c.db, q, args...)
}

// sqlError makes DuckDB's errors about read-only and external access say
// what flowir allows.
func sqlError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "read-only mode") || strings.Contains(msg, "read only"):
		return fmt.Errorf("%w\n(flowir sql is read-only: it cannot change the case)", err)
	case strings.Contains(msg, "disabled by configuration") || strings.Contains(msg, "enable_external_access"):
		return fmt.Errorf("%w\n(flowir sql cannot read or write files outside the case)", err)
	}
	return err
}
