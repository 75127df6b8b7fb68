package flow

import (
	"regexp"
	"slices"
	"strings"
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

// valueShapes defines each string field's value set as a regular
// expression, independently of ValidValue (which implements them by hand,
// without allocating): the oracle of FuzzValidValue.
var valueShapes = func() map[FieldID]*regexp.Regexp {
	m := map[FieldID]*regexp.Regexp{}
	for _, f := range All() {
		var re string
		switch {
		case f.Kind == KindEnum:
			re = `^(` + strings.Join(f.Values, "|") + `)$`
		case f.Kind != KindString:
			continue
		case f.Class == ClassAccount:
			re = `^([0-9]{1,12}|unknown)$`
		case f.Class == ClassResourceID:
			re = `^` + regexp.QuoteMeta(f.Prefix) + `[a-z0-9]+$`
		case f.Class == ClassRegion:
			re = regionShape.String()
		case f.Class == ClassZoneID:
			re = `^[a-z0-9-]+$`
		case f.Class == ClassUpperWord:
			re = `^[A-Z0-9_]+$`
		case f.Class == ClassARN:
			re = `^arn:[!-~]+$`
		case f.Class == ClassName:
			re = `^[A-Za-z0-9_-]+$`
		default:
			re = `^.+$`
		}
		m[f.ID] = regexp.MustCompile(re)
	}
	return m
}()

func FuzzValidValue(f *testing.F) {
	for _, s := range []string{"123456789012", "unknown", "eni-0abc", "tgw-attach-1", "us-east-1", "use1-az1", "S3", "arn:aws:ecs:x", "DEMOGO-ECS", "ACCEPT", "IPv6", ""} {
		f.Add(uint8(0), s)
	}
	ids := make([]FieldID, 0, len(valueShapes))
	for id := range valueShapes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	f.Fuzz(func(t *testing.T, sel uint8, s string) {
		for i, id := range ids {
			if uint8(i) != sel%uint8(len(ids)) && sel < 128 {
				continue // most runs check one field, the others all
			}
			if got, want := ValidValue(id, []byte(s)), valueShapes[id].MatchString(s); got != want {
				t.Fatalf("ValidValue(%s, %q) = %v, its definition says %v", Get(id).Name, s, got, want)
			}
		}
	})
}
