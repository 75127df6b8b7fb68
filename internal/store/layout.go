package store

import (
	"github.com/flowir/flowir/internal/flow"
)

// The columns of the flow views (flows, tgwflow) and of their files: see
// datafiles.go for where the records are.

// wideTable is the DuckDB table under the flows view, with every column:
// the records of cases written by schema versions 1 and 2 were there until
// the upgrade to version 3 moved them into data files; SQL may still insert
// rows into it by hand (tests do).
const wideTable = "flows_wide"

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
// has unknown fields, then trailerColumns.
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
