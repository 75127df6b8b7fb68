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

// column is a column of a flow table or view.
type column struct {
	name, typ string // unquoted name, DuckDB type
	notNull   bool
}

// extraColumn holds the fields flowir does not know: a JSON object keyed by
// their AWS names.
var extraColumn = column{name: "extra_fields", typ: "VARCHAR"}

// trailerColumns are the columns flowir adds after a record's fields, in
// every flow table.
var trailerColumns = []column{
	{name: "account_partition", typ: "VARCHAR"}, // from the S3 key (or the file name), else NULL
	{name: "region_partition", typ: "VARCHAR"},
	{name: "date_partition", typ: "VARCHAR"}, // 'YYYY/MM/DD', as the playbook's partition projection
	{name: "hour_partition", typ: "VARCHAR"}, // 'HH' for hourly layouts, else NULL
	{name: "source_id", typ: "INTEGER", notNull: true},
	{name: "source_line", typ: "BIGINT", notNull: true}, // 1-based line (or row) in the decompressed source
}

// setColumns returns the fields of a column set, in flowir's field order,
// and the columns that store them: one per field, extra_fields if the set
// has unknown fields, then trailerColumns. They are the columns of the
// set's spool file and of its narrow table.
func setColumns(k appKey) (ids []flow.FieldID, cols []column) {
	all := vpcIDs
	if k.tgw {
		all = tgwIDs
	}
	for _, id := range all {
		if k.present&(1<<id) != 0 {
			f := flow.Get(id)
			ids = append(ids, id)
			cols = append(cols, column{name: f.Column, typ: sqlType(f.Kind)})
		}
	}
	if k.extra {
		cols = append(cols, extraColumn)
	}
	return ids, append(cols, trailerColumns...)
}

// allColumns returns every column of flows_wide (tgw false) or tgwflow.
func allColumns(tgw bool) []column {
	k := appKey{extra: true, tgw: tgw}
	ids := vpcIDs
	if tgw {
		ids = tgwIDs
	}
	for _, id := range ids {
		k.present |= 1 << id
	}
	_, cols := setColumns(k)
	return cols
}

// columnDefs renders columns as the definitions of CREATE TABLE.
func columnDefs(cols []column) []string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = Quote(c.name) + " " + c.typ
		if c.notNull {
			defs[i] += " NOT NULL"
		}
	}
	return defs
}

// narrowTable is a stored narrow table: its name and its column set, whose
// columns it has (setColumns).
type narrowTable struct {
	name string
	key  appKey
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

// narrowDDL creates the narrow table of a column set (setColumns).
func narrowDDL(k appKey) string {
	_, cols := setColumns(k)
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n\t%s\n)", narrowName(k), strings.Join(columnDefs(cols), ",\n\t"))
}

// flowsViewDDL (re)creates the flows view over flows_wide and the narrow
// tables, in name order so that the definition does not depend on the order
// in which tables were created.
func flowsViewDDL(narrow []narrowTable) string {
	all := allColumns(false)
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
		_, cols := setColumns(t.key)
		has := make(map[string]bool, len(cols))
		for _, c := range cols {
			has[c.name] = true
		}
		parts = append(parts, branch(t.name, func(c string) bool { return has[c] }))
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
// the database or a transaction), with the column set of each derived from
// its columns, not from its name.
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
			t = &narrowTable{name: table}
			byName[table] = t
			order = append(order, table)
		}
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
		add = append(add, narrowTable{name: narrowName(k), key: k})
	}
	if len(add) == 0 {
		return nil
	}
	all := make([]narrowTable, 0, len(c.narrow)+len(add))
	for _, t := range c.narrow {
		all = append(all, t)
	}
	all = append(all, add...)
	tx, err := c.beginTx(ctx)
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
