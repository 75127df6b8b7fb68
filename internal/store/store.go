// Package store owns the case: the directory that holds one investigation and
// the DuckDB database inside it (tables flows, tgwflow, sources, rejects, and
// the views that give the playbook's Athena SQL its column names). It is the
// only package that imports DuckDB.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// DBFile is the name of the database inside a case directory. Its base name
// makes DuckDB call the catalog "flowir", so `"flowir"."vpcflow"` resolves the
// way an Athena user writes `"database"."table"`.
const DBFile = "flowir.duckdb"

// Case is an open case.
type Case struct {
	Dir      string
	ReadOnly bool
	db       *sql.DB
	tmpDir   string       // read-only: DuckDB's spill directory, outside the case
	lastID   atomic.Int64 // the highest source_id allocated
	absDir   string       // Dir made absolute: the data files' paths start with it

	// commitMu makes batch commits take turns (see Batch).
	commitMu sync.Mutex
}

// Options controls how a case is opened.
type Options struct {
	// ReadOnly opens the database read-only, in the sandbox of readonly.go:
	// what `flowir sql`, `flowir query` and the web UI use.
	ReadOnly bool
	// Create makes the case if the directory does not hold one yet.
	Create bool
	// Analysis is for writing commands that analyse the whole case (detect,
	// ioc): no buffer-pool cap, which is meant for ingest (see connInitSQL);
	// their aggregations, sorts and window functions need DuckDB's default.
	Analysis bool
	// Load is for commands that load records (ingest, demo): the bulk-load
	// settings of bulkLoadSQL. Other writing commands (export, inventory)
	// keep DuckDB's insertion order, which an ORDER BY in COPY relies on.
	Load bool
	// MemoryLimit (bytes) and Threads, when not 0, replace DuckDB's memory
	// limit (memoryLimit) and its number of threads (one per core) for
	// Load: ingest plans them from the memory it may use, with the number
	// of batches it commits at once (ingest.PlanResources, issue 17.1).
	MemoryLimit int64
	Threads     int
}

// ErrNoCase is returned when a directory holds no case and Create is false.
var ErrNoCase = errors.New("no case")

// CaseLockedError is returned when another process holds the case open
// (DuckDB allows one writer, or readers, per database file).
type CaseLockedError struct {
	Dir    string
	Holder string // "another process (PID n)", "this process", ...
}

func (e *CaseLockedError) Error() string {
	return fmt.Sprintf("case %s is in use by %s, probably another flowir command: wait for it to finish, or work on a copy of the case", e.Dir, e.Holder)
}

// Open opens (or with Create, creates) the case in dir.
func Open(ctx context.Context, dir string, opt Options) (*Case, error) {
	if dir == "" {
		return nil, errors.New("no case directory given: use --case DIR or set FLOWIR_CASE")
	}
	dbPath := filepath.Join(dir, DBFile)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if !opt.Create {
			return nil, fmt.Errorf("%w at %s: ingest logs first (flowir ingest --case %s PATH), or point --case at an existing case", ErrNoCase, dir, dir)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create case directory: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("case directory %s: %w", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("case %s is a file, not a directory: give --case a directory", dir)
	}
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		if !opt.Create {
			return nil, fmt.Errorf("%w at %s (no %s in it): ingest logs first (flowir ingest --case %s PATH), or point --case at an existing case", ErrNoCase, dir, DBFile, dir)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), DBFile) && !strings.HasPrefix(e.Name(), ".") {
				return nil, fmt.Errorf("%s is not a flowir case (it has files but no %s): give --case an empty or new directory", dir, DBFile)
			}
		}
	}

	var connector *duckdb.Connector
	var tmpDir string
	if opt.ReadOnly {
		connector, tmpDir, err = openReadOnly(ctx, dir, dbPath)
	} else {
		connector, err = openWritable(ctx, dbPath, opt)
	}
	if err != nil {
		return nil, openError(dir, err)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", dir, err)
	}
	c := &Case{Dir: dir, ReadOnly: opt.ReadOnly, db: sql.OpenDB(connector), tmpDir: tmpDir, absDir: absDir}
	if err := c.db.PingContext(ctx); err != nil {
		c.db.Close() // also closes the connector
		os.RemoveAll(tmpDir)
		return nil, openError(dir, err)
	}
	if !c.ReadOnly {
		os.RemoveAll(c.spoolDir())
		if err := os.MkdirAll(c.spoolDir(), 0o750); err != nil {
			c.Close()
			return nil, fmt.Errorf("case %s: create spool directory: %w", dir, err)
		}
	}
	if err := c.checkSchema(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if !c.ReadOnly {
		var last int64
		if err := c.db.QueryRowContext(ctx, `SELECT coalesce(max(source_id), 0) FROM sources`).Scan(&last); err != nil {
			c.Close()
			return nil, err
		}
		c.lastID.Store(last)
	}
	return c, nil
}

// openWritable returns the connector of a case opened for writing, whose
// connections run connInitSQL. The path goes into the driver's DSN, which
// ends the path at the first '?' (a case "a?b" would be a database "a"), so
// such a path is refused.
func openWritable(ctx context.Context, dbPath string, opt Options) (*duckdb.Connector, error) {
	if _, err := url.Parse(dbPath); err != nil || strings.Contains(dbPath, "?") {
		return nil, fmt.Errorf("the path %q cannot be given to DuckDB's Go driver, which reads '?' and '%%' as the start of its options: rename the directory", dbPath)
	}
	init := connInitSQL(opt)
	return duckdb.NewConnector(dbPath, func(execer driver.ExecerContext) error {
		for _, q := range init {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("initialise connection (%s): %w", firstLine(q), err)
			}
		}
		return nil
	})
}

// connInitSQL is run on every new connection of a case opened for writing:
// UTC session time and the Presto compatibility macros; commands that load
// records get the bulk-load settings, other writing commands the buffer-pool
// cap. (A read-only case is set up by openReadOnly.)
func connInitSQL(opt Options) []string {
	q := prestoCompatSQL()
	switch {
	case opt.Analysis:
		// Whole-case aggregations, sorts and window functions need DuckDB's
		// default memory; rows they store keep the ingest's compression.
		q = append(q, disabledCompression)
	case opt.Load:
		q = append(q, bulkLoadSQL...)
		if opt.MemoryLimit > 0 {
			q = append(q, fmt.Sprintf("SET memory_limit = '%dMiB'", max(opt.MemoryLimit>>20, 1)))
		}
		if opt.Threads > 0 {
			q = append(q, fmt.Sprintf("SET threads = %d", opt.Threads))
		}
	default: // export, inventory: insertion order kept
		q = append(q, memoryLimit, disabledCompression)
	}
	return q
}

// disabledCompression leaves FSST out of the compression methods DuckDB
// tries when it writes string columns. On flow logs, dictionary compression
// does nearly all the work (FSST was chosen for under 5% of string segments
// and the file is 3% larger without it), while analysing every segment for
// FSST costs about 7% of ingest's CPU time (bench/ingest.sh).
const disabledCompression = "SET disabled_compression_methods = 'fsst,dict_fsst'"

// bulkLoadSQL configures the connections of commands that load records
// (ingest, demo):
//
//   - a buffer-pool cap: DuckDB's default (80% of the machine) lets ingest
//     keep every block it wrote cached; the records of a batch are spooled to
//     files (writer.go), not held here, and 450 MB loads as fast as more
//     (bench/ingest.sh: peak RSS 0.65 to 0.78 GiB at 10 M records, 0.67 GiB at
//     30 M; 300 MB spills);
//   - no insertion order: a batch's rows may be stored in any order (each
//     row carries its source and line), which lets DuckDB insert them with
//     all its threads instead of one: a third less CPU per record;
//   - disabledCompression.
var bulkLoadSQL = []string{
	memoryLimit,
	"SET preserve_insertion_order = false",
	disabledCompression,
}

// memoryLimit is DuckDB's memory limit for commands that write the case,
// except Analysis ones.
const memoryLimit = "SET memory_limit = '450MB'"

// spoolDir is where ingest batches spool their records before loading them
// (see plan in writer.go); what a killed ingest left there is removed when
// the case is next opened for writing.
func (c *Case) spoolDir() string { return filepath.Join(c.Dir, ".spool") }

var lockPID = regexp.MustCompile(`PID (\d+)`)

// openError turns DuckDB's open failures into messages that say what to do.
func openError(dir string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock"):
		who := "another process"
		if m := lockPID.FindStringSubmatch(msg); m != nil {
			who = "another process (PID " + m[1] + ")"
			if pid, _ := strconv.Atoi(m[1]); pid == os.Getpid() {
				who = "this process"
			}
		}
		return &CaseLockedError{Dir: dir, Holder: who}
	case strings.Contains(msg, "not a valid DuckDB database") || strings.Contains(msg, "Invalid Input Error: The file"):
		return fmt.Errorf("case %s: %s is not a DuckDB database flowir can read: %v", dir, DBFile, err)
	}
	return fmt.Errorf("open case %s: %w", dir, err)
}

// checkSchema creates the schema of a new case, and refuses one written by a
// newer flowir whose layout this build does not know.
func (c *Case) checkSchema(ctx context.Context) error {
	var have sql.NullString
	err := c.db.QueryRowContext(ctx, `SELECT value FROM case_meta WHERE key = 'schema_version'`).Scan(&have)
	switch {
	case err == nil:
		v, perr := strconv.Atoi(have.String)
		if perr != nil {
			return fmt.Errorf("case %s: unreadable schema version %q", c.Dir, have.String)
		}
		if v > SchemaVersion {
			return fmt.Errorf("case %s was written by a newer flowir (case schema %d, this flowir reads up to %d): upgrade flowir to open it", c.Dir, v, SchemaVersion)
		}
		if c.ReadOnly {
			return nil // every older layout reads as it is (see SchemaVersion)
		}
		if v < 2 {
			if err := c.upgradeTo2(ctx); err != nil {
				return fmt.Errorf("case %s: upgrade the layout from schema %d to %d: %w", c.Dir, v, SchemaVersion, err)
			}
		}
		if v < 3 {
			if err := c.upgradeTo3(ctx); err != nil {
				return fmt.Errorf("case %s: upgrade the layout from schema %d to %d: %w", c.Dir, v, SchemaVersion, err)
			}
		}
		if err := c.reconcileData(ctx); err != nil {
			return err
		}
		files, err := dataFiles(ctx, c.db)
		if err != nil {
			return err
		}
		stmts, err := c.allDDL(files)
		if err != nil {
			return err
		}
		return c.exec(ctx, stmts...)
	case c.ReadOnly:
		return fmt.Errorf("case %s has no flowir schema: is it a flowir case? (%v)", c.Dir, err)
	}
	// A new database: create everything in one transaction.
	stmts, err := c.allDDL(nil)
	if err != nil {
		return err
	}
	stmts = append(stmts,
		fmt.Sprintf(`INSERT INTO case_meta VALUES ('schema_version', '%d'), ('created_at', strftime(now(), '%%Y-%%m-%%dT%%H:%%M:%%SZ'))`, SchemaVersion))
	tx, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback()
			return fmt.Errorf("create case schema (%s): %w", firstLine(q), err)
		}
	}
	return tx.Commit()
}

// upgradeTo2 turns a schema 1 case into schema 2: its flows table, which
// has every column, becomes flows_wide under the flows view, in one
// transaction with the new version number.
func (c *Case) upgradeTo2(ctx context.Context) error {
	tx, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var tables int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'flows'`).Scan(&tables); err != nil {
		return err
	}
	stmts := []string{`UPDATE case_meta SET value = '2' WHERE key = 'schema_version'`}
	if tables == 1 {
		stmts = append([]string{`ALTER TABLE flows RENAME TO ` + wideTable}, stmts...)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	return tx.Commit()
}

func (c *Case) exec(ctx context.Context, stmts ...string) error {
	for _, q := range stmts {
		if _, err := c.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return q
}

// DB exposes the database handle to the store's own helpers and tests.
func (c *Case) DB() *sql.DB { return c.db }

// Close checkpoints and closes the case.
func (c *Case) Close() error {
	if !c.ReadOnly {
		c.db.Exec("CHECKPOINT")
	}
	err := c.db.Close() // also closes the connector
	if c.tmpDir != "" {
		os.RemoveAll(c.tmpDir)
	}
	return err
}
