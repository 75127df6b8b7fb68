package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

const exportFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${log-status} ${vpc-id} ${tcp-flags} ${traffic-path}"

type exportSrc struct {
	path, account, region, date string
	lines                       []string
}

// loadExportCase writes the sources into a new case through the store's
// own writer, with the partition values an ingest of their paths would
// give.
func loadExportCase(t *testing.T, srcs []exportSrc) *Case {
	t.Helper()
	ctx := context.Background()
	c := openTestCase(t)
	f, err := flow.ParseFormat(exportFormat)
	if err != nil {
		t.Fatal(err)
	}
	dec := decode.NewTextDecoder(f)
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range srcs {
		w, err := b.BeginSource(Source{Path: s.path, Origin: "file", SHA256: fmt.Sprintf("%064x", i+1),
			Account: s.account, Region: s.region, Date: s.date})
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range s.lines {
			var r flow.Record
			if err := dec.Decode([]byte(l), &r); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			if err := w.AddRecord(&r, int64(j+1), false, f.Mask()); err != nil {
				t.Fatal(err)
			}
		}
		n := int64(len(s.lines))
		w.Finish(Stats{Lines: n, Records: n, Status: StatusComplete, LogFormat: f.String()})
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	return c
}

// line makes one record; bytes precede packets in exportFormat.
func line(src string, port, bytes, packets, start int) string {
	return fmt.Sprintf("5 111122223333 eni-0a1b2c3d %s 10.0.0.9 %d 443 6 %d %d %d %d ACCEPT OK vpc-0abc 19 1", src, port, bytes, packets, start, start+50)
}

var awsParquetName = regexp.MustCompile(`^AWSLogs/aws-account-id=([0-9]{12})/aws-service=vpcflowlogs/aws-region=([a-z0-9-]+)/year=(\d{4})/month=(\d{2})/day=(\d{2})/([0-9]{12})_vpcflowlogs_([a-z0-9-]+)_fl-[a-z0-9]+_(\d{8})_([0-9a-f]{8})\.log\.parquet$`)

func TestExportParquet(t *testing.T) {
	ctx := context.Background()
	srcs := []exportSrc{
		{"a.log", "111122223333", "us-east-1", "2024/05/01", []string{
			line("10.0.0.1", 40001, 1000, 10, 1714521600),
			line("10.0.0.2", 40002, 2000, 20, 1714521700),
			"5 111122223333 eni-0a1b2c3d - - - - - - - 1714521600 1714521660 - NODATA vpc-0abc - -",
		}},
		{"b.log", "111122223333", "us-east-1", "2024/05/02", []string{line("10.0.0.3", 40003, 3000, 30, 1714608000)}},
		{"c.log", "444455556666", "eu-west-1", "2024/05/01", []string{line("2001:db8::1", 40004, 4000, 40, 1714521800)}},
		// No layout in the path: account and region must come from options,
		// the date from the end time (2024-05-03).
		{"export.txt", "", "", "", []string{line("10.0.0.5", 40005, 5000, 50, 1714694400)}},
	}
	c := loadExportCase(t, srcs)
	out := filepath.Join(t.TempDir(), "export")

	// Without --account the headerless source cannot be placed.
	_, err := c.ExportParquet(ctx, ExportOptions{Dir: out})
	if err == nil || !strings.Contains(err.Error(), "--account") {
		t.Fatalf("want an error asking for --account, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "AWSLogs")); err == nil {
		t.Fatal("a refused export wrote files")
	}
	_, err = c.ExportParquet(ctx, ExportOptions{Dir: out, Account: "777788889999"})
	if err == nil || !strings.Contains(err.Error(), "--region") {
		t.Fatalf("want an error asking for --region, got %v", err)
	}
	if _, err := c.ExportParquet(ctx, ExportOptions{Dir: out, Account: "1234"}); err == nil {
		t.Fatal("4-digit --account accepted")
	}

	sum, err := c.ExportParquet(ctx, ExportOptions{Dir: out, Account: "777788889999", Region: "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 6 || sum.Bytes.Int64() != 15000 || sum.DatedByEnd != 1 {
		t.Errorf("summary %+v", sum)
	}
	// The expected files, computed from the inputs above.
	want := map[string]int64{
		"111122223333 us-east-1 2024/05/01": 3,
		"111122223333 us-east-1 2024/05/02": 1,
		"444455556666 eu-west-1 2024/05/01": 1,
		"777788889999 us-west-2 2024/05/03": 1,
	}
	got := map[string]int64{}
	for _, f := range sum.Files {
		m := awsParquetName.FindStringSubmatch(f.Path)
		if m == nil {
			t.Fatalf("%s is not in AWS's Hive layout with AWS's file name", f.Path)
		}
		if m[1] != m[6] || m[2] != m[7] || m[3]+m[4]+m[5] != m[8] || m[9] != f.SHA256[:8] {
			t.Errorf("%s: folders and name disagree, or the hash is not the content's", f.Path)
		}
		st, err := os.Stat(filepath.Join(out, filepath.FromSlash(f.Path)))
		if err != nil || st.Size() != f.Bytes {
			t.Errorf("%s: %v", f.Path, err)
		}
		got[f.Account+" "+f.Region+" "+f.Date] += f.Records
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files by partition\n got %v\nwant %v", got, want)
	}
	// No temporary folder is left behind.
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "AWSLogs" {
		t.Errorf("export folder holds %v", entries)
	}

	// AWS's column names and Parquet types, and only the format's columns.
	res, err := c.Query(ctx, `SELECT name, type FROM parquet_schema(?) WHERE num_children IS NULL OR num_children = 0`,
		filepath.ToSlash(filepath.Join(out, filepath.FromSlash(sum.Files[0].Path))))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	var names []string
	for _, r := range res.Rows {
		types[r[0].(string)] = r[1].(string)
		names = append(names, r[0].(string))
	}
	wantTypes := map[string]string{
		"version": "INT32", "srcport": "INT32", "dstport": "INT32", "tcp_flags": "INT32", "traffic_path": "INT32",
		"protocol": "INT64", "packets": "INT64", "bytes": "INT64", "start": "INT64", "end": "INT64",
		"account_id": "BYTE_ARRAY", "srcaddr": "BYTE_ARRAY", "action": "BYTE_ARRAY", "log_status": "BYTE_ARRAY", "vpc_id": "BYTE_ARRAY",
	}
	for n, w := range wantTypes {
		if types[n] != w {
			t.Errorf("column %s: Parquet type %q, want %s", n, types[n], w)
		}
	}
	sort.Strings(names)
	if len(names) != 17 {
		t.Errorf("columns %v: want the 17 fields of the format", names)
	}

	// Values survive: the NODATA record keeps its NULLs.
	glob := filepath.ToSlash(filepath.Join(out, "AWSLogs")) + "/**/*.parquet"
	var nulls, nodata int64
	if err := c.DB().QueryRow(`SELECT count(*) FILTER (WHERE srcaddr IS NULL AND bytes IS NULL), count(*) FILTER (WHERE log_status = 'NODATA') FROM read_parquet(?)`, glob).Scan(&nulls, &nodata); err != nil {
		t.Fatal(err)
	}
	if nulls != 1 || nodata != 1 {
		t.Errorf("NODATA record: %d null rows, %d NODATA", nulls, nodata)
	}

	// Column by column, the files hold what the case holds: value counts,
	// sums of the numbers, and distinct values of the text.
	var exprs []string
	for _, col := range sum.Columns {
		q := Quote(col)
		id, _ := flow.Lookup(col)
		if k := flow.Get(id).Kind; k == flow.KindInt32 || k == flow.KindInt64 {
			exprs = append(exprs, "count("+q+")", "CAST(sum("+q+") AS BIGINT)")
		} else {
			exprs = append(exprs, "count("+q+")", "count(DISTINCT "+q+")", "max("+q+")")
		}
	}
	sel := "SELECT " + strings.Join(exprs, ", ") + " FROM "
	a, err := c.Query(ctx, sel+"flows")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Query(ctx, sel+"read_parquet(?)", glob)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
		t.Errorf("column aggregates differ:\n case %v\nfiles %v", a.Rows, b.Rows)
	}

	// A second export into the same folder is refused.
	if _, err := c.ExportParquet(ctx, ExportOptions{Dir: out, Account: "777788889999", Region: "us-west-2"}); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("second export: %v", err)
	}
}

func TestExportParquetRefusals(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	if _, err := c.ExportParquet(ctx, ExportOptions{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no VPC flow records") {
		t.Errorf("empty case: %v", err)
	}
	if _, err := c.ExportParquet(ctx, ExportOptions{Dir: t.TempDir(), Region: "useast1"}); err == nil {
		t.Error("bad region accepted")
	}
	if _, err := c.exportColumns(ctx, []string{"bytez"}); err == nil {
		t.Error("unknown column accepted")
	}
	if _, err := c.exportColumns(ctx, []string{"tgw-id"}); err == nil {
		t.Error("TGW column accepted")
	}
	cols, err := c.exportColumns(ctx, []string{"bytes", "packets"})
	if err != nil || strings.Join(cols, ",") != "bytes,packets" {
		t.Errorf("explicit columns %v %v", cols, err)
	}
}

// TestExportIntoPatternFolder exports into a folder whose name holds
// DuckDB's pattern characters (issue 17.19): the read-back check reads the
// files written, not what the name matches, and the export succeeds.
func TestExportIntoPatternFolder(t *testing.T) {
	ctx := context.Background()
	c := loadExportCase(t, []exportSrc{{"a.log", "111122223333", "us-east-1", "2024/05/01", []string{line("10.0.0.1", 40001, 1000, 10, 1714521600)}}})
	for _, name := range []string{"out [x]", "out *", "out ?"} {
		out := filepath.Join(t.TempDir(), name)
		sum, err := c.ExportParquet(ctx, ExportOptions{Dir: out})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum.Records != 1 || len(sum.Files) != 1 {
			t.Errorf("%s: %+v", name, sum)
		}
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(sum.Files[0].Path))); err != nil {
			t.Error(err)
		}
	}
}
