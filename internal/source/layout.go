package source

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/flow"
)

// The S3 layouts AWS delivers flow logs in (reference §3.1). Transit Gateway
// flow logs use the same layouts and the same "vpcflowlogs" service segment
// (§4), so nothing here distinguishes them.
const (
	LayoutPlain      = "plain"       // AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/
	LayoutHourly     = "hourly"      // ... /{dd}/{HH}/
	LayoutHive       = "hive"        // AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/
	LayoutHiveHourly = "hive-hourly" // ... /day=…/hour=…/
)

const (
	// awsLogsDir is the folder AWS puts in front of every delivery. S3 keys
	// are case-sensitive and AWS always spells it this way, so the match is
	// exact (see ParseKey for why "awslogs" is not accepted).
	awsLogsDir = "AWSLogs"
	// flowLogService is the service segment of the key and of the file name,
	// for VPC and Transit Gateway flow logs alike.
	flowLogService = "vpcflowlogs"
	// datePartitionLayout is the date_partition format of the AWS playbook's
	// partition projection (yyyy/MM/dd), which Partition.Date follows.
	datePartitionLayout = "2006/01/02"
)

// Partition is what an object's key (or a local path that keeps the S3 layout)
// says about its records.
type Partition struct {
	Layout    string    // "plain", "hourly", "hive", "hive-hourly", or "" when not recognised
	Account   string    // 12-digit account id
	Region    string    // e.g. us-east-1
	Date      string    // "YYYY/MM/DD" (the playbook's date_partition format); "" for a prefix above the day
	Hour      string    // "HH" of the hour folder (or of the stamp when only the file name was recognised), or ""
	Service   string    // "vpcflowlogs"
	FlowLogID string    // fl-... from the AWS file name, if the name follows AWS's naming
	FileTime  time.Time // the YYYYMMDDTHHmmZ stamp from the file name (UTC), zero if absent
	Prefix    string    // the part of the key before "AWSLogs/" (the user's optional prefix, e.g. "logs/prod/"), "" if none

	// Conflict describes how the folders and the AWS file name disagree
	// (account, region, date or hour), "" when they agree or only one of them
	// is present. The folders win, because they are what Athena partition
	// projection and S3 listings go by; the disagreement is kept because a
	// renamed or misfiled object is worth telling the analyst about.
	Conflict string
}

// Recognised reports whether ParseKey learned anything from the key: either
// the folders follow an AWS layout (Layout != "") or the base name follows
// AWS's file naming (Layout == "" but Account and the rest are set).
func (p Partition) Recognised() bool { return p.Account != "" }

// ValidAccount reports whether s is a 12-digit AWS account id.
func ValidAccount(s string) bool { return flow.ValidAccount(s) }

// ValidRegion reports whether s has the shape of an AWS region name (see
// flow.ValidRegion): us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1. It
// does not check the name against a list, so regions AWS opens later are
// accepted.
func ValidRegion(s string) bool { return flow.ValidRegion(s) }

// ParseKey reads an S3 key or a local path and returns what its folders and
// file name say about the records inside. It never fails: anything it does not
// recognise gives the zero Partition.
//
// Accepted forms: a bare key ("AWSLogs/…"), a key under the user's prefix
// ("logs/prod/AWSLogs/…"), an s3://bucket/… URL (scheme and bucket are
// dropped), and absolute or relative local paths using the OS separator.
// Keys that stop before the file name (listing prefixes, down to any level
// from the service segment on) are accepted too.
//
// The layout is read from the last path element that is exactly "AWSLogs":
// the last one, because a responder's copy may nest a whole bucket under an
// evidence folder that itself has that name. "awslogs" in another case is
// deliberately not accepted as a layout: S3 keys are case-sensitive and AWS
// never writes it, so such a path is someone's renamed copy and claiming a
// layout for it would suggest that S3 prefixes built from it would match.
// The file name fallback below still identifies such files.
//
// Every level is validated (12-digit account, region shape, a real calendar
// date, hour 00-23, the fixed segment names and their order) and the whole
// folder structure is rejected if one level is wrong, rather than trusting a
// half-matching path. Files more than one level below the day (or hour) folder
// are rejected too: AWS never writes them.
//
// When the folders are absent or rejected (a file copied out of its folder),
// an AWS file name
// {account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}{ext},
// with ext one of .log.gz, .log.parquet, .parquet, .log or nothing, still
// gives Account, Region, FlowLogID, FileTime, and Date and Hour from the
// stamp; Layout stays "" because no layout was seen. When both are present
// the folders win and any disagreement is recorded in Conflict.
func ParseKey(key string) Partition {
	elems := splitKey(key)
	if i := lastIndexOf(elems, awsLogsDir); i >= 0 {
		rest := elems[i+1:]
		if n := len(rest); n > 0 && rest[n-1] == "" {
			rest = rest[:n-1] // "…/21/": a prefix ending in a slash
		}
		if p, file, ok := parseFolders(rest); ok {
			if i > 0 {
				p.Prefix = strings.Join(elems[:i], "/") + "/"
			}
			if file != "" {
				if f, ok := parseFileName(file); ok {
					p.FlowLogID = f.FlowLogID
					p.FileTime = f.FileTime
					p.Conflict = conflict(p, f)
				}
			}
			return p
		}
	}
	if n := len(elems); n > 0 {
		if f, ok := parseFileName(elems[n-1]); ok {
			return f
		}
	}
	return Partition{}
}

// splitKey turns a key, URL or path into its elements. An s3:// scheme and
// the bucket name that follows it are dropped, so that Prefix is the part of
// the key itself; a bucket-like first element without a scheme cannot be told
// apart from a folder and is kept.
func splitKey(key string) []string {
	s := filepath.ToSlash(key)
	if len(s) >= 5 && strings.EqualFold(s[:5], "s3://") {
		_, s, _ = strings.Cut(s[5:], "/")
	}
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}

func lastIndexOf(elems []string, want string) int {
	for i := len(elems) - 1; i >= 0; i-- {
		if elems[i] == want {
			return i
		}
	}
	return -1
}

// parseFolders parses the elements after "AWSLogs". It returns the partition
// the folders describe and the file name, "" when the key stops at a folder.
// At least the service segment must be present: AWSLogs/{account}/ alone is
// shared with CloudTrail, ELB and other services' logs.
func parseFolders(rest []string) (p Partition, file string, ok bool) {
	for _, e := range rest {
		if e == "" {
			return Partition{}, "", false // "a//b": not something AWS writes
		}
	}
	if len(rest) < 2 {
		return Partition{}, "", false
	}
	hive := strings.HasPrefix(rest[0], "aws-account-id=")
	if hive {
		p.Layout = LayoutHive
		p.Account = strings.TrimPrefix(rest[0], "aws-account-id=")
		// The Transit Gateway guide prints "service=" where every other
		// source has "aws-service=": probably a typo, accepted anyway.
		if rest[1] != "aws-service="+flowLogService && rest[1] != "service="+flowLogService {
			return Partition{}, "", false
		}
	} else {
		p.Layout = LayoutPlain
		p.Account = rest[0]
		if rest[1] != flowLogService {
			return Partition{}, "", false
		}
	}
	if !ValidAccount(p.Account) {
		return Partition{}, "", false
	}
	p.Service = flowLogService

	// The levels below the service, with their Hive names. Each may be the
	// last element of a listing prefix.
	levels := rest[2:]
	val := func(i int, hiveKey string) (string, bool) {
		if !hive {
			return levels[i], true
		}
		return strings.CutPrefix(levels[i], hiveKey+"=")
	}
	if len(levels) == 0 {
		return p, "", true
	}
	region, ok := val(0, "aws-region")
	if !ok || !ValidRegion(region) {
		return Partition{}, "", false
	}
	p.Region = region
	if len(levels) == 1 {
		return p, "", true
	}
	year, ok := val(1, "year")
	if !ok || len(year) != 4 || !allDigits(year) {
		return Partition{}, "", false
	}
	if len(levels) == 2 {
		return p, "", true // a year prefix; Date needs the day
	}
	month, ok := val(2, "month")
	if !ok || !twoDigitsIn(month, 1, 12) {
		return Partition{}, "", false
	}
	if len(levels) == 3 {
		return p, "", true // a month prefix
	}
	day, ok := val(3, "day")
	if !ok || len(day) != 2 || !allDigits(day) {
		return Partition{}, "", false
	}
	date := year + "/" + month + "/" + day
	if _, err := time.Parse(datePartitionLayout, date); err != nil {
		return Partition{}, "", false // 2023/02/30 and the like
	}
	p.Date = date

	// Below the day: an hour folder, a file, or an hour folder and a file.
	below := levels[4:]
	if len(below) > 0 && isHourElem(below[0], hive) {
		hour := below[0]
		if hive {
			hour = strings.TrimPrefix(hour, "hour=")
		}
		if !twoDigitsIn(hour, 0, 23) {
			return Partition{}, "", false
		}
		p.Hour = hour
		if hive {
			p.Layout = LayoutHiveHourly
		} else {
			p.Layout = LayoutHourly
		}
		below = below[1:]
	}
	switch len(below) {
	case 0:
		return p, "", true
	case 1:
		return p, below[0], true
	}
	return Partition{}, "", false // deeper than AWS ever writes
}

// InvalidPartition checks the Hive-style partition folders of a path or key
// (AWSLogs/aws-account-id=.../aws-service=vpcflowlogs/aws-region=.../
// year=.../month=.../day=.../hour=...) and returns what is wrong with the
// first whose value is not what AWS writes there, naming the folder, or ""
// when none is wrong (or the path does not follow the Hive layout of flow
// logs). ParseKey learns nothing from such a path, so without this check a
// file under aws-region=not-a-region or year=000x/month=13/day=99 would be
// loaded as if its Region and day were unknown, and the folder's mistake
// would go unnoticed (issue 17.17).
func InvalidPartition(key string) string {
	elems := splitKey(key)
	i := lastIndexOf(elems, awsLogsDir)
	if i < 0 || i+1 >= len(elems) || !strings.HasPrefix(elems[i+1], "aws-account-id=") {
		return ""
	}
	var ymd [3]string
	for _, e := range elems[i+1:] {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			continue
		}
		var want string
		switch k {
		case "aws-service", "service":
			if v != flowLogService {
				return "" // another service's logs: not ours to judge
			}
		case "aws-account-id":
			if !ValidAccount(v) {
				want = "an account id of 12 digits"
			}
		case "aws-region":
			if !ValidRegion(v) {
				want = "a Region name such as us-east-1"
			}
		case "year":
			if len(v) != 4 || !allDigits(v) {
				want = "a year of 4 digits"
			}
			ymd[0] = v
		case "month":
			if !twoDigitsIn(v, 1, 12) {
				want = "a month 01 to 12"
			}
			ymd[1] = v
		case "day":
			if !twoDigitsIn(v, 1, 31) {
				want = "a day 01 to 31"
			}
			ymd[2] = v
		case "hour":
			if !twoDigitsIn(v, 0, 23) {
				want = "an hour 00 to 23"
			}
		}
		if want != "" {
			return fmt.Sprintf("its folder %q is not %s", e, want)
		}
	}
	if ymd[0] != "" && ymd[1] != "" && ymd[2] != "" {
		if _, err := time.Parse(datePartitionLayout, ymd[0]+"/"+ymd[1]+"/"+ymd[2]); err != nil {
			return fmt.Sprintf("its folders year=%s/month=%s/day=%s are not a date", ymd[0], ymd[1], ymd[2])
		}
	}
	return ""
}

// isHourElem reports whether the element after the day folder is meant as an
// hour folder. In the plain layout any two-digit element is taken as one (and
// then must be 00-23): AWS file names are never two digits, and reading "24"
// as a file name would hide a malformed path.
func isHourElem(e string, hive bool) bool {
	if hive {
		return strings.HasPrefix(e, "hour=")
	}
	return len(e) == 2 && allDigits(e)
}

// parseFileName recognises AWS's file naming and returns what the name says,
// with Date and Hour taken from the stamp.
func parseFileName(name string) (Partition, bool) {
	for _, ext := range []string{".log.gz", ".log.parquet", ".parquet", ".log"} {
		if s, ok := strings.CutSuffix(name, ext); ok {
			name = s
			break
		}
	}
	parts := strings.Split(name, "_")
	if len(parts) != 6 {
		return Partition{}, false
	}
	account, service, region, id, stamp, hash := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]
	if !ValidAccount(account) || service != flowLogService || !ValidRegion(region) {
		return Partition{}, false
	}
	if !strings.HasPrefix(id, "fl-") || !lowerAlnum(id[3:]) || !lowerAlnum(hash) {
		return Partition{}, false
	}
	t, ok := parseStamp(stamp)
	if !ok {
		return Partition{}, false
	}
	return Partition{
		Account:   account,
		Region:    region,
		Date:      t.Format(datePartitionLayout),
		Hour:      t.Format("15"),
		Service:   flowLogService,
		FlowLogID: id,
		FileTime:  t,
	}, true
}

// DeliveryName returns the AWS file name of a delivery without its
// extension, {account}_vpcflowlogs_{region}_{flow-log-id}_{stamp}_{hash}, for
// a path or key whose base name is one of AWS's; "" otherwise. Copies of one
// delivery share it wherever they are and whatever their container: the
// .log.gz AWS wrote, the .log gunzipped from it, a partial download and the
// good copy fetched later. (The hash part is AWS's, per object, so two
// deliveries of one flow log in the same five minutes have different
// names.)
func DeliveryName(p string) string {
	base := p
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	if _, ok := parseFileName(base); !ok {
		return ""
	}
	for _, ext := range []string{".log.gz", ".log.parquet", ".parquet", ".log"} {
		if s, ok := strings.CutSuffix(base, ext); ok {
			return s
		}
	}
	return base
}

// parseStamp parses YYYYMMDDTHHmmZ as UTC. The T and Z are accepted in lower
// case as well, so that a copy whose names were lower-cased is still dated.
func parseStamp(s string) (time.Time, bool) {
	if len(s) != 14 || (s[8] != 'T' && s[8] != 't') || (s[13] != 'Z' && s[13] != 'z') {
		return time.Time{}, false
	}
	digits := s[:8] + s[9:13]
	if !allDigits(digits) {
		return time.Time{}, false
	}
	t, err := time.Parse("200601021504", digits)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// conflict describes where the folders (dir) and the file name (f) disagree.
// The hour is compared only for hourly layouts, where the folders have one.
func conflict(dir, f Partition) string {
	var diffs []string
	cmp := func(what, d, n string) {
		if d != "" && d != n {
			diffs = append(diffs, fmt.Sprintf("folders say %s %s, file name says %s", what, d, n))
		}
	}
	cmp("account", dir.Account, f.Account)
	cmp("region", dir.Region, f.Region)
	cmp("date", dir.Date, f.Date)
	cmp("hour", dir.Hour, f.Hour)
	return strings.Join(diffs, "; ")
}

// Bounds on where a record can sit relative to the time an object's key
// names, used by ObjectOverlaps and ListingWindow.
const (
	// fileSpan: how far a record's end can sit from its file's stamp. The
	// meaning of the stamp changed across AWS's docs: a file stamped 16:20
	// held ends in 16:15:01-16:20:00 (2018), 16:15:00-16:19:59 (2019) and
	// holds ends in 16:20:00-16:24:59 (2021 on). Taking all three, ends lie
	// within [stamp-5m, stamp+5m).
	fileSpan = 5 * time.Minute
	// recordSpan: how far a record's start can precede its end: the longest
	// aggregation interval (600 s) plus the capture delay (60 s).
	recordSpan = 600*time.Second + 60*time.Second
	// slack widens, on both sides, the windows of day and hour folders and
	// of the folder listing (ListingWindow); file stamps use stampSlack.
	// Delivery is best effort, and the folder a file lands in is derived by
	// AWS in a way the docs do not pin down. Reading a few more files costs
	// little; missing evidence is the failure that matters, so the margin is
	// generous. It cannot cover everything: a record delivered more than an
	// hour late into a later file would be pruned, so a search that must be
	// exhaustive should not prune at all.
	slack = time.Hour
	// stampSlack is the margin for objects whose file name carries AWS's
	// time stamp. Its meaning is documented (fileSpan covers all three
	// readings), so one more 5-minute delivery window on each side is enough,
	// and a pruned ingest of a two-hour window fetches about 30 five-minute
	// objects instead of the 24 that hold its records, not 50.
	stampSlack = 5 * time.Minute
	// late: how much later than its records a file may be, by its stamp or
	// folder, when AWS delivered them late (issue 17.11). AWS: "The flow log
	// service typically delivers logs to CloudWatch Logs in about 5 minutes
	// and to Amazon S3 in about 10 minutes. However, log delivery is best
	// effort, and your logs might be delayed beyond the typical delivery
	// time." Late records only ever sit in later files, so only the side
	// of --until widens: files named up to an hour after it are read, and
	// the records in them outside the window are counted out of window.
	late = time.Hour
)

// ObjectOverlaps reports whether an object whose key parsed to p may contain
// records with end >= from and start < to. A zero from or to leaves that side
// unbounded. It is a pruning test, so it errs towards true: an object is only
// ruled out when no record it could hold under any documented reading of the
// layout could match, and a Partition that says nothing about time (zero, or a
// prefix above the day) always gives true.
//
// Reasoning: the file stamp (or, without one, the hour or day folder) gives a
// nominal window [a, b). Record ends lie within fileSpan of it, so an end can
// only be >= from if from < b+fileSpan; a start precedes its end by at most
// recordSpan, so a start can only be < to if a-fileSpan-recordSpan < to. In
// particular records in a day folder may start in the previous day. Both
// bounds are then widened by slack (one hour) for folders, and by stampSlack
// (five minutes) for file stamps, whose meaning is documented. When Conflict
// says the folders and the stamp disagree, either may be the true one, so the
// object is kept if either window could match.
func ObjectOverlaps(p Partition, from, to time.Time) bool {
	type window struct {
		a, b   time.Time
		margin time.Duration
	}
	var windows []window
	if !p.FileTime.IsZero() {
		windows = append(windows, window{p.FileTime, p.FileTime, stampSlack})
	}
	if p.FileTime.IsZero() || p.Conflict != "" {
		if a, b, ok := folderWindow(p); ok {
			windows = append(windows, window{a, b, slack})
		}
	}
	if len(windows) == 0 {
		return true
	}
	for _, w := range windows {
		endLimit := w.b.Add(fileSpan + w.margin)                          // every end is before this
		startFloor := w.a.Add(-(fileSpan + recordSpan + w.margin + late)) // no start is before this
		if (from.IsZero() || from.Before(endLimit)) && (to.IsZero() || startFloor.Before(to)) {
			return true
		}
	}
	return false
}

// folderWindow is the nominal window of p's day or hour folder.
func folderWindow(p Partition) (a, b time.Time, ok bool) {
	day, err := time.Parse(datePartitionLayout, p.Date)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	if !twoDigitsIn(p.Hour, 0, 23) { // no hour folder (or a hand-made Partition): the day
		return day, day.AddDate(0, 0, 1), true
	}
	h := time.Duration(int(p.Hour[0]-'0')*10+int(p.Hour[1]-'0')) * time.Hour
	return day.Add(h), day.Add(h + time.Hour), true
}

// ListingWindow widens a search range [from, to) to the range of folder times
// whose objects may hold matching records, by the same margins ObjectOverlaps
// uses: PrefixesFor(prefix, accounts, regions, lo, hi, …) with lo, hi from
// here lists exactly the day or hour folders whose partitions ObjectOverlaps
// accepts. Zero times stay zero (unbounded).
func ListingWindow(from, to time.Time) (lo, hi time.Time) {
	if !from.IsZero() {
		lo = from.Add(-(fileSpan + slack))
	}
	if !to.IsZero() {
		hi = to.Add(fileSpan + recordSpan + slack + late)
	}
	return lo, hi
}

// PrefixesFor returns, sorted, the S3 key prefixes a listing must cover to see
// every object of the given accounts and regions in the day (or, with hourly,
// hour) folders that overlap [from, to) in UTC: from the folder containing
// from to the folder containing to-1ns. It is a calendar computation on
// folder names only; the records in a folder can start before it and the
// folder a record lands in is fuzzy (see ObjectOverlaps), so to find records
// in [from, to) pass the range through ListingWindow first.
//
// prefix is the user's key prefix as in Partition.Prefix ("logs/prod/"); a
// missing trailing slash is added and a trailing "AWSLogs" element is dropped,
// because AWS does not allow the user's prefix to be AWSLogs, so it can only
// be a copy of AWS's own folder. layout is "plain" or "hive"; "hourly" and
// "hive-hourly" name the same trees with hourly implied. Any other layout
// gives nil.
//
// Levels the caller leaves open stop the prefixes there: no accounts gives
// prefix+"AWSLogs/", no regions gives each account's service folder, and a
// zero from or to gives each region folder. Empty strings in accounts or
// regions are ignored; other values are used as given (validate them with
// ValidAccount and ValidRegion: a mistyped account lists nothing, silently).
// A range with to <= from covers no folder and gives nil.
//
// For Hive, each account also gets a prefix for "service=vpcflowlogs", the
// spelling the Transit Gateway guide prints: it is probably a typo, and
// listing it at the account level costs one request that normally returns
// nothing, whereas missing it if it were real would lose evidence.
//
// Whole months are not collapsed into one prefix: a listing's cost is
// dominated by the number of objects, not of prefixes, and per-folder prefixes
// can be listed in parallel.
func PrefixesFor(prefix string, accounts, regions []string, from, to time.Time, layout string, hourly bool) []string {
	var hive bool
	switch layout {
	case LayoutPlain:
	case LayoutHourly:
		hourly = true
	case LayoutHive:
		hive = true
	case LayoutHiveHourly:
		hive, hourly = true, true
	default:
		return nil
	}
	bounded := !from.IsZero() && !to.IsZero()
	if bounded && !from.Before(to) {
		return nil
	}

	root := prefix
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	if root == awsLogsDir+"/" || strings.HasSuffix(root, "/"+awsLogsDir+"/") {
		root = strings.TrimSuffix(root, awsLogsDir+"/")
	}
	root += awsLogsDir + "/"

	accounts, regions = nonEmptyUnique(accounts), nonEmptyUnique(regions)
	if len(accounts) == 0 {
		return []string{root}
	}

	// Folder times, as the part of the key below the region folder.
	var times []string
	if bounded {
		times = folderTimes(from.UTC(), to.UTC(), hive, hourly)
	}

	var out []string
	for _, acct := range accounts {
		var svc string
		if hive {
			svc = root + "aws-account-id=" + acct + "/aws-service=" + flowLogService + "/"
			out = append(out, root+"aws-account-id="+acct+"/service="+flowLogService+"/")
		} else {
			svc = root + acct + "/" + flowLogService + "/"
		}
		if len(regions) == 0 {
			out = append(out, svc)
			continue
		}
		for _, region := range regions {
			reg := svc + region + "/"
			if hive {
				reg = svc + "aws-region=" + region + "/"
			}
			if !bounded {
				out = append(out, reg)
				continue
			}
			for _, t := range times {
				out = append(out, reg+t)
			}
		}
	}
	// Every prefix ends at a folder boundary and all of them stop at the same
	// level, so none covers another; sorting and dropping exact duplicates
	// (from values such as a region given twice) leaves the minimal set.
	sort.Strings(out)
	return slices.Compact(out)
}

// folderTimes lists the day or hour folder paths (below the region folder)
// from the folder containing from to the folder containing to-1ns.
func folderTimes(from, to time.Time, hive, hourly bool) []string {
	last := to.Add(-time.Nanosecond)
	var out []string
	if hourly {
		for t := from.Truncate(time.Hour); !t.After(last); t = t.Add(time.Hour) {
			out = append(out, folderPath(t, hive, true))
		}
		return out
	}
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for ; !day.After(last); day = day.AddDate(0, 0, 1) {
		out = append(out, folderPath(day, hive, false))
	}
	return out
}

func folderPath(t time.Time, hive, hourly bool) string {
	if hive {
		s := t.Format("year=2006/month=01/day=02/")
		if hourly {
			s += t.Format("hour=15/")
		}
		return s
	}
	if hourly {
		return t.Format("2006/01/02/15/")
	}
	return t.Format("2006/01/02/")
}

func nonEmptyUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func allDigits(s string) bool {
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

// twoDigitsIn reports whether s is exactly two digits with a value in [lo, hi].
func twoDigitsIn(s string, lo, hi int) bool {
	if len(s) != 2 || !allDigits(s) {
		return false
	}
	v := int(s[0]-'0')*10 + int(s[1]-'0')
	return v >= lo && v <= hi
}

// lowerAlnum reports whether s is non-empty lower-case letters and digits, the
// alphabet of flow log ids and of the hash in AWS's file names.
func lowerAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
