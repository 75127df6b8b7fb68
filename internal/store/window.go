package store

import (
	"context"
	"database/sql"
	"time"
)

// Sources columns for windowed ingests (`flowir ingest --since/--until`),
// added after the base schema so that older cases gain them on their next
// write. The sources appender in writer.go appends them last, in this order.
//
// out_of_window counts the records a source's window left out, so that for
// every source lines = records + rejects + headers + out_of_window;
// window_since and window_until record the window itself (NULL: unbounded),
// which tells a later ingest of the same object whether the case already
// holds the records it asks for.
func init() {
	registerDDL(func() []string {
		return []string{
			`ALTER TABLE sources ADD COLUMN IF NOT EXISTS out_of_window BIGINT DEFAULT 0`,
			`ALTER TABLE sources ADD COLUMN IF NOT EXISTS window_since TIMESTAMPTZ`,
			`ALTER TABLE sources ADD COLUMN IF NOT EXISTS window_until TIMESTAMPTZ`,
		}
	})
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// KnownSource is a source already in the case, as an ingest needs to know it
// to decide whether to read an object again.
type KnownSource struct {
	ID           int64
	Path         string
	Origin       string
	ETag         string
	SHA256       string
	Status       string
	Records      int64
	Since, Until time.Time // the window (zero: unbounded)
	// ContentSHA256 is the hash of the content decoded (sources.go), ""
	// when unknown.
	ContentSHA256 string
}

// KnownSources returns every complete, partial or failed source (not the
// superseded ones), in ingest order, with the S3 ETag and the window of each:
// what an ingest run needs to skip content the case already has and to
// supersede earlier partial or failed loads, loaded once per run rather than
// queried per object.
func (c *Case) KnownSources(ctx context.Context) ([]KnownSource, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT source_id, path, origin, coalesce(etag, ''), sha256, status, records,
		window_since, window_until, coalesce(content_sha256, '') FROM sources WHERE status IN ('complete', 'partial', 'failed') ORDER BY source_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KnownSource
	for rows.Next() {
		var k KnownSource
		var since, until sql.NullTime
		if err := rows.Scan(&k.ID, &k.Path, &k.Origin, &k.ETag, &k.SHA256, &k.Status, &k.Records, &since, &until, &k.ContentSHA256); err != nil {
			return nil, err
		}
		if since.Valid {
			k.Since = since.Time.UTC()
		}
		if until.Valid {
			k.Until = until.Time.UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Prior returns k as the Prior that a new source superseding it lists in
// Source.Replaces.
func (k KnownSource) Prior() Prior {
	return Prior{ID: k.ID, Path: k.Path, SHA256: k.SHA256, Status: k.Status, Records: k.Records}
}

// hasColumn reports whether a table has a column: read-only commands use it
// on cases whose last write was by an older flowir, which lack the newer
// columns until their next write.
func (c *Case) hasColumn(ctx context.Context, table, column string) bool {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?`, table, column).Scan(&n)
	return err == nil && n > 0
}
