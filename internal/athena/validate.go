package athena

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ErrInvalid marks errors in what the user gave (a bucket name, an account
// id, a list); the CLI reports them as usage errors (exit status 2).
var ErrInvalid = errors.New("invalid Athena setting")

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

// KnownRegions are the AWS Regions flowir accepts in --regions without
// --allow-unknown-regions: the commercial, GovCloud and China Regions known
// when this list was written. A Region that is not here is most often a typo
// ("us-east1", "eu-west-4"), and a typo in a partition-projection enum does
// not fail: Athena silently finds no data for it.
var KnownRegions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2",
	"us-gov-east-1", "us-gov-west-1",
	"us-west-1", "us-west-2",
}

var regionShape = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)

// ValidateRegion checks a Region name: known, or, when allowUnknown is set,
// at least shaped like one.
func ValidateRegion(r string, allowUnknown bool) error {
	if slices.Contains(KnownRegions, r) {
		return nil
	}
	if !regionShape.MatchString(r) {
		return invalidf("%q is not an AWS Region name (examples: us-east-1, eu-west-1)", r)
	}
	if !allowUnknown {
		return invalidf("unknown AWS Region %q: check the spelling (known Regions: %s); if AWS opened it after this flowir was built, add --allow-unknown-regions", r, strings.Join(KnownRegions, ","))
	}
	return nil
}

// ValidateAccount checks an AWS account id: exactly 12 digits. Leading
// zeros are significant (the id is a string), so "12345678901" is refused
// rather than padded.
func ValidateAccount(id string) error {
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
		return invalidf("account id %q: an AWS account id is exactly 12 digits (leading zeros included), e.g. 012345678901", id)
	}
	return nil
}

// ValidateBucket checks a general-purpose S3 bucket name against S3's naming
// rules, so that a name S3 would refuse is refused here, before a DDL that
// can never find data is created.
func ValidateBucket(b string) error {
	fix := "; S3 bucket names are 3-63 characters of lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit"
	switch {
	case b == "":
		return invalidf("no bucket given: use --bucket NAME (the bucket the flow logs are delivered to)")
	case strings.HasPrefix(b, "s3://") || strings.Contains(b, "/"):
		return invalidf("bucket %q: give the bucket name alone (put a folder in --prefix)", b)
	case len(b) < 3 || len(b) > 63:
		return invalidf("bucket %q is %d characters long%s", b, len(b), fix)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return invalidf("bucket %q: character %q is not allowed%s", b, c, fix)
		}
	}
	first, last := b[0], b[len(b)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return invalidf("bucket %q must begin and end with a letter or digit%s", b, fix)
	}
	if strings.Contains(b, "..") {
		return invalidf("bucket %q: two adjacent dots are not allowed%s", b, fix)
	}
	if a, err := netip.ParseAddr(b); err == nil && a.Is4() {
		return invalidf("bucket %q: a bucket name may not be an IP address", b)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return invalidf("bucket %q: names beginning with %q are reserved by S3", b, p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return invalidf("bucket %q: names ending in %q are reserved by S3", b, s)
		}
	}
	return nil
}

// NormalizePrefix checks the optional folder flow logs are delivered under
// (the "optional_subfolder" of the flow log's S3 ARN) and returns it without
// leading or trailing slashes. AWS refuses "AWSLogs" as the subfolder: AWS
// adds that folder itself, and a prefix ending in it would make the DDL look
// in .../AWSLogs/AWSLogs/. The characters are S3's "safe" key characters
// minus the quote, since the prefix ends up inside SQL string literals.
func NormalizePrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "":
			return "", invalidf("prefix %q has an empty folder (//)", p)
		case seg == "." || seg == "..":
			return "", invalidf("prefix %q: %q is not a folder name", p, seg)
		case strings.EqualFold(seg, "AWSLogs"):
			return "", invalidf("prefix %q: AWSLogs is reserved (AWS adds the AWSLogs/ folder itself and refuses it as the flow log's subfolder); give only the folder before AWSLogs/, or no --prefix", p)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!-_.*()", c) >= 0) {
				return "", invalidf("prefix %q: character %q is not allowed; use letters, digits and !-_.*() in folder names", p, c)
			}
		}
	}
	return p, nil
}

// ParseList splits a comma-separated flag value. Spaces around an item are
// dropped (us-east-1, eu-west-1 is two Regions, as ingest --account
// reads its list), so none reaches the DDL, where the playbook warns that a
// space in a projection enum is a syntax error; a space inside an item is
// refused. Empty items and duplicates are refused too (a duplicated enum
// value could list a partition twice).
func ParseList(flag, s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, invalidf("--%s is empty: give comma-separated values", flag)
	}
	items := strings.Split(s, ",")
	seen := map[string]bool{}
	for i, it := range items {
		it = strings.TrimSpace(it)
		items[i] = it
		if it == "" {
			return nil, invalidf("--%s %q: item %d is empty (a doubled or trailing comma)", flag, s, i+1)
		}
		if strings.ContainsAny(it, " \t\r\n") {
			return nil, invalidf("--%s %q: %q contains a space: separate values with commas (a,b,c)", flag, s, it)
		}
		if seen[it] {
			return nil, invalidf("--%s %q: %s is listed twice", flag, s, it)
		}
		seen[it] = true
	}
	return items, nil
}

// ValidateStart checks the first day of the partition-projection range:
// YYYY/MM/DD, a real date, not after today (Athena's range is start..NOW and
// refuses a start after its end).
func ValidateStart(s string, now time.Time) error {
	t, err := time.Parse("2006/01/02", s)
	if err != nil || t.Format("2006/01/02") != s {
		return invalidf("--start %q: give the first day of the logs as YYYY/MM/DD (e.g. 2024/01/31)", s)
	}
	if t.After(now.UTC()) {
		return invalidf("--start %s is in the future; the projection range is start..NOW", s)
	}
	return nil
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,254}$`)

// ValidateName checks a Glue/Athena database or table name: lower-case
// letters, digits and underscores (Athena lower-cases names anyway, and
// these also become CloudFormation values and SQL identifiers).
func ValidateName(what, n string) error {
	if !identifier.MatchString(n) {
		return invalidf("%s name %q: use lower-case letters, digits and underscores, starting with a letter or underscore", what, n)
	}
	return nil
}

// ValidateS3URL checks an s3://bucket/prefix/ location given by the user
// (query results, the IOC table) and returns it with a trailing slash.
func ValidateS3URL(flag, u string) (string, error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", invalidf("--%s %q: give an S3 location as s3://bucket/folder/", flag, u)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if err := ValidateBucket(bucket); err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		for i := 0; i < len(prefix); i++ {
			c := prefix[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!-_.*()/", c) >= 0) {
				return "", invalidf("--%s %q: character %q is not allowed; use letters, digits and !-_.*() in folder names", flag, u, c)
			}
		}
		if strings.Contains(prefix, "//") {
			return "", invalidf("--%s %q has an empty folder (//)", flag, u)
		}
		return "s3://" + bucket + "/" + prefix + "/", nil
	}
	return "s3://" + bucket + "/", nil
}
