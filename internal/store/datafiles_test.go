package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// layoutFormats are three log formats with different column sets: AWS's
// default, a custom order with bytes before packets, and one with a field
// flowir does not know.
var layoutFormats = []struct {
	header, line string
}{
	{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
		"2 111122223333 eni-a 10.0.0.1 10.0.0.2 443 50000 6 10 1000 1700000000 1700000060 ACCEPT OK"},
	{"version vpc-id interface-id srcaddr dstaddr srcport dstport protocol bytes packets start end action log-status flow-direction",
		"5 vpc-1 eni-b 10.0.0.3 10.0.0.4 22 40000 6 2000 20 1700000000 1700000060 REJECT OK ingress"},
	{"version interface-id srcaddr dstaddr bytes start end action log-status future-field",
		"9 eni-c 2001:db8::1 10.0.0.5 3000 1700000000 1700000060 ACCEPT OK xyz"},
}

func layoutRecord(t *testing.T, i int) (*flow.Record, uint64) {
	t.Helper()
	f, err := flow.ParseFormat("${" + strings.ReplaceAll(layoutFormats[i].header, " ", "} ${") + "}")
	if err != nil {
		t.Fatal(err)
	}
	var r flow.Record
	if err := decode.NewTextDecoder(f).Decode([]byte(layoutFormats[i].line), &r); err != nil {
		t.Fatal(err)
	}
	return &r, f.Mask()
}

// addSource stores n records of format i as one source of batch b.
func addSource(t *testing.T, b *Batch, path string, i, n int, reject bool) {
	t.Helper()
	w, err := b.BeginSource(Source{Path: path, Origin: "file", SHA256: path, Account: "111122223333", Date: "2023/11/14"})
	if err != nil {
		t.Fatal(err)
	}
	if reject {
		if err := w.AddReject(1, decode.ReasonBadIP, "bad", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	r, mask := layoutRecord(t, i)
	for j := range n {
		if err := w.AddRecord(r, int64(j+2), false, mask); err != nil {
			t.Fatal(err)
		}
	}
	st := Stats{Lines: int64(n), Records: int64(n), Status: StatusComplete}
	if reject {
		st.Lines, st.Rejects = st.Lines+1, 1
	}
	w.Finish(st)
}

// dataFileCount counts the registered files of a view and the Parquet files
// under the case's data/ folder.
func dataFileCount(t *testing.T, c *Case, tbl string) (registered, onDisk int) {
	t.Helper()
	registered = int(count(t, c, "SELECT count(*) FROM data_files WHERE tbl = '"+tbl+"'"))
	filepath.WalkDir(filepath.Join(c.Dir, dataDir, tbl), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			onDisk++
		}
		return nil
	})
	return registered, onDisk
}

// TestDataFilesLayout checks where a batch's records go: one Parquet file
// per partition, in AWS's Hive layout, registered, read by the flows view
// with every value as written, and nothing left in the DuckDB tables.
func TestDataFilesLayout(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, b, "a.log", 0, 10, false)
	addSource(t, b, "b.log", 1, 20, true)
	addSource(t, b, "c.log", 2, 30, false)
	w, err := b.BeginSource(Source{Path: "d.log", Origin: "file", SHA256: "d", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	r, mask := layoutRecord(t, 0)
	if err := w.AddRecord(r, 2, false, mask); err != nil {
		t.Fatal(err)
	}
	w.Finish(Stats{Lines: 1, Records: 1, Status: StatusComplete})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if reg, disk := dataFileCount(t, c, "flows"); reg != 2 || disk != 2 {
		t.Fatalf("%d registered flows files, %d on disk, want 2 and 2", reg, disk)
	}
	var files []string
	rows, err := c.DB().Query(`SELECT file FROM data_files ORDER BY file`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var f string
		rows.Scan(&f)
		files = append(files, f)
	}
	rows.Close()
	want := []string{
		"data/flows/aws-account-id=111122223333/aws-region=__HIVE_DEFAULT_PARTITION__/year=2023/month=11/day=14/",
		"data/flows/aws-account-id=__HIVE_DEFAULT_PARTITION__/aws-region=eu-west-1/year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__/",
	}
	for i, f := range files {
		if !strings.HasPrefix(f, want[i]) || !strings.HasSuffix(f, ".parquet") {
			t.Errorf("file %d = %s, want it in %s", i, f, want[i])
		}
	}
	for q, want := range map[string]int64{
		"SELECT count(*) FROM flows":      61,
		"SELECT count(*) FROM flows_wide": 0,
		"SELECT count(*) FROM rejects":    1,
		"SELECT sum(bytes) FROM flows":    10*1000 + 20*2000 + 30*3000 + 1000,
		"SELECT count(*) FROM flows WHERE srcaddr = '2001:db8::1' AND extra_fields = '{\"future-field\":\"xyz\"}'":                 30,
		"SELECT count(*) FROM flows WHERE flow_direction = 'ingress' AND vpc_id = 'vpc-1' AND packets = 20":                        20,
		"SELECT count(*) FROM flows WHERE account_id IS NULL":                                                                      50,
		"SELECT count(*) FROM flows WHERE region_partition = 'eu-west-1' AND account_partition IS NULL AND date_partition IS NULL": 1,
		"SELECT count(*) FROM flows WHERE date_partition = '2023/11/14' AND hour_partition IS NULL":                                60,
		"SELECT max(source_line) FROM flows":                                                31,
		"SELECT count(DISTINCT source_id) FROM flows":                                       4,
		"SELECT sum(records) FROM data_file_sources":                                        61,
		"SELECT count(*) FROM vpcflow WHERE sourceaddress = '10.0.0.1' AND numbytes = 1000": 11,
	} {
		if got := count(t, c, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}

// TestUpgradeFromSchema1 opens a case laid out as schema 1 (every record in
// table flows): read-only as it is, then for writing, which moves its
// records into data files, keeping every record.
func TestUpgradeFromSchema1(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "case")
	c, err := Open(ctx, dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	// Make it a schema 1 case: flows a table again, holding a record.
	for _, q := range []string{
		`DROP VIEW flows`,
		`DROP VIEW tgwflow`,
		`ALTER TABLE flows_wide RENAME TO flows`,
		`CREATE TABLE tgwflow AS SELECT * FROM flows WHERE false`,
		`INSERT INTO flows (version, srcaddr, bytes, source_id, source_line) VALUES (2, '10.9.9.9', 77, 1, 1)`,
		// A sum of bytes past int64 (exact sums are HUGEINT): the upgrade's
		// check of the totals must not overflow on it.
		`INSERT INTO flows (version, srcaddr, bytes, source_id, source_line) VALUES (2, '10.9.9.8', 9223372036854775807, 1, 2)`,
		`UPDATE case_meta SET value = '1' WHERE key = 'schema_version'`,
	} {
		if _, err := c.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c.Close()

	ro, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a schema 1 case: %v", err)
	}
	if n := count(t, ro, "SELECT count(*) FROM flows WHERE srcaddr = '10.9.9.9' AND bytes = 77"); n != 1 {
		t.Fatalf("schema 1 case read-only: %d records, want 1", n)
	}
	ro.Close()

	c, err = Open(ctx, dir, Options{Load: true})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer c.Close()
	if n := count(t, c, "SELECT count(*) FROM flows_wide"); n != 0 {
		t.Fatalf("after the upgrade flows_wide holds %d records, want 0", n)
	}
	if reg, disk := dataFileCount(t, c, "flows"); reg != 1 || disk != 1 {
		t.Fatalf("after the upgrade %d registered flows files, %d on disk, want 1 and 1", reg, disk)
	}
	if n := count(t, c, "SELECT count(*) FROM duckdb_views() WHERE view_name IN ('flows', 'tgwflow')"); n != 2 {
		t.Fatal("after the upgrade flows and tgwflow are not views")
	}
	if n := count(t, c, "SELECT value::INT FROM case_meta WHERE key = 'schema_version'"); n != SchemaVersion {
		t.Fatalf("schema version after the upgrade = %d", n)
	}
	if n := count(t, c, "SELECT count(*) FROM vpcflow WHERE sourceaddress = '10.9.9.9' AND numbytes = 77"); n != 1 {
		t.Fatalf("vpcflow after the upgrade shows %d records, want 1", n)
	}
	var sum string
	if err := c.DB().QueryRow("SELECT sum(bytes)::VARCHAR FROM flows").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if want := "9223372036854775884"; sum != want {
		t.Fatalf("sum(bytes) after the upgrade = %s, want %s", sum, want)
	}
}

// TestFlowsViewColumns checks that the views have exactly the columns of
// the schema 2 tables, in order and with their types: queries written
// against them (SELECT *, positional CSV exports) see the same columns.
func TestFlowsViewColumns(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	describe := func(table string) string {
		t.Helper()
		rows, err := c.DB().Query(`SELECT column_name, column_type FROM (DESCRIBE ` + table + `)`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n, typ string
			if err := rows.Scan(&n, &typ); err != nil {
				t.Fatal(err)
			}
			out = append(out, n+" "+typ)
		}
		return strings.Join(out, ", ")
	}
	wantTGW := strings.Join(func() []string {
		var s []string
		for _, col := range allColumns(true) {
			s = append(s, col.name+" "+col.typ)
		}
		return s
	}(), ", ")
	check := func(when string) {
		if v, w := describe("flows"), describe("flows_wide"); v != w {
			t.Fatalf("%s: flows view columns:\n%s\nflows_wide columns:\n%s", when, v, w)
		}
		if v := describe("tgwflow"); v != wantTGW {
			t.Fatalf("%s: tgwflow view columns:\n%s\nwant:\n%s", when, v, wantTGW)
		}
	}
	check("empty case")
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, b, "a.log", 0, 1, false)
	addSource(t, b, "c.log", 2, 1, false)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	check("after a batch")
}
