-- top-tcp-traffic (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: string 203.0.113.5
-- arg 2: int64 1714521600
-- arg 3: int64 1714608000
SELECT
  *,
  to_timestamp(start) AS start_time,
  to_timestamp("end") AS end_time
FROM flows
WHERE protocol = 6
  AND srcaddr = ?
  AND "end" >= ?
  AND start < ?
ORDER BY bytes DESC NULLS LAST, start NULLS LAST, "end" NULLS LAST, source_id, source_line
