package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Reject reasons of JSON input, besides ReasonBadJSON, ReasonEmpty,
// ReasonBadUTF8, ReasonOutOfRange and ReasonTooLong.
const (
	ReasonNotObject    = "not-an-object"   // valid JSON, but not an object ([...], "text", 5)
	ReasonWrongType    = "wrong-type"      // a value of the wrong JSON type for its column
	ReasonDuplicateKey = "duplicate-key"   // a key given twice (which value is evidence?)
	ReasonNoMessage    = "no-message"      // a CloudWatch Logs event or wrapper without a message string
	ReasonControl      = "control-message" // a CloudWatch Logs subscription CONTROL_MESSAGE event
)

// JSONKind is what a JSON input holds, as recognised by SniffJSON.
type JSONKind int

const (
	// NotJSON: the input does not start with '{'; it is flow log text.
	NotJSON JSONKind = iota
	// JSONUnknown: JSON of no kind flowir reads.
	JSONUnknown
	// JSONRecords: the playbook's "NEW logs" records, one JSON object per
	// line with the keys of PlaybookColumns.
	JSONRecords
	// CWLMessages: one {"message": "<flow log record>"} object per line, as
	// CloudWatch Logs and Firehose deliveries wrap records (other keys such
	// as timestamp are allowed and ignored).
	CWLMessages
	// CWLExport: the JSON output of `aws logs filter-log-events` or
	// `get-log-events`: {"events": [{"message": ...}, ...], ...}, one or
	// more documents.
	CWLExport
	// CWLSubscription: CloudWatch Logs subscription payloads,
	// {"messageType": ..., "logGroup": ..., "logEvents": [...]}, one or more
	// (gzip-compressed as delivered; decompression happens before).
	CWLSubscription
)

func (k JSONKind) String() string {
	switch k {
	case NotJSON:
		return "text"
	case JSONRecords:
		return "json-records"
	case CWLMessages:
		return "cwl-messages"
	case CWLExport:
		return "cwl-export"
	case CWLSubscription:
		return "cwl-subscription"
	}
	return "json-unknown"
}

// JSONColumn is one column of the playbook's "NEW logs" table.
type JSONColumn struct {
	Name string
	Type string // STRING, INT or BIGINT, as in the playbook's DDL
}

// PlaybookColumns are the 22 columns of the playbook's "NEW logs" table
// vpc_flow_logs (design.md steps 7-9), in the DDL's order and with its types.
// (The Spanish playbook's translation mangled two names, "protocolo" and
// "en bytes"; they are protocol and in_bytes.)
var PlaybookColumns = []JSONColumn{
	{"is_rejected_packet", "STRING"},
	{"avg_in_packet_size", "INT"},
	{"vpc_id", "STRING"},
	{"local_port", "INT"},
	{"source_dc", "STRING"},
	{"ip", "STRING"},
	{"end_time", "STRING"},
	{"remote_port", "INT"},
	{"start_time", "STRING"},
	{"protocol", "INT"},
	{"in_bytes", "BIGINT"},
	{"source_tag", "STRING"},
	{"account_id", "STRING"},
	{"instance_id", "STRING"},
	{"interface_public_ips", "STRING"},
	{"out_bytes", "BIGINT"},
	{"is_skipped_rejected_packets", "STRING"},
	{"source_az", "STRING"},
	{"source_region", "STRING"},
	{"avg_out_packet_size", "INT"},
	{"instance_type", "STRING"},
	{"interface_local_ips", "STRING"},
}

// playbookShared are the playbook's columns that are also VPC flow log
// field names: JSON whose keys are flow log fields (a converter's output)
// has them too, so they do not tell the playbook's records apart.
var playbookShared = map[string]bool{"vpc_id": true, "protocol": true, "account_id": true, "instance_id": true}

var playbookIndex = func() map[string]int {
	m := make(map[string]int, len(PlaybookColumns))
	for i, c := range PlaybookColumns {
		m[c.Name] = i
	}
	return m
}()

// SniffHead is how many bytes SniffJSON wants to see.
const SniffHead = 64 << 10

// SniffJSON tells what a decompressed input holds from its first bytes
// (up to SniffHead).
//
// When the first non-blank byte is '{', the keys of the first object
// decide: logEvents or messageType make a subscription payload, events an
// export, two or more of the playbook's columns that are not also flow log
// field names (ip, in_bytes, start_time, ...) the playbook's records,
// message a wrapped record; when the first line is not a whole object (a
// malformed line first, or a pretty-printed document cut by the head), the
// following lines are tried, and JSON of none of these kinds is
// JSONUnknown. Otherwise the input is JSON lines only if most of its first
// 20 non-blank lines start with '{' and one of them is of a known kind (a
// malformed line may come first); anything else is NotJSON, flow log text.
func SniffJSON(head []byte) JSONKind {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return NotJSON
	}
	if t[0] == '{' {
		if k, ok := kindOfKeys(topKeys(t)); ok {
			return k
		}
	}
	var lines [][]byte
	braces := 0
	for _, line := range bytes.Split(t, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		lines = append(lines, line)
		if line[0] == '{' {
			braces++
		}
		if len(lines) == 20 {
			break
		}
	}
	if t[0] != '{' && braces*2 <= len(lines) {
		return NotJSON
	}
	for _, line := range lines {
		if line[0] != '{' || !json.Valid(line) {
			continue
		}
		if k, ok := kindOfKeys(topKeys(line)); ok {
			return k
		}
	}
	if t[0] != '{' {
		return NotJSON
	}
	return JSONUnknown
}

// topKeys returns the keys of the object at the start of b, as far as b is
// readable; it stops early at a key that decides the kind by itself.
func topKeys(b []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		k, ok := tok.(string)
		if !ok {
			break
		}
		keys = append(keys, k)
		switch k {
		case "logEvents", "messageType", "events":
			return keys
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
	}
	return keys
}

func kindOfKeys(keys []string) (JSONKind, bool) {
	playbook, message := 0, false
	for _, k := range keys {
		switch k {
		case "logEvents", "messageType":
			return CWLSubscription, true
		case "events":
			return CWLExport, true
		case "message":
			message = true
		}
		if lk := strings.ToLower(k); !playbookShared[lk] {
			if _, ok := playbookIndex[lk]; ok {
				playbook++
			}
		}
	}
	switch {
	case playbook >= 2:
		return JSONRecords, true
	case message:
		return CWLMessages, true
	}
	return JSONUnknown, false
}

// lineReader reads lines as TextReader does: without the newline and a
// trailing CR, a UTF-8 byte order mark dropped from the first, the last
// line possibly without a newline. A line longer than max+1 bytes (room for
// max bytes and a CR) is returned as its first max+2 bytes, the rest being
// skipped, so that callers see it is too long. The buffer is small (lines
// are usually short, and thousands of small sources each get a reader);
// long lines are gathered in a separate slice.
type lineReader struct {
	br   *bufio.Reader
	max  int
	n    int64
	long []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

func (l *lineReader) next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		keep := l.max + 2
		total := len(line)
		l.long = append(l.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = l.br.ReadSlice('\n')
			total += len(line)
			if room := keep - len(l.long); room > 0 {
				l.long = append(l.long, line[:min(room, len(line))]...)
			}
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == nil {
			total-- // the newline
		}
		line = l.long[:min(total, keep)]
	} else {
		switch {
		case err == nil:
			line = line[:len(line)-1]
		case err == io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
		default:
			return nil, err
		}
	}
	if l.n == 0 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	l.n++
	if n := len(line); n > 0 && n <= l.max+1 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// JSONItem is one line of the playbook's JSON records, read by a
// JSONRecordReader. Its slices are valid until the next call to Next.
type JSONItem struct {
	Kind ItemKind // ItemRecord or ItemReject
	Line int64
	// Values holds the record's PlaybookColumns in order: nil (JSON null
	// or key absent), string, or int64.
	Values []any
	// Extra is a JSON object of the keys that are not playbook columns,
	// in their order, "" when there are none: kept as evidence.
	Extra string
	Err   *LineError
	Raw   []byte
}

// JSONRecordReader reads the playbook's "NEW logs" records: one JSON object
// per line. As with Athena's ignore.malformed.json, a malformed line is not
// a record; unlike Athena, it is counted and returned as a reject with its
// reason: not JSON (bad-json), not an object (not-an-object), a value of
// the wrong JSON type for its column (wrong-type: a STRING column takes a
// JSON string; INT and BIGINT take a JSON whole number), a whole number out
// of its column's range (out-of-range), a key given twice (duplicate-key),
// an empty line, invalid UTF-8, or a line over 1 MiB. Keys are matched
// case-insensitively, as the OpenX JSON SerDe does by default; an absent key
// or null is NULL. Every line is exactly one item: lines = records + rejects.
type JSONRecordReader struct {
	lr      *lineReader
	vals    []any
	seen    []bool
	Lines   int64
	Records int64
	Rejects int64
}

// MaxJSONLine is the longest JSON line read.
const MaxJSONLine = 1 << 20

// NewJSONRecordReader reads JSON records from r (decompressed).
func NewJSONRecordReader(r io.Reader) *JSONRecordReader {
	return &JSONRecordReader{lr: newLineReader(r, MaxJSONLine), vals: make([]any, len(PlaybookColumns)), seen: make([]bool, len(PlaybookColumns))}
}

// Next returns the next line's item, io.EOF at the end, or a read error
// after every complete line before it.
func (j *JSONRecordReader) Next() (JSONItem, error) {
	line, err := j.lr.next()
	if err != nil {
		return JSONItem{}, err
	}
	j.Lines++
	it := JSONItem{Line: j.Lines, Raw: line}
	if lerr := j.parse(line, &it); lerr != nil {
		j.Rejects++
		it.Kind, it.Err = ItemReject, lerr
		if len(it.Raw) > RawLimit {
			it.Raw = it.Raw[:RawLimit]
		}
		return it, nil
	}
	j.Records++
	it.Kind, it.Values = ItemRecord, j.vals
	return it, nil
}

func (j *JSONRecordReader) parse(line []byte, it *JSONItem) *LineError {
	if len(line) > MaxJSONLine {
		return &LineError{Reason: ReasonTooLong, Detail: fmt.Sprintf("line is longer than the %d-byte limit", MaxJSONLine)}
	}
	if !utf8.Valid(line) {
		return &LineError{Reason: ReasonBadUTF8, Detail: "line is not valid UTF-8 text"}
	}
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return &LineError{Reason: ReasonEmpty, Detail: "empty line"}
	}
	if !json.Valid(t) {
		return &LineError{Reason: ReasonBadJSON, Detail: "not valid JSON (" + jsonSyntaxError(t) + ")"}
	}
	if t[0] != '{' {
		return &LineError{Reason: ReasonNotObject, Detail: "valid JSON but not an object; a record is one {...} object per line"}
	}
	for i := range j.vals {
		j.vals[i], j.seen[i] = nil, false
	}
	var extra []byte
	extraKeys := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.Token() // '{'
	for dec.More() {
		tok, _ := dec.Token()
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &LineError{Reason: ReasonBadJSON, Detail: err.Error()}
		}
		lk := strings.ToLower(key)
		i, ok := playbookIndex[lk]
		if !ok {
			if extraKeys[lk] {
				return &LineError{Reason: ReasonDuplicateKey, Detail: fmt.Sprintf("key %q appears twice", key)}
			}
			extraKeys[lk] = true
			if extra == nil {
				extra = append(extra, '{')
			} else {
				extra = append(extra, ',')
			}
			k, _ := json.Marshal(key)
			extra = append(extra, k...)
			extra = append(extra, ':')
			extra = append(extra, raw...)
			continue
		}
		if j.seen[i] {
			return &LineError{Reason: ReasonDuplicateKey, Detail: fmt.Sprintf("key %q appears twice", key)}
		}
		j.seen[i] = true
		v, lerr := jsonValue(PlaybookColumns[i], raw)
		if lerr != nil {
			return lerr
		}
		j.vals[i] = v
	}
	if extra != nil {
		it.Extra = string(append(extra, '}'))
	}
	return nil
}

// jsonValue types one value for its column.
func jsonValue(c JSONColumn, raw json.RawMessage) (any, *LineError) {
	wrong := func(what string) *LineError {
		return &LineError{Reason: ReasonWrongType, Field: c.Name, Detail: fmt.Sprintf("%s is %s, a %s column takes %s", c.Name, what, c.Type, map[bool]string{true: "a JSON string", false: "a JSON whole number"}[c.Type == "STRING"])}
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case '"':
		if c.Type != "STRING" {
			return nil, wrong("a string (" + clip(raw) + ")")
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &LineError{Reason: ReasonBadJSON, Field: c.Name, Detail: err.Error()}
		}
		if lerr := checkJSONString(c.Name, raw, s); lerr != nil {
			return nil, lerr
		}
		return s, nil
	case 't', 'f':
		return nil, wrong("a boolean (" + string(raw) + ")")
	case '{':
		return nil, wrong("an object")
	case '[':
		return nil, wrong("an array")
	}
	// A number.
	if c.Type == "STRING" {
		return nil, wrong("a number (" + clip(raw) + ")")
	}
	if bytes.ContainsAny(raw, ".eE") {
		return nil, wrong("a number with a fraction or exponent (" + clip(raw) + ")")
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || c.Type == "INT" && (n < -1<<31 || n > 1<<31-1) {
		return nil, &LineError{Reason: ReasonOutOfRange, Field: c.Name, Detail: fmt.Sprintf("%s = %s is out of range for a %s column", c.Name, clip(raw), c.Type)}
	}
	return n, nil
}

// checkJSONString refuses a string value that is not kept exactly as
// written or that no flow log value holds: a control character (written as
// an escape such as \u0000 or \r; a NUL gives a nul-byte reject, as in
// text), or a lone UTF-16 surrogate escape (\ud800), which is not a
// character and which encoding/json would silently replace with U+FFFD.
func checkJSONString(name string, raw []byte, s string) *LineError {
	if k := strings.IndexByte(s, 0); k >= 0 {
		return &LineError{Reason: ReasonNUL, Field: name, Detail: fmt.Sprintf("%s holds a NUL character at byte %d; no flow log value does", name, k+1)}
	}
	for i, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			return &LineError{Reason: ReasonControlChar, Field: name, Detail: fmt.Sprintf("%s holds the control character %U at byte %d; no flow log value does", name, r, i+1)}
		}
	}
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' || i+6 > len(raw) {
			i++ // an escape of one character: skip it, so \\u is not read as \u
			continue
		}
		u, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		if err == nil && u >= 0xd800 && u <= 0xdfff {
			lo := uint64(0)
			if u <= 0xdbff && i+12 <= len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				lo, _ = strconv.ParseUint(string(raw[i+8:i+12]), 16, 16)
			}
			if lo < 0xdc00 || lo > 0xdfff {
				return &LineError{Reason: ReasonBadUTF8, Field: name, Detail: fmt.Sprintf("%s holds the lone UTF-16 surrogate escape %s, which is not a character", name, raw[i:i+6])}
			}
			i += 6 // the low half of the pair
		}
		i += 5
	}
	return nil
}

// jsonSyntaxError describes why b is not valid JSON.
func jsonSyntaxError(b []byte) string {
	var v any
	err := json.Unmarshal(b, &v)
	if err == nil {
		return "unexpected content"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	return err.Error()
}
