package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/inventory"
)

// Inventory snapshots: every snapshot (SDK or imported describe-* JSON) is
// kept whole with its time, so exposure, gaps and baseline diffs can be
// recomputed from the case alone, and the interface owners and VPC CIDRs of
// the newest snapshot enrich investigation, IOC and detection output through
// the views interface_owner and vpc_cidrs.
func init() {
	registerDDL(func() []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS inventory_snapshots (
				snapshot_id INTEGER PRIMARY KEY,
				taken_at TIMESTAMPTZ NOT NULL,  -- when the resources were read (SDK), or --taken-at / the import time
				stored_at TIMESTAMPTZ NOT NULL,
				method VARCHAR NOT NULL,        -- sdk or import
				origin VARCHAR,                 -- profile and regions, or the imported paths
				regions VARCHAR,                -- comma-separated
				resources INTEGER NOT NULL,
				warnings VARCHAR,               -- JSON array of what did not stop the snapshot
				flowir_version VARCHAR
			)`,
			`CREATE TABLE IF NOT EXISTS inventory_resources (
				snapshot_id INTEGER NOT NULL,
				resource_type VARCHAR NOT NULL, -- vpc, subnet, security_group, ... (flowir inventory kinds)
				resource_id VARCHAR NOT NULL,
				region VARCHAR,
				account_id VARCHAR,
				vpc_id VARCHAR,
				source VARCHAR,                 -- file or API call it was read from
				data VARCHAR NOT NULL           -- the resource's JSON exactly as AWS printed it
			)`,
			`CREATE TABLE IF NOT EXISTS inventory_files (
				snapshot_id INTEGER NOT NULL,
				path VARCHAR NOT NULL,
				sha256 VARCHAR,
				size BIGINT,
				items VARCHAR                   -- JSON object: kind -> items read
			)`,
			`CREATE TABLE IF NOT EXISTS inventory_interfaces (
				snapshot_id INTEGER NOT NULL,
				interface_id VARCHAR NOT NULL,
				owner_type VARCHAR,             -- instance, load_balancer, nat_gateway, vpc_endpoint, lambda, ...
				owner_id VARCHAR,
				owner_name VARCHAR,
				instance_id VARCHAR,
				interface_type VARCHAR,
				description VARCHAR,
				status VARCHAR,
				subnet_id VARCHAR,
				vpc_id VARCHAR,
				account_id VARCHAR,
				region VARCHAR,
				security_groups VARCHAR[],
				private_ips VARCHAR[],
				public_ips VARCHAR[],
				ipv6_addresses VARCHAR[]
			)`,
			`CREATE TABLE IF NOT EXISTS inventory_vpc_cidrs (
				snapshot_id INTEGER NOT NULL,
				vpc_id VARCHAR NOT NULL,
				cidr VARCHAR NOT NULL,
				account_id VARCHAR,
				region VARCHAR
			)`,
			// The newest snapshot (by the time it describes) that holds network
			// resources answers enrichment: one with Prowler results alone
			// (stored by an older flowir) describes no interface.
			`CREATE OR REPLACE VIEW interface_owner AS
				SELECT * EXCLUDE (snapshot_id) FROM inventory_interfaces
				WHERE snapshot_id = (` + newestNetworkSnapshotSQL + `)`,
			`CREATE OR REPLACE VIEW vpc_cidrs AS
				SELECT * EXCLUDE (snapshot_id) FROM inventory_vpc_cidrs
				WHERE snapshot_id = (` + newestNetworkSnapshotSQL + `)`,
		}
	})
}

// prowlerKind is the inventory kind of Prowler results: checks about
// resources, not resources of the network.
const prowlerKind = "prowler_finding"

// newestNetworkSnapshotSQL selects the newest snapshot holding network
// resources.
const newestNetworkSnapshotSQL = `SELECT s.snapshot_id FROM inventory_snapshots s
	WHERE EXISTS (SELECT 1 FROM inventory_resources r WHERE r.snapshot_id = s.snapshot_id AND r.resource_type <> '` + prowlerKind + `')
	ORDER BY s.taken_at DESC, s.snapshot_id DESC LIMIT 1`

// InventorySnapshot describes one stored snapshot.
type InventorySnapshot struct {
	ID        int64          `json:"snapshot_id"`
	TakenAt   time.Time      `json:"taken_at"`
	StoredAt  time.Time      `json:"stored_at"`
	Method    string         `json:"method"` // sdk or import
	Origin    string         `json:"origin"`
	Regions   []string       `json:"regions"`
	Resources int            `json:"resources"`
	Warnings  []string       `json:"warnings"`
	Version   string         `json:"flowir_version"`
	Counts    map[string]int `json:"counts,omitempty"`
}

// HasNetwork reports whether the snapshot holds network resources, not only
// Prowler results.
func (s *InventorySnapshot) HasNetwork() bool {
	for k, n := range s.Counts {
		if k != prowlerKind && n > 0 {
			return true
		}
	}
	return false
}

// ErrNoInventory is returned when the case holds no inventory snapshot.
var ErrNoInventory = errors.New("no inventory in the case: run `flowir inventory import PATH...` (describe-* JSON) or `flowir inventory snapshot` first")

// SaveInventory stores inv as a new snapshot in one transaction and returns
// its id. meta gives the time, method and origin; ID, Resources, Regions and
// StoredAt are filled in.
func (c *Case) SaveInventory(ctx context.Context, inv *inventory.Inventory, meta InventorySnapshot) (int64, error) {
	if c.ReadOnly {
		return 0, errors.New("case opened read-only")
	}
	res := inv.Resources()
	if len(res) == 0 {
		return 0, errors.New("the inventory is empty: nothing to store")
	}
	if meta.TakenAt.IsZero() {
		meta.TakenAt = time.Now()
	}
	if meta.Regions == nil {
		meta.Regions = inv.Regions()
	}
	if meta.Warnings == nil {
		meta.Warnings = inv.Warnings
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(snapshot_id), 0) + 1 FROM inventory_snapshots`).Scan(&id); err != nil {
		return 0, err
	}
	warn, _ := json.Marshal(nonNil(meta.Warnings))
	if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_snapshots VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?)`,
		id, meta.TakenAt.UTC(), meta.Method, meta.Origin, strings.Join(meta.Regions, ","), len(res), string(warn), Version); err != nil {
		return 0, fmt.Errorf("store inventory snapshot: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO inventory_resources VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for _, r := range res {
		if _, err := stmt.ExecContext(ctx, id, r.Kind, r.ID, nullStr(r.Region), nullStr(r.Account), nullStr(r.VpcID), nullStr(r.Source), string(r.Data)); err != nil {
			return 0, fmt.Errorf("store %s %s: %w", r.Kind, r.ID, err)
		}
	}
	for _, f := range inv.Files {
		items, _ := json.Marshal(f.Items)
		if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_files VALUES (?, ?, ?, ?, ?)`, id, f.Path, nullStr(f.SHA256), f.Size, string(items)); err != nil {
			return 0, err
		}
	}
	for _, o := range inv.Owners() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_interfaces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, o.InterfaceID, o.OwnerType, nullStr(o.OwnerID), nullStr(o.OwnerName), nullStr(o.InstanceID), nullStr(o.InterfaceType),
			nullStr(o.Description), nullStr(o.Status), nullStr(o.SubnetID), nullStr(o.VpcID), nullStr(o.Account), nullStr(o.Region),
			nonNil(o.SecurityGroups), nonNil(o.PrivateIPs), nonNil(o.PublicIPs), nonNil(o.IPv6Addresses)); err != nil {
			return 0, fmt.Errorf("store owner of %s: %w", o.InterfaceID, err)
		}
	}
	for _, v := range inv.VPCCIDRs() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_vpc_cidrs VALUES (?, ?, ?, ?, ?)`, id, v.VpcID, v.CIDR, nullStr(v.Account), nullStr(v.Region)); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return id, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hasInventoryTables reports whether the case has the inventory tables (a
// case last written by an older flowir, opened read-only, has not).
func (c *Case) hasInventoryTables(ctx context.Context) (bool, error) {
	return c.hasTable(ctx, "inventory_snapshots")
}

// InventorySnapshots lists the stored snapshots, oldest first by the time
// they describe.
func (c *Case) InventorySnapshots(ctx context.Context) ([]InventorySnapshot, error) {
	ok, err := c.hasInventoryTables(ctx)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT snapshot_id, taken_at, stored_at, method, coalesce(origin, ''), coalesce(regions, ''), resources, coalesce(warnings, '[]'), coalesce(flowir_version, '')
		FROM inventory_snapshots ORDER BY taken_at, snapshot_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InventorySnapshot
	for rows.Next() {
		var s InventorySnapshot
		var regions, warnings string
		if err := rows.Scan(&s.ID, &s.TakenAt, &s.StoredAt, &s.Method, &s.Origin, &regions, &s.Resources, &warnings, &s.Version); err != nil {
			return nil, err
		}
		s.TakenAt, s.StoredAt = s.TakenAt.UTC(), s.StoredAt.UTC()
		if regions != "" {
			s.Regions = strings.Split(regions, ",")
		}
		_ = json.Unmarshal([]byte(warnings), &s.Warnings)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Counts = map[string]int{}
		r, err := c.db.QueryContext(ctx, `SELECT resource_type, count(*) FROM inventory_resources WHERE snapshot_id = ? GROUP BY 1`, out[i].ID)
		if err != nil {
			return nil, err
		}
		for r.Next() {
			var k string
			var n int
			if err := r.Scan(&k, &n); err != nil {
				r.Close()
				return nil, err
			}
			out[i].Counts[k] = n
		}
		r.Close()
	}
	return out, nil
}

// LatestInventoryID returns the id of the newest snapshot (by the time it
// describes) that holds network resources, else of the newest snapshot, or
// ErrNoInventory.
func (c *Case) LatestInventoryID(ctx context.Context) (int64, error) {
	snaps, err := c.InventorySnapshots(ctx)
	if err != nil {
		return 0, err
	}
	if len(snaps) == 0 {
		return 0, ErrNoInventory
	}
	return NewestNetworkSnapshot(snaps, time.Time{}).ID, nil
}

// NewestNetworkSnapshot returns, of snaps (oldest first), the newest that
// holds network resources and was taken at or before notAfter (zero: any
// time); else the newest that holds network resources; else the newest.
func NewestNetworkSnapshot(snaps []InventorySnapshot, notAfter time.Time) *InventorySnapshot {
	var later *InventorySnapshot
	for i := len(snaps) - 1; i >= 0; i-- {
		s := &snaps[i]
		if !s.HasNetwork() {
			continue
		}
		if notAfter.IsZero() || !s.TakenAt.After(notAfter) {
			return s
		}
		if later == nil {
			later = s
		}
	}
	if later != nil {
		return later
	}
	return &snaps[len(snaps)-1]
}

// AttachProwler adds the Prowler results of inv to snapshot id, the
// inventory they describe, in one transaction: a result already in the
// snapshot (the same check, resource and status) is replaced, not doubled;
// the files are recorded with the snapshot and its origin notes the import.
// Prowler results never make a snapshot of their own over a network one.
func (c *Case) AttachProwler(ctx context.Context, id int64, inv *inventory.Inventory, origin string) (int, error) {
	if c.ReadOnly {
		return 0, errors.New("case opened read-only")
	}
	var res []inventory.Resource
	for _, r := range inv.Resources() {
		if r.Kind != prowlerKind {
			return 0, fmt.Errorf("only Prowler results attach to a snapshot; %s %s is a network resource: import it as a snapshot of its own", r.Kind, r.ID)
		}
		res = append(res, r)
	}
	tx, err := c.beginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM inventory_snapshots WHERE snapshot_id = ?`, id).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("no inventory snapshot %d in the case (list them with `flowir inventory snapshots`)", id)
	}
	for _, r := range res {
		if _, err := tx.ExecContext(ctx, `DELETE FROM inventory_resources WHERE snapshot_id = ? AND resource_type = ? AND resource_id = ?`, id, r.Kind, r.ID); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_resources VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.Kind, r.ID, nullStr(r.Region), nullStr(r.Account), nullStr(r.VpcID), nullStr(r.Source), string(r.Data)); err != nil {
			return 0, fmt.Errorf("store %s %s: %w", r.Kind, r.ID, err)
		}
	}
	for _, f := range inv.Files {
		items, _ := json.Marshal(f.Items)
		if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_files VALUES (?, ?, ?, ?, ?)`, id, f.Path, nullStr(f.SHA256), f.Size, string(items)); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE inventory_snapshots SET
		resources = (SELECT count(*) FROM inventory_resources WHERE snapshot_id = ?),
		origin = concat_ws('; ', origin, ?) WHERE snapshot_id = ?`, id, "Prowler results from "+origin, id); err != nil {
		return 0, err
	}
	return len(res), tx.Commit()
}

// LoadInventory reads snapshot id back (0: the newest that holds network
// resources, see LatestInventoryID).
func (c *Case) LoadInventory(ctx context.Context, id int64) (*inventory.Inventory, *InventorySnapshot, error) {
	snaps, err := c.InventorySnapshots(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(snaps) == 0 {
		return nil, nil, ErrNoInventory
	}
	var meta *InventorySnapshot
	if id == 0 {
		meta = NewestNetworkSnapshot(snaps, time.Time{})
	} else {
		for i := range snaps {
			if snaps[i].ID == id {
				meta = &snaps[i]
			}
		}
		if meta == nil {
			var ids []string
			for _, s := range snaps {
				ids = append(ids, fmt.Sprint(s.ID))
			}
			return nil, nil, fmt.Errorf("no inventory snapshot %d in the case (it has %s; list them with `flowir inventory snapshots`)", id, strings.Join(ids, ", "))
		}
	}
	rows, err := c.db.QueryContext(ctx, `SELECT resource_type, resource_id, coalesce(region, ''), coalesce(source, ''), data
		FROM inventory_resources WHERE snapshot_id = ? ORDER BY rowid`, meta.ID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	inv := &inventory.Inventory{}
	for rows.Next() {
		var r inventory.Resource
		var data string
		if err := rows.Scan(&r.Kind, &r.ID, &r.Region, &r.Source, &data); err != nil {
			return nil, nil, err
		}
		r.Data = json.RawMessage(data)
		if err := inv.AddResource(r); err != nil {
			return nil, nil, fmt.Errorf("inventory snapshot %d: %w", meta.ID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	f, err := c.db.QueryContext(ctx, `SELECT path, coalesce(sha256, ''), coalesce(size, 0), coalesce(items, '{}') FROM inventory_files WHERE snapshot_id = ? ORDER BY rowid`, meta.ID)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	for f.Next() {
		var sf inventory.SourceFile
		var items string
		if err := f.Scan(&sf.Path, &sf.SHA256, &sf.Size, &items); err != nil {
			return nil, nil, err
		}
		_ = json.Unmarshal([]byte(items), &sf.Items)
		inv.Files = append(inv.Files, sf)
	}
	inv.Warnings = meta.Warnings
	inv.Finish()
	return inv, meta, f.Err()
}

// InterfaceOwners returns what every interface of the newest snapshot
// belongs to (instance and Name tag, load balancer, NAT gateway, ...), with
// its subnet, VPC and security groups, keyed by interface id. It returns an
// empty map, not an error, when the case has no inventory: enrichment is
// optional.
func (c *Case) InterfaceOwners(ctx context.Context) (map[string]inventory.Owner, error) {
	out := map[string]inventory.Owner{}
	ok, err := c.hasInventoryTables(ctx)
	if err != nil || !ok {
		return out, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT interface_id, coalesce(owner_type, ''), coalesce(owner_id, ''), coalesce(owner_name, ''),
		coalesce(instance_id, ''), coalesce(interface_type, ''), coalesce(description, ''), coalesce(status, ''), coalesce(subnet_id, ''),
		coalesce(vpc_id, ''), coalesce(account_id, ''), coalesce(region, ''), security_groups, private_ips, public_ips, ipv6_addresses
		FROM interface_owner`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o inventory.Owner
		var sgs, priv, pub, v6 any
		if err := rows.Scan(&o.InterfaceID, &o.OwnerType, &o.OwnerID, &o.OwnerName, &o.InstanceID, &o.InterfaceType, &o.Description,
			&o.Status, &o.SubnetID, &o.VpcID, &o.Account, &o.Region, &sgs, &priv, &pub, &v6); err != nil {
			return nil, err
		}
		o.SecurityGroups, o.PrivateIPs, o.PublicIPs, o.IPv6Addresses = strList(sgs), strList(priv), strList(pub), strList(v6)
		out[o.InterfaceID] = o
	}
	return out, rows.Err()
}

func strList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// VPCCIDRs returns the CIDRs of every VPC of the newest snapshot (empty
// without an inventory): addresses inside them are internal.
func (c *Case) VPCCIDRs(ctx context.Context) ([]inventory.VPCCIDR, error) {
	ok, err := c.hasInventoryTables(ctx)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT vpc_id, cidr, coalesce(account_id, ''), coalesce(region, '') FROM vpc_cidrs ORDER BY vpc_id, cidr`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inventory.VPCCIDR
	for rows.Next() {
		var v inventory.VPCCIDR
		if err := rows.Scan(&v.VpcID, &v.CIDR, &v.Account, &v.Region); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// HasFlows reports whether the case holds any VPC flow log record.
func (c *Case) HasFlows(ctx context.Context) (bool, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM flows LIMIT 1)`).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		return false, nil
	}
	return n > 0, err
}

// InboundSources answers one exposure row from the flow logs: the accepted
// records on the interface to its private addresses, with the row's protocol
// and destination ports, aggregated per source address. Which sources are
// external is decided by the caller (inventory.SummarizeSeen), with
// CIDR-correct matching.
func (c *Case) InboundSources(ctx context.Context, q inventory.FlowQuery) ([]inventory.SourceAgg, error) {
	if q.InterfaceID == "" || len(q.DstAddrs) == 0 {
		return nil, nil
	}
	var where []string
	args := []any{q.InterfaceID}
	where = append(where, `interface_id = ?`, `action = 'ACCEPT'`, `srcaddr IS NOT NULL`)
	ph := make([]string, len(q.DstAddrs))
	for i, a := range q.DstAddrs {
		ph[i] = "?"
		args = append(args, a)
	}
	where = append(where, "dstaddr IN ("+strings.Join(ph, ", ")+")")
	if len(q.Protocols) > 0 {
		ph := make([]string, len(q.Protocols))
		for i, p := range q.Protocols {
			ph[i] = "?"
			args = append(args, p)
		}
		where = append(where, "protocol IN ("+strings.Join(ph, ", ")+")")
	}
	if len(q.NotProtos) > 0 {
		ph := make([]string, len(q.NotProtos))
		for i, p := range q.NotProtos {
			ph[i] = "?"
			args = append(args, p)
		}
		where = append(where, "protocol NOT IN ("+strings.Join(ph, ", ")+")")
	}
	if q.FromPort >= 0 {
		where = append(where, "dstport BETWEEN ? AND ?")
		args = append(args, q.FromPort, q.ToPort)
	}
	rows, err := c.db.QueryContext(ctx, `SELECT srcaddr, count(*), CAST(coalesce(sum(bytes), 0) AS BIGINT), coalesce(min(start), 0), coalesce(max("end"), 0)
		FROM flows WHERE `+strings.Join(where, " AND ")+` GROUP BY srcaddr ORDER BY srcaddr`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inventory.SourceAgg
	for rows.Next() {
		var s inventory.SourceAgg
		var src sql.NullString
		if err := rows.Scan(&src, &s.Records, &s.Bytes, &s.First, &s.Last); err != nil {
			return nil, err
		}
		s.Src = src.String
		out = append(out, s)
	}
	return out, rows.Err()
}
