package source

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// awsExampleKey is the real key quoted in the reference (§3.1).
const awsExampleKey = "AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/21/841154226728_vpcflowlogs_us-west-2_fl-055401975c87952e8_20230121T2100Z_1ce1bf4b.log.gz"

const awsExampleName = "841154226728_vpcflowlogs_us-west-2_fl-055401975c87952e8_20230121T2100Z_1ce1bf4b.log.gz"

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

// example is the Partition of awsExampleKey; cases adjust a copy.
var example = Partition{
	Layout:    LayoutPlain,
	Account:   "841154226728",
	Region:    "us-west-2",
	Date:      "2023/01/21",
	Service:   "vpcflowlogs",
	FlowLogID: "fl-055401975c87952e8",
	FileTime:  utc(2023, 1, 21, 21, 0),
}

func with(p Partition, f func(*Partition)) Partition {
	f(&p)
	return p
}

func TestParseKey(t *testing.T) {
	const (
		name2018  = "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz"
		hivePlain = "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=02/day=29/"
	)
	// fromName is what the AWS example's file name alone says.
	fromName := with(example, func(p *Partition) { p.Layout = ""; p.Hour = "21" })
	hive := Partition{
		Layout:    LayoutHive,
		Account:   "123456789012",
		Region:    "eu-west-1",
		Date:      "2024/02/29",
		Service:   "vpcflowlogs",
		FlowLogID: "fl-0abc",
		FileTime:  utc(2024, 2, 29, 0, 5),
	}
	tests := []struct {
		name string
		key  string
		want Partition
	}{
		{"aws example, plain", awsExampleKey, example},
		{"user prefix", "logs/prod/" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "logs/prod/" })},
		{"s3 url, bucket only", "s3://my-bucket/" + awsExampleKey, example},
		{"s3 url, upper-case scheme", "S3://my-bucket/" + awsExampleKey, example},
		{"s3 url with prefix", "s3://my-bucket/logs/" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "logs/" })},
		{"bucket-like first element, no scheme", "my-bucket/" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "my-bucket/" })},
		{"absolute local path", "/evidence/case-7/" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "/evidence/case-7/" })},
		{"relative local path", "./" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "./" })},
		{"doubled slash kept in the prefix", "logs//" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "logs//" })},
		{"last AWSLogs element wins", "AWSLogs/copies/" + awsExampleKey,
			with(example, func(p *Partition) { p.Prefix = "AWSLogs/copies/" })},
		{"renamed file keeps the folders", "AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/21/evidence-1.log.gz",
			with(example, func(p *Partition) { p.FlowLogID = ""; p.FileTime = time.Time{} })},
		{"hourly", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/16/" + name2018, Partition{
			Layout: LayoutHourly, Account: "123456789012", Region: "us-east-1", Date: "2018/06/20", Hour: "16",
			Service: "vpcflowlogs", FlowLogID: "fl-1234abcd", FileTime: utc(2018, 6, 20, 16, 20),
		}},
		{"hive, parquet", hivePlain + "123456789012_vpcflowlogs_eu-west-1_fl-0abc_20240229T0005Z_00ff00ff.log.parquet", hive},
		{"hive, hourly", "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=02/day=29/hour=00/123456789012_vpcflowlogs_eu-west-1_fl-0abc_20240229T0005Z_00ff00ff.log.gz",
			with(hive, func(p *Partition) { p.Layout = LayoutHiveHourly; p.Hour = "00" })},
		{"hive, TGW guide's service= spelling", "tgw/AWSLogs/aws-account-id=123456789012/service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=02/day=29/hour=00/x.log.gz",
			with(hive, func(p *Partition) {
				p.Layout, p.Hour, p.Prefix, p.FlowLogID, p.FileTime = LayoutHiveHourly, "00", "tgw/", "", time.Time{}
			})},
		{"GovCloud region", "AWSLogs/123456789012/vpcflowlogs/us-gov-west-1/2023/01/21/", Partition{
			Layout: LayoutPlain, Account: "123456789012", Region: "us-gov-west-1", Date: "2023/01/21", Service: "vpcflowlogs"}},
		{"ISO region", "AWSLogs/123456789012/vpcflowlogs/us-isob-east-1/2023/01/21/", Partition{
			Layout: LayoutPlain, Account: "123456789012", Region: "us-isob-east-1", Date: "2023/01/21", Service: "vpcflowlogs"}},

		// Prefixes, as a listing would use them.
		{"prefix: service", "AWSLogs/123456789012/vpcflowlogs/", Partition{
			Layout: LayoutPlain, Account: "123456789012", Service: "vpcflowlogs"}},
		{"prefix: region", "AWSLogs/123456789012/vpcflowlogs/us-east-1", Partition{
			Layout: LayoutPlain, Account: "123456789012", Region: "us-east-1", Service: "vpcflowlogs"}},
		{"prefix: year", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/", Partition{
			Layout: LayoutPlain, Account: "123456789012", Region: "us-east-1", Service: "vpcflowlogs"}},
		{"prefix: month", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/12", Partition{
			Layout: LayoutPlain, Account: "123456789012", Region: "us-east-1", Service: "vpcflowlogs"}},
		{"prefix: day", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/12/31/", Partition{
			Layout: LayoutPlain, Account: "123456789012", Region: "us-east-1", Date: "2023/12/31", Service: "vpcflowlogs"}},
		{"prefix: hour", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/12/31/23/", Partition{
			Layout: LayoutHourly, Account: "123456789012", Region: "us-east-1", Date: "2023/12/31", Hour: "23", Service: "vpcflowlogs"}},
		{"prefix: hive day", hivePlain, with(hive, func(p *Partition) { p.FlowLogID = ""; p.FileTime = time.Time{} })},
		{"prefix: hive hour", hivePlain + "hour=07", with(hive, func(p *Partition) {
			p.Layout, p.Hour, p.FlowLogID, p.FileTime = LayoutHiveHourly, "07", "", time.Time{}
		})},
		{"prefix: hive service", "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/", Partition{
			Layout: LayoutHive, Account: "123456789012", Service: "vpcflowlogs"}},

		// A file copied out of its folders: the name alone.
		{"file name only", awsExampleName, fromName},
		{"file name in another folder", "/tmp/download/" + awsExampleName, fromName},
		{"file name, .log", strings.TrimSuffix(awsExampleName, ".gz"), fromName},
		{"file name, .parquet", strings.TrimSuffix(awsExampleName, ".log.gz") + ".parquet", fromName},
		{"file name, no extension", strings.TrimSuffix(awsExampleName, ".log.gz"), fromName},
		{"file name, lower-cased stamp", strings.ToLower(awsExampleName), fromName},
		{"lower-case awslogs: no layout, name still read", strings.ToLower(awsExampleKey), fromName},
		{"broken folders fall back to the name", "AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/02/30/" + awsExampleName, fromName},

		// Folders and name disagree: the folders win, the conflict is kept.
		{"conflict: date", "AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/20/" + awsExampleName,
			with(example, func(p *Partition) {
				p.Date = "2023/01/20"
				p.Conflict = "folders say date 2023/01/20, file name says 2023/01/21"
			})},
		{"conflict: account, region, hour", "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2023/01/21/20/" + awsExampleName,
			with(example, func(p *Partition) {
				p.Layout, p.Account, p.Region, p.Hour = LayoutHourly, "111122223333", "eu-west-1", "20"
				p.Conflict = "folders say account 111122223333, file name says 841154226728; " +
					"folders say region eu-west-1, file name says us-west-2; folders say hour 20, file name says 21"
			})},

		// Not recognised.
		{"empty", "", Partition{}},
		{"unrelated path", "/etc/passwd", Partition{}},
		{"unrelated log", "/var/log/app/2023/01/21/app.log.gz", Partition{}},
		{"bucket only", "s3://my-bucket", Partition{}},
		{"AWSLogs alone", "AWSLogs/", Partition{}},
		{"account without service", "AWSLogs/123456789012/", Partition{}},
		{"other service (CloudTrail)", "AWSLogs/123456789012/CloudTrail/us-east-1/2023/01/21/x.json.gz", Partition{}},
		{"invalid date 2023/02/30", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/02/30/x.log.gz", Partition{}},
		{"invalid month", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/13/01/", Partition{}},
		{"unpadded day", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/01/1/", Partition{}},
		{"hour 24", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/01/21/24/x.log.gz", Partition{}},
		{"hive hour 24", hivePlain + "hour=24/x.log.gz", Partition{}},
		{"11-digit account", "AWSLogs/12345678901/vpcflowlogs/us-east-1/2023/01/21/x.log.gz", Partition{}},
		{"11-digit account in name", "12345678901_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz", Partition{}},
		{"13-digit account", "AWSLogs/1234567890123/vpcflowlogs/us-east-1/", Partition{}},
		{"upper-case region", "AWSLogs/123456789012/vpcflowlogs/US-EAST-1/", Partition{}},
		{"region without number", "AWSLogs/123456789012/vpcflowlogs/us-east/", Partition{}},
		{"hive levels out of order", "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/month=02/year=2024/", Partition{}},
		{"hive with a plain level", "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/eu-west-1/", Partition{}},
		{"too deep", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/01/21/16/extra/x.log.gz", Partition{}},
		{"empty element", "AWSLogs/123456789012//vpcflowlogs/us-east-1/", Partition{}},
		{"name: bad stamp", "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180230T1620Z_fe123456.log.gz", Partition{}},
		{"name: letter in the stamp", "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_2018062xT1620Z_fe123456.log.gz", Partition{}},
		{"name: hour 24", "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T2400Z_fe123456.log.gz", Partition{}},
		{"name: minute 60", "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1660Z_fe123456.log.gz", Partition{}},
		{"name: not a flow log id", "123456789012_vpcflowlogs_us-east-1_eni-1234abcd_20180620T1620Z_fe123456.log.gz", Partition{}},
		{"name: copy suffix", "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456 (1).log.gz", Partition{}},
		{"name: other service", "123456789012_elasticloadbalancing_us-east-1_app.my-lb_20180620T1620Z_10.0.0.1_x.log.gz", Partition{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseKey(tc.key)
			if !got.FileTime.Equal(tc.want.FileTime) || got.FileTime.Location() != time.UTC && !got.FileTime.IsZero() {
				t.Errorf("FileTime = %v, want %v (UTC)", got.FileTime, tc.want.FileTime)
			}
			got.FileTime, tc.want.FileTime = time.Time{}, time.Time{}
			if got != tc.want {
				t.Errorf("ParseKey(%q)\n got %+v\nwant %+v", tc.key, got, tc.want)
			}
			if got.Recognised() != (tc.want.Account != "") {
				t.Errorf("Recognised() = %v", got.Recognised())
			}
		})
	}
}

// TestParseKeyOSPath checks a path built with the OS's own separator.
func TestParseKeyOSPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), filepath.FromSlash(awsExampleKey))
	got := ParseKey(path)
	if got.Layout != LayoutPlain || got.Date != "2023/01/21" || got.FlowLogID != "fl-055401975c87952e8" {
		t.Errorf("ParseKey(%q) = %+v", path, got)
	}
	if !strings.HasSuffix(got.Prefix, "/") || !strings.HasPrefix(filepath.ToSlash(path), got.Prefix) {
		t.Errorf("Prefix = %q, want the folders above AWSLogs", got.Prefix)
	}
}

func TestValidAccountRegion(t *testing.T) {
	for s, want := range map[string]bool{
		"123456789012": true, "012345678901": true, "12345678901": false, "1234567890123": false,
		"12345678901a": false, "": false, "١٢٣٤٥٦٧٨٩٠١٢": false,
	} {
		if ValidAccount(s) != want {
			t.Errorf("ValidAccount(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{
		"us-east-1": true, "ap-southeast-7": true, "us-gov-west-1": true, "cn-northwest-1": true,
		"us-iso-east-1": true, "eu-isoe-west-1": true, "mx-central-1": true,
		"US-EAST-1": false, "us-east": false, "useast1": false, "us-east-1a": false, "": false, "aws-global": false,
	} {
		if ValidRegion(s) != want {
			t.Errorf("ValidRegion(%q) = %v", s, !want)
		}
	}
}

func TestPrefixesFor(t *testing.T) {
	const (
		plainA = "AWSLogs/111111111111/vpcflowlogs/"
		hiveA  = "AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/"
		typoA  = "AWSLogs/aws-account-id=111111111111/service=vpcflowlogs/"
	)
	acctA := []string{"111111111111"}
	east := []string{"us-east-1"}
	tests := []struct {
		name     string
		prefix   string
		accounts []string
		regions  []string
		from, to time.Time
		layout   string
		hourly   bool
		want     []string
	}{
		{"month boundary, plain", "", acctA, east, utc(2023, 1, 30, 22, 0), utc(2023, 2, 2, 0, 0), "plain", false, []string{
			plainA + "us-east-1/2023/01/30/",
			plainA + "us-east-1/2023/01/31/",
			plainA + "us-east-1/2023/02/01/",
		}},
		{"to one nanosecond into a day includes it", "", acctA, east, utc(2023, 1, 31, 23, 0), utc(2023, 2, 1, 0, 0).Add(time.Nanosecond), "plain", false, []string{
			plainA + "us-east-1/2023/01/31/",
			plainA + "us-east-1/2023/02/01/",
		}},
		{"year boundary and leap day, hive", "", acctA, east, utc(2023, 12, 31, 0, 0), utc(2024, 1, 1, 0, 1), "hive", false, []string{
			hiveA + "aws-region=us-east-1/year=2023/month=12/day=31/",
			hiveA + "aws-region=us-east-1/year=2024/month=01/day=01/",
			typoA,
		}},
		{"leap day", "", acctA, east, utc(2024, 2, 28, 12, 0), utc(2024, 3, 1, 0, 0), "plain", false, []string{
			plainA + "us-east-1/2024/02/28/",
			plainA + "us-east-1/2024/02/29/",
		}},
		{"hourly across a month boundary", "", acctA, east, utc(2023, 1, 31, 22, 30), utc(2023, 2, 1, 1, 0), "plain", true, []string{
			plainA + "us-east-1/2023/01/31/22/",
			plainA + "us-east-1/2023/01/31/23/",
			plainA + "us-east-1/2023/02/01/00/",
		}},
		{"layout hourly implies hours", "", acctA, east, utc(2023, 1, 31, 23, 0), utc(2023, 1, 31, 23, 1), "hourly", false, []string{
			plainA + "us-east-1/2023/01/31/23/",
		}},
		{"hive hourly", "logs", acctA, east, utc(2023, 1, 31, 23, 59), utc(2023, 2, 1, 0, 1), "hive", true, []string{
			"logs/" + hiveA + "aws-region=us-east-1/year=2023/month=01/day=31/hour=23/",
			"logs/" + hiveA + "aws-region=us-east-1/year=2023/month=02/day=01/hour=00/",
			"logs/" + typoA,
		}},
		{"accounts and regions, sorted and deduplicated", "logs/prod/",
			[]string{"222222222222", "111111111111", "222222222222", ""}, []string{"us-west-2", "eu-west-1", "us-west-2"},
			utc(2023, 5, 5, 10, 0), utc(2023, 5, 5, 11, 0), "plain", false, []string{
				"logs/prod/AWSLogs/111111111111/vpcflowlogs/eu-west-1/2023/05/05/",
				"logs/prod/AWSLogs/111111111111/vpcflowlogs/us-west-2/2023/05/05/",
				"logs/prod/AWSLogs/222222222222/vpcflowlogs/eu-west-1/2023/05/05/",
				"logs/prod/AWSLogs/222222222222/vpcflowlogs/us-west-2/2023/05/05/",
			}},
		{"non-UTC times are converted", "", acctA, east,
			time.Date(2023, 3, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), time.Date(2023, 3, 1, 0, 45, 0, 0, time.FixedZone("CET", 3600)),
			"plain", true, []string{plainA + "us-east-1/2023/02/28/23/"}},
		{"zero times stop at the region", "", acctA, []string{"us-east-1", "eu-west-1"}, time.Time{}, time.Time{}, "plain", false, []string{
			plainA + "eu-west-1/", plainA + "us-east-1/",
		}},
		{"one zero time stops at the region", "", acctA, east, utc(2023, 1, 1, 0, 0), time.Time{}, "hive", true, []string{
			hiveA + "aws-region=us-east-1/", typoA,
		}},
		{"no regions stop at the service", "", []string{"222222222222", "111111111111"}, nil, utc(2023, 1, 1, 0, 0), utc(2023, 1, 2, 0, 0), "plain", false, []string{
			plainA, "AWSLogs/222222222222/vpcflowlogs/",
		}},
		{"no accounts: everything under AWSLogs", "bucket-prefix", nil, east, utc(2023, 1, 1, 0, 0), utc(2023, 1, 2, 0, 0), "hive", false, []string{
			"bucket-prefix/AWSLogs/",
		}},
		{"prefix ending in AWSLogs is AWS's folder", "logs/AWSLogs", acctA, east, time.Time{}, time.Time{}, "plain", false, []string{
			"logs/" + plainA + "us-east-1/",
		}},
		{"prefix AWSLogs/ alone", "AWSLogs/", acctA, east, time.Time{}, time.Time{}, "plain", false, []string{
			plainA + "us-east-1/",
		}},
		{"prefix merely ending in the letters", "myAWSLogs", acctA, east, time.Time{}, time.Time{}, "plain", false, []string{
			"myAWSLogs/" + plainA + "us-east-1/",
		}},
		{"empty range", "", acctA, east, utc(2023, 1, 2, 0, 0), utc(2023, 1, 2, 0, 0), "plain", false, nil},
		{"reversed range", "", acctA, east, utc(2023, 1, 3, 0, 0), utc(2023, 1, 2, 0, 0), "plain", false, nil},
		{"unknown layout", "", acctA, east, time.Time{}, time.Time{}, "Hive", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PrefixesFor(tc.prefix, tc.accounts, tc.regions, tc.from, tc.to, tc.layout, tc.hourly)
			if !slices.Equal(got, tc.want) {
				t.Errorf("PrefixesFor\n got %q\nwant %q", got, tc.want)
			}
			if !slices.IsSorted(got) {
				t.Errorf("not sorted: %q", got)
			}
			for i := 1; i < len(got); i++ {
				if strings.HasPrefix(got[i], got[i-1]) {
					t.Errorf("%q covers %q: the set is not minimal", got[i-1], got[i])
				}
			}
		})
	}
}

// TestPrefixesForRoundTrip parses every prefix PrefixesFor emits back with
// ParseKey: the two must agree on the layouts.
func TestPrefixesForRoundTrip(t *testing.T) {
	from, to := utc(2023, 2, 27, 20, 0), utc(2023, 3, 2, 3, 0)
	for _, layout := range []string{LayoutPlain, LayoutHourly, LayoutHive, LayoutHiveHourly} {
		for _, pk := range PrefixesFor("logs/prod", []string{"123456789012"}, []string{"ap-southeast-2"}, from, to, layout, false) {
			if strings.Contains(pk, "/service=") {
				continue // the typo prefix stops at the service
			}
			p := ParseKey(pk)
			if p.Layout != layout || p.Account != "123456789012" || p.Region != "ap-southeast-2" || p.Prefix != "logs/prod/" {
				t.Errorf("%s: ParseKey(%q) = %+v", layout, pk, p)
				continue
			}
			a, b, ok := folderWindow(p)
			if !ok || !a.Before(to) || !b.After(from) {
				t.Errorf("%s: %q is outside [%v, %v)", layout, pk, from, to)
			}
		}
	}
}

func TestObjectOverlaps(t *testing.T) {
	stamp := utc(2023, 1, 21, 21, 0)
	file := ParseKey(awsExampleKey) // stamped 21:00, day folder 2023/01/21
	day := ParseKey("AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/21/")
	hour := ParseKey("AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/21/05/")
	conflicted := ParseKey("AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/19/" + awsExampleName)
	if conflicted.Conflict == "" {
		t.Fatal("expected a conflict")
	}
	dayStart := utc(2023, 1, 21, 0, 0)
	hourStart := utc(2023, 1, 21, 5, 0)
	// The bounds ObjectOverlaps works with, spelled out.
	fileEndLimit := stamp.Add(5*time.Minute + 5*time.Minute)                                   // fileSpan + stampSlack
	fileStartFloor := stamp.Add(-(5*time.Minute + 11*time.Minute + 5*time.Minute + time.Hour)) // ... + late
	ns := time.Nanosecond
	var zero time.Time

	tests := []struct {
		name     string
		p        Partition
		from, to time.Time
		want     bool
	}{
		{"file: unbounded", file, zero, zero, true},
		{"file: window around the stamp", file, stamp, stamp.Add(time.Minute), true},
		{"file: 2018/2019 docs (ends up to 5 min before the stamp)", file, stamp.Add(-5 * time.Minute), stamp.Add(-4 * time.Minute), true},
		{"file: current doc (ends up to 16:24:59 for 16:20)", file, stamp.Add(4*time.Minute + 59*time.Second), stamp.Add(5 * time.Minute), true},
		{"file: from just before the end limit", file, fileEndLimit.Add(-ns), zero, true},
		{"file: from at the end limit", file, fileEndLimit, zero, false},
		{"file: to just after the start floor", file, zero, fileStartFloor.Add(ns), true},
		{"file: to at the start floor", file, zero, fileStartFloor, false},
		{"file: next day", file, utc(2023, 1, 22, 9, 0), utc(2023, 1, 22, 10, 0), false},
		{"file: same day, morning", file, utc(2023, 1, 21, 8, 0), utc(2023, 1, 21, 9, 0), false},
		{"file: reversed range still tested by the predicate", file, stamp.Add(time.Minute), stamp, true},

		{"day: inside", day, utc(2023, 1, 21, 12, 0), utc(2023, 1, 21, 13, 0), true},
		{"day: next day just after midnight (widened)", day, utc(2023, 1, 22, 1, 0), utc(2023, 1, 22, 2, 0), true},
		{"day: next day, past the margin", day, dayStart.Add(24*time.Hour + time.Hour + 5*time.Minute), zero, false},
		{"day: previous day evening (starts precede the folder)", day, utc(2023, 1, 20, 22, 0), utc(2023, 1, 20, 23, 0), true},
		{"day: previous day, before the margin", day, zero, dayStart.Add(-(2*time.Hour + 16*time.Minute)), false},
		{"day: previous day, inside the margin", day, zero, dayStart.Add(-(2*time.Hour + 16*time.Minute) + ns), true},

		{"hour: inside", hour, hourStart.Add(30 * time.Minute), hourStart.Add(31 * time.Minute), true},
		{"hour: an hour later (widened)", hour, hourStart.Add(2 * time.Hour), zero, true},
		{"hour: past the margin", hour, hourStart.Add(2*time.Hour + 5*time.Minute), zero, false},
		{"hour: before the margin", hour, zero, hourStart.Add(-(2*time.Hour + 16*time.Minute)), false},
		// Issue 17.11: AWS delivers late at times (about 10 minutes to S3
		// typically, best effort): a record ending half an hour before
		// --until may be in a file stamped 40 minutes after it.
		{"file: records delivered late into a later file", file, zero, stamp.Add(-40 * time.Minute), true},
		{"hour: records delivered late into a later hour", hour, zero, hourStart.Add(-(time.Hour + 30*time.Minute)), true},
		{"hour: far away", hour, utc(2023, 1, 21, 12, 0), utc(2023, 1, 21, 13, 0), false},

		{"conflict: the stamp's window", conflicted, stamp, stamp.Add(time.Minute), true},
		{"conflict: the folder's window", conflicted, utc(2023, 1, 19, 12, 0), utc(2023, 1, 19, 13, 0), true},
		{"conflict: neither", conflicted, utc(2023, 1, 20, 12, 0), utc(2023, 1, 20, 13, 0), false},

		{"unknown partition is never pruned", Partition{}, utc(2001, 1, 1, 0, 0), utc(2001, 1, 2, 0, 0), true},
		{"prefix above the day is never pruned", ParseKey("AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/"), utc(2001, 1, 1, 0, 0), utc(2001, 1, 2, 0, 0), true},
		{"file name only uses the stamp", ParseKey(awsExampleName), stamp, stamp.Add(time.Minute), true},
		{"file name only, far away", ParseKey(awsExampleName), utc(2023, 1, 21, 1, 0), utc(2023, 1, 21, 2, 0), false},
		{"file name only, far away before", ParseKey(awsExampleName), utc(2023, 1, 21, 22, 30), utc(2023, 1, 21, 23, 0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ObjectOverlaps(tc.p, tc.from, tc.to); got != tc.want {
				t.Errorf("ObjectOverlaps(%+v, %v, %v) = %v, want %v", tc.p, tc.from, tc.to, got, tc.want)
			}
		})
	}
}

// TestObjectOverlapsNeverPrunesAMatch places records wherever any documented
// reading of the stamp allows and checks that no query they match prunes
// their file or folder.
func TestObjectOverlapsNeverPrunesAMatch(t *testing.T) {
	stamp := utc(2023, 1, 21, 0, 0) // midnight: records start in the previous day
	file := ParseKey("AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/01/21/00/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20230121T0000Z_fe123456.log.gz")
	noStamp := file
	noStamp.FileTime = time.Time{}
	day := noStamp
	day.Hour = ""
	for endOff := -5 * time.Minute; endOff < 5*time.Minute; endOff += 17 * time.Second {
		end := stamp.Add(endOff)
		for dur := time.Duration(0); dur <= recordSpan; dur += 47 * time.Second {
			start := end.Add(-dur)
			// Queries that the record matches (end >= from, start < to), at
			// their tightest.
			for _, q := range [][2]time.Time{{end, start.Add(time.Nanosecond)}, {end, end.Add(time.Second)}, {start, start.Add(time.Nanosecond)}} {
				for _, p := range []Partition{file, noStamp, day} {
					if !ObjectOverlaps(p, q[0], q[1]) {
						t.Fatalf("record [%v, %v] pruned by [%v, %v) for %+v", start, end, q[0], q[1], p)
					}
				}
			}
		}
	}
}

// TestListingWindowMatchesObjectOverlaps checks that widening a range with
// ListingWindow makes PrefixesFor list exactly the folders ObjectOverlaps
// keeps, so pruning by prefix and pruning by key agree.
func TestListingWindowMatchesObjectOverlaps(t *testing.T) {
	acct, region := "123456789012", "us-east-1"
	base := utc(2023, 1, 31, 0, 0)
	for _, hourly := range []bool{false, true} {
		for off := time.Duration(0); off < 26*time.Hour; off += 7 * time.Minute {
			from := base.Add(off)
			to := from.Add(20 * time.Minute)
			lo, hi := ListingWindow(from, to)
			listed := map[string]bool{}
			for _, pk := range PrefixesFor("", []string{acct}, []string{region}, lo, hi, LayoutPlain, hourly) {
				listed[pk] = true
			}
			step := 24 * time.Hour
			if hourly {
				step = time.Hour
			}
			for f := base.Add(-48 * time.Hour); f.Before(base.Add(72 * time.Hour)); f = f.Add(step) {
				pk := "AWSLogs/" + acct + "/vpcflowlogs/" + region + "/" + folderPath(f, false, hourly)
				keep := ObjectOverlaps(ParseKey(pk), from, to)
				if keep != listed[pk] {
					t.Fatalf("[%v, %v) hourly=%v: %s listed=%v, ObjectOverlaps=%v", from, to, hourly, pk, listed[pk], keep)
				}
			}
		}
	}
	if lo, hi := ListingWindow(time.Time{}, time.Time{}); !lo.IsZero() || !hi.IsZero() {
		t.Errorf("ListingWindow(zero, zero) = %v, %v", lo, hi)
	}
}
