package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// TestTGWStatus stores Elastic's Transit Gateway samples (TGW default
// format) next to VPC records from S3 and CloudWatch Logs, and checks what
// the status says: TGW records by partition, sources by origin, and lines
// that reconcile.
func TestTGWStatus(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/external/elastic-integrations/test-tgw-samples.log")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no external test data")
	}
	c := openTestCase(t)
	ctx := context.Background()
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	load := func(src Source, f flow.Format, lines []string, out int64) {
		w, _ := b.BeginSource(src)
		dec := decode.NewTextDecoder(f)
		for i, l := range lines {
			var r flow.Record
			if err := dec.Decode([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			if err := w.AddRecord(&r, int64(i+1), f.IsTGW(), f.Mask()); err != nil {
				t.Fatal(err)
			}
		}
		n := int64(len(lines))
		w.Finish(Stats{Lines: n + out, Records: n, OutOfWindow: out, Status: StatusComplete})
	}
	tgwLines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	load(Source{Path: "tgw.log", Origin: "file", SHA256: strings.Repeat("1", 64)}, flow.TGWDefaultFormat(), tgwLines, 0)
	v2 := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000000 1700000060 ACCEPT OK"
	load(Source{Path: "s3://logs/AWSLogs/123456789010/vpcflowlogs/us-east-1/2023/11/14/x.log.gz", Origin: "s3", ETag: "abc", SHA256: strings.Repeat("2", 64),
		Account: "123456789010", Region: "us-east-1", Date: "2023/11/14", Size: 100}, flow.DefaultFormat(), []string{v2, v2}, 3)
	load(Source{Path: "cwl://vpc-flow/eni-1-all", Origin: "cwl", SHA256: strings.Repeat("3", 64), Size: 50}, flow.DefaultFormat(), []string{v2}, 0)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TGWRecords != 10 || st.Records != 3 || st.OutOfWindow != 3 || st.Lines != st.Records+st.TGWRecords+st.JSONRecords+st.Rejects+st.Headers+st.OutOfWindow {
		t.Fatalf("status %+v", st)
	}
	var tgw int64
	for _, p := range st.TGWByPartition {
		tgw += p.Records
		if p.Account != "748335378900" || p.Date != "2025/08/19" {
			t.Errorf("TGW partition %+v", p)
		}
	}
	if tgw != 10 {
		t.Errorf("TGW partitions hold %d records", tgw)
	}
	want := []OriginRow{{"file", "local files", 1, 10, 0}, {"s3", "s3://logs", 1, 2, 100}, {"cwl", "cwl://vpc-flow", 1, 1, 50}}
	if len(st.ByOrigin) != 3 {
		t.Fatalf("origins %+v", st.ByOrigin)
	}
	for i, o := range want {
		if st.ByOrigin[i] != o {
			t.Errorf("origin %+v, want %+v", st.ByOrigin[i], o)
		}
	}
	var pkts, ipv6 int64
	c.DB().QueryRow(`SELECT sum(packets)::BIGINT, count(*) FILTER (dstaddr = '2a02:cf40::') FROM tgwflow`).Scan(&pkts, &ipv6)
	if pkts == 0 || ipv6 != 1 {
		t.Errorf("tgwflow packets %d, canonical IPv6 %d", pkts, ipv6)
	}
}
