package decode

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/flowir/flowir/internal/flow"
)

// item is a comparable summary of one Item.
type item struct {
	kind   ItemKind
	line   int64
	reason string // for rejects
	what   string // for records: a few rendered fields; for headers: the format
}

// readAll reads r to the end and returns its items, the reader and the error
// that ended it (nil for io.EOF). It checks what must hold for every stream:
// line numbers are consecutive from 1 and lines = records + rejects + headers.
func readAll(t *testing.T, r io.Reader, format flow.Format, fields ...flow.FieldID) ([]item, *TextReader, error) {
	t.Helper()
	tr := NewTextReader(r, format)
	var out []item
	var err error
	for {
		var it Item
		it, err = tr.Next()
		if err != nil {
			break
		}
		if want := int64(len(out) + 1); it.Line != want {
			t.Errorf("item %d has Line %d", want, it.Line)
		}
		if it.Format == nil {
			t.Fatalf("line %d: nil Format", it.Line)
		}
		if it.TGW != it.Format.IsTGW() || it.Mask != it.Format.Mask() || it.Mask != formatMask(*it.Format) {
			t.Errorf("line %d: TGW %v, Mask %x for format %q", it.Line, it.TGW, it.Mask, it.Format.Header())
		}
		if it.Kind == ItemRecord && it.Record.Present&^it.Mask != 0 {
			t.Errorf("line %d: Present %x outside Mask %x", it.Line, it.Record.Present, it.Mask)
		}
		s := item{kind: it.Kind, line: it.Line}
		switch it.Kind {
		case ItemRecord:
			if it.Record == nil || it.Err != nil {
				t.Fatalf("line %d: record item with Record %v, Err %v", it.Line, it.Record, it.Err)
			}
			m := render(*it.Format, it.Record)
			var parts []string
			for _, id := range fields {
				parts = append(parts, id.String()+"="+m[id.String()])
			}
			s.what = strings.Join(parts, " ")
		case ItemReject:
			if it.Err == nil || it.Record != nil {
				t.Fatalf("line %d: reject item with Record %v, Err %v", it.Line, it.Record, it.Err)
			}
			s.reason = it.Err.Reason
			if len(it.Raw) > RawLimit {
				t.Errorf("line %d: reject Raw is %d bytes, more than RawLimit", it.Line, len(it.Raw))
			}
		case ItemHeader:
			s.what = it.Format.Header()
		}
		out = append(out, s)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if tr.Lines != int64(len(out)) {
		t.Errorf("Lines = %d, items = %d", tr.Lines, len(out))
	}
	if tr.Lines != tr.Records+tr.Rejects+tr.Headers {
		t.Errorf("Lines %d != Records %d + Rejects %d + Headers %d", tr.Lines, tr.Records, tr.Rejects, tr.Headers)
	}
	var rec, rej, hdr int64
	for _, s := range out {
		switch s.kind {
		case ItemRecord:
			rec++
		case ItemReject:
			rej++
		case ItemHeader:
			hdr++
		}
	}
	if rec != tr.Records || rej != tr.Rejects || hdr != tr.Headers {
		t.Errorf("counters %d/%d/%d, items %d/%d/%d", tr.Records, tr.Rejects, tr.Headers, rec, rej, hdr)
	}
	return out, tr, err
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

const (
	defaultHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	natFormat     = "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"
	natLine       = "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5"
)

func TestTextReader(t *testing.T) {
	R, J, H := ItemRecord, ItemReject, ItemHeader
	def := flow.DefaultFormat()
	ids := []flow.FieldID{flow.InterfaceID, flow.SrcAddr, flow.LogStatus}
	tests := []struct {
		name    string
		in      string
		format  flow.Format
		want    []item
		format2 string // Format() at the end
	}{
		{name: "empty stream", in: "", format: def, want: nil},
		{name: "header at top", in: lines(defaultHeader, awsAcceptSSH, awsNoData), format: def, want: []item{
			{H, 1, "", defaultHeader},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{R, 3, "", "interface-id=eni-1235b8ca123456789 srcaddr=NULL log-status=NODATA"},
		}},
		{name: "no header uses the given format", in: lines(awsAcceptSSH), format: def, want: []item{
			{R, 1, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
		}},
		{name: "header only", in: lines(defaultHeader), format: def, want: []item{{H, 1, "", defaultHeader}}},
		{name: "header only, no newline", in: defaultHeader, format: def, want: []item{{H, 1, "", defaultHeader}}},
		{name: "header overrides the given format", in: lines(natFormat, natLine), format: def, format2: natFormat, want: []item{
			{H, 1, "", natFormat},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=10.0.1.5 log-status="},
		}},
		{name: "repeated header", in: lines(defaultHeader, awsAcceptSSH, defaultHeader, awsSkipData), format: def, want: []item{
			{H, 1, "", defaultHeader},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{H, 3, "", defaultHeader},
			{R, 4, "", "interface-id=eni-11111111aaaaaaaaa srcaddr=NULL log-status=SKIPDATA"},
		}},
		{name: "format change mid-file", in: lines(defaultHeader, awsAcceptSSH, natFormat, natLine, awsAcceptSSH, defaultHeader, awsNoData), format: def, want: []item{
			{H, 1, "", defaultHeader},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{H, 3, "", natFormat},
			{R, 4, "", "interface-id=eni-1235b8ca123456789 srcaddr=10.0.1.5 log-status="},
			{J, 5, ReasonFieldCount, ""}, // a default-format line under the NAT header
			{H, 6, "", defaultHeader},
			{R, 7, "", "interface-id=eni-1235b8ca123456789 srcaddr=NULL log-status=NODATA"},
		}},
		{name: "last line without newline", in: awsAcceptSSH + "\n" + awsNoData, format: def, want: []item{
			{R, 1, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=NULL log-status=NODATA"},
		}},
		{name: "crlf", in: defaultHeader + "\r\n" + awsAcceptSSH + "\r\n" + awsNoData + "\r\n", format: def, want: []item{
			{H, 1, "", defaultHeader},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{R, 3, "", "interface-id=eni-1235b8ca123456789 srcaddr=NULL log-status=NODATA"},
		}},
		{name: "crlf last line without newline", in: awsAcceptSSH + "\r\n" + awsNoData + "\r", format: def, want: []item{
			{R, 1, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=NULL log-status=NODATA"},
		}},
		{name: "bom before header", in: "\xef\xbb\xbf" + lines(defaultHeader, awsAcceptSSH), format: def, want: []item{
			{H, 1, "", defaultHeader},
			{R, 2, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
		}},
		{name: "bom before data", in: "\xef\xbb\xbf" + lines(awsAcceptSSH), format: def, want: []item{
			{R, 1, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
		}},
		{name: "bom only at the start of the stream", in: lines(awsAcceptSSH, "\xef\xbb\xbf"+awsAcceptSSH), format: def, want: []item{
			{R, 1, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{J, 2, ReasonBadNumber, ""},
		}},
		{name: "bom alone", in: "\xef\xbb\xbf", format: def, want: []item{{J, 1, ReasonEmpty, ""}}},
		{name: "empty lines are rejects", in: "\n\n" + awsAcceptSSH + "\n\r\n", format: def, want: []item{
			{J, 1, ReasonEmpty, ""},
			{J, 2, ReasonEmpty, ""},
			{R, 3, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{J, 4, ReasonEmpty, ""},
		}},
		{name: "rejects do not stop the stream", in: lines(awsAcceptSSH, "garbage", strings.Replace(awsAcceptSSH, "ACCEPT", "ALLOW", 1), "2 1 eni \xff", awsNoData), format: def, want: []item{
			{R, 1, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
			{J, 2, ReasonFieldCount, ""},
			{J, 3, ReasonBadValue, ""},
			{J, 4, ReasonBadUTF8, ""},
			{R, 5, "", "interface-id=eni-1235b8ca123456789 srcaddr=NULL log-status=NODATA"},
		}},
		// Issue 17.10: a line shaped like a header that is not one is a
		// bad-header reject (the field-count rejects after it say why).
		{name: "header naming a field twice", in: lines("version srcaddr dstaddr srcaddr bytes", "2 10.0.0.1 10.0.0.2 10.0.0.3 100", awsAcceptSSH), format: def, want: []item{
			{J, 1, ReasonBadHeader, ""},
			{J, 2, ReasonFieldCount, ""},
			{R, 3, "", "interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 log-status=OK"},
		}},
		{name: "header of mostly unknown names", in: lines("version interface src dst proto", "2 eni-1 10.0.0.1 10.0.0.2 6"), format: def, want: []item{
			{J, 1, ReasonBadHeader, ""},
			{J, 2, ReasonFieldCount, ""},
		}},
		{name: "string-only data line is not a header", in: lines("vpc-id subnet-id instance-id", "vpc-0abc subnet-1 i-123"), format: def, format2: "vpc-id subnet-id instance-id", want: []item{
			{H, 1, "", "vpc-id subnet-id instance-id"},
			{R, 2, "", "interface-id= srcaddr= log-status="},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []struct {
				name string
				r    func(io.Reader) io.Reader
			}{
				{"whole", func(r io.Reader) io.Reader { return r }},
				{"one byte", iotest.OneByteReader},
				{"data with eof", iotest.DataErrReader},
			} {
				got, tr, err := readAll(t, wrap.r(strings.NewReader(tt.in)), tt.format, ids...)
				if err != nil {
					t.Fatalf("%s: error %v", wrap.name, err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("%s: %d items %v, want %d %v", wrap.name, len(got), got, len(tt.want), tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("%s: item %d = %+v, want %+v", wrap.name, i, got[i], tt.want[i])
					}
				}
				want2 := tt.format2
				if want2 == "" {
					want2 = tt.format.Header()
				}
				if got := tr.Format().Header(); got != want2 {
					t.Errorf("%s: Format() = %q, want %q", wrap.name, got, want2)
				}
				// After the end, Next keeps returning io.EOF.
				if _, err := tr.Next(); err != io.EOF {
					t.Errorf("%s: Next after the end = %v, want io.EOF", wrap.name, err)
				}
			}
		})
	}
}

// A header that is not recognised is said so, with why, in its own reject
// and in the field-count rejects after it (issue 17.10), until a header is
// recognised; a data line that decodes is a record even when all its values
// have the shape of field names.
func TestTextReaderBadHeader(t *testing.T) {
	in := lines("version srcaddr dstaddr srcaddr bytes", "2 10.0.0.1 10.0.0.2 10.0.0.3 100",
		"version interface src dst proto", "2 eni-1 10.0.0.1 10.0.0.2 6",
		defaultHeader, "2 1", natFormat, natLine)
	tr := NewTextReader(strings.NewReader(in), flow.DefaultFormat())
	want := []struct {
		kind   ItemKind
		reason string
		detail []string // substrings of the reject's message
	}{
		{ItemReject, ReasonBadHeader, []string{"not recognised", "srcaddr is named twice", "--log-format"}},
		{ItemReject, ReasonFieldCount, []string{"expected 14 fields, found 5", "header line 1 was not recognised (the field srcaddr is named twice)"}},
		{ItemReject, ReasonBadHeader, []string{"only 1 of its 5 names are flow log fields (not: interface (interface-id?), src, dst, proto)"}},
		{ItemReject, ReasonFieldCount, []string{"header line 3 was not recognised (only 1 of its 5"}},
		{ItemHeader, "", nil},
		{ItemReject, ReasonFieldCount, nil}, // after a recognised header: nothing about line 3
		{ItemHeader, "", nil},
		{ItemRecord, "", nil},
	}
	for i, w := range want {
		it, err := tr.Next()
		if err != nil {
			t.Fatalf("item %d: %v", i+1, err)
		}
		if it.Kind != w.kind || it.Kind == ItemReject && it.Err.Reason != w.reason {
			t.Fatalf("item %d: kind %d %+v, want %d %s", i+1, it.Kind, it.Err, w.kind, w.reason)
		}
		for _, d := range w.detail {
			if !strings.Contains(it.Err.Error(), d) {
				t.Errorf("item %d: %q does not say %q", i+1, it.Err.Error(), d)
			}
		}
		if i == 5 && strings.Contains(it.Err.Error(), "not recognised") {
			t.Errorf("item %d: %q still speaks of an earlier header", i+1, it.Err.Error())
		}
	}
}

func TestTextReaderLongLine(t *testing.T) {
	// A 10 MB line between two records: one reject, the records around it
	// are read.
	long := bytes.Repeat([]byte("0123456789"), 1<<20)
	var in bytes.Buffer
	in.WriteString(awsAcceptSSH + "\n")
	in.Write(long)
	in.WriteString("\n" + awsNoData + "\n")
	in.Write(long) // and one more, at the end without a newline
	for _, wrap := range []struct {
		name string
		r    func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"half", iotest.HalfReader},
	} {
		tr := NewTextReader(wrap.r(bytes.NewReader(in.Bytes())), flow.DefaultFormat())
		wantKinds := []ItemKind{ItemRecord, ItemReject, ItemRecord, ItemReject}
		for i, k := range wantKinds {
			it, err := tr.Next()
			if err != nil {
				t.Fatalf("%s: item %d: %v", wrap.name, i+1, err)
			}
			if it.Kind != k || it.Line != int64(i+1) {
				t.Fatalf("%s: item %d is kind %d line %d, want kind %d", wrap.name, i+1, it.Kind, it.Line, k)
			}
			if k == ItemReject {
				if it.Err.Reason != ReasonTooLong {
					t.Errorf("%s: reason %s, want %s", wrap.name, it.Err.Reason, ReasonTooLong)
				}
				if !bytes.Equal(it.Raw, long[:RawLimit]) {
					t.Errorf("%s: Raw is %d bytes, want the first %d of the line", wrap.name, len(it.Raw), RawLimit)
				}
			}
		}
		if it, err := tr.Next(); err != io.EOF {
			t.Fatalf("%s: after the last line: %+v, %v", wrap.name, it, err)
		}
		if tr.Lines != 4 || tr.Records != 2 || tr.Rejects != 2 || tr.Headers != 0 {
			t.Errorf("%s: counters %d lines, %d records, %d rejects, %d headers", wrap.name, tr.Lines, tr.Records, tr.Rejects, tr.Headers)
		}
	}
}

// The line-length limit is the same whatever the line ending, and the same
// for the reader as for Decode.
func TestTextReaderLengthLimit(t *testing.T) {
	// An unknown field holds any text: the limit alone decides.
	f := mustFormat(t, "resource-id")
	at := strings.Repeat("a", MaxLineBytes)
	over := strings.Repeat("a", MaxLineBytes+1)
	tests := []struct {
		name string
		in   string
		want []item
	}{
		{"at the limit, lf", at + "\n" + "x\n", []item{{ItemRecord, 1, "", ""}, {ItemRecord, 2, "", ""}}},
		{"at the limit, crlf", at + "\r\n" + "x\r\n", []item{{ItemRecord, 1, "", ""}, {ItemRecord, 2, "", ""}}},
		{"at the limit, eof", at, []item{{ItemRecord, 1, "", ""}}},
		{"at the limit, cr eof", at + "\r", []item{{ItemRecord, 1, "", ""}}},
		{"over, lf", over + "\n" + "x\n", []item{{ItemReject, 1, ReasonTooLong, ""}, {ItemRecord, 2, "", ""}}},
		{"over, crlf", over + "\r\n" + "x\r\n", []item{{ItemReject, 1, ReasonTooLong, ""}, {ItemRecord, 2, "", ""}}},
		{"over, eof", over, []item{{ItemReject, 1, ReasonTooLong, ""}}},
		{"over, cr eof", over + "\r", []item{{ItemReject, 1, ReasonTooLong, ""}}},
		{"two over, crlf", over + "a\r\n" + "x\r\n", []item{{ItemReject, 1, ReasonTooLong, ""}, {ItemRecord, 2, "", ""}}},
	}
	for _, tt := range tests {
		got, _, err := readAll(t, strings.NewReader(tt.in), f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %v, want %v", tt.name, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: item %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
		// Decode must agree with the reader on the first line.
		first, _, _ := strings.Cut(tt.in, "\n")
		var r flow.Record
		err = NewTextDecoder(f).Decode([]byte(first), &r)
		if (err == nil) != (tt.want[0].kind == ItemRecord) {
			t.Errorf("%s: Decode of the first line: %v, reader: %+v", tt.name, err, tt.want[0])
		}
	}
}

func TestTextReaderReadError(t *testing.T) {
	boom := errors.New("gzip: invalid checksum")
	tests := []struct {
		name    string
		in      io.Reader
		records int64
	}{
		{"error after complete lines", io.MultiReader(strings.NewReader(lines(awsAcceptSSH, awsNoData)), iotest.ErrReader(boom)), 2},
		{"error mid-line drops the partial line", io.MultiReader(strings.NewReader(lines(awsAcceptSSH)+awsNoData[:20]), iotest.ErrReader(boom)), 1},
		{"error with data", &errWithData{data: []byte(lines(awsAcceptSSH, awsNoData) + "2 1234"), err: boom}, 2},
		{"error at once", iotest.ErrReader(boom), 0},
		{"error during a long line", io.MultiReader(strings.NewReader(awsAcceptSSH+"\n"+strings.Repeat("x", 3*MaxLineBytes)), iotest.ErrReader(boom)), 1},
		{"timeout", iotest.TimeoutReader(strings.NewReader(lines(awsAcceptSSH, awsNoData))), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTextReader(tt.in, flow.DefaultFormat())
			var got int64
			var err error
			for {
				var it Item
				if it, err = tr.Next(); err != nil {
					break
				}
				if it.Kind != ItemRecord {
					t.Fatalf("line %d: kind %d %v", it.Line, it.Kind, it.Err)
				}
				got++
			}
			want := boom
			if tt.name == "timeout" {
				want = iotest.ErrTimeout
				tt.records = got // TimeoutReader fails on its second read, after a whole buffer
			}
			if !errors.Is(err, want) {
				t.Fatalf("error %v, want %v", err, want)
			}
			if got != tt.records || tr.Records != tt.records || tr.Lines != tt.records {
				t.Errorf("%d records (Records %d, Lines %d) before the error, want %d", got, tr.Records, tr.Lines, tt.records)
			}
			// The error sticks.
			if _, err2 := tr.Next(); !errors.Is(err2, want) {
				t.Errorf("second Next = %v, want %v again", err2, want)
			}
		})
	}
}

// errWithData returns all its data together with a non-EOF error.
type errWithData struct {
	data []byte
	err  error
	done bool
}

func (e *errWithData) Read(p []byte) (int, error) {
	if e.done {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	if len(e.data) == 0 {
		e.done = true
		return n, e.err
	}
	return n, nil
}

func TestTextReaderRawAndFormat(t *testing.T) {
	in := lines(natFormat, natLine, "bad line here", strings.Repeat("z", RawLimit+10))
	tr := NewTextReader(strings.NewReader(in), flow.DefaultFormat())
	want := []struct {
		kind   ItemKind
		raw    string
		format string
	}{
		{ItemHeader, natFormat, natFormat},
		{ItemRecord, natLine, natFormat},
		{ItemReject, "bad line here", natFormat},
		{ItemReject, strings.Repeat("z", RawLimit), natFormat},
	}
	for i, w := range want {
		it, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind != w.kind || string(it.Raw) != w.raw || it.Format.Header() != w.format {
			t.Errorf("item %d: kind %d raw %.40q format %q; want kind %d raw %.40q format %q", i+1, it.Kind, it.Raw, it.Format.Header(), w.kind, w.raw, w.format)
		}
	}
}

// Items carry whether their format is a Transit Gateway one and its field
// mask, and both follow the header lines.
func TestTextReaderFormatFlags(t *testing.T) {
	tgwHeader := flow.TGWDefaultFormat().Header()
	tgwLine := "6 TransitGateway 748335378900 tgw-0a12bc34de56f7890 tgw-attach-0789ijkl 123456789012 210987654321 vpc-0jkl5678 vpc-0ghi9012 subnet-1 subnet-2 eni-0cc3dd4ee5f66aa7b eni-0cc3dd4ee5f66aa7c use1-az1 use1-az2 tgw-attach-0123abcd 10.0.0.1 10.1.0.1 39464 22 6 49 8947 1755592533 1755592558 OK IPv4 0 0 0 0 2 us-east-1 egress - -"
	in := lines(awsAcceptSSH, tgwHeader, tgwLine, strings.Repeat("x", MaxLineBytes+5), "bad", defaultHeader, awsNoData)
	def, tgw := flow.DefaultFormat(), flow.TGWDefaultFormat()
	want := []struct {
		kind ItemKind
		tgw  bool
		mask uint64
	}{
		{ItemRecord, false, def.Mask()},
		{ItemHeader, true, tgw.Mask()},
		{ItemRecord, true, tgw.Mask()},
		{ItemReject, true, tgw.Mask()},
		{ItemReject, true, tgw.Mask()},
		{ItemHeader, false, def.Mask()},
		{ItemRecord, false, def.Mask()},
	}
	if def.Mask() != 1<<14-1 {
		t.Fatalf("default format mask %x, want the first 14 fields", def.Mask())
	}
	tr := NewTextReader(strings.NewReader(in), def)
	for i, w := range want {
		it, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind != w.kind || it.TGW != w.tgw || it.Mask != w.mask {
			t.Errorf("item %d: kind %d TGW %v mask %x; want kind %d TGW %v mask %x (%v)", i+1, it.Kind, it.TGW, it.Mask, w.kind, w.tgw, w.mask, it.Err)
		}
		if it.Kind == ItemRecord && it.TGW {
			m := render(*it.Format, it.Record)
			if m["tgw-id"] != "tgw-0a12bc34de56f7890" || m["packets-lost-no-route"] != "0" || m["version"] != "6" || m["pkt-dst-aws-service"] != "NULL" {
				t.Errorf("TGW record decoded as %v", m)
			}
		}
	}
}
