package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Findings of flowir detect.
//
// Table findings holds the current findings; each row names the run that
// produced it. A run replaces, in one transaction, the stored findings it
// examined again: those of the rules it ran whose evidence lies wholly
// inside the time window it read. Findings of other rules, and findings
// outside the window or straddling its edge (part of their evidence was not
// read again), are kept, so a narrower rerun never loses what a wider one
// found, rerunning never piles findings up, and an interrupted run leaves
// the previous ones in place. Table detect_runs keeps every run: when,
// which rules, the window, the effective configuration (thresholds,
// internal ranges, NAT addresses) and how many findings, so a finding can
// always be traced to the settings behind it.
func init() {
	registerDDL(func() []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS detect_runs (
				run_id BIGINT NOT NULL,
				started_at TIMESTAMPTZ NOT NULL,
				finished_at TIMESTAMPTZ NOT NULL,
				rules VARCHAR NOT NULL,       -- JSON array of the rules that ran
				config VARCHAR NOT NULL,      -- JSON: the effective configuration
				findings BIGINT NOT NULL,
				flow_records BIGINT NOT NULL, -- records in the case at the time
				flowir_version VARCHAR
			)`,
			// The window the run read (NULL: open); added after the table.
			`ALTER TABLE detect_runs ADD COLUMN IF NOT EXISTS since TIMESTAMP`,
			`ALTER TABLE detect_runs ADD COLUMN IF NOT EXISTS "until" TIMESTAMP`,
			`CREATE TABLE IF NOT EXISTS findings (
				run_id BIGINT NOT NULL,
				rule VARCHAR NOT NULL,
				severity VARCHAR NOT NULL,
				technique VARCHAR NOT NULL,
				src VARCHAR,
				dst VARCHAR,
				dst_port INTEGER,
				protocol INTEGER,
				direction VARCHAR,
				first_seen TIMESTAMP,         -- UTC
				last_seen TIMESTAMP,
				records BIGINT NOT NULL,
				bytes HUGEINT NOT NULL,       -- exact past int64 (total.go); BIGINT before issue 17.2
				summary VARCHAR NOT NULL,
				evidence_sql VARCHAR NOT NULL,
				details VARCHAR               -- JSON
			)`,
			// An allow list (flowir detect --allow) marks a finding
			// suppressed, with the entry and its reason; it stays stored.
			`ALTER TABLE findings ADD COLUMN IF NOT EXISTS suppressed BOOLEAN DEFAULT false`,
			`ALTER TABLE findings ADD COLUMN IF NOT EXISTS suppressed_reason VARCHAR`,
			// The finding's stable id (FindingID), which triage state
			// (table triage) is keyed by.
			`ALTER TABLE findings ADD COLUMN IF NOT EXISTS finding_id VARCHAR`,
		}
	})
}

// FindingRow is one stored finding.
type FindingRow struct {
	// ID is the finding's stable id (FindingID); Findings sets it.
	ID          string
	RunID       int64
	Rule        string
	Severity    string
	Technique   string
	Src         string
	Dst         string
	DstPort     *int
	Protocol    int
	Direction   string
	FirstSeen   time.Time
	LastSeen    time.Time
	Records     int64
	Bytes       *big.Int // exact at any size (total.go)
	Summary     string
	EvidenceSQL string
	Details     map[string]any
	// SuppressedBy says which allow-list entry suppressed the finding, and
	// why; "" when it is not suppressed.
	SuppressedBy string
}

// FindingIDLen is the length of a finding id, in hex digits.
const FindingIDLen = 12

// FindingHash is the SHA-256, in hex, of what makes a finding the same
// finding when detect runs again: its rule, actor, target, port, protocol,
// direction and first time seen. It leaves out what a rerun on more data may
// change (last seen, records, bytes, the summary) and the run. Protocol and
// direction are in it so that a TCP and a UDP finding, or an inbound and an
// outbound one, between the same addresses never share an id.
func FindingHash(r FindingRow) string {
	port := ""
	if r.DstPort != nil {
		port = strconv.Itoa(*r.DstPort)
	}
	h := sha256.Sum256([]byte(strings.Join([]string{r.Rule, r.Src, r.Dst, port, strconv.Itoa(r.Protocol), r.Direction, r.FirstSeen.UTC().Format(time.RFC3339)}, "\x00")))
	return hex.EncodeToString(h[:])
}

// FindingID is a finding's stable id: the first FindingIDLen hex digits of
// FindingHash, short enough to type, the same on every rerun of detect on
// the same records, so triage state (notes, tags, status) keyed by it
// survives reruns.
func FindingID(r FindingRow) string {
	return FindingHash(r)[:FindingIDLen]
}

// DetectRun describes one run of flowir detect.
type DetectRun struct {
	StartedAt time.Time
	Rules     []string
	Config    []byte // JSON
	// Since and Until are the window the run read, records overlapping
	// [Since, Until); a zero time leaves that side open.
	Since, Until time.Time
}

// RuleReplacement is what storing a run did to one rule's findings.
type RuleReplacement struct {
	Rule     string
	Replaced int // stored findings removed: their evidence lies wholly inside the run's window
	Kept     int // stored findings kept: outside the window, or straddling its edge
	Stored   int // the run's findings stored
	// Covered counts the run's findings not stored because a kept finding
	// straddling the window's edge covers them: the same rule, actor,
	// target, port and protocol over a time range that contains theirs. The
	// earlier run read all of that finding's evidence; the rerun only the
	// part inside its window.
	Covered int
}

// ReplaceResult is the outcome of ReplaceFindings.
type ReplaceResult struct {
	RunID int64
	Rules []RuleReplacement // in the order of DetectRun.Rules
}

// ReplaceFindings stores the findings of a run. It removes the stored
// findings the run examined again, those of its rules whose evidence lies
// wholly inside its window (first_seen at or after Since and last_seen
// before Until), and keeps the others; see RuleReplacement.
//
// Why whole evidence: a finding straddling the window's edge rests partly on
// records the run did not read, so the run cannot confirm or refute it; a
// finding's first_seen is its first record's start and last_seen its last
// record's end, so a finding that passes the test had every record read
// (each record the run reads ends at or after Since and starts before
// Until). The test is conservative: a finding whose last record started
// before Until but ended after it is kept, and the run's own version of it
// is then Covered.
func (c *Case) ReplaceFindings(ctx context.Context, run DetectRun, fs []FindingRow) (*ReplaceResult, error) {
	if c.ReadOnly {
		return nil, fmt.Errorf("case %s is open read-only", c.Dir)
	}
	rules, err := json.Marshal(run.Rules)
	if err != nil {
		return nil, err
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res := &ReplaceResult{}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(run_id), 0) + 1 FROM detect_runs`).Scan(&res.RunID); err != nil {
		return nil, err
	}
	if err := widenFindingBytes(ctx, tx); err != nil {
		return nil, err
	}
	// inside: the finding's evidence lies wholly inside the window.
	inside, args := "true", []any{}
	if !run.Since.IsZero() {
		inside += " AND coalesce(first_seen >= ?, false)"
		args = append(args, run.Since.UTC())
	}
	if !run.Until.IsZero() {
		inside += " AND coalesce(last_seen < ?, false)"
		args = append(args, run.Until.UTC())
	}
	for _, r := range run.Rules {
		if !slices.ContainsFunc(res.Rules, func(x RuleReplacement) bool { return x.Rule == r }) {
			res.Rules = append(res.Rules, RuleReplacement{Rule: r})
		}
	}
	byRule := map[string]*RuleReplacement{}
	for i := range res.Rules {
		byRule[res.Rules[i].Rule] = &res.Rules[i]
	}
	// The kept findings of the run's rules, to count them and to find the
	// run's findings they cover.
	type key struct {
		rule, src, dst string
		port           sql.NullInt64
		proto          int64
	}
	type span struct{ first, last time.Time }
	kept := map[key][]span{}
	rows, err := tx.QueryContext(ctx, `SELECT rule, coalesce(src, ''), coalesce(dst, ''), dst_port, coalesce(protocol, 0), first_seen, last_seen, `+inside+`
		FROM findings WHERE rule IN (SELECT unnest(?::VARCHAR[]))`, append(args, run.Rules)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k key
		var first, last sql.NullTime
		var in bool
		if err := rows.Scan(&k.rule, &k.src, &k.dst, &k.port, &k.proto, &first, &last, &in); err != nil {
			rows.Close()
			return nil, err
		}
		if in {
			byRule[k.rule].Replaced++
			continue
		}
		byRule[k.rule].Kept++
		if first.Valid && last.Valid {
			kept[k] = append(kept[k], span{first.Time.UTC(), last.Time.UTC()})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE rule IN (SELECT unnest(?::VARCHAR[])) AND `+inside,
		append([]any{run.Rules}, args...)...); err != nil {
		return nil, err
	}
	ins := make([][]any, 0, len(fs))
	for _, f := range fs {
		rr := byRule[f.Rule]
		if rr == nil {
			return nil, fmt.Errorf("finding of rule %s, which the run does not list", f.Rule)
		}
		k := key{rule: f.Rule, src: f.Src, dst: f.Dst, proto: int64(f.Protocol)}
		if f.DstPort != nil {
			k.port = sql.NullInt64{Int64: int64(*f.DstPort), Valid: true}
		}
		covered := false
		for _, sp := range kept[k] {
			covered = covered || !f.FirstSeen.Before(sp.first) && !f.LastSeen.After(sp.last)
		}
		if covered {
			rr.Covered++
			continue
		}
		rr.Stored++
		var details any
		if f.Details != nil {
			b, err := json.Marshal(f.Details)
			if err != nil {
				return nil, fmt.Errorf("finding %s: %w", f.Rule, err)
			}
			details = string(b)
		}
		var port any
		if f.DstPort != nil {
			port = *f.DstPort
		}
		ins = append(ins, []any{res.RunID, f.Rule, f.Severity, f.Technique, nullStr(f.Src), nullStr(f.Dst), port, f.Protocol, nullStr(f.Direction),
			naiveUTC(f.FirstSeen), naiveUTC(f.LastSeen), f.Records, findingBytes(f.Bytes), f.Summary, f.EvidenceSQL, details, f.SuppressedBy != "", nullStr(f.SuppressedBy), FindingID(f)})
	}
	if err := insertRows(ctx, tx, `INSERT INTO findings (run_id, rule, severity, technique, src, dst, dst_port, protocol, direction,
		first_seen, last_seen, records, bytes, summary, evidence_sql, details, suppressed, suppressed_reason, finding_id) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ins); err != nil {
		return nil, err
	}
	if err := backfillFindingIDs(ctx, tx); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO detect_runs (run_id, started_at, finished_at, rules, config, findings, flow_records, flowir_version, since, "until")
		VALUES (?, ?, now(), ?, ?, ?, (SELECT count(*) FROM flows), ?, ?, ?)`,
		res.RunID, run.StartedAt.UTC(), string(rules), string(run.Config), len(ins), Version, naiveUTC(run.Since), naiveUTC(run.Until)); err != nil {
		return nil, err
	}
	return res, tx.Commit()
}

// widenFindingBytes makes column findings.bytes a HUGEINT in a case whose
// findings table was created when it was a BIGINT (before issue 17.2): a
// finding's bytes are a sum of records of up to 2^53-1 bytes each, which
// passes int64's range after 1,024 of them. It runs in the transaction that
// stores findings, the only writer of that column; reading an older case
// needs nothing, as Total scans either type.
func widenFindingBytes(ctx context.Context, tx *tx) error {
	var typ string
	if err := tx.QueryRowContext(ctx, `SELECT data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'findings' AND column_name = 'bytes'`).Scan(&typ); err != nil {
		return fmt.Errorf("findings.bytes: %w", err)
	}
	if typ == "HUGEINT" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE findings ALTER COLUMN bytes SET DATA TYPE HUGEINT`); err != nil {
		return fmt.Errorf("widen findings.bytes to HUGEINT: %w", err)
	}
	return nil
}

// backfillFindingIDs sets the id of the findings a run kept that were
// stored before findings had ids, so every row of table findings has one.
func backfillFindingIDs(ctx context.Context, tx *tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, rule, coalesce(src, ''), coalesce(dst, ''), dst_port, coalesce(protocol, 0), coalesce(direction, ''), first_seen
		FROM findings WHERE finding_id IS NULL`)
	if err != nil {
		return err
	}
	type upd struct {
		rowid int64
		id    string
	}
	var us []upd
	for rows.Next() {
		var u upd
		var f FindingRow
		var port sql.NullInt64
		var first sql.NullTime
		if err := rows.Scan(&u.rowid, &f.Rule, &f.Src, &f.Dst, &port, &f.Protocol, &f.Direction, &first); err != nil {
			rows.Close()
			return err
		}
		if port.Valid {
			p := int(port.Int64)
			f.DstPort = &p
		}
		if first.Valid {
			f.FirstSeen = first.Time.UTC()
		}
		u.id = FindingID(f)
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range us {
		if _, err := tx.ExecContext(ctx, `UPDATE findings SET finding_id = ? WHERE rowid = ?`, u.id, u.rowid); err != nil {
			return err
		}
	}
	return nil
}

// findingBytes is a finding's bytes for the HUGEINT column: zero when
// unset.
func findingBytes(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}

// naiveUTC returns t as a UTC wall-clock time for a TIMESTAMP column.
func naiveUTC(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Findings returns the stored findings, optionally of some rules only, in
// stored order (severity, rule, time, actor, target).
func (c *Case) Findings(ctx context.Context, rules []string) ([]FindingRow, error) {
	q := `SELECT run_id, rule, severity, technique, coalesce(src, ''), coalesce(dst, ''), dst_port, protocol, coalesce(direction, ''),
		first_seen, last_seen, records, bytes, summary, evidence_sql, details, %s, %s FROM findings`
	// A case last written before allow lists, opened read-only, has no
	// suppressed_reason column: nothing in it is suppressed.
	supp := "''"
	if c.hasColumn(ctx, "findings", "suppressed_reason") {
		supp = "coalesce(suppressed_reason, '')"
	}
	// Nor a finding_id column: ids are computed, as for rows stored before
	// findings had ids.
	id := "''"
	if c.hasColumn(ctx, "findings", "finding_id") {
		id = "coalesce(finding_id, '')"
	}
	q = fmt.Sprintf(q, supp, id)
	var args []any
	if len(rules) > 0 {
		q += ` WHERE rule IN (SELECT unnest(?::VARCHAR[]))`
		args = append(args, rules)
	}
	q += ` ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, rule, first_seen, src, dst`
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FindingRow
	for rows.Next() {
		var f FindingRow
		var port, proto sql.NullInt64
		var first, last sql.NullTime
		var details sql.NullString
		if err := rows.Scan(&f.RunID, &f.Rule, &f.Severity, &f.Technique, &f.Src, &f.Dst, &port, &proto, &f.Direction,
			&first, &last, &f.Records, Total(&f.Bytes), &f.Summary, &f.EvidenceSQL, &details, &f.SuppressedBy, &f.ID); err != nil {
			return nil, err
		}
		if port.Valid {
			p := int(port.Int64)
			f.DstPort = &p
		}
		f.Protocol = int(proto.Int64)
		f.FirstSeen, f.LastSeen = first.Time.UTC(), last.Time.UTC()
		if f.ID == "" {
			f.ID = FindingID(f)
		}
		if details.Valid {
			// Numbers stay exact (json.Number): a detail such as
			// max_window_bytes may pass 2^53, where a float64 rounds.
			dec := json.NewDecoder(strings.NewReader(details.String))
			dec.UseNumber()
			if err := dec.Decode(&f.Details); err != nil {
				return nil, fmt.Errorf("finding %s: details: %w", f.Rule, err)
			}
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Placement is where part of a finding's evidence was logged: the account
// and Region of its records, with what those records hold.
type Placement struct {
	// Account is the records' account-id when it is an account id (AWS
	// writes "unknown" for interfaces that AWS services create), else the
	// account of their S3 location; Region is their region field, else the
	// Region of their S3 location. "" when the records do not say.
	Account, Region string
	Records         int64
	Bytes           *big.Int  // exact at any size (total.go)
	First, Last     time.Time // the earliest start and latest end
	// ActorPorts counts the distinct source ports of the records the actor
	// sent; ActorPort is that port when there is exactly one.
	ActorPorts int64
	ActorPort  int
}

// EvidencePlacements runs a finding's evidence query and groups its records
// by account and Region, largest group first: a finding belongs to the
// accounts and Regions of its own records, never to the case's most common
// one. actor is the finding's src ("" for none).
func (c *Case) EvidencePlacements(ctx context.Context, evidenceSQL, actor string) ([]Placement, error) {
	q := `SELECT CASE WHEN regexp_full_match(coalesce(account_id, ''), '[0-9]{12}') THEN account_id
			WHEN regexp_full_match(coalesce(account_partition, ''), '[0-9]{12}') THEN account_partition END AS account,
		coalesce(region, region_partition) AS region,
		count(*), sum(bytes), min(start), max("end"),
		count(DISTINCT srcport) FILTER (WHERE coalesce(pkt_srcaddr, srcaddr) = ?), min(srcport) FILTER (WHERE coalesce(pkt_srcaddr, srcaddr) = ?)
		FROM (` + strings.TrimRight(strings.TrimSpace(evidenceSQL), ";") + `) e GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`
	rows, err := c.db.QueryContext(ctx, q, actor, actor)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Placement
	for rows.Next() {
		var p Placement
		var account, region sql.NullString
		var first, last, port sql.NullInt64
		if err := rows.Scan(&account, &region, &p.Records, Total(&p.Bytes), &first, &last, &p.ActorPorts, &port); err != nil {
			return nil, err
		}
		p.Account, p.Region = account.String, region.String
		if first.Valid {
			p.First = time.Unix(first.Int64, 0).UTC()
		}
		if last.Valid {
			p.Last = time.Unix(last.Int64, 0).UTC()
		}
		if p.ActorPorts == 1 {
			p.ActorPort = int(port.Int64)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindingEvidence runs a finding's evidence query (a SELECT * FROM flows
// ...) and returns its records in time order, with start and end as times
// (UTC) instead of epoch seconds. The query runs in the read-only sandbox
// like any other.
func (c *Case) FindingEvidence(ctx context.Context, evidenceSQL string) (*Result, error) {
	return c.Query(ctx, `SELECT * REPLACE (to_timestamp(start) AS start, to_timestamp("end") AS "end")
		FROM (`+strings.TrimRight(strings.TrimSpace(evidenceSQL), ";")+`) e ORDER BY e.start, e."end", e.source_id, e.source_line`)
}
