package store

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// How VPC flow records are stored (schema version 2).
//
// `flows` is a view with every VPC field, the partition values and the
// source reference: what every query, the playbook's `vpcflow` view and the
// analysis read. Underneath, records are stored in narrow tables, one per
// column set (the known fields of a log format, and whether it has fields
// flowir does not know), named flows_<hex of the field set>[_x], holding
// only that set's columns; the view fills the other fields with NULL. Table
// flows_wide has every column: it holds the records of cases written by
// schema version 1, and of column sets beyond maxNarrowTables.
//
// Why: DuckDB's cost of storing a row grows with the table's columns, NULL
// or not: checking, compressing and writing 33 all-NULL columns for every
// record of AWS's default 14-field format. Narrow tables cut the CPU time of
// ingest by 10 to 15% on bench/ingest.sh's mixed corpus (a third of it in
// the default format); queries through the view run as fast as on one
// table (DuckDB prunes the branches whose NULL columns cannot match a
// filter).
//
// A narrow table is created just before the transaction of the first batch
// that meets its column set begins (Batch.begin): a transaction cannot see
// tables created after it began, and creating tables outside the batches'
// transactions keeps two concurrent batches from conflicting on the catalog.
// A batch whose transaction began earlier (at its first reject) stores the
// column sets it meets later in flows_wide.

// wideTable holds records of any column set.
const wideTable = "flows_wide"

// maxNarrowTables bounds the number of narrow tables (and of branches of the
// flows view); column sets beyond it are stored in flows_wide.
var maxNarrowTables = 32 // a variable for tests

// flowColumn is a column of the flows view.
type flowColumn struct {
	name, typ string // unquoted name, DuckDB type
}

// flowsViewColumns lists the columns of the flows view, in order: the same
// as flows_wide's (flowsColumns).
func flowsViewColumns() []flowColumn {
	var cols []flowColumn
	for _, f := range flow.All()[:flow.NumVPCFields] {
		cols = append(cols, flowColumn{f.Column, sqlType(f.Kind)})
	}
	for _, c := range []string{"extra_fields", "account_partition", "region_partition", "date_partition", "hour_partition"} {
		cols = append(cols, flowColumn{c, "VARCHAR"})
	}
	return append(cols, flowColumn{"source_id", "INTEGER"}, flowColumn{"source_line", "BIGINT"})
}

// narrowTable is a stored narrow table: its name and its columns.
type narrowTable struct {
	name string
	key  appKey
	cols map[string]bool
}

// narrowName names the narrow table of a VPC column set.
func narrowName(k appKey) string {
	n := fmt.Sprintf("flows_%x", k.present)
	if k.extra {
		n += "_x"
	}
	return n
}

// narrowPattern matches the names narrowName gives.
var narrowPattern = regexp.MustCompile(`^flows_[0-9a-f]+(_x)?$`)

// narrowDDL creates the narrow table of a column set: its known fields in
// flowir's field order, extra_fields if it has unknown ones, then the
// partition values and the source reference, as in flows_wide.
func narrowDDL(k appKey) string {
	var cols []string
	for _, id := range vpcIDs {
		if k.present&(1<<id) != 0 {
			cols = append(cols, Quote(flow.Get(id).Column)+" "+sqlType(flow.Get(id).Kind))
		}
	}
	if k.extra {
		cols = append(cols, "extra_fields VARCHAR")
	}
	cols = append(cols, "account_partition VARCHAR", "region_partition VARCHAR", "date_partition VARCHAR", "hour_partition VARCHAR",
		"source_id INTEGER NOT NULL", "source_line BIGINT NOT NULL")
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n\t%s\n)", narrowName(k), strings.Join(cols, ",\n\t"))
}

// flowsViewDDL (re)creates the flows view over flows_wide and the narrow
// tables, in name order so that the definition does not depend on the order
// in which tables were created.
func flowsViewDDL(narrow []narrowTable) string {
	all := flowsViewColumns()
	branch := func(table string, has func(string) bool) string {
		sel := make([]string, len(all))
		for i, c := range all {
			if has(c.name) {
				sel[i] = Quote(c.name)
			} else {
				sel[i] = "NULL::" + c.typ + " AS " + Quote(c.name)
			}
		}
		return "SELECT " + strings.Join(sel, ", ") + " FROM " + table
	}
	parts := []string{branch(wideTable, func(string) bool { return true })}
	sorted := append([]narrowTable(nil), narrow...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, t := range sorted {
		parts = append(parts, branch(t.name, func(c string) bool { return t.cols[c] }))
	}
	return "CREATE OR REPLACE VIEW flows AS\n" + strings.Join(parts, "\nUNION ALL\n")
}

// vpcColumnIDs maps the column names of VPC fields to their fields.
var vpcColumnIDs = func() map[string]flow.FieldID {
	m := map[string]flow.FieldID{}
	for _, id := range vpcIDs {
		m[flow.Get(id).Column] = id
	}
	return m
}()

// narrowTables reads the narrow tables of the case from the catalog (q is
// the database or a transaction), with
// the column set of each derived from its columns (not from its name).
func narrowTables(ctx context.Context, q queryer) ([]narrowTable, error) {
	rows, err := q.QueryContext(ctx, `SELECT table_name, column_name FROM duckdb_columns()
		WHERE schema_name = 'main' AND table_name LIKE 'flows\_%' ESCAPE '\' AND table_name <> 'flows_wide'
		ORDER BY table_name, column_index`)
	if err != nil {
		return nil, fmt.Errorf("list the flow tables: %w", err)
	}
	defer rows.Close()
	byName := map[string]*narrowTable{}
	var order []string
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return nil, err
		}
		if !narrowPattern.MatchString(table) {
			continue
		}
		t := byName[table]
		if t == nil {
			t = &narrowTable{name: table, cols: map[string]bool{}}
			byName[table] = t
			order = append(order, table)
		}
		t.cols[col] = true
		if col == "extra_fields" {
			t.key.extra = true
		} else if id, ok := vpcColumnIDs[col]; ok {
			t.key.present |= 1 << id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]narrowTable, 0, len(order))
	for _, n := range order {
		out = append(out, *byName[n])
	}
	return out, nil
}

// narrowFor describes the narrow table of a column set.
func narrowFor(k appKey) narrowTable {
	t := narrowTable{name: narrowName(k), key: k, cols: map[string]bool{}}
	for _, id := range vpcIDs {
		if k.present&(1<<id) != 0 {
			t.cols[flow.Get(id).Column] = true
		}
	}
	if k.extra {
		t.cols["extra_fields"] = true
	}
	for _, c := range []string{"account_partition", "region_partition", "date_partition", "hour_partition", "source_id", "source_line"} {
		t.cols[c] = true
	}
	return t
}

// setNarrow records the narrow tables found in the catalog.
func (c *Case) setNarrow(ts []narrowTable) {
	c.narrowMu.Lock()
	defer c.narrowMu.Unlock()
	c.narrow = make(map[appKey]narrowTable, len(ts))
	for _, t := range ts {
		c.narrow[t.key] = t
	}
}

// narrowTableNames returns the narrow tables as of now, by column set: a
// batch takes it before its transaction begins, so that every table in it
// is visible to the transaction.
func (c *Case) narrowTableNames() map[appKey]string {
	c.narrowMu.Lock()
	defer c.narrowMu.Unlock()
	m := make(map[appKey]string, len(c.narrow))
	for k, t := range c.narrow {
		m[k] = t.name
	}
	return m
}

// addNarrow creates the narrow tables of column sets that have none yet
// (up to maxNarrowTables) and replaces the flows view to include them, in
// one transaction: a table is only used once the view shows its rows.
func (c *Case) addNarrow(ctx context.Context, keys []appKey) error {
	c.narrowMu.Lock()
	defer c.narrowMu.Unlock()
	var add []narrowTable
	for _, k := range keys {
		if _, ok := c.narrow[k]; ok || k.tgw || len(c.narrow)+len(add) >= maxNarrowTables {
			continue
		}
		add = append(add, narrowFor(k))
	}
	if len(add) == 0 {
		return nil
	}
	all := make([]narrowTable, 0, len(c.narrow)+len(add))
	for _, t := range c.narrow {
		all = append(all, t)
	}
	all = append(all, add...)
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range add {
		if _, err := tx.ExecContext(ctx, narrowDDL(t.key)); err != nil {
			return fmt.Errorf("create table %s: %w", t.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, flowsViewDDL(all)); err != nil {
		return fmt.Errorf("replace view flows: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, t := range add {
		c.narrow[t.key] = t
	}
	return nil
}
