package athena

import (
	"fmt"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/sqltext"
)

// Layout is the S3 folder layout the flow log delivers in (the flow log's
// destination options PerHourPartition and HiveCompatiblePartitions).
type Layout string

// The four layouts of reference §3.1.
const (
	LayoutPlain      Layout = "plain"       // AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/
	LayoutHourly     Layout = "hourly"      // .../{dd}/{HH}/
	LayoutHive       Layout = "hive"        // AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/
	LayoutHiveHourly Layout = "hive-hourly" // .../day=…/hour=…/
)

// Layouts lists the layouts in help order.
var Layouts = []Layout{LayoutPlain, LayoutHourly, LayoutHive, LayoutHiveHourly}

// FileFormat is the flow log's FileFormat destination option.
type FileFormat string

// The two file formats flow logs deliver to S3.
const (
	Text    FileFormat = "text" // plain-text, gzip, header line
	Parquet FileFormat = "parquet"
)

// Defaults for names flowir generates.
const (
	DefaultDatabase = "flowir"
	DefaultTable    = "vpc_flow_logs"
	IOCTable        = "incident_iocs"
	DirectionalView = "incident_vpc_flow_directional"
)

// Spec describes the flow log table to generate: where the logs are, in
// which layout and format, and which fields in which order.
type Spec struct {
	Database   string
	Table      string
	Format     flow.Format // the log format, in its real order
	FileFormat FileFormat
	Layout     Layout
	Bucket     string
	Prefix     string   // optional folder before AWSLogs/, normalised by Validate
	Accounts   []string // 12-digit ids (the account_partition enum)
	Regions    []string // the region_partition enum
	Start      string   // YYYY/MM/DD, first day of the projection range
	// IOCLocation is the s3:// folder holding the IOC CSV file(s) of the
	// incident_iocs table; Validate defaults it to {bucket}/{prefix}/flowir-iocs/.
	IOCLocation string
	// AllowUnknownRegions accepts Region names that are not in KnownRegions.
	AllowUnknownRegions bool
}

// Validate checks every setting, fills defaults and normalises the prefix.
// It stops at the first problem, with a message that says how to fix it.
func (s *Spec) Validate(now time.Time) error {
	if s.Database == "" {
		s.Database = DefaultDatabase
	}
	if s.Table == "" {
		s.Table = DefaultTable
	}
	if s.FileFormat == "" {
		s.FileFormat = Text
	}
	if s.Layout == "" {
		s.Layout = LayoutPlain
	}
	if err := ValidateName("database", s.Database); err != nil {
		return err
	}
	if err := ValidateName("table", s.Table); err != nil {
		return err
	}
	if s.FileFormat != Text && s.FileFormat != Parquet {
		return invalidf("file format %q: use text or parquet", s.FileFormat)
	}
	switch s.Layout {
	case LayoutPlain, LayoutHourly, LayoutHive, LayoutHiveHourly:
	default:
		return invalidf("layout %q: use plain, hourly, hive or hive-hourly", s.Layout)
	}
	if err := ValidateFormat(s.Format); err != nil {
		return err
	}
	if err := ValidateBucket(s.Bucket); err != nil {
		return err
	}
	p, err := NormalizePrefix(s.Prefix)
	if err != nil {
		return err
	}
	s.Prefix = p
	if len(s.Accounts) == 0 {
		return invalidf("no accounts given: use --accounts 111122223333[,444455556666] (the account folders under AWSLogs/)")
	}
	for _, a := range s.Accounts {
		if err := ValidateAccount(a); err != nil {
			return err
		}
	}
	if len(s.Regions) == 0 {
		return invalidf("no Regions given: use --regions us-east-1[,eu-west-1]")
	}
	for _, r := range s.Regions {
		if err := ValidateRegion(r, s.AllowUnknownRegions); err != nil {
			return err
		}
	}
	if s.Start == "" {
		return invalidf("no --start given: the first day of the logs, YYYY/MM/DD")
	}
	if err := ValidateStart(s.Start, now); err != nil {
		return err
	}
	if s.IOCLocation == "" {
		s.IOCLocation = s.bucketRoot() + "flowir-iocs/"
	}
	if s.IOCLocation, err = ValidateS3URL("ioc-location", s.IOCLocation); err != nil {
		return err
	}
	return nil
}

// ValidateFormat refuses a log format the DDL cannot describe: empty, with a
// field flowir does not know (its type and meaning would be guesses), or a
// Transit Gateway format (another table shape; not generated yet).
func ValidateFormat(f flow.Format) error {
	if len(f.Cols) == 0 {
		return invalidf("no log format: give --log-format '${version} ${account-id} ...', --sample FILE or --flow-log-id fl-...")
	}
	if u := f.Unknown(); len(u) > 0 {
		return invalidf("unknown field(s) in the log format: %s; flow log fields are listed in AWS's \"Available fields\" (e.g. ${pkt-srcaddr}); check the spelling", strings.Join(u, ", "))
	}
	if f.IsTGW() {
		return invalidf("the log format is a Transit Gateway flow log format; flowir generates Athena DDL for VPC flow logs only")
	}
	return nil
}

// Column is one column of a generated table.
type Column struct {
	Name string // snake_case: the AWS field name with '_' for '-'
	Type string // Hive type: int, bigint, string
}

// HiveType is the Athena DDL type of a flow log field, as in AWS's Athena
// DDLs for text and Parquet (reference §3.1 and §5.3): int for the INT_32
// fields except protocol, bigint for protocol and the INT_64 fields, string
// for the rest. protocol is bigint because AWS's Athena Parquet DDL declares
// it so; flowir's Parquet export writes it as INT_64 to match.
func HiveType(id flow.FieldID) string {
	if id == flow.Protocol {
		return "bigint"
	}
	switch flow.Get(id).Kind {
	case flow.KindInt32:
		return "int"
	case flow.KindInt64:
		return "bigint"
	}
	return "string"
}

// Columns returns the table's columns in the log format's order. The order
// matters for text files: Hive's delimited SerDe maps fields by position,
// and a DDL in another order silently reads bytes as packets.
func (s *Spec) Columns() []Column {
	cols := make([]Column, 0, len(s.Format.Cols))
	for _, c := range s.Format.Cols {
		cols = append(cols, Column{Name: flow.Get(c.ID).Column, Type: HiveType(c.ID)})
	}
	return cols
}

// Partition is a partition column with its projection properties.
type Partition struct {
	Name  string
	Props [][2]string // projection.<name>.<key> = value, in order
}

func (s *Spec) hive() bool   { return s.Layout == LayoutHive || s.Layout == LayoutHiveHourly }
func (s *Spec) hourly() bool { return s.Layout == LayoutHourly || s.Layout == LayoutHiveHourly }

// bucketRoot is s3://bucket/[prefix/].
func (s *Spec) bucketRoot() string {
	r := "s3://" + s.Bucket + "/"
	if s.Prefix != "" {
		r += s.Prefix + "/"
	}
	return r
}

// Location is the table's LOCATION: the AWSLogs/ folder.
func (s *Spec) Location() string { return s.bucketRoot() + "AWSLogs/" }

// PhysicalTable is the name of the external table. For the Hive layouts it
// is {table}_hive and Table names a view over it that adds date_partition
// (see DDL); otherwise it is Table itself.
func (s *Spec) PhysicalTable() string {
	if s.hive() {
		return s.Table + "_hive"
	}
	return s.Table
}

// QueryTable is the qualified name the named queries read:
// "database"."table" (the view for the Hive layouts).
func (s *Spec) QueryTable() string { return `"` + s.Database + `"."` + s.Table + `"` }

// Partitions returns the partition columns and their projections.
//
// The plain and hourly layouts follow the AWS incident-response playbook's
// DDL: date_partition (a date projection, yyyy/MM/dd, start..NOW, one day at
// a time), region_partition and account_partition (enums), plus for hourly
// folders hour_partition (00-23). The Hive layouts cannot use one
// date_partition column, because AWS splits the date into year=/month=/day=
// folders and a projected value is substituted whole into the location
// template; they get year (a date projection by year, start..NOW), month,
// day and hour (zero-padded integers), and the view adds date_partition.
func (s *Spec) Partitions() []Partition {
	region := Partition{Name: "region_partition", Props: [][2]string{{"type", "enum"}, {"values", strings.Join(s.Regions, ",")}}}
	account := Partition{Name: "account_partition", Props: [][2]string{{"type", "enum"}, {"values", strings.Join(s.Accounts, ",")}}}
	hour := Partition{Name: "hour_partition", Props: [][2]string{{"type", "integer"}, {"range", "0,23"}, {"digits", "2"}}}
	if !s.hive() {
		date := Partition{Name: analysis.AthenaDatePartition, Props: [][2]string{
			{"type", "date"}, {"range", s.Start + ",NOW"}, {"format", "yyyy/MM/dd"},
			{"interval", "1"}, {"interval.unit", "DAYS"}}}
		ps := []Partition{date}
		if s.hourly() {
			ps = append(ps, hour)
		}
		return append(ps, region, account)
	}
	ps := []Partition{account, region,
		{Name: "year", Props: [][2]string{{"type", "date"}, {"range", s.Start[:4] + ",NOW"}, {"format", "yyyy"}, {"interval", "1"}, {"interval.unit", "YEARS"}}},
		{Name: "month", Props: [][2]string{{"type", "integer"}, {"range", "1,12"}, {"digits", "2"}}},
		{Name: "day", Props: [][2]string{{"type", "integer"}, {"range", "1,31"}, {"digits", "2"}}},
	}
	if s.hourly() {
		hour.Name = "hour"
		ps = append(ps, hour)
	}
	return ps
}

// LocationTemplate is the storage.location.template of the projection: the
// layout's folders with each partition's value substituted.
func (s *Spec) LocationTemplate() string {
	if !s.hive() {
		t := s.Location() + "${account_partition}/vpcflowlogs/${region_partition}/${date_partition}"
		if s.hourly() {
			t += "/${hour_partition}"
		}
		return t
	}
	t := s.Location() + "aws-account-id=${account_partition}/aws-service=vpcflowlogs/aws-region=${region_partition}/year=${year}/month=${month}/day=${day}"
	if s.hourly() {
		t += "/hour=${hour}"
	}
	return t
}

// TableProperties are the TBLPROPERTIES of the flow log table, in order.
func (s *Spec) TableProperties() [][2]string {
	var p [][2]string
	if s.FileFormat == Text {
		p = append(p, [2]string{"skip.header.line.count", "1"})
	}
	p = append(p, [2]string{"projection.enabled", "true"})
	for _, part := range s.Partitions() {
		for _, kv := range part.Props {
			p = append(p, [2]string{"projection." + part.Name + "." + kv[0], kv[1]})
		}
	}
	return append(p, [2]string{"storage.location.template", s.LocationTemplate()})
}

// Statement is one generated SQL statement.
type Statement struct {
	Name string `json:"name"` // what it creates: "table", "date-view", "ioc-table", "directional-view"
	SQL  string `json:"sql"`
	// Engine is the parser that checks it: "hive" for CREATE EXTERNAL TABLE
	// (Athena runs DDL on Hive), "trino" for views and queries.
	Engine string `json:"engine"`
}

// Serde and storage classes (AWS's Athena DDLs).
const (
	ParquetSerde        = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	ParquetInputFormat  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	ParquetOutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	TextSerde           = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
	TextInputFormat     = "org.apache.hadoop.mapred.TextInputFormat"
	TextOutputFormat    = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
	CSVSerde            = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
)

// bt quotes a Hive identifier. Every column is quoted: several field names
// (start, end, date-like words) are reserved in Hive DDL, and quoting all of
// them costs nothing.
func bt(id string) string { return "`" + id + "`" }

// TableDDL is the CREATE EXTERNAL TABLE for the flow logs.
func (s *Spec) TableDDL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s.%s (\n", bt(s.Database), bt(s.PhysicalTable()))
	cols := s.Columns()
	for i, c := range cols {
		sep := ","
		if i == len(cols)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s %s%s\n", bt(c.Name), c.Type, sep)
	}
	b.WriteString(")\nPARTITIONED BY (\n")
	parts := s.Partitions()
	for i, p := range parts {
		sep := ","
		if i == len(parts)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s string%s\n", bt(p.Name), sep)
	}
	b.WriteString(")\n")
	if s.FileFormat == Parquet {
		fmt.Fprintf(&b, "ROW FORMAT SERDE %s\nSTORED AS INPUTFORMAT %s\nOUTPUTFORMAT %s\n",
			sqltext.String(ParquetSerde), sqltext.String(ParquetInputFormat), sqltext.String(ParquetOutputFormat))
	} else {
		b.WriteString("ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\n")
	}
	fmt.Fprintf(&b, "LOCATION %s\nTBLPROPERTIES (\n", sqltext.String(s.Location()))
	props := s.TableProperties()
	for i, kv := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s = %s%s\n", sqltext.String(kv[0]), sqltext.String(kv[1]), sep)
	}
	b.WriteString(")")
	return b.String()
}

// DateViewSQL is, for the Hive layouts only, the view under the table's
// name that adds date_partition ('YYYY/MM/DD', the playbook's partition
// column, which flowir's Athena queries filter on) to the year/month/day
// partitions. Trino evaluates a filter on an expression of partition
// columns against each projected partition, so a date_partition range still
// limits the folders read.
func (s *Spec) DateViewSQL() string {
	if !s.hive() {
		return ""
	}
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS\nSELECT\n  t.*,\n  concat(t.year, '/', t.month, '/', t.day) AS %s\nFROM \"%s\".\"%s\" AS t",
		s.QueryTable(), analysis.AthenaDatePartition, s.Database, s.PhysicalTable())
}

// IOCTableDDL is the incident_iocs table of the playbook (threat_ip,
// threat_comment; OpenCSVSerde, comma separated, double-quote quoting,
// backslash escapes). threat_ip may hold an address or a CIDR network.
func (s *Spec) IOCTableDDL() string {
	return fmt.Sprintf("CREATE EXTERNAL TABLE IF NOT EXISTS %s.%s (\n  `threat_ip` string,\n  `threat_comment` string\n)\n"+
		"ROW FORMAT SERDE %s\nWITH SERDEPROPERTIES (\n  'separatorChar' = ',',\n  'quoteChar' = '\"',\n  'escapeChar' = '\\\\'\n)\n"+
		"STORED AS TEXTFILE\nLOCATION %s",
		bt(s.Database), bt(IOCTable), sqltext.String(CSVSerde), sqltext.String(s.IOCLocation))
}

// DirectionalViewSQL is the playbook's view of every flow that touches an
// IOC, with the direction as flowir defines it: from the monitored
// network's side. A flow whose destination is the IOC is OUTBOUND (our
// host reached out to it); one whose source is the IOC is INBOUND. The
// playbook labels them the other way round. connecting_ip and
// connecting_port are the monitored side, as in the playbook; ioc_ip is
// the other side, and matched_ioc the IOC entry that matched.
//
// IOCs may be addresses or CIDR networks: the match is Trino's
// contains(network, address), with the flow's address cast to IPADDRESS, so
// it is CIDR-correct for IPv4 and IPv6 and insensitive to how an address is
// spelled. A bare address becomes a /32 or /128. Addresses that are not IPs
// ('-', NULL) and IOC lines that are not networks never match (TRY_CAST and
// TRY give NULL) instead of failing the whole query.
func (s *Spec) DirectionalViewSQL() (string, error) {
	need := []flow.FieldID{flow.SrcAddr, flow.DstAddr, flow.SrcPort, flow.DstPort, flow.Start, flow.End}
	var missing []string
	for _, id := range need {
		if !s.Format.Has(id) {
			missing = append(missing, id.String())
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("the directional view needs %s, which the log format lacks", strings.Join(missing, ", "))
	}
	opt := func(id flow.FieldID) string {
		if s.Format.Has(id) {
			c := flow.Get(id).Column
			if c == "end" || c == "type" {
				return `vpc."` + c + `"`
			}
			return "vpc." + c
		}
		return "CAST(NULL AS " + map[string]string{"int": "integer", "bigint": "bigint", "string": "varchar"}[HiveType(id)] + ")"
	}
	branch := func(direction, local, localPort, remote string) string {
		return fmt.Sprintf(`SELECT
  %s AS account_id,
  %s AS interface_id,
  concat(vpc.srcaddr, ':', CAST(vpc.srcport AS varchar)) AS source,
  concat(vpc.dstaddr, ':', CAST(vpc.dstport AS varchar)) AS destination,
  '%s' AS direction,
  vpc.%s AS connecting_ip,
  vpc.%s AS connecting_port,
  vpc.%s AS ioc_ip,
  ioc.threat_ip AS matched_ioc,
  ioc.threat_comment,
  %s AS protocol,
  %s AS packets,
  %s AS bytes,
  %s AS action,
  %s AS log_status,
  CAST(from_unixtime(vpc.start) AS timestamp) AS start_time,
  CAST(from_unixtime(vpc."end") AS timestamp) AS end_time,
  date_diff('second', from_unixtime(vpc.start), from_unixtime(vpc."end")) AS session_time,
  vpc.start,
  vpc."end"
FROM %s AS vpc
JOIN iocs AS ioc ON TRY(contains(ioc.network, TRY_CAST(vpc.%s AS ipaddress)))`,
			opt(flow.AccountID), opt(flow.InterfaceID), direction, local, localPort, remote,
			opt(flow.Protocol), opt(flow.Packets), opt(flow.Bytes), opt(flow.Action), opt(flow.LogStatus),
			s.QueryTable(), remote)
	}
	return fmt.Sprintf(`CREATE OR REPLACE VIEW "%s"."%s" AS
WITH iocs AS (
  SELECT
    threat_ip,
    threat_comment,
    CASE WHEN strpos(trim(threat_ip), '/') > 0 THEN trim(threat_ip)
         WHEN strpos(trim(threat_ip), ':') > 0 THEN trim(threat_ip) || '/128'
         ELSE trim(threat_ip) || '/32' END AS network
  FROM "%s"."%s"
)
%s
UNION ALL
%s`, s.Database, DirectionalView, s.Database, IOCTable,
		branch("OUTBOUND", "srcaddr", "srcport", "dstaddr"),
		branch("INBOUND", "dstaddr", "dstport", "srcaddr")), nil
}

// DatabaseDDL creates the database.
func (s *Spec) DatabaseDDL() string {
	return "CREATE DATABASE IF NOT EXISTS " + bt(s.Database)
}

// Statements returns every statement `flowir athena ddl` prints, in the
// order they must run.
func (s *Spec) Statements() ([]Statement, error) {
	st := []Statement{
		{Name: "database", SQL: s.DatabaseDDL(), Engine: "hive"},
		{Name: "table", SQL: s.TableDDL(), Engine: "hive"},
	}
	if v := s.DateViewSQL(); v != "" {
		st = append(st, Statement{Name: "date-view", SQL: v, Engine: "trino"})
	}
	st = append(st, Statement{Name: "ioc-table", SQL: s.IOCTableDDL(), Engine: "hive"})
	v, err := s.DirectionalViewSQL()
	if err != nil {
		return nil, err
	}
	return append(st, Statement{Name: "directional-view", SQL: v, Engine: "trino"}), nil
}
