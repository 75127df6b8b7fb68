package analysis

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/sqltext"
)

// Dialect is the SQL engine a query is rendered for.
type Dialect int

const (
	// DuckDB is flowir's local case store; the table is `flows`.
	DuckDB Dialect = iota
	// Athena is Amazon Athena (engine v3, Trino), over the table flowir's
	// generated DDL creates: AWS field names with '_' for '-', the same
	// names as the columns of `flows`, partitioned by date_partition.
	Athena
)

func (d Dialect) String() string {
	switch d {
	case DuckDB:
		return "duckdb"
	case Athena:
		return "athena"
	}
	return "dialect(" + strconv.Itoa(int(d)) + ")"
}

// Origins of the queries.
const (
	OriginAWS      = "aws"      // the 16 named queries of AWS's Athena integration
	OriginPlaybook = "playbook" // the AWS incident-response playbook's Athena examples
	OriginFlowIR   = "flowir"   // flowir's own additions
)

// DefaultDuckDBTable is the table the DuckDB dialect reads when Render is
// given no table name.
const DefaultDuckDBTable = "flows"

// AthenaDatePartition is the partition column the Athena rendering uses to
// prune partitions when a time window is given: 'YYYY/MM/DD' text, as in the
// playbook's partition-projection DDL and in the `flows` table. flowir's
// Athena DDL must declare it.
const AthenaDatePartition = "date_partition"

// Query is one named query of the catalog.
type Query struct {
	Name         string   // kebab-case: "top-talkers"
	Aliases      []string // AWS's names: "VpcFlowLogsTopTalkers"; matched case-insensitively
	Description  string   // one line, for `flowir queries`
	Notes        string   // how it is computed and where it departs from AWS or the playbook
	Origin       string   // OriginAWS, OriginPlaybook or OriginFlowIR
	Params       []Param  // all bound, never pasted into SQL
	DefaultLimit int      // rows when Bounds.Limit is 0; 0 means no limit
	// Records is true when each result row is one flow log record (SELECT *
	// plus start_time and end_time), false for aggregates.
	Records bool
	// Columns lists the flow columns the query reads (sorted, "end" unquoted),
	// for record listings including the v2 fields Athena orders them by. An
	// Athena table built from a custom log format may lack some, and AWS's
	// own template likewise leaves out the queries whose fields are not in
	// the format. A time window also reads start, end and, on Athena,
	// date_partition.
	Columns []string
	// Table is the case table the query reads when it is not flows
	// (tgwflow, vpc_flow_logs): a DuckDB rendering for flows (or no
	// table) reads it instead. Athena renderings read the table given.
	Table string

	build func(r *renderer) *stmt
}

// Synopsis is a one-line usage string: "data-ratio -p ip=IP".
func (q *Query) Synopsis() string {
	s := q.Name
	for _, p := range q.Params {
		arg := "-p " + p.Name + "=" + strings.ToUpper(p.Type)
		if !p.Required {
			arg = "[" + arg + "]"
		}
		s += " " + arg
	}
	return s
}

// Bounds restricts a query to a time window and a number of rows.
type Bounds struct {
	// Since and Until select the records whose capture interval overlaps
	// [Since, Until): "end" >= Since AND start < Until. A zero time leaves
	// that side open. The times are widened to whole seconds (Since down,
	// Until up), since start and end are whole Unix seconds and a record
	// that may overlap the window must not be lost.
	Since, Until time.Time
	// Limit is the maximum number of rows: 0 means the query's DefaultLimit,
	// -1 means no limit.
	Limit int
}

// Catalog returns every named query, the 16 AWS queries first in AWS's
// order, then the playbook's, then flowir's. Each call returns fresh values,
// so one caller's changes cannot leak into another's.
func Catalog() []*Query {
	qs := definitions()
	for _, q := range qs {
		if q.Records {
			q.Columns = append(q.Columns, athenaRecordOrder...)
		}
		q.Columns = uniqueSorted(q.Columns)
	}
	return qs
}

// Find returns the query with the given name or alias. Case, hyphens,
// underscores and spaces are ignored, so "Top_Talkers", "top talkers" and
// "VPCFlowLogStopTalkers" (the playbook's spelling) all find top-talkers.
// When nothing matches, the error (wrapping ErrUnknownQuery) suggests the
// closest names.
func Find(name string) (*Query, error) {
	key := normalizeName(name)
	if key == "" {
		return nil, fmt.Errorf("%w: no name given; \"flowir queries\" lists them", ErrUnknownQuery)
	}
	qs := All()
	for _, q := range qs {
		for _, k := range q.keys() {
			if k == key {
				return q, nil
			}
		}
	}
	if s := suggest(key, qs); len(s) > 0 {
		return nil, fmt.Errorf("%w %q: did you mean %s? (\"flowir queries\" lists them all)", ErrUnknownQuery, name, strings.Join(s, " or "))
	}
	return nil, fmt.Errorf("%w %q: \"flowir queries\" lists the %d named queries", ErrUnknownQuery, name, len(qs))
}

func (q *Query) keys() []string {
	k := []string{normalizeName(q.Name)}
	for _, a := range q.Aliases {
		k = append(k, normalizeName(a))
	}
	return k
}

func normalizeName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(s)) {
		if c == '-' || c == '_' || c == ' ' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// suggest returns the query names closest to key, at most three: those at
// the smallest edit distance, if it is within a bound that grows with the
// length of the name. A name containing key (four letters or more) counts
// as being at the bound, so "talking" finds both top-talking queries while
// "top-talker" offers top-talkers alone, not top-talkers-packet-level too.
func suggest(key string, qs []*Query) []string {
	limit := max(2, len(key)/4)
	best := limit + 1
	var out []string
	for _, q := range qs { // catalog order; names sorted below
		score := limit + 1
		for _, k := range q.keys() {
			d := editDistance(key, k)
			if len(key) >= 4 && strings.Contains(k, key) {
				d = min(d, limit)
			}
			score = min(score, d)
		}
		switch {
		case score < best:
			best, out = score, []string{q.Name}
		case score == best && score <= limit:
			out = append(out, q.Name)
		}
	}
	sort.Strings(out)
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// editDistance is the Levenshtein distance between two ASCII-ish strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// tableName accepts what flowir itself names tables: up to three dotted
// parts (catalog.database.table), each a plain identifier or a
// double-quoted one. Table names never come from users, but a mistake here
// would be SQL injection, so the check is cheap insurance.
var tableName = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_]*|"[^"\x00]+")(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|"[^"\x00]+")){0,2}$`)

// Render returns the query's SQL for the dialect, over the given table
// ("" means DefaultDuckDBTable for DuckDB; Athena needs a name), with its
// parameters validated and bound and the time window and limit applied.
// args holds the values for the "?" placeholders in order: strings (IP and
// CIDR values in canonical form) and int64s. Errors wrap ErrParam or
// ErrBounds when the user's input is at fault.
func (q *Query) Render(d Dialect, table string, params map[string]string, b Bounds) (sql string, args []any, err error) {
	if d != DuckDB && d != Athena {
		return "", nil, fmt.Errorf("unknown SQL dialect %v", d)
	}
	if d == DuckDB && q.Table != "" && (table == "" || table == DefaultDuckDBTable) {
		table = q.Table
	}
	if table == "" {
		if d != DuckDB {
			return "", nil, fmt.Errorf("rendering %s for Athena needs a table name", q.Name)
		}
		table = DefaultDuckDBTable
	}
	if !tableName.MatchString(table) {
		return "", nil, fmt.Errorf("internal error: %q is not a valid table name", table)
	}
	if q.build == nil {
		return "", nil, fmt.Errorf("internal error: query %s has no definition", q.Name)
	}
	values, err := q.bindParams(params)
	if err != nil {
		return "", nil, err
	}
	if !b.Since.IsZero() && !b.Until.IsZero() && !b.Since.Before(b.Until) {
		return "", nil, fmt.Errorf("%w: since (%s) must be before until (%s)", ErrBounds,
			b.Since.UTC().Format(time.RFC3339), b.Until.UTC().Format(time.RFC3339))
	}
	limit := q.DefaultLimit
	switch {
	case b.Limit > 0:
		limit = b.Limit
	case b.Limit == -1:
		limit = 0
	case b.Limit < -1:
		return "", nil, fmt.Errorf("%w: limit %d: use a positive number, 0 for the query's default, or -1 for no limit", ErrBounds, b.Limit)
	}
	r := &renderer{d: d, table: table, bounds: b, params: values}
	s := q.build(r)
	if r.err != nil {
		return "", nil, r.err
	}
	s.limit = limit
	sql, args = finalize(s.String(), r.vals)
	return sql, args, nil
}

// AthenaParameters turns Render's args into Athena's ExecutionParameters.
// Athena substitutes each value as SQL text for the matching "?", so
// strings must arrive as quoted literals ('10.0.0.5', quotes doubled inside)
// and numbers as plain decimals.
func AthenaParameters(args []any) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = sqltext.String(v)
		case int64:
			out[i] = strconv.FormatInt(v, 10)
		case int:
			out[i] = strconv.Itoa(v)
		default:
			return nil, fmt.Errorf("argument %d: unsupported type %T", i+1, a)
		}
	}
	return out, nil
}

// stmt is one SELECT, built from parts and printed one clause per line.
type stmt struct {
	cols    []string
	from    string  // the table, when union is empty
	union   []*stmt // a derived table: the UNION ALL of these
	where   []string
	groupBy []string
	orderBy []string
	limit   int // 0: no LIMIT
}

func (s *stmt) String() string {
	var b strings.Builder
	s.write(&b, "")
	return strings.TrimSuffix(b.String(), "\n")
}

func (s *stmt) write(b *strings.Builder, ind string) {
	b.WriteString(ind + "SELECT\n")
	for i, c := range s.cols {
		sep := ","
		if i == len(s.cols)-1 {
			sep = ""
		}
		b.WriteString(ind + "  " + c + sep + "\n")
	}
	if len(s.union) > 0 {
		b.WriteString(ind + "FROM (\n")
		for i, u := range s.union {
			if i > 0 {
				b.WriteString(ind + "  UNION ALL\n")
			}
			u.write(b, ind+"  ")
		}
		b.WriteString(ind + ") AS t\n")
	} else {
		b.WriteString(ind + "FROM " + s.from + "\n")
	}
	for i, w := range s.where {
		// Conditions are ANDed; one holding an OR must keep its meaning.
		if strings.Contains(w, " OR ") {
			w = "(" + w + ")"
		}
		kw := "WHERE "
		if i > 0 {
			kw = "  AND "
		}
		b.WriteString(ind + kw + w + "\n")
	}
	if len(s.groupBy) > 0 {
		b.WriteString(ind + "GROUP BY " + strings.Join(s.groupBy, ", ") + "\n")
	}
	if len(s.orderBy) > 0 {
		b.WriteString(ind + "ORDER BY " + strings.Join(s.orderBy, ", ") + "\n")
	}
	if s.limit > 0 {
		b.WriteString(ind + "LIMIT " + strconv.Itoa(s.limit) + "\n")
	}
}

// marker delimits a bound value's index in SQL under construction. NUL
// cannot occur in a definition, a validated table name or a parameter
// (parameters never enter the text at all).
const marker = "\x00"

// renderer carries one rendering: the dialect hooks, the bound values and
// the time window.
type renderer struct {
	d      Dialect
	table  string
	bounds Bounds
	params map[string]any
	vals   []any
	err    error
}

// bind records a value and returns its marker.
func (r *renderer) bind(v any) string {
	r.vals = append(r.vals, v)
	return marker + strconv.Itoa(len(r.vals)-1) + marker
}

// param returns the marker of a validated parameter.
func (r *renderer) param(name string) string {
	v, ok := r.params[name]
	if !ok {
		if r.err == nil {
			r.err = fmt.Errorf("internal error: parameter %q is used but not declared or has no value", name)
		}
		return "NULL"
	}
	return r.bind(v)
}

// finalize replaces markers with "?" and returns the values in the order
// the placeholders appear.
func finalize(sql string, vals []any) (string, []any) {
	var b strings.Builder
	var args []any
	for {
		i := strings.Index(sql, marker)
		if i < 0 {
			b.WriteString(sql)
			break
		}
		j := strings.Index(sql[i+1:], marker) + i + 1
		n, _ := strconv.Atoi(sql[i+1 : j])
		b.WriteString(sql[:i])
		b.WriteString("?")
		args = append(args, vals[n])
		sql = sql[j+1:]
	}
	return b.String(), args
}

// scan is a SELECT over the base table restricted by conds and by the time
// window. Every definition reads the table through scan.
func (r *renderer) scan(conds ...string) *stmt {
	s := &stmt{from: r.table}
	s.where = append(s.where, conds...)
	s.where = append(s.where, r.window()...)
	return s
}

// window renders Bounds as conditions. A record overlaps [since, until)
// when its last packet is at or after since and its first packet before
// until. NULL start or end (formats without them) fail the comparison, so
// such records drop out once a bound is given: there is no way to place
// them in time.
//
// On Athena, the date_partition range lets Athena skip the S3 objects
// outside the window instead of scanning (and billing) the whole table. A
// file's date is the date of its records' end times, give or take delivery
// and the 10-minute aggregation interval, so the range is widened by a day
// on each side; the start/end conditions do the exact selection.
func (r *renderer) window() []string {
	var w []string
	since, until := r.bounds.Since, r.bounds.Until
	if !since.IsZero() {
		w = append(w, `"end" >= `+r.bind(since.Unix()))
	}
	if !until.IsZero() {
		u := until.Unix()
		if until.Nanosecond() != 0 {
			u++
		}
		w = append(w, "start < "+r.bind(u))
	}
	if r.d == Athena {
		const day = 24 * time.Hour
		if !since.IsZero() {
			w = append(w, AthenaDatePartition+" >= "+r.bind(since.UTC().Add(-day).Format("2006/01/02")))
		}
		if !until.IsZero() {
			w = append(w, AthenaDatePartition+" <= "+r.bind(until.UTC().Add(day).Format("2006/01/02")))
		}
	}
	return w
}

// ts converts Unix seconds to a timestamp with time zone (an instant; the
// drivers return it as a time.Time, and Athena sessions run in UTC).
func (r *renderer) ts(expr string) string {
	if r.d == Athena {
		return "from_unixtime(" + expr + ")"
	}
	return "to_timestamp(" + expr + ")"
}

// idiv is integer division truncating toward zero for the non-negative
// values it is used on, as Athena's "/" on integers does. DuckDB's "/"
// always returns a DOUBLE.
func (r *renderer) idiv(a, b string) string {
	if r.d == Athena {
		return a + " / " + b
	}
	return a + " // " + b
}

// distinctList aggregates the distinct values of expr into "v1,v2,...",
// sorted by value (numerically for numbers).
func (r *renderer) distinctList(expr string) string {
	if r.d == Athena {
		return "array_join(array_sort(array_distinct(array_agg(" + expr + "))), ',')"
	}
	return "array_to_string(list_sort(list_distinct(list(" + expr + "))), ',')"
}

// sum totals a BIGINT column exactly. DuckDB sums it as a HUGEINT (128
// bits), returned by the Go driver as *big.Int and printed exactly by every
// output format: a value can be 2^53-1 (flow.MaxCounter), so 1,024 records
// pass int64's range, and a cast to BIGINT would fail the query (issue
// 17.2). Athena's sum of a BIGINT is a BIGINT; the cast keeps the column's
// type the same there.
func (r *renderer) sum(expr string) string {
	if r.d == Athena {
		return "CAST(sum(" + expr + ") AS BIGINT)"
	}
	return "sum(" + expr + ")"
}

// countIf counts the rows where cond holds, as a BIGINT in both engines.
func countIf(cond string) string { return "count(CASE WHEN " + cond + " THEN 1 END)" }

// athenaRecordOrder breaks ties between records with the same start and
// end on Athena, where there is no line number: the fields of the default
// (v2) format that tell flows apart. Rows equal in all of them are, for a
// report, the same row, so the output is still reproducible.
var athenaRecordOrder = []string{"start", "end", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "packets", "bytes"}

// recordOrder is the total order of records: time, then provenance in the
// case (source file and line are unique there), or the v2 fields on Athena.
func (r *renderer) recordOrder() []string {
	if r.d == DuckDB {
		return []string{"start NULLS LAST", `"end" NULLS LAST`, "source_id", "source_line"}
	}
	o := make([]string, len(athenaRecordOrder))
	for i, c := range athenaRecordOrder {
		if c == "end" {
			c = `"end"`
		}
		o[i] = c + " NULLS LAST"
	}
	return o
}

// records lists whole records matching conds, in time order, with the
// start and end seconds also shown as timestamps.
func (r *renderer) records(conds ...string) *stmt {
	s := r.scan(conds...)
	s.cols = []string{"*", r.ts("start") + " AS start_time", r.ts(`"end"`) + " AS end_time"}
	s.orderBy = r.recordOrder()
	return s
}

// eachRole is the UNION ALL that counts every record once for its source
// address and once for its destination address: rows (ip, role, cols...)
// with role 'source' or 'destination'. NULL addresses (NODATA and SKIPDATA
// records, '-' values) are left out, so no NULL "talker" appears.
func (r *renderer) eachRole(src, dst string, cols []string, conds ...string) []*stmt {
	branch := func(addr, role string) *stmt {
		s := r.scan(append([]string{addr + " IS NOT NULL"}, conds...)...)
		s.cols = append([]string{addr + " AS ip", "'" + role + "' AS role"}, cols...)
		return s
	}
	return []*stmt{branch(src, "source"), branch(dst, "destination")}
}

// talkers ranks addresses by bytes, each record counted for both of its
// addresses (the AWS top-talkers semantics).
func talkers(src, dst string) func(r *renderer) *stmt {
	return func(r *renderer) *stmt {
		return &stmt{
			cols: []string{
				"ip",
				r.sum("bytes") + " AS total_bytes",
				r.sum("CASE WHEN role = 'source' THEN bytes ELSE 0 END") + " AS bytes_sent",
				r.sum("CASE WHEN role = 'destination' THEN bytes ELSE 0 END") + " AS bytes_received",
				r.sum("packets") + " AS total_packets",
				"count(*) AS records",
			},
			union:   r.eachRole(src, dst, []string{"bytes", "packets"}, "bytes IS NOT NULL"),
			groupBy: []string{"ip"},
			orderBy: []string{"total_bytes DESC", "ip"},
		}
	}
}

// topBy ranks the values of one column (instance_id, subnet_id) by bytes.
func topBy(col string) func(r *renderer) *stmt {
	return func(r *renderer) *stmt {
		s := r.scan(col+" IS NOT NULL", "bytes IS NOT NULL")
		s.cols = []string{col, r.sum("bytes") + " AS total_bytes", r.sum("packets") + " AS total_packets", "count(*) AS records"}
		s.groupBy = []string{col}
		s.orderBy = []string{"total_bytes DESC", col}
		return s
	}
}

// pairs ranks (source, destination) address pairs by bytes.
func pairs(src, dst string) func(r *renderer) *stmt {
	return func(r *renderer) *stmt {
		s := r.scan(src+" IS NOT NULL", dst+" IS NOT NULL", "bytes IS NOT NULL")
		s.cols = []string{src, dst,
			r.sum("bytes") + " AS total_bytes", r.sum("packets") + " AS total_packets", "count(*) AS records",
			r.ts("min(start)") + " AS first_seen", r.ts(`max("end")`) + " AS last_seen"}
		s.groupBy = []string{src, dst}
		s.orderBy = []string{"total_bytes DESC", src, dst}
		return s
	}
}

// ipFamily totals the bytes of one address family. The `type` field is
// authoritative when the format has it; the default (v2) format does not,
// so a record without `type` is classified by its source address: IPv6
// text always contains ':', IPv4 text never does.
func ipFamily(family string) func(r *renderer) *stmt {
	return func(r *renderer) *stmt {
		byAddr := "srcaddr NOT LIKE '%:%'"
		if family == "IPv6" {
			byAddr = "srcaddr LIKE '%:%'"
		}
		s := r.scan("bytes IS NOT NULL", `"type" = '`+family+`' OR ("type" IS NULL AND srcaddr IS NOT NULL AND `+byAddr+")")
		s.cols = []string{
			r.sum("bytes") + " AS total_bytes",
			r.sum("packets") + " AS total_packets",
			"count(*) AS records",
			countIf(`"type" IS NULL`) + " AS records_classified_by_address",
		}
		return s
	}
}

// adminPorts are the ports counted by admin-port-traffic: remote shells and
// desktops, Windows management, database and cache servers, cluster and
// container control planes, and common admin web consoles. AWS does not
// publish its list; this one is flowir's and is printed in the notes.
var adminPorts = []int{
	21,    // FTP
	22,    // SSH
	23,    // Telnet
	135,   // MS RPC endpoint mapper
	139,   // NetBIOS session
	445,   // SMB
	1433,  // Microsoft SQL Server
	1521,  // Oracle
	2375,  // Docker API, plain
	2376,  // Docker API, TLS
	3306,  // MySQL / MariaDB
	3389,  // RDP
	5432,  // PostgreSQL
	5900,  // VNC
	5985,  // WinRM HTTP
	5986,  // WinRM HTTPS
	6379,  // Redis
	6443,  // Kubernetes API server
	8080,  // admin web consoles (Tomcat, Jenkins, ...)
	8443,  // admin web consoles over TLS
	9200,  // Elasticsearch / OpenSearch
	10000, // Webmin
	10250, // kubelet API
	27017, // MongoDB
}

var sshRDPPorts = []int{22, 3389}

func uniqueSorted(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// ipParam is the one parameter most queries take: an address.
func ipParam(desc string) Param {
	return Param{Name: "ip", Type: TypeIP, Description: desc, Required: true}
}

// definitions is the catalog itself.
func definitions() []*Query {
	admin := "(" + sqltext.Ints(adminPorts) + ")"
	sshRDP := "(" + sqltext.Ints(sshRDPPorts) + ")"
	return []*Query{
		// --- The 16 named queries of AWS's Athena integration (reference §5.2).
		// AWS's SQL is not public; each follows AWS's one-line description.
		{
			Name:        "accepted-traffic",
			Aliases:     []string{"VpcFlowLogsAcceptedTraffic"},
			Origin:      OriginAWS,
			Description: "TCP flows allowed by security groups and network ACLs (ACCEPT, protocol 6).",
			Notes:       "Records with action ACCEPT and protocol 6, in time order. AWS's description speaks of TCP connections; a flow log has one record per direction per aggregation interval, so a connection appears as several records.",
			Records:     true,
			Columns:     []string{"action", "protocol"},
			build:       func(r *renderer) *stmt { return r.records("action = 'ACCEPT'", "protocol = 6") },
		},
		{
			Name:         "admin-port-traffic",
			Aliases:      []string{"VpcFlowLogsAdminPortTraffic"},
			Origin:       OriginAWS,
			Description:  "The 10 addresses with the most bytes on administrative ports, as source or destination.",
			Notes:        "A record counts when its destination or source port is an administrative port (" + sqltext.Ints(adminPorts) + "); AWS does not publish its port list, this one is flowir's. Each such record counts for its source and its destination address. Also shows accepted/rejected record counts and which admin ports were seen (the destination port when it is one, else the source port). A client whose ephemeral source port happens to equal an admin port is counted too.",
			DefaultLimit: 10,
			Columns:      []string{"action", "bytes", "dstaddr", "dstport", "packets", "srcaddr", "srcport"},
			build: func(r *renderer) *stmt {
				cols := []string{"bytes", "packets", "action",
					"CASE WHEN dstport IN " + admin + " THEN dstport ELSE srcport END AS admin_port"}
				return &stmt{
					cols: []string{
						"ip",
						r.sum("bytes") + " AS total_bytes",
						r.sum("packets") + " AS total_packets",
						"count(*) AS records",
						countIf("action = 'ACCEPT'") + " AS accepted_records",
						countIf("action = 'REJECT'") + " AS rejected_records",
						r.distinctList("admin_port") + " AS admin_ports",
					},
					union:   r.eachRole("srcaddr", "dstaddr", cols, "bytes IS NOT NULL", "dstport IN "+admin+" OR srcport IN "+admin),
					groupBy: []string{"ip"},
					orderBy: []string{"total_bytes DESC", "ip"},
				}
			},
		},
		{
			Name:        "ipv4-traffic",
			Aliases:     []string{"VpcFlowLogsIPv4Traffic"},
			Origin:      OriginAWS,
			Description: "Total bytes of IPv4 traffic.",
			Notes:       "Records with type 'IPv4'; formats without the v3 `type` field (the default v2 format) leave it NULL, and those records are classified by address (no ':' in srcaddr). records_classified_by_address says how many were. NODATA/SKIPDATA records carry no bytes and are left out.",
			Columns:     []string{"bytes", "packets", "srcaddr", "type"},
			build:       ipFamily("IPv4"),
		},
		{
			Name:        "ipv6-traffic",
			Aliases:     []string{"VpcFlowLogsIPv6Traffic"},
			Origin:      OriginAWS,
			Description: "Total bytes of IPv6 traffic.",
			Notes:       "Records with type 'IPv6'; records without `type` (default v2 format) are classified by address (':' in srcaddr). records_classified_by_address says how many were.",
			Columns:     []string{"bytes", "packets", "srcaddr", "type"},
			build:       ipFamily("IPv6"),
		},
		{
			Name:        "rejected-tcp-traffic",
			Aliases:     []string{"VpcFlowLogsRejectedTCPTraffic"},
			Origin:      OriginAWS,
			Description: "TCP flows rejected by security groups or network ACLs (REJECT, protocol 6).",
			Notes:       "Records with action REJECT and protocol 6, in time order.",
			Records:     true,
			Columns:     []string{"action", "protocol"},
			build:       func(r *renderer) *stmt { return r.records("action = 'REJECT'", "protocol = 6") },
		},
		{
			Name:        "rejected-traffic",
			Aliases:     []string{"VpcFlowLogsRejectedTraffic"},
			Origin:      OriginAWS,
			Description: "All traffic rejected by security groups or network ACLs (REJECT).",
			Notes:       "Records with action REJECT, any protocol, in time order.",
			Records:     true,
			Columns:     []string{"action"},
			build:       func(r *renderer) *stmt { return r.records("action = 'REJECT'") },
		},
		{
			Name:        "ssh-rdp-traffic",
			Aliases:     []string{"VpcFlowLogsSshRdpTraffic"},
			Origin:      OriginAWS,
			Description: "SSH and RDP traffic: source or destination port 22 or 3389.",
			Notes:       "Records whose source or destination port is 22 or 3389, any protocol (RDP also runs over UDP 3389), accepted or rejected, in time order. A third-party reproduction adds LIMIT 50; flowir lists them all unless --limit is given.",
			Records:     true,
			Columns:     []string{"dstport", "srcport"},
			build: func(r *renderer) *stmt {
				return r.records("srcport IN " + sshRDP + " OR dstport IN " + sshRDP)
			},
		},
		{
			Name:         "top-talkers",
			Aliases:      []string{"VpcFlowLogsTopTalkers"},
			Origin:       OriginAWS,
			Description:  "The 50 addresses with the most bytes, as source or destination.",
			Notes:        "Each record counts for its srcaddr (bytes_sent) and for its dstaddr (bytes_received); total_bytes is their sum. Traffic between two monitored interfaces is logged by both, so it counts on each; that is the data, not double counting by flowir. Ties are broken by address.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "dstaddr", "packets", "srcaddr"},
			build:        talkers("srcaddr", "dstaddr"),
		},
		{
			Name:         "top-talkers-packet-level",
			Aliases:      []string{"VpcFlowLogsTopTalkersPacketLevel"},
			Origin:       OriginAWS,
			Description:  "The 50 packet-level addresses (pkt-srcaddr/pkt-dstaddr) with the most bytes.",
			Notes:        "As top-talkers, on the v3 pkt_srcaddr and pkt_dstaddr fields: the original addresses behind NAT gateways, transit gateways and EKS pods.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "packets", "pkt_dstaddr", "pkt_srcaddr"},
			build:        talkers("pkt_srcaddr", "pkt_dstaddr"),
		},
		{
			Name:         "top-talking-instances",
			Aliases:      []string{"VpcFlowLogsTopTalkingInstances"},
			Origin:       OriginAWS,
			Description:  "The 50 EC2 instances with the most bytes.",
			Notes:        "Bytes of the records of each instance_id (in and out: every record belongs to one interface). Requester-managed interfaces (NAT gateways, endpoints) have no instance ID and are left out.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "instance_id", "packets"},
			build:        topBy("instance_id"),
		},
		{
			Name:         "top-talking-subnets",
			Aliases:      []string{"VpcFlowLogsTopTalkingSubnets"},
			Origin:       OriginAWS,
			Description:  "The 50 subnets with the most bytes.",
			Notes:        "Bytes of the records of each subnet_id.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "packets", "subnet_id"},
			build:        topBy("subnet_id"),
		},
		{
			Name:        "top-tcp-traffic",
			Aliases:     []string{"VpcFlowLogsTopTCPTraffic"},
			Origin:      OriginAWS,
			Description: "All TCP traffic from a source address, largest records first.",
			Notes:       "Records with protocol 6 and srcaddr = ip. AWS describes it as all TCP traffic for a source address; flowir reads the \"Top\" in the name as an order: by bytes, largest first, then by time.",
			Params:      []Param{ipParam("the source address")},
			Records:     true,
			Columns:     []string{"bytes", "protocol", "srcaddr"},
			build: func(r *renderer) *stmt {
				s := r.records("protocol = 6", "srcaddr = "+r.param("ip"))
				s.orderBy = append([]string{"bytes DESC NULLS LAST"}, s.orderBy...)
				return s
			},
		},
		{
			Name:         "total-bytes-transferred",
			Aliases:      []string{"VpcFlowLogsTotalBytesTransferred"},
			Origin:       OriginAWS,
			Description:  "The 50 source/destination address pairs with the most bytes.",
			Notes:        "Grouped by (srcaddr, dstaddr), largest total first (a third-party reproduction omits DESC and so lists the smallest). Each direction of a conversation is its own pair. Also shows packets, records, first and last seen.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "dstaddr", "end", "packets", "srcaddr", "start"},
			build:        pairs("srcaddr", "dstaddr"),
		},
		{
			Name:         "total-bytes-transferred-packet-level",
			Aliases:      []string{"VpcFlowLogsTotalBytesTransferredPacketLevel"},
			Origin:       OriginAWS,
			Description:  "The 50 packet-level source/destination address pairs with the most bytes.",
			Notes:        "As total-bytes-transferred, on pkt_srcaddr and pkt_dstaddr.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "end", "packets", "pkt_dstaddr", "pkt_srcaddr", "start"},
			build:        pairs("pkt_srcaddr", "pkt_dstaddr"),
		},
		{
			Name:        "traffic-from-src-addr",
			Aliases:     []string{"VpcFlowLogsTrafficFrmSrcAddr"},
			Origin:      OriginAWS,
			Description: "All traffic from a source address.",
			Notes:       "Records with srcaddr = ip, in time order. AWS's alias really is spelled \"Frm\".",
			Params:      []Param{ipParam("the source address")},
			Records:     true,
			Columns:     []string{"srcaddr"},
			build:       func(r *renderer) *stmt { return r.records("srcaddr = " + r.param("ip")) },
		},
		{
			Name:        "traffic-to-dst-addr",
			Aliases:     []string{"VpcFlowLogsTrafficToDstAddr"},
			Origin:      OriginAWS,
			Description: "All traffic to a destination address.",
			Notes:       "Records with dstaddr = ip, in time order.",
			Params:      []Param{ipParam("the destination address")},
			Records:     true,
			Columns:     []string{"dstaddr"},
			build:       func(r *renderer) *stmt { return r.records("dstaddr = " + r.param("ip")) },
		},

		// --- The playbook's Athena examples (steps 8-12).
		{
			Name:        "record-count",
			Origin:      OriginPlaybook,
			Description: "How many records the case holds (playbook: is the table loaded?).",
			Notes:       "count(*) of every record, NODATA and SKIPDATA included.",
			build: func(r *renderer) *stmt {
				s := r.scan()
				s.cols = []string{"count(*) AS records"}
				return s
			},
		},
		{
			Name:         "sample",
			Origin:       OriginPlaybook,
			Description:  "The first 1000 records in time order (playbook: is the data usable?).",
			Notes:        "The playbook's SELECT * ... LIMIT 1000, made reproducible by ordering on time.",
			DefaultLimit: 1000,
			Records:      true,
			build:        func(r *renderer) *stmt { return r.records() },
		},
		{
			Name:         "top-ips",
			Origin:       OriginPlaybook,
			Description:  "The 100 addresses in the most records, as source or destination.",
			Notes:        "The playbook groups the JSON table's ip column and orders by count; on flow records each record counts once for its srcaddr and once for its dstaddr (records_as_source, records_as_destination). Ties are broken by address.",
			DefaultLimit: 100,
			Columns:      []string{"dstaddr", "srcaddr"},
			build: func(r *renderer) *stmt {
				return &stmt{
					cols: []string{
						"ip",
						"count(*) AS records",
						countIf("role = 'source'") + " AS records_as_source",
						countIf("role = 'destination'") + " AS records_as_destination",
					},
					union:   r.eachRole("srcaddr", "dstaddr", nil),
					groupBy: []string{"ip"},
					orderBy: []string{"records DESC", "ip"},
				}
			},
		},
		{
			Name:        "ip-timeline",
			Origin:      OriginPlaybook,
			Description: "Every record of one address, as source or destination, in time order.",
			Notes:       "The playbook's WHERE ip = '...' ORDER BY start_time, on srcaddr and dstaddr. Packet-level addresses (pkt_srcaddr/pkt_dstaddr) are not searched: on the NAT or transit gateway interface the same flow also shows the address in srcaddr/dstaddr.",
			Params:      []Param{ipParam("the address to follow")},
			Records:     true,
			Columns:     []string{"dstaddr", "srcaddr"},
			build: func(r *renderer) *stmt {
				return r.records("srcaddr = " + r.param("ip") + " OR dstaddr = " + r.param("ip"))
			},
		},
		{
			Name:        "data-ratio",
			Origin:      OriginPlaybook,
			Description: "Per source/destination pair of one address: records, bytes, bytes per record, first and last seen.",
			Notes:       "The playbook's data-ratio query: pairs where srcaddr or dstaddr is ip; data_ratio = total_bytes / record_count in integer division, as Athena computes it; first_seen = min(start) and last_seen = max(end) as timestamps (the playbook formats them as text); largest total_bytes first, ties by address.",
			Params:      []Param{ipParam("the address whose conversations to measure")},
			Columns:     []string{"bytes", "dstaddr", "end", "srcaddr", "start"},
			build: func(r *renderer) *stmt {
				s := r.scan("srcaddr = " + r.param("ip") + " OR dstaddr = " + r.param("ip"))
				s.cols = []string{
					"srcaddr",
					"dstaddr",
					"count(*) AS record_count",
					r.sum("bytes") + " AS total_bytes",
					r.idiv(r.sum("bytes"), "count(*)") + " AS data_ratio",
					r.ts("min(start)") + " AS first_seen",
					r.ts(`max("end")`) + " AS last_seen",
				}
				s.groupBy = []string{"srcaddr", "dstaddr"}
				s.orderBy = []string{"total_bytes DESC NULLS LAST", "srcaddr", "dstaddr"}
				return s
			},
		},

		// --- flowir's own.
		{
			Name:        "status-count",
			Origin:      OriginFlowIR,
			Description: "Records by log status and action: how much is traffic, NODATA, or SKIPDATA (gaps).",
			Notes:       "SKIPDATA marks intervals in which AWS dropped records for an interface: a gap in visibility, not an absence of traffic. interfaces counts the distinct interfaces per row.",
			Columns:     []string{"action", "bytes", "end", "interface_id", "log_status", "start"},
			build: func(r *renderer) *stmt {
				s := r.scan()
				s.cols = []string{
					"log_status",
					"action",
					"count(*) AS records",
					"count(DISTINCT interface_id) AS interfaces",
					r.sum("bytes") + " AS total_bytes",
					r.ts("min(start)") + " AS first_seen",
					r.ts(`max("end")`) + " AS last_seen",
				}
				s.groupBy = []string{"log_status", "action"}
				s.orderBy = []string{"log_status NULLS LAST", "action NULLS LAST"}
				return s
			},
		},
	}
}
