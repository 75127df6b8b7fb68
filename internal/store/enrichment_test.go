package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestEnrichmentStore(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	if d, err := c.LatestAWSRanges(ctx); d != nil || err != nil {
		t.Fatalf("empty case: %v %v", d, err)
	}
	created := time.Date(2026, 11, 18, 5, 50, 0, 0, time.UTC)
	for i, tok := range []string{"1", "2"} {
		if err := c.SaveAWSRanges(ctx, AWSRangesDoc{Origin: "ip-ranges.json", SHA256: "ab", SyncToken: tok,
			CreateDate: created.Add(time.Duration(i) * time.Hour), Prefixes: 3, Document: []byte(`{"x": ` + tok + `}`)}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.LatestAWSRanges(ctx)
	if err != nil || d.SyncToken != "2" || string(d.Document) != `{"x": 2}` || !d.CreateDate.Equal(created.Add(time.Hour)) {
		t.Fatalf("latest %+v %v", d, err)
	}
	rows := []EnrichmentRow{
		{Address: "52.217.3.251", Field: "aws_service", Value: "S3", Kind: "aws-ranges", Source: "r", SourceDate: created},
		{Address: "52.217.3.251", Field: "aws_service", Value: "AMAZON", Kind: "flow-records", Source: "f"},
		{Address: "52.217.3.251", Field: "aws_region", Value: "us-east-1", Kind: "aws-ranges", Source: "r", SourceDate: created},
		{Address: "3.5.0.1", Field: "aws_service", Value: "AMAZON", Kind: "aws-ranges", Source: "r"},
		{Address: "3.5.0.1", Field: "aws_service", Value: "S3", Kind: "flow-records", Source: "f"},
		{Address: "203.0.113.200", Field: "asn", Value: "64500", Kind: "geoip", Source: "g"},
	}
	if err := c.ReplaceEnrichment(ctx, []string{"aws-ranges", "flow-records", "geoip"}, rows); err != nil {
		t.Fatal(err)
	}
	// Recomputing the ranges keeps the other kinds.
	if err := c.ReplaceEnrichment(ctx, []string{"aws-ranges"}, rows[:1]); err != nil {
		t.Fatal(err)
	}
	if err := c.ReplaceEnrichment(ctx, []string{"dns"}, rows[:1]); err == nil {
		t.Error("a row of another kind was accepted")
	}
	got, err := c.Enrichment(ctx)
	if err != nil || len(got) != 4 {
		t.Fatalf("%d rows %v: %+v", len(got), err, got)
	}
	view, err := c.Query(ctx, `SELECT address, aws_service, aws_region, asn FROM address_enrichment ORDER BY address`)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"203.0.113.200", nil, nil, int64(64500)}, {"3.5.0.1", "S3", nil, nil}, {"52.217.3.251", "S3", nil, nil}}
	for i, r := range view.Rows {
		for j := range r {
			if r[j] != want[i][j] {
				t.Errorf("view row %d: %v, want %v", i, r, want[i])
				break
			}
		}
	}
	// A read-only case made before the tables existed has no enrichment, and says so without error.
	dir := filepath.Join(t.TempDir(), "ro")
	w, err := Open(ctx, dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	w.db.Exec(`DROP VIEW address_enrichment`)
	w.db.Exec(`DROP TABLE enrichment`)
	w.db.Exec(`DROP TABLE aws_ranges`)
	w.Close()
	ro, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if rs, err := ro.Enrichment(ctx); rs != nil || err != nil {
		t.Errorf("old case: %v %v", rs, err)
	}
	if d, err := ro.LatestAWSRanges(ctx); d != nil || err != nil {
		t.Errorf("old case: %v %v", d, err)
	}
}

func TestFlowAWSServices(t *testing.T) {
	ctx := context.Background()
	c := openTestCase(t)
	insertFlow(t, c, 1, "eni-1", "10.0.0.1", "52.217.3.251", 40000, 443, 100, "ACCEPT", "", "")
	insertFlow(t, c, 2, "eni-1", "10.0.0.212", "3.5.0.1", 40001, 443, 100, "ACCEPT", "10.0.0.5", "3.5.0.1")
	insertFlow(t, c, 3, "eni-1", "52.217.3.251", "10.0.0.1", 443, 40000, 100, "ACCEPT", "", "")
	insertFlow(t, c, 4, "eni-1", "10.0.0.1", "52.217.3.251", 40002, 443, 100, "ACCEPT", "", "")
	insertFlow(t, c, 5, "eni-1", "10.0.0.1", "10.0.0.2", 40002, 443, 100, "ACCEPT", "", "")
	c.db.Exec(`UPDATE flows_wide SET pkt_dst_aws_service = 'S3' WHERE source_line = 1`)
	c.db.Exec(`UPDATE flows_wide SET pkt_dst_aws_service = 'AMAZON' WHERE source_line IN (2, 4)`)
	c.db.Exec(`UPDATE flows_wide SET pkt_src_aws_service = 'S3', flow_direction = 'ingress' WHERE source_line = 3`)
	c.db.Exec(`UPDATE flows_wide SET flow_direction = 'egress' WHERE source_line IN (4, 5)`)
	got, err := c.FlowAWSServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Address != "3.5.0.1" || got[0].Services[0] != "AMAZON" || got[1].Address != "52.217.3.251" ||
		len(got[1].Services) != 2 || got[1].Records != 3 || got[1].LastSeen.Unix() != 1_795_000_014 {
		t.Errorf("%+v", got)
	}
	ifs, err := c.InterfaceAddresses(ctx, []string{"eni-1", "eni-2"})
	if err != nil || len(ifs["eni-1"]) != 1 || ifs["eni-1"][0] != "10.0.0.1" || ifs["eni-2"] != nil {
		t.Errorf("%v %v", ifs, err)
	}
}
