-- total-bytes-transferred (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  srcaddr,
  dstaddr,
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records,
  to_timestamp(min(start)) AS first_seen,
  to_timestamp(max("end")) AS last_seen
FROM flows
WHERE srcaddr IS NOT NULL
  AND dstaddr IS NOT NULL
  AND bytes IS NOT NULL
  AND "end" >= ?
  AND start < ?
GROUP BY srcaddr, dstaddr
ORDER BY total_bytes DESC, srcaddr, dstaddr
LIMIT 50
