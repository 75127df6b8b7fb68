-- top-talking-instances (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  instance_id,
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records
FROM flows
WHERE instance_id IS NOT NULL
  AND bytes IS NOT NULL
  AND "end" >= ?
  AND start < ?
GROUP BY instance_id
ORDER BY total_bytes DESC, instance_id
LIMIT 50
