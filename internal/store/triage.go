package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/flowir/flowir/internal/triage"
)

// Triage: the analysts' notes, tags and finding statuses (flowir note, tag,
// findings status), an append-only log (see package triage): rows are only
// ever added, so the case keeps who said what and when.
func init() {
	registerDDL(func() []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS triage (
				seq BIGINT NOT NULL,          -- order of the log
				recorded_at TIMESTAMPTZ NOT NULL,
				author VARCHAR NOT NULL,
				kind VARCHAR NOT NULL,        -- finding or address
				subject VARCHAR NOT NULL,     -- a finding id (findings.finding_id), an address or a CIDR
				action VARCHAR NOT NULL,      -- note, tag, untag or status
				value VARCHAR NOT NULL
			)`,
		}
	})
}

// AddTriage appends entries to the triage log, in one transaction; their
// Seq is set by the log.
func (c *Case) AddTriage(ctx context.Context, entries ...triage.Entry) error {
	if c.ReadOnly {
		return fmt.Errorf("case %s is open read-only", c.Dir)
	}
	for _, e := range entries {
		if err := e.Check(); err != nil {
			return err
		}
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM triage`).Scan(&seq); err != nil {
		return err
	}
	for _, e := range entries {
		seq++
		if _, err := tx.ExecContext(ctx, `INSERT INTO triage VALUES (?, ?, ?, ?, ?, ?, ?)`,
			seq, e.At.UTC(), e.Author, e.Kind, e.Subject, e.Action, e.Value); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Triage returns the triage log in order. A case without the table (written
// before triage, opened read-only) has an empty log.
func (c *Case) Triage(ctx context.Context) ([]triage.Entry, error) {
	if ok, err := c.hasTable(ctx, "triage"); err != nil || !ok {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT seq, recorded_at, author, kind, subject, action, value FROM triage ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []triage.Entry
	for rows.Next() {
		var e triage.Entry
		var at sql.NullTime
		if err := rows.Scan(&e.Seq, &at, &e.Author, &e.Kind, &e.Subject, &e.Action, &e.Value); err != nil {
			return nil, err
		}
		e.At = at.Time.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
