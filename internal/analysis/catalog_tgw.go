package analysis

// TGWTable is the table of Transit Gateway flow log records in a case.
const TGWTable = "tgwflow"

// tgwLostReasons are the Transit Gateway packets-lost counters and the
// reason each stands for (reference §4).
var tgwLostReasons = [][2]string{
	{"packets_lost_no_route", "no-route"},
	{"packets_lost_blackhole", "blackhole"},
	{"packets_lost_mtu_exceeded", "mtu-exceeded"},
	{"packets_lost_ttl_expired", "ttl-expired"},
}

// tgwDefinitions are the named queries over Transit Gateway flow logs. They
// read table tgwflow in a case (Query.Table); on Athena, the table given.
// Transit Gateway records have no action: every record is traffic the
// transit gateway carried (or lost, as the packets-lost counters say).
func tgwDefinitions() []*Query {
	return []*Query{
		{
			Name:         "tgw-top-attachments",
			Origin:       OriginFlowIR,
			Table:        TGWTable,
			Description:  "Transit Gateway: the 50 attachments carrying the most bytes (top talkers by attachment).",
			Notes:        "Transit Gateway flow log records grouped by transit gateway and attachment (tgw-attachment-id, the attachment the record was captured on), largest total bytes first; with the VPCs seen on either side, packets, records, first and last seen. Records without an attachment id are left out.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "end", "packets", "start", "tgw_attachment_id", "tgw_dst_vpc_id", "tgw_id", "tgw_src_vpc_id"},
			build: func(r *renderer) *stmt {
				s := r.scan("tgw_attachment_id IS NOT NULL")
				s.cols = []string{
					"tgw_id",
					"tgw_attachment_id",
					r.sum("bytes") + " AS total_bytes",
					r.sum("packets") + " AS total_packets",
					"count(*) AS records",
					r.distinctList("tgw_src_vpc_id") + " AS src_vpcs",
					r.distinctList("tgw_dst_vpc_id") + " AS dst_vpcs",
					r.ts("min(start)") + " AS first_seen",
					r.ts(`max("end")`) + " AS last_seen",
				}
				s.groupBy = []string{"tgw_id", "tgw_attachment_id"}
				s.orderBy = []string{"total_bytes DESC NULLS LAST", "tgw_id", "tgw_attachment_id"}
				return s
			},
		},
		{
			Name:        "tgw-packets-lost",
			Origin:      OriginFlowIR,
			Table:       TGWTable,
			Description: "Transit Gateway: packets lost, by reason (no route, blackhole, MTU exceeded, TTL expired) and attachment.",
			Notes:       "Sums the four packets-lost counters of Transit Gateway flow logs per transit gateway, attachment and reason; records is the number of records that lost packets for that reason. Only reasons with lost packets are listed, most packets first. Lost packets to a blackhole route or with no route can mean a routing change, or traffic an attacker cannot reach its target with.",
			Columns:     []string{"packets_lost_blackhole", "packets_lost_mtu_exceeded", "packets_lost_no_route", "packets_lost_ttl_expired", "tgw_attachment_id", "tgw_id"},
			build: func(r *renderer) *stmt {
				var branches []*stmt
				for _, lr := range tgwLostReasons {
					b := r.scan(lr[0] + " > 0")
					b.cols = []string{"tgw_id", "tgw_attachment_id", "'" + lr[1] + "' AS reason", lr[0] + " AS lost"}
					branches = append(branches, b)
				}
				return &stmt{
					cols:    []string{"tgw_id", "tgw_attachment_id", "reason", r.sum("lost") + " AS packets_lost", "count(*) AS records"},
					union:   branches,
					groupBy: []string{"tgw_id", "tgw_attachment_id", "reason"},
					orderBy: []string{"packets_lost DESC", "tgw_id NULLS LAST", "tgw_attachment_id NULLS LAST", "reason"},
				}
			},
		},
		{
			Name:         "tgw-vpc-traffic",
			Origin:       OriginFlowIR,
			Table:        TGWTable,
			Description:  "Transit Gateway: traffic between VPCs (source and destination VPC and account), the 50 largest.",
			Notes:        "Transit Gateway flow log records grouped by source and destination VPC (tgw-src-vpc-id, tgw-dst-vpc-id) and their accounts, largest total bytes first, with packets, records and first and last seen. A side that is not a VPC (a VPN or Direct Connect attachment, a peering) has no VPC id and shows as NULL.",
			DefaultLimit: 50,
			Columns:      []string{"bytes", "end", "packets", "start", "tgw_dst_vpc_account_id", "tgw_dst_vpc_id", "tgw_src_vpc_account_id", "tgw_src_vpc_id"},
			build: func(r *renderer) *stmt {
				s := r.scan("tgw_src_vpc_id IS NOT NULL OR tgw_dst_vpc_id IS NOT NULL")
				s.cols = []string{
					"tgw_src_vpc_account_id",
					"tgw_src_vpc_id",
					"tgw_dst_vpc_account_id",
					"tgw_dst_vpc_id",
					r.sum("bytes") + " AS total_bytes",
					r.sum("packets") + " AS total_packets",
					"count(*) AS records",
					r.ts("min(start)") + " AS first_seen",
					r.ts(`max("end")`) + " AS last_seen",
				}
				s.groupBy = []string{"tgw_src_vpc_account_id", "tgw_src_vpc_id", "tgw_dst_vpc_account_id", "tgw_dst_vpc_id"}
				s.orderBy = []string{"total_bytes DESC NULLS LAST", "tgw_src_vpc_id NULLS LAST", "tgw_dst_vpc_id NULLS LAST", "tgw_src_vpc_account_id NULLS LAST", "tgw_dst_vpc_account_id NULLS LAST"}
				return s
			},
		},
	}
}

// TableQueries returns the named queries over the case's other tables: the
// Transit Gateway queries (tgwflow) and the playbook's JSON record queries
// (vpc_flow_logs). They are kept apart from Catalog, which is the catalog of
// VPC flow record queries that Athena renderings and the checks of every
// flows query iterate; Find and All include them. Each call returns fresh
// values.
func TableQueries() []*Query {
	qs := append(tgwDefinitions(), jsonDefinitions()...)
	for _, q := range qs {
		q.Columns = uniqueSorted(q.Columns)
	}
	return qs
}

// All returns every named query: Catalog, then TableQueries.
func All() []*Query { return append(Catalog(), TableQueries()...) }
