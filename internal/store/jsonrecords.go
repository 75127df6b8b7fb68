package store

import (
	"database/sql/driver"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/flowir/flowir/internal/decode"
)

// The playbook's "NEW logs" JSON records (design.md steps 7-9) live in table
// jsonflows: the playbook DDL's 22 columns with its types, then the keys
// that are not columns (extra_fields, JSON) and the provenance every flowir
// table carries (source_id, source_line). View vpc_flow_logs shows exactly
// the playbook's 22 columns in its order, so that the playbook's queries
// (SELECT * FROM vpc_flow_logs LIMIT 1000, ...) run unchanged.
func init() {
	registerDDL(func() []string {
		cols := make([]string, 0, len(decode.PlaybookColumns)+3)
		names := make([]string, len(decode.PlaybookColumns))
		for i, c := range decode.PlaybookColumns {
			cols = append(cols, Quote(c.Name)+" "+jsonSQLType(c.Type))
			names[i] = Quote(c.Name)
		}
		cols = append(cols, "extra_fields VARCHAR", "source_id INTEGER NOT NULL", "source_line BIGINT NOT NULL")
		return []string{
			"CREATE TABLE IF NOT EXISTS jsonflows (\n\t" + strings.Join(cols, ",\n\t") + "\n)",
			"CREATE OR REPLACE VIEW vpc_flow_logs AS SELECT " + strings.Join(names, ", ") + " FROM jsonflows",
		}
	})
}

// jsonSQLType maps the playbook DDL's types (Hive's) to DuckDB's.
func jsonSQLType(t string) string {
	switch t {
	case "INT":
		return "INTEGER"
	case "BIGINT":
		return "BIGINT"
	}
	return "VARCHAR"
}

// JSONWriter stores a source's JSON records in jsonflows, in the source's
// batch (its transaction). Close it before the source's Finish; on an error
// the batch is to be aborted as for any store error.
type JSONWriter struct {
	w   *SourceWriter
	app *duckdb.Appender
	row []driver.Value
	n   int64
}

// JSONRecords opens a JSONWriter for the source.
func (w *SourceWriter) JSONRecords() (*JSONWriter, error) {
	j := &JSONWriter{w: w, row: make([]driver.Value, len(decode.PlaybookColumns)+3)}
	if err := w.b.begin(); err != nil {
		return nil, err
	}
	err := w.b.conn.Raw(func(dc any) error {
		var err error
		j.app, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "jsonflows")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open appender on jsonflows: %w", err)
	}
	return j, nil
}

// Add stores one record: vals in decode.PlaybookColumns order (nil, string
// or int64), extra the JSON object of other keys or "".
func (j *JSONWriter) Add(line int64, vals []any, extra string) error {
	n := len(decode.PlaybookColumns)
	for i, v := range vals[:n] {
		switch x := v.(type) {
		case int64:
			if decode.PlaybookColumns[i].Type == "INT" {
				j.row[i] = int32(x)
			} else {
				j.row[i] = x
			}
		case string:
			j.row[i] = j.w.b.str([]byte(x))
		default:
			j.row[i] = nil
		}
	}
	j.row[n] = nil
	if extra != "" {
		j.row[n] = extra
	}
	j.row[n+1], j.row[n+2] = j.w.idVal, line
	if err := j.app.AppendRow(j.row...); err != nil {
		return fmt.Errorf("store JSON record of line %d: %w", line, err)
	}
	j.n++
	j.w.b.records++
	j.w.records++
	return nil
}

// Close flushes the records into the batch's transaction.
func (j *JSONWriter) Close() error {
	if j.app == nil {
		return nil
	}
	err := j.app.Close()
	j.app = nil
	if err != nil {
		return fmt.Errorf("store JSON records: %w", err)
	}
	return nil
}
