package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/flowir/flowir/internal/sqltext"
)

// The read-only sandbox: how `flowir sql`, `flowir query` and every other
// command that only reads a case (and the web UI's console, which calls the
// same code) open it, and what SQL they let through.
//
// Three layers, each enough to stop what the break-it campaign of issue 16
// found (a COPY ... TO the case's own database file, which DuckDB's
// enable_external_access=false still allows):
//
//  1. The statement. Before a user's query reaches DuckDB's binder, DuckDB's
//     own parser decides what it is (json_serialize_sql, then the prepared
//     statement's type): exactly one statement, and a SELECT (WITH, VALUES,
//     FROM ..., DESCRIBE, SHOW, SUMMARIZE and PIVOT ... IN (...) are
//     SELECTs). COPY, EXPORT, CREATE, INSERT, UPDATE, DELETE, DROP, ALTER,
//     ATTACH, DETACH, CHECKPOINT, SET, RESET, PRAGMA, CALL, INSTALL, LOAD,
//     PREPARE, EXECUTE, EXPLAIN, VACUUM and transactions are refused by
//     type, whatever their text looks like. Inside the SELECT, every function
//     the parse tree names is checked: a table function must be one that
//     only reads (readingTableFunctions), and the few functions that change
//     the database's state or write files from inside a SELECT
//     (enable_logging writes log files, enable_profiling, checkpoint, query()
//     which runs SQL text the check cannot see, ...) are refused by name
//     (deniedFunctions).
//  2. The database. The case is attached READ_ONLY to an in-memory DuckDB,
//     so DuckDB opens the file with a read-only file descriptor (O_RDONLY:
//     a statement that got through could not write through it) and writes
//     no WAL, no checkpoint and no temporary file into the case: spills go
//     to a private directory outside it, removed at Close. The path travels
//     as an SQL string literal, not in the driver's DSN, where a '#' or '?'
//     in a directory name would cut off the options (a case under "a#b/"
//     was opened read-write).
//  3. The configuration. External access is disabled (no file outside the
//     case, no ATTACH, no INSTALL/LOAD; extension autoloading is off), and
//     locked, so no statement can switch it back.
//
// Reading files: readOnlyDirs lists the directories whose files the SQL may
// read besides the database: the case's data/ folder, where the flow
// records are (datafiles.go). DuckDB's allowed_directories would let a COPY
// write into that folder too; layer 1 is what keeps it read-only.

// ErrNotReadOnly is wrapped by the error returned for SQL that the read-only
// sandbox refuses: more than one statement, a statement that is not a
// SELECT, or a function that writes or changes the database's state.
var ErrNotReadOnly = errors.New("not a read-only query")

// readOnlyDirs returns the directories (absolute, ending in a separator)
// whose files read-only SQL may read, besides the database itself. It is a
// variable so that a test can check the mechanism with a folder of its own.
var readOnlyDirs = func(caseDir string) []string {
	return []string{filepath.Join(caseDir, dataDir) + string(filepath.Separator)}
}

// readOnlyCatalog is the name the attached case has: the base name of
// DBFile, as when a writing command opens the file, so that the playbook's
// `"flowir"."vpcflow"` resolves the same way.
const readOnlyCatalog = "flowir"

// openReadOnly returns the connector for a read-only case, and the private
// temporary directory to remove when the case is closed.
func openReadOnly(ctx context.Context, dir, dbPath string) (*duckdb.Connector, string, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return nil, "", fmt.Errorf("case %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp("", "flowir-readonly-")
	if err != nil {
		return nil, "", fmt.Errorf("case %s: temporary directory for read-only queries: %w", dir, err)
	}
	cfg := url.Values{}
	cfg.Set("temp_directory", tmp)
	cfg.Set("autoinstall_known_extensions", "false")
	cfg.Set("autoload_known_extensions", "false")
	cfg.Set("allow_community_extensions", "false")

	var dirs []string
	for _, d := range readOnlyDirs(filepath.Dir(abs)) {
		dirs = append(dirs, sqltext.String(d))
	}
	// Run once for the database, on its first connection: every connection
	// shares the attached case and the global settings, and after
	// lock_configuration no connection could set them.
	global := []string{fmt.Sprintf("ATTACH %s AS %s (READ_ONLY, TYPE duckdb)", sqltext.String(abs), readOnlyCatalog)}
	for _, s := range prestoSettings() {
		global = append(global, "SET GLOBAL "+s)
	}
	global = append(global,
		"SET allowed_directories = ["+strings.Join(dirs, ", ")+"]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	)
	perConn := append([]string{"USE " + readOnlyCatalog}, prestoMacros()...)

	var mu sync.Mutex
	done := false
	connector, err := duckdb.NewConnector("?"+cfg.Encode(), func(execer driver.ExecerContext) error {
		mu.Lock()
		defer mu.Unlock()
		var stmts []string
		if !done {
			stmts = global
		}
		for _, q := range append(stmts, perConn...) {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("initialise connection (%s): %w", firstLine(q), err)
			}
		}
		done = true
		return tempDataViews(ctx, execer, filepath.Dir(abs))
	})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, "", err
	}
	return connector, tmp, nil
}

// checkReadOnly decides, with DuckDB's parser and before anything is bound
// or run, whether q is exactly one statement that only reads (see the top of
// this file). It returns nil, DuckDB's own syntax error, or an error
// wrapping ErrNotReadOnly that says what was refused.
func checkReadOnly(ctx context.Context, conn *sql.Conn, q string) error {
	var js string
	// json_serialize_sql parses only: nothing is bound or run.
	if err := conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, q).Scan(&js); err != nil {
		return fmt.Errorf("parse the query: %w", err)
	}
	var parsed struct {
		Error        bool              `json:"error"`
		ErrorType    string            `json:"error_type"`
		ErrorMessage string            `json:"error_message"`
		Statements   []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &parsed); err != nil {
		return fmt.Errorf("parse the query: DuckDB's parse tree is not JSON: %w", err)
	}
	switch {
	case parsed.Error && parsed.ErrorType == "parser":
		// DuckDB's own message, with the line and the caret, comes from
		// preparing: extracting the statements fails before any is bound.
		if err := prepareType(conn, q, nil); err != nil {
			return err
		}
		return fmt.Errorf("syntax error: %s", parsed.ErrorMessage)
	case parsed.Error:
		return fmt.Errorf("%w: the query is, or contains, a statement other than SELECT (%s); "+
			"read-only SQL runs exactly one SELECT (or WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE, PIVOT ... IN (...)): "+
			"COPY, EXPORT, CREATE, INSERT, UPDATE, DELETE, DROP, ALTER, ATTACH, SET, PRAGMA, CALL, INSTALL, LOAD, EXPLAIN and the like are refused, the case cannot be changed",
			ErrNotReadOnly, parsed.ErrorMessage)
	case len(parsed.Statements) == 0:
		return fmt.Errorf("%w: the query is empty (only comments or ';')", ErrNotReadOnly)
	case len(parsed.Statements) > 1:
		return fmt.Errorf("%w: the query has %d statements; read-only SQL runs exactly one (run each on its own)",
			ErrNotReadOnly, len(parsed.Statements))
	}
	var tree any
	if err := json.Unmarshal(parsed.Statements[0], &tree); err != nil {
		return fmt.Errorf("parse the query: %w", err)
	}
	var refused []string
	seen := map[string]bool{}
	walkFunctions(tree, func(name string, table bool) {
		name = strings.ToLower(name)
		why, denied := deniedFunctions[name]
		if !denied && table && !readingTableFunctions[name] {
			denied, why = true, "a table function read-only SQL does not know to only read"
		}
		if denied && !seen[name] {
			seen[name] = true
			refused = append(refused, fmt.Sprintf("%s() (%s)", name, why))
		}
	})
	if len(refused) > 0 {
		sort.Strings(refused)
		return fmt.Errorf("%w: the query calls %s; read-only SQL may call only functions that read", ErrNotReadOnly, strings.Join(refused, ", "))
	}
	// The statement's type as DuckDB prepares it: the same decision made
	// again by the binder, in case the JSON form ever admits another kind.
	var typ duckdb.StmtType
	if err := prepareType(conn, q, &typ); err != nil {
		return err
	}
	if typ != duckdb.STATEMENT_TYPE_SELECT {
		return fmt.Errorf("%w: DuckDB prepares the query as statement type %d, not SELECT", ErrNotReadOnly, typ)
	}
	return nil
}

// prepareType prepares q on conn without running it and stores its
// statement type in typ (if not nil). The driver's Prepare refuses text that
// DuckDB's parser splits into more than one statement (PIVOT without an IN
// list expands into two) instead of running the first ones, as its
// PrepareContext would.
func prepareType(conn *sql.Conn, q string, typ *duckdb.StmtType) error {
	var perr error
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("store: unexpected driver connection %T", dc)
		}
		st, err := c.Prepare(q)
		if err != nil {
			perr = err
			return nil
		}
		defer st.Close()
		if typ != nil {
			s, ok := st.(*duckdb.Stmt)
			if !ok {
				return fmt.Errorf("store: unexpected driver statement %T", st)
			}
			*typ, err = s.StatementType()
		}
		return err
	})
	if err != nil {
		return err
	}
	if perr != nil {
		if strings.Contains(perr.Error(), "multi-statement") {
			return fmt.Errorf("%w: DuckDB runs the query as several statements (a PIVOT without an IN list does): give PIVOT ... ON col IN (values)", ErrNotReadOnly)
		}
		return sqlError(perr)
	}
	return nil
}

// walkFunctions calls fn for every function DuckDB's JSON parse tree names:
// table functions (the FROM clause's TABLE_FUNCTION, table macros included)
// with table set, and scalar, aggregate and window functions and macros.
// A table function is reported twice, once as each, which the check allows.
func walkFunctions(v any, fn func(name string, table bool)) {
	switch x := v.(type) {
	case map[string]any:
		if x["type"] == "TABLE_FUNCTION" {
			if f, ok := x["function"].(map[string]any); ok {
				if name, ok := f["function_name"].(string); ok {
					fn(name, true)
				}
			}
		}
		if name, ok := x["function_name"].(string); ok {
			fn(name, false)
		}
		for _, c := range x {
			walkFunctions(c, fn)
		}
	case []any:
		for _, c := range x {
			walkFunctions(c, fn)
		}
	}
}

// readingTableFunctions are the table functions and table macros of the
// DuckDB that flowir links (1.5, with json, parquet and icu) that only read:
// the catalog, settings and files (within what external access allows), or
// generate values. Any other table function is refused, so one added by a
// later DuckDB stays out until someone has looked at it
// (TestEveryTableFunctionClassified fails until then).
var readingTableFunctions = setOf(
	// the catalog and the engine's state
	"duckdb_approx_database_count", "duckdb_columns", "duckdb_connection_count", "duckdb_constraints",
	"duckdb_coordinate_systems", "duckdb_databases", "duckdb_dependencies", "duckdb_extensions",
	"duckdb_external_file_cache", "duckdb_functions", "duckdb_indexes", "duckdb_keywords",
	"duckdb_log_contexts", "duckdb_logs", "duckdb_logs_parsed", "duckdb_memory", "duckdb_optimizers",
	"duckdb_prepared_statements", "duckdb_profiling_settings", "duckdb_schemas", "duckdb_secret_types",
	"duckdb_secrets", "duckdb_sequences", "duckdb_settings", "duckdb_table_sample", "duckdb_tables",
	"duckdb_temporary_files", "duckdb_types", "duckdb_variables", "duckdb_views", "which_secret",
	"pragma_collations", "pragma_database_size", "pragma_metadata_info", "pragma_platform", "pragma_show",
	"pragma_storage_info", "pragma_table_info", "pragma_user_agent", "pragma_version",
	"icu_calendar_names", "pg_timezone_names", "query_table",
	// files, where external access allows
	"glob", "read_blob", "read_text", "read_csv", "read_csv_auto", "sniff_csv", "read_duckdb",
	"read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto",
	"read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
	"read_parquet", "parquet_scan", "parquet_bloom_probe", "parquet_file_metadata", "parquet_full_metadata",
	"parquet_kv_metadata", "parquet_metadata", "parquet_schema",
	// values
	"generate_series", "range", "repeat", "repeat_row", "unnest", "json_each", "json_tree",
	"histogram", "histogram_values", "summary", "test_all_types", "test_vector_types",
)

// deniedFunctions are functions a SELECT can call that write or change the
// database's state, with the reason given to the user. Table functions not
// in readingTableFunctions are refused anyway; they are listed here when the
// reason is worth saying.
var deniedFunctions = map[string]string{
	"enable_logging":              "writes log files and changes settings",
	"disable_logging":             "changes settings",
	"truncate_duckdb_logs":        "deletes logs",
	"enable_profiling":            "writes profiling output and changes settings",
	"disable_profiling":           "changes settings",
	"checkpoint":                  "writes the database",
	"force_checkpoint":            "writes the database",
	"write_log":                   "writes to the log",
	"query":                       "runs SQL given as text, which the check cannot see",
	"json_execute_serialized_sql": "runs SQL given as a parse tree, which the check cannot see",
	"enable_peg_parser":           "changes the parser",
	"disable_peg_parser":          "changes the parser",
	"check_peg_parser":            "changes the parser",
	"sql_auto_complete":           "is for interactive shells",
	"arrow_scan":                  "reads process memory at given addresses",
	"arrow_scan_dumb":             "reads process memory at given addresses",
	"seq_scan":                    "is internal to DuckDB",
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// tempDataViews creates, on a read-only connection, the views flows and
// tgwflow over the data files of the case in dir as temporary views, which
// come first in DuckDB's search path (also inside the stored views, such
// as vpcflow): the stored views name the files where the case was last
// written, and a case copied or moved since (an evidence copy) must read
// its own files, the only ones its sandbox lets it read. A case of schema
// 1 or 2 has no data files and keeps its stored views.
func tempDataViews(ctx context.Context, execer driver.ExecerContext, dir string) error {
	q, ok := execer.(driver.QueryerContext)
	if !ok {
		return errors.New("initialise connection: the driver cannot query")
	}
	var version string
	if err := driverQuery(ctx, q, `SELECT max(value) FROM case_meta WHERE key = 'schema_version'`, func(v []driver.Value) error {
		version, _ = v[0].(string)
		return nil
	}); err != nil {
		return nil // not a flowir case: checkSchema says so
	}
	if n, _ := strconv.Atoi(version); n < 3 {
		return nil
	}
	files := map[string][]string{}
	if err := driverQuery(ctx, q, `SELECT tbl, file FROM data_files ORDER BY tbl, file`, func(v []driver.Value) error {
		t, _ := v[0].(string)
		f, _ := v[1].(string)
		files[t] = append(files[t], f)
		return nil
	}); err != nil {
		return fmt.Errorf("initialise connection: list the data files: %w", err)
	}
	stmts, err := dataViewsDDL(dir, files, true)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := execer.ExecContext(ctx, s, nil); err != nil {
			return fmt.Errorf("initialise connection (%s): %w", firstLine(s), err)
		}
	}
	return nil
}

// driverQuery runs q on a driver connection, calling row for each row.
func driverQuery(ctx context.Context, q driver.QueryerContext, query string, row func([]driver.Value) error) error {
	rows, err := q.QueryContext(ctx, query, nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	v := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(v); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := row(v); err != nil {
			return err
		}
	}
}
