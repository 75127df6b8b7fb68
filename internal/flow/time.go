package flow

import (
	"strconv"
	"time"
)

// SafeTime is a time whose JSON form cannot fail. Go's time.Time.MarshalJSON
// refuses years outside 0..9999, and a start or end written in milliseconds
// (which ingest stores as written, issue 12.7) is read as a year up to
// 131971: every output that carries a time taken from the records uses
// SafeTime, so that no stored value can make a JSON output fail. A year past
// 9999 is written in the same RFC 3339 layout with its longer year.
type SafeTime struct{ time.Time }

// MarshalJSON writes RFC 3339 (UTC), whatever the year.
func (t SafeTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, t.UTC().Format(time.RFC3339Nano)), nil
}
