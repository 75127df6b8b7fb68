package store

import (
	"fmt"
	"strings"
)

// Presto/Trino compatibility.
//
// The playbook's queries were written for Amazon Athena (engine v3, which is
// Trino), and flowir promises that they run unchanged on a case. DuckDB's SQL
// is close to Trino's but not equal: some functions are missing
// (from_unixtime, date_format with MySQL specifiers, date_parse, to_iso8601,
// day_of_week, regexp_like, approx_distinct, ...) and, worse, some exist under
// the same name with different results (date_diff counts unit boundaries
// crossed where Trino counts whole elapsed units; split_part and
// regexp_extract return '' where Trino returns NULL; regexp_replace replaces
// the first match where Trino replaces all; concat skips NULLs; `/` on
// integers is floating point). A silent difference is the dangerous kind: a
// report would carry a number Athena would not have given. prestoCompatSQL
// closes those gaps with session settings and TEMP macros, so it needs no
// extension, no UDF registered from Go and no write to the database: it works
// on a READ_ONLY case and on every connection of the pool.
//
// Times. Athena's from_unixtime returns timestamp(3) with time zone in the
// session zone, which Athena fixes to UTC. flowir represents every time as a
// naive TIMESTAMP holding UTC wall-clock time, so from_unixtime returns a
// naive TIMESTAMP, and the functions here read naive timestamps as UTC. None of
// from_unixtime, to_unixtime, date_format, date_parse, date_diff, date_add,
// to_iso8601 or the extraction functions consult DuckDB's TimeZone setting
// when given naive TIMESTAMPs, so a responder's local zone cannot shift a
// result. TimeZone is still set to UTC, because DuckDB uses it wherever a
// TIMESTAMP WITH TIME ZONE meets a naive value (current_timestamp, casts,
// from_iso8601_timestamp of a string without an offset, current_date), and
// UTC is what Athena's session zone is.
//
// Where a Trino function cannot be reproduced exactly, the macro either
// raises an error (better than a plausible wrong answer) or the deviation is
// documented on the macro below and listed in PrestoDeviations.

// prestoMarker stands for '%' while a MySQL-style format is rewritten into a
// DuckDB strftime or strptime format (see prestoFormatChain). It is U+E000, a
// private use code point that does not occur in real format strings.
const prestoMarker = "chr(57344)"

// mysqlSpec maps one Trino (MySQL-style) date format specifier to DuckDB's
// strftime (printing) and strptime (parsing) equivalents. The mapping follows
// Trino's DateTimeFunctions.createDateTimeFormatter, which builds a Joda-Time
// formatter; Joda pads exactly as noted.
type mysqlSpec struct {
	spec     byte
	strftime string
	strptime string
	note     string
}

var mysqlSpecs = []mysqlSpec{
	{'a', "%a", "%a", "abbreviated weekday, Sun..Sat (English, as Athena's locale)"},
	{'b', "%b", "%b", "abbreviated month, Jan..Dec"},
	{'c', "%-m", "%m", "month 1..12, not padded (Joda appendMonthOfYear(1))"},
	{'d', "%d", "%d", "day of month 01..31"},
	{'e', "%-d", "%d", "day of month 1..31, not padded"},
	{'f', "%f", "%n", "fraction: Trino prints the milliseconds as six digits (000000..999000); parsing takes 1-9 digits, truncated to ms"},
	{'H', "%H", "%H", "hour 00..23"},
	{'h', "%I", "%I", "hour 01..12"},
	{'I', "%I", "%I", "hour 01..12"},
	{'i', "%M", "%M", "minutes 00..59"},
	{'j', "%j", "%j", "day of year 001..366"},
	{'k', "%-H", "%H", "hour 0..23, not padded"},
	{'l', "%-I", "%I", "hour 1..12, not padded"},
	{'M', "%B", "%B", "month name, January..December"},
	{'m', "%m", "%m", "month 01..12"},
	{'p', "%p", "%p", "AM or PM"},
	{'r', "%I:%M:%S %p", "%I:%M:%S %p", "time, 12-hour: hh:mm:ss AM"},
	{'S', "%S", "%S", "seconds 00..59"},
	{'s', "%S", "%S", "seconds 00..59"},
	{'T', "%H:%M:%S", "%H:%M:%S", "time, 24-hour"},
	{'v', "%V", "%V", "ISO week 01..53 (Joda weekOfWeekyear)"},
	{'x', "%G", "%G", "ISO week-based year, at least four digits (Joda weekyear)"},
	{'W', "%A", "%A", "weekday name, Sunday..Saturday"},
	{'Y', "%Y", "%Y", "year, at least four digits, zero padded (Joda appendYear(4, 4))"},
	{'y', "%y", "%y", "two-digit year; when parsing 70..99 is 19xx and 00..69 is 20xx"},
}

// mysqlUnsupported are the specifiers Trino rejects with
// "%<c> not supported in date format string" (createDateTimeFormatter throws
// for them). Every other unknown "%<c>" prints the character c.
const mysqlUnsupported = "DUuVwX"

// prestoFormatChain is the body of a macro that rewrites a MySQL-style
// format, already marked by presto_mysql_mark (every "%c" pair replaced by
// the marker and c, a lone trailing '%' dropped), into a DuckDB strftime
// (parse false) or strptime (parse true) format. It is a chain of replace()
// calls on purpose: DuckDB's strftime and strptime insist on a format they can
// fold to a constant when the query is bound, and a chain of plain scalar
// functions of a literal folds, where a lambda over tokens does not (a lambda
// version that printed token by token also ran about 40 times slower). The
// price is that date_format and date_parse need a constant format; anything
// else is DuckDB's error "format must be a constant", never a wrong value.
// Unsupported specifiers are dropped here; the callers raise Trino's error for
// them before the format is used.
func prestoFormatChain(parse bool) string {
	expr := "m"
	for _, s := range mysqlSpecs {
		to := s.strftime
		if parse {
			to = s.strptime
		}
		expr = fmt.Sprintf("replace(%s, %s || '%c', '%s')", expr, prestoMarker, s.spec, to)
	}
	expr = fmt.Sprintf("replace(%s, %s || '%%', '%%%%')", expr, prestoMarker)
	for _, c := range mysqlUnsupported {
		expr = fmt.Sprintf("replace(%s, %s || '%c', '')", expr, prestoMarker, c)
	}
	// Any other marked character stands for itself, as in Trino.
	return fmt.Sprintf("system.main.regexp_replace(%s, '(?s)' || %s || '(.)', '\\1', 'g')", expr, prestoMarker)
}

// prestoUnsupportedCheck is the CASE arm shared by date_format and date_parse:
// Trino's error for the first unsupported specifier of the format.
func prestoUnsupportedCheck(fmtArg string) string {
	mark := "presto_mysql_mark(" + fmtArg + ")"
	return fmt.Sprintf(`WHEN regexp_matches(%s, %s || '[%s]')
				THEN error('%%' || system.main.regexp_extract(%s, %s || '([%s])', 1) || ' not supported in date format string')`,
		mark, prestoMarker, mysqlUnsupported, mark, prestoMarker, mysqlUnsupported)
}

// concatOverloads builds concat(a1) .. concat(a1, ..., a16) as `||` chains:
// Trino's concat returns NULL when any argument is NULL, DuckDB's skips NULLs.
func concatOverloads() string {
	var parts []string
	for n := 1; n <= 16; n++ {
		args := make([]string, n)
		for i := range args {
			args[i] = fmt.Sprintf("a%d", i+1)
		}
		parts = append(parts, fmt.Sprintf("(%s) AS %s", strings.Join(args, ", "), strings.Join(args, " || ")))
	}
	return strings.Join(parts, ", ")
}

// utcZones are the zone names from_unixtime(x, zone) accepts: the ones whose
// offset is zero at every instant, so that a naive UTC TIMESTAMP is exact.
const utcZones = "'UTC', 'Z', 'UT', 'UCT', 'GMT', 'GMT0', 'ETC/UTC', 'ETC/UCT', 'ETC/GMT', 'ETC/GMT0', 'ETC/UNIVERSAL', 'ETC/ZULU', 'UNIVERSAL', 'ZULU', '+00:00', '-00:00'"

// prestoCompatSQL returns the statements to run on every new DuckDB
// connection (settings first, then macros). They are idempotent (CREATE OR
// REPLACE TEMP MACRO, SET) and write nothing to the database, so they work on
// a READ_ONLY case too. Native DuckDB behaviour stays reachable by qualifying
// the name, e.g. system.main.date_diff or system.main.regexp_replace.
func prestoCompatSQL() []string {
	var q []string
	for _, s := range prestoSettings() {
		q = append(q, "SET "+s)
	}
	return append(q, prestoMacros()...)
}

// prestoSettings are the settings of prestoCompatSQL, as "name = value". A
// read-only case sets them once with SET GLOBAL, the defaults every
// connection starts with, before it locks the configuration (readonly.go).
func prestoSettings() []string {
	return []string{
		// Athena's session zone is UTC; see the comment on times at the top
		// of this file.
		"TimeZone = 'UTC'",
		// Trino divides integers by integers as integers, truncating toward
		// zero: SUM(numbytes)/count(*) in the playbook's data-ratio query is
		// a BIGINT. DuckDB's `/` is floating point unless this is set. With it
		// set, `/` with a DOUBLE or DECIMAL operand stays fractional, as in
		// Trino. Deviation: integer division by zero gives NULL in DuckDB where
		// Trino raises "Division by zero".
		"integer_division = true",
		// Trino sorts NULLs last in both directions (ORDER BY total_bytes DESC
		// puts a NULL total at the end). This is DuckDB's default; set it so
		// that the behaviour does not depend on the default.
		"default_null_order = 'nulls_last'",
	}
}

// prestoMacros returns the CREATE OR REPLACE TEMP MACRO statements. Helpers
// are named presto_*; every other name is the Trino function it provides.
func prestoMacros() []string {
	m := []string{
		// --- helpers -------------------------------------------------------
		// Milliseconds since the epoch, floored, as Trino's
		// scaleEpochMicrosToMillis (used by date_diff), and the timestamp
		// floored or rounded half up (Trino's epochMicrosToMillisWithRounding
		// before it formats) to the millisecond. date_trunc works on the
		// calendar fields, so it floors before 1970 too, where integer
		// division would truncate toward zero. CAST(... AS TIMESTAMP) accepts
		// DATE, naive timestamps of any precision, and TIMESTAMP WITH TIME
		// ZONE (read in the session zone, UTC). Each argument is named once in
		// each body: a macro argument is copied wherever the body names it,
		// the copies nest, and an earlier version of date_parse held dozens of
		// copies of its format translation and took 0.3 s to bind.
		`CREATE OR REPLACE TEMP MACRO presto_floor_ms(t) AS date_trunc('millisecond', CAST(t AS TIMESTAMP))`,
		`CREATE OR REPLACE TEMP MACRO presto_epoch_ms(t) AS epoch_ms(presto_floor_ms(t))`,
		`CREATE OR REPLACE TEMP MACRO presto_round_ms(t) AS
			date_trunc('millisecond', CAST(t AS TIMESTAMP) + INTERVAL 500 MICROSECOND)`,
		// Java's Math.floorDiv for BIGINT a and a positive constant b (DuckDB's
		// // truncates toward zero), naming a once: a is shifted by a multiple
		// of b into the non-negative range of HUGEINT, divided, shifted back.
		`CREATE OR REPLACE TEMP MACRO presto_floordiv(a, b) AS
			CAST((CAST(a AS HUGEINT) + b * 10000000000000000000) // b - 10000000000000000000 AS BIGINT)`,

		// --- from_unixtime / to_unixtime -----------------------------------
		// Trino: packDateTimeWithZone(Math.round(unixtime * 1000), session
		// zone). Math.round is floor(x + 0.5). Integer or double seconds;
		// the result is a naive TIMESTAMP in UTC with millisecond precision.
		`CREATE OR REPLACE TEMP MACRO presto_from_unixtime(x) AS
			epoch_ms(CAST(floor(CAST(x AS DOUBLE) * 1000 + 0.5) AS BIGINT))`,
		// The zone forms return a timestamp in another zone in Trino. flowir's
		// naive TIMESTAMPs are UTC by contract, so only zones that are UTC at
		// every instant are accepted; any other zone is an error rather than
		// a wall-clock time that would later be read as UTC.
		`CREATE OR REPLACE TEMP MACRO from_unixtime(x) AS presto_from_unixtime(x),
			(x, zone) AS CASE
				WHEN x IS NULL OR zone IS NULL THEN NULL
				WHEN upper(zone) IN (` + utcZones + `) THEN presto_from_unixtime(x)
				ELSE error('from_unixtime(unixtime, ''' || zone || '''): flowir keeps every time in UTC and accepts only UTC zones here; use from_unixtime(unixtime)')
			END,
			(x, hours, minutes) AS CASE
				WHEN x IS NULL OR hours IS NULL OR minutes IS NULL THEN NULL
				WHEN hours = 0 AND minutes = 0 THEN presto_from_unixtime(x)
				ELSE error('from_unixtime(unixtime, hours, minutes): flowir keeps every time in UTC and accepts only a zero offset here; use from_unixtime(unixtime)')
			END`,
		// Trino: epoch seconds as a double (millis / 1000.0 for the
		// timestamp(3) values from_unixtime makes).
		`CREATE OR REPLACE TEMP MACRO to_unixtime(t) AS CAST(epoch_us(CAST(t AS TIMESTAMP)) AS DOUBLE) / 1e6`,

		// --- date_format / date_parse --------------------------------------
		// The MySQL-style format is translated once, at bind time, into a
		// strftime format (see prestoFormatChain) and applied to the
		// timestamp rounded half up to milliseconds, as Trino does before it
		// formats. NULL timestamp or format gives NULL: Trino does not call
		// the function then, so a NULL timestamp with an unsupported specifier
		// is not an error there either.
		`CREATE OR REPLACE TEMP MACRO presto_mysql_mark(fmt) AS
			system.main.regexp_replace(system.main.regexp_replace(fmt, '(?s)%(.)', ` + prestoMarker + ` || '\1', 'g'),
				'(^|[^' || ` + prestoMarker + ` || '])%$', '\1')`,
		`CREATE OR REPLACE TEMP MACRO presto_strftime_format(m) AS ` + prestoFormatChain(false),
		// DuckDB refuses an empty strftime/strptime format, which an empty
		// Trino format (or one of only a trailing '%') becomes; the marker is
		// appended to the format (and to the parsed string) and dropped again.
		`CREATE OR REPLACE TEMP MACRO presto_drop_last(s) AS substr(s, 1, length(s) - 1)`,
		`CREATE OR REPLACE TEMP MACRO presto_strptime_format(m) AS ` + prestoFormatChain(true),
		`CREATE OR REPLACE TEMP MACRO date_format(t, fmt) AS CASE
			WHEN t IS NULL OR fmt IS NULL THEN NULL
			` + prestoUnsupportedCheck("fmt") + `
			ELSE presto_drop_last(strftime(presto_round_ms(t), presto_strftime_format(presto_mysql_mark(fmt)) || ` + prestoMarker + `))
			END`,
		// date_parse: after strptime, fractions are truncated to milliseconds
		// (Trino returns timestamp(3); Joda drops digits past the third); a
		// format without a year defaults to 1970 as in Joda-Time, not
		// DuckDB's 1900; and %y reads "69" as 2069 (Trino's pivot: 70..99 ->
		// 19xx, 00..69 -> 20xx) where DuckDB reads 1969, the only two-digit
		// year on which they differ; a 12-hour clock without AM/PM reads
		// "12" as 00 (Joda defaults the half day to AM; DuckDB reads 12:00).
		// strptime gives TIMESTAMP_NS when the
		// format has %f (mapped to %n, 1-9 digits); its epoch_ns is floored
		// directly because DuckDB's cast to TIMESTAMP truncates toward zero,
		// which is wrong before 1970. Without %f there is no fraction.
		`CREATE OR REPLACE TEMP MACRO presto_parsed_ms(p) AS CASE
			WHEN typeof(p) = 'TIMESTAMP_NS' THEN make_timestamp(presto_floordiv(epoch_ns(p), 1000000) * 1000)
			ELSE CAST(p AS TIMESTAMP)
			END`,
		`CREATE OR REPLACE TEMP MACRO presto_date_parse_fix(t, m) AS t + CASE
			WHEN NOT regexp_matches(m, ` + prestoMarker + ` || '[Yyx]') THEN INTERVAL 70 YEAR
			WHEN contains(m, ` + prestoMarker + ` || 'y') AND year(t) = 1969 THEN INTERVAL 100 YEAR
			ELSE INTERVAL 0 YEAR END + CASE
			WHEN regexp_matches(m, ` + prestoMarker + ` || '[hIl]') AND NOT regexp_matches(m, ` + prestoMarker + ` || '[pr]')
				AND hour(t) = 12 THEN INTERVAL '-12' HOUR
			ELSE INTERVAL 0 HOUR END`,
		`CREATE OR REPLACE TEMP MACRO date_parse(s, fmt) AS CASE
			WHEN s IS NULL OR fmt IS NULL THEN NULL
			` + prestoUnsupportedCheck("fmt") + `
			ELSE presto_date_parse_fix(presto_parsed_ms(strptime(s || ` + prestoMarker + `, presto_strptime_format(presto_mysql_mark(fmt)) || ` + prestoMarker + `)), presto_mysql_mark(fmt))
			END`,

		// --- date_diff / date_add ------------------------------------------
		// Trino (Joda-Time, UTC chronology): timestamp2 - timestamp1 in whole
		// elapsed units, truncated toward zero, on millisecond-floored
		// values; DuckDB's own date_diff counts unit boundaries crossed
		// instead (10:00:59 -> 10:01:00 is 1 minute there, 0 in Trino).
		// Units up to week are fixed lengths in UTC, so they are exact
		// millisecond arithmetic. Month, quarter and year use DuckDB's
		// date_sub, which counts whole elapsed months with the same
		// end-of-month rule as Joda (Jan 31 -> Feb 29 is one month); the
		// tests pin the edge cases. DATE arguments work as midnight
		// timestamps (Trino rejects units below a day for DATE).
		`CREATE OR REPLACE TEMP MACRO date_diff(unit, t1, t2) AS CASE
			WHEN unit IS NULL OR t1 IS NULL OR t2 IS NULL THEN NULL
			ELSE CASE lower(unit)
				WHEN 'millisecond' THEN presto_epoch_ms(t2) - presto_epoch_ms(t1)
				WHEN 'second' THEN (presto_epoch_ms(t2) - presto_epoch_ms(t1)) // 1000
				WHEN 'minute' THEN (presto_epoch_ms(t2) - presto_epoch_ms(t1)) // 60000
				WHEN 'hour' THEN (presto_epoch_ms(t2) - presto_epoch_ms(t1)) // 3600000
				WHEN 'day' THEN (presto_epoch_ms(t2) - presto_epoch_ms(t1)) // 86400000
				WHEN 'week' THEN (presto_epoch_ms(t2) - presto_epoch_ms(t1)) // 604800000
				WHEN 'month' THEN system.main.date_sub('month', presto_floor_ms(t1), presto_floor_ms(t2))
				WHEN 'quarter' THEN system.main.date_sub('quarter', presto_floor_ms(t1), presto_floor_ms(t2))
				WHEN 'year' THEN system.main.date_sub('year', presto_floor_ms(t1), presto_floor_ms(t2))
				ELSE error('''' || lower(unit) || ''' is not a valid Timestamp field')
			END END`,
		// Trino's date_add(unit, value, timestamp). Months clamp to the end
		// of the month (Jan 31 + 1 month = Feb 29 in 2020) in both engines.
		// Deviation: a DATE argument gives a TIMESTAMP (Trino: DATE). The
		// two-argument form keeps DuckDB's own date_add(date, interval).
		`CREATE OR REPLACE TEMP MACRO date_add(unit, n, t) AS CASE
			WHEN unit IS NULL OR n IS NULL OR t IS NULL THEN NULL
			ELSE CASE lower(unit)
				WHEN 'millisecond' THEN t + n * INTERVAL 1 MILLISECOND
				WHEN 'second' THEN t + n * INTERVAL 1 SECOND
				WHEN 'minute' THEN t + n * INTERVAL 1 MINUTE
				WHEN 'hour' THEN t + n * INTERVAL 1 HOUR
				WHEN 'day' THEN t + n * INTERVAL 1 DAY
				WHEN 'week' THEN t + n * INTERVAL 7 DAY
				WHEN 'month' THEN t + n * INTERVAL 1 MONTH
				WHEN 'quarter' THEN t + n * INTERVAL 3 MONTH
				WHEN 'year' THEN t + n * INTERVAL 1 YEAR
				ELSE error('''' || lower(unit) || ''' is not a valid Timestamp field')
			END END,
			(d, i) AS d + i`,

		// --- ISO 8601 ------------------------------------------------------
		// Trino prints timestamp(3) with time zone UTC, which is what
		// from_unixtime gives in Athena, as 2020-09-13T12:26:40.000Z, and a
		// DATE as 2020-09-13. Deviation: Trino prints a plain timestamp
		// without the Z, but here every naive TIMESTAMP is a UTC instant, so
		// the Z is always written, and always with milliseconds.
		`CREATE OR REPLACE TEMP MACRO to_iso8601(t) AS CASE
			WHEN t IS NULL THEN NULL
			WHEN typeof(t) = 'DATE' THEN strftime(t, '%Y-%m-%d')
			ELSE strftime(presto_round_ms(t), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'
			END`,
		// Trino returns timestamp(3) with the parsed offset (the session
		// zone, UTC, when there is none). Here: the same instant as a naive
		// UTC TIMESTAMP, truncated to milliseconds as Joda does. Accepts
		// date, date-time with or without seconds and fraction, and Z or
		// +hh[:mm] offsets; Joda's rarer ISO forms (week dates, ordinal
		// dates, hour-only times) are errors here. A space instead of the T
		// is accepted (Trino rejects it).
		`CREATE OR REPLACE TEMP MACRO from_iso8601_timestamp(s) AS presto_floor_ms(timezone('UTC', CAST(s AS TIMESTAMPTZ)))`,
		`CREATE OR REPLACE TEMP MACRO from_iso8601_date(s) AS CAST(s AS DATE)`,

		// --- extraction ----------------------------------------------------
		// DuckDB's day, month, year, hour, minute, second, quarter and week
		// (ISO) already match Trino. These are the names DuckDB lacks or
		// means differently.
		`CREATE OR REPLACE TEMP MACRO day_of_week(t) AS isodow(t)`, // 1 = Monday .. 7 = Sunday
		`CREATE OR REPLACE TEMP MACRO dow(t) AS isodow(t)`,
		`CREATE OR REPLACE TEMP MACRO day_of_month(t) AS day(t)`,
		`CREATE OR REPLACE TEMP MACRO day_of_year(t) AS dayofyear(t)`,
		`CREATE OR REPLACE TEMP MACRO doy(t) AS dayofyear(t)`,
		`CREATE OR REPLACE TEMP MACRO year_of_week(t) AS isoyear(t)`,
		`CREATE OR REPLACE TEMP MACRO yow(t) AS isoyear(t)`,
		`CREATE OR REPLACE TEMP MACRO week_of_year(t) AS week(t)`,
		`CREATE OR REPLACE TEMP MACRO last_day_of_month(t) AS last_day(t)`,
		// Trino: millisecond of the second (0..999); DuckDB's millisecond()
		// counts from the start of the minute (0..59999).
		`CREATE OR REPLACE TEMP MACRO millisecond(t) AS system.main.millisecond(CAST(t AS TIMESTAMP)) % 1000`,
		`CREATE OR REPLACE TEMP MACRO current_timezone() AS current_setting('TimeZone')`,

		// --- strings and regular expressions -------------------------------
		// Trino: index must be > 0 (error otherwise); past the last field is
		// NULL. DuckDB: '' for both, and negative indexes count from the end.
		`CREATE OR REPLACE TEMP MACRO split_part(s, delim, idx) AS CASE
			WHEN s IS NULL OR delim IS NULL OR idx IS NULL THEN NULL
			WHEN idx < 1 THEN error('Index must be greater than zero')
			ELSE string_split(s, delim)[idx]
			END`,
		// Trino concat is NULL if any argument is NULL.
		`CREATE OR REPLACE TEMP MACRO concat` + concatOverloads(),
		`CREATE OR REPLACE TEMP MACRO regexp_like(s, pattern) AS regexp_matches(s, pattern)`,
		`CREATE OR REPLACE TEMP MACRO regexp_split(s, pattern) AS regexp_split_to_array(s, pattern)`,
		// Trino replaces every match (DuckDB: the first unless 'g'), and its
		// replacement refers to groups as $1 with \$ a literal dollar and \\
		// a literal backslash (Java style); DuckDB (RE2) writes \1. The
		// replacement is translated token by token. \<digit> is kept as a
		// group reference for DuckDB habits (Trino would print the digit).
		// ${name} is not supported by RE2 and raises an error. DuckDB's
		// four-argument form (options 'g', 'i', ...) cannot be wrapped, since
		// DuckDB checks at CREATE time that options are a constant: call it
		// as system.main.regexp_replace.
		`CREATE OR REPLACE TEMP MACRO presto_java_replacement(r) AS
			array_to_string(list_transform(regexp_extract_all(r, '(?s)\\.|\$[0-9]|\$\{[^}]*\}|\$|[^\\$]+'),
				lambda tok: CASE
					WHEN tok = '\\' THEN '\\'
					WHEN regexp_matches(tok, '^\\[0-9]$') THEN tok
					WHEN starts_with(tok, '\') THEN substr(tok, 2)
					WHEN regexp_matches(tok, '^\$[0-9]$') THEN '\' || substr(tok, 2)
					WHEN starts_with(tok, '$') THEN error('regexp_replace: unsupported group reference in replacement: ' || tok)
					ELSE tok END), '')`,
		`CREATE OR REPLACE TEMP MACRO regexp_replace(s, pattern) AS system.main.regexp_replace(s, pattern, '', 'g'),
			(s, pattern, replacement) AS system.main.regexp_replace(s, pattern, presto_java_replacement(replacement), 'g')`,
		// Trino: NULL when the pattern does not match; DuckDB: ''.
		// Deviation kept: an optional group that did not take part in the
		// match is '' here (Trino: NULL).
		`CREATE OR REPLACE TEMP MACRO regexp_extract(s, pattern) AS
				CASE WHEN regexp_matches(s, pattern) THEN system.main.regexp_extract(s, pattern) END,
			(s, pattern, grp) AS
				CASE WHEN regexp_matches(s, pattern) THEN system.main.regexp_extract(s, pattern, grp) END,
			(s, pattern, grp, options) AS system.main.regexp_extract(s, pattern, grp, options)`,
		// Trino's json_extract_scalar is NULL for objects and arrays; DuckDB's
		// json_extract_string would return their JSON text.
		`CREATE OR REPLACE TEMP MACRO json_extract_scalar(j, path) AS
			CASE WHEN json_type(j, path) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, path) END`,

		// --- arrays, aggregates, numbers -----------------------------------
		// Trino's cardinality takes arrays (and maps); DuckDB's only maps.
		// Here it takes lists; a map needs system.main.cardinality.
		`CREATE OR REPLACE TEMP MACRO cardinality(x) AS len(x)`,
		// Both skip NULL elements unless a replacement is given.
		`CREATE OR REPLACE TEMP MACRO array_join(x, sep) AS array_to_string(x, sep),
			(x, sep, null_replacement) AS array_to_string(list_transform(x, lambda e: coalesce(CAST(e AS VARCHAR), null_replacement)), sep)`,
		// Deliberate deviation: Athena's approx_distinct is a HyperLogLog
		// estimate (standard error 2.3%) whose exact value no other engine
		// reproduces; flowir returns the exact count of distinct non-NULL
		// values, which lies within Athena's error bound and is reproducible
		// from the evidence.
		`CREATE OR REPLACE TEMP MACRO approx_distinct(x) AS count(DISTINCT x),
			(x, max_standard_error) AS count(DISTINCT x)`,
		`CREATE OR REPLACE TEMP MACRO is_nan(x) AS isnan(x)`,
		`CREATE OR REPLACE TEMP MACRO is_finite(x) AS isfinite(x)`,
		`CREATE OR REPLACE TEMP MACRO is_infinite(x) AS isinf(x)`,
		// For tcp-flags: bitwise_and(tcpflags, 2) <> 0 finds SYNs.
		`CREATE OR REPLACE TEMP MACRO bitwise_and(a, b) AS a & b`,
		`CREATE OR REPLACE TEMP MACRO bitwise_or(a, b) AS a | b`,
		`CREATE OR REPLACE TEMP MACRO bitwise_xor(a, b) AS xor(a, b)`,
		`CREATE OR REPLACE TEMP MACRO bitwise_not(a) AS ~a`,
	}
	return m
}

// PrestoDeviations lists, for documentation (flowir sql --help, reports),
// where flowir's Trino functions knowingly differ from Athena. Each is either
// an error where Athena gives a value, or a difference in type or in an edge
// case flow logs do not produce.
var PrestoDeviations = []string{
	"SUM and count_if return HUGEINT (128-bit) where Trino returns BIGINT; the values are the same.",
	"Integer division by zero gives NULL (Trino: error).",
	"approx_distinct is exact (count(DISTINCT x)), not a HyperLogLog estimate.",
	"from_unixtime(x, zone) and from_unixtime(x, h, m) accept only UTC; other zones are errors.",
	"from_iso8601_timestamp returns the instant as a UTC TIMESTAMP (Trino keeps the parsed zone); ISO week and ordinal dates are errors.",
	"to_iso8601 of a TIMESTAMP always ends in Z with milliseconds (flowir timestamps are UTC; Trino omits the Z for a plain timestamp).",
	"date_format and date_parse need a constant format (anything else is an error).",
	"date_parse accepts extra whitespace, does not check %a/%W against the date, and handles years 1677-2262 only with %f.",
	"date_diff accepts units below a day on DATE arguments (Trino: error); date_add on a DATE returns a TIMESTAMP (Trino: DATE).",
	"Functions given a TIMESTAMP WITH TIME ZONE read it in the session zone, UTC; the TIME type is not supported by them.",
	"regexp_replace reads \\1 in the replacement as group 1 (Trino: a literal 1); ${name} is an error.",
	"regexp_extract returns '' for an optional group that did not take part in the match (Trino: NULL).",
	"cardinality takes arrays only; for a map use system.main.cardinality.",
	"concat takes at most 16 arguments.",
	"contains(array, x) is false, not NULL, when x is absent and the array holds a NULL.",
	"CAST of a DOUBLE or TIMESTAMP to VARCHAR is formatted by DuckDB (3.5, not 3.5E0; no .000).",
}
