package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Enrichment: what is known about each address of the case beyond the
// records (AWS service and Region, autonomous system, country, reverse
// DNS), looked up once per distinct address by `flowir enrich` and kept
// here with each value's source and the source's date, so that every
// answer is reproducible and offline.
//
// Table aws_ranges keeps every ip-ranges.json loaded into the case, whole
// (the newest is used), so the AWS labels can be recomputed after more
// logs are ingested without the file or the network. Table enrichment has
// one row per (address, field, kind of source); view address_enrichment
// has one row per address with the value each field shows (the records'
// own pkt-*-aws-service over the published ranges for aws_service, as
// enrich.NewTable decides).
func init() {
	registerDDL(func() []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS aws_ranges (
				loaded_at TIMESTAMPTZ NOT NULL,
				origin VARCHAR NOT NULL,        -- the file or URL
				sha256 VARCHAR NOT NULL,
				sync_token VARCHAR NOT NULL,
				create_date TIMESTAMP NOT NULL, -- the file's createDate (UTC): the date of its values
				prefixes INTEGER NOT NULL,
				document VARCHAR NOT NULL,      -- the file as read
				flowir_version VARCHAR
			)`,
			`CREATE TABLE IF NOT EXISTS enrichment (
				address VARCHAR NOT NULL,
				field VARCHAR NOT NULL,         -- aws_service, aws_region, network_border_group, aws_services, asn, as_org, country, city, ptr
				value VARCHAR NOT NULL,
				kind VARCHAR NOT NULL,          -- aws-ranges, flow-records, geoip, dns: what a recomputation replaces
				source VARCHAR NOT NULL,        -- the file, database or resolver, with its version
				source_date TIMESTAMP,          -- UTC: the source's date (createDate, build time, last record, time of the DNS lookup)
				computed_at TIMESTAMPTZ NOT NULL
			)`,
			`CREATE OR REPLACE VIEW address_enrichment AS
				SELECT address,
					coalesce(max(value) FILTER (WHERE field = 'aws_service' AND kind = 'flow-records' AND value <> 'AMAZON'),
						max(value) FILTER (WHERE field = 'aws_service' AND kind = 'aws-ranges'),
						max(value) FILTER (WHERE field = 'aws_service' AND kind = 'flow-records')) AS aws_service,
					max(value) FILTER (WHERE field = 'aws_region') AS aws_region,
					max(value) FILTER (WHERE field = 'network_border_group') AS network_border_group,
					TRY_CAST(max(value) FILTER (WHERE field = 'asn') AS BIGINT) AS asn,
					max(value) FILTER (WHERE field = 'as_org') AS as_org,
					max(value) FILTER (WHERE field = 'country') AS country,
					max(value) FILTER (WHERE field = 'city') AS city,
					max(value) FILTER (WHERE field = 'ptr') AS ptr
				FROM enrichment GROUP BY address`,
		}
	})
}

// AWSRangesDoc is one ip-ranges.json stored in the case.
type AWSRangesDoc struct {
	LoadedAt   time.Time
	Origin     string
	SHA256     string
	SyncToken  string
	CreateDate time.Time
	Prefixes   int
	Document   []byte
}

// SaveAWSRanges stores a loaded ip-ranges.json; the newest loaded is used.
func (c *Case) SaveAWSRanges(ctx context.Context, d AWSRangesDoc) error {
	if c.ReadOnly {
		return fmt.Errorf("case %s is open read-only", c.Dir)
	}
	_, err := c.db.ExecContext(ctx, `INSERT INTO aws_ranges VALUES (now(), ?, ?, ?, ?, ?, ?, ?)`,
		d.Origin, d.SHA256, d.SyncToken, d.CreateDate.UTC(), d.Prefixes, string(d.Document), Version)
	return err
}

// LatestAWSRanges returns the ip-ranges.json loaded last, or nil when the
// case has none.
func (c *Case) LatestAWSRanges(ctx context.Context) (*AWSRangesDoc, error) {
	if ok, err := c.hasTable(ctx, "aws_ranges"); err != nil || !ok {
		return nil, err
	}
	var d AWSRangesDoc
	var doc string
	err := c.db.QueryRowContext(ctx, `SELECT loaded_at, origin, sha256, sync_token, create_date, prefixes, document
		FROM aws_ranges ORDER BY loaded_at DESC, create_date DESC LIMIT 1`).
		Scan(&d.LoadedAt, &d.Origin, &d.SHA256, &d.SyncToken, &d.CreateDate, &d.Prefixes, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d.LoadedAt, d.CreateDate, d.Document = d.LoadedAt.UTC(), d.CreateDate.UTC(), []byte(doc)
	return &d, nil
}

// hasTable reports whether the case has a table (a case last written by an
// older flowir, opened read-only, lacks the newer ones).
func (c *Case) hasTable(ctx context.Context, name string) (bool, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, name).Scan(&n)
	return n > 0, err
}

// EnrichmentRow is one stored fact about one address.
type EnrichmentRow struct {
	Address    string
	Field      string
	Value      string
	Kind       string
	Source     string
	SourceDate time.Time
	ComputedAt time.Time
}

// ReplaceEnrichment replaces, in one transaction, the stored values of the
// given kinds of source with rows (whose kinds must be among them).
func (c *Case) ReplaceEnrichment(ctx context.Context, kinds []string, rows []EnrichmentRow) error {
	if c.ReadOnly {
		return fmt.Errorf("case %s is open read-only", c.Dir)
	}
	for _, r := range rows {
		found := false
		for _, k := range kinds {
			found = found || k == r.Kind
		}
		if !found {
			return fmt.Errorf("enrichment of %s: kind %q is not among those replaced (%v)", r.Address, r.Kind, kinds)
		}
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM enrichment WHERE kind IN (SELECT unnest(?::VARCHAR[]))`, kinds); err != nil {
		return err
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{r.Address, r.Field, r.Value, r.Kind, r.Source, naiveUTC(r.SourceDate)}
	}
	if err := insertRows(ctx, tx, "INSERT INTO enrichment VALUES ", "(?, ?, ?, ?, ?, ?, now())", vals); err != nil {
		return err
	}
	return tx.Commit()
}

// Enrichment returns every stored value (none for a case without the table).
func (c *Case) Enrichment(ctx context.Context) ([]EnrichmentRow, error) {
	if ok, err := c.hasTable(ctx, "enrichment"); err != nil || !ok {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT address, field, value, kind, source, source_date, computed_at FROM enrichment
		ORDER BY address, field, kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EnrichmentRow
	for rows.Next() {
		var r EnrichmentRow
		var sd sql.NullTime
		if err := rows.Scan(&r.Address, &r.Field, &r.Value, &r.Kind, &r.Source, &sd, &r.ComputedAt); err != nil {
			return nil, err
		}
		r.SourceDate, r.ComputedAt = sd.Time.UTC(), r.ComputedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// FlowAWSService is what the records say of one address's AWS service.
type FlowAWSService struct {
	Address  string
	Services []string
	Records  int64
	LastSeen time.Time
}

// FlowAWSServices lists, per address, the values of pkt-src-aws-service
// (for the records' pkt-srcaddr, or srcaddr when the format has no
// pkt-srcaddr) and pkt-dst-aws-service (likewise for the destination).
func (c *Case) FlowAWSServices(ctx context.Context) ([]FlowAWSService, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT a, list(DISTINCT s ORDER BY s), count(*), max("end") FROM (
		SELECT coalesce(pkt_srcaddr, srcaddr) AS a, pkt_src_aws_service AS s, "end" FROM flows WHERE pkt_src_aws_service IS NOT NULL
		UNION ALL
		SELECT coalesce(pkt_dstaddr, dstaddr), pkt_dst_aws_service, "end" FROM flows WHERE pkt_dst_aws_service IS NOT NULL
	) WHERE a IS NOT NULL AND s <> '-' GROUP BY a ORDER BY a`)
	if err != nil {
		return nil, fmt.Errorf("read the records' AWS services: %w", err)
	}
	defer rows.Close()
	var out []FlowAWSService
	for rows.Next() {
		var f FlowAWSService
		var list any
		var last sql.NullInt64
		if err := rows.Scan(&f.Address, &list, &f.Records, &last); err != nil {
			return nil, err
		}
		f.Services = strList(list)
		if last.Valid {
			f.LastSeen = time.Unix(last.Int64, 0).UTC()
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// InterfaceAddresses returns, for each interface id, the addresses its
// records show as its own: the destination of its ingress records and the
// source of its egress records (the flow-direction field, version 5). It
// finds nothing in formats without flow-direction.
func (c *Case) InterfaceAddresses(ctx context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.db.QueryContext(ctx, `SELECT DISTINCT interface_id, CASE flow_direction WHEN 'ingress' THEN dstaddr ELSE srcaddr END AS a
		FROM flows WHERE interface_id IN (SELECT unnest(?::VARCHAR[])) AND flow_direction IN ('ingress', 'egress') AND a IS NOT NULL ORDER BY 1, 2`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, a string
		if err := rows.Scan(&id, &a); err != nil {
			return nil, err
		}
		out[id] = append(out[id], a)
	}
	return out, rows.Err()
}
