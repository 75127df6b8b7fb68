-- tgw-packets-lost (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: int64 1714521600
-- arg 4: int64 1714608000
-- arg 5: int64 1714521600
-- arg 6: int64 1714608000
-- arg 7: int64 1714521600
-- arg 8: int64 1714608000
SELECT
  tgw_id,
  tgw_attachment_id,
  reason,
  sum(lost) AS packets_lost,
  count(*) AS records
FROM (
  SELECT
    tgw_id,
    tgw_attachment_id,
    'no-route' AS reason,
    packets_lost_no_route AS lost
  FROM tgwflow
  WHERE packets_lost_no_route > 0
    AND "end" >= ?
    AND start < ?
  UNION ALL
  SELECT
    tgw_id,
    tgw_attachment_id,
    'blackhole' AS reason,
    packets_lost_blackhole AS lost
  FROM tgwflow
  WHERE packets_lost_blackhole > 0
    AND "end" >= ?
    AND start < ?
  UNION ALL
  SELECT
    tgw_id,
    tgw_attachment_id,
    'mtu-exceeded' AS reason,
    packets_lost_mtu_exceeded AS lost
  FROM tgwflow
  WHERE packets_lost_mtu_exceeded > 0
    AND "end" >= ?
    AND start < ?
  UNION ALL
  SELECT
    tgw_id,
    tgw_attachment_id,
    'ttl-expired' AS reason,
    packets_lost_ttl_expired AS lost
  FROM tgwflow
  WHERE packets_lost_ttl_expired > 0
    AND "end" >= ?
    AND start < ?
) AS t
GROUP BY tgw_id, tgw_attachment_id, reason
ORDER BY packets_lost DESC, tgw_id NULLS LAST, tgw_attachment_id NULLS LAST, reason
