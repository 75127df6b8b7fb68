package decode

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/flowir/flowir/internal/flow"
)

func benchDecode(b *testing.B, format, line string) {
	d := NewTextDecoder(mustFormat(b, format))
	l := []byte(line)
	var r flow.Record
	if err := d.Decode(l, &r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(l)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(l, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeV2(b *testing.B) {
	b.Run("ipv4", func(b *testing.B) { benchDecode(b, "", awsAcceptSSH) })
	b.Run("ipv6", func(b *testing.B) { benchDecode(b, "", awsIPv6SSH) })
	b.Run("nodata", func(b *testing.B) { benchDecode(b, "", awsNoData) })
}

// BenchmarkDecodeV5Custom decodes AWS's v5 example (reference §6.5): 29
// fields in a custom order.
func BenchmarkDecodeV5Custom(b *testing.B) {
	benchDecode(b, v5Format, awsV5Egress)
}

// genStream writes a header and n default-format lines: mostly IPv4 flows,
// some IPv6, NODATA and SKIPDATA records, from a fixed seed. It returns the
// number of records.
func genStream(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	buf.WriteString(defaultHeader + "\n")
	enis := []string{"eni-072624ee798344757", "eni-0da6bf6c9e1717295", "eni-1235b8ca123456789"}
	num := func(n int) { buf.WriteString(strconv.Itoa(n)) }
	for i := 0; i < n; i++ {
		start := 1679389482 + i/50
		buf.WriteString("2 347283850106 ")
		buf.WriteString(enis[rng.IntN(len(enis))])
		switch k := rng.IntN(100); {
		case k < 10:
			buf.WriteString(" - - - - - - - ")
			num(start)
			buf.WriteByte(' ')
			num(start + 60)
			if k == 0 {
				buf.WriteString(" - SKIPDATA\n")
			} else {
				buf.WriteString(" - NODATA\n")
			}
			continue
		case k < 20:
			buf.WriteString(" 2001:db8:1234:a100::")
			buf.WriteString(strconv.FormatInt(int64(rng.IntN(65536)), 16))
			buf.WriteString(" 2001:db8:1234:a102:3304:8879:34cf:4071 ")
		default:
			buf.WriteByte(' ')
			for j := 0; j < 2; j++ {
				num(1 + rng.IntN(223))
				buf.WriteByte('.')
				num(rng.IntN(256))
				buf.WriteByte('.')
				num(rng.IntN(256))
				buf.WriteByte('.')
				num(1 + rng.IntN(254))
				buf.WriteByte(' ')
			}
		}
		num(rng.IntN(65536))
		buf.WriteByte(' ')
		num([]int{22, 80, 443, 3389, 53}[rng.IntN(5)])
		buf.WriteByte(' ')
		num([]int{6, 6, 6, 17, 1}[rng.IntN(5)])
		buf.WriteByte(' ')
		p := 1 + rng.IntN(1000)
		num(p)
		buf.WriteByte(' ')
		num(p * (40 + rng.IntN(1460)))
		buf.WriteByte(' ')
		num(start)
		buf.WriteByte(' ')
		num(start + rng.IntN(60))
		if rng.IntN(4) == 0 {
			buf.WriteString(" REJECT OK\n")
		} else {
			buf.WriteString(" ACCEPT OK\n")
		}
	}
	return buf.Bytes()
}

func TestGenStream(t *testing.T) {
	// The benchmark input must be what it claims: every line a record.
	in := genStream(2000)
	tr := NewTextReader(bytes.NewReader(in), flow.DefaultFormat())
	for {
		it, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == ItemReject {
			t.Fatalf("line %d: %v: %q", it.Line, it.Err, it.Raw)
		}
	}
	if tr.Headers != 1 || tr.Records != 2000 || tr.Rejects != 0 {
		t.Fatalf("%d headers, %d records, %d rejects", tr.Headers, tr.Records, tr.Rejects)
	}
}

// BenchmarkTextReader reads ~100k generated lines from memory.
func BenchmarkTextReader(b *testing.B) {
	const n = 100_000
	in := genStream(n)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		tr := NewTextReader(bytes.NewReader(in), flow.DefaultFormat())
		for {
			_, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if tr.Records != n || tr.Rejects != 0 {
			b.Fatalf("%d records, %d rejects", tr.Records, tr.Rejects)
		}
	}
	b.ReportMetric(float64(n), "lines/op")
}
