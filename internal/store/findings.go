package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Findings of flowir detect.
//
// Table findings holds the current findings; each row names the run that
// produced it. A run replaces the findings of the rules it ran (and only
// those), in one transaction, so rerunning detect never piles findings up
// and an interrupted run leaves the previous ones in place. Table
// detect_runs keeps every run: when, which rules, the effective
// configuration (thresholds, internal ranges, NAT addresses) and how many
// findings, so a finding can always be traced to the settings behind it.
func init() {
	registerDDL(func() []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS detect_runs (
				run_id BIGINT NOT NULL,
				started_at TIMESTAMPTZ NOT NULL,
				finished_at TIMESTAMPTZ NOT NULL,
				rules VARCHAR NOT NULL,       -- JSON array of the rules that ran
				config VARCHAR NOT NULL,      -- JSON: the effective configuration
				findings BIGINT NOT NULL,
				flow_records BIGINT NOT NULL, -- records in the case at the time
				flowir_version VARCHAR
			)`,
			`CREATE TABLE IF NOT EXISTS findings (
				run_id BIGINT NOT NULL,
				rule VARCHAR NOT NULL,
				severity VARCHAR NOT NULL,
				technique VARCHAR NOT NULL,
				src VARCHAR,
				dst VARCHAR,
				dst_port INTEGER,
				protocol INTEGER,
				direction VARCHAR,
				first_seen TIMESTAMP,         -- UTC
				last_seen TIMESTAMP,
				records BIGINT NOT NULL,
				bytes BIGINT NOT NULL,
				summary VARCHAR NOT NULL,
				evidence_sql VARCHAR NOT NULL,
				details VARCHAR               -- JSON
			)`,
		}
	})
}

// FindingRow is one stored finding.
type FindingRow struct {
	RunID       int64
	Rule        string
	Severity    string
	Technique   string
	Src         string
	Dst         string
	DstPort     *int
	Protocol    int
	Direction   string
	FirstSeen   time.Time
	LastSeen    time.Time
	Records     int64
	Bytes       int64
	Summary     string
	EvidenceSQL string
	Details     map[string]any
}

// DetectRun describes one run of flowir detect.
type DetectRun struct {
	StartedAt time.Time
	Rules     []string
	Config    []byte // JSON
}

// ReplaceFindings stores the findings of a run, replacing the stored
// findings of the rules it ran, and returns the run's id.
func (c *Case) ReplaceFindings(ctx context.Context, run DetectRun, fs []FindingRow) (int64, error) {
	if c.ReadOnly {
		return 0, fmt.Errorf("case %s is open read-only", c.Dir)
	}
	rules, err := json.Marshal(run.Rules)
	if err != nil {
		return 0, err
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(run_id), 0) + 1 FROM detect_runs`).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE rule IN (SELECT unnest(?::VARCHAR[]))`, run.Rules); err != nil {
		return 0, err
	}
	rows := make([][]any, len(fs))
	for i, f := range fs {
		var details any
		if f.Details != nil {
			b, err := json.Marshal(f.Details)
			if err != nil {
				return 0, fmt.Errorf("finding %s: %w", f.Rule, err)
			}
			details = string(b)
		}
		var port any
		if f.DstPort != nil {
			port = *f.DstPort
		}
		rows[i] = []any{id, f.Rule, f.Severity, f.Technique, nullStr(f.Src), nullStr(f.Dst), port, f.Protocol, nullStr(f.Direction),
			naiveUTC(f.FirstSeen), naiveUTC(f.LastSeen), f.Records, f.Bytes, f.Summary, f.EvidenceSQL, details}
	}
	if err := insertRows(ctx, tx, "INSERT INTO findings VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO detect_runs VALUES (?, ?, now(), ?, ?, ?, (SELECT count(*) FROM flows), ?)`,
		id, run.StartedAt.UTC(), string(rules), string(run.Config), len(fs), Version); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// naiveUTC returns t as a UTC wall-clock time for a TIMESTAMP column.
func naiveUTC(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Findings returns the stored findings, optionally of some rules only, in
// stored order (severity, rule, time, actor, target).
func (c *Case) Findings(ctx context.Context, rules []string) ([]FindingRow, error) {
	q := `SELECT run_id, rule, severity, technique, coalesce(src, ''), coalesce(dst, ''), dst_port, protocol, coalesce(direction, ''),
		first_seen, last_seen, records, bytes, summary, evidence_sql, details FROM findings`
	var args []any
	if len(rules) > 0 {
		q += ` WHERE rule IN (SELECT unnest(?::VARCHAR[]))`
		args = append(args, rules)
	}
	q += ` ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, rule, first_seen, src, dst`
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FindingRow
	for rows.Next() {
		var f FindingRow
		var port, proto sql.NullInt64
		var first, last sql.NullTime
		var details sql.NullString
		if err := rows.Scan(&f.RunID, &f.Rule, &f.Severity, &f.Technique, &f.Src, &f.Dst, &port, &proto, &f.Direction,
			&first, &last, &f.Records, &f.Bytes, &f.Summary, &f.EvidenceSQL, &details); err != nil {
			return nil, err
		}
		if port.Valid {
			p := int(port.Int64)
			f.DstPort = &p
		}
		f.Protocol = int(proto.Int64)
		f.FirstSeen, f.LastSeen = first.Time.UTC(), last.Time.UTC()
		if details.Valid {
			if err := json.Unmarshal([]byte(details.String), &f.Details); err != nil {
				return nil, fmt.Errorf("finding %s: details: %w", f.Rule, err)
			}
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
