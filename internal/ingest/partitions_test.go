package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/store"
)

// A file under Hive-style partition folders whose values AWS cannot have
// written (aws-region=not-a-region, year=000x/month=13/day=99) fails with
// an error naming the folder, instead of being loaded with its partitions
// silently unknown (issue 17.17); the forms AWS writes load with the
// partition values of the path. Text and Parquet files alike: the folders
// are the path's, whatever the file holds.
func TestHivePartitionFoldersChecked(t *testing.T) {
	const log = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 40000 6 10 900 1795000000 1795000060 ACCEPT OK\n"
	src := newCase(t)
	mustRun(t, src, Options{Paths: []string{write(t, t.TempDir(), "x.log", []byte(log))}})
	expDir := filepath.Join(t.TempDir(), "exp")
	exp, err := src.ExportParquet(context.Background(), store.ExportOptions{Dir: expDir, Account: "123456789010", Region: "us-east-1"})
	if err != nil || len(exp.Files) != 1 {
		t.Fatalf("export: %v %+v", err, exp)
	}
	parquet, err := os.ReadFile(filepath.Join(expDir, filepath.FromSlash(exp.Files[0].Path)))
	if err != nil {
		t.Fatal(err)
	}

	const base = "AWSLogs/aws-account-id=123456789010/aws-service=vpcflowlogs/"
	for _, tt := range []struct {
		folders string
		bad     string // what the error must say; "" for a valid path
		part    string // account/region/date/hour stored, for a valid path
	}{
		{"aws-region=not-a-region/year=2026/month=11/day=18", `its folder "aws-region=not-a-region" is not a Region name`, ""},
		{"aws-region=us-east-1/year=000x/month=13/day=99", `its folder "year=000x" is not a year of 4 digits`, ""},
		{"aws-region=us-east-1/year=2026/month=13/day=18", `its folder "month=13" is not a month 01 to 12`, ""},
		{"aws-region=us-east-1/year=2026/month=11/day=99", `its folder "day=99" is not a day 01 to 31`, ""},
		{"aws-region=us-east-1/year=2026/month=02/day=30", `its folders year=2026/month=02/day=30 are not a date`, ""},
		{"aws-region=us-east-1/year=2026/month=11/day=18/hour=24", `its folder "hour=24" is not an hour 00 to 23`, ""},
		{"aws-region=us-east-1/year=2026/month=11/day=18/hour=5", `its folder "hour=5" is not an hour 00 to 23`, ""},
		{"aws-region=us-east-1/year=2026/month=11/day=18", "", "123456789010/us-east-1/2026/11/18/-"},
		{"aws-region=us-gov-west-1/year=2026/month=11/day=18/hour=23", "", "123456789010/us-gov-west-1/2026/11/18/23"},
		{"aws-region=cn-north-1/year=2024/month=02/day=29/hour=00", "", "123456789010/cn-north-1/2024/02/29/00"},
	} {
		for _, f := range []struct {
			name string
			data []byte
		}{
			{"123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261118T1105Z_0a1b2c3d.log", []byte(log)},
			{"123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261118T1105Z_0a1b2c3d.log.parquet", parquet},
		} {
			dir := t.TempDir()
			p := write(t, dir, filepath.FromSlash(base+tt.folders+"/"+f.name), f.data)
			c := newCase(t)
			s := mustRun(t, c, Options{Paths: []string{dir}})
			if tt.bad != "" {
				if s.Failed != 1 || s.Records != 0 || len(s.Results) != 1 || !strings.Contains(s.Results[0].Error, tt.bad) || s.Results[0].Path != p {
					t.Errorf("%s (%s): %+v, want it failed saying %q", tt.folders, f.name, s.Results, tt.bad)
				}
				if n := scalar(t, c, `SELECT count(*) FROM sources WHERE status = 'failed'`); n != 1 {
					t.Errorf("%s (%s): %d failed sources recorded, want 1", tt.folders, f.name, n)
				}
				continue
			}
			var part string
			c.DB().QueryRow(`SELECT concat_ws('/', account_partition, region_partition, date_partition, coalesce(hour_partition, '-')) FROM flows`).Scan(&part)
			if s.Ingested != 1 || s.Records != 1 || part != tt.part {
				t.Errorf("%s (%s): %+v, partitions %q, want ingested with %q", tt.folders, f.name, s.Results, part, tt.part)
			}
		}
	}
}
