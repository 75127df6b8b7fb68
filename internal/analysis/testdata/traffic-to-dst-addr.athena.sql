-- traffic-to-dst-addr (athena), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: string 203.0.113.5
-- arg 2: int64 1714521600
-- arg 3: int64 1714608000
-- arg 4: string 2024/04/30
-- arg 5: string 2024/05/03
SELECT
  *,
  from_unixtime(start) AS start_time,
  from_unixtime("end") AS end_time
FROM flowir.vpc_flow_logs
WHERE dstaddr = ?
  AND "end" >= ?
  AND start < ?
  AND date_partition >= ?
  AND date_partition <= ?
ORDER BY start NULLS LAST, "end" NULLS LAST, interface_id NULLS LAST, srcaddr NULLS LAST, dstaddr NULLS LAST, srcport NULLS LAST, dstport NULLS LAST, protocol NULLS LAST, action NULLS LAST, packets NULLS LAST, bytes NULLS LAST
