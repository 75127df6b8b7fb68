-- ssh-rdp-traffic (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  *,
  to_timestamp(start) AS start_time,
  to_timestamp("end") AS end_time
FROM flows
WHERE (srcport IN (22, 3389) OR dstport IN (22, 3389))
  AND "end" >= ?
  AND start < ?
ORDER BY start NULLS LAST, "end" NULLS LAST, source_id, source_line
