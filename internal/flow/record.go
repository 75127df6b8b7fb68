package flow

// Record is one decoded flow log line. It is filled in place by the decoder and
// reused from line to line, so that decoding allocates nothing per field: text
// values are slices of the input line and are valid only until the next line
// is read. Consumers that keep values must copy them.
type Record struct {
	// Present has bit i set when field i is in the record's format and its
	// value is not `-` (AWS's "not applicable"). A field that is absent or `-`
	// is NULL in the store.
	Present uint64
	// Num holds the value of integer fields (KindInt32, KindInt64).
	Num [NumFields]int64
	// Str holds the text of string, enum and IP fields.
	Str [NumFields][]byte
	// Extra holds the values of the fields the format names but flowir does
	// not know, in format order (nil for `-`).
	Extra [][]byte
	// ExtraNames are the names of those fields.
	ExtraNames []string
}

// Has reports whether field id is present and not `-`.
func (r *Record) Has(id FieldID) bool { return r.Present&(1<<id) != 0 }

// Reset clears the record for reuse.
func (r *Record) Reset() {
	r.Present = 0
	r.Extra = r.Extra[:0]
	r.ExtraNames = r.ExtraNames[:0]
}

// Status is the record's log-status (OK, NODATA, SKIPDATA), or "" when the
// format has no log-status field.
func (r *Record) Status() string {
	if !r.Has(LogStatus) {
		return ""
	}
	return string(r.Str[LogStatus])
}
