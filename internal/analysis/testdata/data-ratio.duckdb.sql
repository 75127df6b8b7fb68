-- data-ratio (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: string 203.0.113.5
-- arg 2: string 203.0.113.5
-- arg 3: int64 1714521600
-- arg 4: int64 1714608000
SELECT
  srcaddr,
  dstaddr,
  count(*) AS record_count,
  sum(bytes) AS total_bytes,
  sum(bytes) // count(*) AS data_ratio,
  to_timestamp(min(start)) AS first_seen,
  to_timestamp(max("end")) AS last_seen
FROM flows
WHERE (srcaddr = ? OR dstaddr = ?)
  AND "end" >= ?
  AND start < ?
GROUP BY srcaddr, dstaddr
ORDER BY total_bytes DESC NULLS LAST, srcaddr, dstaddr
