-- top-ips (athena), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: string 2024/04/30
-- arg 4: string 2024/05/03
-- arg 5: int64 1714521600
-- arg 6: int64 1714608000
-- arg 7: string 2024/04/30
-- arg 8: string 2024/05/03
SELECT
  ip,
  count(*) AS records,
  count(CASE WHEN role = 'source' THEN 1 END) AS records_as_source,
  count(CASE WHEN role = 'destination' THEN 1 END) AS records_as_destination
FROM (
  SELECT
    srcaddr AS ip,
    'source' AS role
  FROM flowir.vpc_flow_logs
  WHERE srcaddr IS NOT NULL
    AND "end" >= ?
    AND start < ?
    AND date_partition >= ?
    AND date_partition <= ?
  UNION ALL
  SELECT
    dstaddr AS ip,
    'destination' AS role
  FROM flowir.vpc_flow_logs
  WHERE dstaddr IS NOT NULL
    AND "end" >= ?
    AND start < ?
    AND date_partition >= ?
    AND date_partition <= ?
) AS t
GROUP BY ip
ORDER BY records DESC, ip
LIMIT 100
