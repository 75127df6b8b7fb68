package flow

import (
	"regexp"
	"testing"
)

// regionShape is the Region name shape as a regular expression, the
// definition ValidRegion implements without one.
var regionShape = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)

func TestValidRegion(t *testing.T) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "cn-north-1", "eu-isoe-west-1", "us-isob-east-1", "us-iso-east-1",
		"ap-southeast-7", "mx-central-1", "us-east-12"} {
		if !ValidRegion(s) || !regionShape.MatchString(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "not-a-region", "us-east", "us-east-", "useast-1", "US-EAST-1", "us-east-1a", "u-east-1",
		"us-gav-west-1", "us--east-1", "-", "us-east-1 ", "us-east-1\n", "us-isO-east-1"} {
		if ValidRegion(s) || regionShape.MatchString(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func FuzzValidRegion(f *testing.F) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "eu-isoe-west-1", "not-a-region", "a-b-c-d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidRegion(s) != regionShape.MatchString(s) {
			t.Fatalf("ValidRegion(%q) = %v, the regular expression says %v", s, ValidRegion(s), !ValidRegion(s))
		}
	})
}

func TestValidPartitions(t *testing.T) {
	tests := []struct {
		f    func(string) bool
		good []string
		bad  []string
	}{
		{ValidAccount, []string{"123456789012", "000000000000"}, []string{"", "12345678901", "1234567890123", "12345678901x", "unknown"}},
		{ValidDate, []string{"2026/11/20", "2024/02/29"}, []string{"", "000x/13/99", "2023/02/29", "2026-11-20", "2026/1/2", "2026/11/20/"}},
		{ValidHour, []string{"00", "09", "23"}, []string{"", "24", "7", "99", "0x", "-1"}},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			if !tt.f(s) {
				t.Errorf("%q refused", s)
			}
		}
		for _, s := range tt.bad {
			if tt.f(s) {
				t.Errorf("%q accepted", s)
			}
		}
	}
}
