package output

import "io"

// Field is one column of a Table: its name, what it holds, and how the value
// is read from a row. Alignment and shortening follow from the kind (see
// Kind): numbers and byte counts are right-aligned, addresses, ids, numbers
// and times are never shortened, free text gives way first. A declaration
// therefore cannot ask for a cut address or a left-aligned count.
type Field[T any] struct {
	// Name is the column name: the table and CSV header, the JSON key.
	Name string
	// Kind is what the column holds; KindAuto guesses it from Type and Name.
	Kind Kind
	// Type is the database type the values have (BIGINT, TIMESTAMP,
	// VARCHAR[]): it decides how times print and that a list is text.
	Type string
	// Value returns the cell of the row: nil for NULL.
	Value func(T) any
}

// Table declares a printed table once: its columns in order, each with the
// value it takes from a row of type T. A command keeps one Table per kind
// of row it prints, so the header, the kinds and the values cannot drift
// apart as they do in a column list beside positional rows.
type Table[T any] []Field[T]

// Columns returns the table's columns as Write takes them.
func (t Table[T]) Columns() []Column {
	cols := make([]Column, len(t))
	for i, f := range t {
		cols[i] = Column{Name: f.Name, Type: f.Type, Kind: f.Kind}
	}
	return cols
}

// Row returns the values of r, one per column.
func (t Table[T]) Row(r T) []any {
	row := make([]any, len(t))
	for i, f := range t {
		row[i] = f.Value(r)
	}
	return row
}

// Result returns rows as a Result of the table's columns.
func (t Table[T]) Result(rows []T) *Result {
	res := &Result{Columns: t.Columns(), Rows: make([][]any, 0, len(rows))}
	for _, r := range rows {
		res.Rows = append(res.Rows, t.Row(r))
	}
	return res
}

// Write prints rows in the given format.
func (t Table[T]) Write(w io.Writer, format Format, rows []T, opts Options) error {
	return Write(w, format, t.Result(rows), opts)
}
