-- record-count (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  count(*) AS records
FROM flows
WHERE "end" >= ?
  AND start < ?
