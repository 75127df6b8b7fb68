package analysis

import (
	"math/big"
	"math/bits"
)

// sum128 is an exact sum of flow counters (bytes, packets) computed in Go,
// as the detections' sliding windows do. A counter is at most
// flow.MaxCounter (2^53-1) and never negative, so an int64 sum wraps after
// 1,024 records of the largest (issue 17.2), while 128 bits hold the sum of
// 2^75 of them: more records than any case holds. It is the Go side of
// DuckDB's HUGEINT sums, without big.Int's allocations per record.
type sum128 struct{ hi, lo uint64 }

// add adds a counter (x >= 0).
func (s *sum128) add(x int64) {
	var c uint64
	s.lo, c = bits.Add64(s.lo, uint64(x), 0)
	s.hi += c
}

// sub subtracts a counter that add added before.
func (s *sum128) sub(x int64) {
	var b uint64
	s.lo, b = bits.Sub64(s.lo, uint64(x), 0)
	s.hi -= b
}

// cmp compares two sums: -1, 0 or +1.
func (s sum128) cmp(o sum128) int {
	switch {
	case s.hi != o.hi:
		return cmpU64(s.hi, o.hi)
	default:
		return cmpU64(s.lo, o.lo)
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// atLeast says whether the sum reaches a threshold, exactly.
func (s sum128) atLeast(min int64) bool {
	return min <= 0 || s.hi > 0 || s.lo >= uint64(min)
}

// big returns the exact sum.
func (s sum128) big() *big.Int {
	x := new(big.Int).SetUint64(s.hi)
	return x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(s.lo))
}

// float is the sum as a float64, for ratios and medians (rounded to 53 bits).
func (s sum128) float() float64 {
	return float64(s.hi)*0x1p64 + float64(s.lo)
}

// bigFloat is an exact sum as a float64, for ratios and human-readable
// sizes (rounded to 53 bits).
func bigFloat(x *big.Int) float64 {
	f, _ := new(big.Float).SetInt(x).Float64()
	return f
}

// floatBig is a finite float64 as an integer (truncated), exact at any
// size, where int64(f) would be undefined past 2^63.
func floatBig(f float64) *big.Int {
	i, _ := big.NewFloat(f).Int(nil)
	return i
}
