package store

import (
	"fmt"
	"math/big"
)

// Sums of flow counters are exact at any size. Each bytes or packets value
// is at most flow.MaxCounter (2^53-1), so the sum of 1,024 records of the
// largest passes int64's range: DuckDB sums a BIGINT column as a HUGEINT
// (128 bits), which the Go driver returns as *big.Int, and flowir keeps it
// so, never casting a sum to BIGINT nor scanning it into an int64 (issue
// 17.2: status, investigate, ioc and export failed on such a case). JSON,
// tables, CSV and fmt's %d all print a *big.Int as its exact digits.

// total scans a sum into *p: the driver's *big.Int, an int64, or NULL as
// zero.
type total struct{ p **big.Int }

// Total returns a scan destination that stores an exact sum into *p.
func Total(p **big.Int) interface{ Scan(any) error } { return total{p} }

func (t total) Scan(v any) error {
	switch x := v.(type) {
	case *big.Int:
		*t.p = x
	case int64:
		*t.p = big.NewInt(x)
	case int32:
		*t.p = big.NewInt(int64(x))
	case nil:
		*t.p = new(big.Int)
	default:
		return fmt.Errorf("a sum of type %T", v)
	}
	return nil
}
