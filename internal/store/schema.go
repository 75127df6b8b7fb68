package store

import (
	"fmt"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// SchemaVersion is the version of the case layout written by this build. A
// case records the version that created it; see checkSchema. Version 3
// stores flow records in Parquet files under data/ (datafiles.go), read
// through the views flows and tgwflow; version 2 had VPC records in narrow
// DuckDB tables under the flows view and Transit Gateway records in table
// tgwflow; version 1 had VPC records in table flows, which becomes
// flows_wide. Read-only commands read older cases as they are (their views
// and tables have the columns of version 3's views); writing commands
// upgrade them (upgradeTo2, upgradeTo3).
const SchemaVersion = 3

// sqlType is the DuckDB column type of a field kind.
func sqlType(k flow.Kind) string {
	switch k {
	case flow.KindInt32:
		return "INTEGER"
	case flow.KindInt64:
		return "BIGINT"
	}
	return "VARCHAR"
}

// Quote quotes an identifier for DuckDB (and Trino): `end` and `type` are
// reserved words and hyphenated names need quotes too.
func Quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// flowsColumns returns the column definitions of table flows_wide and of the
// flows view (layout.go): every VPC field under its snake_case name, in
// flowir's field order, then the columns flowir adds.
func flowsColumns() []string { return columnDefs(allColumns(false)) }

// moduleDDL holds the statements with which other files of this package add
// their tables and views (IOC lists, findings, inventory snapshots, ...).
// Every statement must be idempotent (IF NOT EXISTS, OR REPLACE): they run on
// every read-write open, so a case made by an older flowir gains new tables
// on its next write.
var moduleDDL []func() []string

// registerDDL adds a file's tables and views to the case schema; call it from
// an init function.
func registerDDL(f func() []string) { moduleDDL = append(moduleDDL, f) }

// allDDL is the whole schema: base tables, the registry of data files, the
// views flows and tgwflow over the registered files, module tables, then
// views.
func (c *Case) allDDL(files map[string][]string) ([]string, error) {
	data, err := c.dataViewsDDL(files)
	if err != nil {
		return nil, err
	}
	stmts := append(append(schemaDDL(), dataFilesDDL()...), data...)
	for _, f := range moduleDDL {
		stmts = append(stmts, f()...)
	}
	return append(stmts, viewDDL()...), nil
}

// schemaDDL creates the base tables of a case.
func schemaDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS case_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
		`CREATE TABLE IF NOT EXISTS sources (
			source_id INTEGER PRIMARY KEY,  -- allocated by flowir, the case's only writer
			path VARCHAR NOT NULL,          -- file path, s3://bucket/key, or cwl://group/stream
			origin VARCHAR NOT NULL,        -- file, s3, cwl
			etag VARCHAR,                   -- S3 ETag when read from S3
			size BIGINT,                    -- bytes as stored (compressed)
			sha256 VARCHAR NOT NULL,        -- of the bytes as stored; the chain of custody
			format VARCHAR,                 -- detected container and record format
			log_format VARCHAR,             -- the ${field} format of the records (last header seen)
			account_partition VARCHAR,
			region_partition VARCHAR,
			date_partition VARCHAR,
			hour_partition VARCHAR,
			lines BIGINT NOT NULL,
			records BIGINT NOT NULL,
			rejects BIGINT NOT NULL,
			headers BIGINT NOT NULL,
			status VARCHAR NOT NULL,        -- complete, partial, failed
			error VARCHAR,                  -- why a file is partial or failed
			ingested_at TIMESTAMPTZ NOT NULL,
			flowir_version VARCHAR
		)`,
		`CREATE TABLE IF NOT EXISTS rejects (
			source_id INTEGER NOT NULL,
			line BIGINT NOT NULL,
			reason VARCHAR NOT NULL,
			detail VARCHAR NOT NULL,
			raw VARCHAR NOT NULL            -- the line, at most 4 KiB, invalid UTF-8 escaped
		)`,
		// The rejects of a source past the first RejectsKept, counted by
		// reason (writer.go): lines = records + rejects + headers holds
		// with rejects = the source's rows in rejects + these lines.
		`CREATE TABLE IF NOT EXISTS rejects_not_kept (
			source_id INTEGER NOT NULL,
			reason VARCHAR NOT NULL,
			lines BIGINT NOT NULL
		)`,
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n\t%s\n)", wideTable, strings.Join(flowsColumns(), ",\n\t")),
	}
}

// VPCFlowColumns maps the playbook DDL's column names (table `vpcflow`) to
// expressions over `flows`. The playbook's Athena table names columns its own
// way; flowir keeps that naming in a view so its queries run unchanged.
var VPCFlowColumns = [][2]string{
	{"version", "version"},
	{"account", "account_id"},
	{"interfaceid", "interface_id"},
	{"sourceaddress", "srcaddr"},
	{"destinationaddress", "dstaddr"},
	{"sourceport", "srcport"},
	{"destinationport", "dstport"},
	{"protocol", "protocol"},
	{"numpackets", "packets"},
	{"numbytes", "bytes"},
	{"starttime", "start"},
	{"endtime", `"end"`},
	{"action", "action"},
	{"logstatus", "log_status"},
	{"vpcid", "vpc_id"},
	{"type", `"type"`},
	{"tcpflags", "tcp_flags"},
	{"subnetid", "subnet_id"},
	{"sublocationtype", "sublocation_type"},
	{"sublocationid", "sublocation_id"},
	{"region", "region"},
	{"pktsrcaddr", "pkt_srcaddr"},
	{"pktdstaddr", "pkt_dstaddr"},
	{"instanceid", "instance_id"},
	{"azid", "az_id"},
	{"pkt-src-aws-service", "pkt_src_aws_service"},
	{"pkt-dst-aws-service", "pkt_dst_aws_service"},
	{"flow-direction", "flow_direction"},
	{"traffic-path", "traffic_path"},
	{"date_partition", "date_partition"},
	{"region_partition", "region_partition"},
	{"account_partition", "account_partition"},
}

// viewDDL (re)creates the views; they are rebuilt on every read-write open so
// that a newer flowir's view definitions replace an older one's.
func viewDDL() []string {
	cols := make([]string, len(VPCFlowColumns))
	for i, c := range VPCFlowColumns {
		cols[i] = c[1] + " AS " + Quote(c[0])
	}
	return []string{
		"CREATE OR REPLACE VIEW vpcflow AS SELECT " + strings.Join(cols, ", ") + " FROM flows",
	}
}
