package store

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// tgwLine is a Transit Gateway flow log record of AWS's default TGW format.
const tgwLine = "3 - 748335378900 tgw-0a12bc34de56f7890 tgw-attach-0789ijkl - - vpc-0jkl5678 vpc-0ghi9012 - - eni-0cc3dd4ee5f66aa7b eni-0cc3dd4ee5f66aa7b - - - 1.128.0.0 2a02:cf40:: 39464 22 6 49 8947 1755592533 1755592558 SKIPDATA - - - - - - - ingress - -"

// compactLoad commits batches sources (one batch each) to c: each batch
// holds a VPC source in two partitions' worth (two accounts) and a TGW
// source, whose records' start times go down from batch to batch and
// within a source, so that no file is in start order with the next.
func compactLoad(t *testing.T, c *Case, batches, per int) {
	t.Helper()
	ctx := context.Background()
	tf := flow.TGWDefaultFormat()
	var tr flow.Record
	if err := decode.NewTextDecoder(tf).Decode([]byte(tgwLine), &tr); err != nil {
		t.Fatal(err)
	}
	for i := range batches {
		b, err := c.BeginBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for a, acct := range []string{"111122223333", "444455556666"} {
			w, err := b.BeginSource(Source{Path: fmt.Sprintf("b%d-%d.log", i, a), Origin: "file", SHA256: fmt.Sprintf("b%d-%d", i, a), Account: acct, Region: "eu-west-1", Date: "2023/11/14"})
			if err != nil {
				t.Fatal(err)
			}
			r, mask := layoutRecord(t, i%3)
			for j := range per {
				r.Num[flow.Start] = int64(1700000000 + (batches-i)*10000 - j)
				r.Num[flow.Bytes] = int64(100*i + j + a)
				if err := w.AddRecord(r, int64(j+2), false, mask); err != nil {
					t.Fatal(err)
				}
			}
			w.Finish(Stats{Lines: int64(per), Records: int64(per), Status: StatusComplete})
		}
		w, err := b.BeginSource(Source{Path: fmt.Sprintf("t%d.log", i), Origin: "file", SHA256: fmt.Sprintf("t%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		for j := range per {
			tr.Num[flow.Start] = int64(1755592533 - i*100 - j)
			if err := w.AddRecord(&tr, int64(j+1), true, tf.Mask()); err != nil {
				t.Fatal(err)
			}
		}
		w.Finish(Stats{Lines: int64(per), Records: int64(per), Status: StatusComplete})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// caseTotals is what compaction must not change: per view, the records,
// bytes and packets of each source, and a hash of every row's values.
func caseTotals(t *testing.T, c *Case) string {
	t.Helper()
	var out string
	for _, q := range []string{
		`SELECT string_agg(source_id || ':' || n || ':' || b || ':' || p || ':' || h, ' ' ORDER BY source_id) FROM
			(SELECT source_id, count(*) n, sum(bytes) b, sum(packets) p, sum(hash(f)) h FROM flows f GROUP BY source_id)`,
		`SELECT string_agg(source_id || ':' || n || ':' || b || ':' || p || ':' || h, ' ' ORDER BY source_id) FROM
			(SELECT source_id, count(*) n, sum(bytes) b, sum(packets) p, sum(hash(f)) h FROM tgwflow f GROUP BY source_id)`,
		`SELECT count(*) || ' ' || sum(numbytes) || ' ' || sum(numpackets) FROM vpcflow`,
	} {
		var s string
		if err := c.DB().QueryRow(q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out += s + "\n"
	}
	return out
}

// partitionFiles counts the registered files of each partition folder.
func partitionFiles(t *testing.T, c *Case) map[string]int {
	t.Helper()
	rows, err := c.DB().Query(`SELECT file FROM data_files`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var f string
		rows.Scan(&f)
		m[path.Dir(f)]++
	}
	return m
}

// TestCompact loads 5 batches (3 partitions each: 2 of flows, 1 of
// tgwflow), compacts, and checks: every partition is one file, sorted by
// start; the totals per source and a hash of every value are unchanged;
// the registry matches the files on disk and counts the same records; a
// threshold above the partition's file count leaves it alone.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	// Opened as ingest opens a case (no insertion order), where automatic
	// compaction runs.
	c, err := Open(ctx, filepath.Join(t.TempDir(), "case"), Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	compactLoad(t, c, 5, 300)
	before := caseTotals(t, c)
	parts := partitionFiles(t, c)
	if len(parts) != 3 {
		t.Fatalf("%d partitions, want 3: %v", len(parts), parts)
	}
	for p, n := range parts {
		if n != 5 {
			t.Fatalf("%s: %d files before compaction, want 5", p, n)
		}
	}

	st, err := c.Compact(ctx, CompactOptions{MinFiles: 5})
	if err != nil {
		t.Fatal(err)
	}
	if st.Partitions != 0 {
		t.Fatalf("MinFiles 5 with 5 files per partition compacted: %+v", st)
	}
	for p, n := range partitionFiles(t, c) {
		if n != 5 {
			t.Fatalf("MinFiles 5: %s has %d files, want 5", p, n)
		}
	}

	st, err = c.Compact(ctx, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Partitions != 3 || st.FilesBefore != 15 || st.FilesAfter != 3 || st.Records != 5*3*300 {
		t.Fatalf("compaction %+v, want 3 partitions, 15 files -> 3, 4500 records", st)
	}
	for p, n := range partitionFiles(t, c) {
		if n != 1 {
			t.Fatalf("%s: %d files after compaction, want 1", p, n)
		}
	}
	if after := caseTotals(t, c); after != before {
		t.Fatalf("totals changed by compaction:\nbefore %s\nafter  %s", before, after)
	}
	for _, tbl := range []string{"flows", "tgwflow"} {
		reg, disk := dataFileCount(t, c, tbl)
		if reg != disk {
			t.Fatalf("%s: %d files registered, %d on disk", tbl, reg, disk)
		}
	}
	if got, want := count(t, c, `SELECT sum(records) FROM data_file_sources`), int64(5*3*300); got != want {
		t.Fatalf("registered records %d, want %d", got, want)
	}
	if got := count(t, c, `SELECT count(*) FROM data_files f JOIN (SELECT file, sum(records) n FROM data_file_sources GROUP BY file) s USING (file) WHERE f.records <> s.n`); got != 0 {
		t.Fatalf("%d files whose records differ from their sources' sum", got)
	}
	// Each file is in start order, row by row.
	rows, err := c.DB().Query(`SELECT file FROM data_files`)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for rows.Next() {
		var f string
		rows.Scan(&f)
		files = append(files, f)
	}
	rows.Close()
	for _, f := range files {
		arg, err := fileArg(c.abs(f))
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, c, `SELECT count(*) FROM (SELECT start < lag(start) OVER (ORDER BY file_row_number) AS down FROM read_parquet(`+arg+`, file_row_number = true)) WHERE down`); n != 0 {
			t.Fatalf("%s: %d rows start before the row above them", f, n)
		}
	}
	// Nothing more to merge: a second run does nothing.
	if st, err := c.Compact(ctx, CompactOptions{}); err != nil || st.Partitions != 0 {
		t.Fatalf("second compaction: %+v, %v", st, err)
	}
	// The case reopens (files match the registry) with the same totals.
	dir := c.Dir
	c.Close()
	c2, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if after := caseTotals(t, c2); after != before {
		t.Fatalf("totals changed after reopening:\nbefore %s\nafter  %s", before, after)
	}
}

// TestCompactGroups checks how a partition's small files are grouped: in
// order, at most CompactFileRecords records per group, no group of one.
func TestCompactGroups(t *testing.T) {
	f := func(ns ...int64) []compactFile {
		var out []compactFile
		for i, n := range ns {
			out = append(out, compactFile{file: fmt.Sprint(i), records: n})
		}
		return out
	}
	shape := func(gs [][]compactFile) string {
		s := ""
		for _, g := range gs {
			s += "["
			for _, x := range g {
				s += x.file
			}
			s += "]"
		}
		return s
	}
	const M = CompactFileRecords
	for _, tc := range []struct {
		in   []compactFile
		want string
	}{
		{f(), ""},
		{f(10), ""},
		{f(10, 20), "[01]"},
		{f(M/2, M/2, 1), "[01]"},
		{f(M-1, 2, 3), "[12]"},
		{f(M/4, M/4, M/4, M/4, M/4, M/4, M/4, M/4, M/4), "[0123][4567]"},
	} {
		if got := shape(compactGroups(tc.in)); got != tc.want {
			t.Errorf("compactGroups(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
