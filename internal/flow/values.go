package flow

// What values a field can hold (its Class, its bounds), and validators of
// the partition values of AWS's S3 layouts, shared by the decoder, the store
// and the source finders so that each shape has one definition.

import "time"

// Class says what text a string field can hold: the shape of the values AWS
// documents for it (flowlogs-reference.md §1.3, §1.8, §4). A value of
// another shape cannot be what the field holds; in a line it almost always
// means the line is in another format than the one it is read with (a
// Transit Gateway record read with the VPC default format put
// "TransitGateway" in account-id), so the decoder rejects it with a reason
// instead of storing a wrong record.
//
// Every class is printable text without blanks: control characters are
// refused for every field, known or not, before classes are checked.
type Class uint8

const (
	// ClassText is any printable text: unknown fields, and fields whose
	// values AWS does not document closely enough to check.
	ClassText Class = iota
	// ClassAccount is an AWS account id: 12 digits, or "unknown" (an
	// interface created by an AWS service). Fewer digits are accepted as
	// written: tools that keep account ids as numbers drop the leading
	// zeros (Elastic's v5 test line has "64111117617"), and no other kind
	// of value is all digits in a string field.
	ClassAccount
	// ClassResourceID is an EC2 resource id: Field.Prefix ("eni-",
	// "tgw-attach-", ...) then lower-case letters and digits (AWS writes
	// hexadecimal; other tools' test data has placeholders such as
	// "eni-069xxxxxb7a490", which are kept).
	ClassResourceID
	// ClassRegion is an AWS Region name: us-east-1, us-gov-west-1,
	// cn-north-1, eu-isoe-west-1 (checked by shape, so that Regions AWS
	// opens later are accepted).
	ClassRegion
	// ClassZoneID is an Availability Zone id or a sublocation id: lower-case
	// letters, digits and hyphens (use1-az4, usw2-lax1-az1, op-0123...).
	ClassZoneID
	// ClassUpperWord is an upper-case code: the ip-ranges.json service
	// names of pkt-*-aws-service (AMAZON, S3, ROUTE53_HEALTHCHECKS; AWS adds
	// new ones) and reject-reason (BPA): upper-case letters, digits and
	// underscores.
	ClassUpperWord
	// ClassARN is an Amazon Resource Name: "arn:" then printable text.
	ClassARN
	// ClassName is an ECS name or id: letters, digits, hyphens and
	// underscores (cluster and service names, task, container and container
	// instance ids).
	ClassName
)

func (c Class) String() string {
	switch c {
	case ClassAccount:
		return "account id"
	case ClassResourceID:
		return "resource id"
	case ClassRegion:
		return "Region name"
	case ClassZoneID:
		return "zone id"
	case ClassUpperWord:
		return "upper-case code"
	case ClassARN:
		return "ARN"
	case ClassName:
		return "name"
	}
	return "text"
}

// Bounds of integer fields that AWS cannot exceed, and why.
const (
	// MaxCounter bounds bytes, packets and packets-lost-*: 2^53-1, the
	// largest integer a JSON number (an IEEE double) holds exactly, so that
	// every stored counter is exact in every output. No flow comes near it:
	// 9 PB in one record's capture window (at most 600 s) would be 120
	// Tbit/s through one interface, hundreds of times what any EC2
	// interface carries. Sums over many records can still pass int64's
	// range.
	MaxCounter = 1<<53 - 1
	// MaxTime bounds start and end: 2100-01-01T00:00:00Z in milliseconds.
	// AWS writes Unix seconds; other tools sometimes write milliseconds,
	// which are stored as written and flagged (see MillisThreshold). A
	// larger value is neither seconds nor milliseconds of a time flow logs
	// can have, and would overflow DuckDB's timestamps (microseconds in an
	// int64) where MaxTime * 10^6 still fits.
	MaxTime = 4_102_444_800_000
	// MillisThreshold is 2100-01-01T00:00:00Z in seconds: a start or end
	// beyond it is not a time AWS wrote in seconds. (The times taken for
	// milliseconds, which ingest warns about and status counts, are those
	// past store.MillisecondTimeFloor, 1e11: 1973 in milliseconds.)
	MillisThreshold = 4_102_444_800
)

// ValidAccount reports whether s is an AWS account id: exactly 12 digits.
func ValidAccount(s string) bool { return len(s) == 12 && digits(s) }

// ValidRegion reports whether s has the shape of an AWS Region name: a
// two-letter area, an optional partition marker (-gov, -iso, -isob, ...), a
// direction and a number (us-east-1, us-gov-west-1, cn-north-1). It does not
// check a list, so Regions AWS opens later are accepted.
func ValidRegion(s string) bool { return validRegion(s) }

// validRegion is ValidRegion for text of either type, without allocating
// (the decoder checks the region field of every record with it).
func validRegion[T ~string | ~[]byte](s T) bool {
	// [a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+
	if len(s) < 6 || !lower(s[0]) || !lower(s[1]) || s[2] != '-' {
		return false
	}
	s = s[3:]
	// The parts after the area: two (direction, number) or three (with the
	// partition marker first).
	var parts [3]T
	n := 0
	for {
		i := 0
		for i < len(s) && s[i] != '-' {
			i++
		}
		if n == len(parts) {
			return false
		}
		parts[n] = s[:i]
		n++
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	if n == 3 {
		p := parts[0]
		if string(p) != "gov" && string(p) != "iso" && !(len(p) > 3 && string(p[:3]) == "iso" && letters(p[3:])) {
			return false
		}
		parts[0], parts[1] = parts[1], parts[2]
		n = 2
	}
	return n == 2 && letters(parts[0]) && digits(parts[1])
}

// ValidDate reports whether s is a calendar date written yyyy/MM/dd, the
// date partition of AWS's layouts.
func ValidDate(s string) bool {
	_, err := time.Parse("2006/01/02", s)
	return err == nil && len(s) == 10
}

// ValidHour reports whether s is an hour partition: 00 to 23.
func ValidHour(s string) bool {
	return len(s) == 2 && digits(s) && (s[0] < '2' || s[0] == '2' && s[1] <= '3')
}

// ValidValue reports whether text (not `-`) is a value field id can hold:
// its Class for string fields, its Values for enum fields. Integer and
// address fields are checked by the decoder as it parses them.
func ValidValue(id FieldID, text []byte) bool {
	f := &fields[id]
	if f.Kind == KindEnum {
		for _, v := range f.Values {
			if v == string(text) {
				return true
			}
		}
		return false
	}
	return f.Class.valid(text, f.Prefix)
}

func (c Class) valid(b []byte, prefix string) bool {
	switch c {
	case ClassAccount:
		return string(b) == "unknown" || len(b) >= 1 && len(b) <= 12 && digits(b)
	case ClassResourceID:
		if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
			return false
		}
		for _, x := range b[len(prefix):] {
			if !lower(x) && !digit(x) {
				return false
			}
		}
		return true
	case ClassRegion:
		return validRegion(b)
	case ClassZoneID:
		return each(b, func(x byte) bool { return lower(x) || digit(x) || x == '-' })
	case ClassUpperWord:
		return each(b, func(x byte) bool { return x >= 'A' && x <= 'Z' || digit(x) || x == '_' })
	case ClassARN:
		return len(b) > 4 && string(b[:4]) == "arn:" && each(b, func(x byte) bool { return x > ' ' && x < 0x7f })
	case ClassName:
		return each(b, func(x byte) bool { return lower(x) || x >= 'A' && x <= 'Z' || digit(x) || x == '-' || x == '_' })
	}
	return len(b) > 0
}

// Describe says in words what values field id holds, for error messages.
func Describe(id FieldID) string {
	f := &fields[id]
	switch {
	case f.Kind == KindEnum:
		s := ""
		for i, v := range f.Values {
			if i > 0 {
				s += ", "
			}
			s += v
		}
		return "one of " + s
	case f.Class == ClassAccount:
		return "an account id (12 digits) or unknown"
	case f.Class == ClassResourceID:
		return "an id starting " + f.Prefix + " followed by lower-case letters and digits"
	case f.Class == ClassRegion:
		return "a Region name such as us-east-1"
	case f.Class == ClassZoneID:
		return "a zone id of lower-case letters, digits and hyphens (use1-az4)"
	case f.Class == ClassUpperWord:
		return "an upper-case code of letters, digits and underscores (such as S3 or BPA)"
	case f.Class == ClassARN:
		return "an ARN (arn:aws:...)"
	case f.Class == ClassName:
		return "a name of letters, digits, hyphens and underscores"
	}
	return "text"
}

func each[T ~string | ~[]byte](s T, ok func(byte) bool) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func digits[T ~string | ~[]byte](s T) bool  { return each(s, digit) }
func letters[T ~string | ~[]byte](s T) bool { return each(s, lower) }
func digit(c byte) bool                     { return c >= '0' && c <= '9' }
func lower(c byte) bool                     { return c >= 'a' && c <= 'z' }
