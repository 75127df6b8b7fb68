package output

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonKeys returns the encoded `"name":` prefix of every column. Duplicate
// column names (SELECT a, a) would give an object with duplicate keys, which
// most JSON decoders resolve by silently keeping one value; so the second and
// later occurrences get a suffix: a, a_2, a_3 (skipping names that are taken).
func jsonKeys(columns []Column) [][]byte {
	taken := make(map[string]bool, len(columns))
	for _, c := range columns {
		taken[c.Name] = true
	}
	seen := make(map[string]bool, len(columns))
	keys := make([][]byte, len(columns))
	for i, c := range columns {
		name := c.Name
		if seen[name] {
			for n := 2; ; n++ {
				alt := name + "_" + strconv.Itoa(n)
				if !taken[alt] {
					name = alt
					taken[alt] = true
					break
				}
			}
		}
		seen[name] = true
		k := appendJSONString(nil, name)
		keys[i] = append(k, ':')
	}
	return keys
}

// appendJSON appends v as a JSON value. The object keys of the row are
// written by the caller in column order; this handles one value, recursing
// into lists and structs.
func appendJSON(b []byte, v any, c *colInfo, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errors.New("value nested too deeply")
	}
	if nb, ok := appendInteger(b, v); ok {
		return nb, nil
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case []byte:
		if c.uuid && len(x) == 16 {
			b = append(b, '"')
			b = appendUUID(b, x)
			return append(b, '"'), nil
		}
		if utf8.Valid(x) {
			return appendJSONString(b, string(x)), nil
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"'), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float32:
		return appendJSONFloat(b, float64(x), 32), nil
	case float64:
		return appendJSONFloat(b, x, 64), nil
	case time.Time:
		b = append(b, '"')
		b = appendTime(b, x, c.time)
		return append(b, '"'), nil
	case *big.Int:
		if x == nil {
			return append(b, "null"...), nil
		}
		return x.Append(b, 10), nil
	case big.Int:
		return x.Append(b, 10), nil
	case json.Number:
		if isJSONNumber(string(x)) {
			return append(b, x...), nil
		}
		return appendJSONString(b, string(x)), nil
	case []any:
		return appendJSONList(b, x, depth)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), nil
	case map[string]any:
		return appendJSONStruct(b, x, depth)
	case map[any]any:
		return appendJSONMap(b, x, depth)
	case Numeric:
		// The decimal's own text is exact; Float64 is the fallback.
		if s, ok := callString(x); ok && isJSONNumber(s) {
			return append(b, s...), nil
		}
		if f, ok := callFloat64(x); ok {
			return appendJSONFloat(b, f, 64), nil
		}
		return appendJSONString(b, fmt.Sprint(x)), nil
	case json.Marshaler:
		return appendEncoded(b, x)
	case fmt.Stringer:
		if s, ok := callString(x); ok {
			return appendJSONString(b, s), nil
		}
	}
	if encodable(v) {
		return appendEncoded(b, v)
	}
	return appendJSONString(b, fmt.Sprint(v)), nil
}

// encodable reports whether v is a map, slice, array or struct of a type
// this package does not list (a command's own, such as a finding's
// details): it is printed as encoding/json encodes it, not as Go's %v text.
func encodable(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		return true
	}
	return false
}

// appendJSONFloat appends a float, or null for NaN and the infinities, which
// JSON cannot represent.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return appendFloat(b, f, bits)
}

func appendJSONList(b []byte, list []any, depth int) ([]byte, error) {
	b = append(b, '[')
	for i, e := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSON(b, e, &colInfo{}, depth+1); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendJSONStruct writes a STRUCT. The driver hands it over as a Go map, so
// the field order of the SQL type is already lost; keys are sorted so that the
// output is at least deterministic.
func appendJSONStruct(b []byte, m map[string]any, depth int) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, m[k], &colInfo{}, depth+1); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONMap writes a MAP as an object whose keys are the text form of the
// map keys, sorted.
func appendJSONMap(b []byte, m map[any]any, depth int) ([]byte, error) {
	type entry struct {
		key string
		val any
	}
	entries := make([]entry, 0, len(m))
	for k, v := range m {
		kb, err := appendText(nil, k, &colInfo{})
		if err != nil {
			return b, err
		}
		entries = append(entries, entry{string(kb), v})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, e.key)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, e.val, &colInfo{}, depth+1); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendEncoded appends v as encoding/json encodes it (through its own
// MarshalJSON if it has one), compacted so that an NDJSON line stays one
// line, and with '<', '>' and '&' left alone as in appendJSONString.
func appendEncoded(b []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, fmt.Errorf("encode %T as JSON: %w", v, err)
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// appendJSONString appends s as a JSON string. Quotes, backslashes and
// control characters (DEL included) are escaped; so are U+2028 and U+2029,
// which are valid JSON but end a line in JavaScript, and the C1 controls and
// bidirectional overrides (isDisplayControl), which are valid JSON but act
// on a terminal: JSON shown on a screen cannot rewrite it, and every reader
// decodes the escapes to the same string. Invalid UTF-8 becomes U+FFFD, as it
// must for the output to be JSON at all. '<', '>' and '&' are left alone:
// this output is not embedded in HTML.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' || isDisplayControl(r) {
			// Line separators break JavaScript; C1 controls and bidi
			// overrides would act on a terminal. The escape is the same
			// string to every JSON reader.
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
