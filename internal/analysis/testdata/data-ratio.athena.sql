-- data-ratio (athena), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: string 203.0.113.5
-- arg 2: string 203.0.113.5
-- arg 3: int64 1714521600
-- arg 4: int64 1714608000
-- arg 5: string 2024/04/30
-- arg 6: string 2024/05/03
SELECT
  srcaddr,
  dstaddr,
  count(*) AS record_count,
  CAST(sum(bytes) AS BIGINT) AS total_bytes,
  CAST(sum(bytes) AS BIGINT) / count(*) AS data_ratio,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flowir.vpc_flow_logs
WHERE (srcaddr = ? OR dstaddr = ?)
  AND "end" >= ?
  AND start < ?
  AND date_partition >= ?
  AND date_partition <= ?
GROUP BY srcaddr, dstaddr
ORDER BY total_bytes DESC NULLS LAST, srcaddr, dstaddr
