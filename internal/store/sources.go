package store

import (
	"strings"
	"time"
)

// The sources table's columns, written by name (sourcesInsert) so that
// columns added by later versions (window.go, content_sha256 below) never
// depend on the order in which they were added to a case.
//
// content_sha256 is the SHA-256 of a complete source's content as decoded
// (the decompressed bytes of a gzip file; the file's own bytes otherwise):
// the same records delivered in another container (a .log.gz and the .log
// gunzipped from it) have one content_sha256, which is how an ingest
// recognises them (NULL for partial and failed sources, and for sources
// stored before the column existed).
func init() {
	registerDDL(func() []string {
		return []string{`ALTER TABLE sources ADD COLUMN IF NOT EXISTS content_sha256 VARCHAR`}
	})
}

var sourcesColumns = []string{"source_id", "path", "origin", "etag", "size", "sha256", "format", "log_format",
	"account_partition", "region_partition", "date_partition", "hour_partition",
	"lines", "records", "rejects", "headers", "status", "error", "ingested_at", "flowir_version",
	"out_of_window", "window_since", "window_until", "content_sha256"}

var (
	sourcesInsert = "INSERT INTO sources (" + strings.Join(sourcesColumns, ", ") + ") VALUES "
	sourcesTuple  = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(sourcesColumns)), ", ") + ")"
)

// sourceRow is the sources row of a source, in sourcesColumns order.
func sourceRow(id int64, src Source, st Stats, at time.Time) []any {
	return []any{int32(id), src.Path, src.Origin, nullStr(src.ETag), src.Size, src.SHA256, nullStr(src.Format),
		nullStr(st.LogFormat), nullStr(src.Account), nullStr(src.Region), nullStr(src.Date), nullStr(src.Hour),
		st.Lines, st.Records, st.Rejects, st.Headers, st.Status, nullStr(st.Error), at, Version,
		st.OutOfWindow, nullTime(src.Since), nullTime(src.Until), nullStr(st.ContentSHA256)}
}
