package athena

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Athena's price for SQL queries on S3 data (us-east-1 and most Regions):
// USD 5 per TB scanned, each query billed for at least 10 MB and rounded up
// to the next whole MB. Failed queries are not billed; cancelled queries are
// billed for what they scanned before the cancel; DDL statements are free.
// MB and TB are binary here (2^20 and 2^40 bytes), as in AWS's examples
// that divide by 1024; the estimate is an estimate, the bill is the bill.
const (
	PricePerTB      = 5.0
	bytesPerMB      = 1 << 20
	bytesPerTB      = 1 << 40
	MinBilledBytes  = 10 * bytesPerMB
	mbPerTB         = bytesPerTB / bytesPerMB
	priceDecimalsMB = 6
)

// BilledBytes is what Athena bills for a query that scanned n bytes: n
// rounded up to a whole MB, and at least 10 MB.
func BilledBytes(n int64) int64 {
	if n < MinBilledBytes {
		return MinBilledBytes
	}
	mb := (n + bytesPerMB - 1) / bytesPerMB
	return mb * bytesPerMB
}

// CostUSD is the estimated price of a query that scanned n bytes.
func CostUSD(n int64) float64 {
	return float64(BilledBytes(n)/bytesPerMB) * PricePerTB / mbPerTB
}

// FormatCost writes a cost with enough decimals to show a 10 MB query
// (USD 0.000048), without float noise.
func FormatCost(usd float64) string {
	return "USD " + strconv.FormatFloat(usd, 'f', priceDecimalsMB, 64)
}

// FormatBytes writes a byte count exactly and, past a KiB, in binary units.
func FormatBytes(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	v := float64(n)
	u := ""
	for _, x := range units {
		v /= 1024
		u = x
		if v < 1024 {
			break
		}
	}
	return fmt.Sprintf("%d bytes (%.2f %s)", n, v, u)
}

// Value converts one Athena result cell (text, or nil for NULL) to the Go
// value flowir's output writes: int64 for the integer types, *big.Int when
// a value does not fit, float64 for real and double, bool, time.Time (UTC)
// for timestamps and dates, and the text itself for varchar and anything
// else (decimal included, so no digit is rounded away).
func Value(athenaType string, v *string) (any, error) {
	if v == nil {
		return nil, nil
	}
	s := *v
	t := strings.ToLower(athenaType)
	if i := strings.IndexByte(t, '('); i >= 0 && !strings.HasPrefix(t, "timestamp") {
		t = t[:i]
	}
	switch {
	case t == "tinyint" || t == "smallint" || t == "integer" || t == "int" || t == "bigint":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if b, ok := new(big.Int).SetString(s, 10); ok {
				return b, nil
			}
			return nil, fmt.Errorf("%s value %q is not an integer", athenaType, s)
		}
		return n, nil
	case t == "double" || t == "real" || t == "float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s value %q is not a number", athenaType, s)
		}
		return f, nil
	case t == "boolean":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("boolean value %q", s)
		}
		return b, nil
	case t == "date":
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, fmt.Errorf("date value %q", s)
		}
		return d, nil
	case strings.HasPrefix(t, "timestamp"):
		return parseTimestamp(s)
	}
	return s, nil
}

// parseTimestamp reads Athena's timestamp text: "2024-05-01 12:00:00.000"
// (timestamp, UTC session) or "2024-05-01 12:00:00.000 UTC" (with time
// zone; any zone name or offset after the space).
func parseTimestamp(s string) (time.Time, error) {
	base, zone, _ := strings.Cut(s, " ")
	rest := ""
	if zone != "" {
		clock, z, hasZone := strings.Cut(zone, " ")
		base += " " + clock
		if hasZone {
			rest = z
		}
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999", base)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp value %q", s)
	}
	switch rest {
	case "", "UTC", "Z", "Etc/UTC", "+00:00":
		return t.UTC(), nil
	}
	if loc, err := time.LoadLocation(rest); err == nil {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC(), nil
	}
	if off, err := time.Parse("-07:00", rest); err == nil {
		_, secs := off.Zone()
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(rest, secs)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp value %q: unknown zone %q", s, rest)
}
