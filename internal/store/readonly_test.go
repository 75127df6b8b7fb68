package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
)

// readOnlyFixture makes a case with 100 records under root/name and returns
// its directory.
func readOnlyFixture(t *testing.T, root, name string) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(root, name)
	c, err := Open(ctx, dir, Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := decodeLine(t, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.BeginSource(Source{Path: "a.log", Origin: "file", SHA256: "aa", Account: "123456789010"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := w.AddRecord(rec, int64(i+1), false, flow.DefaultFormat().Mask()); err != nil {
			t.Fatal(err)
		}
	}
	w.Finish(Stats{Lines: 100, Records: 100, Status: StatusComplete})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openReadOnlyFixture opens a readOnlyFixture case read-only, until the
// test ends.
func openReadOnlyFixture(t *testing.T) *Case {
	t.Helper()
	c, err := Open(context.Background(), readOnlyFixture(t, t.TempDir(), "case"), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeTestFile writes a file, making its directory.
func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// treeState is every file and directory under root, with each file's
// SHA-256, size and mode: what must not change.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			state[rel] = "dir " + info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		state[rel] = fmt.Sprintf("%s %d %s", info.Mode(), len(b), hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func diffStates(before, after map[string]string) []string {
	var d []string
	for k, v := range before {
		if after[k] != v {
			d = append(d, fmt.Sprintf("%s: %q -> %q", k, v, after[k]))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			d = append(d, fmt.Sprintf("%s: new %q", k, v))
		}
	}
	sort.Strings(d)
	return d
}

// TestReadOnlyCannotWrite runs every kind of statement that writes, aimed at
// the database file, its WAL, the case folder and a folder outside, through
// the read-only path, and checks after each that nothing under the test's
// root changed (every file hashed) and that the case still opens with its
// records. Before the sandbox, COPY ... TO the database file replaced the
// evidence with four bytes.
func TestReadOnlyCannotWrite(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := readOnlyFixture(t, root, "case")
	outside := filepath.Join(root, "outside")
	writeTestFile(t, filepath.Join(outside, "secret.csv"), "a,b\n1,2\n")
	db := filepath.Join(dir, DBFile)
	targets := map[string]string{
		"db":      db,
		"wal":     db + ".wal",
		"tmp":     db + ".tmp",
		"case":    filepath.Join(dir, "new.out"),
		"data":    filepath.Join(dir, "data", "new.parquet"),
		"outside": filepath.Join(outside, "new.out"),
		"parent":  filepath.Join(dir, "..", "new.out"),
	}
	var stmts []string
	for _, name := range []string{"db", "wal", "tmp", "case", "data", "outside", "parent"} {
		p := sqltext.String(targets[name])
		for _, opts := range []string{
			"(FORMAT csv, USE_TMP_FILE false)", "(FORMAT csv)", "(FORMAT parquet)", "(FORMAT json)",
			"(FORMAT csv, OVERWRITE_OR_IGNORE true, USE_TMP_FILE false)",
		} {
			stmts = append(stmts, fmt.Sprintf("COPY (SELECT 'x' AS x) TO %s %s", p, opts))
		}
		stmts = append(stmts,
			"COPY flows TO "+p,
			"COPY (SELECT 1 AS a, 2 AS b) TO "+sqltext.String(filepath.Dir(targets[name]))+" (FORMAT parquet, PARTITION_BY (a), OVERWRITE_OR_IGNORE true)",
			"EXPORT DATABASE "+sqltext.String(filepath.Dir(targets[name])),
			"EXPORT DATABASE "+sqltext.String(filepath.Join(filepath.Dir(targets[name]), "export"))+" (FORMAT parquet)",
			"ATTACH "+p+" AS other",
			"ATTACH "+p+" AS other (READ_ONLY)",
			"SELECT * FROM enable_logging(storage='file', storage_path="+sqltext.String(filepath.Dir(targets[name]))+")",
			"CALL enable_logging(storage='file', storage_path="+sqltext.String(filepath.Dir(targets[name]))+")",
			"SELECT * FROM enable_profiling(save_location="+sqltext.String(targets[name]+".json")+")",
			"PRAGMA enable_profiling = 'json'; PRAGMA profiling_output = "+p,
			"SET profiling_output = "+p,
			"SET temp_directory = "+sqltext.String(filepath.Dir(targets[name])),
			"PRAGMA import_database("+sqltext.String(filepath.Dir(targets[name]))+")",
			"IMPORT DATABASE "+sqltext.String(filepath.Dir(targets[name])),
			"SELECT 1; COPY (SELECT 'x' AS x) TO "+p+" (FORMAT csv, USE_TMP_FILE false)",
			"SELECT 1;\nCOPY (SELECT 'x' AS x) TO "+p,
			"EXPLAIN ANALYZE COPY (SELECT 'x' AS x) TO "+p,
			"SELECT * FROM query('COPY (SELECT 1) TO "+strings.ReplaceAll(p, "'", "''")+"')",
			"SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
			"SELECT * FROM read_csv("+sqltext.String(filepath.Join(outside, "secret.csv"))+")",
			"SELECT * FROM "+sqltext.String(filepath.Join(outside, "secret.csv")),
			"CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
		)
	}
	stmts = append(stmts,
		"CREATE TABLE x AS SELECT 1",
		"CREATE TEMP TABLE x AS SELECT 1",
		"CREATE VIEW v AS SELECT 1",
		"CREATE MACRO m(a) AS a",
		"CREATE SCHEMA s",
		"CREATE SEQUENCE q",
		"CREATE TYPE e AS ENUM ('a')",
		"CREATE INDEX i ON sources (path)",
		"INSERT INTO sources SELECT * FROM sources",
		"INSERT INTO case_meta VALUES ('k', 'v') RETURNING *",
		"UPDATE case_meta SET value = '99' WHERE key = 'schema_version'",
		"DELETE FROM flows",
		"TRUNCATE flows",
		"DROP TABLE rejects",
		"DROP VIEW flows",
		"ALTER TABLE sources ADD COLUMN z INTEGER",
		"ALTER VIEW flows RENAME TO f",
		"COMMENT ON TABLE sources IS 'x'",
		"DETACH flowir",
		"USE memory",
		"CHECKPOINT",
		"FORCE CHECKPOINT",
		"CHECKPOINT flowir",
		"VACUUM",
		"ANALYZE",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"RESET enable_external_access",
		"SET GLOBAL access_mode = 'READ_WRITE'",
		"SET VARIABLE v = 1",
		"PRAGMA force_checkpoint",
		"PRAGMA disable_checkpoint_on_shutdown",
		"PRAGMA enable_checkpoint_on_shutdown",
		"PRAGMA version",
		"CALL checkpoint()",
		"CALL force_checkpoint()",
		"CALL pragma_version()",
		"SELECT * FROM checkpoint()",
		"SELECT * FROM force_checkpoint()",
		"SELECT * FROM system.main.checkpoint()",
		`SELECT * FROM "Force_Checkpoint"()`,
		"SELECT * FROM disable_logging()",
		"SELECT * FROM truncate_duckdb_logs()",
		"SELECT write_log('x')",
		"SELECT * FROM enable_peg_parser()",
		"INSTALL httpfs",
		"LOAD httpfs",
		"LOAD parquet",
		"FORCE INSTALL json",
		"UPDATE EXTENSIONS",
		"BEGIN TRANSACTION",
		"COMMIT",
		"ROLLBACK",
		"PREPARE p AS SELECT 1",
		"EXECUTE p",
		"DEALLOCATE p",
		"EXPLAIN SELECT 1",
		"COPY FROM DATABASE flowir TO memory",
		"SELECT 1; DELETE FROM flows",
		"DELETE FROM flows; SELECT 1",
		"SELECT 1; SELECT 2",
		"PIVOT (SELECT 1 AS a, 2 AS b) ON a USING sum(b)",
		"SELECT * FROM (SELECT 1) t, LATERAL (SELECT * FROM checkpoint())",
		"WITH c AS (SELECT * FROM checkpoint()) SELECT * FROM c",
		"SELECT (SELECT count(*) FROM force_checkpoint())",
	)

	before := treeState(t, root)
	c, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range stmts {
		if _, err := c.Query(ctx, q); err == nil {
			t.Errorf("%s: ran", q)
		}
		if d := diffStates(before, treeState(t, root)); len(d) > 0 {
			t.Fatalf("%s: changed files:\n%s", q, strings.Join(d, "\n"))
		}
	}
	// The connection still works, and so does a fresh open.
	var n int64
	if err := c.DB().QueryRowContext(ctx, "SELECT count(*) FROM flows").Scan(&n); err != nil || n != 100 {
		t.Fatalf("after the attempts: %d records, %v", n, err)
	}
	c.Close()
	c2, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the case no longer opens: %v", err)
	}
	defer c2.Close()
	if r, err := c2.Query(ctx, "SELECT count(*) FROM flows"); err != nil || r.Rows[0][0] != int64(100) {
		t.Fatalf("reopened: %v, %v", r, err)
	}
	if d := diffStates(before, treeState(t, root)); len(d) > 0 {
		t.Fatalf("changed files:\n%s", strings.Join(d, "\n"))
	}
}

// TestReadOnlyRefusalsSayWhy checks the messages, and that the check reads
// the parse tree, not the text: a ';' or a COPY inside a string or a comment
// is not a statement.
func TestReadOnlyRefusalsSayWhy(t *testing.T) {
	ctx := context.Background()
	c := openReadOnlyFixture(t)
	for _, tt := range []struct{ q, want string }{
		{"SELECT 1; SELECT 2", "has 2 statements"},
		{"SELECT 1; COPY (SELECT 1) TO 'x.csv'", "other than SELECT"},
		{"COPY (SELECT 1) TO 'x.csv'", "other than SELECT"},
		{"  ;  ", "empty"},
		{"-- nothing", "empty"},
		{"SELECT * FROM checkpoint()", "checkpoint() (writes the database)"},
		{"SELECT * FROM enable_logging()", "enable_logging()"},
		{"SELECT * FROM query('SELECT 1')", "query() (runs SQL given as text"},
		{"SELECT * FROM seq_scan()", "seq_scan()"},
		{"PIVOT (SELECT 1 AS a, 2 AS b) ON a USING sum(b)", "other than SELECT"},
		{"SELEC 1", "syntax error"},
	} {
		_, err := c.Query(ctx, tt.q)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want an error mentioning %q", tt.q, err, tt.want)
		}
		if tt.want != "syntax error" && !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%q: %v does not wrap ErrNotReadOnly", tt.q, err)
		}
	}
	for _, tt := range []struct {
		q    string
		want any
	}{
		{"SELECT ';' AS s", ";"},
		{"SELECT 'COPY (SELECT 1) TO ''x''' AS s", "COPY (SELECT 1) TO 'x'"},
		{"SELECT 1 AS n; -- COPY x TO 'y'", int32(1)},
		{"/* ; DELETE FROM flows; */ SELECT count(*) FROM flows", int64(100)},
		{"SELECT 1 AS n;", int32(1)},
		{"FROM flows SELECT count(*)", int64(100)},
		{"WITH t AS (SELECT 7 AS n) SELECT n FROM t", int32(7)},
		{"VALUES (5)", int32(5)},
		{`SELECT count(*) FROM "flowir"."vpcflow"`, int64(100)},
		{"SELECT count(*) FROM (DESCRIBE flows) WHERE column_name = 'srcaddr'", int64(1)},
		{"SELECT count(*) FROM (SHOW TABLES) WHERE name = 'sources'", int64(1)},
		{"SELECT count(*) FROM (SUMMARIZE sources) WHERE column_name = 'path'", int64(1)},
		{"SELECT max(b) FROM (PIVOT (SELECT 1 AS a, 2 AS b) ON a IN (1) USING sum(b)) p(b)", 2},
		{"SELECT count(*) FROM range(3)", int64(3)},
		{"SELECT count(DISTINCT function_name) FROM duckdb_functions() WHERE function_name = 'read_csv'", int64(1)},
		{"SELECT sum(bytes)::BIGINT / count(*) FROM flows", int64(4249)}, // integer division
		{"SELECT current_setting('TimeZone')", "UTC"},
		{"SELECT from_unixtime(0)::VARCHAR", "1970-01-01 00:00:00"},
	} {
		r, err := c.Query(ctx, tt.q)
		if err != nil {
			t.Errorf("%q: %v", tt.q, err)
			continue
		}
		if got := r.Rows[0][0]; fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q = %v (%T), want %v", tt.q, got, got, tt.want)
		}
	}
}

// TestReadOnlyConcurrentConnections runs queries on several connections at
// once. lock_configuration used to be set per connection, after which a
// second connection could not run its own SET TimeZone: every query beyond
// the first connection failed.
func TestReadOnlyConcurrentConnections(t *testing.T) {
	ctx := context.Background()
	c := openReadOnlyFixture(t)
	// Hold three connections at once, each with the session's settings
	// and macros.
	var conns []*sql.Conn
	for i := range 3 {
		conn, err := c.DB().Conn(ctx)
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	for i, conn := range conns {
		var tz, div, epoch string
		var n int64
		err := conn.QueryRowContext(ctx, "SELECT current_setting('TimeZone'), current_setting('integer_division')::VARCHAR, from_unixtime(0)::VARCHAR, count(*) FROM flows").Scan(&tz, &div, &epoch, &n)
		if err != nil || tz != "UTC" || div != "true" || epoch != "1970-01-01 00:00:00" || n != 100 {
			t.Errorf("connection %d: %s %s %s %d, %v", i+1, tz, div, epoch, n, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Query(ctx, "SELECT count(*) FROM flows, range(100)")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestReadOnlyOddPaths opens cases whose directory names hold the
// characters the driver's DSN gives a meaning to. A case under "a#b" used to
// be opened read-write, because the '#' turned "?access_mode=READ_ONLY" into
// a URL fragment.
func TestReadOnlyOddPaths(t *testing.T) {
	ctx := context.Background()
	for i, name := range []string{"a#b", "a%zz", "a%41b", "it's", "md:x", "a&access_mode=READ_WRITE"} {
		// The subtests' names stay plain: t.TempDir puts them in its path.
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			root := t.TempDir()
			dir := readOnlyFixture(t, root, "plain")
			odd := filepath.Join(root, name)
			if err := os.Rename(dir, odd); err != nil {
				t.Fatal(err)
			}
			before := treeState(t, root)
			c, err := Open(ctx, odd, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.DB().ExecContext(ctx, "DELETE FROM sources"); err == nil {
				t.Error("DELETE through the handle succeeded: the case is writable")
			}
			if r, err := c.Query(ctx, "SELECT count(*) FROM flows"); err != nil || r.Rows[0][0] != int64(100) {
				t.Errorf("count: %v, %v", r, err)
			}
			c.Close()
			if d := diffStates(before, treeState(t, root)); len(d) > 0 {
				t.Fatalf("changed files:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

// TestWritableRefusesQuestionMark: the driver ends a DSN's path at '?', so
// "a?b" would have created a database named "a".
func TestWritableRefusesQuestionMark(t *testing.T) {
	root := t.TempDir()
	_, err := Open(context.Background(), filepath.Join(root, "a?b"), Options{Create: true})
	if err == nil || !strings.Contains(err.Error(), "rename the directory") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "a")); err == nil {
		t.Fatal("a database named a was created")
	}
}

// TestReadOnlyFileDescriptors checks at the OS level that the read-only
// case holds its files through read-only descriptors only (Linux: the
// access mode in /proc/self/fdinfo).
func TestReadOnlyFileDescriptors(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fdinfo")
	}
	ctx := context.Background()
	c := openReadOnlyFixture(t)
	if _, err := c.Query(ctx, "SELECT count(*) FROM flows"); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(c.Dir)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil || !strings.HasPrefix(target, abs+string(filepath.Separator)) {
			continue
		}
		info, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", fd.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err != nil {
					t.Fatal(err)
				}
				held++
				if flags&3 != 0 { // O_ACCMODE: O_RDONLY is 0
					t.Errorf("%s is open with flags %o: not read-only", target, flags)
				}
			}
		}
	}
	if held == 0 {
		t.Fatal("no descriptor on the case's files found: the check checks nothing")
	}
}

// TestReadOnlyDirsMechanism checks the hook issue 11 needs: a directory
// listed by readOnlyDirs can be read, nothing else can be read, and every
// kind of statement that writes into it is refused by the statement check
// (ErrNotReadOnly), since DuckDB's allowed_directories would let COPY ... TO
// write there.
func TestReadOnlyDirsMechanism(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := readOnlyFixture(t, root, "case")
	data := filepath.Join(dir, "data")
	writeTestFile(t, filepath.Join(data, "x.csv"), "a\n41\n")
	writeTestFile(t, filepath.Join(root, "data.csv"), "a\n42\n")
	old := readOnlyDirs
	defer func() { readOnlyDirs = old }()
	readOnlyDirs = func(caseDir string) []string {
		return []string{filepath.Join(caseDir, "data") + string(filepath.Separator)}
	}
	before := treeState(t, root)
	c, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.Query(ctx, "SELECT a FROM read_csv("+sqltext.String(filepath.Join(data, "x.csv"))+")"); err != nil || r.Rows[0][0] != int64(41) {
		t.Fatalf("reading data/: %v, %v", r, err)
	}
	for _, q := range []string{
		"SELECT a FROM read_csv(" + sqltext.String(filepath.Join(root, "data.csv")) + ")",
		"SELECT a FROM read_csv(" + sqltext.String(filepath.Join(data, "..", "..", "data.csv")) + ")",
	} {
		if _, err := c.Query(ctx, q); err == nil {
			t.Errorf("%s: ran", q)
		}
	}
	// Writing into data/: refused by the statement check, not by DuckDB's
	// sandbox, which allows it.
	for _, q := range writesInto(data) {
		if _, err := c.Query(ctx, q); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%s: %v; want ErrNotReadOnly", q, err)
		}
		if d := diffStates(before, treeState(t, root)); len(d) > 0 {
			t.Fatalf("%s: changed files:\n%s", q, strings.Join(d, "\n"))
		}
	}
	// Past the check, DuckDB's allowed_directories lets COPY write into
	// data/ today: why the check is needed. Logged, not asserted, so that a
	// DuckDB that closes the gap does not fail the test.
	raw, err := c.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bypass := filepath.Join(data, "bypass.csv")
	_, err = raw.ExecContext(ctx, "COPY (SELECT 'x' AS x) TO "+sqltext.String(bypass))
	raw.Close()
	if _, serr := os.Stat(bypass); serr == nil {
		t.Logf("past the statement check, DuckDB let COPY write %s", bypass)
		os.Remove(bypass)
	} else {
		t.Logf("past the statement check, DuckDB refused COPY into data/: %v", err)
	}
	c.Close()
	if d := diffStates(before, treeState(t, root)); len(d) > 0 {
		t.Fatalf("changed files:\n%s", strings.Join(d, "\n"))
	}
}

// TestEveryTableFunctionClassified fails when the linked DuckDB has a table
// function, table macro or side-effecting scalar function that the sandbox
// has not classified, so that an upgrade cannot bring in a function that
// writes without someone deciding about it.
func TestEveryTableFunctionClassified(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Scalar functions whose side effects touch no file and no setting.
	harmless := setOf("current_connection_id", "current_query", "current_query_id", "current_transaction_id",
		"currval", "nextval", "error", "gen_random_uuid", "random", "setseed", "sleep_ms", "stats",
		"uuid", "uuidv4", "uuidv7")
	rows, err := db.Query(`SELECT DISTINCT function_name, function_type, has_side_effects FROM duckdb_functions()
		WHERE function_type IN ('table', 'table_macro') OR (function_type = 'scalar' AND has_side_effects)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, typ string
		var side sql.NullBool
		if err := rows.Scan(&name, &typ, &side); err != nil {
			t.Fatal(err)
		}
		n++
		_, denied := deniedFunctions[name]
		switch {
		case typ == "scalar" && !denied && !harmless[name]:
			t.Errorf("scalar function %s has side effects and is neither denied nor known harmless", name)
		case typ != "scalar" && denied == readingTableFunctions[name]:
			t.Errorf("table function %s: classify it in readingTableFunctions or deniedFunctions (exactly one)", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d functions listed", n)
	}
}

// writesInto returns statements that write files into dir, one of each kind
// the read-only path must refuse.
func writesInto(dir string) []string {
	file := sqltext.String(filepath.Join(dir, "w.out"))
	d := sqltext.String(dir)
	return []string{
		"COPY (SELECT 'x' AS x) TO " + file,
		"COPY (SELECT 'x' AS x) TO " + file + " (FORMAT csv, USE_TMP_FILE false)",
		"COPY (SELECT 'x' AS x) TO " + file + " (FORMAT parquet)",
		"COPY (SELECT 'x' AS x) TO " + file + " (FORMAT json)",
		"COPY (SELECT 1 AS a, 2 AS b) TO " + d + " (FORMAT parquet, PARTITION_BY (a), OVERWRITE_OR_IGNORE true)",
		"COPY (SELECT 1 AS a) TO " + d + " (FORMAT csv, PER_THREAD_OUTPUT true, OVERWRITE_OR_IGNORE true)",
		"EXPORT DATABASE " + sqltext.String(filepath.Join(dir, "export")),
		"SELECT 1; COPY (SELECT 'x' AS x) TO " + file,
		"EXPLAIN ANALYZE COPY (SELECT 'x' AS x) TO " + file,
		"SELECT * FROM query('COPY (SELECT 1) TO " + strings.ReplaceAll(file, "'", "''") + "')",
		"SELECT * FROM enable_logging(storage='file', storage_path=" + d + ")",
		"CALL enable_logging(storage='file', storage_path=" + d + ")",
		"SELECT * FROM enable_profiling(save_location=" + sqltext.String(filepath.Join(dir, "p.json")) + ")",
		"SET profiling_output = " + file,
	}
}

// TestStatementCheckAloneRefusesWrites runs the statement check (layer 1)
// on a DuckDB where every file access is allowed, so that nothing else
// could be what refuses: each statement that writes is refused with
// ErrNotReadOnly, and nothing is written (the control shows that, run, one
// does write there). DuckDB's allowed_directories lets COPY ... TO write into
// an allowed folder; when issue 11 makes the case's data/ folder readable,
// this check is what keeps it read-only (TestReadOnlyDirsMechanism).
func TestStatementCheckAloneRefusesWrites(t *testing.T) {
	ctx := context.Background()
	open := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range writesInto(open) {
		if err := checkReadOnly(ctx, conn, q); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("unrestricted DuckDB, check alone: %s: %v; want ErrNotReadOnly", q, err)
		}
	}
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Fatalf("the check wrote into %s: %v", open, entries)
	}
	control := writesInto(open)[0]
	if _, err := conn.ExecContext(ctx, control); err != nil {
		t.Fatalf("control: %s: %v", control, err)
	}
	if _, err := os.Stat(filepath.Join(open, "w.out")); err != nil {
		t.Fatalf("control: %s wrote nothing (%v): this test would prove nothing", control, err)
	}
}
