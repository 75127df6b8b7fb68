-- tgw-packets-lost (athena), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: string 2024/04/30
-- arg 4: string 2024/05/03
-- arg 5: int64 1714521600
-- arg 6: int64 1714608000
-- arg 7: string 2024/04/30
-- arg 8: string 2024/05/03
-- arg 9: int64 1714521600
-- arg 10: int64 1714608000
-- arg 11: string 2024/04/30
-- arg 12: string 2024/05/03
-- arg 13: int64 1714521600
-- arg 14: int64 1714608000
-- arg 15: string 2024/04/30
-- arg 16: string 2024/05/03
SELECT
  tgw_id,
  tgw_attachment_id,
  reason,
  CAST(sum(lost) AS BIGINT) AS packets_lost,
  count(*) AS records
FROM (
  SELECT
    tgw_id,
    tgw_attachment_id,
    'no-route' AS reason,
    packets_lost_no_route AS lost
  FROM flowir.tgwflow
  WHERE packets_lost_no_route > 0
    AND "end" >= ?
    AND start < ?
    AND date_partition >= ?
    AND date_partition <= ?
  UNION ALL
  SELECT
    tgw_id,
    tgw_attachment_id,
    'blackhole' AS reason,
    packets_lost_blackhole AS lost
  FROM flowir.tgwflow
  WHERE packets_lost_blackhole > 0
    AND "end" >= ?
    AND start < ?
    AND date_partition >= ?
    AND date_partition <= ?
  UNION ALL
  SELECT
    tgw_id,
    tgw_attachment_id,
    'mtu-exceeded' AS reason,
    packets_lost_mtu_exceeded AS lost
  FROM flowir.tgwflow
  WHERE packets_lost_mtu_exceeded > 0
    AND "end" >= ?
    AND start < ?
    AND date_partition >= ?
    AND date_partition <= ?
  UNION ALL
  SELECT
    tgw_id,
    tgw_attachment_id,
    'ttl-expired' AS reason,
    packets_lost_ttl_expired AS lost
  FROM flowir.tgwflow
  WHERE packets_lost_ttl_expired > 0
    AND "end" >= ?
    AND start < ?
    AND date_partition >= ?
    AND date_partition <= ?
) AS t
GROUP BY tgw_id, tgw_attachment_id, reason
ORDER BY packets_lost DESC, tgw_id NULLS LAST, tgw_attachment_id NULLS LAST, reason
