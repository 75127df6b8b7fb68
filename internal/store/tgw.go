package store

import (
	"context"
	"strings"
)

// Transit Gateway flow logs (reference §4) are stored in table tgwflow,
// created with the base schema: every field a TGW format can hold, typed as
// in flows, plus the same partition and provenance columns. The writer
// sends a record there when its format has a field only TGW flow logs write
// (flow.Format.IsTGW), whatever its version token says.

// tgwStatusSQL counts the TGW records per account, region and day, as the
// status does for flows: the partition of the delivery folder, else the
// record's own account, region and end (start) date.
const tgwStatusSQL = `SELECT coalesce(account_partition, account_id, '-'), coalesce(region_partition, region, '-'),
	coalesce(date_partition, strftime(to_timestamp(coalesce("end", start)), '%Y/%m/%d'), '-'), count(*), sum(bytes)
	FROM tgwflow GROUP BY ALL ORDER BY 1, 2, 3`

// TGWPartitions returns the Transit Gateway records per account, region and
// day.
func (c *Case) TGWPartitions(ctx context.Context) ([]PartitionRow, error) {
	rows, err := c.db.QueryContext(ctx, tgwStatusSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PartitionRow
	for rows.Next() {
		var r PartitionRow
		if err := rows.Scan(&r.Account, &r.Region, &r.Date, &r.Records, Total(&r.Bytes)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// OriginRow is what the case holds from one place: a local folder tree, an
// S3 bucket, a CloudWatch Logs group.
type OriginRow struct {
	Origin   string `json:"origin"`   // file, s3, cwl
	Location string `json:"location"` // "local files", s3://bucket, cwl://group
	Sources  int64  `json:"sources"`  // complete and partial
	Records  int64  `json:"records"`  // records of every table, as the sources count them
	Bytes    int64  `json:"bytes"`
}

// statusExtras fills the parts of the status that windows, JSON records,
// Transit Gateway records and remote origins add.
func (c *Case) statusExtras(ctx context.Context, s *Status) error {
	// A case last written by an older flowir lacks the newer tables and
	// columns until its next write (read-only opens do not add them).
	if c.hasColumn(ctx, "jsonflows", "ip") {
		if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM jsonflows`).Scan(&s.JSONRecords); err != nil {
			return err
		}
	}
	if c.hasColumn(ctx, "sources", "out_of_window") {
		if err := c.db.QueryRowContext(ctx, `SELECT coalesce(sum(out_of_window) FILTER (status IN ('complete', 'partial')), 0)::BIGINT FROM sources`).Scan(&s.OutOfWindow); err != nil {
			return err
		}
	}
	var err error
	if s.TGWByPartition, err = c.TGWPartitions(ctx); err != nil {
		return err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT origin, path, records, size FROM sources WHERE status IN ('complete', 'partial') ORDER BY source_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	idx := map[string]int{}
	for rows.Next() {
		var origin, path string
		var records, size int64
		if err := rows.Scan(&origin, &path, &records, &size); err != nil {
			return err
		}
		loc := originLocation(origin, path)
		i, ok := idx[origin+"\x00"+loc]
		if !ok {
			i = len(s.ByOrigin)
			idx[origin+"\x00"+loc] = i
			s.ByOrigin = append(s.ByOrigin, OriginRow{Origin: origin, Location: loc})
		}
		s.ByOrigin[i].Sources++
		s.ByOrigin[i].Records += records
		s.ByOrigin[i].Bytes += size
	}
	return rows.Err()
}

// originLocation names where a source came from: its bucket, its log group
// (the path up to the stream: streams of flow logs, eni-...-all, hold no
// slash), or the local files.
func originLocation(origin, path string) string {
	switch origin {
	case "s3":
		if rest, ok := strings.CutPrefix(path, "s3://"); ok {
			b, _, _ := strings.Cut(rest, "/")
			return "s3://" + b
		}
	case "cwl":
		if i := strings.LastIndexByte(path, '/'); i > len("cwl://") {
			return path[:i]
		}
	}
	if origin == "file" {
		return "local files"
	}
	return path
}
