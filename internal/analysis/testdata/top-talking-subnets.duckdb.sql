-- top-talking-subnets (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  subnet_id,
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records
FROM flows
WHERE subnet_id IS NOT NULL
  AND bytes IS NOT NULL
  AND "end" >= ?
  AND start < ?
GROUP BY subnet_id
ORDER BY total_bytes DESC, subnet_id
LIMIT 50
