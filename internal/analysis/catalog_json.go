package analysis

import "fmt"

// JSONTable is the playbook's "NEW logs" table (design.md steps 7-9): a view
// over flowir's table jsonflows with exactly the playbook DDL's columns.
const JSONTable = "vpc_flow_logs"

// jsonColumns are the playbook's "NEW logs" columns, in its DDL's order.
var jsonColumns = []string{"is_rejected_packet", "avg_in_packet_size", "vpc_id", "local_port", "source_dc", "ip", "end_time",
	"remote_port", "start_time", "protocol", "in_bytes", "source_tag", "account_id", "instance_id", "interface_public_ips",
	"out_bytes", "is_skipped_rejected_packets", "source_az", "source_region", "avg_out_packet_size", "instance_type", "interface_local_ips"}

// noWindow refuses --since/--until for the JSON records, whose times are
// text (start_time, end_time as STRING in the playbook's DDL) in a format
// the playbook does not pin down: comparing them as instants would be a
// guess.
func noWindow(r *renderer) {
	if (!r.bounds.Since.IsZero() || !r.bounds.Until.IsZero()) && r.err == nil {
		r.err = fmt.Errorf("%w: the playbook's JSON records keep their times as text (start_time, end_time), so --since and --until do not apply; filter on them with flowir sql", ErrBounds)
	}
}

// jsonRecords lists whole records of the JSON table in a reproducible
// order: start_time (text), then provenance in a case (source file and
// line), or every column on Athena.
func jsonRecords(r *renderer, conds ...string) *stmt {
	noWindow(r)
	s := &stmt{from: r.table, where: conds}
	if r.d == DuckDB {
		s.from = "jsonflows"
		s.cols = jsonColumns
		s.orderBy = []string{"start_time NULLS LAST", "end_time NULLS LAST", "source_id", "source_line"}
		return s
	}
	s.cols = []string{"*"}
	for _, c := range jsonColumns {
		s.orderBy = append(s.orderBy, c+" NULLS LAST")
	}
	return s
}

// jsonDefinitions are the playbook's queries over its "NEW logs" JSON
// records (steps 8-10), on table vpc_flow_logs (jsonflows in a case).
func jsonDefinitions() []*Query {
	return []*Query{
		{
			Name:        "json-count",
			Origin:      OriginPlaybook,
			Table:       JSONTable,
			Description: "The playbook's JSON records (\"NEW logs\"): how many were loaded.",
			Notes:       "SELECT count(*) FROM vpc_flow_logs. Malformed lines are not records: they are counted and kept in the rejects table (flowir status).",
			Columns:     []string{"ip"},
			build: func(r *renderer) *stmt {
				noWindow(r)
				return &stmt{cols: []string{"count(*) AS records"}, from: r.table}
			},
		},
		{
			Name:         "json-sample",
			Origin:       OriginPlaybook,
			Table:        JSONTable,
			Description:  "The playbook's JSON records: the first 1000 (is the data usable?).",
			Notes:        "The playbook's SELECT * FROM vpc_flow_logs LIMIT 1000, made reproducible by ordering on start_time (text) and then the record's place in its file.",
			DefaultLimit: 1000,
			Columns:      []string{"ip", "start_time"},
			build:        func(r *renderer) *stmt { return jsonRecords(r) },
		},
		{
			Name:         "json-top-ips",
			Origin:       OriginPlaybook,
			Table:        JSONTable,
			Description:  "The playbook's JSON records: the 100 IPs in the most records.",
			Notes:        "The playbook's SELECT ip, count(*) cnt FROM vpc_flow_logs GROUP BY ip ORDER BY cnt DESC LIMIT 100, ties broken by ip. Records without an ip count under NULL.",
			DefaultLimit: 100,
			Columns:      []string{"ip"},
			build: func(r *renderer) *stmt {
				noWindow(r)
				return &stmt{cols: []string{"ip", "count(*) AS cnt"}, from: r.table, groupBy: []string{"ip"}, orderBy: []string{"cnt DESC", "ip NULLS LAST"}}
			},
		},
		{
			Name:        "json-ip-records",
			Origin:      OriginPlaybook,
			Table:       JSONTable,
			Description: "The playbook's JSON records of one IP, in time order.",
			Notes:       "The playbook's SELECT * FROM vpc_flow_logs WHERE ip = '...' ORDER BY start_time. The ip is compared as text, exactly as the records hold it (as the playbook does), so give it as they write it.",
			Params:      []Param{{Name: "ip", Type: TypeString, Description: "the ip value, as the records write it", Required: true}},
			Columns:     []string{"ip", "start_time"},
			build:       func(r *renderer) *stmt { return jsonRecords(r, "ip = "+r.param("ip")) },
		},
	}
}
