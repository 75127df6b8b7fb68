package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
)

// upgradeTo3 moves the flow records of a schema 2 case (tables flows_wide,
// the narrow flows_<hex> tables and tgwflow) into data files (datafiles.go),
// in one transaction with the new schema version: the files are written
// and placed first, then registered, the tables emptied or dropped and the
// views replaced. The totals (records, and the sum of bytes) read through
// the new files must equal those of the tables, or nothing changes. A
// process killed during the upgrade leaves the case at version 2 (the files
// it placed are removed at the next open, which upgrades again).
func (c *Case) upgradeTo3(ctx context.Context) error {
	t, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	var placed []string
	ok := false
	defer func() {
		if !ok {
			for _, rel := range placed {
				os.Remove(c.abs(rel))
			}
		}
	}()
	for _, q := range dataFilesDDL() {
		if _, err := t.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	tables, err := upgradeSources(ctx, t)
	if err != nil {
		return err
	}
	var regs, regSources [][]any
	var drop []string
	for _, tbl := range []string{"flows", "tgwflow"} {
		tgw := tbl == "tgwflow"
		var parts []string
		for _, st := range tables {
			if st.tgw != tgw {
				continue
			}
			sel := make([]string, 0, len(st.cols))
			for _, col := range allColumns(tgw) {
				if st.cols[col.name] {
					sel = append(sel, Quote(col.name))
				} else {
					sel = append(sel, "NULL::"+col.typ+" AS "+Quote(col.name))
				}
			}
			parts = append(parts, "SELECT "+strings.Join(sel, ", ")+" FROM "+Quote(st.name))
			if st.name != wideTable {
				drop = append(drop, "DROP TABLE "+Quote(st.name))
			}
		}
		if len(parts) == 0 {
			continue
		}
		all := "(" + strings.Join(parts, " UNION ALL ") + ")"
		// Sums of bytes are HUGEINT (exact past int64): compared as
		// decimal text.
		var before int64
		var beforeBytes string
		if err := t.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(bytes), 0)::VARCHAR FROM `+all).Scan(&before, &beforeBytes); err != nil {
			return fmt.Errorf("count the records of %s: %w", tbl, err)
		}
		if before == 0 {
			continue
		}
		rows, err := t.QueryContext(ctx, `SELECT DISTINCT account_partition, region_partition, date_partition FROM `+all)
		if err != nil {
			return err
		}
		var keys [][3]sql.NullString
		for rows.Next() {
			var k [3]sql.NullString
			if err := rows.Scan(&k[0], &k[1], &k[2]); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var files []string
		for i, k := range keys {
			where := make([]string, 3)
			for j, name := range []string{"account_partition", "region_partition", "date_partition"} {
				if k[j].Valid {
					where[j] = Quote(name) + " = " + sqltext.String(k[j].String)
				} else {
					where[j] = Quote(name) + " IS NULL"
				}
			}
			acct, region, date := k[0].String, k[1].String, k[2].String
			if !flow.ValidAccount(acct) || !flow.ValidRegion(region) || !flow.ValidDate(date) {
				// A value of another shape (from an older flowir) does not
				// name a folder: such rows go to the NULL partition.
				acct, region, date = "", "", ""
			}
			name := fmt.Sprintf("upgrade-%03d.parquet", i+1)
			tmp := filepath.Join(c.spoolDir(), name)
			os.Remove(tmp)
			q := fmt.Sprintf(`COPY (SELECT * FROM %s WHERE %s) TO %s (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE %d)`,
				all, strings.Join(where, " AND "), sqltext.String(tmp), rowGroupRows)
			if _, err := t.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("write the records of %s to %s: %w", tbl, tmp, err)
			}
			if err := syncFile(tmp); err != nil {
				return err
			}
			rel := path.Join(partitionDir(tbl, acct, region, date), fmt.Sprintf("upgrade-%s-%03d.parquet", tbl, i+1))
			if err := c.placeFile(tmp, rel); err != nil {
				return err
			}
			placed = append(placed, rel)
			files = append(files, c.abs(rel))
			arg, err := fileArg(c.abs(rel))
			if err != nil {
				return err
			}
			srows, err := t.QueryContext(ctx, `SELECT source_id, count(*) FROM read_parquet(`+arg+`) GROUP BY source_id`)
			if err != nil {
				return err
			}
			var n int64
			for srows.Next() {
				var id int32
				var k int64
				if err := srows.Scan(&id, &k); err != nil {
					srows.Close()
					return err
				}
				n += k
				regSources = append(regSources, []any{rel, id, k})
			}
			srows.Close()
			st, err := os.Stat(c.abs(rel))
			if err != nil {
				return err
			}
			regs = append(regs, []any{rel, tbl, n, st.Size()})
		}
		list, err := fileListArg(files)
		if err != nil {
			return err
		}
		var after int64
		var afterBytes string
		if err := t.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(bytes), 0)::VARCHAR FROM read_parquet(`+list+`)`).Scan(&after, &afterBytes); err != nil {
			return err
		}
		if after != before || afterBytes != beforeBytes {
			return fmt.Errorf("the records of %s written to files do not add up: %d records, %s bytes in the tables, %d records, %s bytes in the files; the case is unchanged", tbl, before, beforeBytes, after, afterBytes)
		}
	}
	if err := insertRows(ctx, t, `INSERT INTO data_files (file, tbl, records, size) VALUES `, `(?, ?, ?, ?)`, regs); err != nil {
		return err
	}
	if err := insertRows(ctx, t, `INSERT INTO data_file_sources (file, source_id, records) VALUES `, `(?, ?, ?)`, regSources); err != nil {
		return err
	}
	stmts := append([]string{`DELETE FROM ` + wideTable}, drop...)
	stmts = append(stmts, `UPDATE case_meta SET value = '3' WHERE key = 'schema_version'`)
	for _, q := range stmts {
		if _, err := t.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	if err := c.replaceDataViews(ctx, t); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return err
	}
	ok = true
	return nil
}

// upgradeTable is a table of a schema 2 case holding flow records.
type upgradeTable struct {
	name string
	tgw  bool
	cols map[string]bool
}

// upgradeSources lists the tables holding flow records in a schema 2 case:
// flows_wide, the narrow tables, and table tgwflow.
func upgradeSources(ctx context.Context, q queryer) ([]upgradeTable, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
		WHERE c.database_name = current_database() AND c.schema_name = 'main'
		AND (c.table_name = 'tgwflow' OR regexp_full_match(c.table_name, 'flows_wide|flows_[0-9a-f]+(_x)?'))
		ORDER BY c.table_name, c.column_index`)
	if err != nil {
		return nil, fmt.Errorf("list the flow tables: %w", err)
	}
	defer rows.Close()
	var out []upgradeTable
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].name != tbl {
			out = append(out, upgradeTable{name: tbl, tgw: tbl == "tgwflow", cols: map[string]bool{}})
		}
		out[len(out)-1].cols[col] = true
	}
	return out, rows.Err()
}
