package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/sqltext"
)

// Compaction merges the small record files of a partition into few large
// ones (see datafiles.go for the layout).
//
// Why: every ingest batch writes one file per partition it touches, and a
// batch commits at 1M records, 4,096 sources or 10 seconds (ingest), so a
// long ingest, or many small ingests of a bucket's new objects, leaves many
// files per partition. DuckDB reads each file's footer and schedules its
// row groups separately; files far smaller than a row group leave its
// threads short of work, and each costs an open and a metadata read.
// A merged file is sorted by start (then source and line), so that its row
// groups' min/max statistics on start let a time-window query skip most of
// them.
//
// Exactness is as for a batch's commit: a merged file is written in the
// spool folder, fsynced, renamed into the partition's folder and
// registered, in one transaction that also deregisters the files it
// replaces and replaces the views; the old files are removed once that
// committed. Its records are counted per source and checked against the
// registry of the files it replaces before anything is committed. A
// process killed at any point leaves either the old files registered (the
// new one, unregistered, is removed at the next writing open) or the new
// one (the old ones are removed then).

// CompactFileRecords is the most records compaction puts in one file: about
// 33 row groups of rowGroupRows (enough to keep every core of a scan busy
// from one file) and 50-60 MB of flow records; larger files would only
// make each compaction's sort bigger. A file this size or larger is left
// as it is.
const CompactFileRecords = 4_000_000

// AutoCompactFiles is how many small files (fewer records than
// CompactFileRecords) a partition may hold before an ingest compacts it.
// Compacting rewrites the partition's small files, so it is not done after
// every batch: with 8, a record is rewritten about once per eight-fold
// growth of its partition, and a partition is never more than 8 small
// files for a query to open.
const AutoCompactFiles = 8

// CompactOptions says which partitions to compact.
type CompactOptions struct {
	// MinFiles: a partition is compacted only when it holds more than
	// MinFiles small files (AutoCompactFiles after an ingest); 0 compacts
	// every partition with at least two.
	MinFiles int
}

// CompactStats is what a compaction did.
type CompactStats struct {
	Partitions  int   `json:"partitions"`   // partitions compacted
	FilesBefore int   `json:"files_before"` // their small files
	FilesAfter  int   `json:"files_after"`  // the files that replaced them
	Records     int64 `json:"records"`      // records rewritten
}

// compactFile is a registered file, as compaction sees it.
type compactFile struct {
	file, tbl string
	records   int64
}

// Compact merges the small record files of each partition (see
// CompactOptions), one partition per transaction: an interrupted
// compaction keeps the partitions it finished.
func (c *Case) Compact(ctx context.Context, opt CompactOptions) (CompactStats, error) {
	var st CompactStats
	if c.ReadOnly {
		return st, errors.New("case is open read-only")
	}
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	parts, err := c.smallFiles(ctx)
	if err != nil {
		return st, err
	}
	least := max(opt.MinFiles, 1)
	for _, fs := range parts {
		if len(fs) <= least {
			continue
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		groups := compactGroups(fs)
		if len(groups) == 0 {
			continue
		}
		n, err := c.compactPartition(ctx, groups)
		if err != nil {
			return st, fmt.Errorf("compact %s: %w", path.Dir(fs[0].file), err)
		}
		st.Partitions++
		for _, g := range groups {
			st.FilesBefore += len(g)
		}
		st.FilesAfter += len(groups)
		st.Records += n
	}
	return st, nil
}

// smallFiles returns the registered files with fewer than
// CompactFileRecords records, by partition folder, each in name order
// (names begin with the time they were written).
func (c *Case) smallFiles(ctx context.Context) ([][]compactFile, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT file, tbl, records FROM data_files WHERE records < ? ORDER BY file`, CompactFileRecords)
	if err != nil {
		return nil, fmt.Errorf("list the data files: %w", err)
	}
	defer rows.Close()
	var out [][]compactFile
	for rows.Next() {
		var f compactFile
		if err := rows.Scan(&f.file, &f.tbl, &f.records); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && path.Dir(out[n-1][0].file) == path.Dir(f.file) {
			out[n-1] = append(out[n-1], f)
		} else {
			out = append(out, []compactFile{f})
		}
	}
	return out, rows.Err()
}

// compactGroups splits a partition's small files, in order, into groups of
// at most CompactFileRecords records; groups of one file are left out
// (nothing to merge).
func compactGroups(fs []compactFile) [][]compactFile {
	var groups [][]compactFile
	var cur []compactFile
	var n int64
	flush := func() {
		if len(cur) > 1 {
			groups = append(groups, cur)
		}
		cur, n = nil, 0
	}
	for _, f := range fs {
		if len(cur) > 0 && n+f.records > CompactFileRecords {
			flush()
		}
		cur = append(cur, f)
		n += f.records
	}
	flush()
	return groups
}

// compactPartition replaces each group of files of one partition with one
// merged file, in one transaction. It returns the records rewritten.
func (c *Case) compactPartition(ctx context.Context, groups [][]compactFile) (int64, error) {
	tmpDir, err := os.MkdirTemp(c.spoolDir(), "compact-")
	if err != nil {
		return 0, fmt.Errorf("create spool directory in the case: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	t, err := c.beginTx(ctx)
	if err != nil {
		return 0, err
	}
	var placed []string
	committed := false
	defer func() {
		if !committed {
			t.Rollback()
			for _, rel := range placed {
				os.Remove(c.abs(rel))
			}
		}
	}()
	var total int64
	var regs, regSources [][]any
	var remove []string
	for i, g := range groups {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := fmt.Sprintf("%s-c%d-%s.parquet", time.Now().UTC().Format("20060102T150405Z"), i, hex.EncodeToString(rnd[:]))
		tmp := filepath.Join(tmpDir, name)
		rel := path.Join(path.Dir(g[0].file), name)
		want, err := registeredSources(ctx, t, g)
		if err != nil {
			return 0, err
		}
		if err := c.mergeFiles(ctx, t, g, tmp); err != nil {
			return 0, err
		}
		got, err := fileSources(ctx, t, tmp)
		if err != nil {
			return 0, err
		}
		var n int64
		for id, k := range got {
			if want[id] != k {
				return 0, fmt.Errorf("merged file %s holds %d records of source %d, its %d files are registered with %d: nothing changed", tmp, k, id, len(g), want[id])
			}
			n += k
		}
		if len(got) != len(want) {
			return 0, fmt.Errorf("merged file %s holds records of %d sources, its %d files are registered with %d: nothing changed", tmp, len(got), len(g), len(want))
		}
		crashAt("compact-written")
		if err := c.placeFile(tmp, rel); err != nil {
			return 0, err
		}
		placed = append(placed, rel)
		st, err := os.Stat(c.abs(rel))
		if err != nil {
			return 0, err
		}
		regs = append(regs, []any{rel, g[0].tbl, n, st.Size()})
		for _, id := range slices.Sorted(maps.Keys(got)) {
			regSources = append(regSources, []any{rel, int32(id), got[id]})
		}
		for _, f := range g {
			for _, tbl := range []string{"data_files", "data_file_sources"} {
				if _, err := t.ExecContext(ctx, `DELETE FROM `+tbl+` WHERE file = ?`, f.file); err != nil {
					return 0, err
				}
			}
			remove = append(remove, f.file)
		}
		total += n
	}
	crashAt("compact-placed")
	if err := insertRows(ctx, t, `INSERT INTO data_files (file, tbl, records, size) VALUES `, `(?, ?, ?, ?)`, regs); err != nil {
		return 0, fmt.Errorf("register record files: %w", err)
	}
	if err := insertRows(ctx, t, `INSERT INTO data_file_sources (file, source_id, records) VALUES `, `(?, ?, ?)`, regSources); err != nil {
		return 0, fmt.Errorf("register record files: %w", err)
	}
	if err := c.replaceDataViews(ctx, t); err != nil {
		return 0, err
	}
	crashAt("compact-registered")
	if err := t.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	committed = true
	crashAt("compact-committed")
	for _, f := range remove {
		os.Remove(c.abs(f))
	}
	return total, nil
}

// mergeFiles writes the records of the files g to the new file to, sorted
// by start, source and line, with DuckDB, and fsyncs it.
func (c *Case) mergeFiles(ctx context.Context, conn execQueryer, g []compactFile, to string) error {
	abs := make([]string, len(g))
	for i, f := range g {
		abs[i] = c.abs(f.file)
	}
	list, err := fileListArg(abs)
	if err != nil {
		return err
	}
	cols := allColumns(g[0].tbl == "tgwflow")
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = Quote(col.name)
	}
	q := fmt.Sprintf(`COPY (SELECT %s FROM read_parquet(%s) ORDER BY "start" NULLS LAST, source_id, source_line) TO %s (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE %d)`,
		strings.Join(names, ", "), list, sqltext.String(to), rowGroupRows)
	// COPY writes a query's ORDER BY only while insertion order is kept,
	// which ingest's connections (bulkLoadSQL) turn off.
	var keep bool
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('preserve_insertion_order')`).Scan(&keep); err != nil {
		return err
	}
	if !keep {
		if _, err := conn.ExecContext(ctx, `SET preserve_insertion_order = true`); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SET preserve_insertion_order = false`)
	}
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("merge %d files of %s: %w", len(g), path.Dir(g[0].file), err)
	}
	return syncFile(to)
}

// registeredSources sums the registered records of each source in files g.
func registeredSources(ctx context.Context, conn execQueryer, g []compactFile) (map[int64]int64, error) {
	names := make([]string, len(g))
	for i, f := range g {
		names[i] = f.file
	}
	rows, err := conn.QueryContext(ctx, `SELECT source_id, sum(records)::BIGINT FROM data_file_sources WHERE file IN (`+sqltext.Strings(names)+`) GROUP BY source_id`)
	if err != nil {
		return nil, err
	}
	return scanCounts(rows)
}

// fileSources counts the records of each source in a Parquet file.
func fileSources(ctx context.Context, conn execQueryer, file string) (map[int64]int64, error) {
	arg, err := fileArg(file)
	if err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT source_id, count(*) FROM read_parquet(`+arg+`) GROUP BY source_id`)
	if err != nil {
		return nil, err
	}
	return scanCounts(rows)
}

// scanCounts reads rows of (source_id, records).
func scanCounts(rows *sql.Rows) (map[int64]int64, error) {
	defer rows.Close()
	m := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		m[id] = n
	}
	return m, rows.Err()
}
