// Package output prints query results — rows of database values — as an
// aligned table for people, or as CSV, TSV, JSON or NDJSON for programs.
//
// Every flowir command that prints rows goes through this package, so that
// `--format` means the same thing everywhere and so that the properties
// incident responders depend on hold in one place:
//
//   - Numbers stay exact. Integers of any size (BIGINT, UBIGINT, HUGEINT as
//     *big.Int, DECIMAL) are written as plain integer or decimal literals, never
//     rounded through float64 and never in exponent form. A byte count of
//     9007199254740993 prints as 9007199254740993, not 9007199254740992.
//   - Times are RFC 3339 in UTC ("2024-05-01T12:00:00Z"), with fractional
//     seconds only when there are any, whatever the time zone of the process.
//   - Nothing is dropped silently: NULL is JSON null (and an empty field in the
//     text formats), bytes that are not UTF-8 are base64 encoded rather than
//     mangled, and values of unknown types are printed with fmt rather than
//     refused.
//   - The table never truncates a number or a time; it shortens only text
//     columns, and marks every shortened cell with "…". Control characters in
//     cells are shown escaped, so that a hostile string from the evidence
//     cannot rewrite the analyst's terminal or fake table rows.
//
// Machine formats are streamed row by row (see Writer), so a command can print
// millions of rows without holding a document in memory. The table has to see
// every row to size its columns, so it is buffered.
//
// The package also defines IOStreams, the standard input and output of a
// command, so commands can be driven from tests with in-memory buffers.
package output

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Format is an output format, as named on the command line by --format.
type Format string

// The output formats.
const (
	// FormatTable is an aligned, human-readable table; the default on a terminal.
	FormatTable Format = "table"
	// FormatCSV is RFC 4180 CSV with a header row.
	FormatCSV Format = "csv"
	// FormatTSV is tab-separated values with a header row; tabs, newlines,
	// carriage returns and backslashes inside values are escaped as \t, \n, \r
	// and \\ so that every line is one row (the "linear TSV" convention
	// understood by PostgreSQL COPY, DuckDB and cut/awk pipelines).
	FormatTSV Format = "tsv"
	// FormatJSON is one JSON array of objects keyed by column name.
	FormatJSON Format = "json"
	// FormatNDJSON is one JSON object per line (newline-delimited JSON).
	FormatNDJSON Format = "ndjson"
)

var formats = []Format{FormatTable, FormatCSV, FormatTSV, FormatJSON, FormatNDJSON}

// Formats returns the valid formats in the order help texts list them.
func Formats() []Format { return append([]Format(nil), formats...) }

// String returns the format's command-line name.
func (f Format) String() string { return string(f) }

// ParseFormat parses a --format value. It ignores case and surrounding space,
// and on error names every valid value so the user can fix the command line.
func ParseFormat(s string) (Format, error) {
	want := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, f := range formats {
		if f == want {
			return f, nil
		}
	}
	return "", fmt.Errorf("invalid output format %q: valid formats are %s", s, formatList())
}

func validFormat(f Format) bool {
	for _, v := range formats {
		if v == f {
			return true
		}
	}
	return false
}

func formatList() string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// Column describes one result column.
type Column struct {
	// Name is the column name; it is the table and CSV header and the JSON
	// object key.
	Name string
	// Type is the database type name as the driver reports it (BIGINT,
	// VARCHAR, TIMESTAMP, DECIMAL(18,3), INTEGER[], ...). It is informational
	// and may be empty; it refines how values are shown: numeric types are
	// right-aligned in the table, DATE and TIME values print as a date or a
	// time of day rather than a full timestamp, and a 16-byte UUID value prints
	// in its canonical text form.
	Type string
	// Kind says what the column holds, which decides in the table whether
	// it may be shortened and how it is aligned (see Kind). KindAuto, the
	// zero value, takes it from Type, then from the name (KindOf), then from
	// the values.
	Kind Kind
}

// Result is a complete query result.
//
// Row values are what database/sql yields when scanning into `any` with the
// DuckDB driver: nil, bool, the integer and float types, string, []byte,
// time.Time, *big.Int (HUGEINT, UHUGEINT), a decimal (any value implementing
// Numeric), []any (LIST, ARRAY), map[string]any (STRUCT) and map[any]any
// (MAP). Values implementing json.Marshaler or fmt.Stringer are printed
// through those methods; other maps, slices and structs as encoding/json
// encodes them (as JSON text in csv, tsv and table); anything else with
// fmt.Sprint.
type Result struct {
	Columns []Column
	Rows    [][]any
}

// Options adjust the output. The zero value is right for machine formats and
// for a table that is not going to a terminal.
type Options struct {
	// Width is the terminal width in columns. When it is positive, the table
	// shortens its widest text columns to fit; 0 means unlimited. Other
	// formats ignore it: machine output is never truncated.
	Width int
	// NoHeader omits the header line of the table, CSV and TSV formats.
	NoHeader bool
	// CSVSafe neutralises spreadsheet formulas in CSV and TSV, following
	// OWASP's CSV injection guidance: a text value (or column name) that
	// starts with = + - @, a tab, a carriage return, a line feed or NUL, or
	// with the full-width ＝ ＋ － ＠ some spreadsheets also read as formulas,
	// is written with a ' in front, so that a spreadsheet shows it as text
	// instead of running it (=cmd|'/c calc'!A1, +HYPERLINK(...)). Numbers are
	// never changed: a negative count is a number value, not text, and text
	// that is a plain decimal number (-5, +1.5e3) is left as it is, since a
	// spreadsheet reads it as that number. JSON and the table are never
	// changed by it.
	CSVSafe bool
	// Terminal says the output goes to a terminal: CSV and TSV then show
	// control characters, escape sequences and bidirectional overrides as
	// visible escapes (\x1b, \n, \u202e), as the table always does, so that
	// a hostile value from the evidence cannot rewrite the screen. Output to
	// a file or a pipe stays exact.
	Terminal bool
}

// Numeric is implemented by exact numbers that are neither Go integers nor
// floats, such as the DuckDB driver's Decimal, which this package does not
// import. If the value also has a String method returning a decimal literal
// (as duckdb.Decimal does), that text is printed, so DECIMAL values stay
// exact; otherwise the Float64 value is printed.
type Numeric interface {
	Float64() float64
}

// Write writes the whole result r to w in the given format. It checks that
// every row has one value per column before writing anything, so a malformed
// result produces an error rather than half a document.
func Write(w io.Writer, format Format, r *Result, opts Options) error {
	if r == nil {
		r = &Result{}
	}
	for i, row := range r.Rows {
		if len(row) != len(r.Columns) {
			return fmt.Errorf("output: row %d has %d values but the result has %d columns", i+1, len(row), len(r.Columns))
		}
	}
	ow, err := NewWriter(w, format, r.Columns, opts)
	if err != nil {
		return err
	}
	for _, row := range r.Rows {
		if err := ow.WriteRow(row); err != nil {
			return err
		}
	}
	return ow.Close()
}

// Writer writes a result row by row. Use it instead of Write when rows come
// from a database cursor, so that CSV, TSV, JSON and NDJSON output streams
// without the rows ever being held in memory together. A table is buffered
// until Close, because column widths depend on every row.
//
// Output is buffered; call Close to finish it. A Writer is not safe for
// concurrent use.
type Writer struct {
	format Format
	opts   Options
	cols   []colInfo

	out    *bufio.Writer
	csv    *csv.Writer // writes to out
	record []string    // reused CSV record
	buf    []byte      // reused value buffer

	keys  [][]byte // json: encoded `"name":` prefixes
	table *tableState

	rows   int
	closed bool
	err    error // sticky: the first error stops all output
}

// NewWriter returns a Writer for the given columns. For CSV and TSV it writes
// the header at once, so that an empty result still says what its columns
// are.
func NewWriter(w io.Writer, format Format, columns []Column, opts Options) (*Writer, error) {
	if !validFormat(format) {
		return nil, fmt.Errorf("invalid output format %q: valid formats are %s", string(format), formatList())
	}
	ow := &Writer{format: format, opts: opts, cols: make([]colInfo, len(columns))}
	for i, c := range columns {
		ow.cols[i] = newColInfo(c)
	}
	switch format {
	case FormatTable:
		ow.table = newTableState(ow.cols, w, opts)
	case FormatCSV:
		// csv.NewWriter reuses a large enough *bufio.Writer rather than
		// wrapping it, so the CSV writer and writeCSVRecord share ow.out.
		ow.out = bufio.NewWriterSize(w, 64<<10)
		ow.csv = csv.NewWriter(ow.out)
		ow.record = make([]string, len(columns))
		if !opts.NoHeader && len(columns) > 0 {
			for i, c := range columns {
				ow.record[i] = ow.textCell(c.Name, true)
			}
			ow.err = ow.writeCSVRecord()
		}
	case FormatTSV:
		ow.out = bufio.NewWriterSize(w, 64<<10)
		if !opts.NoHeader && len(columns) > 0 {
			b := ow.buf[:0]
			for i, c := range columns {
				if i > 0 {
					b = append(b, '\t')
				}
				b = ow.appendTSVCell(b, c.Name, true)
			}
			b = append(b, '\n')
			_, ow.err = ow.out.Write(b)
			ow.buf = b
		}
	case FormatJSON, FormatNDJSON:
		ow.out = bufio.NewWriterSize(w, 64<<10)
		ow.keys = jsonKeys(columns)
	}
	if ow.err != nil {
		return nil, ow.err
	}
	return ow, nil
}

// WriteRow writes one row, which must have one value per column.
func (ow *Writer) WriteRow(row []any) error {
	if ow.err != nil {
		return ow.err
	}
	if ow.closed {
		return fmt.Errorf("output: WriteRow called after Close")
	}
	if len(row) != len(ow.cols) {
		return fmt.Errorf("output: row %d has %d values but the result has %d columns", ow.rows+1, len(row), len(ow.cols))
	}
	ow.rows++
	var err error
	switch ow.format {
	case FormatTable:
		err = ow.table.add(row)
	case FormatCSV:
		err = ow.writeCSV(row)
	case FormatTSV:
		err = ow.writeTSV(row)
	case FormatJSON, FormatNDJSON:
		err = ow.writeJSON(row)
	}
	if err != nil {
		ow.err = err
	}
	return err
}

// Close finishes the output — the closing bracket of a JSON array, the whole
// of a table — and flushes it. It does not close the underlying io.Writer.
func (ow *Writer) Close() error {
	if ow.closed {
		return ow.err
	}
	ow.closed = true
	if ow.err != nil {
		return ow.err
	}
	var err error
	switch ow.format {
	case FormatTable:
		err = ow.table.render()
	case FormatCSV:
		ow.csv.Flush()
		err = ow.csv.Error()
	case FormatTSV:
		err = ow.out.Flush()
	case FormatJSON:
		if ow.rows == 0 {
			_, err = ow.out.WriteString("[]\n")
		} else {
			_, err = ow.out.WriteString("\n]\n")
		}
		if err == nil {
			err = ow.out.Flush()
		}
	case FormatNDJSON:
		err = ow.out.Flush()
	}
	ow.err = err
	return err
}

func (ow *Writer) writeCSV(row []any) error {
	if len(row) == 0 {
		return nil
	}
	for i, v := range row {
		b, err := appendText(ow.buf[:0], v, &ow.cols[i])
		if err != nil {
			return err
		}
		ow.record[i] = ow.textCell(string(b), isText(v))
		ow.buf = b
	}
	return ow.writeCSVRecord()
}

// writeCSVRecord writes ow.record. encoding/csv writes a record of one empty
// field as an empty line, which CSV readers (encoding/csv, pandas, DuckDB)
// skip: a one-column result would silently lose its NULL rows. Such a record
// is written as "" instead, which every reader takes as one empty field.
func (ow *Writer) writeCSVRecord() error {
	if len(ow.record) == 1 && ow.record[0] == "" {
		ow.csv.Flush()
		if err := ow.csv.Error(); err != nil {
			return err
		}
		_, err := ow.out.WriteString("\"\"\n")
		return err
	}
	return ow.csv.Write(ow.record)
}

func (ow *Writer) writeTSV(row []any) error {
	if len(row) == 0 {
		return nil
	}
	b := ow.buf[:0]
	var cell []byte
	for i, v := range row {
		if i > 0 {
			b = append(b, '\t')
		}
		var err error
		cell, err = appendText(cell[:0], v, &ow.cols[i])
		if err != nil {
			return err
		}
		b = ow.appendTSVCell(b, string(cell), isText(v))
	}
	b = append(b, '\n')
	ow.buf = b
	_, err := ow.out.Write(b)
	return err
}

// textCell is the CSV form of one cell's text s: neutralised when it is a
// text value and CSVSafe is set, and made safe to show when the output is a
// terminal.
func (ow *Writer) textCell(s string, text bool) string {
	if text && ow.opts.CSVSafe {
		s = neutraliseFormula(s)
	}
	if ow.opts.Terminal {
		s = sanitize(s)
	}
	return s
}

// appendTSVCell appends the TSV form of one cell's text s: as textCell, with
// TSV's escapes applied before the terminal's, so that a tab or newline in a
// value is \t or \n as in any TSV output.
func (ow *Writer) appendTSVCell(b []byte, s string, text bool) []byte {
	if text && ow.opts.CSVSafe {
		s = neutraliseFormula(s)
	}
	if !ow.opts.Terminal {
		return appendTSVEscaped(b, s)
	}
	return append(b, sanitize(string(appendTSVEscaped(nil, s)))...)
}

// neutraliseFormula puts a ' before text a spreadsheet would run as a
// formula (see Options.CSVSafe).
func neutraliseFormula(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0, '＝', '＋', '－', '＠':
	default:
		return s
	}
	if num := strings.TrimPrefix(s, "+"); isJSONNumber(num) && (num == s || num[0] != '-') {
		return s
	}
	return "'" + s
}

// appendTSVEscaped appends s with the characters that would break the TSV
// line structure escaped.
func appendTSVEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

func (ow *Writer) writeJSON(row []any) error {
	b := ow.buf[:0]
	if ow.format == FormatJSON {
		if ow.rows == 1 {
			b = append(b, "[\n"...)
		} else {
			b = append(b, ",\n"...)
		}
	}
	b = append(b, '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ow.keys[i]...)
		var err error
		b, err = appendJSON(b, v, &ow.cols[i], 0)
		if err != nil {
			return fmt.Errorf("output: row %d, column %q: %w", ow.rows, ow.cols[i].name, err)
		}
	}
	b = append(b, '}')
	if ow.format == FormatNDJSON {
		b = append(b, '\n')
	}
	ow.buf = b
	_, err := ow.out.Write(b)
	return err
}
