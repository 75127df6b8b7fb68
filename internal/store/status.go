package store

import (
	"context"
	"database/sql"
	"math/big"
	"time"

	"github.com/flowir/flowir/internal/flow"
)

// Status is what a case holds: the answer of `flowir status`.
type Status struct {
	Dir           string       `json:"case"`
	SchemaVersion int          `json:"schema_version"`
	Sources       SourceCounts `json:"sources"`
	Records       int64        `json:"records"`
	TGWRecords    int64        `json:"tgw_records"`
	Rejects       int64        `json:"rejects"`
	// RejectsNotKept counts the rejects (among Rejects) past each source's
	// first store.RejectsKept, counted by reason but not kept as rows.
	RejectsNotKept int64          `json:"rejects_not_kept"`
	Lines          int64          `json:"lines"`
	Headers        int64          `json:"headers"`
	FirstStart     *flow.SafeTime `json:"first_start"`
	LastEnd        *flow.SafeTime `json:"last_end"`
	// MillisecondTimes counts records whose start or end is past
	// MillisecondTimeFloor: AWS writes seconds, so such a value is most
	// likely milliseconds. They are stored as written, and said.
	MillisecondTimes int64           `json:"millisecond_time_records"`
	ByStatus         []StatusCount   `json:"by_log_status"`
	ByPartition      []PartitionRow  `json:"by_partition"`
	RejectReasons    []ReasonCount   `json:"reject_reasons"`
	Problems         []SourceProblem `json:"problem_sources"`

	// Added with S3, CloudWatch Logs, JSON records and windows (tgw.go):
	// lines = records + tgw_records + json_records + rejects + headers +
	// out_of_window.
	JSONRecords    int64          `json:"json_records"`
	OutOfWindow    int64          `json:"out_of_window"`
	TGWByPartition []PartitionRow `json:"tgw_by_partition,omitempty"`
	ByOrigin       []OriginRow    `json:"by_origin"`
}

// MillisecondTimeFloor is the largest start/end taken for Unix seconds:
// 1e11 s is in the year 5138, while 1e11 ms is 1973, so a larger value is
// almost surely a time written in milliseconds (issue 12.7).
const MillisecondTimeFloor = int64(100_000_000_000)

// SourceCounts counts sources by status.
type SourceCounts struct {
	Total      int64 `json:"total"`
	Complete   int64 `json:"complete"`
	Partial    int64 `json:"partial"`
	Failed     int64 `json:"failed"`
	Superseded int64 `json:"superseded"`
	Bytes      int64 `json:"bytes"`
}

// StatusCount is the number of records with one log-status and action.
type StatusCount struct {
	LogStatus string   `json:"log_status"`
	Action    string   `json:"action"`
	Records   int64    `json:"records"`
	Bytes     *big.Int `json:"bytes"` // exact at any size (total.go)
	Packets   *big.Int `json:"packets"`
}

// PartitionRow is the records of one account, region and day.
type PartitionRow struct {
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Date    string   `json:"date"`
	Records int64    `json:"records"`
	Bytes   *big.Int `json:"bytes"` // exact at any size (total.go)
}

// ReasonCount is the number of rejected lines for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Lines  int64  `json:"lines"`
}

// SourceProblem is a partial or failed source.
type SourceProblem struct {
	ID      int64  `json:"source_id"`
	Path    string `json:"path"`
	Status  string `json:"status"`
	Records int64  `json:"records"`
	Error   string `json:"error"`
}

// Status summarises the case.
func (c *Case) Status(ctx context.Context) (*Status, error) {
	s := &Status{Dir: c.Dir, SchemaVersion: SchemaVersion}
	db := c.db
	err := db.QueryRowContext(ctx, `SELECT count(*),
		count(*) FILTER (status = 'complete'), count(*) FILTER (status = 'partial'),
		count(*) FILTER (status = 'failed'), count(*) FILTER (status = 'superseded'),
		coalesce(sum(size) FILTER (status IN ('complete', 'partial')), 0),
		coalesce(sum(lines) FILTER (status IN ('complete', 'partial')), 0),
		coalesce(sum(headers) FILTER (status IN ('complete', 'partial')), 0)
		FROM sources`).Scan(&s.Sources.Total, &s.Sources.Complete, &s.Sources.Partial,
		&s.Sources.Failed, &s.Sources.Superseded, &s.Sources.Bytes, &s.Lines, &s.Headers)
	if err != nil {
		return nil, err
	}
	var first, last sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT count(*), min(start), max("end"), count(*) FILTER (start > ? OR "end" > ?) FROM flows`,
		MillisecondTimeFloor, MillisecondTimeFloor).Scan(&s.Records, &first, &last, &s.MillisecondTimes); err != nil {
		return nil, err
	}
	if first.Valid {
		s.FirstStart = &flow.SafeTime{Time: time.Unix(first.Int64, 0).UTC()}
	}
	if last.Valid {
		s.LastEnd = &flow.SafeTime{Time: time.Unix(last.Int64, 0).UTC()}
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM tgwflow`).Scan(&s.TGWRecords); err != nil {
		return nil, err
	}
	// Rejects past a source's first RejectsKept are counted, not kept as
	// rows (a case last written by an older flowir has no such table).
	reasons := `SELECT reason, count(*) AS lines FROM rejects GROUP BY ALL`
	if ok, err := c.hasTable(ctx, "rejects_not_kept"); err != nil {
		return nil, err
	} else if ok {
		if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(lines), 0)::BIGINT FROM rejects_not_kept`).Scan(&s.RejectsNotKept); err != nil {
			return nil, err
		}
		reasons += ` UNION ALL SELECT reason, lines FROM rejects_not_kept`
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM rejects`).Scan(&s.Rejects); err != nil {
		return nil, err
	}
	s.Rejects += s.RejectsNotKept
	if err := c.statusExtras(ctx, s); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT coalesce(log_status, '-'), coalesce(action, '-'), count(*),
		sum(bytes), sum(packets) FROM flows GROUP BY ALL ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r StatusCount
		if err := rows.Scan(&r.LogStatus, &r.Action, &r.Records, Total(&r.Bytes), Total(&r.Packets)); err != nil {
			rows.Close()
			return nil, err
		}
		s.ByStatus = append(s.ByStatus, r)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT coalesce(account_partition, account_id, '-'), coalesce(region_partition, region, '-'),
		coalesce(date_partition, strftime(to_timestamp(start), '%Y/%m/%d'), '-'), count(*), sum(bytes)
		FROM flows GROUP BY ALL ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r PartitionRow
		if err := rows.Scan(&r.Account, &r.Region, &r.Date, &r.Records, Total(&r.Bytes)); err != nil {
			rows.Close()
			return nil, err
		}
		s.ByPartition = append(s.ByPartition, r)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT reason, sum(lines)::BIGINT FROM (`+reasons+`) GROUP BY ALL ORDER BY 2 DESC, 1`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r ReasonCount
		if err := rows.Scan(&r.Reason, &r.Lines); err != nil {
			rows.Close()
			return nil, err
		}
		s.RejectReasons = append(s.RejectReasons, r)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT source_id, path, status, records, coalesce(error, '') FROM sources
		WHERE status IN ('partial', 'failed') ORDER BY source_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r SourceProblem
		if err := rows.Scan(&r.ID, &r.Path, &r.Status, &r.Records, &r.Error); err != nil {
			return nil, err
		}
		s.Problems = append(s.Problems, r)
	}
	return s, rows.Err()
}
