-- top-ips (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: int64 1714521600
-- arg 4: int64 1714608000
SELECT
  ip,
  count(*) AS records,
  count(CASE WHEN role = 'source' THEN 1 END) AS records_as_source,
  count(CASE WHEN role = 'destination' THEN 1 END) AS records_as_destination
FROM (
  SELECT
    srcaddr AS ip,
    'source' AS role
  FROM flows
  WHERE srcaddr IS NOT NULL
    AND "end" >= ?
    AND start < ?
  UNION ALL
  SELECT
    dstaddr AS ip,
    'destination' AS role
  FROM flows
  WHERE dstaddr IS NOT NULL
    AND "end" >= ?
    AND start < ?
) AS t
GROUP BY ip
ORDER BY records DESC, ip
LIMIT 100
