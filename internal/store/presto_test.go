package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// The expected values in these tests come from Trino's documented and
// implemented semantics (worked out by hand, or computed with Go's time
// package), never from DuckDB's output: the point is to catch DuckDB
// disagreeing with Athena.

// openPrestoDB opens dsn with prestoCompatSQL run on every new connection,
// the way the store's connection hook does.
func openPrestoDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	connector, err := duckdb.NewConnector(dsn, func(execer driver.ExecerContext) error {
		for _, q := range prestoCompatSQL() {
			if _, err := execer.ExecContext(context.Background(), q, nil); err != nil {
				return fmt.Errorf("%s: %w", prestoFirstLine(q), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("connector %s: %v", dsn, err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	return db
}

func prestoFirstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// utc is the UTC time of Unix seconds sec.
func prestoUTC(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// utcMilli is the UTC time of Unix milliseconds ms.
func prestoUTCMilli(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func prestoDate(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func prestoTS(y int, m time.Month, d, hh, mm, ss, ms int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, ms*int(time.Millisecond), time.UTC)
}

// nowSec is the start of the row that falls inside "the last seven days" of
// the Athena guide's example; fixed once so the expectation matches it.
var prestoNowSec = time.Now().Add(-24 * time.Hour).Unix()

// flowRow is one hand-written record. nil means NULL ('-' in the log).
type prestoFlowRow struct {
	eni              string
	src, dst         any
	srcport, dstport any
	proto            any
	packets, bytes   any
	start, end       int64
	action, status   any
	tcpFlags         any
	pktSrcService    any
	datePartition    string
}

var prestoTestFlows = []prestoFlowRow{
	// 1-3: 10.10.10.10 -> 198.51.100.7 (an IOC), 3 records, 3503 bytes.
	{"eni-aaa", "10.10.10.10", "198.51.100.7", 49152, 443, 6, 10, 1000, 1600000000, 1600000060, "ACCEPT", "OK", 2, nil, "2020/09/13"},
	{"eni-aaa", "10.10.10.10", "198.51.100.7", 49153, 443, 6, 20, 2001, 1600000100, 1600000159, "ACCEPT", "OK", 19, nil, "2020/09/13"},
	{"eni-bbb", "10.10.10.10", "198.51.100.7", 49154, 443, 6, 5, 502, 1599999990, 1600000005, "REJECT", "OK", nil, nil, "2020/09/13"},
	// 4-5: 203.0.113.9 (an IOC) -> 10.10.10.10:22 across the new year.
	{"eni-aaa", "203.0.113.9", "10.10.10.10", 51515, 22, 6, 3, 7, 1609459199, 1609459230, "REJECT", "OK", 2, nil, "2020/12/31"},
	{"eni-aaa", "203.0.113.9", "10.10.10.10", 51516, 22, 6, 4, 8, 1609459200, 1609459261, "ACCEPT", "OK", 3, nil, "2021/01/01"},
	// 6: a custom format without ${bytes}: numbytes is NULL.
	{"eni-ccc", "10.10.10.10", "192.0.2.1", 123, 123, 17, 1, nil, 1600000200, 1600000260, "ACCEPT", "OK", nil, nil, "2020/09/13"},
	// 7: 10.10.10.100 must not match '10.10.10.10'.
	{"eni-ddd", "10.10.10.100", "198.51.100.7", 40000, 443, 6, 2, 5000, 1600000300, 1600000300, "ACCEPT", "OK", 2, nil, "2020/09/13"},
	// 8: NODATA: every field but the times and the status is '-'.
	{"eni-aaa", nil, nil, nil, nil, nil, nil, nil, 1600000400, 1600000460, nil, "NODATA", nil, nil, "2020/09/13"},
	// 9: IPv6 to an IOC, with a v5 field.
	{"eni-eee", "2001:db8::10", "2001:db8::20", 443, 50000, 6, 7, 900, 1612137600, 1612137659, "ACCEPT", "OK", 18, "S3", "2021/02/01"},
	// 10: SKIPDATA.
	{"eni-aaa", nil, nil, nil, nil, nil, nil, nil, 1600000500, 1600000560, nil, "SKIPDATA", nil, nil, "2020/09/13"},
	// 11: yesterday, HTTPS, the addresses of the Athena guide's examples.
	{"eni-fff", "10.117.1.22", "10.0.1.14", 50001, 443, 6, 42, 4200, prestoNowSec, prestoNowSec + 30, "ACCEPT", "OK", 2, nil, time.Unix(prestoNowSec, 0).UTC().Format("2006/01/02")},
}

// newPrestoCase creates a case database named flowir.duckdb (so its catalog
// is "flowir"), with the schema, the views and prestoTestFlows.
func newPrestoCase(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flowir.duckdb")
	db := openPrestoDB(t, path)
	data, err := (&Case{}).dataViewsDDL(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(append(schemaDDL(), data...), viewDDL()...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", prestoFirstLine(q), err)
		}
	}
	ins := `INSERT INTO flows_wide (version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport,
		protocol, packets, bytes, start, "end", action, log_status, tcp_flags, pkt_src_aws_service,
		date_partition, region_partition, account_partition, source_id, source_line)
		VALUES (5, '111122223333', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'us-east-1', '111122223333', 1, ?)`
	for i, r := range prestoTestFlows {
		if _, err := db.Exec(ins, r.eni, r.src, r.dst, r.srcport, r.dstport, r.proto, r.packets, r.bytes,
			r.start, r.end, r.action, r.status, r.tcpFlags, r.pktSrcService, r.datePartition, i+1); err != nil {
			t.Fatalf("insert row %d: %v", i+1, err)
		}
	}
	return db, path
}

// norm makes scanned values comparable: every integer type becomes int64
// (DuckDB's SUM gives HUGEINT, which the driver returns as *big.Int), lists
// are normalised element by element.
func prestoNorm(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = prestoNorm(e)
		}
		return out
	}
	return v
}

func prestoQueryRows(t *testing.T, q prestoQueryer, query string, args ...any) ([]string, [][]any) {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("query %s: %v", prestoFirstLine(query), err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			vals[i] = prestoNorm(vals[i])
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %s: %v", prestoFirstLine(query), err)
	}
	return cols, out
}

type prestoQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func prestoScalar(t *testing.T, q prestoQueryer, expr string) (any, error) {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), "SELECT "+expr)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var v any
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("no row")
	}
	if err := rows.Scan(&v); err != nil {
		return nil, err
	}
	return prestoNorm(v), rows.Err()
}

func prestoSame(got, want any) bool {
	if g, ok := got.(time.Time); ok {
		w, ok := want.(time.Time)
		return ok && g.Equal(w)
	}
	if g, ok := got.(float64); ok {
		w, ok := want.(float64)
		return ok && (g == w || math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w)))
	}
	return reflect.DeepEqual(got, want)
}

func readPlaybookSQL(t *testing.T, name, database, table string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "playbook", name))
	if err != nil {
		t.Fatal(err)
	}
	q := strings.ReplaceAll(string(b), `"<database>"`, database)
	return strings.ReplaceAll(q, `"<table>"`, table)
}

// scalarCase is one expression and the value Trino gives for it; wantErr,
// when set, is a substring of the error Trino (and flowir) raises instead.
type prestoCase struct {
	expr    string
	want    any
	wantErr string
}

func runPrestoCases(t *testing.T, db prestoQueryer, cases []prestoCase) {
	t.Helper()
	for _, c := range cases {
		got, err := prestoScalar(t, db, c.expr)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: got %#v, %v; want error containing %q", c.expr, got, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", c.expr, err)
		case !prestoSame(got, c.want):
			t.Errorf("%s = %#v (%T), want %#v (%T)", c.expr, got, got, c.want, c.want)
		}
	}
}

func TestPrestoFromUnixtime(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"from_unixtime(1600000000)", prestoUTC(1600000000), ""},
		{"from_unixtime(CAST(1600000000 AS INTEGER))", prestoUTC(1600000000), ""},
		{"from_unixtime(0)", prestoUTC(0), ""},
		{"from_unixtime(1600000000.25)", prestoUTCMilli(1600000000250), ""},
		// Math.round(62.5) = 63 and Math.round(-62.5) = -62 (half up).
		{"from_unixtime(0.0625)", prestoUTCMilli(63), ""},
		{"from_unixtime(-0.0625)", prestoUTCMilli(-62), ""},
		{"from_unixtime(CAST(1600000000.0625 AS DOUBLE))", prestoUTCMilli(1600000000063), ""},
		{"from_unixtime(NULL)", nil, ""},
		{"typeof(from_unixtime(1))", "TIMESTAMP", ""},
		{"from_unixtime(1600000000, 'UTC')", prestoUTC(1600000000), ""},
		{"from_unixtime(1600000000, 'Etc/UTC')", prestoUTC(1600000000), ""},
		{"from_unixtime(1600000000, 0, 0)", prestoUTC(1600000000), ""},
		{"from_unixtime(1600000000, 'Europe/Paris')", nil, "accepts only UTC zones"},
		{"from_unixtime(1600000000, 2, 0)", nil, "only a zero offset"},
		{"to_unixtime(from_unixtime(1600000000))", 1600000000.0, ""},
		{"to_unixtime(TIMESTAMP '2020-09-13 12:26:40.250')", 1600000000.25, ""},
		{"to_unixtime(from_unixtime(-0.0625))", -0.062, ""},
		{"to_unixtime(DATE '1970-01-02')", 86400.0, ""},
		{"typeof(to_unixtime(from_unixtime(1)))", "DOUBLE", ""},
		{"to_unixtime(NULL)", nil, ""},
	})
}

func TestPrestoDateFormat(t *testing.T) {
	db := openPrestoDB(t, "")
	// 2021-01-03 is a Sunday in ISO week 53 of 2020; .1235 s rounds half up
	// to 124 ms before formatting.
	const x = "TIMESTAMP '2021-01-03 15:06:07.1235'"
	cases := []prestoCase{
		{"date_format(from_unixtime(1600000000), '%Y/%m/%d %H:%i:%s')", "2020/09/13 12:26:40", ""},
		{"date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H')", "10-20-2022 05", ""}, // Trino docs
		{"date_format(" + x + ", '%a')", "Sun", ""},
		{"date_format(" + x + ", '%b')", "Jan", ""},
		{"date_format(" + x + ", '%c')", "1", ""},
		{"date_format(" + x + ", '%d')", "03", ""},
		{"date_format(" + x + ", '%e')", "3", ""},
		{"date_format(" + x + ", '%f')", "124000", ""},
		{"date_format(" + x + ", '%H')", "15", ""},
		{"date_format(" + x + ", '%h')", "03", ""},
		{"date_format(" + x + ", '%I')", "03", ""},
		{"date_format(" + x + ", '%i')", "06", ""},
		{"date_format(" + x + ", '%j')", "003", ""},
		{"date_format(" + x + ", '%k')", "15", ""},
		{"date_format(" + x + ", '%l')", "3", ""},
		{"date_format(" + x + ", '%M')", "January", ""},
		{"date_format(" + x + ", '%m')", "01", ""},
		{"date_format(" + x + ", '%p')", "PM", ""},
		{"date_format(" + x + ", '%r')", "03:06:07 PM", ""},
		{"date_format(" + x + ", '%S')", "07", ""},
		{"date_format(" + x + ", '%s')", "07", ""},
		{"date_format(" + x + ", '%T')", "15:06:07", ""},
		{"date_format(" + x + ", '%v')", "53", ""},
		{"date_format(" + x + ", '%x')", "2020", ""},
		{"date_format(" + x + ", '%W')", "Sunday", ""},
		{"date_format(" + x + ", '%Y')", "2021", ""},
		{"date_format(" + x + ", '%y')", "21", ""},
		{"date_format(" + x + ", '100%% at %H')", "100% at 15", ""},
		// An unknown specifier prints its letter; a lone trailing % is dropped.
		{"date_format(" + x + ", '%Q%q%')", "Qq", ""},
		{"date_format(" + x + ", 'no specifiers')", "no specifiers", ""},
		{"date_format(" + x + ", '')", "", ""},
		{"date_format(" + x + ", '%')", "", ""},
		{"date_format(" + x + ", '%%%Y%%')", "%2021%", ""},
		{"date_format(" + x + ", '%Y%%%')", "2021%", ""},
		// Midnight and the 12-hour clock: hour 0 is 12 AM.
		{"date_format(TIMESTAMP '2020-09-13 00:05:09', '%h|%I|%l|%k|%H|%p|%r')", "12|12|12|0|00|AM|12:05:09 AM", ""},
		{"date_format(TIMESTAMP '2020-09-13 12:05:09', '%h %p')", "12 PM", ""},
		{"date_format(TIMESTAMP '2020-12-31 23:59:59', '%j %v %x')", "366 53 2020", ""},
		{"date_format(TIMESTAMP '2021-01-04 00:00:00', '%v %x %a')", "01 2021 Mon", ""},
		{"date_format(TIMESTAMP '0099-03-04 05:06:07', '%Y %y %x')", "0099 99 0099", ""},
		{"date_format(TIMESTAMP '2020-09-13 12:26:40', '%f')", "000000", ""},
		{"date_format(TIMESTAMP '2020-09-13 12:26:40.0004', '%f')", "000000", ""},
		{"date_format(TIMESTAMP '2020-09-13 12:26:59.9996', '%i:%s.%f')", "27:00.000000", ""},
		{"date_format(DATE '2020-09-13', '%Y-%m-%d %H')", "2020-09-13 00", ""},
		{"date_format(NULL::TIMESTAMP, '%Y')", nil, ""},
		{"date_format(" + x + ", NULL)", nil, ""},
		// Trino: "%D not supported in date format string" (and the others).
		{"date_format(" + x + ", '%Y %D')", nil, "%D not supported in date format string"},
		{"date_format(" + x + ", '%U')", nil, "%U not supported in date format string"},
		{"date_format(" + x + ", '%u')", nil, "%u not supported in date format string"},
		{"date_format(" + x + ", '%V')", nil, "%V not supported in date format string"},
		{"date_format(" + x + ", '%w')", nil, "%w not supported in date format string"},
		{"date_format(" + x + ", '%X %D')", nil, "%X not supported in date format string"},
		// '%%D' is a literal "%D", not the specifier.
		{"date_format(" + x + ", '%%D')", "%D", ""},
		// A NULL timestamp is NULL even with an unsupported specifier.
		{"date_format(NULL::TIMESTAMP, '%D')", nil, ""},
	}
	runPrestoCases(t, db, cases)

	// Only a constant format is supported; anything else is an error, never
	// a wrong value.
	if _, err := prestoScalar(t, db, "date_format(TIMESTAMP '2020-01-01', f) FROM (VALUES ('%Y')) v(f)"); err == nil {
		t.Errorf("date_format with a non-constant format: want an error")
	}
}

func TestPrestoDateParse(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"date_parse('2022/10/20/05', '%Y/%m/%d/%H')", prestoTS(2022, 10, 20, 5, 0, 0, 0), ""}, // Trino docs
		{"date_parse('2020/09/13 12:26:40', '%Y/%m/%d %H:%i:%s')", prestoUTC(1600000000), ""},
		{"date_parse('20221020', '%Y%m%d')", prestoDate(2022, 10, 20), ""},
		// Two-digit years pivot at 70: 70..99 -> 19xx, 00..69 -> 20xx.
		{"date_parse('69-01-02', '%y-%m-%d')", prestoDate(2069, 1, 2), ""},
		{"date_parse('70-01-02', '%y-%m-%d')", prestoDate(1970, 1, 2), ""},
		{"date_parse('00-01-02', '%y-%m-%d')", prestoDate(2000, 1, 2), ""},
		{"date_parse('99-12-31', '%y-%m-%d')", prestoDate(1999, 12, 31), ""},
		// Fields not in the format default to 1970-01-01 00:00:00.
		{"date_parse('10:30', '%H:%i')", prestoTS(1970, 1, 1, 10, 30, 0, 0), ""},
		{"date_parse('123', '%j')", prestoDate(1970, 5, 3), ""},
		{"date_parse('', '')", prestoUTC(0), ""},
		{"date_parse('2020%', '%Y%%')", prestoDate(2020, 1, 1), ""},
		{"date_parse('2020Q', '%Y%Q')", prestoDate(2020, 1, 1), ""},
		// Fractions: 1 to 9 digits, truncated to milliseconds.
		{"date_parse('2022-10-20 05:07:08.1', '%Y-%m-%d %H:%i:%s.%f')", prestoTS(2022, 10, 20, 5, 7, 8, 100), ""},
		{"date_parse('2022-10-20 05:07:08.1239999', '%Y-%m-%d %H:%i:%s.%f')", prestoTS(2022, 10, 20, 5, 7, 8, 123), ""},
		{"date_parse('1969-12-31 23:59:59.9999', '%Y-%m-%d %H:%i:%s.%f')", prestoTS(1969, 12, 31, 23, 59, 59, 999), ""},
		{"date_parse('Oct 20 2022 5:07:08 PM', '%b %e %Y %l:%i:%s %p')", prestoTS(2022, 10, 20, 17, 7, 8, 0), ""},
		{"date_parse('October 2022 12 AM', '%M %Y %h %p')", prestoDate(2022, 10, 1), ""},
		{"date_parse('2022-10-20T05:07:08', '%Y-%m-%dT%T')", prestoTS(2022, 10, 20, 5, 7, 8, 0), ""},
		// A 12-hour clock without AM/PM is AM: "12" is hour 0.
		{"date_parse('12:30', '%h:%i')", prestoTS(1970, 1, 1, 0, 30, 0, 0), ""},
		{"date_parse('11:30', '%l:%i')", prestoTS(1970, 1, 1, 11, 30, 0, 0), ""},
		{"date_parse('12:30 PM', '%I:%i %p')", prestoTS(1970, 1, 1, 12, 30, 0, 0), ""},
		{"date_parse('12:30:00 AM', '%r')", prestoTS(1970, 1, 1, 0, 30, 0, 0), ""},
		{"date_parse('12:30', '%H:%i')", prestoTS(1970, 1, 1, 12, 30, 0, 0), ""},
		{"date_parse(NULL, '%Y')", nil, ""},
		{"date_parse('2020', NULL)", nil, ""},
		{"typeof(date_parse('2020', '%Y'))", "TIMESTAMP", ""},
		{"date_parse('2022-10-20', '%Y-%m-%D')", nil, "%D not supported in date format string"},
		{"date_parse('2022-10-20x', '%Y-%m-%d')", nil, "Could not parse"},
		{"date_parse('2022-13-20', '%Y-%m-%d')", nil, "parse"},
	})
}

func TestPrestoDateDiff(t *testing.T) {
	db := openPrestoDB(t, "")
	cases := []prestoCase{
		// Whole elapsed units (Joda getDifferenceAsLong), not boundaries.
		{"date_diff('minute', TIMESTAMP '2020-01-01 10:00:59', TIMESTAMP '2020-01-01 10:01:00')", int64(0), ""},
		{"date_diff('minute', TIMESTAMP '2020-01-01 10:00:00', TIMESTAMP '2020-01-01 10:01:59.999')", int64(1), ""},
		{"date_diff('second', TIMESTAMP '2020-01-01 00:00:00.999', TIMESTAMP '2020-01-01 00:00:01.998')", int64(0), ""},
		{"date_diff('second', from_unixtime(1600000000), from_unixtime(1600000061))", int64(61), ""},
		{"date_diff('second', TIMESTAMP '2020-03-01 00:00:00', TIMESTAMP '2020-03-02 00:00:00')", int64(86400), ""}, // Trino docs
		{"date_diff('millisecond', TIMESTAMP '2020-01-01 00:00:00', TIMESTAMP '2020-01-01 00:00:01.5')", int64(1500), ""},
		// Negative differences truncate toward zero.
		{"date_diff('second', TIMESTAMP '2020-01-01 00:00:01.5', TIMESTAMP '2020-01-01 00:00:00')", int64(-1), ""},
		{"date_diff('minute', TIMESTAMP '2020-01-01 10:01:00', TIMESTAMP '2020-01-01 10:00:01')", int64(0), ""},
		{"date_diff('hour', TIMESTAMP '2020-01-01 10:00:00', TIMESTAMP '2020-01-01 08:00:01')", int64(-1), ""},
		{"date_diff('day', TIMESTAMP '2020-01-01 00:00:01', TIMESTAMP '2020-01-02 00:00:00')", int64(0), ""},
		{"date_diff('day', DATE '2020-03-01', DATE '2020-03-02')", int64(1), ""}, // Trino docs
		{"date_diff('week', TIMESTAMP '2020-01-01', TIMESTAMP '2020-01-14 23:59:59')", int64(1), ""},
		{"date_diff('week', TIMESTAMP '2020-01-01', TIMESTAMP '2020-01-15')", int64(2), ""},
		{"date_diff('SECOND', TIMESTAMP '2020-01-01', TIMESTAMP '2020-01-01 00:00:02')", int64(2), ""},
		{"date_diff('second', NULL, TIMESTAMP '2020-01-01')", nil, ""},
		{"date_diff(NULL, TIMESTAMP '2020-01-01', TIMESTAMP '2020-01-01')", nil, ""},
		{"typeof(date_diff('second', TIMESTAMP '2020-01-01', TIMESTAMP '2020-01-01'))", "BIGINT", ""},
		{"date_diff('fortnight', TIMESTAMP '2020-01-01', TIMESTAMP '2020-01-02')", nil, "'fortnight' is not a valid Timestamp field"},
		// DuckDB's own date_diff counts boundaries: this is why it is replaced.
		{"system.main.date_diff('minute', TIMESTAMP '2020-01-01 10:00:59', TIMESTAMP '2020-01-01 10:01:00')", int64(1), ""},
	}
	// Months, quarters and years, worked out with Joda-Time's
	// BasicMonthOfYearDateTimeField.getDifferenceAsLong: whole months, where a
	// minuend on the last day of its month pulls a later day-of-month of the
	// subtrahend back to that day; then the time within the month decides.
	// Quarters are months / 3 (truncated); years follow
	// BasicChronology.getYearDifference (which agrees with months / 12 on
	// these cases).
	months := []struct {
		from, to     string
		m, q, yShort int64
	}{
		{"2020-01-31 00:00", "2020-02-29 00:00", 1, 0, 0},
		{"2020-01-31 12:00", "2020-02-29 06:00", 0, 0, 0},
		{"2020-01-30 00:00", "2020-02-29 00:00", 1, 0, 0},
		{"2020-01-29 00:00", "2020-02-28 00:00", 0, 0, 0},
		{"2020-01-29 06:00", "2020-02-29 12:00", 1, 0, 0},
		{"2021-01-31 00:00", "2021-02-28 00:00", 1, 0, 0},
		{"2020-03-31 00:00", "2020-02-29 00:00", -1, 0, 0},
		{"2020-02-29 00:00", "2020-03-30 00:00", 1, 0, 0},
		{"2020-03-31 00:00", "2020-04-30 00:00", 1, 0, 0},
		{"2020-03-30 10:00", "2020-04-30 08:00", 0, 0, 0},
		{"2019-12-31 23:59:59", "2020-01-31 23:59:58", 0, 0, 0},
		{"2020-01-15 00:00", "2020-04-14 23:59:59.999", 2, 0, 0},
		{"2020-01-15 00:00", "2020-04-15 00:00", 3, 1, 0},
		{"2020-02-29 00:00", "2021-02-28 00:00", 12, 4, 1},
		{"2019-03-01 00:00", "2020-02-29 00:00", 11, 3, 0},
		{"2020-02-29 12:00", "2021-02-28 06:00", 11, 3, 0},
		{"2021-02-28 06:00", "2020-02-29 12:00", -11, -3, 0},
		{"2020-02-29 12:00", "2020-01-31 06:00", -1, 0, 0},
		{"2019-02-28 00:00", "2020-02-29 00:00", 12, 4, 1},
		{"2015-06-15 00:00", "2020-06-14 00:00", 59, 19, 4},
	}
	for _, m := range months {
		args := fmt.Sprintf("TIMESTAMP '%s', TIMESTAMP '%s'", m.from, m.to)
		cases = append(cases,
			prestoCase{"date_diff('month', " + args + ")", m.m, ""},
			prestoCase{"date_diff('quarter', " + args + ")", m.q, ""},
			prestoCase{"date_diff('year', " + args + ")", m.yShort, ""})
	}
	runPrestoCases(t, db, cases)
}

func TestPrestoDateAdd(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"date_add('second', 86, TIMESTAMP '2020-03-01 00:00:00')", prestoTS(2020, 3, 1, 0, 1, 26, 0), ""}, // Trino docs
		{"date_add('hour', 9, TIMESTAMP '2020-03-01 00:00:00')", prestoTS(2020, 3, 1, 9, 0, 0, 0), ""},     // Trino docs
		{"date_add('day', -1, TIMESTAMP '2020-03-01 00:00:00')", prestoDate(2020, 2, 29), ""},              // Trino docs
		{"date_add('millisecond', 1500, TIMESTAMP '2020-03-01 00:00:00')", prestoTS(2020, 3, 1, 0, 0, 1, 500), ""},
		{"date_add('minute', 90, TIMESTAMP '2020-03-01 00:00:00')", prestoTS(2020, 3, 1, 1, 30, 0, 0), ""},
		{"date_add('week', 2, TIMESTAMP '2020-03-01 00:00:00')", prestoDate(2020, 3, 15), ""},
		{"date_add('month', 1, TIMESTAMP '2020-01-31 10:00:00')", prestoTS(2020, 2, 29, 10, 0, 0, 0), ""},
		{"date_add('quarter', 1, TIMESTAMP '2020-11-30 00:00:00')", prestoDate(2021, 2, 28), ""},
		{"date_add('year', 1, TIMESTAMP '2020-02-29 00:00:00')", prestoDate(2021, 2, 28), ""},
		{"date_add('DAY', 1, from_unixtime(1600000000))", prestoUTC(1600000000 + 86400), ""},
		{"date_add('day', NULL, TIMESTAMP '2020-03-01')", nil, ""},
		{"date_add('eon', 1, TIMESTAMP '2020-03-01')", nil, "'eon' is not a valid Timestamp field"},
		// DuckDB's two-argument form still works.
		{"date_add(DATE '2020-01-01', INTERVAL 1 DAY)", prestoDate(2020, 1, 2), ""},
	})
}

func TestPrestoISO8601AndExtraction(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"to_iso8601(from_unixtime(1600000000))", "2020-09-13T12:26:40.000Z", ""},
		{"to_iso8601(from_unixtime(1600000000.25))", "2020-09-13T12:26:40.250Z", ""},
		{"to_iso8601(TIMESTAMP '2021-01-03 15:06:07.1235')", "2021-01-03T15:06:07.124Z", ""},
		{"to_iso8601(DATE '2020-09-13')", "2020-09-13", ""},
		{"to_iso8601(NULL::TIMESTAMP)", nil, ""},
		{"from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00')", prestoTS(2020, 5, 11, 10, 15, 5, 55), ""}, // Trino docs' value
		{"from_iso8601_timestamp('2020-05-11T11:15:05.0559-05:30')", prestoTS(2020, 5, 11, 16, 45, 5, 55), ""},
		{"from_iso8601_timestamp('2020-05-11T11:15:05Z')", prestoTS(2020, 5, 11, 11, 15, 5, 0), ""},
		{"from_iso8601_timestamp('2020-05-11T11:15')", prestoTS(2020, 5, 11, 11, 15, 0, 0), ""},
		{"from_iso8601_timestamp('2020-05-11')", prestoDate(2020, 5, 11), ""},
		{"from_iso8601_date('2020-05-11')", prestoDate(2020, 5, 11), ""},
		{"typeof(from_iso8601_date('2020-05-11'))", "DATE", ""},
		// 2020-09-13 is a Sunday: ISO day 7.
		{"day_of_week(DATE '2020-09-13')", int64(7), ""},
		{"day_of_week(from_unixtime(1600000000))", int64(7), ""},
		{"dow(TIMESTAMP '2020-09-14 23:59:59')", int64(1), ""},
		{"day_of_month(DATE '2020-09-13')", int64(13), ""},
		{"day(DATE '2020-09-13')", int64(13), ""},
		{"day_of_year(DATE '2020-12-31')", int64(366), ""},
		{"doy(DATE '2021-12-31')", int64(365), ""},
		{"year_of_week(DATE '2021-01-03')", int64(2020), ""},
		{"yow(DATE '2021-01-04')", int64(2021), ""},
		{"week_of_year(DATE '2021-01-03')", int64(53), ""},
		{"week(DATE '2021-01-04')", int64(1), ""},
		{"last_day_of_month(DATE '2020-02-10')", prestoDate(2020, 2, 29), ""},
		{"millisecond(TIMESTAMP '2020-01-01 00:00:12.345678')", int64(345), ""},
		{"millisecond(TIMESTAMP '1969-12-31 23:59:59.9995')", int64(999), ""},
		{"hour(from_unixtime(1600000000))", int64(12), ""},
		{"minute(from_unixtime(1600000000))", int64(26), ""},
		{"second(from_unixtime(1600000000))", int64(40), ""},
		{"quarter(DATE '2020-09-13')", int64(3), ""},
		{"year(from_unixtime(1609459199))", int64(2020), ""},
		{"date_trunc('hour', from_unixtime(1600000000))", prestoTS(2020, 9, 13, 12, 0, 0, 0), ""},
		{"date_trunc('week', TIMESTAMP '2001-08-22 03:04:05.321')", prestoDate(2001, 8, 20), ""}, // Trino docs
		{"DATE('2020-05-04')", prestoDate(2020, 5, 4), ""},
		{"current_timezone()", "UTC", ""},
	})
}

func TestPrestoStringsAndArrays(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"split_part('10.117.1.22', '.', 1)", "10", ""},
		{"split_part('10.117.1.22', '.', 2)", "117", ""},
		{"split_part('10.117.1.22', '.', 4)", "22", ""},
		{"split_part('10.117.1.22', '.', 5)", nil, ""},
		{"split_part('2001:db8::10', '.', 2)", nil, ""},
		{"split_part('a..b', '.', 2)", "", ""},
		{"split_part('a.', '.', 2)", "", ""},
		{"split_part('', '.', 1)", "", ""},
		{"split_part('abc', '', 2)", "b", ""},
		{"split_part(NULL, '.', 1)", nil, ""},
		{"split_part('a.b', '.', 0)", nil, "Index must be greater than zero"},
		{"split_part('a.b', '.', -1)", nil, "Index must be greater than zero"},
		{"split('a.b..c', '.')", []any{"a", "b", "", "c"}, ""},
		{"concat('a', 'b')", "ab", ""},
		{"concat('10.0.0.1', ':', CAST(443 AS VARCHAR))", "10.0.0.1:443", ""},
		{"concat('a', NULL)", nil, ""},
		{"concat('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p')", "abcdefghijklmnop", ""},
		{"'10.0.0.1' || ':' || CAST(443 AS VARCHAR)", "10.0.0.1:443", ""},
		{"'10.0.0.1' || ':' || CAST(NULL AS VARCHAR)", nil, ""},
		{"CAST(443 AS VARCHAR)", "443", ""},
		{"regexp_like('10.10.10.10', '^10\\.')", true, ""},
		{"regexp_like('110.10.10.10', '^10\\.')", false, ""},
		{"regexp_like('abc', 'b')", true, ""},
		// Trino docs examples.
		{"regexp_replace('1a 2b 14m', '\\d+[ab] ')", "14m", ""},
		{"regexp_replace('1a 2b 14m', '(\\d+)([ab]) ', '3c$2 ')", "3ca 3cb 14m", ""},
		{"regexp_extract('1a 2b 14m', '\\d+')", "1", ""},
		{"regexp_extract('1a 2b 14m', '(\\d+)([a-z]+)', 2)", "a", ""},
		{"regexp_extract_all('1a 2b 14m', '\\d+')", []any{"1", "2", "14"}, ""},
		{"regexp_split('1a 2b 14m', '\\s*[a-z]+\\s*')", []any{"1", "2", "14", ""}, ""},
		// Every match is replaced; Java-style replacement escapes.
		{"regexp_replace('aXbXc', 'X', '-')", "a-b-c", ""},
		{"regexp_replace('abc', 'b', '\\$')", "a$c", ""},
		{"regexp_replace('abc', 'b', '\\\\')", "a\\c", ""},
		{"regexp_replace('abc', '(b)', '[$1$0]')", "a[bb]c", ""},
		{"regexp_replace('abc', 'b', '$')", nil, "group reference"},
		{"regexp_replace(NULL, 'b', 'x')", nil, ""},
		{"regexp_extract('abc', 'x')", nil, ""},
		{"regexp_extract('abc', 'x', 0)", nil, ""},
		{"system.main.regexp_replace('abab', 'b', 'X', 'g')", "aXaX", ""},
		{"cardinality(ARRAY[1, 2, 3])", int64(3), ""},
		{"cardinality(split('a,b', ','))", int64(2), ""},
		{"contains(ARRAY['a', 'b'], 'b')", true, ""},
		{"contains(ARRAY['a', 'b'], 'c')", false, ""},
		// Deviation pinned (see PrestoDeviations): Trino gives NULL here.
		{"contains(ARRAY['a', NULL], 'c')", false, ""},
		{"array_join(ARRAY['a', NULL, 'c'], ',')", "a,c", ""},
		{"array_join(ARRAY['a', NULL, 'c'], ',', 'N')", "a,N,c", ""},
		{"json_extract_scalar('{\"a\":{\"b\":1},\"c\":\"x\",\"n\":5}', '$.c')", "x", ""},
		{"json_extract_scalar('{\"a\":{\"b\":1},\"c\":\"x\",\"n\":5}', '$.n')", "5", ""},
		{"json_extract_scalar('{\"a\":{\"b\":1},\"c\":\"x\",\"n\":5}', '$.a')", nil, ""},
		{"is_nan(CAST('NaN' AS DOUBLE))", true, ""},
		{"is_finite(1.0)", true, ""},
		{"is_infinite(CAST('Infinity' AS DOUBLE))", true, ""},
		// tcp-flags: SYN is 2, SYN-ACK 18.
		{"bitwise_and(18, 2)", int64(2), ""},
		{"bitwise_and(19, 16) <> 0", true, ""},
		{"bitwise_or(1, 2)", int64(3), ""},
		{"bitwise_xor(3, 1)", int64(2), ""},
		{"bitwise_not(0)", int64(-1), ""},
	})
}

func TestPrestoIntegerDivision(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"7 / 2", int64(3), ""},
		{"-7 / 2", int64(-3), ""}, // truncation toward zero, as Java
		{"CAST(3503 AS BIGINT) / CAST(3 AS BIGINT)", int64(1167), ""},
		{"7 / 2.0", 3.5, ""},
		{"CAST(7 AS DOUBLE) / 2", 3.5, ""},
		{"SUM(x) / count(*) FROM (VALUES (CAST(5 AS BIGINT)), (CAST(2 AS BIGINT))) v(x)", int64(3), ""},
		{"avg(x) FROM (VALUES (CAST(5 AS BIGINT)), (CAST(2 AS BIGINT))) v(x)", 3.5, ""},
		// Deviation pinned: Trino raises "Division by zero".
		{"7 / 0", nil, ""},
	})
}

func TestPrestoSettings(t *testing.T) {
	db := openPrestoDB(t, "")
	runPrestoCases(t, db, []prestoCase{
		{"current_setting('TimeZone')", "UTC", ""},
		{"current_setting('integer_division')", true, ""},
		{"current_setting('default_null_order')", "NULLS_LAST", ""},
	})
	// Trino sorts NULLs last in both directions.
	_, rows := prestoQueryRows(t, db, "SELECT x FROM (VALUES (1), (NULL), (3)) v(x) ORDER BY x DESC")
	if want := [][]any{{int64(3)}, {int64(1)}, {nil}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("ORDER BY DESC: %v, want %v", rows, want)
	}
	_, rows = prestoQueryRows(t, db, "SELECT x FROM (VALUES (1), (NULL), (3)) v(x) ORDER BY x")
	if want := [][]any{{int64(1)}, {int64(3)}, {nil}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("ORDER BY ASC: %v, want %v", rows, want)
	}
}

// TestPrestoTimeZoneIndependence shows that the functions over naive
// timestamps do not move with DuckDB's TimeZone, should a session change it.
func TestPrestoTimeZoneIndependence(t *testing.T) {
	db := openPrestoDB(t, "")
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cases := []prestoCase{
		{"from_unixtime(1600000000)", prestoUTC(1600000000), ""},
		{"date_format(from_unixtime(1600000000), '%Y/%m/%d %H:%i:%s')", "2020/09/13 12:26:40", ""},
		{"to_unixtime(from_unixtime(1600000000))", 1600000000.0, ""},
		{"date_diff('hour', from_unixtime(1600000000), from_unixtime(1600003600))", int64(1), ""},
		{"date_diff('day', TIMESTAMP '2020-03-07 12:00', TIMESTAMP '2020-03-08 12:00')", int64(1), ""},
		{"to_iso8601(from_unixtime(1600000000))", "2020-09-13T12:26:40.000Z", ""},
		{"day_of_week(from_unixtime(1600000000))", int64(7), ""},
		{"hour(from_unixtime(1600000000))", int64(12), ""},
		{"CAST(from_unixtime(1600000000) AS TIMESTAMP)", prestoUTC(1600000000), ""},
		{"date_parse('2020/09/13 12:26:40', '%Y/%m/%d %H:%i:%s')", prestoUTC(1600000000), ""},
		{"from_iso8601_timestamp('2020-05-11T11:15:05+01:00')", prestoTS(2020, 5, 11, 10, 15, 5, 0), ""},
	}
	for _, zone := range []string{"UTC", "America/New_York", "Asia/Kolkata"} {
		if _, err := conn.ExecContext(context.Background(), "SET TimeZone = '"+zone+"'"); err != nil {
			t.Fatal(err)
		}
		t.Run(strings.ReplaceAll(zone, "/", "_"), func(t *testing.T) { runPrestoCases(t, conn, cases) })
	}
}

func TestPrestoApproxDistinct(t *testing.T) {
	db, _ := newPrestoCase(t)
	// Distinct non-NULL source addresses of prestoTestFlows: 10.10.10.10,
	// 203.0.113.9, 10.10.10.100, 2001:db8::10, 10.117.1.22.
	runPrestoCases(t, db, []prestoCase{
		{"approx_distinct(sourceaddress) FROM vpcflow", int64(5), ""},
		{"approx_distinct(sourceaddress, 0.01) FROM vpcflow", int64(5), ""},
		{"count(*) FROM vpcflow", int64(len(prestoTestFlows)), ""},
	})
}

func TestPrestoQualifiedNames(t *testing.T) {
	db, _ := newPrestoCase(t)
	n := int64(len(prestoTestFlows))
	runPrestoCases(t, db, []prestoCase{
		{`count(*) FROM "flowir"."vpcflow"`, n, ""},
		{`count(*) FROM flowir.vpcflow`, n, ""},
		{`count(*) FROM "flowir"."main"."vpcflow"`, n, ""},
		{`count(*) FROM "vpcflow" WHERE "pkt-src-aws-service" = 'S3'`, int64(1), ""},
		{`"flow-direction" IS NULL AND "traffic-path" IS NULL FROM vpcflow WHERE "pkt-src-aws-service" = 'S3'`, true, ""},
		{`count(*) FROM vpcflow WHERE logstatus IN ('NODATA', 'SKIPDATA') AND sourceaddress IS NULL`, int64(2), ""},
	})
}

// dataRatioWant is the data-ratio query's answer for prestoTestFlows, worked
// out by hand: integer division truncates (3503/3 = 1167, 15/2 = 7), a pair
// whose bytes are all NULL has NULL totals and sorts last, 10.10.10.100 does
// not match, NODATA and SKIPDATA records have no addresses.
func playbookDataRatioWant() [][]any {
	f := func(sec int64) string { return prestoUTC(sec).Format("2006/01/02 15:04:05") }
	return [][]any{
		{"10.10.10.10", "198.51.100.7", int64(3), int64(1000 + 2001 + 502), int64((1000 + 2001 + 502) / 3), f(1599999990), f(1600000159)},
		{"203.0.113.9", "10.10.10.10", int64(2), int64(15), int64(7), f(1609459199), f(1609459261)},
		{"10.10.10.10", "192.0.2.1", int64(1), nil, nil, f(1600000200), f(1600000260)},
	}
}

func TestPlaybookDataRatio(t *testing.T) {
	want := playbookDataRatioWant()
	// The same strings, written out, so a mistake in f above cannot hide one.
	if want[0][5] != "2020/09/13 12:26:30" || want[0][6] != "2020/09/13 12:29:19" ||
		want[1][5] != "2020/12/31 23:59:59" || want[1][6] != "2021/01/01 00:01:01" || want[0][4] != int64(1167) {
		t.Fatalf("expected values are inconsistent: %v", want)
	}
	db, _ := newPrestoCase(t)
	for _, target := range []struct{ database, table string }{
		{`"flowir"`, `"vpcflow"`},
		{"", "vpcflow"},
	} {
		q := readPlaybookSQL(t, "data_ratio.sql", target.database, target.table)
		if target.database == "" {
			q = strings.ReplaceAll(q, `."vpcflow"`, "vpcflow")
			q = strings.ReplaceAll(q, `.vpcflow`, "vpcflow")
		}
		cols, rows := prestoQueryRows(t, db, q)
		wantCols := []string{"sourceaddress", "destinationaddress", "record_count", "total_bytes", "data_ratio", "first_seen", "last_seen"}
		if !reflect.DeepEqual(cols, wantCols) {
			t.Errorf("%s: columns %v, want %v", target.table, cols, wantCols)
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("%s.%s: rows\n%v\nwant\n%v", target.database, target.table, rows, want)
		}
	}
}

func TestPlaybookDirectionalView(t *testing.T) {
	db, _ := newPrestoCase(t)
	conn, err := db.Conn(context.Background()) // TEMP objects live in one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE incident_iocs (threat_ip VARCHAR, threat_comment VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO incident_iocs VALUES
		('198.51.100.7', 'C2 server'), ('203.0.113.9', 'SSH scanner'), ('2001:db8::20', 'IPv6 IOC'), ('192.0.2.200', 'not seen')`); err != nil {
		t.Fatal(err)
	}
	view := readPlaybookSQL(t, "directional_view.sql", `"flowir"`, `"vpcflow"`)
	view = strings.Replace(view, "CREATE VIEW", "CREATE TEMP VIEW", 1)
	if _, err := conn.ExecContext(ctx, view); err != nil {
		t.Fatalf("create view: %v", err)
	}
	cols, rows := prestoQueryRows(t, conn, "SELECT * FROM incident_vpc_flow_directional")
	wantCols := []string{"account", "interfaceid", "source", "destination", "direction", "connecting_ip", "connecting_port",
		"protocol", "numpackets", "numbytes", "action", "logstatus", "startTime", "endTime", "sessionTime"}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns %v, want %v", cols, wantCols)
	}
	const acct = "111122223333"
	// Ordered by startTime, endTime, sessionTime, interfaceid,
	// connecting_ip, direction. sessionTime is end - start in seconds.
	want := [][]any{
		{acct, "eni-bbb", "10.10.10.10:49154", "198.51.100.7:443", "INBOUND", "10.10.10.10", int64(49154), int64(6), int64(5), int64(502), "REJECT", "OK", prestoUTC(1599999990), prestoUTC(1600000005), int64(15)},
		{acct, "eni-aaa", "10.10.10.10:49152", "198.51.100.7:443", "INBOUND", "10.10.10.10", int64(49152), int64(6), int64(10), int64(1000), "ACCEPT", "OK", prestoUTC(1600000000), prestoUTC(1600000060), int64(60)},
		{acct, "eni-aaa", "10.10.10.10:49153", "198.51.100.7:443", "INBOUND", "10.10.10.10", int64(49153), int64(6), int64(20), int64(2001), "ACCEPT", "OK", prestoUTC(1600000100), prestoUTC(1600000159), int64(59)},
		{acct, "eni-ddd", "10.10.10.100:40000", "198.51.100.7:443", "INBOUND", "10.10.10.100", int64(40000), int64(6), int64(2), int64(5000), "ACCEPT", "OK", prestoUTC(1600000300), prestoUTC(1600000300), int64(0)},
		{acct, "eni-aaa", "203.0.113.9:51515", "10.10.10.10:22", "OUTBOUND", "10.10.10.10", int64(22), int64(6), int64(3), int64(7), "REJECT", "OK", prestoUTC(1609459199), prestoUTC(1609459230), int64(31)},
		{acct, "eni-aaa", "203.0.113.9:51516", "10.10.10.10:22", "OUTBOUND", "10.10.10.10", int64(22), int64(6), int64(4), int64(8), "ACCEPT", "OK", prestoUTC(1609459200), prestoUTC(1609459261), int64(61)},
		{acct, "eni-eee", "2001:db8::10:443", "2001:db8::20:50000", "INBOUND", "2001:db8::10", int64(443), int64(6), int64(7), int64(900), "ACCEPT", "OK", prestoUTC(1612137600), prestoUTC(1612137659), int64(59)},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%v", len(rows), len(want), rows)
	}
	for i := range want {
		for j := range want[i] {
			if !prestoSame(rows[i][j], want[i][j]) {
				t.Errorf("row %d column %s = %#v, want %#v", i+1, cols[j], rows[i][j], want[i][j])
			}
		}
	}
}

// TestPrestoAthenaGuideExamples runs the Athena user guide's VPC flow log
// examples (reference §5.3) adapted to the playbook's column names: its
// `date` partition is the day of from_unixtime(starttime), its `day`
// partition is date_partition.
func TestPrestoAthenaGuideExamples(t *testing.T) {
	db, _ := newPrestoCase(t)
	isoDay := func(sec int64) int64 { // ISO day of week, Monday = 1
		wd := int64(prestoUTC(sec).Weekday())
		if wd == 0 {
			return 7
		}
		return wd
	}

	// SELECT * FROM vpc_flow_logs WHERE date = DATE('2020-05-04') LIMIT 100
	_, rows := prestoQueryRows(t, db, `SELECT sourceaddress, starttime FROM vpcflow
		WHERE DATE(from_unixtime(starttime)) = DATE('2020-12-31') LIMIT 100`)
	if want := [][]any{{"203.0.113.9", int64(1609459199)}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("date = DATE(...): %v, want %v", rows, want)
	}

	// Rejected TCP with day of week.
	_, rows = prestoQueryRows(t, db, `SELECT day_of_week(from_unixtime(starttime)) AS day,
		CAST(from_unixtime(starttime) AS DATE) AS date, interfaceid, sourceaddress, action, protocol
		FROM vpcflow WHERE action = 'REJECT' AND protocol = 6 ORDER BY starttime LIMIT 100`)
	want := [][]any{
		{isoDay(1599999990), prestoDate(2020, 9, 13), "eni-bbb", "10.10.10.10", "REJECT", int64(6)},
		{isoDay(1609459199), prestoDate(2020, 12, 31), "eni-aaa", "203.0.113.9", "REJECT", int64(6)},
	}
	if want[0][0] != int64(7) || want[1][0] != int64(4) {
		t.Fatalf("ISO days: 2020-09-13 is a Sunday (7), 2020-12-31 a Thursday (4): %v", want)
	}
	if len(rows) != len(want) {
		t.Fatalf("rejected TCP: %v, want %v", rows, want)
	}
	for i := range want {
		for j := range want[i] {
			if !prestoSame(rows[i][j], want[i][j]) {
				t.Errorf("rejected TCP row %d col %d = %#v, want %#v", i, j, rows[i][j], want[i][j])
			}
		}
	}

	// Top HTTPS receivers of the last week.
	_, rows = prestoQueryRows(t, db, `SELECT SUM(numpackets) AS packetcount, destinationaddress FROM vpcflow
		WHERE destinationport = 443 AND DATE(from_unixtime(starttime)) > current_date - interval '7' day
		GROUP BY destinationaddress ORDER BY packetcount DESC LIMIT 10`)
	if want := [][]any{{int64(42), "10.0.1.14"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("last 7 days: %v, want %v", rows, want)
	}

	// Projection variants: to_iso8601 times, split_part prefix match.
	_, rows = prestoQueryRows(t, db, `SELECT interfaceid, sourceaddress, action, protocol,
		to_iso8601(from_unixtime(starttime)) AS start_time, to_iso8601(from_unixtime(endtime)) AS end_time
		FROM vpcflow
		WHERE split_part(sourceaddress, '.', 1) = '10' AND split_part(sourceaddress, '.', 2) = '117'
		LIMIT 100`)
	iso := func(sec int64) string { return prestoUTC(sec).Format("2006-01-02T15:04:05.000Z") }
	if want := [][]any{{"eni-fff", "10.117.1.22", "ACCEPT", int64(6), iso(prestoNowSec), iso(prestoNowSec + 30)}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("split_part: %v, want %v", rows, want)
	}
	_, rows = prestoQueryRows(t, db, `SELECT sourceaddress FROM vpcflow
		WHERE date_partition >= '2021/02/01' AND date_partition < '2021/02/28' AND destinationaddress = '2001:db8::20'`)
	if want := [][]any{{"2001:db8::10"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("day range: %v, want %v", rows, want)
	}
	_, rows = prestoQueryRows(t, db, `SELECT count(*) FROM vpcflow WHERE sourceaddress = '10.117.1.22' OR destinationaddress = '10.0.1.14'`)
	if want := [][]any{{int64(1)}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("srcaddr/dstaddr: %v, want %v", rows, want)
	}

	// SYN packets via tcp-flags.
	_, rows = prestoQueryRows(t, db, `SELECT count(*) FROM vpcflow WHERE bitwise_and(tcpflags, 2) <> 0`)
	if want := [][]any{{int64(7)}}; !reflect.DeepEqual(rows, want) { // flags 2, 19, 2, 3, 2, 18, 2
		t.Errorf("SYN flags: %v, want %v", rows, want)
	}
}

// TestPrestoReadOnly opens an existing case READ_ONLY, as `flowir sql` does:
// the settings and TEMP macros must still install, and the playbook query
// must give the same answer.
func TestPrestoReadOnly(t *testing.T) {
	rw, path := newPrestoCase(t)
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	db := openPrestoDB(t, path+"?access_mode=READ_ONLY")
	if _, err := db.Exec("CREATE TABLE x (a INTEGER)"); err == nil {
		t.Fatal("READ_ONLY case accepted a CREATE TABLE")
	}
	_, rows := prestoQueryRows(t, db, readPlaybookSQL(t, "data_ratio.sql", `"flowir"`, `"vpcflow"`))
	if want := playbookDataRatioWant(); !reflect.DeepEqual(rows, want) {
		t.Errorf("read-only data ratio:\n%v\nwant\n%v", rows, want)
	}
	// Every pooled connection gets the macros, not only the first.
	db.SetMaxIdleConns(0)
	for i := 0; i < 3; i++ {
		runPrestoCases(t, db, []prestoCase{{"date_format(from_unixtime(0), '%Y')", "1970", ""}})
	}
}

// TestPrestoCompatSQLShape checks properties the connection hook relies on,
// and the specifier table the format translation is generated from.
func TestPrestoCompatSQLShape(t *testing.T) {
	seen := map[byte]bool{}
	for _, s := range mysqlSpecs {
		if seen[s.spec] || strings.IndexByte(mysqlUnsupported, s.spec) >= 0 || s.spec == '%' {
			t.Errorf("specifier %%%c is listed twice, or is also unsupported", s.spec)
		}
		seen[s.spec] = true
		if s.note == "" || s.strftime == "" || s.strptime == "" || strings.Contains(s.strftime+s.strptime, "'") {
			t.Errorf("specifier %%%c: incomplete entry or a quote in a format: %+v", s.spec, s)
		}
	}
	// Trino's documented supported specifiers, all present.
	for _, c := range []byte("abcdefHhIijklMmprSsTvxWYy") {
		if !seen[c] {
			t.Errorf("specifier %%%c missing", c)
		}
	}
	for _, q := range prestoCompatSQL() {
		q = strings.TrimSpace(q)
		if !strings.HasPrefix(q, "SET ") && !strings.HasPrefix(q, "CREATE OR REPLACE TEMP MACRO ") {
			t.Errorf("statement is neither SET nor CREATE OR REPLACE TEMP MACRO: %s", prestoFirstLine(q))
		}
		if strings.HasSuffix(q, ";") {
			t.Errorf("statement ends in ';': %s", prestoFirstLine(q))
		}
	}
	// Running the statements twice on one connection must be harmless (a
	// pooled connection may be re-initialised).
	db := openPrestoDB(t, "")
	for _, q := range prestoCompatSQL() {
		if _, err := db.Exec(q); err != nil {
			t.Errorf("second run of %s: %v", prestoFirstLine(q), err)
		}
	}
}
