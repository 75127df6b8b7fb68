package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
)

const sekoiaDir = "../../../shared/external/sekoia-automation-library"

// readParquetRows reads every row of a Parquet file as rendered lines.
func readParquetRows(t *testing.T, c *Case, path string) (*ParquetReader, []ParquetRow) {
	t.Helper()
	p, err := c.OpenParquet(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var rows []ParquetRow
	for {
		var r ParquetRow
		err := p.Next(&r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return p, rows
}

// TestParquetSekoia reads the third-party Parquet files (one Snappy with
// INT32 and INT64 columns as AWS types them, one with every integer as
// INT64) and compares every value with the rows decoded independently
// (hyparquet) in the .decoded.jsonl files.
func TestParquetSekoia(t *testing.T) {
	if _, err := os.Stat(sekoiaDir); errors.Is(err, os.ErrNotExist) {
		t.Skip("no external test data")
	}
	c := openTestCase(t)
	for _, name := range []string{"111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5.parquet", "test_parquet.parquet"} {
		t.Run(name, func(t *testing.T) {
			p, rows := readParquetRows(t, c, filepath.Join(sekoiaDir, name))
			want, err := os.ReadFile(filepath.Join(sekoiaDir, name+".decoded.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			f := p.Format()
			dec := decode.NewTextDecoder(f)
			sc := bufio.NewScanner(bytes.NewReader(want))
			i := 0
			for ; sc.Scan(); i++ {
				var exp map[string]any
				d := json.NewDecoder(strings.NewReader(sc.Text()))
				d.UseNumber()
				if err := d.Decode(&exp); err != nil {
					t.Fatal(err)
				}
				if i >= len(rows) {
					t.Fatalf("only %d rows", len(rows))
				}
				var r flow.Record
				if err := dec.Decode(rows[i].Line, &r); err != nil {
					t.Fatalf("row %d %q: %v", i+1, rows[i].Line, err)
				}
				if len(exp) != len(f.Cols) {
					t.Fatalf("row %d: %d columns, the reference has %d", i+1, len(f.Cols), len(exp))
				}
				for _, col := range f.Cols {
					v, ok := exp[strings.ReplaceAll(col.Name, "-", "_")]
					if !ok {
						t.Fatalf("column %s not in the reference", col.Name)
					}
					var got string
					switch flow.Get(col.ID).Kind {
					case flow.KindInt32, flow.KindInt64:
						got = strconv.FormatInt(r.Num[col.ID], 10)
					default:
						got = string(r.Str[col.ID])
					}
					if !r.Has(col.ID) {
						got = "<nil>"
					}
					if w := jsonString(v); got != w {
						t.Errorf("row %d %s = %s, reference %s", i+1, col.Name, got, w)
					}
				}
			}
			if i != len(rows) || i == 0 {
				t.Fatalf("%d rows read, %d in the reference", len(rows), i)
			}
		})
	}
	// The OCSF file (Security Lake) has nested columns: a clear refusal.
	_, err := c.OpenParquet(context.Background(), filepath.Join(sekoiaDir, "test_ocsf.parquet"))
	if err == nil || !strings.Contains(err.Error(), "unexpected Parquet schema") || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("OCSF: %v", err)
	}
}

func jsonString(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case json.Number:
		return x.String()
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// writeParquet writes a Parquet file with DuckDB's COPY from a SELECT.
func writeParquet(t *testing.T, c *Case, sel, opts string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.parquet")
	if _, err := c.DB().Exec("COPY (" + sel + ") TO " + sqltext.String(p) + " (FORMAT parquet" + opts + ")"); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestParquetVariations reads Parquet written the ways AWS and other tools
// write it and checks the rendered rows.
func TestParquetVariations(t *testing.T) {
	c := openTestCase(t)
	v2 := `SELECT 2::INTEGER AS version, '123456789010' AS account_id, 'eni-1' AS interface_id, '10.0.0.1' AS srcaddr,
		'2001:db8::1' AS dstaddr, 443::INTEGER AS srcport, 5000::INTEGER AS dstport, 6::BIGINT AS protocol, 10::BIGINT AS packets,
		4000::BIGINT AS bytes, 1700000000::BIGINT AS start, 1700000060::BIGINT AS "end", 'ACCEPT' AS action, 'OK' AS log_status`
	tests := []struct {
		name, sel, opts string
		lines           []string
		part            [4]string
		bad             string // BadColumn of the first row
	}{
		{name: "int32 snappy", sel: v2, opts: ", COMPRESSION snappy",
			lines: []string{"2 123456789010 eni-1 10.0.0.1 2001:db8::1 443 5000 6 10 4000 1700000000 1700000060 ACCEPT OK"}},
		{name: "int64 gzip", sel: strings.ReplaceAll(v2, "INTEGER", "BIGINT"), opts: ", COMPRESSION gzip",
			lines: []string{"2 123456789010 eni-1 10.0.0.1 2001:db8::1 443 5000 6 10 4000 1700000000 1700000060 ACCEPT OK"}},
		{name: "nulls", sel: `SELECT 2 AS version, NULL::VARCHAR AS srcaddr, NULL::BIGINT AS bytes, 'NODATA' AS log_status`,
			lines: []string{"2 - - NODATA"}},
		{name: "extra and partition columns", sel: `SELECT 5 AS version, 'x y' AS note, '111122223333' AS "aws-account-id", 'vpcflowlogs' AS "aws-service",
			'eu-west-1' AS "aws-region", 2024 AS "year", 3 AS "month", 7 AS "day", 9 AS "hour"`,
			lines: []string{"5 x y"}, part: [4]string{"111122223333", "eu-west-1", "2024/03/07", "09"}, bad: "note"},
		{name: "empty string", sel: `SELECT 2 AS version, '' AS interface_id`, lines: []string{"2 "}, bad: "interface_id"},
		{name: "tab", sel: `SELECT 2 AS version, 'a' || chr(9) || 'b' AS interface_id`, lines: []string{"2 a\tb"}, bad: "interface_id"},
		{name: "negative", sel: `SELECT -1::INTEGER AS srcport`, lines: []string{"-1"}},
		{name: "upper-case names", sel: `SELECT 2 AS "VERSION", 'OK' AS "Log_Status"`, lines: []string{"2 OK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rows := readParquetRows(t, c, writeParquet(t, c, tt.sel, tt.opts))
			if len(rows) != len(tt.lines) {
				t.Fatalf("%d rows", len(rows))
			}
			for i, r := range rows {
				if string(r.Line) != tt.lines[i] {
					t.Errorf("row %d = %q, want %q", i+1, r.Line, tt.lines[i])
				}
			}
			if rows[0].BadColumn != tt.bad {
				t.Errorf("bad column %q, want %q", rows[0].BadColumn, tt.bad)
			}
			if p.Partition != tt.part {
				t.Errorf("partition %q, want %q", p.Partition, tt.part)
			}
			if p.Format().Has(flow.Version) != strings.Contains(strings.ToLower(tt.sel), " as version") && tt.name != "upper-case names" {
				t.Errorf("format %s", p.Format())
			}
		})
	}
	// Rows of several partitions: the path decides, and a note says why.
	p, _ := readParquetRows(t, c, writeParquet(t, c, `SELECT 2 AS version, r AS "aws-region" FROM (VALUES ('us-east-1'), ('eu-west-1')) v(r)`, ""))
	if p.Partition[1] != "" || !strings.Contains(p.Note, "2 different values") {
		t.Errorf("mixed partitions: %q %q", p.Partition, p.Note)
	}
}

func TestParquetUnexpectedSchema(t *testing.T) {
	c := openTestCase(t)
	tests := []struct{ sel, want string }{
		{`SELECT 1.5::DOUBLE AS srcport`, `column "srcport" (flow log field srcport) is DOUBLE`},
		{`SELECT 123456789010::DOUBLE AS account_id`, `column "account_id" (flow log field account-id) is DOUBLE`},
		{`SELECT DATE '2024-01-01' AS start`, `column "start" (flow log field start) is DATE`},
		{`SELECT TIMESTAMP '2024-01-01' AS bytes`, `column "bytes" (flow log field bytes) is TIMESTAMP`},
		{`SELECT {'a': 1} AS metadata, 2 AS version`, `column "metadata" is STRUCT`},
		{`SELECT [1, 2] AS srcport`, `nested type`},
		{`SELECT 1 AS a, 'x' AS b`, `none of its columns (a, b) is a flow log field`},
		{`SELECT 2 AS version, 'OK' AS log_status, 'OK' AS "log-status"`, `both name the field log-status`},
	}
	for _, tt := range tests {
		_, err := c.OpenParquet(context.Background(), writeParquet(t, c, tt.sel, ""))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "flowir reads AWS's flow log Parquet") && !strings.Contains(err.Error(), "both name") {
			t.Errorf("%s: %v, want %q", tt.sel, err, tt.want)
		}
	}
	notParquet := filepath.Join(t.TempDir(), "x.parquet")
	os.WriteFile(notParquet, []byte("PAR1 but no footer"), 0o644)
	if _, err := c.OpenParquet(context.Background(), notParquet); err == nil || !strings.Contains(err.Error(), "not a readable Parquet file") {
		t.Errorf("damaged: %v", err)
	}
}

// TestParquetConvertedTypes reads Parquet whose columns another tool wrote
// with other types than AWS (issue 12.6): an integer account id is read as
// 12 digits, zero-padded; integers written as strings and start/end written
// as timestamps are read as AWS's values; the note says so for each; a value
// the conversion cannot carry is left for the decoder to reject.
func TestParquetConvertedTypes(t *testing.T) {
	c := openTestCase(t)
	for _, tt := range []struct {
		name, sel string
		lines     []string
		notes     []string
	}{
		{"bigint account", `SELECT 2 AS version, a::BIGINT AS account_id, 'OK' AS log_status FROM (VALUES (12345678901), (111122223333), (NULL), (-5), (1234567890123)) v(a)`,
			[]string{"2 012345678901 OK", "2 111122223333 OK", "2 - OK", "2 -5 OK", "2 1234567890123 OK"},
			[]string{"column account_id is BIGINT where AWS writes a string: read as 12-digit account ids, zero-padded"}},
		{"integer tgw accounts", `SELECT 6 AS version, 444555666::INTEGER AS tgw_src_vpc_account_id, 0::UBIGINT AS tgw_dst_vpc_account_id`,
			[]string{"6 000444555666 000000000000"}, []string{"tgw_src_vpc_account_id is INTEGER", "tgw_dst_vpc_account_id is UBIGINT"}},
		{"strings for integers", `SELECT '5' AS version, '443' AS srcport, 'x' AS dstport`, []string{"5 443 x"},
			[]string{"column version is a string", "column srcport is a string", "column dstport is a string"}},
		{"timestamps", `SELECT 2 AS version, TIMESTAMP '2023-11-14 22:13:20' AS start, TIMESTAMPTZ '2023-11-14 22:14:20+00' AS "end"
			UNION ALL SELECT 2, TIMESTAMP '2023-11-14 22:13:20.5', NULL`,
			[]string{"2 1700000000 1700000060", "2 2023-11-14 22:13:20.5 -"},
			[]string{"column start is TIMESTAMP where AWS writes Unix seconds", "column end is TIMESTAMP WITH TIME ZONE"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "timestamps" {
				if _, err := c.DB().Exec("SET TimeZone = 'UTC'"); err != nil {
					t.Skip("no ICU time zones:", err)
				}
			}
			p, rows := readParquetRows(t, c, writeParquet(t, c, tt.sel, ""))
			var got []string
			for _, r := range rows {
				got = append(got, string(r.Line))
			}
			if strings.Join(got, "\n") != strings.Join(tt.lines, "\n") {
				t.Errorf("rows %q, want %q", got, tt.lines)
			}
			for _, n := range tt.notes {
				if !strings.Contains(p.Note, n) {
					t.Errorf("note %q lacks %q", p.Note, n)
				}
			}
		})
	}
}

// TestParquetPartitionValues checks the partition columns of a Parquet file
// written by another tool (issue 17.17): values of another shape than AWS's
// layouts are not used, and the note says which and why.
func TestParquetPartitionValues(t *testing.T) {
	c := openTestCase(t)
	tests := []struct {
		sel  string
		part [4]string
		note string
	}{
		{`SELECT 2 AS version, 'not-a-region' AS "aws-region", '111122223333' AS "aws-account-id"`, [4]string{"111122223333", "", "", ""}, `"not-a-region", which is not a Region name`},
		{`SELECT 2 AS version, '1111x2223333' AS "aws-account-id", 'eu-west-1' AS "aws-region"`, [4]string{"", "eu-west-1", "", ""}, `"1111x2223333", which is not an account id`},
		{`SELECT 2 AS version, '000x' AS "year", '13' AS "month", '99' AS "day", '24' AS "hour"`, [4]string{}, `"000x/13/99", which is not a date`},
		{`SELECT 2 AS version, '2024/02/30' AS date_partition`, [4]string{}, `"2024/02/30", which is not a date`},
		{`SELECT 2 AS version, '2024' AS "year", '2' AS "month", '29' AS "day", '7' AS "hour"`, [4]string{"", "", "2024/02/29", "07"}, ""},
		{`SELECT 2 AS version, 'us-east-1' || chr(10) AS region_partition`, [4]string{}, `which is not a Region name`},
	}
	for _, tt := range tests {
		p, _ := readParquetRows(t, c, writeParquet(t, c, tt.sel, ""))
		if p.Partition != tt.part || tt.note == "" && p.Note != "" || !strings.Contains(p.Note, tt.note) {
			t.Errorf("%s: partition %q, note %q; want %q, %q", tt.sel, p.Partition, p.Note, tt.part, tt.note)
		}
	}
}

// TestBeginSourcePartitions checks that a source whose partition values are
// not AWS's shapes is refused before anything of it is written, and the
// batch stays usable.
func TestBeginSourcePartitions(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	for _, src := range []Source{{Path: "a", Account: "12345678901\t"}, {Path: "b", Region: "us-east-1\r"}, {Path: "c", Date: "000x/13/99"}, {Path: "d", Hour: "24"}} {
		if _, err := b.BeginSource(src); err == nil || !strings.Contains(err.Error(), src.Path+": its ") {
			t.Errorf("%+v: %v", src, err)
		}
	}
	storeOneRecord(t, b, Source{Path: "e", Origin: "file", SHA256: "e", Account: "123456789012", Region: "us-gov-west-1", Date: "2026/11/20", Hour: "23"})
}
