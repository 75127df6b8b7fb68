package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
)

// ExportOptions configures ExportParquet.
type ExportOptions struct {
	// Dir receives AWSLogs/...; it is created if needed and must not hold
	// an AWSLogs folder already (an export never mixes with another).
	Dir string
	// Account and Region place records whose source had no AWS layout or
	// file name (account_partition or region_partition NULL). Without them
	// such records make the export fail, naming how many there are.
	Account, Region string
	// Columns are the flow columns to write, in order (snake_case names of
	// VPC fields). Empty means every VPC field that appears in the log
	// format of any source in the case, in flowir's field order.
	Columns []string
}

// ExportFile is one Parquet file written.
type ExportFile struct {
	Path    string `json:"path"` // relative to Dir, with forward slashes
	Account string `json:"account"`
	Region  string `json:"region"`
	Date    string `json:"date"` // YYYY/MM/DD
	Records int64  `json:"records"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// ExportSummary is what ExportParquet wrote and what it could not.
type ExportSummary struct {
	Dir     string       `json:"dir"`
	Columns []string     `json:"columns"`
	Records int64        `json:"records"`
	Bytes   *big.Int     `json:"total_bytes"` // sum of the bytes field, as a check; exact at any size (total.go)
	Files   []ExportFile `json:"files"`
	// ExtraFieldRecords counts records with fields flowir does not know
	// (flows.extra_fields); those fields have no AWS column type and are
	// not exported. The records themselves are.
	ExtraFieldRecords int64 `json:"extra_field_records"`
	// TGWRecords counts Transit Gateway records (table tgwflow), which this
	// export does not write.
	TGWRecords int64 `json:"tgw_records_not_exported"`
	// DatedByEnd counts records whose source had no date folder, placed in
	// the day of their end time (the day AWS would file them under).
	DatedByEnd int64 `json:"dated_by_end_time"`
}

// ExportFlowLogID stands in the file names for the flow log id, which a
// case does not record per record. It has the shape AWS's names have
// (fl- and lower-case alphanumerics) so parsers of AWS names accept it,
// and it is plainly not a real id (those are hexadecimal).
const ExportFlowLogID = "fl-flowirexport"

// parquetType is the column type written for a VPC field, from AWS's
// Parquet schema (reference §1.3 and §3.1): INT_32 for version, ports,
// tcp-flags and traffic-path; INT_64 for packets, bytes, start and end;
// protocol as INT_64 because AWS's Athena Parquet DDL reads it as bigint
// (the VPC guide says INT_32, the Transit Gateway guide INT_64), and a
// Parquet INT32 column under a bigint declaration fails in Athena; strings
// for the rest.
func parquetType(id flow.FieldID) string {
	if id == flow.Protocol {
		return "BIGINT"
	}
	switch flow.Get(id).Kind {
	case flow.KindInt32:
		return "INTEGER"
	case flow.KindInt64:
		return "BIGINT"
	}
	return "VARCHAR"
}

// ExportParquet writes the case's VPC flow records as Parquet in AWS's own
// Hive-compatible layout,
//
//	AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={yyyy}/month={mm}/day={dd}/
//	    {account}_vpcflowlogs_{region}_fl-flowirexport_{yyyymmdd}_{hash}.log.parquet
//
// with AWS's column names and types, so that the Parquet DDL flowir
// generates for the Hive layout reads it once uploaded, and flowir ingest
// reads it back. The hash in the name is the first 8 hex digits of the
// file's SHA-256. After writing, it reads every file back and checks the
// record count and byte total against the case; a mismatch is an error.
//
// The case must be open read-write: DuckDB's COPY is disabled on read-only
// cases, whose external access is turned off.
func (c *Case) ExportParquet(ctx context.Context, opt ExportOptions) (*ExportSummary, error) {
	if c.ReadOnly {
		return nil, errors.New("export needs the case open for writing (COPY is disabled on read-only cases)")
	}
	if opt.Dir == "" {
		return nil, errors.New("no export folder given")
	}
	if opt.Account != "" && !flow.ValidAccount(opt.Account) {
		return nil, fmt.Errorf("--account %q: an AWS account id is exactly 12 digits", opt.Account)
	}
	if opt.Region != "" && !flow.ValidRegion(opt.Region) {
		return nil, fmt.Errorf("--region %q is not an AWS Region name (e.g. us-east-1)", opt.Region)
	}
	if strings.ContainsRune(opt.Dir, 0) {
		return nil, errors.New("export folder name contains a NUL byte")
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "AWSLogs")); err == nil {
		return nil, fmt.Errorf("%s already holds an AWSLogs folder: export into an empty or new folder, so two exports never mix", dir)
	}
	caseDir, _ := filepath.Abs(c.Dir)
	if dir == caseDir {
		return nil, fmt.Errorf("export folder %s is the case itself: give another folder", dir)
	}

	cols, err := c.exportColumns(ctx, opt.Columns)
	if err != nil {
		return nil, err
	}
	sum := &ExportSummary{Dir: dir, Columns: cols}

	acct := "account_partition"
	if opt.Account != "" {
		acct = "coalesce(account_partition, '" + opt.Account + "')"
	}
	region := "region_partition"
	if opt.Region != "" {
		region = "coalesce(region_partition, '" + opt.Region + "')"
	}
	date := `coalesce(date_partition, strftime(to_timestamp(coalesce("end", start)), '%Y/%m/%d'))`

	// Every record must have a place, and every place must be safe to use as
	// a folder name; otherwise nothing is written.
	var total, noAcct, noRegion, noDate, badAcct, badRegion, extra, datedByEnd int64
	var totalBytes *big.Int
	err = c.db.QueryRowContext(ctx, `SELECT count(*),
			count(*) FILTER (WHERE `+acct+` IS NULL),
			count(*) FILTER (WHERE `+region+` IS NULL),
			count(*) FILTER (WHERE `+date+` IS NULL),
			count(*) FILTER (WHERE NOT regexp_full_match(`+acct+`, '[0-9]{12}')),
			count(*) FILTER (WHERE NOT regexp_full_match(`+region+`, '[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+')),
			count(*) FILTER (WHERE extra_fields IS NOT NULL AND extra_fields <> '{}'),
			count(*) FILTER (WHERE date_partition IS NULL),
			sum(bytes)
		FROM flows`).Scan(&total, &noAcct, &noRegion, &noDate, &badAcct, &badRegion, &extra, &datedByEnd, Total(&totalBytes))
	if err != nil {
		return nil, fmt.Errorf("export: check the records: %w", err)
	}
	switch {
	case total == 0:
		return nil, errors.New("the case holds no VPC flow records to export")
	case noAcct > 0:
		return nil, fmt.Errorf("%d of %d records come from sources without an AWS account in their path or name: give --account 111122223333 to file them under that account", noAcct, total)
	case noRegion > 0:
		return nil, fmt.Errorf("%d of %d records come from sources without a Region in their path or name: give --region us-east-1 to file them under that Region", noRegion, total)
	case noDate > 0:
		return nil, fmt.Errorf("%d of %d records have no date folder and no start or end time, so they cannot be placed in a day folder", noDate, total)
	case badAcct > 0 || badRegion > 0:
		return nil, fmt.Errorf("%d records have an account and %d a Region that cannot be a folder name of AWS's layout", badAcct, badRegion)
	}
	sum.Records, sum.ExtraFieldRecords, sum.DatedByEnd = total, extra, datedByEnd
	if totalBytes != nil {
		sum.Bytes = totalBytes
	}
	if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM tgwflow`).Scan(&sum.TGWRecords); err != nil {
		return nil, err
	}

	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create export folder: %w", err)
	}
	// The AWSLogs folder did not exist: an export that fails removes it,
	// so that no unverified file is left for someone to upload.
	done := false
	defer func() {
		if !done {
			os.RemoveAll(filepath.Join(dir, "AWSLogs"))
		}
	}()
	tmp, err := os.MkdirTemp(dir, ".flowir-export-")
	if err != nil {
		return nil, fmt.Errorf("create export folder: %w", err)
	}
	defer os.RemoveAll(tmp)

	sel := make([]string, 0, len(cols)+6)
	for _, name := range cols {
		id, _ := flow.Lookup(name)
		sel = append(sel, fmt.Sprintf("CAST(%s AS %s) AS %s", Quote(name), parquetType(id), Quote(name)))
	}
	sel = append(sel,
		acct+` AS "aws-account-id"`,
		`'vpcflowlogs' AS "aws-service"`,
		region+` AS "aws-region"`,
		`substr(`+date+`, 1, 4) AS "year"`,
		`substr(`+date+`, 6, 2) AS "month"`,
		`substr(`+date+`, 9, 2) AS "day"`,
	)
	copySQL := fmt.Sprintf(`COPY (SELECT %s FROM flows ORDER BY start NULLS LAST, "end" NULLS LAST, source_id, source_line)
		TO %s (FORMAT parquet, PARTITION_BY ("aws-account-id", "aws-service", "aws-region", "year", "month", "day"), FILENAME_PATTERN 'part_{i}')`,
		strings.Join(sel, ", "), sqltext.String(filepath.ToSlash(tmp)))
	if _, err := c.db.ExecContext(ctx, copySQL); err != nil {
		return nil, fmt.Errorf("export: write Parquet: %w", err)
	}

	// Name each file as AWS does and move it into place.
	var written []string
	err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		written = append(written, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(written)
	for _, path := range written {
		rel, _ := filepath.Rel(tmp, filepath.Dir(path))
		f, err := placeFile(ctx, c, dir, filepath.ToSlash(rel), path)
		if err != nil {
			return nil, err
		}
		sum.Files = append(sum.Files, f)
	}

	// Read it all back: the export is only done if it holds what the case
	// holds. The files are named one by one, never by a pattern: a folder
	// name holding [ ] or * is a pattern to DuckDB (fileArg).
	var n int64
	var b *big.Int
	files := make([]string, len(sum.Files))
	for i, f := range sum.Files {
		files[i] = filepath.Join(dir, filepath.FromSlash(f.Path))
	}
	list, err := fileListArg(files)
	if err != nil {
		return nil, fmt.Errorf("export: read the Parquet files back: %w", err)
	}
	if err := c.db.QueryRowContext(ctx, `SELECT count(*), sum(bytes) FROM read_parquet(`+list+`)`).Scan(&n, Total(&b)); err != nil {
		return nil, fmt.Errorf("export: read the Parquet files back: %w", err)
	}
	var fileRecords int64
	for _, f := range sum.Files {
		fileRecords += f.Records
	}
	if n != sum.Records || fileRecords != sum.Records || b.Cmp(sum.Bytes) != 0 {
		return nil, fmt.Errorf("export check failed: the case has %d records (%d bytes) but the files hold %d (%v bytes); nothing was left in %s", sum.Records, sum.Bytes, n, b, dir)
	}
	done = true
	return sum, nil
}

// placeFile moves one partition file written by COPY into the AWS layout
// under dir with AWS's file name, and describes it.
func placeFile(ctx context.Context, c *Case, dir, rel, path string) (ExportFile, error) {
	// rel is aws-account-id=A/aws-service=vpcflowlogs/aws-region=R/year=Y/month=M/day=D
	parts := strings.Split(rel, "/")
	vals := map[string]string{}
	for _, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		vals[k] = v
	}
	acct, region := vals["aws-account-id"], vals["aws-region"]
	y, m, d := vals["year"], vals["month"], vals["day"]
	if len(parts) != 6 || !flow.ValidAccount(acct) || !flow.ValidRegion(region) || vals["aws-service"] != "vpcflowlogs" || len(y) != 4 || len(m) != 2 || len(d) != 2 {
		return ExportFile{}, fmt.Errorf("internal error: export wrote an unexpected folder %q", rel)
	}
	sum, size, err := sha256File(path)
	if err != nil {
		return ExportFile{}, err
	}
	// AWS's names carry a YYYYMMDDTHHmmZ stamp naming a 5-minute window; a
	// file holding a whole day must not claim one (time pruning trusts the
	// stamp), so the name has the date alone and pruning uses the day folder.
	name := fmt.Sprintf("%s_vpcflowlogs_%s_%s_%s%s%s_%s.log.parquet", acct, region, ExportFlowLogID, y, m, d, sum[:8])
	target := filepath.Join(dir, "AWSLogs", filepath.FromSlash(rel))
	if err := os.MkdirAll(target, 0o750); err != nil {
		return ExportFile{}, err
	}
	dst := filepath.Join(target, name)
	if _, err := os.Stat(dst); err == nil {
		return ExportFile{}, fmt.Errorf("internal error: two export files with the same content hash in %s", target)
	}
	if err := os.Rename(path, dst); err != nil {
		return ExportFile{}, fmt.Errorf("export: move %s into place: %w", name, err)
	}
	var n int64
	arg, err := fileArg(dst)
	if err != nil {
		return ExportFile{}, fmt.Errorf("export: read back %s: %w", dst, err)
	}
	if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM read_parquet(`+arg+`)`).Scan(&n); err != nil {
		return ExportFile{}, fmt.Errorf("export: read back %s: %w", dst, err)
	}
	return ExportFile{
		Path:    "AWSLogs/" + rel + "/" + name,
		Account: acct, Region: region, Date: y + "/" + m + "/" + d,
		Records: n, Bytes: size, SHA256: sum,
	}, nil
}

func sha256File(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// exportColumns resolves the columns to write: the given ones (validated),
// or the VPC fields of every log format the case's sources had plus any
// column holding a value, in flowir's field order (all VPC fields if no
// format is recorded).
func (c *Case) exportColumns(ctx context.Context, given []string) ([]string, error) {
	if len(given) > 0 {
		seen := map[string]bool{}
		for _, g := range given {
			id, ok := flow.Lookup(g)
			if !ok || !flow.Get(id).VPC {
				return nil, fmt.Errorf("export column %q is not a VPC flow log field", g)
			}
			if seen[g] {
				return nil, fmt.Errorf("export column %q is listed twice", g)
			}
			seen[g] = true
		}
		out := make([]string, len(given))
		for i, g := range given {
			id, _ := flow.Lookup(g)
			out[i] = flow.Get(id).Column
		}
		return out, nil
	}
	rows, err := c.db.QueryContext(ctx, `SELECT DISTINCT log_format FROM sources WHERE log_format IS NOT NULL AND status <> 'failed'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var mask uint64
	for rows.Next() {
		var lf string
		if err := rows.Scan(&lf); err != nil {
			return nil, err
		}
		if f, err := flow.ParseFormat(lf); err == nil {
			mask |= f.Mask()
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A column with any value is written even if no recorded format named
	// it (sources keep only the last header of a file): nothing is dropped.
	vpc := flow.All()[:flow.NumVPCFields]
	counts := make([]string, len(vpc))
	dest := make([]any, len(vpc))
	vals := make([]int64, len(vpc))
	for i, f := range vpc {
		counts[i] = "count(" + Quote(f.Column) + ")"
		dest[i] = &vals[i]
	}
	if err := c.db.QueryRowContext(ctx, "SELECT "+strings.Join(counts, ", ")+" FROM flows").Scan(dest...); err != nil {
		return nil, err
	}
	var out []string
	for i, f := range vpc {
		if mask == 0 || mask&(1<<f.ID) != 0 || vals[i] > 0 {
			out = append(out, f.Column)
		}
	}
	return out, nil
}
