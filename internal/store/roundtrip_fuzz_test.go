package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// The fuzz tests of this file drive the whole path from bytes to stored
// rows (issue 12.11: one carriage return inside a field was a valid token
// for the decoder and broke the record spool's load, failing every source
// of the batch): arbitrary input is decoded, every item is stored in a case,
// the batch must commit, every line must be a record, a reject or a header,
// and every stored value must read back exactly as decoded.

// roundTripFormats are the formats the fuzzers pick from: AWS's default, a
// custom order with every kind of field, all VPC fields, the Transit Gateway
// default, and formats with fields flowir does not know (extra_fields).
var roundTripFormats = func() []flow.Format {
	fs := []flow.Format{flow.DefaultFormat(), flow.AllVPCFormat(), flow.TGWDefaultFormat()}
	for _, s := range []string{
		"version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status",
		"version resource-id srcaddr encryption-status log-status",
		"interface-id note action",
	} {
		f, err := flow.ParseFormat(s)
		if err != nil {
			panic(err)
		}
		fs = append(fs, f)
	}
	return fs
}()

var roundTripSeq atomic.Int64

// roundTripSeeds are lines with every kind of character a spool or loader
// might not carry, in fields of every type.
var roundTripSeeds = []string{
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-aa\rbb 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-aa\x00bb 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-\"q\" 2001:DB8::0:1 ::ffff:10.0.0.1 0 65535 255 0 0 0 0 REJECT NODATA",
	"2 unknown eni-a\\b 10.0.0.1 10.0.0.2 - - - - - 1 2 - SKIPDATA\r",
	"2 123456789010 eni-ü 10.0.0.1 10.0.0.2 1 2 3 4 5 6 7 ACCEPT OK",
	"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 3 4 5 6 7 ACCEPT OK\r\r",
	"2 123456789010 eni-1\xff 10.0.0.1 10.0.0.2 1 2 3 4 5 6 7 ACCEPT OK",
	"2 123456789010 eni-1\v 10.0.0.1 10.0.0.2 1 2 3 4 5 6 7 ACCEPT OK",
	"version resource-id srcaddr encryption-status log-status\n10 res-\"x'\\ 10.0.0.1 \u2028 OK\n10 - ::1 - NODATA\n",
	"eni-1 a\"b\tACCEPT\neni-2 NULL REJECT\neni-3 \\N ACCEPT\neni-4 ,;' ACCEPT",
	"3 - 748335378900 tgw-0a12bc34de56f7890 tgw-attach-0789ijkl - - vpc-0jkl5678 vpc-0ghi9012 - - eni-0cc3dd4ee5f66aa7b eni-0cc3dd4ee5f66aa7b - - - 1.128.0.0 2a02:cf40:: 39464 22 6 49 8947 1755592533 1755592558 SKIPDATA - - - - - - - ingress - -",
	"\n\n\x00\x00\n\xef\xbb\xbfversion\n",
}

func FuzzStoreRoundTrip(f *testing.F) {
	for i, s := range roundTripSeeds {
		for sel := range roundTripFormats {
			if i%len(roundTripFormats) == sel || sel == 0 {
				f.Add(uint8(sel), []byte(s))
			}
		}
	}
	c := openTestCase(f)
	f.Fuzz(func(t *testing.T, sel uint8, in []byte) {
		roundTrip(t, c, roundTripFormats[int(sel)%len(roundTripFormats)], in)
	})
}

// TestStoreRoundTripExternal runs the round trip on the third-party test
// data, whole files, with the format each is written in.
func TestStoreRoundTripExternal(t *testing.T) {
	dir := "../../../shared/external"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no external test data")
	}
	all := flow.AllVPCFormat()
	files := []struct {
		path   string
		format flow.Format
	}{
		{"elastic-integrations/test-extra-samples.log", flow.DefaultFormat()},
		{"elastic-integrations/test-tcp-flag-sequence.log", flow.DefaultFormat()},
		{"elastic-integrations/test-v5-all-fields.log", flow.Format{Cols: all.Cols[:29]}},
		{"elastic-integrations/test-ecs-samples.log", flow.Format{Cols: all.Cols[:39]}},
		{"elastic-integrations/test-v8-samples.log", all},
		{"elastic-integrations/test-tgw-samples.log", flow.TGWDefaultFormat()},
		{"opensearch-catalog/raw.log", flow.DefaultFormat()},
	}
	c := openTestCase(t)
	for _, x := range files {
		b, err := os.ReadFile(filepath.Join(dir, x.path))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(x.path, func(t *testing.T) {
			if recs, rejects := roundTrip(t, c, x.format, b); recs == 0 || rejects != 0 {
				t.Errorf("%d records, %d rejects", recs, rejects)
			}
		})
	}
}

// roundTrip decodes in with format, stores it as one source in a batch of
// its own, commits, and checks what the case holds against what was
// decoded. It returns the numbers of records and rejects.
func roundTrip(t *testing.T, c *Case, format flow.Format, in []byte) (records, rejects int64) {
	t.Helper()
	ctx := context.Background()
	b, err := c.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := roundTripSeq.Add(1)
	w, err := b.BeginSource(Source{Path: fmt.Sprintf("fuzz-%d.log", n), Origin: "file", SHA256: fmt.Sprintf("%064x", n), Account: "123456789012", Region: "us-east-1", Date: "2026/11/20"})
	if err != nil {
		t.Fatal(err)
	}
	// want[line] is the record decoded from that line, as the columns it
	// must read back as; rejected holds the lines rejected.
	want := map[int64]map[string]any{}
	tgw := map[int64]bool{}
	var rejected []int64
	tr := decode.NewTextReader(bytes.NewReader(in), format)
	for {
		it, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		switch it.Kind {
		case decode.ItemRecord:
			want[it.Line] = expectedColumns(t, *it.Format, it.Record)
			tgw[it.Line] = it.TGW
			if err := w.AddRecord(it.Record, it.Line, it.TGW, it.Mask); err != nil {
				t.Fatalf("line %d %q: AddRecord: %v", it.Line, it.Raw, err)
			}
		case decode.ItemReject:
			rejected = append(rejected, it.Line)
			if err := w.AddReject(it.Line, it.Err.Reason, it.Err.Error(), it.Raw); err != nil {
				t.Fatalf("line %d: AddReject: %v", it.Line, err)
			}
		}
	}
	if tr.Lines != tr.Records+tr.Rejects+tr.Headers || tr.Lines != countLines(in) {
		t.Fatalf("lines %d (input %d) != records %d + rejects %d + headers %d", tr.Lines, countLines(in), tr.Records, tr.Rejects, tr.Headers)
	}
	w.Finish(Stats{Lines: tr.Lines, Records: tr.Records, Rejects: tr.Rejects, Headers: tr.Headers, Status: StatusComplete})
	if err := b.Commit(); err != nil {
		t.Fatalf("commit of %q: %v", in, err)
	}

	got := 0
	for _, table := range []string{"flows", "tgwflow"} {
		res, err := c.Query(ctx, "SELECT * FROM "+table+" WHERE source_id = ? ORDER BY source_line", w.ID())
		if err != nil {
			t.Fatal(err)
		}
		for _, vals := range res.Rows {
			row := map[string]any{}
			for i, col := range res.Columns {
				row[col.Name] = vals[i]
			}
			line := row["source_line"].(int64)
			exp, ok := want[line]
			if !ok || tgw[line] != (table == "tgwflow") {
				t.Fatalf("%s holds line %d, which was not decoded as a record of that table", table, line)
			}
			got++
			for col, v := range row {
				if col == "source_id" || col == "source_line" {
					continue
				}
				if !sameValue(exp[col], v) {
					t.Errorf("line %d: %s = %#v, decoded %#v (input %q)", line, col, v, exp[col], in)
				}
			}
		}
	}
	if got != len(want) {
		t.Fatalf("%d records read back, %d decoded", got, len(want))
	}
	var nrej int64
	if err := c.DB().QueryRowContext(ctx, "SELECT count(*) FROM rejects WHERE source_id = ?", w.ID()).Scan(&nrej); err != nil || nrej != int64(len(rejected)) {
		t.Fatalf("%d rejects stored (%v), %d rejected", nrej, err, len(rejected))
	}
	return int64(len(want)), nrej
}

// expectedColumns is what a decoded record must read back as from the
// flows view or tgwflow: every known field's value (NULL for `-` and for
// fields the format lacks), IPv6 addresses in their canonical form, the
// unknown fields as a JSON object, and the source's partition values.
func expectedColumns(t *testing.T, f flow.Format, r *flow.Record) map[string]any {
	m := map[string]any{"account_partition": "123456789012", "region_partition": "us-east-1", "date_partition": "2026/11/20"}
	for _, fd := range flow.All() {
		if !r.Has(fd.ID) {
			continue
		}
		switch fd.Kind {
		case flow.KindInt32, flow.KindInt64:
			m[fd.Column] = r.Num[fd.ID]
		case flow.KindIP:
			a, err := netip.ParseAddr(string(r.Str[fd.ID]))
			if err != nil {
				t.Fatalf("%s = %q was decoded but is not an address: %v", fd.Name, r.Str[fd.ID], err)
			}
			m[fd.Column] = a.String()
		default:
			m[fd.Column] = string(r.Str[fd.ID])
		}
	}
	if len(r.ExtraNames) > 0 {
		x := map[string]any{}
		for i, name := range r.ExtraNames {
			if r.Extra[i] == nil {
				x[name] = nil
			} else {
				x[name] = string(r.Extra[i])
			}
		}
		m["extra_fields"] = x
	}
	return m
}

// sameValue compares an expected value with one read from DuckDB.
func sameValue(want, got any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case int64:
		switch g := got.(type) {
		case int64:
			return g == w
		case int32:
			return int64(g) == w
		case *big.Int:
			return g.IsInt64() && g.Int64() == w
		}
		return false
	case string:
		g, ok := got.(string)
		return ok && g == w
	case map[string]any:
		g, ok := got.(string)
		if !ok {
			return false
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(g), &m); err != nil || len(m) != len(w) {
			return false
		}
		for k, v := range w {
			if gv, ok := m[k]; !ok || gv != v {
				return false
			}
		}
		return true
	}
	return false
}

// countLines counts lines as a text reader must: every newline ends one,
// and trailing bytes without one make one more.
func countLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte("\n")))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}
