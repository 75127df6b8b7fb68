package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/source"
	"github.com/flowir/flowir/internal/store"
)

const externalDir = "../../../shared/external"

func external(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(externalDir, rel)
	if _, err := os.Stat(externalDir); errors.Is(err, os.ErrNotExist) {
		t.Skip("no external test data")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// playbookRecord is one "NEW logs" record; i varies the values.
func playbookRecord(i int) string {
	b, _ := json.Marshal(map[string]any{
		"is_rejected_packet": "false", "avg_in_packet_size": 100 + i%7, "vpc_id": "vpc-0abc", "local_port": 443,
		"source_dc": "dc1", "ip": fmt.Sprintf("203.0.113.%d", i%5), "end_time": fmt.Sprintf("2024-05-01T10:%02d:59Z", i%60),
		"remote_port": 40000 + i, "start_time": fmt.Sprintf("2024-05-01T10:%02d:00Z", i%60), "protocol": 6,
		"in_bytes": 1000 * i, "source_tag": "web", "account_id": "123456789012", "instance_id": "i-0abc",
		"interface_public_ips": "198.51.100.7", "out_bytes": 10 * i, "is_skipped_rejected_packets": "false",
		"source_az": "use1-az1", "source_region": "us-east-1", "avg_out_packet_size": 60, "instance_type": "m5.large",
		"interface_local_ips": "10.0.0.5",
	})
	return string(b)
}

// TestPlaybookJSON loads the playbook's JSON records, with malformed lines
// mixed in, plain and gzipped: exactly the good ones are loaded, every
// malformed line is a reject with its reason.
func TestPlaybookJSON(t *testing.T) {
	var lines []string
	var wantIn, wantOut int64
	good := 0
	bad := map[string]string{
		"not json":          "this is not json",
		"truncated":         playbookRecord(1)[:40],
		"array":             `[` + playbookRecord(2) + `]`,
		"wrong type":        strings.Replace(playbookRecord(3), `"protocol":6`, `"protocol":"tcp"`, 1),
		"number for string": strings.Replace(playbookRecord(4), `"ip":"203.0.113.4"`, `"ip":2030113`, 1),
		"empty":             "",
		"duplicate":         `{"ip":"1.1.1.1","ip":"2.2.2.2"}`,
	}
	reasons := map[string]string{"not json": decode.ReasonBadJSON, "truncated": decode.ReasonBadJSON, "array": decode.ReasonNotObject,
		"wrong type": decode.ReasonWrongType, "number for string": decode.ReasonWrongType, "empty": decode.ReasonEmpty, "duplicate": decode.ReasonDuplicateKey}
	names := []string{"not json", "truncated", "array", "wrong type", "number for string", "empty", "duplicate"}
	for i := 0; i < 50; i++ {
		if i%7 == 3 {
			lines = append(lines, bad[names[(i/7)%len(names)]])
			continue
		}
		lines = append(lines, playbookRecord(i))
		good++
		wantIn += int64(1000 * i)
		wantOut += int64(10 * i)
	}
	lines[0] = bad["not json"] // a malformed line first: still recognised
	good--
	wantIn -= 0
	text := strings.Join(lines, "\n") + "\n"
	for _, name := range []string{"records.jsonl", "records.json.gz"} {
		t.Run(name, func(t *testing.T) {
			data := []byte(text)
			if strings.HasSuffix(name, ".gz") {
				data = gz(t, text)
			}
			c := newCase(t)
			p := write(t, t.TempDir(), name, data)
			s := mustRun(t, c, Options{Paths: []string{p}})
			r := s.Results[0]
			if r.Outcome != Ingested || r.Records != int64(good) || r.Rejects != int64(len(lines)-good) || r.Lines != int64(len(lines)) {
				t.Fatalf("%+v, want %d records of %d lines", r, good, len(lines))
			}
			if !strings.HasPrefix(r.Format, "json-records") {
				t.Errorf("format %q", r.Format)
			}
			var n, in, out int64
			c.DB().QueryRow(`SELECT count(*), sum(in_bytes)::BIGINT, sum(out_bytes)::BIGINT FROM vpc_flow_logs`).Scan(&n, &in, &out)
			if n != int64(good) || in != wantIn || out != wantOut {
				t.Errorf("vpc_flow_logs: %d rows, in %d out %d; want %d, %d, %d", n, in, out, good, wantIn, wantOut)
			}
			for _, k := range names {
				var got int64
				c.DB().QueryRow(`SELECT count(*) FROM rejects WHERE reason = ?`, reasons[k]).Scan(&got)
				if got == 0 {
					t.Errorf("no reject with reason %s (%s)", reasons[k], k)
				}
			}
			var flows int64
			c.DB().QueryRow(`SELECT count(*) FROM flows`).Scan(&flows)
			if flows != 0 {
				t.Errorf("%d JSON records went to flows", flows)
			}
		})
	}
}

// TestSekoiaParquet ingests the third-party Parquet files as files and as a
// folder: Snappy with INT32/INT64 columns, and all-INT64.
func TestSekoiaParquet(t *testing.T) {
	dir := external(t, "sekoia-automation-library")
	c := newCase(t)
	s := mustRun(t, c, Options{Paths: []string{
		filepath.Join(dir, "111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5.parquet"),
		filepath.Join(dir, "test_parquet.parquet"),
	}})
	if s.Ingested != 2 || s.Records != 15 || s.Rejects != 0 || s.Lines != 15 {
		t.Fatalf("%+v", s)
	}
	var acct, region, date, hour string
	c.DB().QueryRow(`SELECT account_partition, region_partition, date_partition, hour_partition FROM flows WHERE source_id = ? LIMIT 1`, s.Results[0].SourceID).Scan(&acct, &region, &date, &hour)
	if acct != "111111111111" || region != "eu-west-3" || date != "2022/08/31" || hour != "12" {
		t.Errorf("partitions from the file name: %s %s %s %s", acct, region, date, hour)
	}
	var bytes, private int64
	c.DB().QueryRow(`SELECT sum(bytes)::BIGINT, count(*) FILTER (srcaddr = '172.31.39.167') FROM flows`).Scan(&bytes, &private)
	if private != 1 {
		t.Errorf("the private-to-private row of test_parquet.parquet: %d", private)
	}
	// A folder: the OCSF file is refused with a clear message, the decoded
	// rows (JSON keyed by flow log field names, not the playbook's
	// records) too, and the rest is skipped as already in the case.
	s, _ = Run(context.Background(), c, Options{Paths: []string{dir}})
	if s.Skipped != 2 || s.Failed != 4 || s.Ingested != 0 {
		t.Fatalf("folder: %+v", s)
	}
	for _, r := range s.Results {
		switch {
		case r.Outcome != Failed:
		case strings.HasSuffix(r.Path, "ocsf.parquet"):
			if !strings.Contains(r.Error, "unexpected Parquet schema") {
				t.Errorf("%s: %s", r.Path, r.Error)
			}
		case !strings.Contains(r.Error, "JSON content of no kind flowir reads"):
			t.Errorf("%s: %s", r.Path, r.Error)
		}
	}
}

// TestCWLExportFiles ingests CloudWatch Logs exports kept as files: lines
// of {"message"}, a filter-log-events output, and gzipped subscription
// payloads, each with the v2 default format (no header).
func TestCWLExportFiles(t *testing.T) {
	rec := func(i int) string {
		return fmt.Sprintf("2 123456789010 eni-1235b8ca123456789 10.0.0.%d 10.0.1.1 %d 443 6 3 %d 1700000000 1700000060 ACCEPT OK", i, 30000+i, 100+i)
	}
	var wrapped, events []string
	for i := 0; i < 10; i++ {
		m, _ := json.Marshal(map[string]any{"message": rec(i), "timestamp": 1700000000000})
		wrapped = append(wrapped, string(m))
		e, _ := json.Marshal(map[string]any{"logStreamName": "eni-1235b8ca123456789-all", "timestamp": 1700000000000, "message": rec(i), "eventId": fmt.Sprint(i)})
		events = append(events, string(e))
	}
	export := `{"events": [` + strings.Join(events, ",\n") + `], "searchedLogStreams": []}`
	sub := func(evs []string) string {
		return `{"messageType":"DATA_MESSAGE","owner":"123456789010","logGroup":"vpc-flow","logStream":"eni-1235b8ca123456789-all","subscriptionFilters":["f"],"logEvents":[` +
			strings.Join(evs, ",") + `]}`
	}
	payloads := append(gz(t, sub(events[:4])), gz(t, sub(events[4:]))...) // concatenated gzip members, as Firehose writes them
	dir := t.TempDir()
	files := map[string][]byte{
		"wrapped.log":      []byte(strings.Join(wrapped, "\n") + "\nnot json\n"),
		"export.json":      []byte(export),
		"subscription.gz":  payloads,
		"elastic-wrapped":  nil,
		"plain-export.log": []byte(rec(1) + "\n" + rec(2) + "\n"),
	}
	for name, b := range files {
		if b != nil {
			write(t, dir, name, b)
		}
	}
	c := newCase(t)
	for name, want := range map[string][3]int64{"wrapped.log": {11, 10, 1}, "export.json": {10, 10, 0}, "subscription.gz": {10, 10, 0}} {
		s := mustRun(t, c, Options{Paths: []string{filepath.Join(dir, name)}})
		r := s.Results[0]
		if r.Lines != want[0] || r.Records != want[1] || r.Rejects != want[2] {
			t.Errorf("%s: %+v, want lines/records/rejects %v", name, r, want)
		}
		if !strings.HasPrefix(r.Format, "cwl-") {
			t.Errorf("%s: format %q", name, r.Format)
		}
	}
	s := mustRun(t, c, Options{Paths: []string{external(t, "elastic-integrations/test-with-message-field.log")}})
	if s.Records != 1 || s.Results[0].Format != "cwl-messages" {
		t.Errorf("Elastic's wrapped record: %+v", s.Results[0])
	}
}

// TestTGWSamples ingests Elastic's headerless Transit Gateway samples
// (version token 3, 36 fields) without --log-format: recognised by their
// shape and stored in tgwflow.
func TestTGWSamples(t *testing.T) {
	p := external(t, "elastic-integrations/test-tgw-samples.log")
	c := newCase(t)
	s := mustRun(t, c, Options{Paths: []string{p}})
	if s.Records != 10 || s.Rejects != 0 {
		t.Fatalf("%+v", s.Results[0])
	}
	var tgw, vpc int64
	c.DB().QueryRow(`SELECT count(*) FROM tgwflow`).Scan(&tgw)
	c.DB().QueryRow(`SELECT count(*) FROM flows`).Scan(&vpc)
	if tgw != 10 || vpc != 0 {
		t.Fatalf("tgwflow %d flows %d", tgw, vpc)
	}
	var lf string
	c.DB().QueryRow(`SELECT log_format FROM sources`).Scan(&lf)
	if !strings.HasPrefix(lf, "${version} ${resource-type} ${account-id} ${tgw-id}") {
		t.Errorf("log format %s", lf)
	}
}

// TestLocalWindow applies --since/--until and --account to local files in
// the AWS layout: files outside are not read, records outside are counted.
func TestLocalWindow(t *testing.T) {
	cp := getCorpus(t)
	c := newCase(t)
	since := cp.truth.Start.Add(13 * 3600e9)
	until := since.Add(2 * 3600e9)
	s := mustRun(t, c, Options{Paths: []string{filepath.Join(cp.dir, "central")},
		Select: source.Selection{Accounts: []string{"111122223333"}, Regions: []string{"eu-west-1"}, Since: since, Until: until}})
	want, wantBytes := windowCount(t, cp, "111122223333", "eu-west-1", since.Unix(), until.Unix())
	var n, b int64
	c.DB().QueryRow(`SELECT count(*), coalesce(sum(bytes), 0)::BIGINT FROM flows`).Scan(&n, &b)
	if n != want || b != wantBytes || s.Records != want || len(s.Listings) != 1 || s.Listings[0].Pruned == 0 {
		t.Fatalf("%d records (%d bytes), the window has %d (%d); listings %+v", n, b, want, wantBytes, s.Listings)
	}
	if s.Lines != s.Records+s.Rejects+s.Headers+s.OutOfWindow || s.OutOfWindow == 0 {
		t.Errorf("summary does not reconcile: %+v", s)
	}
}

// TestParquetLayouts reads AWS Parquet from local folders in the Hive and
// the hourly layouts: the partition values come from the path (the files
// hold none), and the sums are those of the text ingest.
func TestParquetLayouts(t *testing.T) {
	cp := getCorpus(t)
	text := newCase(t)
	mustRun(t, text, Options{Paths: []string{filepath.Join(cp.dir, "central")}})
	hive := filepath.Join(t.TempDir(), "hive")
	exp, err := text.ExportParquet(context.Background(), store.ExportOptions{Dir: hive})
	if err != nil {
		t.Fatal(err)
	}
	c := newCase(t)
	s := mustRun(t, c, Options{Paths: []string{hive}})
	if s.Ingested != len(exp.Files) || s.Records != cp.truth.Records || s.Rejects != 0 {
		t.Fatalf("Hive layout: %+v", s)
	}
	checkTruth(t, c, cp.truth)
	// The same files moved to the hourly layout, under hour 13.
	hourly := filepath.Join(t.TempDir(), "hourly")
	for _, f := range exp.Files {
		p := source.ParseKey(f.Path)
		dst := filepath.Join(hourly, "AWSLogs", p.Account, "vpcflowlogs", p.Region, filepath.FromSlash(p.Date), "13", filepath.Base(f.Path))
		b, err := os.ReadFile(filepath.Join(hive, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Dir(dst), filepath.Base(dst), b)
	}
	h := newCase(t)
	s = mustRun(t, h, Options{Paths: []string{hourly}})
	var n, hours int64
	h.DB().QueryRow(`SELECT count(*), count(*) FILTER (hour_partition = '13') FROM flows`).Scan(&n, &hours)
	if s.Skipped != 0 || n != cp.truth.Records || hours != n {
		t.Fatalf("hourly layout: %d records, %d with hour 13 (%+v)", n, hours, s)
	}
	if a, b := partitionSums(t, h, ""), partitionSums(t, c, ""); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("hourly and Hive Parquet ingests differ")
	}
}
