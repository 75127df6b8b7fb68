// Command duckload is the baseline of the ingest benchmark: it loads the same
// flow log files flowir ingests with DuckDB's own CSV reader, into one table
// with explicit column types, the way a careful analyst would do it by hand.
//
// Files are grouped by their header line (read_csv needs one column list per
// call), and each group is loaded with one read_csv call over all its files,
// so DuckDB parallelises across files as it does in its best case. Like
// flowir's table (and the playbook's Athena table), the baseline's table has
// the account, region and date partition columns, taken from each file's S3
// key with regular expressions over read_csv's filename column.
//
//	go run ./bench/duckload -db /tmp/base.duckdb DIR
package main

import (
	"bufio"
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/flow"
)

func main() {
	dbPath := flag.String("db", "", "DuckDB file to create (removed first)")
	unordered := flag.Bool("unordered", false, "SET preserve_insertion_order = false, as flowir's ingest does")
	flag.Parse()
	if *dbPath == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: duckload -db FILE DIR")
		os.Exit(2)
	}
	if err := run(*dbPath, flag.Arg(0), *unordered); err != nil {
		fmt.Fprintln(os.Stderr, "duckload:", err)
		os.Exit(1)
	}
}

func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", err
	}
	line, err := bufio.NewReader(zr).ReadString('\n')
	return strings.TrimSpace(line), err
}

func run(dbPath, dir string, unordered bool) error {
	groups := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".log.gz") {
			return err
		}
		h, err := firstLine(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		groups[h] = append(groups[h], p)
		return nil
	})
	if err != nil {
		return err
	}
	os.Remove(dbPath)
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if unordered {
		if _, err := db.Exec("SET preserve_insertion_order = false"); err != nil {
			return err
		}
	}
	// The target table: every VPC field, as flowir's own flows table types them.
	var cols []string
	for _, f := range flow.All()[:flow.NumVPCFields] {
		cols = append(cols, fmt.Sprintf("%q %s", f.Column, sqlType(f.Kind)))
	}
	cols = append(cols, "account_partition VARCHAR", "region_partition VARCHAR", "date_partition VARCHAR")
	if _, err := db.Exec("CREATE TABLE flows (" + strings.Join(cols, ", ") + ")"); err != nil {
		return err
	}
	headers := make([]string, 0, len(groups))
	for h := range groups {
		headers = append(headers, h)
	}
	sort.Strings(headers)
	start := time.Now()
	var total int64
	for _, h := range headers {
		files := groups[h]
		var spec []string
		for _, name := range strings.Fields(h) {
			id, ok := flow.Lookup(name)
			typ := "VARCHAR"
			if ok {
				typ = sqlType(flow.Get(id).Kind)
			}
			spec = append(spec, fmt.Sprintf("'%s': '%s'", strings.ReplaceAll(name, "-", "_"), typ))
		}
		quoted := make([]string, len(files))
		for i, f := range files {
			quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
		}
		q := fmt.Sprintf(`INSERT INTO flows BY NAME SELECT * EXCLUDE (filename),
			regexp_extract(filename, '(?:AWSLogs/|aws-account-id=)([0-9]{12})', 1) AS account_partition,
			regexp_extract(filename, '(?:/vpcflowlogs/|aws-region=)([a-z0-9-]+)', 1) AS region_partition,
			coalesce(nullif(regexp_extract(filename, '/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1), ''),
				regexp_replace(regexp_extract(filename, 'year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})', 0), 'year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})', '\1/\2/\3')) AS date_partition
			FROM read_csv([%s], delim=' ', header=true, nullstr='-', hive_partitioning=false, filename=true, columns={%s})`,
			strings.Join(quoted, ", "), strings.Join(spec, ", "))
		res, err := db.Exec(q)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		total += n
	}
	if _, err := db.Exec("CHECKPOINT"); err != nil {
		return err
	}
	var undated int64
	if err := db.QueryRow(`SELECT count(*) FROM flows WHERE account_partition = '' OR date_partition = ''`).Scan(&undated); err != nil {
		return err
	}
	fmt.Printf("duckload: %d records from %d formats in %.2fs (%d without partition values)\n", total, len(groups), time.Since(start).Seconds(), undated)
	return nil
}

func sqlType(k flow.Kind) string {
	switch k {
	case flow.KindInt32:
		return "INTEGER"
	case flow.KindInt64:
		return "BIGINT"
	}
	return "VARCHAR"
}
