package analysis

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Parameter types. A query declares the type of each parameter; the value a
// user gives is checked and normalised against it before it is bound.
const (
	TypeIP     = "ip"     // one IPv4 or IPv6 address, bound in canonical text form
	TypeCIDR   = "cidr"   // a network, bound masked ("10.1.0.0/16"); a bare address is a host prefix
	TypePort   = "port"   // 0-65535, bound as int64
	TypeInt    = "int"    // a signed decimal integer, bound as int64
	TypeString = "string" // any text, bound as is
)

// Errors a caller can test with errors.Is. All three are usage errors (the
// user typed something wrong), which the CLI reports with exit status 2.
var (
	// ErrUnknownQuery: no query has the given name or alias.
	ErrUnknownQuery = errors.New("unknown query")
	// ErrParam: a parameter is unknown, missing, or not a valid value of its type.
	ErrParam = errors.New("invalid query parameter")
	// ErrBounds: the time window or the row limit is not usable.
	ErrBounds = errors.New("invalid time window or limit")
)

// Param describes one parameter of a named query.
type Param struct {
	Name        string // as typed on the command line: -p ip=10.0.0.5
	Type        string // TypeIP, TypeCIDR, TypePort, TypeInt or TypeString
	Description string
	Required    bool
	Default     string // used when the parameter is not given; "" means no default
}

// String renders the parameter for help and error messages:
// "ip (ip, required): the address to follow".
func (p Param) String() string {
	var b strings.Builder
	b.WriteString(p.Name + " (" + p.Type)
	switch {
	case p.Required:
		b.WriteString(", required")
	case p.Default != "":
		b.WriteString(", default " + p.Default)
	default:
		b.WriteString(", optional")
	}
	b.WriteString(")")
	if p.Description != "" {
		b.WriteString(": " + p.Description)
	}
	return b.String()
}

// Parse checks raw against the parameter's type and returns the value to
// bind: a canonical string for ip and cidr, int64 for port and int, the text
// itself for string. Canonical forms matter because the case stores
// addresses as text and the query compares them for equality: "2001:DB8::1"
// and "2001:db8:0:0:0:0:0:1" must both become "2001:db8::1", and
// "::ffff:10.0.0.1" the "10.0.0.1" the decoder stores for it.
func (p Param) Parse(raw string) (any, error) {
	v := strings.TrimSpace(raw)
	switch p.Type {
	case TypeIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=%q is not an IPv4 or IPv6 address (examples: 10.0.0.5, 2001:db8::5)", ErrParam, p.Name, raw)
		}
		if a.Zone() != "" {
			return nil, fmt.Errorf("%w: %s=%q has an IPv6 zone (%%%s); flow logs never carry zones, drop it", ErrParam, p.Name, raw, a.Zone())
		}
		// An IPv4-mapped address as its IPv4 address, as records store it.
		return a.Unmap().String(), nil
	case TypeCIDR:
		if !strings.Contains(v, "/") {
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%w: %s=%q is not a CIDR network or address (examples: 10.0.0.0/8, 2001:db8::/32)", ErrParam, p.Name, raw)
			}
			a = a.Unmap()
			return netip.PrefixFrom(a, a.BitLen()).String(), nil
		}
		pfx, err := netip.ParsePrefix(v)
		if err != nil || pfx.Addr().Zone() != "" {
			return nil, fmt.Errorf("%w: %s=%q is not a CIDR network (examples: 10.0.0.0/8, 2001:db8::/32)", ErrParam, p.Name, raw)
		}
		return canonicalPrefix(pfx).String(), nil
	case TypePort:
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || strings.HasPrefix(v, "+") {
			return nil, fmt.Errorf("%w: %s=%q is not a port number (0-65535)", ErrParam, p.Name, raw)
		}
		return int64(n), nil
	case TypeInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=%q is not a whole number", ErrParam, p.Name, raw)
		}
		return n, nil
	case TypeString:
		// Bound, never pasted, so any text is safe; keep it exactly as typed.
		return raw, nil
	}
	return nil, fmt.Errorf("internal error: parameter %s has unknown type %q", p.Name, p.Type)
}

// bindParams validates the user's parameters against the query's
// declaration and returns the values to bind, by parameter name. Every error
// lists what the query does take, so the user can fix the call in one go.
func (q *Query) bindParams(given map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(q.Params))
	declared := make(map[string]Param, len(q.Params))
	for _, p := range q.Params {
		declared[p.Name] = p
	}
	var unknown []string
	for name := range given {
		if _, ok := declared[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%w: %s does not take %s; %s", ErrParam, q.Name, quoteList(unknown), q.paramHelp())
	}
	for _, p := range q.Params {
		raw, ok := given[p.Name]
		if !ok {
			if p.Required {
				return nil, fmt.Errorf("%w: %s needs %s (-p %s=...); %s", ErrParam, q.Name, p.Name, p.Name, q.paramHelp())
			}
			if p.Default == "" {
				continue
			}
			raw = p.Default
		}
		v, err := p.Parse(raw)
		if err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	return out, nil
}

// paramHelp describes the query's parameters for an error message.
func (q *Query) paramHelp() string {
	if len(q.Params) == 0 {
		return "it takes no parameters"
	}
	parts := make([]string, len(q.Params))
	for i, p := range q.Params {
		parts[i] = p.String()
	}
	return "its parameters: " + strings.Join(parts, "; ")
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// ParseTime reads a --since/--until value. It accepts:
//
//   - RFC 3339, with or without a fraction of a second, with Z or an offset
//     ("2024-05-01T13:00:00Z", "2024-05-01T15:00:00.5+02:00"); a space may
//     stand for the T, as RFC 3339 allows;
//   - a date, "2024-05-01", meaning midnight UTC;
//   - Unix seconds, "1714568400";
//   - a duration back from now: "90m", "24h", "7d", "2w", or a sum such as
//     "1d12h" (d is 24 hours and w 7 days; Go's time.ParseDuration has
//     neither);
//   - "now".
//
// It refuses what it would have to guess: a date-time without a zone (local
// time of which machine?), eight digits (20240501 is a date, not Unix
// seconds), twelve or more digits (milliseconds, not seconds) and negative
// durations. The result is in UTC.
func ParseTime(s string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return time.Time{}, fmt.Errorf("%w: empty time", ErrBounds)
	}
	if strings.EqualFold(v, "now") {
		return now.UTC(), nil
	}
	if isDigits(v) {
		return parseUnix(v)
	}
	if len(v) >= 10 && isDigits(v[:4]) && v[4] == '-' {
		return parseDate(v)
	}
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		return time.Time{}, fmt.Errorf("%w: %q: a relative time counts back from now; write %s", ErrBounds, s, strings.TrimLeft(v, "+-"))
	}
	d, err := parseDuration(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a time: use RFC 3339 (2024-05-01T13:00:00Z), a date (2024-05-01), Unix seconds, or a duration back from now (90m, 24h, 7d, 2w)", ErrBounds, s)
	}
	return now.Add(-d).UTC(), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseUnix(v string) (time.Time, error) {
	switch {
	case len(v) == 8:
		return time.Time{}, fmt.Errorf("%w: %q is ambiguous (a date or Unix seconds?); write the date as %s-%s-%s", ErrBounds, v, v[:4], v[4:6], v[6:])
	case len(v) >= 12:
		return time.Time{}, fmt.Errorf("%w: %q looks like milliseconds; flowir takes Unix seconds", ErrBounds, v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not Unix seconds", ErrBounds, v)
	}
	return time.Unix(n, 0).UTC(), nil
}

func parseDate(v string) (time.Time, error) {
	if len(v) == 10 {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %q is not a valid date (YYYY-MM-DD)", ErrBounds, v)
		}
		return t, nil
	}
	// RFC 3339 allows a lower-case t and z, and a space for the T; Go's
	// parser wants the canonical spelling.
	c := strings.ToUpper(v)
	if c[10] == ' ' {
		c = c[:10] + "T" + c[11:]
	}
	t, err := time.Parse(time.RFC3339Nano, c)
	if err == nil {
		return t.UTC(), nil
	}
	if _, err2 := time.Parse("2006-01-02T15:04:05.999999999", c); err2 == nil {
		return time.Time{}, fmt.Errorf("%w: %q has no time zone; add Z for UTC or an offset such as +02:00", ErrBounds, v)
	}
	return time.Time{}, fmt.Errorf("%w: %q is not an RFC 3339 time (example: 2024-05-01T13:00:00Z)", ErrBounds, v)
}

// parseDuration reads a sum of <number><unit> terms, unit one of s, m, h, d
// or w. Each term is checked separately so that d and w need no special
// support from time.ParseDuration.
func parseDuration(v string) (time.Duration, error) {
	units := map[string]time.Duration{
		"s": time.Second, "m": time.Minute, "h": time.Hour,
		"d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
	}
	var total float64
	rest := strings.ToLower(v)
	if rest == "" {
		return 0, errors.New("empty duration")
	}
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		u, ok := units[unit]
		if i == 0 || !ok {
			return 0, fmt.Errorf("bad duration term in %q", v)
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("bad number in %q", v)
		}
		total += n * float64(u)
		rest = rest[j:]
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("duration %q is too long", v)
	}
	return time.Duration(total), nil
}

// WindowError is a --since/--until window that cannot be read: Side names
// the bound ("since" or "until") whose text ParseTime refused, or is ""
// when both parse but until is not after since.
type WindowError struct {
	Side string
	Err  error
}

func (e *WindowError) Error() string {
	if e.Side == "" {
		return "until must be after since"
	}
	return e.Side + ": " + e.Err.Error()
}

func (e *WindowError) Unwrap() error { return e.Err }

// ParseWindow reads a time window [since, until) as every command and page
// takes it (ParseTime for each bound; "" leaves that side open, the zero
// time) and checks that until is after since.
func ParseWindow(since, until string, now time.Time) (time.Time, time.Time, error) {
	var s, u time.Time
	var err error
	if since != "" {
		if s, err = ParseTime(since, now); err != nil {
			return s, u, &WindowError{Side: "since", Err: err}
		}
	}
	if until != "" {
		if u, err = ParseTime(until, now); err != nil {
			return s, u, &WindowError{Side: "until", Err: err}
		}
	}
	if !s.IsZero() && !u.IsZero() && !u.After(s) {
		return s, u, &WindowError{}
	}
	return s, u, nil
}
