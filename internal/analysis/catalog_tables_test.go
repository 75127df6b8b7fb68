package analysis

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTableQueriesGolden pins the SQL of the Transit Gateway and JSON
// record queries (testdata/<name>.<dialect>.sql, -update to rewrite), with
// a window for the TGW queries and none for the JSON ones.
func TestTableQueriesGolden(t *testing.T) {
	for _, q := range TableQueries() {
		b := Bounds{Since: goldenSince, Until: goldenUntil}
		if q.Table == JSONTable {
			b = Bounds{}
		}
		for _, d := range []Dialect{DuckDB, Athena} {
			table := ""
			if d == Athena {
				table = "flowir." + q.Table
			}
			sql, args, err := q.Render(d, table, testParams(q), b)
			if err != nil {
				t.Fatalf("%s (%v): %v", q.Name, d, err)
			}
			if n := strings.Count(sql, "?"); n != len(args) || strings.Contains(sql, marker) {
				t.Errorf("%s (%v): %d placeholders, %d args", q.Name, d, n, len(args))
			}
			var sb strings.Builder
			fmt.Fprintf(&sb, "-- %s (%s)", q.Name, d)
			if !b.Since.IsZero() {
				fmt.Fprintf(&sb, ", since %s, until %s", b.Since.Format(time.RFC3339), b.Until.Format(time.RFC3339))
			}
			sb.WriteString(", default limit\n")
			for i, a := range args {
				fmt.Fprintf(&sb, "-- arg %d: %T %v\n", i+1, a, a)
			}
			sb.WriteString(sql + "\n")
			path := filepath.Join("testdata", q.Name+"."+d.String()+".sql")
			if *update {
				if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/analysis/ -update to create it)", err)
			}
			if sb.String() != string(want) {
				t.Errorf("%s differs from the rendering (run with -update if the change is intended):\n%s", path, sb.String())
			}
		}
	}
}

func TestTableQueries(t *testing.T) {
	names := map[string]string{"tgw-top-attachments": TGWTable, "tgw-packets-lost": TGWTable, "tgw-vpc-traffic": TGWTable,
		"json-count": JSONTable, "json-sample": JSONTable, "json-top-ips": JSONTable, "json-ip-records": JSONTable}
	for name, table := range names {
		q, err := Find(name)
		if err != nil || q.Table != table {
			t.Fatalf("Find(%s) = %v, %v", name, q, err)
		}
		// `flowir query` renders for flows: the query's own table is read.
		sql, _, err := q.Render(DuckDB, DefaultDuckDBTable, testParams(q), Bounds{})
		if err != nil {
			t.Fatal(err)
		}
		if from := "FROM " + table; table == JSONTable && (name == "json-sample" || name == "json-ip-records") {
			if !strings.Contains(sql, "FROM jsonflows") {
				t.Errorf("%s reads %s", name, sql)
			}
		} else if !strings.Contains(sql, from) || strings.Contains(sql, "FROM flows") {
			t.Errorf("%s does not read %s:\n%s", name, table, sql)
		}
		if strings.HasPrefix(name, "json-") {
			if _, _, err := q.Render(DuckDB, "", testParams(q), Bounds{Since: goldenSince}); !errors.Is(err, ErrBounds) {
				t.Errorf("%s with a window: %v", name, err)
			}
		}
	}
	for _, q := range Catalog() {
		if q.Table != "" {
			t.Errorf("%s in Catalog reads %s", q.Name, q.Table)
		}
	}
	if len(All()) != len(Catalog())+len(names) {
		t.Errorf("All has %d queries", len(All()))
	}
}
