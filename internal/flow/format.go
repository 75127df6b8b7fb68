package flow

import (
	"fmt"
	"slices"
	"strings"
)

// Column is one position of a record format.
type Column struct {
	Name  string  // the name as written in the header or format string, hyphenated
	ID    FieldID // meaningful only when Known
	Known bool    // false for a field flowir does not know (kept as text)
}

// Format is the ordered list of fields a flow log writes on each line. It comes
// from the header line of an S3 text file, from a `--log-format` string, or is
// the default (version 2) format.
type Format struct {
	Cols []Column
}

// defaultFormat is AWS's default format; it cannot be changed by users.
const defaultFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// DefaultFormat returns AWS's default VPC flow log format (version 2).
func DefaultFormat() Format {
	f, err := ParseFormat(defaultFormat)
	if err != nil {
		panic(err)
	}
	return f
}

// TGWDefaultFormat returns the Transit Gateway flow log default format: every
// version 2 to 6 field in the documented order.
func TGWDefaultFormat() Format {
	cols := make([]Column, len(tgwDefault))
	for i, id := range tgwDefault {
		cols[i] = Column{Name: fields[id].Name, ID: id, Known: true}
	}
	return Format{Cols: cols}
}

// AllVPCFormat returns every known VPC flow log field in flowir's recommended
// order (the `flows` table order, which is also AWS's "all fields" order).
func AllVPCFormat() Format {
	cols := make([]Column, NumVPCFields)
	for i := 0; i < NumVPCFields; i++ {
		cols[i] = Column{Name: fields[i].Name, ID: FieldID(i), Known: true}
	}
	return Format{Cols: cols}
}

// ParseFormat reads a format as AWS writes it in `--log-format`
// ("${version} ${account-id} ...") or as a plain space-separated list of field
// names ("version account-id ..."). Unknown field names are accepted and kept;
// underscore names are read as their hyphenated equivalents. A repeated field
// or an empty format is an error.
func ParseFormat(s string) (Format, error) {
	toks := strings.Fields(s)
	if len(toks) == 0 {
		return Format{}, fmt.Errorf("empty log format: give fields as '${version} ${account-id} ...'")
	}
	var f Format
	seen := map[string]bool{}
	for i, t := range toks {
		name := t
		if strings.HasPrefix(name, "${") || strings.HasSuffix(name, "}") {
			if !strings.HasPrefix(name, "${") || !strings.HasSuffix(name, "}") || len(name) < 4 {
				return Format{}, fmt.Errorf("log format field %d %q: expected ${field-name}", i+1, t)
			}
			name = name[2 : len(name)-1]
		}
		if !validName(name) {
			return Format{}, fmt.Errorf("log format field %d %q: a field name is lower-case letters, digits and hyphens (for example ${log-status})", i+1, t)
		}
		c := Column{Name: strings.ReplaceAll(strings.ToLower(name), "_", "-")}
		if id, ok := Lookup(c.Name); ok {
			c.ID, c.Known = id, true
		}
		if seen[c.Name] {
			return Format{}, fmt.Errorf("log format field %d %q: %s appears twice", i+1, t, c.Name)
		}
		seen[c.Name] = true
		f.Cols = append(f.Cols, c)
	}
	return f, nil
}

// validName reports whether s has the shape of a flow log field name.
func validName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// HeaderFormat reports whether line is a header line (the first line of an S3
// text file, which names the fields in format order) and returns its format.
//
// A line is a header when every token has the shape of a field name and more
// than half of them are known field names (or Untyped ones). Data tokens
// never qualify: numbers, addresses, `-` and upper-case values are not
// name-shaped, and resource ids
// such as `vpc-0abc` are name-shaped but not known names.
func HeaderFormat(line []byte) (Format, bool) {
	toks := strings.Fields(string(line))
	if len(toks) == 0 {
		return Format{}, false
	}
	known := 0
	for _, t := range toks {
		t = strings.TrimSuffix(strings.TrimPrefix(t, "${"), "}")
		if !validName(t) {
			return Format{}, false
		}
		if _, ok := Lookup(t); ok || isUntyped(t) {
			known++
		}
	}
	if known*2 <= len(toks) {
		return Format{}, false
	}
	f, err := ParseFormat(strings.Join(toks, " "))
	if err != nil {
		return Format{}, false
	}
	return f, true
}

// HeaderProblem says why line, which has the shape of a header line (every
// token a field name, at least one of them a field flowir knows), is not a
// header HeaderFormat accepts: a field named twice, or more names flowir
// does not know than names it knows. It returns "" for a line of another
// shape, and for a header HeaderFormat accepts. Readers use it to say that
// a header was not recognised, and why, instead of rejecting every line
// after it for its field count.
func HeaderProblem(line []byte) string {
	toks := strings.Fields(string(line))
	var unknown []string
	known, dup := 0, ""
	seen := map[string]bool{}
	for _, t := range toks {
		t = strings.TrimSuffix(strings.TrimPrefix(t, "${"), "}")
		if !validName(t) {
			return ""
		}
		n := strings.ReplaceAll(strings.ToLower(t), "_", "-")
		if seen[n] && dup == "" {
			dup = n
		}
		seen[n] = true
		if _, ok := Lookup(n); ok || isUntyped(n) {
			known++
		} else {
			unknown = append(unknown, n)
		}
	}
	switch {
	case known == 0:
		return ""
	case dup != "":
		return fmt.Sprintf("the field %s is named twice", dup)
	case known*2 <= len(toks):
		return fmt.Sprintf("only %d of its %d names are flow log fields (not: %s)", known, len(toks), describeUnknown(unknown, false))
	}
	return ""
}

// describeUnknown lists unknown field names for a message, each with the
// known field it probably means, if any; dollar writes them as a format
// string does (${name}).
func describeUnknown(names []string, dollar bool) string {
	quote := func(n string) string {
		if dollar {
			return "${" + n + "}"
		}
		return n
	}
	var b strings.Builder
	for i, n := range names {
		if i == 8 {
			fmt.Fprintf(&b, ", ... %d more", len(names)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(n))
		if s := Suggest(n); s != "" {
			fmt.Fprintf(&b, " (%s?)", quote(s))
		}
	}
	return b.String()
}

// Suggest returns the known field an unknown field name probably means:
// the same name without its hyphens or underscores (src_addr, srcAddr:
// srcaddr), or the one known field whose name starts with it (interface:
// interface-id). It returns "" when there is no such field.
func Suggest(name string) string {
	squash := func(s string) string { return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s)) }
	n := squash(name)
	var prefixed []string
	for _, f := range fields {
		if squash(f.Name) == n {
			return f.Name
		}
		if strings.HasPrefix(f.Name, strings.ToLower(name)+"-") {
			prefixed = append(prefixed, f.Name)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// Untyped lists the fields AWS writes that flowir does not type yet
// (flowlogs-reference.md §1.4: their versions and value sets are not
// documented): a header or --log-format naming them is read, and their
// values are kept as text with the record's other unknown fields.
var Untyped = []string{"resource-id", "encryption-status"}

// isUntyped reports whether name (as written in a header: hyphens or
// underscores, any case) is one of the Untyped fields.
func isUntyped(name string) bool {
	return slices.Contains(Untyped, strings.ReplaceAll(strings.ToLower(name), "_", "-"))
}

// Undocumented returns the fields of f that are neither fields flowir
// knows nor Untyped ones: in a format the user typed, almost always a
// misspelling.
func (f Format) Undocumented() []string {
	var out []string
	for _, c := range f.Cols {
		if !c.Known && !slices.Contains(Untyped, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// DescribeFields lists unknown field names for a message as a format
// string writes them (${name}), each with the known field it probably
// means, if any.
func DescribeFields(names []string) string { return describeUnknown(names, true) }

// LooksLikeHeader is a cheap pre-check for HeaderFormat on the hot path: a
// header starts with a letter (data lines start with a digit, `-` or, for odd
// custom formats, a resource id) — callers still confirm with HeaderFormat.
func LooksLikeHeader(line []byte) bool {
	for _, c := range line {
		if c == ' ' || c == '\t' {
			continue
		}
		return c >= 'a' && c <= 'z' || c == '$'
	}
	return false
}

// Has reports whether the format includes a known field.
func (f Format) Has(id FieldID) bool {
	for _, c := range f.Cols {
		if c.Known && c.ID == id {
			return true
		}
	}
	return false
}

// Mask returns the set of known fields the format has, as a bit set indexed
// by FieldID (the same layout as Record.Present).
func (f Format) Mask() uint64 {
	var m uint64
	for _, c := range f.Cols {
		if c.Known {
			m |= 1 << c.ID
		}
	}
	return m
}

// IsTGW reports whether the format is a Transit Gateway flow log format: it
// has at least one field that only Transit Gateway flow logs write.
func (f Format) IsTGW() bool {
	for _, c := range f.Cols {
		if c.Known && !fields[c.ID].VPC {
			return true
		}
	}
	return false
}

// Unknown returns the names of the fields flowir does not know, in order.
func (f Format) Unknown() []string {
	var out []string
	for _, c := range f.Cols {
		if !c.Known {
			out = append(out, c.Name)
		}
	}
	return out
}

// String renders the format as AWS's `--log-format` string.
func (f Format) String() string {
	var b strings.Builder
	for i, c := range f.Cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(c.Name)
		b.WriteByte('}')
	}
	return b.String()
}

// Header renders the format as the header line AWS writes in S3 text files.
func (f Format) Header() string {
	names := make([]string, len(f.Cols))
	for i, c := range f.Cols {
		names[i] = c.Name
	}
	return strings.Join(names, " ")
}

// Equal reports whether two formats list the same fields in the same order.
func (f Format) Equal(g Format) bool {
	if len(f.Cols) != len(g.Cols) {
		return false
	}
	for i := range f.Cols {
		if f.Cols[i].Name != g.Cols[i].Name {
			return false
		}
	}
	return true
}

// MaxVersion returns the highest flow log version among the format's known
// fields; AWS writes that number in the `version` field.
func (f Format) MaxVersion() int {
	v := 0
	for _, c := range f.Cols {
		if c.Known && fields[c.ID].Version > v {
			v = fields[c.ID].Version
		}
	}
	return v
}
