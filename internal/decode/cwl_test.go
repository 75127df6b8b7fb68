package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/flowir/flowir/internal/flow"
)

// cwlItems reads everything and returns the items' kinds and raw texts.
func cwlItems(t *testing.T, r *CWLReader) (kinds []ItemKind, raws []string, reasons []string, err error) {
	t.Helper()
	for {
		it, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return kinds, raws, reasons, err
		}
		kinds = append(kinds, it.Kind)
		raws = append(raws, string(it.Raw))
		reason := ""
		if it.Err != nil {
			reason = it.Err.Reason
		}
		reasons = append(reasons, reason)
	}
}

func TestCWLMessages(t *testing.T) {
	in := `{"message":"` + awsAcceptSSH + `","timestamp":1418530010000}` + "\n" +
		`{"message":"` + awsNoData + `"}` + "\r\n" +
		"\n" +
		`not json` + "\n" +
		`["x"]` + "\n" +
		`{"msg":"x"}` + "\n" +
		`{"message":5}` + "\n" +
		`{"message":"2 123456789010 eni-1 garbage"}`
	r := NewCWLReader(strings.NewReader(in), CWLMessages, flow.DefaultFormat(), false)
	kinds, raws, reasons, err := cwlItems(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "", ReasonEmpty, ReasonBadJSON, ReasonNotObject, ReasonNoMessage, ReasonNoMessage, ReasonFieldCount}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Fatalf("reasons %q, want %q", reasons, want)
	}
	if kinds[0] != ItemRecord || raws[0] != awsAcceptSSH || raws[3] != "not json" || raws[7] != "2 123456789010 eni-1 garbage" {
		t.Errorf("items %v %q", kinds, raws)
	}
	if r.Lines != 8 || r.Records != 2 || r.Rejects != 6 || r.Headers != 0 {
		t.Errorf("counts %d %d %d %d", r.Lines, r.Records, r.Rejects, r.Headers)
	}
}

// TestCWLExternal reads Elastic's record wrapped as {"message": ...}.
func TestCWLExternal(t *testing.T) {
	b := external(t, "elastic-integrations/test-with-message-field.log")
	if k := SniffJSON(b); k != CWLMessages {
		t.Fatalf("sniffed %v", k)
	}
	r := NewCWLReader(bytes.NewReader(b), CWLMessages, flow.DefaultFormat(), true)
	it, err := r.Next()
	if err != nil || it.Kind != ItemRecord {
		t.Fatalf("%+v %v", it.Err, err)
	}
	if it.Record.Status() != "NODATA" || string(it.Record.Str[flow.AccountID]) != "428961148399" || it.Record.Num[flow.End] != 1671029728 {
		t.Errorf("record %+v", it.Record)
	}
}

func TestCWLExport(t *testing.T) {
	ev := func(msg string) string {
		b, _ := json.Marshal(map[string]any{"logStreamName": "eni-1-all", "timestamp": 1, "message": msg, "ingestionTime": 2, "eventId": "3"})
		return string(b)
	}
	page1 := "{\n  \"events\": [\n    " + ev(awsAcceptSSH) + ",\n    " + ev(defaultHeader) + ",\n    " + ev(awsRejectRDP) + ",\n" +
		`    {"timestamp": 5}` + "\n  ],\n  \"searchedLogStreams\": [{\"logStreamName\": \"eni-1-all\", \"searchedCompletely\": true}],\n  \"nextToken\": \"abc\"\n}\n"
	page2 := `{"events":[` + ev(awsIPv6SSH) + `]}`
	for name, rd := range map[string]func(string) io.Reader{
		"whole":        func(s string) io.Reader { return strings.NewReader(s) },
		"byte by byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
	} {
		t.Run(name, func(t *testing.T) {
			r := NewCWLReader(rd(page1+page2), CWLExport, flow.DefaultFormat(), false)
			kinds, raws, reasons, err := cwlItems(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(kinds) != fmt.Sprint([]ItemKind{ItemRecord, ItemHeader, ItemRecord, ItemReject, ItemRecord}) || reasons[3] != ReasonNoMessage || raws[4] != awsIPv6SSH {
				t.Fatalf("kinds %v reasons %q raws %q", kinds, reasons, raws)
			}
			if r.Lines != 5 || r.Records != 3 || r.Headers != 1 || r.Rejects != 1 {
				t.Errorf("counts %d %d %d %d", r.Lines, r.Records, r.Rejects, r.Headers)
			}
		})
	}
	// A truncated export keeps the events before the damage.
	r := NewCWLReader(strings.NewReader(page1[:len(page1)/2]), CWLExport, flow.DefaultFormat(), false)
	kinds, _, _, err := cwlItems(t, r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(kinds) == 0 {
		t.Fatalf("truncated: %d items, %v", len(kinds), err)
	}
	r = NewCWLReader(strings.NewReader(`["x"]`), CWLExport, flow.DefaultFormat(), false)
	if _, _, _, err := cwlItems(t, r); err == nil {
		t.Fatal("an array at the top level is not an export")
	}
}

func TestCWLSubscription(t *testing.T) {
	payload := func(typ string, msgs ...string) string {
		var evs []map[string]any
		for i, m := range msgs {
			evs = append(evs, map[string]any{"id": fmt.Sprint(i), "timestamp": 1, "message": m})
		}
		b, _ := json.Marshal(map[string]any{"messageType": typ, "owner": "123456789010", "logGroup": "vpc-flow", "logStream": "eni-1-all",
			"subscriptionFilters": []string{"f"}, "logEvents": evs})
		return string(b)
	}
	in := payload("CONTROL_MESSAGE", "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.") +
		payload("DATA_MESSAGE", awsAcceptSSH, awsSkipData) + "\n" + payload("DATA_MESSAGE", awsPingIn)
	if k := SniffJSON([]byte(in)); k != CWLSubscription {
		t.Fatalf("sniffed %v", k)
	}
	r := NewCWLReader(strings.NewReader(in), CWLSubscription, flow.DefaultFormat(), false)
	kinds, _, reasons, err := cwlItems(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]ItemKind{ItemReject, ItemRecord, ItemRecord, ItemRecord}) || reasons[0] != ReasonControl {
		t.Fatalf("kinds %v reasons %q", kinds, reasons)
	}
	if r.Group != "vpc-flow" || r.Stream != "eni-1-all" {
		t.Errorf("group %q stream %q", r.Group, r.Stream)
	}
}

// TestGuessHeaderless reads Elastic's headerless Transit Gateway samples
// (version token 3, 36 fields) without a format.
func TestGuessHeaderless(t *testing.T) {
	b := external(t, "elastic-integrations/test-tgw-samples.log")
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		f, ok := GuessHeaderless([]byte(l))
		if !ok || !f.IsTGW() {
			t.Fatalf("not recognised: %s", l)
		}
	}
	for _, l := range []string{awsAcceptSSH, awsNoData, natLine, strings.Replace(lines[0], "tgw-attach-", "eni-", 1)} {
		if _, ok := GuessHeaderless([]byte(l)); ok {
			t.Errorf("recognised as TGW: %s", l)
		}
	}
	// Through the CWL reader, as a CloudWatch export of TGW records.
	var buf bytes.Buffer
	for _, l := range lines {
		m, _ := json.Marshal(map[string]string{"message": l})
		buf.Write(append(m, '\n'))
	}
	r := NewCWLReader(&buf, CWLMessages, flow.DefaultFormat(), true)
	kinds, _, reasons, err := cwlItems(t, r)
	if err != nil || r.Records != int64(len(lines)) || !r.Format().IsTGW() {
		t.Fatalf("kinds %v reasons %q err %v", kinds, reasons, err)
	}
}

func FuzzCWLReader(f *testing.F) {
	f.Add(uint8(CWLMessages), []byte(`{"message":"`+awsAcceptSSH+`"}`+"\n{}\n\nx"))
	f.Add(uint8(CWLExport), []byte(`{"events":[{"message":"`+awsNoData+`"},{"x":1}],"nextToken":"t"}{"events":null}`))
	f.Add(uint8(CWLSubscription), []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"`+awsIPv6SSH+`"}]}`))
	f.Fuzz(func(t *testing.T, kind uint8, in []byte) {
		k := JSONKind(kind%3) + CWLMessages
		r := NewCWLReader(bytes.NewReader(in), k, flow.DefaultFormat(), kind&4 != 0)
		for {
			it, err := r.Next()
			if err != nil {
				break
			}
			if it.Kind == ItemReject && (it.Err == nil || it.Err.Reason == "") {
				t.Fatal("reject without a reason")
			}
			if it.Line != r.Lines {
				t.Fatalf("item line %d, %d lines read", it.Line, r.Lines)
			}
		}
		if r.Lines != r.Records+r.Rejects+r.Headers {
			t.Fatalf("lines %d != %d + %d + %d", r.Lines, r.Records, r.Rejects, r.Headers)
		}
		if k == CWLMessages && r.Lines != countLines(in) {
			t.Fatalf("%d lines read, the input has %d", r.Lines, countLines(in))
		}
	})
}
