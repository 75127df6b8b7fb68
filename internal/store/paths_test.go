package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/sqltext"
)

// TestParquetNamesAreNotPatterns reads Parquet files whose names hold
// DuckDB's pattern characters next to files those patterns would match
// (issue 16.3): each read gives exactly its own file's rows.
func TestParquetNamesAreNotPatterns(t *testing.T) {
	c := openTestCase(t)
	for _, dirName := range []string{"plain", "a[1] b*?", "{x,y}"} {
		dir := filepath.Join(t.TempDir(), dirName)
		decoy := filepath.Join(filepath.Dir(dir), "a1 bxy")
		for _, d := range []string{dir, decoy} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// Each file holds as many rows as its index + 1.
		names := []string{"flows1.parquet", "flows[1].parquet", "*.parquet", "q?.parquet", "qa.parquet", "[ab].parquet", "a.parquet", "{a,b}.parquet"}
		for i, name := range names {
			for _, d := range []string{dir, decoy} {
				p := filepath.Join(d, name)
				q := "COPY (SELECT 2 AS version, 'OK' AS log_status FROM range(" + strconv.Itoa(i+1) + ")) TO " + sqltext.String(p) + " (FORMAT parquet)"
				if _, err := c.DB().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, name := range names {
			_, rows := readParquetRows(t, c, filepath.Join(dir, name))
			if len(rows) != i+1 {
				t.Errorf("%s/%s: %d rows, the file has %d", dirName, name, len(rows), i+1)
			}
		}
	}
	// A backslash and a pattern character together cannot be named: an
	// error, not another file read.
	dir := filepath.Join(t.TempDir(), `a\b`)
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, "f[1].parquet")
	if _, err := c.DB().Exec("COPY (SELECT 2 AS version) TO " + sqltext.String(p) + " (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenParquet(context.Background(), p); err == nil || !strings.Contains(err.Error(), "backslash") {
		t.Errorf("backslash and brackets: %v", err)
	}
}

// TestCaseFolderIsNotAPattern stores records in a case whose folder name
// holds pattern characters: the record spool inside it is loaded as the
// file it is.
func TestCaseFolderIsNotAPattern(t *testing.T) {
	ctx := context.Background()
	c, err := Open(ctx, filepath.Join(t.TempDir(), "case [1] *"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storeOneRecord(t, b, Source{Path: "a.log", Origin: "file", SHA256: "aa"})
	if n := count(t, c, "SELECT count(*) FROM flows"); n != 1 {
		t.Fatalf("%d records", n)
	}
}
