package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/sqltext"
)

// How flow records are stored (schema version 3).
//
// The records of VPC flow logs (view flows) and of Transit Gateway flow
// logs (view tgwflow) are Parquet files under the case's data/ folder,
// written by flowir itself (pqwriter.go), in AWS's Hive-compatible layout:
//
//	data/flows/aws-account-id=ID/aws-region=REGION/year=YYYY/month=MM/day=DD/NAME.parquet
//	data/tgwflow/...
//
// (a partition value a source does not have is Hive's
// __HIVE_DEFAULT_PARTITION__). Every file has every column of its view,
// with the types the view gives them, so that the views read the files
// as they are; the partition values are columns in the files too.
//
// Why: DuckDB's insert into its own tables was ~70% of ingest's CPU time
// (issue 11); decoding and encoding records in Go on every core and letting
// DuckDB read the files is faster, and the files are smaller.
//
// Exactness: table data_files registers every file the views read, and
// data_file_sources which sources' records each holds. A file is written
// under a temporary name in the batch's spool folder, fsynced, renamed into
// data/, and registered in the same DuckDB transaction that records its
// sources (Batch.Commit); the views are replaced in that transaction too. So
// a file is in the case exactly when its registration committed. When a
// case is opened for writing, files under data/ that are not registered
// (left by a process killed between the rename and the commit) are
// removed, and registered files that are missing are an error: the case
// is damaged. A source's records are removed (superseded, discarded) by
// rewriting the files that hold them under new names, registered in place
// of the old ones, which are removed once the transaction committed.
//
// Table flows_wide stays under the flows view, empty as ingest leaves it:
// it holds rows that SQL inserts by hand (tests make small cases that way).

// dataDir is the case's folder of record files.
const dataDir = "data"

// hiveNull is Hive's name for a NULL partition value in a folder name.
const hiveNull = "__HIVE_DEFAULT_PARTITION__"

// crashPoint, when set (by the crash-consistency test), is called at the
// named points of a commit, so that a test process can kill itself there.
var crashPoint func(point string)

func crashAt(point string) {
	if crashPoint != nil {
		crashPoint(point)
	}
}

// dataFilesDDL creates the registry of data files.
func dataFilesDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS data_files (
			file VARCHAR NOT NULL,     -- path under the case directory, '/'-separated
			tbl VARCHAR NOT NULL,      -- flows or tgwflow: the view that reads it
			records BIGINT NOT NULL,
			size BIGINT NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS data_file_sources (
			file VARCHAR NOT NULL,
			source_id INTEGER NOT NULL,
			records BIGINT NOT NULL    -- the source's records in the file
		)`,
	}
}

// partitionDir is the folder, relative to the case, of the records of a
// table (flows, tgwflow) with these partition values (account, region,
// date as yyyy/MM/dd), each either "" or of the shape checkPartitions
// allows.
func partitionDir(tbl, account, region, date string) string {
	v := func(s string) string {
		if s == "" {
			return hiveNull
		}
		return s
	}
	y, m, d := hiveNull, hiveNull, hiveNull
	if p := strings.Split(date, "/"); len(p) == 3 {
		y, m, d = p[0], p[1], p[2]
	}
	return path.Join(dataDir, tbl, "aws-account-id="+v(account), "aws-region="+v(region), "year="+y, "month="+m, "day="+d)
}

// abs returns the absolute path of a file registered under the case.
func (c *Case) abs(rel string) string { return filepath.Join(c.absDir, filepath.FromSlash(rel)) }

// dataFiles returns the registered files of each view, in name order.
func dataFiles(ctx context.Context, q queryer) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT tbl, file FROM data_files ORDER BY tbl, file`)
	if err != nil {
		return nil, fmt.Errorf("list the data files: %w", err)
	}
	defer rows.Close()
	m := map[string][]string{}
	for rows.Next() {
		var t, f string
		if err := rows.Scan(&t, &f); err != nil {
			return nil, err
		}
		m[t] = append(m[t], f)
	}
	return m, rows.Err()
}

// dataViewsDDL (re)creates the views flows and tgwflow over the registered
// files (absolute paths: DuckDB's sandbox refuses relative ones) and, for
// flows, the flows_wide table.
func (c *Case) dataViewsDDL(files map[string][]string) ([]string, error) {
	return dataViewsDDL(c.absDir, files, false)
}

// dataViewsDDL is Case.dataViewsDDL for the case in absDir; temp makes
// them temporary views, which a read-only connection creates over the
// stored ones (see openReadOnly).
func dataViewsDDL(absDir string, files map[string][]string, temp bool) ([]string, error) {
	var out []string
	for _, tbl := range []string{"flows", "tgwflow"} {
		cols := allColumns(tbl == "tgwflow")
		sel := make([]string, len(cols))
		for i, col := range cols {
			sel[i] = Quote(col.name)
		}
		var parts []string
		if tbl == "flows" {
			parts = append(parts, "SELECT "+strings.Join(sel, ", ")+" FROM "+wideTable)
		}
		if fs := files[tbl]; len(fs) > 0 {
			abs := make([]string, len(fs))
			for i, f := range fs {
				abs[i] = filepath.Join(absDir, filepath.FromSlash(f))
			}
			list, err := fileListArg(abs)
			if err != nil {
				return nil, err
			}
			parts = append(parts, "SELECT "+strings.Join(sel, ", ")+" FROM read_parquet("+list+")")
		}
		if len(parts) == 0 {
			empty := make([]string, len(cols))
			for i, col := range cols {
				empty[i] = "NULL::" + col.typ + " AS " + Quote(col.name)
			}
			parts = append(parts, "SELECT "+strings.Join(empty, ", ")+" WHERE false")
		}
		kind := "VIEW "
		if temp {
			kind = "TEMP VIEW "
		}
		out = append(out, "CREATE OR REPLACE "+kind+tbl+" AS\n"+strings.Join(parts, "\nUNION ALL\n"))
	}
	return out, nil
}

// reconcileData makes data/ hold exactly the registered files: files that
// are not registered are what a killed process left (never committed), and
// are removed; a registered file that is missing is an error.
func (c *Case) reconcileData(ctx context.Context) error {
	files, err := dataFiles(ctx, c.db)
	if err != nil {
		return err
	}
	reg := map[string]bool{}
	var missing []string
	for _, fs := range files {
		for _, f := range fs {
			reg[f] = true
			if _, err := os.Stat(c.abs(f)); err != nil {
				missing = append(missing, f)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("case %s is damaged: %d of its record files are missing (%s): their records cannot be read; restore the case's data/ folder from a copy", c.Dir, len(missing), strings.Join(missing[:min(3, len(missing))], ", "))
	}
	root := filepath.Join(c.Dir, dataDir)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(c.Dir, p)
		if err != nil {
			return err
		}
		if !reg[filepath.ToSlash(rel)] {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove %s, which no committed source wrote: %w", p, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("case %s: check the record files: %w", c.Dir, err)
	}
	return nil
}

// syncDir fsyncs a directory, so that a rename into it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncFile fsyncs a file DuckDB wrote.
func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// placeFile renames a complete, fsynced file to rel under the case, and
// makes the rename durable: the folders made for it and the one it is in
// are fsynced.
func (c *Case) placeFile(from, rel string) error {
	to := c.abs(rel)
	dir := filepath.Dir(to)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("place record file %s: %w", rel, err)
	}
	for d := dir; len(d) >= len(c.absDir); d = filepath.Dir(d) {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("place record file %s: %w", rel, err)
		}
		if d == c.absDir {
			break
		}
	}
	return nil
}

// idList renders source ids for an IN list.
// copyWithout writes to the new file to (which must not exist) the rows of
// the Parquet file from whose source is not one of ids, with DuckDB, and
// fsyncs it. It returns the rows written.
func copyWithout(ctx context.Context, conn execQueryer, from, to string, ids []int64) (int64, error) {
	src, err := fileArg(from)
	if err != nil {
		return 0, err
	}
	q := fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) WHERE source_id NOT IN (%s)) TO %s (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE %d)`,
		src, sqltext.Ints(ids), sqltext.String(to), rowGroupRows)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return 0, fmt.Errorf("rewrite %s without sources %s: %w", from, sqltext.Ints(ids), err)
	}
	if err := syncFile(to); err != nil {
		return 0, err
	}
	dst, err := fileArg(to)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM read_parquet(`+dst+`)`).Scan(&n); err != nil {
		return 0, err
	}
	return n, nil
}

// execQueryer is a connection or transaction.
type execQueryer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}
