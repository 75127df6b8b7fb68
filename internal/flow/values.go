package flow

// Validators of the partition values of AWS's S3 layouts, shared by the
// decoder, the store and the source finders so that each shape has one
// definition.

import "time"

// ValidAccount reports whether s is an AWS account id: exactly 12 digits.
func ValidAccount(s string) bool { return len(s) == 12 && digits(s) }

// ValidRegion reports whether s has the shape of an AWS Region name: a
// two-letter area, an optional partition marker (-gov, -iso, -isob, ...), a
// direction and a number (us-east-1, us-gov-west-1, cn-north-1). It does not
// check a list, so Regions AWS opens later are accepted.
func ValidRegion(s string) bool {
	// [a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+
	if len(s) < 6 || !lower(s[0]) || !lower(s[1]) || s[2] != '-' {
		return false
	}
	parts := splitHyphen(s[3:])
	if len(parts) == 3 {
		p := parts[0]
		if p != "gov" && p != "iso" && !(len(p) > 3 && p[:3] == "iso" && letters(p[3:])) {
			return false
		}
		parts = parts[1:]
	}
	return len(parts) == 2 && parts[0] != "" && letters(parts[0]) && parts[1] != "" && digits(parts[1])
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

// splitHyphen splits s at hyphens without allocating more than the slice.
func splitHyphen(s string) []string {
	var out []string
	for {
		i := 0
		for i < len(s) && s[i] != '-' {
			i++
		}
		out = append(out, s[:i])
		if i == len(s) {
			return out
		}
		s = s[i+1:]
	}
}
