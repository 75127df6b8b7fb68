package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/flowir/flowir/internal/flow"
)

// ParquetReader reads the rows of an AWS flow log Parquet file (reference
// §3.1: one column per field, named with '_' for '-', INT32 or INT64
// integers, strings; Snappy or Gzip, which DuckDB's reader handles alike).
// Each row is handed over as the text line AWS would have written for it
// in Format's order (NULL as "-"), so that rows go through the same decoder,
// with the same validation and rejects, as text lines: a row is a line, and
// lines = records + rejects holds for Parquet too.
//
// Columns that are not flow log fields are kept as unknown fields (they end
// in extra_fields), except the partition columns of Hive-style writers
// (aws-account-id, aws-region, year/month/day, hour, and flowir's own
// account_partition, ...): those give the source's partition values when
// every row agrees (see Partition).
type ParquetReader struct {
	Path   string
	format flow.Format
	// Partition holds the values the file's own partition columns give
	// ("" where the file has none, or its rows disagree: Note says so);
	// the path's values apply where they are "".
	Partition [4]string // account, region, date (YYYY/MM/DD), hour
	// Note says what the source's notes should: partition columns not
	// used, and columns of another type than AWS writes that were
	// converted (an integer account_id, a TIMESTAMP start, ...).
	Note  string
	ncols int
	names []string
	rows  *sql.Rows
	cell  sql.NullString
	Rows  int64
}

// ParquetRow is one row: Line is the rendered text line (valid until the
// next call), or, when a value cannot be rendered as a flow log token (an
// empty string, or one holding whitespace or control characters), BadColumn
// names the column and Line shows the row with the value as read.
type ParquetRow struct {
	Line      []byte
	BadColumn string
	BadDetail string
}

// partitionColumns maps the (normalised) names of partition columns to the
// partition they give: 0 account, 1 region, 2 date, 3 hour; 4 is the
// service, 5/6/7 year/month/day.
var partitionColumns = map[string]int{
	"aws-account-id": 0, "account-partition": 0,
	"aws-region": 1, "region-partition": 1,
	"date-partition": 2,
	"hour":           3, "hour-partition": 3,
	"aws-service": 4, "service": 4,
	"year": 5, "month": 6, "day": 7,
}

// parquetIntTypes are the DuckDB types of Parquet integer columns.
var parquetIntTypes = map[string]bool{"TINYINT": true, "SMALLINT": true, "INTEGER": true, "BIGINT": true, "HUGEINT": true,
	"UTINYINT": true, "USMALLINT": true, "UINTEGER": true, "UBIGINT": true, "UHUGEINT": true}

// OpenParquet opens a Parquet file for reading its flow log rows. A file
// that is not readable Parquet, or whose columns are not flow log fields of
// the types AWS writes, is an error that says which column is wrong and why.
func (c *Case) OpenParquet(ctx context.Context, path string) (*ParquetReader, error) {
	arg, err := fileArg(path)
	if err != nil {
		return nil, err
	}
	src := "read_parquet(" + arg + ", hive_partitioning = false)"
	rows, err := c.db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	type col struct{ name, typ, norm string }
	var cols []col
	for rows.Next() {
		var k col
		if err := rows.Scan(&k.name, &k.typ); err != nil {
			rows.Close()
			return nil, err
		}
		k.norm = strings.ReplaceAll(strings.ToLower(k.name), "_", "-")
		cols = append(cols, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	const expect = "flowir reads AWS's flow log Parquet: one column per flow log field, named with '_' for '-' (srcaddr, account_id, log_status, ...), integers as INT32 or INT64, the rest as strings"
	p := &ParquetReader{Path: path}
	var render, partExpr []string
	var partKind []int
	known, seen := 0, map[string]bool{}
	for _, k := range cols {
		if strings.ContainsAny(k.typ, "([") || strings.HasSuffix(k.typ, "]") {
			return nil, fmt.Errorf("%s: unexpected Parquet schema: column %q is %s, a nested type; %s", path, k.name, k.typ, expect)
		}
		if seen[k.norm] {
			return nil, fmt.Errorf("%s: unexpected Parquet schema: columns %q and another one both name the field %s", path, k.name, k.norm)
		}
		seen[k.norm] = true
		q := Quote(k.name)
		if pk, ok := partitionColumns[k.norm]; ok {
			if _, isField := flow.Lookup(k.norm); !isField {
				partKind = append(partKind, pk)
				partExpr = append(partExpr, q)
				continue
			}
		}
		id, ok := flow.Lookup(k.norm)
		expr := "CAST(" + q + " AS VARCHAR)"
		// Other tools write some fields with another type than AWS does.
		// Where the value converts without loss it is read (and the notes
		// say so); every value still goes through the decoder's checks,
		// so a row whose converted value is not what the field holds is a
		// reject. Any other type is refused for the whole file.
		switch {
		case ok && (flow.Get(id).Kind == flow.KindInt32 || flow.Get(id).Kind == flow.KindInt64):
			switch {
			case parquetIntTypes[k.typ]:
			case k.typ == "VARCHAR":
				p.addNote(fmt.Sprintf("column %s is a string where AWS writes an integer: its values are read as text and checked as integers", k.name))
			case (id == flow.Start || id == flow.End) && strings.HasPrefix(k.typ, "TIMESTAMP"):
				// Whole seconds become Unix seconds; a fraction of a second
				// is left in the text, which the decoder rejects.
				expr = "CASE WHEN epoch_us(" + q + ") % 1000000 = 0 THEN CAST(epoch_us(" + q + ") // 1000000 AS VARCHAR) ELSE CAST(" + q + " AS VARCHAR) END"
				p.addNote(fmt.Sprintf("column %s is %s where AWS writes Unix seconds: read as Unix seconds (a TIMESTAMP without time zone as UTC)", k.name, k.typ))
			default:
				return nil, fmt.Errorf("%s: unexpected Parquet schema: column %q (flow log field %s) is %s, where AWS writes an INT32 or INT64 integer (flowir also reads it as a string, and start/end as a TIMESTAMP); %s", path, k.name, k.norm, k.typ, expect)
			}
			known++
		case ok:
			switch {
			case k.typ == "VARCHAR" || k.typ == "BLOB":
			case flow.Get(id).Class == flow.ClassAccount && parquetIntTypes[k.typ]:
				// An account id is 12 digits, leading zeros included; an
				// integer column lost them, and they are put back. A value
				// outside 0..999999999999 stays as it is: a reject.
				expr = "CASE WHEN " + q + " BETWEEN 0 AND 999999999999 THEN lpad(CAST(" + q + " AS VARCHAR), 12, '0') ELSE CAST(" + q + " AS VARCHAR) END"
				p.addNote(fmt.Sprintf("column %s is %s where AWS writes a string: read as 12-digit account ids, zero-padded", k.name, k.typ))
			default:
				return nil, fmt.Errorf("%s: unexpected Parquet schema: column %q (flow log field %s) is %s, where AWS writes a string (flowir also reads an integer account id column, zero-padded to 12 digits); %s", path, k.name, k.norm, k.typ, expect)
			}
			known++
		default:
			if _, err := flow.ParseFormat(k.norm); err != nil {
				return nil, fmt.Errorf("%s: unexpected Parquet schema: column %q cannot be kept as an extra field (%v); %s", path, k.name, err, expect)
			}
		}
		p.names = append(p.names, k.name)
		p.format.Cols = append(p.format.Cols, flow.Column{Name: k.norm, ID: id, Known: ok})
		render = append(render, "coalesce("+expr+", '-')")
	}
	if known == 0 {
		names := make([]string, len(cols))
		for i, k := range cols {
			names[i] = k.name
		}
		return nil, fmt.Errorf("%s: unexpected Parquet schema: none of its columns (%s) is a flow log field; %s", path, clipList(names), expect)
	}
	if err := p.partitions(ctx, c, src, partKind, partExpr); err != nil {
		return nil, err
	}
	p.ncols = len(render)
	// chr(31), the unit separator, cannot occur in a valid value; a value
	// holding it is found by the field count.
	p.rows, err = c.db.QueryContext(ctx, "SELECT concat_ws(chr(31), "+strings.Join(render, ", ")+") FROM "+src)
	if err != nil {
		return nil, fmt.Errorf("%s: read Parquet rows: %w", path, err)
	}
	return p, nil
}

// partitions reads the file's own partition columns, when it has any.
func (p *ParquetReader) partitions(ctx context.Context, c *Case, src string, kinds []int, exprs []string) error {
	if len(kinds) == 0 {
		return nil
	}
	var sel []string
	for i, e := range exprs {
		v := "CAST(" + e + " AS VARCHAR)"
		if kinds[i] >= 5 || kinds[i] == 3 {
			v = "lpad(" + v + ", 2, '0')"
		}
		if kinds[i] == 5 {
			v = "lpad(CAST(" + e + " AS VARCHAR), 4, '0')"
		}
		sel = append(sel, "count(DISTINCT "+v+")", "min("+v+")")
	}
	vals := make([]any, 2*len(kinds))
	counts := make([]int64, len(kinds))
	strs := make([]sql.NullString, len(kinds))
	for i := range kinds {
		vals[2*i], vals[2*i+1] = &counts[i], &strs[i]
	}
	if err := c.db.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+src).Scan(vals...); err != nil {
		return fmt.Errorf("%s: read partition columns: %w", p.Path, err)
	}
	var ymd [3]string
	for i, k := range kinds {
		if counts[i] > 1 {
			p.addNote(fmt.Sprintf("column %s holds %d different values; the partition values of the path are used", exprs[i], counts[i]))
			continue
		}
		if !strs[i].Valid {
			continue
		}
		switch {
		case k <= 3:
			p.Partition[k] = strs[i].String
		case k >= 5:
			ymd[k-5] = strs[i].String
		}
	}
	if p.Partition[2] == "" && ymd[0] != "" && ymd[1] != "" && ymd[2] != "" {
		p.Partition[2] = ymd[0] + "/" + ymd[1] + "/" + ymd[2]
	}
	// A value of another shape than AWS's layout has is not used: it would
	// be stored with every record as the account, Region or day they came
	// from.
	for i, ok := range []func(string) bool{flow.ValidAccount, flow.ValidRegion, flow.ValidDate, flow.ValidHour} {
		if v := p.Partition[i]; v != "" && !ok(v) {
			what := [4]string{"an account id (12 digits)", "a Region name", "a date (yyyy/MM/dd, from year/month/day)", "an hour (00 to 23)"}[i]
			p.addNote(fmt.Sprintf("the file's partition columns give %q, which is not %s; it is not used (the path's partition values apply)", clip(v), what))
			p.Partition[i] = ""
		}
	}
	return nil
}

// addNote adds a sentence to Note.
func (p *ParquetReader) addNote(s string) {
	if p.Note != "" {
		p.Note += "; "
	}
	p.Note += s
}

// clip shortens a value quoted in a note.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	b := s[:61]
	for !utf8.ValidString(b) {
		b = b[:len(b)-1]
	}
	return b + "..."
}

func clipList(s []string) string {
	if len(s) > 8 {
		s = append(s[:8:8], "...")
	}
	return strings.Join(s, ", ")
}

// Format is the record format of the rendered lines: the file's columns in
// order, by their hyphenated field names.
func (p *ParquetReader) Format() flow.Format { return p.format }

// Next returns the next row, io.EOF after the last.
func (p *ParquetReader) Next(r *ParquetRow) error {
	if !p.rows.Next() {
		if err := p.rows.Err(); err != nil {
			return fmt.Errorf("%s: after row %d: %w", p.Path, p.Rows, err)
		}
		return io.EOF
	}
	if err := p.rows.Scan(&p.cell); err != nil {
		return fmt.Errorf("%s: row %d: %w", p.Path, p.Rows+1, err)
	}
	p.Rows++
	b := append(r.Line[:0], p.cell.String...)
	r.BadColumn, r.BadDetail = "", ""
	vals := bytes.Split(b, []byte{31})
	if len(vals) != p.ncols {
		r.BadColumn, r.BadDetail = "?", "a value holds a control character (0x1f)"
	} else {
		for i, v := range vals {
			if len(v) == 0 {
				r.BadColumn, r.BadDetail = p.names[i], "an empty string"
				break
			}
			if bytes.IndexFunc(v, func(c rune) bool { return c <= ' ' || c == 0x7f }) >= 0 {
				r.BadColumn, r.BadDetail = p.names[i], "a value holding whitespace or a control character"
				break
			}
		}
	}
	for i := range b {
		if b[i] == 31 {
			b[i] = ' '
		}
	}
	r.Line = b
	return nil
}

// Close releases the file.
func (p *ParquetReader) Close() error {
	if p.rows == nil {
		return nil
	}
	err := p.rows.Close()
	p.rows = nil
	return err
}
