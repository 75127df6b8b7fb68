-- tgw-vpc-traffic (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  tgw_src_vpc_account_id,
  tgw_src_vpc_id,
  tgw_dst_vpc_account_id,
  tgw_dst_vpc_id,
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records,
  to_timestamp(min(start)) AS first_seen,
  to_timestamp(max("end")) AS last_seen
FROM tgwflow
WHERE (tgw_src_vpc_id IS NOT NULL OR tgw_dst_vpc_id IS NOT NULL)
  AND "end" >= ?
  AND start < ?
GROUP BY tgw_src_vpc_account_id, tgw_src_vpc_id, tgw_dst_vpc_account_id, tgw_dst_vpc_id
ORDER BY total_bytes DESC NULLS LAST, tgw_src_vpc_id NULLS LAST, tgw_dst_vpc_id NULLS LAST, tgw_src_vpc_account_id NULLS LAST, tgw_dst_vpc_account_id NULLS LAST
LIMIT 50
