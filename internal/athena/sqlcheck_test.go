package athena

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/flow"
)

// The grammar check: every statement flowir generates for Athena is parsed
// by dt-sql-parser (npm), whose TrinoSQL parser is generated from Trino's
// own ANTLR grammar (SqlBase.g4; Athena engine v3 runs Trino) and whose
// HiveSQL parser from Hive's grammar (Athena runs CREATE EXTERNAL TABLE on
// Hive's DDL engine). tools/sqlcheck holds it with a committed
// package-lock.json; .ci/run installs it with npm ci. A parser checks
// syntax only: names, types and functions are checked on DuckDB against the
// local answer (internal/cli's TestAthenaRenderingOnDuckDB).

type checkStatement struct {
	ID     string `json:"id"`
	Engine string `json:"engine"`
	SQL    string `json:"sql"`
}

type checkResult struct {
	ID     string   `json:"id"`
	Errors []string `json:"errors"`
}

// sqlcheck runs the checker on the statements; it skips the test when the
// checker is not installed, except in CI, where that is a failure.
func sqlcheck(t *testing.T, sts []checkStatement) map[string][]string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "sqlcheck"))
	if err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "dt-sql-parser"))
	if nodeErr != nil || modErr != nil {
		msg := fmt.Sprintf("the Trino/Hive grammar checker is not installed (node: %v; dt-sql-parser: %v): run `npm ci` in tools/sqlcheck", nodeErr, modErr)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	in, err := json.Marshal(sts)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--import", "./register.mjs", "check.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sqlcheck: %v\n%s", err, stderr.String())
	}
	var res []checkResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("sqlcheck output: %v\n%s", err, out)
	}
	if len(res) != len(sts) {
		t.Fatalf("sqlcheck answered %d of %d statements", len(res), len(sts))
	}
	m := map[string][]string{}
	for _, r := range res {
		m[r.ID] = r.Errors
	}
	return m
}

// generated collects every statement flowir generates for Athena: the DDL
// of each layout and file format, the views, and every catalog query with
// and without a time window and a limit.
func generated(t *testing.T) []checkStatement {
	var sts []checkStatement
	for _, l := range Layouts {
		for _, ff := range []FileFormat{Text, Parquet} {
			s := spec(t, customFormat, func(s *Spec) { s.Layout = l; s.FileFormat = ff })
			st, err := s.Statements()
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range st {
				sts = append(sts, checkStatement{ID: fmt.Sprintf("%s/%s/%s", l, ff, x.Name), Engine: x.Engine, SQL: x.SQL})
			}
		}
	}
	table := `"flowir"."vpc_flow_logs"`
	windows := []analysis.Bounds{
		{},
		{Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 5, 2, 0, 0, 0, 500, time.UTC), Limit: 10},
		{Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Limit: -1},
	}
	for i, b := range windows {
		qs, err := RenderCatalog(table, flow.AllVPCFormat(), b)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			sts = append(sts, checkStatement{ID: fmt.Sprintf("query/%s/%d", q.Name, i), Engine: "trino", SQL: q.SQL})
		}
	}
	return sts
}

func TestGeneratedSQLParsesAsTrinoAndHive(t *testing.T) {
	sts := generated(t)
	// Deliberately broken statements: the check must catch each.
	broken := []checkStatement{
		{ID: "broken/trino-keyword", Engine: "trino", SQL: "SELEC srcaddr FROM \"flowir\".\"vpc_flow_logs\""},
		{ID: "broken/trino-duckdb-intdiv", Engine: "trino", SQL: "SELECT sum(bytes) // count(*) FROM t"},
		// (Backquoted identifiers are refused by Trino after parsing, not by
		// its grammar, so they are not a grammar test.)
		{ID: "broken/trino-duckdb-cast", Engine: "trino", SQL: "SELECT bytes::BIGINT FROM t"},
		{ID: "broken/trino-trailing-comma", Engine: "trino", SQL: "SELECT a, FROM t"},
		{ID: "broken/hive-missing-paren", Engine: "hive", SQL: strings.Replace(spec(t, customFormat, nil).TableDDL(), ")\nPARTITIONED BY", "\nPARTITIONED BY", 1)},
	}
	res := sqlcheck(t, append(sts, broken...))
	for _, s := range sts {
		if errs := res[s.ID]; len(errs) > 0 {
			t.Errorf("%s does not parse as %s: %v\n%s", s.ID, s.Engine, errs, s.SQL)
		}
	}
	for _, s := range broken {
		if len(res[s.ID]) == 0 {
			t.Errorf("%s: the grammar check accepted a broken statement:\n%s", s.ID, s.SQL)
		}
	}
	t.Logf("%d generated statements parsed; %d broken ones refused", len(sts), len(broken))
}
