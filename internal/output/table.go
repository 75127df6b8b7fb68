package output

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// colSep separates table columns.
	colSep = "  "
	// minTruncWidth is the narrowest a text column is shortened to when the
	// table is fitted to the terminal: four characters and "…" still hint at
	// the value; narrower columns would be noise.
	minTruncWidth = 5
	// ellipsis marks a shortened cell.
	ellipsis = "…"
)

// cell is one rendered table cell with its display width.
type cell struct {
	s string
	w int
}

// tableBlock is how many rows the table holds before it prints them: the
// widths of a table depend on every row, but holding a million rendered rows
// takes gigabytes, so a long table is laid out in blocks (see tableState).
const tableBlock = 10000

// tableState buffers the rendered cells of a table, because the width of a
// column depends on its rows. It holds at most tableBlock rows: a longer
// table is printed block by block, each block with the widest widths seen so
// far; when a block needs wider columns than the one before, the header is
// printed again above it, so every block is aligned under its header.
type tableState struct {
	cols  []colInfo
	out   *bufio.Writer
	opts  Options
	rows  [][]cell
	buf   []byte
	num   []bool // every non-nil value so far is a number
	fixed []bool // every non-nil value so far is a time or a bool
	seen  []bool // the column has a non-nil value

	widths  []int // the widest cell so far, per column
	printed []int // the widths the last block was printed with; nil before the first
	line    []byte
}

func newTableState(cols []colInfo, out io.Writer, opts Options) *tableState {
	n := len(cols)
	t := &tableState{cols: cols, out: bufio.NewWriterSize(out, 64<<10), opts: opts,
		num: make([]bool, n), fixed: make([]bool, n), seen: make([]bool, n), widths: make([]int, n)}
	for i := range n {
		t.num[i], t.fixed[i] = true, true
	}
	return t
}

func (t *tableState) add(row []any) error {
	cells := make([]cell, len(row))
	for i, v := range row {
		if v != nil {
			t.seen[i] = true
			switch valueClass(v) {
			case classNumber:
				t.fixed[i] = false
			case classFixed:
				t.num[i] = false
			default:
				t.num[i], t.fixed[i] = false, false
			}
		}
		if t.opts.Terminal && t.cols[i].kind == KindBytes {
			if s, ok := readableBytes(v); ok {
				cells[i] = cell{s, displayWidth(s)}
				continue
			}
		}
		b, err := appendText(t.buf[:0], v, &t.cols[i])
		if err != nil {
			return err
		}
		t.buf = b
		s := sanitize(string(b))
		cells[i] = cell{s, displayWidth(s)}
	}
	t.rows = append(t.rows, cells)
	if len(t.rows) >= tableBlock {
		return t.printBlock()
	}
	return nil
}

// class decides how column i is laid out: by its type when the type says,
// otherwise by the values it holds.
func (t *tableState) class(i int) colClass {
	if c := t.cols[i].class; c != classUnknown {
		return c
	}
	switch {
	case !t.seen[i]:
		return classText
	case t.num[i]:
		return classNumber
	case t.fixed[i]:
		return classFixed
	}
	return classText
}

// render prints what is left of the table (the header alone if it has no
// rows) and flushes it.
func (t *tableState) render() error {
	if len(t.cols) == 0 {
		return nil
	}
	if len(t.rows) > 0 || t.printed == nil {
		if err := t.printBlock(); err != nil {
			return err
		}
	}
	return t.out.Flush()
}

// printBlock prints the buffered rows, with the header first if this is the
// first block or the columns have grown since the last one.
func (t *tableState) printBlock() error {
	n := len(t.cols)
	header := make([]cell, n)
	right := make([]bool, n)
	shrink := make([]bool, n)
	for i, c := range t.cols {
		cl := t.class(i)
		right[i] = cl == classNumber
		shrink[i] = cl == classText
		s := sanitize(c.name)
		header[i] = cell{s, displayWidth(s)}
		if !t.opts.NoHeader {
			t.widths[i] = max(t.widths[i], header[i].w)
		}
	}
	for _, row := range t.rows {
		for i, c := range row {
			t.widths[i] = max(t.widths[i], c.w)
		}
	}
	if t.opts.Width > 0 && minTableWidth(t.widths, shrink) > t.opts.Width {
		return t.printRecords(header)
	}
	widths := fitWidths(append([]int(nil), t.widths...), shrink, t.opts.Width)
	writeLine := func(cells []cell) error {
		line := t.line[:0]
		for i, c := range cells {
			if i > 0 {
				line = append(line, colSep...)
			}
			s, w := c.s, c.w
			if w > widths[i] {
				s = truncate(s, widths[i])
				w = displayWidth(s)
			}
			pad := widths[i] - w
			if right[i] {
				line = appendSpaces(line, pad)
				line = append(line, s...)
			} else {
				line = append(line, s...)
				line = appendSpaces(line, pad)
			}
		}
		// Padding after the last value is noise for a terminal and for
		// anyone diffing the output.
		for len(line) > 0 && line[len(line)-1] == ' ' {
			line = line[:len(line)-1]
		}
		line = append(line, '\n')
		t.line = line
		_, err := t.out.Write(line)
		return err
	}
	if !t.opts.NoHeader && !slices.Equal(widths, t.printed) {
		if t.printed != nil {
			if _, err := t.out.WriteString("\n"); err != nil {
				return err
			}
		}
		if err := writeLine(header); err != nil {
			return err
		}
	}
	t.printed = widths
	for _, row := range t.rows {
		if err := writeLine(row); err != nil {
			return err
		}
	}
	t.rows = t.rows[:0]
	return nil
}

// minTableWidth is the narrowest the table can be printed: every column
// that may not be shortened at its full width, the others at the width
// fitWidths shortens them to at most.
func minTableWidth(widths []int, shrink []bool) int {
	total := len(colSep) * (len(widths) - 1)
	for i, w := range widths {
		if shrink[i] {
			w = min(w, minTruncWidth)
		}
		total += w
	}
	return total
}

// printRecords prints the buffered rows as a record view, for a table whose
// addresses, ids, numbers and times alone are wider than the terminal: one
// block per row, one "field: value" line per column, values whole, blocks
// separated by an empty line. A row wider than the screen would wrap into
// an unreadable staircase; a record reads the same at any width.
func (t *tableState) printRecords(header []cell) error {
	nameW := 0
	for _, h := range header {
		nameW = max(nameW, h.w)
	}
	for _, row := range t.rows {
		line := t.line[:0]
		if t.printed != nil {
			line = append(line, '\n')
		}
		for i, c := range row {
			line = append(line, header[i].s...)
			line = append(line, ':')
			if c.s != "" {
				line = appendSpaces(line, nameW-header[i].w+1)
				line = append(line, c.s...)
			}
			line = append(line, '\n')
		}
		t.line = line
		if _, err := t.out.Write(line); err != nil {
			return err
		}
		t.printed = []int{} // not nil: something was printed
	}
	t.rows = t.rows[:0]
	return nil
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// fitWidths shortens the text columns (shrink[i]) so that the table fits in
// limit display columns, when limit is positive. Numbers, times and other
// fixed-width columns keep their width: a truncated number is a wrong number.
// The widest text columns give way first: all of them are capped at the same
// width, the largest cap that fits, and the cells left over go to the
// leftmost capped columns. No column is shortened below minTruncWidth; if the
// table still does not fit, it overflows and the terminal wraps it.
func fitWidths(widths []int, shrink []bool, limit int) []int {
	n := len(widths)
	if limit <= 0 || n == 0 {
		return widths
	}
	sep := len(colSep) * (n - 1)
	floor := func(i int) int { return min(widths[i], minTruncWidth) }
	widthAt := func(c int) int {
		total := sep
		for i, w := range widths {
			if shrink[i] {
				w = max(floor(i), min(w, c))
			}
			total += w
		}
		return total
	}
	maxW := 0
	for i, w := range widths {
		if shrink[i] {
			maxW = max(maxW, w)
		}
	}
	if widthAt(maxW) <= limit {
		return widths
	}
	// Largest cap c with widthAt(c) <= limit; widthAt grows with c.
	lo, hi := 0, maxW
	if widthAt(lo) > limit {
		hi = lo
	} else {
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if widthAt(mid) <= limit {
				lo = mid
			} else {
				hi = mid
			}
		}
	}
	c := lo
	out := make([]int, n)
	spare := limit - widthAt(c)
	for i, w := range widths {
		out[i] = w
		if shrink[i] {
			out[i] = max(floor(i), min(w, c))
			if spare > 0 && out[i] == c && w > c {
				out[i]++
				spare--
			}
		}
	}
	return out
}

// truncate shortens s to at most w display columns, ending it with "…".
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	limit := w - 1 // room for the ellipsis
	used := 0
	for i, r := range s {
		rw := runeWidth(r)
		if used+rw > limit {
			return s[:i] + ellipsis
		}
		used += rw
	}
	return s
}

// displayWidth is the number of terminal columns s occupies.
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// Slow path only for non-ASCII text.
			for _, r := range s[i:] {
				w += runeWidth(r)
			}
			return w
		}
		w++
	}
	return w
}

// runeWidth approximates the terminal width of a rune without a Unicode
// width table dependency: combining marks and zero-width format characters
// take no room, East Asian wide and fullwidth characters and most emoji take
// two columns, everything else one. Good enough to keep CJK tags, emoji and
// accented names from breaking the alignment.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r),
		r == 0x200B, r == 0x200C, r == 0x200D, r == 0x2060, r == 0xFEFF:
		return 0
	case r >= 0x1100 && r <= 0x115F, // Hangul Jamo initials
		r >= 0x231A && r <= 0x231B, r >= 0x23E9 && r <= 0x23EC, // watch, hourglass, media
		r >= 0x2E80 && r <= 0x303E, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF, // kana, CJK compatibility
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF, // Yi
		r >= 0xAC00 && r <= 0xD7A3, // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF, // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, // fullwidth forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F, // pictographs, emoticons
		r >= 0x1F680 && r <= 0x1F6FF, // transport and map symbols
		r >= 0x1F900 && r <= 0x1F9FF, // supplemental pictographs
		r >= 0x1FA70 && r <= 0x1FAFF,
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions B and later
		return 2
	}
	return 1
}

// isDisplayControl reports whether r, beyond ASCII, changes what a
// terminal shows rather than being shown: the C1 controls (U+009B is CSI,
// the start of an escape sequence) and the bidirectional marks, embeddings,
// overrides and isolates that reorder the text around them.
func isDisplayControl(r rune) bool {
	return r >= 0x80 && r < 0xa0 ||
		r == 0x061C || r == 0x200E || r == 0x200F ||
		r >= 0x202A && r <= 0x202E ||
		r >= 0x2066 && r <= 0x2069
}

// TerminalSafe returns s with everything a terminal would act on instead of
// showing escaped as sanitize does, except line feeds: for messages of
// several lines that quote untrusted text (a file name, a value).
func TerminalSafe(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, "\n")
}

// sanitize makes s safe to print on a terminal, one line per row: control
// characters (a newline, an escape sequence that would move the cursor or
// recolour the screen) and the bidirectional overrides that reorder what is
// shown are replaced by visible escapes such as \n, \x1b and \u202e. Flow
// log fields, tags and IOC comments are attacker-influenced; the table must
// show them, not obey them. Invalid UTF-8 bytes are shown as \xNN.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			c := s[i]
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case isDisplayControl(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
