package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/flowir/flowir/internal/flow"
)

// CWLReader reads CloudWatch Logs deliveries and exports, whose log events
// each carry one flow log record line (CloudWatch Logs writes no header):
// CWLMessages ({"message": ...} per line), CWLExport (`aws logs
// filter-log-events` output) and CWLSubscription (subscription payloads).
// Each event's message is decoded as TextReader decodes a line, with the
// format given (a header line in a message is honoured too).
//
// Every event is exactly one item, so lines (events) = records + rejects +
// headers. An event that carries no message string, a wrapper line that is
// not JSON, and the CONTROL_MESSAGE events of subscription payloads are
// rejects with their reason. Item.Line is the event's 1-based ordinal in the
// input (for CWLMessages, its line number). A syntax error in an export or
// payload document ends the reading with an error after the events before
// it, as damage does in a text file.
type CWLReader struct {
	kind   JSONKind
	lines  *lineReader
	doc    *docEvents
	dec    *TextDecoder
	format flow.Format
	tgw    bool
	mask   uint64
	guess  bool
	rec    flow.Record
	err    error
	hdr    headerNote

	Lines   int64
	Records int64
	Rejects int64
	Headers int64
	// Group and Stream are the log group and stream named by the last
	// subscription payload read ("" otherwise).
	Group, Stream string
}

// NewCWLReader reads r (decompressed) of the given kind. With guess, the
// format may be replaced by the Transit Gateway default format when the
// first message has its shape (see GuessHeaderless): for input whose format
// the user did not give.
func NewCWLReader(r io.Reader, kind JSONKind, format flow.Format, guess bool) *CWLReader {
	c := &CWLReader{kind: kind, guess: guess}
	c.setFormat(format)
	if kind == CWLMessages {
		c.lines = newLineReader(r, MaxJSONLine)
	} else {
		c.doc = &docEvents{dec: json.NewDecoder(r), whole: kind == CWLSubscription}
	}
	return c
}

func (c *CWLReader) setFormat(f flow.Format) {
	c.format, c.tgw, c.mask = f, f.IsTGW(), f.Mask()
	c.dec = NewTextDecoder(f)
}

// Format returns the current record format.
func (c *CWLReader) Format() flow.Format { return c.format }

// Next returns the next event's item, io.EOF at the end, or the error that
// ended the reading.
func (c *CWLReader) Next() (Item, error) {
	if c.err != nil {
		return Item{}, c.err
	}
	msg, raw, lerr, err := c.event()
	if err != nil {
		c.err = err
		return Item{}, err
	}
	c.Lines++
	it := Item{Line: c.Lines, Format: &c.format, TGW: c.tgw, Mask: c.mask}
	if lerr != nil {
		return c.reject(it, lerr, raw), nil
	}
	msg = bytes.TrimSuffix(msg, []byte("\n"))
	msg = bytes.TrimSuffix(msg, []byte("\r"))
	it.Raw = msg
	if len(msg) > MaxLineBytes {
		return c.reject(it, tooLong(msg, "message"), msg), nil
	}
	if flow.LooksLikeHeader(msg) {
		if f, ok := flow.HeaderFormat(msg); ok {
			c.Headers++
			c.hdr = headerNote{}
			c.guess = false
			if !f.Equal(c.format) {
				c.setFormat(f)
			}
			it.Kind, it.Format, it.TGW, it.Mask = ItemHeader, &c.format, c.tgw, c.mask
			return it, nil
		}
	}
	if c.guess {
		c.guess = false
		if f, ok := GuessHeaderless(msg); ok && !f.Equal(c.format) {
			c.setFormat(f)
			it.Format, it.TGW, it.Mask = &c.format, c.tgw, c.mask
		}
	}
	if err := c.dec.Decode(msg, &c.rec); err != nil {
		return c.reject(it, c.hdr.check(msg, it.Line, err.(*LineError)), msg), nil
	}
	c.Records++
	it.Kind, it.Record = ItemRecord, &c.rec
	return it, nil
}

func (c *CWLReader) reject(it Item, lerr *LineError, raw []byte) Item {
	c.Rejects++
	if len(raw) > RawLimit {
		raw = raw[:RawLimit]
	}
	it.Kind, it.Err, it.Raw = ItemReject, lerr, raw
	return it
}

// event returns the next event's message, or a reject (lerr, with the raw
// event) for an event or line that has none.
func (c *CWLReader) event() (msg, raw []byte, lerr *LineError, err error) {
	if c.lines != nil {
		line, err := c.lines.next()
		if err != nil {
			return nil, nil, nil, err
		}
		msg, lerr := messageOf(line)
		return msg, line, lerr, nil
	}
	ev, control, err := c.doc.next()
	c.Group, c.Stream = c.doc.group, c.doc.stream
	if err != nil {
		return nil, nil, nil, err
	}
	if control {
		return nil, ev, &LineError{Reason: ReasonControl, Detail: "a subscription CONTROL_MESSAGE event (CloudWatch Logs checking the destination), not a log record"}, nil
	}
	msg, lerr = messageOf(ev)
	return msg, ev, lerr, nil
}

// messageOf returns the "message" string of one event or wrapper object.
func messageOf(b []byte) ([]byte, *LineError) {
	if len(b) > MaxJSONLine {
		return nil, &LineError{Reason: ReasonTooLong, Detail: fmt.Sprintf("longer than the %d-byte limit", MaxJSONLine)}
	}
	if !utf8.Valid(b) {
		return nil, &LineError{Reason: ReasonBadUTF8, Detail: "not valid UTF-8 text"}
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil, &LineError{Reason: ReasonEmpty, Detail: "empty line"}
	}
	if !json.Valid(t) {
		return nil, &LineError{Reason: ReasonBadJSON, Detail: "not valid JSON (" + jsonSyntaxError(t) + ")"}
	}
	if t[0] != '{' {
		return nil, &LineError{Reason: ReasonNotObject, Detail: "valid JSON but not an object; expected {\"message\": \"...\"}"}
	}
	var ev struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(t, &ev); err != nil || ev.Message == nil {
		return nil, &LineError{Reason: ReasonNoMessage, Detail: "no \"message\" string in the event"}
	}
	return []byte(*ev.Message), nil
}

// docEvents walks JSON documents (concatenated or one per line) and returns
// the elements of their "events" or "logEvents" arrays one at a time. An
// export is streamed, so that one of any size is read in bounded memory. A
// subscription payload is read whole (CloudWatch Logs keeps them under
// 1 MB), because whether its events are data or control messages is said
// by its messageType, which may follow them.
type docEvents struct {
	dec           *json.Decoder
	whole         bool
	queue         []json.RawMessage
	inObject      bool
	inArray       bool
	control       bool
	group, stream string
}

// payload is a subscription filter payload.
type payload struct {
	MessageType string            `json:"messageType"`
	LogGroup    string            `json:"logGroup"`
	LogStream   string            `json:"logStream"`
	LogEvents   []json.RawMessage `json:"logEvents"`
}

func (d *docEvents) next() (json.RawMessage, bool, error) {
	if d.whole {
		for len(d.queue) == 0 {
			var p payload
			if err := d.dec.Decode(&p); err != nil {
				if err == io.EOF {
					return nil, false, io.EOF
				}
				return nil, false, d.syntax(err)
			}
			d.queue, d.control, d.group, d.stream = p.LogEvents, p.MessageType == "CONTROL_MESSAGE", p.LogGroup, p.LogStream
		}
		ev := d.queue[0]
		d.queue = d.queue[1:]
		return ev, d.control, nil
	}
	for {
		if d.inArray {
			if d.dec.More() {
				var raw json.RawMessage
				if err := d.dec.Decode(&raw); err != nil {
					return nil, false, d.syntax(err)
				}
				return raw, d.control, nil
			}
			if _, err := d.dec.Token(); err != nil { // ']'
				return nil, false, d.syntax(err)
			}
			d.inArray = false
			continue
		}
		if d.inObject {
			if !d.dec.More() {
				if _, err := d.dec.Token(); err != nil { // '}'
					return nil, false, d.syntax(err)
				}
				d.inObject, d.control = false, false
				continue
			}
			tok, err := d.dec.Token()
			if err != nil {
				return nil, false, d.syntax(err)
			}
			key, _ := tok.(string)
			switch key {
			case "events", "logEvents":
				tok, err := d.dec.Token()
				if err != nil {
					return nil, false, d.syntax(err)
				}
				switch tok {
				case json.Delim('['):
					d.inArray = true
				case nil: // "events": null
				default:
					return nil, false, fmt.Errorf("%q is not an array of events", key)
				}
			case "messageType", "logGroup", "logStream":
				var s string
				if err := d.dec.Decode(&s); err != nil {
					return nil, false, fmt.Errorf("%q is not a string: %w", key, err)
				}
				switch key {
				case "messageType":
					d.control = s == "CONTROL_MESSAGE"
				case "logGroup":
					d.group = s
				default:
					d.stream = s
				}
			default:
				var skip json.RawMessage
				if err := d.dec.Decode(&skip); err != nil {
					return nil, false, d.syntax(err)
				}
			}
			continue
		}
		tok, err := d.dec.Token()
		if err == io.EOF {
			return nil, false, io.EOF
		}
		if err != nil {
			return nil, false, d.syntax(err)
		}
		if tok != json.Delim('{') {
			return nil, false, fmt.Errorf("expected a JSON object at the top level, found %v", tok)
		}
		d.inObject = true
	}
}

// syntax makes a JSON decoding error say where it happened; an input that
// ends inside a document is reported as truncated.
func (d *docEvents) syntax(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return fmt.Errorf("the JSON document ends early (truncated?) near byte %d: %w", d.dec.InputOffset(), io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("JSON near byte %d: %w", d.dec.InputOffset(), err)
}

// GuessHeaderless recognises a headerless Transit Gateway flow log record
// in AWS's default TGW format (36 fields: version, resource-type,
// account-id, tgw-id, tgw-attachment-id, ...; reference §4): 36
// whitespace-separated fields whose fourth and fifth are a transit gateway
// id (tgw-...) and an attachment id (tgw-attach-...). Nothing else has that
// shape: a VPC record never holds tgw- ids in those places, and AWS's
// default VPC format has 14 fields. It is how CloudWatch Logs exports of TGW
// flow logs, which carry no header, are read without --log-format; a TGW
// log with a custom format still needs --log-format (or a header).
func GuessHeaderless(line []byte) (flow.Format, bool) {
	toks := strings.Fields(string(line))
	if len(toks) != 36 || !strings.HasPrefix(toks[3], "tgw-") || strings.HasPrefix(toks[3], "tgw-attach-") ||
		!strings.HasPrefix(toks[4], "tgw-attach-") {
		return flow.Format{}, false
	}
	return flow.TGWDefaultFormat(), true
}
