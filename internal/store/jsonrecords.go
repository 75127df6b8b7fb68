package store

import (
	"fmt"
	"path/filepath"
	"strings"

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

// JSONWriter writes the playbook JSON records of a source (table jsonflows).
type JSONWriter struct {
	w *SourceWriter
	p *pqWriter
}

// jsonColumns are the columns of table jsonflows, as spooled.
func jsonColumns() []column {
	cols := make([]column, 0, len(decode.PlaybookColumns)+3)
	for _, c := range decode.PlaybookColumns {
		cols = append(cols, column{name: c.Name, typ: jsonSQLType(c.Type)})
	}
	return append(cols, column{name: "extra_fields", typ: "VARCHAR"},
		column{name: "source_id", typ: "INTEGER", notNull: true}, column{name: "source_line", typ: "BIGINT", notNull: true})
}

// JSONRecords returns the writer of the source's JSON records, which are
// spooled with the batch and loaded into jsonflows when it commits.
func (w *SourceWriter) JSONRecords() (*JSONWriter, error) {
	b := w.b
	if b.json == nil {
		p, err := newPQWriter(filepath.Join(b.dir, "jsonflows.parquet"), jsonColumns())
		if err != nil {
			return nil, fmt.Errorf("spool JSON records: %w", err)
		}
		b.json = p
	}
	return &JSONWriter{w: w, p: b.json}, nil
}

// Add stores one record: vals in decode.PlaybookColumns order (nil, string
// or int64), extra the JSON object of other keys or "".
func (j *JSONWriter) Add(line int64, vals []any, extra string) error {
	n := len(decode.PlaybookColumns)
	p := j.p
	for i, v := range vals[:n] {
		switch x := v.(type) {
		case int64:
			p.int(i, x)
		case string:
			p.bytes(i, []byte(x))
		default:
			p.null(i)
		}
	}
	if extra != "" {
		p.bytes(n, []byte(extra))
	} else {
		p.null(n)
	}
	p.int(n+1, j.w.id)
	p.int(n+2, line)
	if err := p.write(); err != nil {
		return fmt.Errorf("store JSON record of line %d: %w", line, err)
	}
	j.w.other = true
	j.w.b.records++
	j.w.records++
	return nil
}

// Close ends the source's JSON records (they are loaded at commit).
func (j *JSONWriter) Close() error { return nil }
