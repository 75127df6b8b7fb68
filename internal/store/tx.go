package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// tx is a transaction on a connection of its own, used instead of
// database/sql's Tx because of how DuckDB and its Go driver end a
// transaction whose context is cancelled:
//
//   - a BEGIN interrupted by the cancellation can return the context's error
//     with the transaction begun all the same; database/sql then puts the
//     connection back in the pool, and every later transaction on it fails
//     with "cannot start a transaction within a transaction";
//   - a COMMIT interrupted the same way can return an error although it
//     committed, so that an ingest reports as not stored sources that are
//     in the case.
//
// So BEGIN and COMMIT run on a context that is never cancelled (they are
// short; the statements between them still stop on the caller's context),
// and a connection whose transaction could not be begun, committed or
// rolled back cleanly is discarded, never reused.
type tx struct {
	*sql.Conn
	done bool
}

// beginTx takes a connection from the pool and begins a transaction on it.
func (c *Case) beginTx(ctx context.Context) (*tx, error) {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "BEGIN TRANSACTION"); err != nil {
		discard(conn)
		return nil, err
	}
	return &tx{Conn: conn}, nil
}

// Commit commits the transaction and gives the connection back. When it
// fails, nothing of the transaction is in the case.
func (t *tx) Commit() error {
	if t.done {
		return sql.ErrTxDone
	}
	if _, err := t.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Rollback()
		return err
	}
	t.done = true
	// Committed: giving the connection back cannot undo that, so its error
	// (there is none for an open connection) is not the commit's.
	t.Close()
	return nil
}

// Rollback rolls the transaction back and gives the connection back, or
// discards it if the rollback failed. After Commit it does nothing, so that
// it can be deferred.
func (t *tx) Rollback() error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	if _, err := t.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		// Also when DuckDB already ended the transaction ("no transaction
		// is active"): the state is not worth guessing at.
		discard(t.Conn)
		return err
	}
	return t.Close()
}

// discard closes conn without giving it back to the pool: database/sql
// drops a connection on which Raw returns driver.ErrBadConn.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
