package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// testDecimal mimics duckdb.Decimal (Width, Scale, Value *big.Int with
// Float64 and String methods) without importing the driver.
type testDecimal struct {
	Width, Scale uint8
	Value        *big.Int
}

func (d testDecimal) Float64() float64 {
	f, _ := new(big.Rat).SetFrac(d.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)).Float64()
	return f
}

func (d testDecimal) String() string {
	s := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	if d.Scale == 0 {
		return sign + s
	}
	for len(s) <= int(d.Scale) {
		s = "0" + s
	}
	// Like duckdb.Decimal.String, drop trailing fractional zeros.
	frac := strings.TrimRight(s[len(s)-int(d.Scale):], "0")
	if frac == "" {
		return sign + s[:len(s)-int(d.Scale)]
	}
	return sign + s[:len(s)-int(d.Scale)] + "." + frac
}

func dec(s string, scale uint8) testDecimal {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return testDecimal{Width: 38, Scale: scale, Value: v}
}

// floatOnly is a Numeric without a String method.
type floatOnly float64

func (f floatOnly) Float64() float64 { return float64(f) }

// nanDecimal has a String that is not a JSON number.
type nanDecimal struct{}

func (nanDecimal) Float64() float64 { return math.NaN() }
func (nanDecimal) String() string   { return "NaN" }

// panicDecimal panics in String, as duckdb.Decimal does with a nil Value.
type panicDecimal struct{}

func (panicDecimal) Float64() float64 { return 1.5 }
func (panicDecimal) String() string   { panic("nil value") }

type stringer struct{}

func (stringer) String() string { return "from String" }

type marshaler struct{}

func (marshaler) MarshalJSON() ([]byte, error) { return []byte("{ \"k\" :\n [1, 2] }"), nil }
func (marshaler) String() string               { return "marshaler" }

type plain struct {
	A int
	B string
}

func bigInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

type valueCase struct {
	name  string
	typ   string // Column.Type
	v     any
	text  string // CSV field and table cell before escaping
	table string // table cell, if it differs from text
	json  string // JSON value
}

func valueCases() []valueCase {
	uuid := []byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	utc := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	cest := time.FixedZone("CEST", 2*3600)
	return []valueCase{
		{name: "nil", typ: "BIGINT", v: nil, text: "", json: "null"},
		{name: "nil untyped", v: nil, text: "", json: "null"},
		{name: "true", typ: "BOOLEAN", v: true, text: "true", json: "true"},
		{name: "false", v: false, text: "false", json: "false"},
		{name: "int8", typ: "TINYINT", v: int8(-128), text: "-128", json: "-128"},
		{name: "int16", typ: "SMALLINT", v: int16(-32768), text: "-32768", json: "-32768"},
		{name: "int32", typ: "INTEGER", v: int32(-2147483648), text: "-2147483648", json: "-2147483648"},
		{name: "int64 min", typ: "BIGINT", v: int64(math.MinInt64), text: "-9223372036854775808", json: "-9223372036854775808"},
		{name: "int64 beyond float53", typ: "BIGINT", v: int64(9007199254740993), text: "9007199254740993", json: "9007199254740993"},
		{name: "int", v: 42, text: "42", json: "42"},
		{name: "uint8", typ: "UTINYINT", v: uint8(255), text: "255", json: "255"},
		{name: "uint16", typ: "USMALLINT", v: uint16(65535), text: "65535", json: "65535"},
		{name: "uint32", typ: "UINTEGER", v: uint32(4294967295), text: "4294967295", json: "4294967295"},
		{name: "uint64 max", typ: "UBIGINT", v: uint64(math.MaxUint64), text: "18446744073709551615", json: "18446744073709551615"},
		{name: "uint", v: uint(7), text: "7", json: "7"},
		{name: "float32", typ: "FLOAT", v: float32(0.1), text: "0.1", json: "0.1"},
		{name: "float64", typ: "DOUBLE", v: 0.1, text: "0.1", json: "0.1"},
		{name: "float64 integral", typ: "DOUBLE", v: 3.0, text: "3", json: "3"},
		{name: "float64 million", typ: "DOUBLE", v: 1234567.5, text: "1234567.5", json: "1234567.5"},
		{name: "float64 large plain", typ: "DOUBLE", v: 1.2345678901234568e+20, text: "123456789012345680000", json: "123456789012345680000"},
		{name: "float64 1e21", typ: "DOUBLE", v: 1e21, text: "1e+21", json: "1e+21"},
		{name: "float64 tiny", typ: "DOUBLE", v: 1e-7, text: "1e-7", json: "1e-7"},
		{name: "float64 small plain", typ: "DOUBLE", v: 0.000001, text: "0.000001", json: "0.000001"},
		{name: "float64 negative zero", typ: "DOUBLE", v: math.Copysign(0, -1), text: "-0", json: "-0"},
		{name: "float64 NaN", typ: "DOUBLE", v: math.NaN(), text: "NaN", json: "null"},
		{name: "float64 +Inf", typ: "DOUBLE", v: math.Inf(1), text: "Infinity", json: "null"},
		{name: "float32 -Inf", typ: "FLOAT", v: float32(math.Inf(-1)), text: "-Infinity", json: "null"},
		{name: "string", typ: "VARCHAR", v: "10.0.0.1", text: "10.0.0.1", json: `"10.0.0.1"`},
		{name: "string ipv6", typ: "VARCHAR", v: "2001:db8::ff00:42:8329", text: "2001:db8::ff00:42:8329", json: `"2001:db8::ff00:42:8329"`},
		{name: "string empty", typ: "VARCHAR", v: "", text: "", json: `""`},
		{name: "string csv specials", typ: "VARCHAR", v: "a,\"b\"\nc", text: "a,\"b\"\nc", table: `a,"b"\nc`, json: `"a,\"b\"\nc"`},
		{name: "string controls", v: "x\x1b[2J\ty\r\x00", text: "x\x1b[2J\ty\r\x00", table: `x\x1b[2J\ty\r\x00`, json: `"x\u001b[2J\ty\r\u0000"`},
		{name: "string bidi override", v: "exe.\u202etxt", text: "exe.\u202etxt", table: `exe.\u202etxt`, json: `"exe.\u202etxt"`},
		{name: "string C1 CSI", v: "a\u009b31mb", text: "a\u009b31mb", table: `a\u009b31mb`, json: `"a\u009b31mb"`},
		{name: "string DEL", v: "a\x7fb", text: "a\x7fb", table: `a\x7fb`, json: `"a\u007fb"`},
		{name: "string line separator", v: "a\u2028b", text: "a\u2028b", json: `"a\u2028b"`},
		{name: "string invalid utf8", v: "a\xffb", text: "a\xffb", table: `a\xffb`, json: `"a\ufffdb"`},
		{name: "string unicode", v: "café 日本 🎉", text: "café 日本 🎉", json: `"café 日本 🎉"`},
		{name: "string html", v: "<a href='x'>&</a>", text: "<a href='x'>&</a>", json: `"<a href='x'>&</a>"`},
		{name: "bytes utf8", typ: "BLOB", v: []byte("hello"), text: "hello", json: `"hello"`},
		{name: "bytes binary", typ: "BLOB", v: []byte{0xff, 0x00, 0x10}, text: "/wAQ", json: `"/wAQ"`},
		{name: "uuid", typ: "UUID", v: uuid, text: "123e4567-e89b-12d3-a456-426614174000", json: `"123e4567-e89b-12d3-a456-426614174000"`},
		{name: "uuid bytes untyped", typ: "BLOB", v: uuid, text: "Ej5FZ+ibEtOkVkJmFBdAAA==", json: `"Ej5FZ+ibEtOkVkJmFBdAAA=="`},
		{name: "timestamp", typ: "TIMESTAMP", v: utc, text: "2024-05-01T12:30:00Z", json: `"2024-05-01T12:30:00Z"`},
		{name: "timestamp other zone", typ: "TIMESTAMPTZ", v: time.Date(2024, 5, 1, 14, 30, 0, 0, cest), text: "2024-05-01T12:30:00Z", json: `"2024-05-01T12:30:00Z"`},
		{name: "timestamp millis", typ: "TIMESTAMP", v: utc.Add(123 * time.Millisecond), text: "2024-05-01T12:30:00.123Z", json: `"2024-05-01T12:30:00.123Z"`},
		{name: "timestamp nanos", typ: "TIMESTAMP_NS", v: utc.Add(1), text: "2024-05-01T12:30:00.000000001Z", json: `"2024-05-01T12:30:00.000000001Z"`},
		{name: "timestamp untyped", v: utc, text: "2024-05-01T12:30:00Z", json: `"2024-05-01T12:30:00Z"`},
		{name: "date", typ: "DATE", v: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), text: "2024-05-01", json: `"2024-05-01"`},
		{name: "date local midnight", typ: "DATE", v: time.Date(2024, 5, 1, 0, 0, 0, 0, cest), text: "2024-05-01", json: `"2024-05-01"`},
		{name: "time", typ: "TIME", v: time.Date(1, 1, 1, 23, 59, 1, 500000000, time.UTC), text: "23:59:01.5", json: `"23:59:01.5"`},
		{name: "timetz", typ: "TIMETZ", v: time.Date(1, 1, 1, 14, 0, 0, 0, cest), text: "12:00:00Z", json: `"12:00:00Z"`},
		{name: "hugeint", typ: "HUGEINT", v: bigInt("170141183460469231731687303715884105727"), text: "170141183460469231731687303715884105727", json: "170141183460469231731687303715884105727"},
		{name: "hugeint negative", typ: "HUGEINT", v: bigInt("-170141183460469231731687303715884105728"), text: "-170141183460469231731687303715884105728", json: "-170141183460469231731687303715884105728"},
		{name: "hugeint nil pointer", typ: "HUGEINT", v: (*big.Int)(nil), text: "", json: "null"},
		{name: "big.Int value", v: *bigInt("9007199254740993"), text: "9007199254740993", json: "9007199254740993"},
		{name: "decimal", typ: "DECIMAL(18,3)", v: dec("12345678", 3), text: "12345.678", json: "12345.678"},
		{name: "decimal negative small", typ: "DECIMAL(18,3)", v: dec("-5", 3), text: "-0.005", json: "-0.005"},
		{name: "decimal 38 digits", typ: "DECIMAL(38,12)", v: dec("12345678901234567890123456789012345678", 12), text: "12345678901234567890123456.789012345678", json: "12345678901234567890123456.789012345678"},
		{name: "numeric float only", v: floatOnly(2.5), text: "2.5", json: "2.5"},
		{name: "numeric NaN text", v: nanDecimal{}, text: "NaN", json: "null"},
		{name: "numeric panicking String", v: panicDecimal{}, text: "1.5", json: "1.5"},
		{name: "json.Number", v: json.Number("123456789012345678901234567890"), text: "123456789012345678901234567890", json: "123456789012345678901234567890"},
		{name: "json.Number invalid", v: json.Number("12abc"), text: "12abc", json: `"12abc"`},
		{name: "netip.Addr", v: netip.MustParseAddr("2001:db8::1"), text: "2001:db8::1", json: `"2001:db8::1"`},
		{name: "stringer", v: stringer{}, text: "from String", json: `"from String"`},
		{name: "json marshaler", v: marshaler{}, text: "marshaler", json: `{"k":[1,2]}`},
		{name: "unknown struct", v: plain{1, "x"}, text: `{"A":1,"B":"x"}`, json: `{"A":1,"B":"x"}`},
		{name: "unknown map", v: map[string]int64{"b": 2, "a&<": 1}, text: `{"a&<":1,"b":2}`, json: `{"a&<":1,"b":2}`},
		{name: "unknown slice in a struct", typ: "STRUCT(h INTEGER[])", v: map[string]any{"h": []int{3, 1}}, text: `{"h":[3,1]}`, json: `{"h":[3,1]}`},
		{name: "list", typ: "VARCHAR[]", v: []any{int64(1), "a,b", nil, []any{true, 2.5}}, text: `[1,"a,b",null,[true,2.5]]`, json: `[1,"a,b",null,[true,2.5]]`},
		{name: "list of big", typ: "HUGEINT[]", v: []any{bigInt("9007199254740993")}, text: "[9007199254740993]", json: "[9007199254740993]"},
		{name: "list of times", typ: "TIMESTAMP[]", v: []any{utc}, text: `["2024-05-01T12:30:00Z"]`, json: `["2024-05-01T12:30:00Z"]`},
		{name: "list empty", typ: "INTEGER[]", v: []any{}, text: "[]", json: "[]"},
		{name: "string slice", v: []string{"a", "b\"c"}, text: `["a","b\"c"]`, json: `["a","b\"c"]`},
		{name: "struct", typ: "STRUCT(b INTEGER, a VARCHAR)", v: map[string]any{"b": int32(1), "a": "x"}, text: `{"a":"x","b":1}`, json: `{"a":"x","b":1}`},
		{name: "map", typ: "MAP(INTEGER, VARCHAR)", v: map[any]any{int32(2): "two", int32(1): "one"}, text: `{"1":"one","2":"two"}`, json: `{"1":"one","2":"two"}`},
	}
}

var tsvEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// writeOne writes a one-column, one-row result in format f.
func writeOne(t *testing.T, f Format, typ string, v any) string {
	t.Helper()
	var buf bytes.Buffer
	r := &Result{Columns: []Column{{Name: "v", Type: typ}}, Rows: [][]any{{v}}}
	if err := Write(&buf, f, r, Options{}); err != nil {
		t.Fatalf("Write %s: %v", f, err)
	}
	return buf.String()
}

func TestValuesEveryFormat(t *testing.T) {
	for _, tc := range valueCases() {
		t.Run(tc.name, func(t *testing.T) {
			// CSV: parse the output back; the field must be the text form.
			got := writeOne(t, FormatCSV, tc.typ, tc.v)
			recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
			if err != nil {
				t.Fatalf("csv output %q does not parse: %v", got, err)
			}
			if len(recs) != 2 || len(recs[1]) != 1 || recs[1][0] != tc.text {
				t.Errorf("csv: got records %q from %q, want [[v] [%q]]", recs, got, tc.text)
			}

			got = writeOne(t, FormatTSV, tc.typ, tc.v)
			if want := "v\n" + tsvEscaper.Replace(tc.text) + "\n"; got != want {
				t.Errorf("tsv: got %q, want %q", got, want)
			}

			got = writeOne(t, FormatTable, tc.typ, tc.v)
			lines := strings.Split(got, "\n")
			wantCell := tc.text
			if tc.table != "" {
				wantCell = tc.table
			}
			if len(lines) != 3 || lines[2] != "" || strings.TrimSpace(lines[1]) != wantCell {
				t.Errorf("table: got %q, want cell %q", got, wantCell)
			}

			got = writeOne(t, FormatJSON, tc.typ, tc.v)
			if want := "[\n{\"v\":" + tc.json + "}\n]\n"; got != want {
				t.Errorf("json: got %q, want %q", got, want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("json: output is not valid JSON: %q", got)
			}

			got = writeOne(t, FormatNDJSON, tc.typ, tc.v)
			if want := "{\"v\":" + tc.json + "}\n"; got != want {
				t.Errorf("ndjson: got %q, want %q", got, want)
			}
		})
	}
}

// TestJSONStringsRoundTrip checks that every string, however strange, comes
// back from encoding/json as it went in (invalid UTF-8 aside).
func TestJSONStringsRoundTrip(t *testing.T) {
	var all []rune
	for r := rune(0); r < 0x300; r++ {
		all = append(all, r)
	}
	all = append(all, 0x2028, 0x2029, 0x202e, 0xfeff, 0x1f600)
	inputs := []string{"", `"`, `\`, `\"`, "\u007f", string(all), "</script>"}
	for _, s := range inputs {
		b := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if back != s {
			t.Errorf("round trip of %q gave %q", s, back)
		}
	}
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "-0.005": true, "1e9": true,
		"1E+9": true, "2.5e-3": true, "": false, "-": false, "01": false, "1.": false,
		".5": false, "+1": false, "1e": false, "NaN": false, "Infinity": false, "1_000": false,
		"0x10": false, "1 ": false,
	} {
		if got := isJSONNumber(s); got != want {
			t.Errorf("isJSONNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestNestedTooDeep(t *testing.T) {
	v := []any{nil}
	v[0] = v // a list that contains itself
	var buf bytes.Buffer
	err := Write(&buf, FormatJSON, &Result{Columns: []Column{{Name: "x"}}, Rows: [][]any{{v}}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("got %v, want a nesting error", err)
	}
}
