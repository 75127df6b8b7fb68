package output

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// colClass is how the table treats a column.
type colClass uint8

const (
	// classUnknown: decided from the values (see tableState).
	classUnknown colClass = iota
	// classNumber: right-aligned, never truncated.
	classNumber
	// classFixed: fixed-width values (times, booleans, UUIDs): left-aligned,
	// never truncated, because a shortened timestamp or UUID is misleading.
	classFixed
	// classText: left-aligned, may be shortened with "…" to fit the terminal.
	classText
)

// timeKind is how a time.Time value of a column is shown.
type timeKind uint8

const (
	timeStamp  timeKind = iota // RFC 3339 UTC timestamp
	timeDate                   // DATE: 2006-01-02
	timeOfDay                  // TIME: 15:04:05[.fraction]
	timeOfDayZ                 // TIMETZ: 15:04:05[.fraction]Z, converted to UTC
)

// colInfo is what the writers need to know about a column, derived once from
// its Column.
type colInfo struct {
	name  string
	kind  Kind     // as declared, or guessed from the name
	class colClass // from the kind or the type name; classUnknown if neither says
	time  timeKind
	uuid  bool
}

func newColInfo(c Column) colInfo {
	ci := colInfo{name: c.Name}
	ci.kind = c.Kind
	ci.typeClass(c.Type)
	if ci.kind == KindAuto {
		// The name refines a type that says only "number" or nothing:
		// bytes is a number, srcaddr a VARCHAR, but a VARCHAR[] of
		// addresses is a list, printed as text.
		switch k := KindOf(c.Name); {
		case k == KindBytes && ci.class != classText && ci.class != classFixed:
			ci.kind = k
		case (k == KindAddress || k == KindID) && ci.class == classUnknown:
			ci.kind = k
		}
	}
	if cl := ci.kind.class(); cl != classUnknown {
		ci.class = cl
	}
	return ci
}

// typeClass sets the class and time kind the database type name t says.
func (ci *colInfo) typeClass(t string) {
	t = strings.ToUpper(strings.TrimSpace(t))
	if strings.Contains(t, "[") {
		// A LIST or ARRAY such as DECIMAL(18,3)[] or INTEGER[3]: text.
		ci.class = classText
		return
	}
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i]) // DECIMAL(18,3), STRUCT(...), MAP(...)
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"INT", "INT1", "INT2", "INT4", "INT8", "INT16", "INT32", "INT64", "INT128",
		"FLOAT", "FLOAT4", "FLOAT8", "REAL", "DOUBLE", "DOUBLE PRECISION",
		"DECIMAL", "NUMERIC", "BIGNUM", "VARINT":
		ci.class = classNumber
	case "BOOLEAN", "BOOL", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP_S", "TIMESTAMP_MS",
		"TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE", "DATETIME":
		ci.class = classFixed
	case "DATE":
		ci.class, ci.time = classFixed, timeDate
	case "TIME":
		ci.class, ci.time = classFixed, timeOfDay
	case "TIMETZ", "TIME WITH TIME ZONE":
		ci.class, ci.time = classFixed, timeOfDayZ
	case "UUID":
		ci.class, ci.uuid = classFixed, true
	}
}

// valueClass is the table class a single non-nil value suggests, used when
// the column type does not say.
func valueClass(v any) colClass {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
		float32, float64, *big.Int, big.Int, json.Number, Numeric:
		return classNumber
	case bool, time.Time:
		return classFixed
	}
	return classText
}

// isText reports whether v is printed as text, not as a number, time or
// boolean: the values CSVSafe may change.
func isText(v any) bool { return v != nil && valueClass(v) == classText }

// maxDepth bounds the nesting of lists and structs, so that a value that
// contains itself produces an error instead of a stack overflow.
const maxDepth = 200

// appendText appends the text form of v used by the CSV, TSV and table
// formats: NULL is empty, numbers and times as in JSON, nested lists and
// structs as compact JSON (so that they can still be parsed).
func appendText(b []byte, v any, c *colInfo) ([]byte, error) {
	if nb, ok := appendInteger(b, v); ok {
		return nb, nil
	}
	switch x := v.(type) {
	case nil:
		return b, nil
	case string:
		return append(b, x...), nil
	case []byte:
		return appendBytesText(b, x, c), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float32:
		return appendFloatText(b, float64(x), 32), nil
	case float64:
		return appendFloatText(b, x, 64), nil
	case time.Time:
		return appendTime(b, x, c.time), nil
	case *big.Int:
		if x == nil {
			return b, nil
		}
		return x.Append(b, 10), nil
	case big.Int:
		return x.Append(b, 10), nil
	case json.Number:
		return append(b, x...), nil
	case []any, []string, map[string]any, map[any]any:
		return appendJSON(b, x, &colInfo{}, 0)
	case Numeric:
		if s, ok := callString(x); ok {
			return append(b, s...), nil
		}
		if f, ok := callFloat64(x); ok {
			return appendFloatText(b, f, 64), nil
		}
		return fmt.Append(b, x), nil
	case fmt.Stringer:
		if s, ok := callString(x); ok {
			return append(b, s...), nil
		}
		return fmt.Append(b, x), nil
	}
	if encodable(v) {
		return appendJSON(b, v, &colInfo{}, 0)
	}
	return fmt.Append(b, v), nil
}

// appendBytesText appends a BLOB (or UUID) value: UTF-8 text as is, other
// bytes base64 encoded, because writing raw bytes would corrupt the CSV or
// JSON document and lose data.
func appendBytesText(b, x []byte, c *colInfo) []byte {
	if c.uuid && len(x) == 16 {
		return appendUUID(b, x)
	}
	if utf8.Valid(x) {
		return append(b, x...)
	}
	return base64.StdEncoding.AppendEncode(b, x)
}

// appendUUID appends the canonical 8-4-4-4-12 form of a 16-byte UUID. The
// DuckDB driver scans UUID columns into []byte.
func appendUUID(b, u []byte) []byte {
	const hex = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return b
}

// appendTime appends t as RFC 3339 in UTC, with fractional seconds only when
// they are not zero (time.RFC3339Nano drops trailing zeros). DATE and TIME
// columns keep their wall-clock value: converting a date to UTC could move it
// to the previous day.
func appendTime(b []byte, t time.Time, k timeKind) []byte {
	switch k {
	case timeDate:
		return t.AppendFormat(b, "2006-01-02")
	case timeOfDay:
		return t.AppendFormat(b, "15:04:05.999999999")
	case timeOfDayZ:
		return t.UTC().AppendFormat(b, "15:04:05.999999999Z07:00")
	}
	return t.UTC().AppendFormat(b, time.RFC3339Nano)
}

// appendFloat appends the shortest decimal that reads back as the same
// float (strconv precision -1) in plain notation, switching to exponent
// notation only for magnitudes below 1e-6 or from 1e21 on, the JavaScript and
// encoding/json convention. Plain strconv 'g' would print an average of
// 1234567.5 bytes as 1.2345675e+06, which is exact but hard to read in a
// report. f must be finite.
func appendFloat(b []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	if bits == 32 {
		abs = float64(float32(abs))
	}
	if abs == 0 || (abs >= 1e-6 && abs < 1e21) {
		return strconv.AppendFloat(b, f, 'f', -1, bits)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'e', -1, bits)
	// strconv writes at least two exponent digits (1e-07); one is enough.
	if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-2] == '0' {
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b
}

// appendFloatText is appendFloat for the text formats, which also have to
// show NaN and the infinities; the spellings are the ones DuckDB, PostgreSQL,
// Python and JavaScript all read back.
func appendFloatText(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return appendFloat(b, f, bits)
}

// callString calls v.String, reporting false if v has no String method or
// the method panics (duckdb.Decimal's does when its Value is nil).
func callString(v any) (s string, ok bool) {
	st, isStringer := v.(fmt.Stringer)
	if !isStringer {
		return "", false
	}
	defer func() {
		if recover() != nil {
			s, ok = "", false
		}
	}()
	return st.String(), true
}

// callFloat64 calls n.Float64, reporting false if it panics.
func callFloat64(n Numeric) (f float64, ok bool) {
	defer func() {
		if recover() != nil {
			f, ok = 0, false
		}
	}()
	return n.Float64(), true
}

// isJSONNumber reports whether s is a number literal in the JSON grammar,
// so that a decimal's own text can be written without quotes.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendInteger appends v in decimal when it is one of Go's integer types,
// the same in every format, and reports whether it was one.
func appendInteger(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int8:
		return strconv.AppendInt(b, int64(x), 10), true
	case int16:
		return strconv.AppendInt(b, int64(x), 10), true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	}
	return b, false
}
