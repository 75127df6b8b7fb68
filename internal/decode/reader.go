package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/flowir/flowir/internal/flow"
)

// ItemKind tells what a line turned out to be.
type ItemKind uint8

const (
	// ItemRecord is a decoded flow log record.
	ItemRecord ItemKind = iota
	// ItemReject is a line that is not a valid record; Err says why.
	ItemReject
	// ItemHeader is a header line; it sets the format of the lines after it.
	ItemHeader
)

// Item is one line read by a TextReader. Its slices are valid until the next
// call to Next.
type Item struct {
	Kind   ItemKind
	Line   int64        // 1-based line number in the (decompressed) stream
	Record *flow.Record // for ItemRecord
	Format *flow.Format // format of the record or header
	TGW    bool         // the format is a Transit Gateway flow log format
	Mask   uint64       // the known fields of the format (flow.Format.Mask)
	Err    *LineError   // for ItemReject
	Raw    []byte       // the line as read (possibly truncated for rejects)
}

// RawLimit is how much of a rejected line is kept as evidence.
const RawLimit = 4096

// TextReader reads a flow log text stream line by line: it recognises header
// lines (at the top or repeated inside the stream), decodes records with the
// current format, and turns every other line into a reject. Every line read is
// exactly one Item, so lines = records + rejects + headers always holds.
type TextReader struct {
	br      *bufio.Reader
	dec     *TextDecoder
	format  flow.Format
	tgw     bool
	mask    uint64
	rec     flow.Record
	line    int64
	long    []byte
	hdr     headerNote
	Lines   int64
	Records int64
	Rejects int64
	Headers int64
	err     error
}

// NewTextReader reads r, decoding records with format until a header line
// says otherwise. format is the `--log-format` given by the user or AWS's
// default; a header line in the stream always wins, since it is what the
// writer recorded.
func NewTextReader(r io.Reader, format flow.Format) *TextReader {
	return &TextReader{
		br:     bufio.NewReaderSize(r, MaxLineBytes+2),
		dec:    NewTextDecoder(format),
		format: format,
		tgw:    format.IsTGW(),
		mask:   format.Mask(),
	}
}

// Format returns the current format.
func (t *TextReader) Format() flow.Format { return t.format }

// Next returns the next line's item. At the end of the stream it returns
// io.EOF; a read error (a truncated or corrupt gzip stream, say) is returned
// as is, after every complete line before it has been returned.
func (t *TextReader) Next() (Item, error) {
	if t.err != nil {
		return Item{}, t.err
	}
	line, err := t.readLine()
	if err != nil {
		t.err = err
		return Item{}, err
	}
	if t.line == 0 {
		// Some editors add a UTF-8 byte order mark to files users then hand over.
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	// A complete line is at most MaxLineBytes+1 bytes here (readLine returns
	// longer ones as MaxLineBytes+2 bytes), so a line of MaxLineBytes bytes
	// plus its CR is not mistaken for a long one, as Decode would not either.
	if n := len(line); n > 0 && n <= MaxLineBytes+1 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	t.line++
	t.Lines++
	it := Item{Line: t.line, Raw: line}
	if len(line) > MaxLineBytes {
		t.Rejects++
		it.Kind = ItemReject
		it.Err = tooLong(line, "line")
		it.Raw = line[:RawLimit]
		it.Format = &t.format
		it.TGW, it.Mask = t.tgw, t.mask
		return it, nil
	}
	if flow.LooksLikeHeader(line) {
		if f, ok := flow.HeaderFormat(line); ok {
			t.Headers++
			t.hdr = headerNote{}
			if !f.Equal(t.format) {
				t.format = f
				t.tgw, t.mask = f.IsTGW(), f.Mask()
				t.dec = NewTextDecoder(f)
			}
			it.Kind = ItemHeader
			it.Format = &t.format
			it.TGW, it.Mask = t.tgw, t.mask
			return it, nil
		}
	}
	it.Format = &t.format
	it.TGW, it.Mask = t.tgw, t.mask
	if err := t.dec.Decode(line, &t.rec); err != nil {
		t.Rejects++
		it.Kind = ItemReject
		it.Err = t.hdr.check(line, t.line, err.(*LineError))
		if len(it.Raw) > RawLimit {
			it.Raw = it.Raw[:RawLimit]
		}
		return it, nil
	}
	t.Records++
	it.Kind = ItemRecord
	it.Record = &t.rec
	return it, nil
}

// tooLong is the reject of a line (or message) longer than MaxLineBytes, of
// which line holds the start: a NUL byte there makes it a nul-byte reject,
// as NUL bytes make every line one.
func tooLong(line []byte, what string) *LineError {
	if k := bytes.IndexByte(line, 0); k >= 0 {
		return &LineError{Reason: ReasonNUL, Detail: fmt.Sprintf("the %s holds a NUL byte at byte %d (and is longer than the %d-byte limit); no flow log line does (a damaged or binary file?)", what, k+1, MaxLineBytes)}
	}
	return &LineError{Reason: ReasonTooLong, Detail: fmt.Sprintf("%s is longer than the %d-byte limit; this is not a flow log record", what, MaxLineBytes)}
}

// readLine returns the next line without its newline. A line longer than
// MaxLineBytes+1 bytes (room for a line of MaxLineBytes and its CR) is
// returned as its first MaxLineBytes+2 bytes, the rest being skipped. The last
// line may lack a newline.
func (t *TextReader) readLine() ([]byte, error) {
	line, err := t.br.ReadSlice('\n')
	switch {
	case err == nil:
		return line[:len(line)-1], nil
	case errors.Is(err, bufio.ErrBufferFull):
		t.long = append(t.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = t.br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return t.long, nil
	case err == io.EOF:
		if len(line) == 0 {
			return nil, io.EOF
		}
		return line, nil
	default:
		// A read error mid-line: the partial line is not a complete record
		// and is not counted; the caller reports the file as partial.
		return nil, err
	}
}

// headerNote remembers the last line that had the shape of a header but was
// not one (issue 17.10: a header naming a field twice, or mostly names of
// no field, was not recognised, and every line after it was rejected for
// its field count without a word about the header).
type headerNote struct {
	line int64
	why  string
}

// check is given the reject of line n. A line shaped like a header becomes
// a bad-header reject that says why it was not recognised; the field-count
// rejects after it say that the header before them was not recognised.
func (h *headerNote) check(line []byte, n int64, e *LineError) *LineError {
	if flow.LooksLikeHeader(line) {
		if why := flow.HeaderProblem(line); why != "" {
			h.line, h.why = n, why
			return &LineError{Reason: ReasonBadHeader, Detail: "the line looks like a header line but was not recognised as one: " + why +
				"; the lines after it are read with the format before it (fix the header, or give the format with --log-format)"}
		}
	}
	if h.line > 0 && e.Reason == ReasonFieldCount {
		e.Detail += fmt.Sprintf("; the header line %d was not recognised (%s)", h.line, h.why)
	}
	return e
}
