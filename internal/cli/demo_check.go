package cli

import (
	"context"
	"fmt"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/store"
)

// checkDemoTruth compares what the case answers with the ground truth the
// generator computed while writing, independently of SQL. A mismatch is a
// bug in flowir, and the demo says so instead of printing a wrong exercise.
func checkDemoTruth(ctx context.Context, c *store.Case, t *demo.Truth) error {
	var records, bytes, packets int64
	row, err := c.Query(ctx, `SELECT count(*), coalesce(sum(bytes), 0)::BIGINT, coalesce(sum(packets), 0)::BIGINT FROM flows`)
	if err != nil {
		return err
	}
	records, bytes, packets = row.Rows[0][0].(int64), row.Rows[0][1].(int64), row.Rows[0][2].(int64)
	if records != t.Records || bytes != t.Bytes || packets != t.Packets {
		return fmt.Errorf("demo check: case has %d records, %d bytes, %d packets; ground truth %d, %d, %d", records, bytes, packets, t.Records, t.Bytes, t.Packets)
	}
	for status, want := range t.ByStatus {
		res, err := c.Query(ctx, `SELECT count(*) FROM flows WHERE log_status = ?`, status)
		if err != nil {
			return err
		}
		if got := res.Rows[0][0].(int64); got != want {
			return fmt.Errorf("demo check: %d %s records, ground truth %d", got, status, want)
		}
	}
	q, err := analysis.Find("top-talkers")
	if err != nil {
		return err
	}
	sqlText, args, err := q.Render(analysis.DuckDB, "flows", nil, analysis.Bounds{Limit: len(t.TopTalkers)})
	if err != nil {
		return err
	}
	res, err := c.Query(ctx, sqlText, args...)
	if err != nil {
		return err
	}
	ipCol, bytesCol := colIndex(res, "ip"), colIndex(res, "total_bytes")
	if ipCol < 0 || bytesCol < 0 || len(res.Rows) != len(t.TopTalkers) {
		return fmt.Errorf("demo check: top-talkers returned %d rows with columns %v", len(res.Rows), res.Columns)
	}
	for i, want := range t.TopTalkers {
		// Sums are read exactly (a *big.Int since sums may pass int64), so
		// they are compared as decimal text.
		if res.Rows[i][ipCol] != want.IP || fmt.Sprint(res.Rows[i][bytesCol]) != fmt.Sprint(want.Bytes) {
			return fmt.Errorf("demo check: top talker %d is %v with %v bytes, ground truth %s with %d", i+1, res.Rows[i][ipCol], res.Rows[i][bytesCol], want.IP, want.Bytes)
		}
	}
	return checkDataRatio(ctx, c, t.DataRatio)
}

// checkDataRatio compares the playbook's data-ratio query for one address
// with the generator's per-pair statistics.
func checkDataRatio(ctx context.Context, c *store.Case, want demo.DataRatio) error {
	q, err := analysis.Find("data-ratio")
	if err != nil {
		return err
	}
	sqlText, args, err := q.Render(analysis.DuckDB, "flows", map[string]string{"ip": want.IP}, analysis.Bounds{Limit: -1})
	if err != nil {
		return err
	}
	res, err := c.Query(ctx, sqlText, args...)
	if err != nil {
		return err
	}
	if len(res.Rows) != len(want.Pairs) {
		return fmt.Errorf("demo check: data-ratio for %s returned %d pairs, ground truth %d", want.IP, len(res.Rows), len(want.Pairs))
	}
	cols := []int{colIndex(res, "srcaddr"), colIndex(res, "dstaddr"), colIndex(res, "record_count"), colIndex(res, "total_bytes"), colIndex(res, "data_ratio")}
	for _, i := range cols {
		if i < 0 {
			return fmt.Errorf("demo check: data-ratio columns are %v", res.Columns)
		}
	}
	for i, p := range want.Pairs {
		row := res.Rows[i]
		got := []any{row[cols[0]], row[cols[1]], row[cols[2]], row[cols[3]], row[cols[4]]}
		exp := []any{p.Src, p.Dst, p.Records, p.TotalBytes, p.Ratio}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			return fmt.Errorf("demo check: data-ratio row %d is %v, ground truth %v", i+1, got, exp)
		}
	}
	return nil
}

func colIndex(r *store.Result, name string) int {
	for i, c := range r.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}
