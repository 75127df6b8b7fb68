package store

import (
	"context"
	"fmt"
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

// tableRows counts the rows of every flow table, by name.
func tableRows(t *testing.T, c *Case) map[string]int64 {
	t.Helper()
	rows, err := c.DB().Query(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'flows\_%' ESCAPE '\'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int64{}
	for _, n := range names {
		out[n] = count(t, c, "SELECT count(*) FROM "+n)
	}
	return out
}

func TestNarrowTables(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "case")
	c, err := Open(ctx, dir, Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}

	// A batch that begins its transaction early (its first source has a
	// reject) cannot see tables created later: its records of a new column
	// set go to flows_wide.
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, b, "early.log", 0, 100, true)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// A batch that begins at commit stores each column set in its narrow
	// table, created for it.
	b, err = c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, b, "a.log", 0, 10, false)
	addSource(t, b, "b.log", 1, 20, false)
	addSource(t, b, "c.log", 2, 30, false)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	_, m0 := layoutRecord(t, 0)
	_, m1 := layoutRecord(t, 1)
	_, m2 := layoutRecord(t, 2)
	want := map[string]int64{
		"flows_wide":                  100, // early.log
		fmt.Sprintf("flows_%x", m0):   10,
		fmt.Sprintf("flows_%x", m1):   20,
		fmt.Sprintf("flows_%x_x", m2): 30,
	}
	got := tableRows(t, c)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows by table = %v, want %v", got, want)
	}

	// The view shows every record with every column, NULL where the
	// format has no such field, whichever table holds it.
	check := func(c *Case) {
		t.Helper()
		for _, q := range []struct {
			sql  string
			want string
		}{
			{`SELECT count(*), sum(bytes), sum(packets) FROM flows`, "160 240000 1500"},
			{`SELECT count(*) FROM flows WHERE vpc_id = 'vpc-1' AND flow_direction = 'ingress' AND packets = 20 AND bytes = 2000`, "20"},
			{`SELECT count(*) FROM flows WHERE packets IS NULL AND extra_fields = '{"future-field":"xyz"}' AND srcaddr = '2001:db8::1'`, "30"},
			{`SELECT count(*) FROM flows WHERE account_partition = '111122223333' AND date_partition = '2023/11/14'`, "160"},
			{`SELECT count(*), min(source_line), max(source_line) FROM flows WHERE interface_id = 'eni-a'`, "110 2 101"},
			{`SELECT count(*) FROM vpcflow WHERE sourceaddress = '10.0.0.3' AND numbytes = 2000`, "20"},
		} {
			vals := make([]any, len(strings.Split(q.want, " ")))
			dest := make([]any, len(vals))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := c.DB().QueryRow(q.sql).Scan(dest...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
			var parts []string
			for _, v := range vals {
				parts = append(parts, fmt.Sprint(v))
			}
			if g := strings.Join(parts, " "); g != q.want {
				t.Errorf("%s = %s, want %s", q.sql, g, q.want)
			}
		}
	}
	check(c)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, the case finds its narrow tables (read-only too), and a
	// replacement for a partial source removes the partial rows from the
	// narrow table that holds them.
	ro, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	check(ro)
	ro.Close()
	c, err = Open(ctx, dir, Options{Load: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check(c)
	known, err := c.KnownSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var prior Prior
	for _, k := range known {
		if k.Path == "b.log" {
			prior = k.Prior()
		}
	}
	if _, err := c.DB().Exec(`UPDATE sources SET status = 'partial' WHERE path = 'b.log'`); err != nil {
		t.Fatal(err)
	}
	prior.Status = StatusPartial
	b, err = c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.BeginSource(Source{Path: "b.log", Origin: "file", SHA256: "b2", Replaces: []Prior{prior}})
	if err != nil {
		t.Fatal(err)
	}
	r, mask := layoutRecord(t, 1)
	for j := range 25 {
		if err := w.AddRecord(r, int64(j+2), false, mask); err != nil {
			t.Fatal(err)
		}
	}
	w.Finish(Stats{Lines: 25, Records: 25, Status: StatusComplete})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, fmt.Sprintf("SELECT count(*) FROM flows_%x", m1)); n != 25 {
		t.Fatalf("after the replacement, the narrow table holds %d rows, want 25", n)
	}
	if n := count(t, c, "SELECT count(*) FROM flows WHERE interface_id = 'eni-b'"); n != 25 {
		t.Fatalf("after the replacement, flows shows %d rows of b.log, want 25", n)
	}
}

func TestNarrowTablesCap(t *testing.T) {
	defer func(n int) { maxNarrowTables = n }(maxNarrowTables)
	maxNarrowTables = 1
	ctx := context.Background()
	c := openTestCase(t)
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, b, "a.log", 0, 10, false)
	addSource(t, b, "b.log", 1, 20, false)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	got := tableRows(t, c)
	if len(got) != 2 || got["flows_wide"] == 0 || count(t, c, "SELECT count(*) FROM flows") != 30 {
		t.Fatalf("with a cap of one narrow table, rows by table = %v (flows: %d)", got, count(t, c, "SELECT count(*) FROM flows"))
	}
}

// TestUpgradeFromSchema1 opens a case laid out as schema 1 (every record in
// table flows): read-only as it is, then for writing, which turns flows into
// flows_wide under the view, keeping every record.
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
		`ALTER TABLE flows_wide RENAME TO flows`,
		`INSERT INTO flows (version, srcaddr, bytes, source_id, source_line) VALUES (2, '10.9.9.9', 77, 1, 1)`,
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
	if n := count(t, c, "SELECT count(*) FROM flows_wide WHERE srcaddr = '10.9.9.9'"); n != 1 {
		t.Fatalf("after the upgrade flows_wide holds %d records, want 1", n)
	}
	if n := count(t, c, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'flows'"); n != 1 {
		t.Fatal("after the upgrade flows is not a view")
	}
	if n := count(t, c, "SELECT value::INT FROM case_meta WHERE key = 'schema_version'"); n != SchemaVersion {
		t.Fatalf("schema version after the upgrade = %d", n)
	}
	if n := count(t, c, "SELECT count(*) FROM vpcflow WHERE sourceaddress = '10.9.9.9'"); n != 1 {
		t.Fatalf("vpcflow after the upgrade shows %d records, want 1", n)
	}
}

// TestFlowsViewColumns checks that the flows view has exactly the columns
// of flows_wide, in order and with their types, with narrow tables under it:
// queries written against the schema 1 table (SELECT *, positional CSV
// exports) see the same columns.
func TestFlowsViewColumns(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, b, "a.log", 0, 1, false)
	addSource(t, b, "c.log", 2, 1, false)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
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
	if n := len(tableRows(t, c)); n != 3 {
		t.Fatalf("%d flow tables, want flows_wide and two narrow ones", n)
	}
	if v, w := describe("flows"), describe("flows_wide"); v != w {
		t.Fatalf("flows view columns:\n%s\nflows_wide columns:\n%s", v, w)
	}
}
