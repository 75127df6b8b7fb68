package store

import (
	"context"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/decode"
)

// TestVPCFlowLogsView checks that vpc_flow_logs has exactly the playbook
// DDL's 22 columns, in its order, with its types.
func TestVPCFlowLogsView(t *testing.T) {
	c := openTestCase(t)
	rows, err := c.DB().Query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'vpc_flow_logs' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n, ty string
		rows.Scan(&n, &ty)
		got = append(got, n+" "+ty)
	}
	want := []string{"is_rejected_packet VARCHAR", "avg_in_packet_size INTEGER", "vpc_id VARCHAR", "local_port INTEGER",
		"source_dc VARCHAR", "ip VARCHAR", "end_time VARCHAR", "remote_port INTEGER", "start_time VARCHAR", "protocol INTEGER",
		"in_bytes BIGINT", "source_tag VARCHAR", "account_id VARCHAR", "instance_id VARCHAR", "interface_public_ips VARCHAR",
		"out_bytes BIGINT", "is_skipped_rejected_packets VARCHAR", "source_az VARCHAR", "source_region VARCHAR",
		"avg_out_packet_size INTEGER", "instance_type VARCHAR", "interface_local_ips VARCHAR"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("vpc_flow_logs columns:\n%s\nwant\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// TestJSONWriter stores records in a batch, then supersedes the source.
func TestJSONWriter(t *testing.T) {
	c := openTestCase(t)
	ctx := context.Background()
	load := func(src Source, n int) int64 {
		b, err := c.BeginBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := b.BeginSource(src)
		j, err := w.JSONRecords()
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(decode.PlaybookColumns))
		for i := 0; i < n; i++ {
			vals[5], vals[10], vals[1] = "10.0.0.1", int64(100+i), int64(7)
			if err := j.Add(int64(i+1), vals, `{"k":1}`); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		w.Finish(Stats{Lines: int64(n), Records: int64(n), Status: StatusPartial})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return w.ID()
	}
	id := load(Source{Path: "r.jsonl", Origin: "file", SHA256: strings.Repeat("a", 64)}, 3)
	var n, sum, small int64
	c.DB().QueryRow(`SELECT count(*), sum(in_bytes), sum(avg_in_packet_size) FROM vpc_flow_logs`).Scan(&n, &sum, &small)
	if n != 3 || sum != 303 || small != 21 {
		t.Fatalf("rows %d sum %d %d", n, sum, small)
	}
	var extra string
	c.DB().QueryRow(`SELECT extra_fields FROM jsonflows WHERE source_line = 2`).Scan(&extra)
	if extra != `{"k":1}` {
		t.Errorf("extra = %q", extra)
	}
	load(Source{Path: "r.jsonl", Origin: "file", SHA256: strings.Repeat("b", 64), Replaces: []Prior{{ID: id, Status: StatusPartial}}}, 5)
	c.DB().QueryRow(`SELECT count(*) FROM vpc_flow_logs`).Scan(&n)
	if n != 5 {
		t.Fatalf("after superseding the partial load: %d rows, want 5", n)
	}
}
