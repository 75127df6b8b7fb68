// Package report turns a case into a document a responder can hand over:
// one self-contained HTML file (html/template, inline CSS and SVG, no
// network request) and its Markdown twin. It reads the case through the
// store and the analysis packages (the named-query catalog, the stored
// findings, the IOC summaries, the inventory's exposure), and keeps every
// query that produced a number, so a reader can rerun it.
//
// The same model (tables, charts) is what `flowir serve` shows.
package report

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/store"
)

// Report is everything one report shows, in print order.
type Report struct {
	Title       string
	Case        string
	Since       time.Time // zero: open
	Until       time.Time // zero: open
	First, Last time.Time // the earliest start and latest end of the records in the window
	Records     int64     // records in the window
	GeneratedAt time.Time
	Version     string
	Command     string

	Custody  Custody
	Traffic  []*Chart // bytes and records over time, accepted and rejected
	Tables   []*Table // top talkers, pairs, ports, internal vs external
	Findings []Finding
	// FindingsNote says how the findings were chosen (window, none stored).
	FindingsNote string
	IOCHits      *Table
	IOCNote      string
	Exposure     *Table
	ExposureNote string
	Queries      []Query
}

// Custody is the chain of custody: what the case was built from.
type Custody struct {
	Sources, Complete, Partial, Failed, Superseded int64
	Bytes                                          int64
	Lines, Records, Rejects, Headers, OutOfWindow  int64
	RejectsNotKept                                 int64
	RejectReasons                                  *Table // rejected lines by reason
	Problems                                       *Table // partial and failed sources
	Gaps                                           *Table // hours without records per account and interface
	GapsNote                                       string
	SourceList                                     *Table // every source with its SHA-256 (appendix)
}

// Table is a titled table of text cells, with the query that made it.
type Table struct {
	ID      string // anchor and file name: top-talkers
	Title   string
	Note    string
	Columns []string
	Numeric []bool // right-aligned columns
	Rows    [][]string
	Query   string // the Queries entry (Query.ID) that produced it
	// Result is the query result the rows come from, when one did: exports
	// (CSV, JSON) write its values in their exact types.
	Result *store.Result
	// Links makes each cell holding an IP address a link to its
	// investigation (/ip/ADDR) in flowir serve; never in a report file.
	Links bool
}

// Finding is one stored finding as the report shows it.
type Finding struct {
	ID, Rule, Severity, Technique string
	Actor, Target, Port, Protocol string
	Direction                     string
	FirstSeen, LastSeen           time.Time
	Records                       int64
	Bytes                         *big.Int // exact at any size
	Summary                       string
	EvidenceSQL                   string
	Suppressed                    string
	Timeline                      *Chart // records of its evidence over time; nil when not drawn
}

// Query is one query of the appendix: its SQL and bound parameters, or the
// flowir command that prints the same numbers.
type Query struct {
	ID      string
	Purpose string
	SQL     string
	Args    []string
	Command string
}

// Cell renders one value as the report shows it: times in RFC 3339 UTC,
// exact integers, lists joined with ", ".
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int:
		return strconv.Itoa(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	case *big.Int:
		if x == nil {
			return ""
		}
		return x.String()
	case big.Int:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.UTC().Format(time.RFC3339)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Cell(e)
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	}
	return fmt.Sprint(v)
}

// number converts a count or a sum as the driver returns it to a float, for
// drawing (the tables keep the exact value).
func number(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case *big.Int:
		if x == nil {
			return 0
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	}
	return 0
}

// numericType reports whether a DuckDB column type is a number.
func numericType(t string) bool {
	t = strings.ToUpper(t)
	for _, p := range []string{"BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT", "DECIMAL"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}
