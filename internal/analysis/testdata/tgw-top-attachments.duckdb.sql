-- tgw-top-attachments (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  tgw_id,
  tgw_attachment_id,
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records,
  array_to_string(list_sort(list_distinct(list(tgw_src_vpc_id))), ',') AS src_vpcs,
  array_to_string(list_sort(list_distinct(list(tgw_dst_vpc_id))), ',') AS dst_vpcs,
  to_timestamp(min(start)) AS first_seen,
  to_timestamp(max("end")) AS last_seen
FROM tgwflow
WHERE tgw_attachment_id IS NOT NULL
  AND "end" >= ?
  AND start < ?
GROUP BY tgw_id, tgw_attachment_id
ORDER BY total_bytes DESC NULLS LAST, tgw_id, tgw_attachment_id
LIMIT 50
