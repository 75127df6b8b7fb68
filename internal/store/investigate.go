package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
)

// Session is one connection to the case, held for a multi-step analysis
// (detections, investigation, IOC matching) so that the temporary tables it
// loads stay visible to the queries that follow: database/sql would
// otherwise hand each statement any connection of its pool, and DuckDB's
// TEMP tables belong to one connection. Temporary tables work on a
// read-only case too, and vanish with the session.
type Session struct {
	c    *Case
	conn *sql.Conn
}

// NewSession takes a connection from the pool for the caller's exclusive use
// until Close.
func (c *Case) NewSession(ctx context.Context) (*Session, error) {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &Session{c: c, conn: conn}, nil
}

// Close returns the connection to the pool, dropping the session's
// temporary tables first so the next user of the connection starts clean.
func (s *Session) Close() error {
	rows, err := s.conn.QueryContext(context.Background(), `SELECT table_name FROM duckdb_tables() WHERE temporary`)
	if err == nil {
		var names []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names = append(names, n)
			}
		}
		rows.Close()
		for _, n := range names {
			s.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp."+Quote(n))
		}
	}
	return s.conn.Close()
}

// Query runs one statement and returns all rows with their column names.
func (s *Session) Query(ctx context.Context, q string, args ...any) (*Result, error) {
	return queryResult(ctx, s.conn, q, args...)
}

// QueryRows runs one statement and returns all rows.
func (s *Session) QueryRows(ctx context.Context, q string, args ...any) ([][]any, error) {
	r, err := queryResult(ctx, s.conn, q, args...)
	if err != nil {
		return nil, err
	}
	return r.Rows, nil
}

// Exec runs one statement that returns no rows.
func (s *Session) Exec(ctx context.Context, q string, args ...any) error {
	if _, err := s.conn.ExecContext(ctx, q, args...); err != nil {
		return sqlError(err)
	}
	return nil
}

var tempName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// LoadAddressTable (re)creates the temporary table name (addr VARCHAR, tag
// VARCHAR) holding the given rows; tags may be nil (all NULL). The lists
// travel as bound LIST parameters, so no value becomes SQL text.
func (s *Session) LoadAddressTable(ctx context.Context, name string, addrs, tags []string) error {
	if !tempName.MatchString(name) {
		return fmt.Errorf("store: invalid temporary table name %q", name)
	}
	if tags != nil && len(tags) != len(addrs) {
		return fmt.Errorf("store: %d addresses but %d tags", len(addrs), len(tags))
	}
	if _, err := s.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+name+" (addr VARCHAR, tag VARCHAR)"); err != nil {
		return fmt.Errorf("create temporary table %s: %w", name, err)
	}
	if len(addrs) == 0 {
		return nil
	}
	if tags == nil {
		_, err := s.conn.ExecContext(ctx, "INSERT INTO "+name+" SELECT unnest(?::VARCHAR[]), NULL", addrs)
		if err != nil {
			return fmt.Errorf("load temporary table %s: %w", name, err)
		}
		return nil
	}
	_, err := s.conn.ExecContext(ctx, "INSERT INTO "+name+" SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])", addrs, tags)
	if err != nil {
		return fmt.Errorf("load temporary table %s: %w", name, err)
	}
	return nil
}

// queryer is what Case, Session, sql.DB and sql.Tx have in common.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryResult(ctx context.Context, db queryer, q string, args ...any) (*Result, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, sqlError(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: make([]Column, len(types))}
	for i, t := range types {
		res.Columns[i] = Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlError(err)
	}
	return res, nil
}
