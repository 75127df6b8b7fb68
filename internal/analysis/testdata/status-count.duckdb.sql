-- status-count (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  log_status,
  action,
  count(*) AS records,
  count(DISTINCT interface_id) AS interfaces,
  sum(bytes) AS total_bytes,
  to_timestamp(min(start)) AS first_seen,
  to_timestamp(max("end")) AS last_seen
FROM flows
WHERE "end" >= ?
  AND start < ?
GROUP BY log_status, action
ORDER BY log_status NULLS LAST, action NULLS LAST
