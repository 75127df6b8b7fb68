package store

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IOC tables.
//
//   - incident_iocs: one row per indicator, identified by its canonical
//     network (column ioc: "203.0.113.0/24", or "203.0.113.66" for a single
//     address), with the playbook's threat_ip (the entry as first loaded)
//     and threat_comment (every distinct comment it was given, joined with
//     " | " in load order). Loading the same file again, or another file
//     listing the same network, adds no row.
//   - ioc_occurrences: every listing of an indicator (file SHA-256, path,
//     line, format, STIX id, text and comment as written): the provenance.
//   - ioc_files: every file loaded, once per content (SHA-256).
//   - valid_from, valid_until, revoked (incident_iocs, ioc_occurrences): a
//     STIX indicator's validity window (NULL: open on that side) and
//     whether it was withdrawn. An indicator listed several times is valid
//     over the smallest window covering every listing (a listing without a
//     window, as in CSV and plain lists, makes it always valid) and revoked
//     only if every listing is. Nothing outside the window is dropped: the
//     summary counts those records (outside_validity) and the view's rows
//     say where each falls (column validity).
//   - ioc_matches: (addr, ioc) for every address of the flows that falls in
//     an indicator's network, computed CIDR-correctly in Go and rebuilt by
//     flowir ioc and flowir detect; the view joins the flows to it by text
//     equality (addresses are stored canonically).
//   - view incident_vpc_flow_directional: the playbook's directional view,
//     with direction seen from the monitored network (see iocViewSQL).
func init() {
	registerDDL(func() []string {
		return []string{
			`CREATE SEQUENCE IF NOT EXISTS ioc_seq`,
			`CREATE TABLE IF NOT EXISTS incident_iocs (
				threat_ip VARCHAR NOT NULL,
				threat_comment VARCHAR,
				ioc VARCHAR NOT NULL,
				kind VARCHAR NOT NULL,
				family INTEGER NOT NULL,
				prefix_len INTEGER NOT NULL,
				first_address VARCHAR NOT NULL,
				last_address VARCHAR NOT NULL,
				source_file VARCHAR NOT NULL,
				source_line BIGINT NOT NULL,
				format VARCHAR NOT NULL,
				stix_id VARCHAR,
				loaded_at TIMESTAMPTZ NOT NULL,
				seq BIGINT NOT NULL
			)`,
			`CREATE TABLE IF NOT EXISTS ioc_occurrences (
				ioc VARCHAR NOT NULL,
				threat_ip VARCHAR NOT NULL,
				threat_comment VARCHAR,
				file_sha256 VARCHAR NOT NULL,
				source_file VARCHAR NOT NULL,
				source_line BIGINT NOT NULL,
				format VARCHAR NOT NULL,
				stix_id VARCHAR
			)`,
			`CREATE TABLE IF NOT EXISTS ioc_files (
				path VARCHAR NOT NULL,
				sha256 VARCHAR NOT NULL,
				format VARCHAR NOT NULL,
				entries BIGINT NOT NULL,
				invalid BIGINT NOT NULL,
				warnings BIGINT NOT NULL,
				skipped BIGINT NOT NULL,
				loaded_at TIMESTAMPTZ NOT NULL,
				flowir_version VARCHAR
			)`,
			// Validity of STIX indicators (issue 12.9), added to cases made
			// before it: NULL is open on that side.
			`ALTER TABLE incident_iocs ADD COLUMN IF NOT EXISTS valid_from TIMESTAMP`,
			`ALTER TABLE incident_iocs ADD COLUMN IF NOT EXISTS valid_until TIMESTAMP`,
			`ALTER TABLE incident_iocs ADD COLUMN IF NOT EXISTS revoked BOOLEAN DEFAULT false`,
			`ALTER TABLE ioc_occurrences ADD COLUMN IF NOT EXISTS valid_from TIMESTAMP`,
			`ALTER TABLE ioc_occurrences ADD COLUMN IF NOT EXISTS valid_until TIMESTAMP`,
			`ALTER TABLE ioc_occurrences ADD COLUMN IF NOT EXISTS revoked BOOLEAN DEFAULT false`,
			`ALTER TABLE ioc_files ADD COLUMN IF NOT EXISTS skipped_tests BIGINT DEFAULT 0`,
			`CREATE TABLE IF NOT EXISTS ioc_matches (addr VARCHAR NOT NULL, ioc VARCHAR NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS ioc_match_runs (
				matched_at TIMESTAMPTZ NOT NULL,
				addresses BIGINT NOT NULL,
				matches BIGINT NOT NULL,
				iocs BIGINT NOT NULL,
				flow_records BIGINT NOT NULL
			)`,
			iocViewSQL(),
		}
	})
}

// iocViewSQL is the playbook's incident_vpc_flow_directional view, one row
// per (flow record, IOC entry, side) where an address of the record is in
// the entry's network:
//
//   - dstaddr in the entry: direction OUTBOUND, connecting_ip/port = srcaddr/srcport;
//   - srcaddr in the entry: direction INBOUND, connecting_ip/port = dstaddr/dstport;
//   - pkt_dstaddr in the entry (and differing from dstaddr, which is not in
//     it): OUTBOUND, connecting_ip = pkt_srcaddr (else srcaddr) — the
//     instance behind a NAT gateway, on the NAT's inside leg;
//   - pkt_srcaddr likewise: INBOUND, connecting_ip = pkt_dstaddr (else dstaddr).
//
// Direction is seen from the monitored network: traffic to the IOC is
// OUTBOUND. The playbook's Athena view labels the same rows the other way
// round (its destination-is-IOC branch says INBOUND). connecting_ip is the
// monitored host in both. matched_on says which column matched; a record
// whose both ends are IOCs, or whose address is in two entries, gives one row
// per entry and side. validity says whether the record falls in the
// indicator's validity window (valid, before valid_from, after valid_until)
// or the indicator is revoked. source and destination are ip:port, with IPv6
// addresses in brackets ([2001:db8::1]:443) so the port stays unambiguous.
func iocViewSQL() string {
	return "CREATE OR REPLACE VIEW incident_vpc_flow_directional AS\n" + iocRowsSQL(false)
}

// iocRowsSQL is the view's query; narrow selects only the columns the
// summaries need. Reading ten million records, every column selected costs
// (the joins read all of them before matching), so the summaries use the
// narrow form: a third of the time.
func iocRowsSQL(narrow bool) string {
	ipPort := func(a, p string) string {
		return fmt.Sprintf(`CASE WHEN contains(f.%[1]s, ':') THEN '[' || f.%[1]s || ']' ELSE f.%[1]s END || ':' || CAST(f.%[2]s AS VARCHAR)`, a, p)
	}
	branch := func(direction, connIP, connPort, matchCol, matchedOn, extra string) string {
		if narrow {
			return fmt.Sprintf(`SELECT '%s' AS direction, %s AS connecting_ip, f.action, f.packets AS numpackets, f.bytes AS numbytes,
  x.ioc, '%s' AS matched_on, f.srcaddr, f.dstaddr, f.start, f."end", f.source_id, f.source_line
FROM flows f JOIN ioc_matches x ON f.%s = x.addr%s`, direction, connIP, matchedOn, matchCol, extra)
		}
		return fmt.Sprintf(`SELECT f.account_id AS account, f.interface_id AS interfaceid,
  %s AS source, %s AS destination, '%s' AS direction,
  %s AS connecting_ip, %s AS connecting_port,
  f.protocol, f.packets AS numpackets, f.bytes AS numbytes, f.action, f.log_status AS logstatus,
  make_timestamp(f.start * 1000000) AS starttime, make_timestamp(f."end" * 1000000) AS endtime, f."end" - f.start AS sessiontime,
  i.threat_ip, i.threat_comment, i.ioc, x.addr AS ioc_address, '%s' AS matched_on,
  CASE WHEN i.revoked THEN 'revoked' WHEN f."end" < epoch(i.valid_from) THEN 'before valid_from'
    WHEN f.start >= epoch(i.valid_until) THEN 'after valid_until' ELSE 'valid' END AS validity,
  f.region, f.vpc_id, f.subnet_id, f.instance_id, f.srcaddr, f.dstaddr, f.srcport, f.dstport, f.pkt_srcaddr, f.pkt_dstaddr,
  f.start, f."end", f.source_id, f.source_line
FROM flows f JOIN ioc_matches x ON f.%s = x.addr JOIN incident_iocs i ON i.ioc = x.ioc%s`,
			ipPort("srcaddr", "srcport"), ipPort("dstaddr", "dstport"), direction, connIP, connPort, matchedOn, matchCol, extra)
	}
	// No CTE: DuckDB materialises a CTE that is referenced more than once,
	// which made the view three times slower on ten million records.
	return branch("OUTBOUND", "f.srcaddr", "f.srcport", "dstaddr", "dstaddr", "") + `
UNION ALL
` + branch("INBOUND", "f.dstaddr", "f.dstport", "srcaddr", "srcaddr", "") + `
UNION ALL
` + branch("OUTBOUND", "coalesce(f.pkt_srcaddr, f.srcaddr)", "f.srcport", "pkt_dstaddr", "pkt_dstaddr",
		`
WHERE f.pkt_dstaddr IS DISTINCT FROM f.dstaddr AND NOT EXISTS (SELECT 1 FROM ioc_matches y WHERE y.addr = f.dstaddr AND y.ioc = x.ioc)`) + `
UNION ALL
` + branch("INBOUND", "coalesce(f.pkt_dstaddr, f.dstaddr)", "f.dstport", "pkt_srcaddr", "pkt_srcaddr",
		`
WHERE f.pkt_srcaddr IS DISTINCT FROM f.srcaddr AND NOT EXISTS (SELECT 1 FROM ioc_matches y WHERE y.addr = f.srcaddr AND y.ioc = x.ioc)`)
}

// IOCEntry is one indicator as the case stores it.
type IOCEntry struct {
	ThreatIP     string // as written in the file
	Comment      string
	IOC          string // canonical network, the key
	Kind         string // address or network
	Family       int    // 4 or 6
	PrefixLen    int
	FirstAddress string
	LastAddress  string
	File         string
	Line         int
	Format       string
	STIXID       string
	ValidFrom    *time.Time // nil: open
	ValidUntil   *time.Time // nil: open
	Revoked      bool
}

// IOCFileInfo describes one loaded indicator file.
type IOCFileInfo struct {
	Path     string
	SHA256   string
	Format   string
	Entries  int
	Invalid  int
	Warnings int
	Skipped  int
	// SkippedTests counts STIX address tests not loaded (AND, qualifiers...).
	SkippedTests int
}

// IOCLoadStats says what loading a file changed.
type IOCLoadStats struct {
	New           int  // indicators the case did not have
	Known         int  // indicators it already had (from this file or another)
	CommentsAdded int  // known indicators that gained a comment
	SameFile      bool // this exact content was loaded before
}

// LoadIOCs stores the entries of one file, in one transaction. It is
// idempotent: loading the same content again changes nothing.
func (c *Case) LoadIOCs(ctx context.Context, file IOCFileInfo, entries []IOCEntry) (IOCLoadStats, error) {
	var st IOCLoadStats
	if c.ReadOnly {
		return st, fmt.Errorf("case %s is open read-only", c.Dir)
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ioc_files WHERE sha256 = ?`, file.SHA256).Scan(&n); err != nil {
		return st, err
	}
	st.SameFile = n > 0
	if !st.SameFile {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ioc_files (path, sha256, format, entries, invalid, warnings, skipped, loaded_at, flowir_version, skipped_tests)
			VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?, ?)`,
			file.Path, file.SHA256, file.Format, file.Entries, file.Invalid, file.Warnings, file.Skipped, Version, file.SkippedTests); err != nil {
			return st, err
		}
	}
	// What the case has: comments and validity by indicator, and this
	// file's listings.
	comments := map[string]string{}
	valid := map[string]iocValidity{}
	rows, err := tx.QueryContext(ctx, `SELECT ioc, coalesce(threat_comment, ''), valid_from, valid_until, coalesce(revoked, false) FROM incident_iocs`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var k, cm string
		var from, until sql.NullTime
		var v iocValidity
		if err := rows.Scan(&k, &cm, &from, &until, &v.revoked); err != nil {
			rows.Close()
			return st, err
		}
		comments[k] = cm
		v.from, v.until = nullTimePtr(from), nullTimePtr(until)
		valid[k] = v
	}
	rows.Close()
	listed := map[string]bool{}
	rows, err = tx.QueryContext(ctx, `SELECT ioc, source_line FROM ioc_occurrences WHERE file_sha256 = ?`, file.SHA256)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var k string
		var line int64
		if err := rows.Scan(&k, &line); err != nil {
			rows.Close()
			return st, err
		}
		listed[fmt.Sprint(k, "\x00", line)] = true
	}
	rows.Close()

	changed := map[string]bool{}
	validChanged := map[string]bool{}
	var occ, fresh []*IOCEntry
	for i := range entries {
		e := &entries[i]
		key := fmt.Sprint(e.IOC, "\x00", e.Line)
		ev := iocValidity{e.ValidFrom, e.ValidUntil, e.Revoked}
		if !listed[key] {
			listed[key] = true
			occ = append(occ, e)
		}
		cm, known := comments[e.IOC]
		if !known {
			st.New++
			comments[e.IOC] = e.Comment
			valid[e.IOC] = ev
			fresh = append(fresh, e)
			continue
		}
		st.Known++
		if u := valid[e.IOC].union(ev); !u.equal(valid[e.IOC]) {
			valid[e.IOC] = u
			validChanged[e.IOC] = true
		}
		if e.Comment != "" && !slices.Contains(strings.Split(cm, " | "), e.Comment) {
			if cm != "" {
				cm += " | "
			}
			comments[e.IOC] = cm + e.Comment
			if !changed[e.IOC] {
				st.CommentsAdded++
				changed[e.IOC] = true
			}
		}
	}
	if err := insertIOCs(ctx, tx, c.spoolDir(), file.SHA256, occ, fresh); err != nil {
		return st, err
	}
	for k := range validChanged {
		v := valid[k]
		if _, err := tx.ExecContext(ctx, `UPDATE incident_iocs SET valid_from = ?, valid_until = ?, revoked = ? WHERE ioc = ?`,
			timeArg(v.from), timeArg(v.until), v.revoked, k); err != nil {
			return st, err
		}
	}
	// Comments that grew: indicators known before, or listed again further
	// down this file with another comment.
	for k := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE incident_iocs SET threat_comment = ? WHERE ioc = ?`, comments[k], k); err != nil {
			return st, err
		}
	}
	return st, tx.Commit()
}

// iocValidity is an indicator's validity window (nil: open) and revocation.
type iocValidity struct {
	from, until *time.Time
	revoked     bool
}

// union is the validity of an indicator listed with both v and o: the
// smallest window covering both, revoked only if both are.
func (v iocValidity) union(o iocValidity) iocValidity {
	u := iocValidity{revoked: v.revoked && o.revoked}
	if v.from != nil && o.from != nil {
		u.from = v.from
		if o.from.Before(*v.from) {
			u.from = o.from
		}
	}
	if v.until != nil && o.until != nil {
		u.until = v.until
		if o.until.After(*v.until) {
			u.until = o.until
		}
	}
	return u
}

func (v iocValidity) equal(o iocValidity) bool {
	same := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	return v.revoked == o.revoked && same(v.from, o.from) && same(v.until, o.until)
}

func nullTimePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// timeArg is a nullable TIMESTAMP argument.
func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// insertIOCs inserts a file's new listings (occ) and new indicators (fresh)
// through a temporary CSV file in the case's spool folder, read by DuckDB's
// CSV reader: a million indicators are two statements and two sequential
// files (issue 17.24: 200 rows per INSERT with bound arguments took minutes
// and gigabytes). An empty field is NULL, as nullStr makes empty text; a
// time is written in UTC (empty for an open side). incident_iocs.seq is
// load order: the rows are numbered in the file and take nextval in that
// order.
func insertIOCs(ctx context.Context, t *tx, dir, sha string, occ, fresh []*IOCEntry) error {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05.999999")
	}
	load := func(es []*IOCEntry, insert string, args ...any) error {
		if len(es) == 0 {
			return nil
		}
		f, err := os.CreateTemp(dir, "ioc-*.csv")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		bw := bufio.NewWriterSize(f, 1<<20)
		w := csv.NewWriter(bw)
		for i, e := range es {
			if err := w.Write([]string{strconv.Itoa(i), e.IOC, e.ThreatIP, e.Comment, e.Kind, strconv.Itoa(e.Family), strconv.Itoa(e.PrefixLen),
				e.FirstAddress, e.LastAddress, e.File, strconv.Itoa(e.Line), e.Format, e.STIXID, ts(e.ValidFrom), ts(e.ValidUntil),
				strconv.FormatBool(e.Revoked)}); err != nil {
				f.Close()
				return err
			}
		}
		w.Flush()
		if err := cmp.Or(w.Error(), bw.Flush(), f.Close()); err != nil {
			return err
		}
		arg, err := fileArg(f.Name())
		if err != nil {
			return err
		}
		src := fmt.Sprintf(`(SELECT * FROM read_csv(%s, header = false, quote = '"', escape = '"', nullstr = '', auto_detect = false,
			columns = {'ord': 'BIGINT', 'ioc': 'VARCHAR', 'threat_ip': 'VARCHAR', 'comment': 'VARCHAR', 'kind': 'VARCHAR', 'family': 'INTEGER',
			'prefix_len': 'INTEGER', 'first_address': 'VARCHAR', 'last_address': 'VARCHAR', 'file': 'VARCHAR', 'line': 'INTEGER',
			'format': 'VARCHAR', 'stix_id': 'VARCHAR', 'valid_from': 'TIMESTAMP', 'valid_until': 'TIMESTAMP', 'revoked': 'BOOLEAN'}) ORDER BY ord)`,
			arg)
		_, err = t.ExecContext(ctx, strings.ReplaceAll(insert, "SRC", src), args...)
		return err
	}
	if err := load(occ, `INSERT INTO ioc_occurrences (ioc, threat_ip, threat_comment, file_sha256, source_file, source_line, format, stix_id, valid_from, valid_until, revoked)
		SELECT ioc, threat_ip, comment, ?, file, line, format, stix_id, valid_from, valid_until, revoked FROM SRC`, sha); err != nil {
		return fmt.Errorf("store the listings: %w", err)
	}
	if err := load(fresh, `INSERT INTO incident_iocs (threat_ip, threat_comment, ioc, kind, family, prefix_len, first_address, last_address,
			source_file, source_line, format, stix_id, valid_from, valid_until, revoked, loaded_at, seq)
		SELECT threat_ip, comment, ioc, kind, family, prefix_len, first_address, last_address, file, line, format, stix_id, valid_from, valid_until, revoked,
			now(), nextval('ioc_seq') FROM SRC`); err != nil {
		return fmt.Errorf("store the indicators: %w", err)
	}
	return nil
}

// insertRows inserts rows with many rows per statement (one statement per
// row costs a round trip each, which ten thousand indicators notice).
func insertRows(ctx context.Context, t *tx, head, tuple string, rows [][]any) error {
	const per = 200
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(i+per, len(rows))]
		var q strings.Builder
		q.WriteString(head)
		var args []any
		for j, r := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, r...)
		}
		if _, err := t.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// ClearIOCs removes every indicator, file record and match.
func (c *Case) ClearIOCs(ctx context.Context) error {
	tx, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range []string{"incident_iocs", "ioc_occurrences", "ioc_files", "ioc_matches"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// IOCs lists the loaded indicators in load order.
func (c *Case) IOCs(ctx context.Context) ([]IOCEntry, error) {
	validity := "valid_from, valid_until, coalesce(revoked, false)"
	if !c.hasColumn(ctx, "incident_iocs", "revoked") { // a case last written before issue 12.9, read-only
		validity = "NULL::TIMESTAMP, NULL::TIMESTAMP, false"
	}
	rows, err := c.db.QueryContext(ctx, `SELECT threat_ip, coalesce(threat_comment, ''), ioc, kind, family, prefix_len, first_address, last_address,
		source_file, source_line, format, coalesce(stix_id, ''), `+validity+` FROM incident_iocs ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IOCEntry
	for rows.Next() {
		var e IOCEntry
		var from, until sql.NullTime
		if err := rows.Scan(&e.ThreatIP, &e.Comment, &e.IOC, &e.Kind, &e.Family, &e.PrefixLen, &e.FirstAddress, &e.LastAddress,
			&e.File, &e.Line, &e.Format, &e.STIXID, &from, &until, &e.Revoked); err != nil {
			return nil, err
		}
		e.ValidFrom, e.ValidUntil = nullTimePtr(from), nullTimePtr(until)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReplaceIOCMatches stores the (address, indicator) pairs that the view
// joins on, replacing the previous ones, and records the run.
func (c *Case) ReplaceIOCMatches(ctx context.Context, addrs, iocs []string, addresses int) error {
	if len(addrs) != len(iocs) {
		return fmt.Errorf("store: %d addresses but %d indicators", len(addrs), len(iocs))
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM ioc_matches`); err != nil {
		return err
	}
	if len(addrs) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ioc_matches SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])`, addrs, iocs); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ioc_match_runs SELECT now(), ?, ?, (SELECT count(*) FROM incident_iocs), (SELECT count(*) FROM flows)`,
		addresses, len(addrs)); err != nil {
		return err
	}
	return tx.Commit()
}

// IOCSummary is the traffic of one indicator.
type IOCSummary struct {
	ThreatIP string `json:"threat_ip"`
	Comment  string `json:"threat_comment"`
	IOC      string `json:"ioc"`
	Kind     string `json:"kind"`
	// Records whose srcaddr or dstaddr is in the entry (each record once),
	// and of those: inbound (srcaddr in it) and outbound (dstaddr in it).
	Records  int64    `json:"records"`
	Inbound  int64    `json:"inbound"`
	Outbound int64    `json:"outbound"`
	Accepted int64    `json:"accepted"`
	Rejected int64    `json:"rejected"`
	BytesIn  *big.Int `json:"bytes_in"`  // from the IOC (inbound records); exact at any size (total.go)
	BytesOut *big.Int `json:"bytes_out"` // to the IOC (outbound records)
	Packets  *big.Int `json:"packets"`
	// PktRecords counts records whose pkt_srcaddr or pkt_dstaddr is in the
	// entry; on a NAT gateway's interface they include the inside leg.
	PktRecords int64      `json:"pkt_records"`
	FirstSeen  *time.Time `json:"first_seen"`
	LastSeen   *time.Time `json:"last_seen"`
	// Hosts are the monitored hosts that exchanged traffic with it
	// (connecting_ip), NAT gateways excluded; NAT lists those.
	Hosts   []string `json:"internal_hosts"`
	NAT     []string `json:"via_nat"`
	Sources []string `json:"sources"` // file:line of every listing
	// The indicator's validity (see the IOC tables above) and how many of
	// Records fall outside its window (end before valid_from, or start at
	// or after valid_until).
	ValidFrom       *time.Time `json:"valid_from"`
	ValidUntil      *time.Time `json:"valid_until"`
	Revoked         bool       `json:"revoked"`
	OutsideValidity int64      `json:"outside_validity"`
}

// windowCond is the time window on records ("end" >= since, start < until).
func windowCond(since, until int64) (string, []any) {
	var conds []string
	var args []any
	if since != 0 {
		conds = append(conds, `"end" >= ?`)
		args = append(args, since)
	}
	if until != 0 {
		conds = append(conds, `start < ?`)
		args = append(args, until)
	}
	if len(conds) == 0 {
		return "true", nil
	}
	return strings.Join(conds, " AND "), args
}

// IOCSummaries returns one summary per loaded indicator that has records
// overlapping [since, until) (0 = open), by srcaddr/dstaddr or at packet
// level, in load order. Indicators without records are left out: a list of
// a million indicators, of which a handful match, is summarised in a
// handful of rows (issue 17.24); incident_iocs lists them all. The matches
// must be current (ReplaceIOCMatches).
func (c *Case) IOCSummaries(ctx context.Context, since, until int64) ([]IOCSummary, error) {
	// The view is read once, into a temporary table of the (few) matching
	// rows, and every aggregate below reads that.
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	win, args := windowCond(since, until)
	if err := s.Exec(ctx, "CREATE OR REPLACE TEMP TABLE ioc_rows AS SELECT * FROM ("+iocRowsSQL(true)+") WHERE "+win, args...); err != nil {
		return nil, err
	}
	q := fmt.Sprintf(`WITH v AS (SELECT * FROM ioc_rows),
a AS (
  SELECT ioc,
    count(DISTINCT (source_id, source_line)) FILTER (WHERE matched_on IN ('srcaddr', 'dstaddr')) AS records,
    count(*) FILTER (WHERE matched_on = 'srcaddr') AS inbound,
    count(*) FILTER (WHERE matched_on = 'dstaddr') AS outbound,
    count(DISTINCT (source_id, source_line)) FILTER (WHERE matched_on IN ('srcaddr', 'dstaddr') AND action = 'ACCEPT') AS accepted,
    count(DISTINCT (source_id, source_line)) FILTER (WHERE matched_on IN ('srcaddr', 'dstaddr') AND action = 'REJECT') AS rejected,
    coalesce(sum(numbytes) FILTER (WHERE matched_on = 'srcaddr'), 0) AS bytes_in,
    coalesce(sum(numbytes) FILTER (WHERE matched_on = 'dstaddr'), 0) AS bytes_out,
    min(start) AS first, max("end") AS last,
    count(DISTINCT (source_id, source_line)) FILTER (WHERE matched_on IN ('srcaddr', 'dstaddr') AND ("end" < vf OR start >= vu)) AS outside
  FROM v LEFT JOIN (SELECT ioc, epoch(valid_from) AS vf, epoch(valid_until) AS vu FROM incident_iocs) w USING (ioc) GROUP BY ioc
), pk AS (
  SELECT ioc, count(DISTINCT (source_id, source_line)) AS n FROM (
    SELECT m.ioc, f.source_id, f.source_line FROM flows f JOIN ioc_matches m ON f.pkt_srcaddr = m.addr WHERE %[1]s
    UNION ALL
    SELECT m.ioc, f.source_id, f.source_line FROM flows f JOIN ioc_matches m ON f.pkt_dstaddr = m.addr WHERE %[1]s
  ) GROUP BY ioc
), pa AS (
  SELECT ioc, sum(numpackets) AS packets FROM (
    SELECT DISTINCT ioc, source_id, source_line, numpackets FROM v WHERE matched_on IN ('srcaddr', 'dstaddr')
  ) GROUP BY ioc
)
SELECT i.threat_ip, coalesce(i.threat_comment, ''), i.ioc, i.kind,
  coalesce(a.records, 0), coalesce(a.inbound, 0), coalesce(a.outbound, 0), coalesce(a.accepted, 0), coalesce(a.rejected, 0),
  coalesce(a.bytes_in, 0), coalesce(a.bytes_out, 0), coalesce(pa.packets, 0), coalesce(pk.n, 0), a.first, a.last,
  coalesce(a.outside, 0), i.valid_from, i.valid_until, coalesce(i.revoked, false)
FROM incident_iocs i LEFT JOIN a USING (ioc) LEFT JOIN pk USING (ioc) LEFT JOIN pa USING (ioc)
WHERE coalesce(a.records, 0) > 0 OR coalesce(pk.n, 0) > 0
ORDER BY i.seq`, win)
	allArgs := slices.Concat(args, args)
	rows, err := s.conn.QueryContext(ctx, q, allArgs...)
	if err != nil {
		return nil, sqlError(err)
	}
	var out []IOCSummary
	idx := map[string]int{}
	for rows.Next() {
		var s IOCSummary
		var first, last sql.NullInt64
		var from, until sql.NullTime
		if err := rows.Scan(&s.ThreatIP, &s.Comment, &s.IOC, &s.Kind, &s.Records, &s.Inbound, &s.Outbound, &s.Accepted, &s.Rejected,
			Total(&s.BytesIn), Total(&s.BytesOut), Total(&s.Packets), &s.PktRecords, &first, &last, &s.OutsideValidity, &from, &until, &s.Revoked); err != nil {
			rows.Close()
			return nil, err
		}
		if first.Valid {
			t := time.Unix(first.Int64, 0).UTC()
			s.FirstSeen = &t
		}
		if last.Valid {
			t := time.Unix(last.Int64, 0).UTC()
			s.LastSeen = &t
		}
		s.ValidFrom, s.ValidUntil = nullTimePtr(from), nullTimePtr(until)
		s.Hosts, s.NAT, s.Sources = []string{}, []string{}, []string{}
		idx[s.IOC] = len(out)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Hosts and the NAT gateways in between: a NAT is an address that shows
	// as dstaddr (srcaddr) of a record matched on pkt_dstaddr (pkt_srcaddr).
	hq := `WITH v AS (SELECT * FROM ioc_rows),
nat AS (
  SELECT DISTINCT ioc, dstaddr AS addr FROM v WHERE matched_on = 'pkt_dstaddr'
  UNION SELECT DISTINCT ioc, srcaddr FROM v WHERE matched_on = 'pkt_srcaddr'
)
SELECT DISTINCT v.ioc, v.connecting_ip, nat.addr IS NOT NULL FROM v LEFT JOIN nat ON nat.ioc = v.ioc AND nat.addr = v.connecting_ip
WHERE v.connecting_ip IS NOT NULL ORDER BY 1, 2`
	rows, err = s.conn.QueryContext(ctx, hq)
	if err != nil {
		return nil, sqlError(err)
	}
	for rows.Next() {
		var k, h string
		var isNAT bool
		if err := rows.Scan(&k, &h, &isNAT); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := idx[k]; ok {
			if isNAT {
				out[i].NAT = append(out[i].NAT, h)
			} else {
				out[i].Hosts = append(out[i].Hosts, h)
			}
		}
	}
	rows.Close()
	rows, err = s.conn.QueryContext(ctx, `SELECT DISTINCT ioc, source_file, source_line FROM ioc_occurrences
WHERE ioc IN (SELECT ioc FROM ioc_rows) ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, f string
		var line int64
		if err := rows.Scan(&k, &f, &line); err != nil {
			return nil, err
		}
		if i, ok := idx[k]; ok {
			out[i].Sources = append(out[i].Sources, fmt.Sprintf("%s:%d", f, line))
		}
	}
	return out, rows.Err()
}

// IOCDetailColumns are the columns flowir ioc --detail prints: the
// playbook's, then flowir's additions.
var IOCDetailColumns = []string{"account", "interfaceid", "source", "destination", "direction", "connecting_ip", "connecting_port",
	"protocol", "numpackets", "numbytes", "action", "logstatus", "starttime", "endtime", "sessiontime",
	"threat_ip", "threat_comment", "ioc_address", "matched_on", "validity", "source_id", "source_line"}

// IOCDetail returns the rows of the directional view overlapping [since,
// until), in the playbook's order (start, end, session time, interface,
// connecting address, direction), then by record.
func (c *Case) IOCDetail(ctx context.Context, since, until int64) (*Result, error) {
	win, args := windowCond(since, until)
	q := fmt.Sprintf(`SELECT %s FROM incident_vpc_flow_directional WHERE %s
ORDER BY starttime, endtime, sessiontime, interfaceid, connecting_ip, direction, source_id, source_line, threat_ip`,
		strings.Join(IOCDetailColumns, ", "), win)
	return queryResult(ctx, c.db, q, args...)
}
