package store

import (
	"context"
	"database/sql"
	"errors"
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
// On a read-only case the statement must pass the sandbox (readonly.go).
func (c *Case) Query(ctx context.Context, q string, args ...any) (*Result, error) {
	rows, err := c.QueryRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &Result{Columns: rows.Columns}
	for rows.Next() {
		res.Rows = append(res.Rows, append([]any(nil), rows.Values()...))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// Rows is the result of QueryRows, read one row at a time, so that a caller
// that prints rows (flowir sql --format csv) holds one row, not all of them.
// Close it when done.
type Rows struct {
	Columns []Column

	conn *sql.Conn
	rows *sql.Rows
	vals []any
	ptrs []any
	err  error
}

// QueryRows runs one SQL statement with bound arguments and returns its rows
// as a cursor. On a read-only case the statement must first pass the
// sandbox's check (checkReadOnly): exactly one statement, a SELECT, calling
// no function that writes; otherwise the error wraps ErrNotReadOnly.
//
// DuckDB's Go driver (duckdb-go v2.10506) materialises a result inside
// DuckDB before the first row is returned, in DuckDB's columnar form (about
// 0.5 GB for a million rows of every column of flows; memory_limit does not
// bound it), and exposes no streaming result; rows are turned into Go
// values one at a time, so the Go side holds one row.
func (c *Case) QueryRows(ctx context.Context, q string, args ...any) (*Rows, error) {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if c.ReadOnly {
		if err := checkReadOnly(ctx, conn, q); err != nil {
			conn.Close()
			return nil, err
		}
	}
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		conn.Close()
		return nil, sqlError(ctxError(ctx, err))
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		conn.Close()
		return nil, err
	}
	r := &Rows{conn: conn, rows: rows, Columns: make([]Column, len(types)),
		vals: make([]any, len(types)), ptrs: make([]any, len(types))}
	for i, t := range types {
		r.Columns[i] = Column{Name: t.Name(), Type: t.DatabaseTypeName()}
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// Next advances to the next row; it returns false at the end or on an error
// (see Err).
func (r *Rows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	clear(r.vals)
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	return true
}

// Values returns the current row. The slice is reused by the next call to
// Next; the values in it are not.
func (r *Rows) Values() []any { return r.vals }

// Err returns the error that ended the rows, if any.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return sqlError(err)
	}
	return nil
}

// Close releases the rows and their connection.
func (r *Rows) Close() error {
	err := r.rows.Close()
	if cerr := r.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxError says that a query was cancelled when its context was: DuckDB
// reports an interrupt as "INTERRUPT Error: Interrupted!".
func ctxError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
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
