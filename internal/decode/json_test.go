package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// goodRecord is a playbook "NEW logs" record with every column.
const goodRecord = `{"is_rejected_packet":"false","avg_in_packet_size":120,"vpc_id":"vpc-0abc","local_port":443,"source_dc":"dc1","ip":"203.0.113.5","end_time":"2024-05-01T10:05:00Z","remote_port":51000,"start_time":"2024-05-01T10:00:00Z","protocol":6,"in_bytes":123456789012,"source_tag":"web","account_id":"123456789012","instance_id":"i-0abc","interface_public_ips":"198.51.100.7","out_bytes":42,"is_skipped_rejected_packets":"false","source_az":"use1-az1","source_region":"us-east-1","avg_out_packet_size":60,"instance_type":"m5.large","interface_local_ips":"10.0.0.5"}`

func TestSniffJSON(t *testing.T) {
	tests := []struct {
		in   string
		want JSONKind
	}{
		{"2 123456789010 eni-1 ...", NotJSON},
		{"version account-id\n", NotJSON},
		{"", NotJSON},
		{"\xef\xbb\xbf  \n" + goodRecord + "\n", JSONRecords},
		{"not json\n" + goodRecord, NotJSON},
		{"not json\n" + goodRecord + "\n" + goodRecord + "\nx\n" + goodRecord, JSONRecords},
		{"2 123 eni-1\n" + goodRecord + "\n2 123 eni-1\n", NotJSON},
		{"{broken\n" + goodRecord + "\n", JSONRecords},
		{`{"ip":"1.2.3.4","IN_BYTES":5}`, JSONRecords},
		{`{"message":"2 123 eni-1 - - - - - - - 1 2 - NODATA"}`, CWLMessages},
		{"{\n  \"events\": [\n    {\"logStreamName\": \"eni-1-all\", \"message\": \"x\"}\n", CWLExport},
		{`{"searchedLogStreams":[],"events":[]}`, CWLExport},
		{`{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","logEvents":[]}`, CWLSubscription},
		{`{"eventVersion":"1.08","userIdentity":{}}`, JSONUnknown},
		{`{"ip":"1.2.3.4"}`, JSONUnknown},
		{`{"version":2,"account_id":"1","protocol":6,"vpc_id":"v","instance_id":"i"}`, JSONUnknown},
		{`{"account_id":"1","protocol":6,"ip":"1.2.3.4","end_time":"x"}`, JSONRecords},
		{`[1,2]`, NotJSON},
	}
	for _, tt := range tests {
		if got := SniffJSON([]byte(tt.in)); got != tt.want {
			t.Errorf("SniffJSON(%.40q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestJSONRecordReader(t *testing.T) {
	withField := func(k, v string) string {
		var m map[string]json.RawMessage
		json.Unmarshal([]byte(goodRecord), &m)
		m[k] = json.RawMessage(v)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name   string
		line   string
		reason string // "" for a record
	}{
		{"good", goodRecord, ""},
		{"minimal", `{"ip":"10.0.0.1"}`, ""},
		{"nulls", `{"ip":null,"in_bytes":null}`, ""},
		{"upper-case keys", `{"IP":"10.0.0.1","In_Bytes":7}`, ""},
		{"extra keys kept", `{"ip":"10.0.0.1","note":{"a":[1]}}`, ""},
		{"negative int", withField("local_port", "-1"), ""},
		{"empty", ``, ReasonEmpty},
		{"blank", "  \t", ReasonEmpty},
		{"not json", `ip=10.0.0.1`, ReasonBadJSON},
		{"truncated", goodRecord[:50], ReasonBadJSON},
		{"trailing garbage", goodRecord + " x", ReasonBadJSON},
		{"two objects", goodRecord + goodRecord, ReasonBadJSON},
		{"array", `[` + goodRecord + `]`, ReasonNotObject},
		{"string", `"hello"`, ReasonNotObject},
		{"number", `42`, ReasonNotObject},
		{"string for int", withField("in_bytes", `"lots"`), ReasonWrongType},
		{"numeric string for int", withField("local_port", `"443"`), ReasonWrongType},
		{"number for string", withField("account_id", `123456789012`), ReasonWrongType},
		{"bool for string", withField("is_rejected_packet", `true`), ReasonWrongType},
		{"float for int", withField("protocol", `6.0`), ReasonWrongType},
		{"exponent for int", withField("in_bytes", `1e3`), ReasonWrongType},
		{"object for string", withField("ip", `{"v":4}`), ReasonWrongType},
		{"array for int", withField("out_bytes", `[1]`), ReasonWrongType},
		{"int overflow", withField("avg_in_packet_size", `2147483648`), ReasonOutOfRange},
		{"bigint overflow", withField("in_bytes", `9223372036854775808`), ReasonOutOfRange},
		{"duplicate key", `{"ip":"1.1.1.1","ip":"2.2.2.2"}`, ReasonDuplicateKey},
		{"duplicate key by case", `{"ip":"1.1.1.1","IP":"2.2.2.2"}`, ReasonDuplicateKey},
		{"duplicate extra key", `{"ip":"1.1.1.1","x":1,"X":2}`, ReasonDuplicateKey},
		{"invalid utf-8", "{\"ip\":\"\xff\"}", ReasonBadUTF8},
		{"too long", `{"ip":"` + strings.Repeat("x", MaxJSONLine) + `"}`, ReasonTooLong},
		// String values are kept exactly, and no flow log value holds a
		// control character: escapes of either are rejects, as in text.
		{"nul escape", withField("ip", `"10.0.0.1\u0000"`), ReasonNUL},
		{"cr escape", withField("vpc_id", `"vpc-1\r"`), ReasonControlChar},
		{"c1 escape", withField("vpc_id", `"vpc-1\u009b"`), ReasonControlChar},
		{"lone high surrogate", withField("vpc_id", `"vpc-\ud800"`), ReasonBadUTF8},
		{"lone low surrogate", withField("vpc_id", `"vpc-\udc00x"`), ReasonBadUTF8},
		{"reversed pair", withField("vpc_id", `"\udc00\ud800"`), ReasonBadUTF8},
		{"surrogate pair", withField("vpc_id", `"vpc-\ud83d\ude00"`), ""},
		{"escaped backslash then u", withField("vpc_id", `"vpc-\\ud800"`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJSONRecordReader(strings.NewReader(tt.line))
			it, err := j.Next()
			if tt.line == "" {
				// An empty input has no line at all.
				if err != io.EOF {
					t.Fatalf("empty input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason == "" {
				if it.Kind != ItemRecord {
					t.Fatalf("rejected: %v", it.Err)
				}
				return
			}
			if it.Kind != ItemReject || it.Err.Reason != tt.reason {
				t.Fatalf("kind %v err %v, want reject %s", it.Kind, it.Err, tt.reason)
			}
			if want := tt.line[:min(len(tt.line), RawLimit)]; string(it.Raw) != want {
				t.Errorf("raw = %q", it.Raw)
			}
		})
	}
}

func TestJSONRecordValues(t *testing.T) {
	in := goodRecord + "\r\n\n" + `{"IP":"10.0.0.1","note":"n","in_bytes":-5}` + "\n" + `{"ip":5}`
	j := NewJSONRecordReader(iotest.OneByteReader(strings.NewReader(in)))
	it, err := j.Next()
	if err != nil || it.Kind != ItemRecord {
		t.Fatal(it.Err, err)
	}
	want := map[string]any{"is_rejected_packet": "false", "avg_in_packet_size": int64(120), "in_bytes": int64(123456789012),
		"interface_local_ips": "10.0.0.5", "protocol": int64(6), "ip": "203.0.113.5"}
	for i, c := range PlaybookColumns {
		if w, ok := want[c.Name]; ok && it.Values[i] != w {
			t.Errorf("%s = %#v, want %#v", c.Name, it.Values[i], w)
		}
		if it.Values[i] == nil {
			t.Errorf("%s is NULL", c.Name)
		}
	}
	if it.Extra != "" {
		t.Errorf("extra = %q", it.Extra)
	}
	if it, _ = j.Next(); it.Kind != ItemReject || it.Line != 2 || it.Err.Reason != ReasonEmpty {
		t.Errorf("line 2: %+v", it)
	}
	it, _ = j.Next()
	if it.Kind != ItemRecord || it.Line != 3 || it.Values[5] != "10.0.0.1" || it.Values[10] != int64(-5) || it.Values[0] != nil || it.Extra != `{"note":"n"}` {
		t.Errorf("line 3: %+v", it)
	}
	if it, _ = j.Next(); it.Kind != ItemReject || it.Err.Reason != ReasonWrongType {
		t.Errorf("line 4: %+v", it)
	}
	if _, err := j.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if j.Lines != 4 || j.Records != 2 || j.Rejects != 2 {
		t.Errorf("lines %d records %d rejects %d", j.Lines, j.Records, j.Rejects)
	}
}

func TestJSONRecordReaderDamage(t *testing.T) {
	j := NewJSONRecordReader(io.MultiReader(strings.NewReader(goodRecord+"\n"+goodRecord[:30]), iotest.ErrReader(io.ErrUnexpectedEOF)))
	if it, err := j.Next(); err != nil || it.Kind != ItemRecord {
		t.Fatal(err)
	}
	if _, err := j.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("damage: %v", err)
	}
	if j.Lines != 1 {
		t.Errorf("the partial line was counted")
	}
}

// FuzzJSONRecordReader: every line is one item, and lines reconcile.
func FuzzJSONRecordReader(f *testing.F) {
	f.Add([]byte(goodRecord + "\n" + `{"ip":1}` + "\n\n[1]\n{\"IP\":\"x\",\"ip\":\"y\"}"))
	f.Add([]byte(`{"in_bytes":99999999999999999999}`))
	f.Add([]byte("\xef\xbb\xbf{\"ip\":\"a\"}\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		j := NewJSONRecordReader(bytes.NewReader(in))
		for {
			it, err := j.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch it.Kind {
			case ItemRecord:
				if len(it.Values) != len(PlaybookColumns) {
					t.Fatal("values")
				}
				for i, v := range it.Values {
					switch v.(type) {
					case nil:
					case string:
						if PlaybookColumns[i].Type != "STRING" {
							t.Fatalf("%s holds a string", PlaybookColumns[i].Name)
						}
					case int64:
						if PlaybookColumns[i].Type == "STRING" {
							t.Fatalf("%s holds a number", PlaybookColumns[i].Name)
						}
					default:
						t.Fatalf("%s holds %T", PlaybookColumns[i].Name, v)
					}
				}
				if it.Extra != "" && !json.Valid([]byte(it.Extra)) {
					t.Fatalf("extra %q is not JSON", it.Extra)
				}
			case ItemReject:
				if it.Err == nil || it.Err.Reason == "" {
					t.Fatal("reject without reason")
				}
			}
		}
		if want := countLines(in); j.Lines != want || j.Lines != j.Records+j.Rejects {
			t.Fatalf("lines %d (input has %d) records %d rejects %d", j.Lines, want, j.Records, j.Rejects)
		}
		SniffJSON(in)
	})
}

// TestLineReaderLong checks long lines around the limit and the buffer.
func TestLineReaderLong(t *testing.T) {
	for _, n := range []int{0, 1, 65535, 65536, 65537, 200000, 300000, 300001, 300002, 300003, 700000} {
		for _, cr := range []string{"", "\r"} {
			line := strings.Repeat("a", n) + cr
			in := line + "\nnext\n" + line
			l := newLineReader(iotest.HalfReader(strings.NewReader(in)), 300000)
			wants := []string{line, "next", line}
			if line == "" {
				wants = wants[:2] // nothing after the last newline: no third line
			}
			for i, want := range wants {
				got, err := l.next()
				if err != nil {
					t.Fatalf("n=%d cr=%q line %d: %v", n, cr, i, err)
				}
				w := strings.TrimSuffix(want, "\r")
				if len(want) > 300001 {
					w = want[:300002]
				}
				if string(got) != w {
					t.Fatalf("n=%d cr=%q line %d: got %d bytes, want %d", n, cr, i, len(got), len(w))
				}
			}
			if _, err := l.next(); err != io.EOF {
				t.Fatalf("n=%d: %v at the end", n, err)
			}
		}
	}
}
