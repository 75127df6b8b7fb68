-- top-talkers-packet-level (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: int64 1714521600
-- arg 4: int64 1714608000
SELECT
  ip,
  sum(bytes) AS total_bytes,
  sum(CASE WHEN role = 'source' THEN bytes ELSE 0 END) AS bytes_sent,
  sum(CASE WHEN role = 'destination' THEN bytes ELSE 0 END) AS bytes_received,
  sum(packets) AS total_packets,
  count(*) AS records
FROM (
  SELECT
    pkt_srcaddr AS ip,
    'source' AS role,
    bytes,
    packets
  FROM flows
  WHERE pkt_srcaddr IS NOT NULL
    AND bytes IS NOT NULL
    AND "end" >= ?
    AND start < ?
  UNION ALL
  SELECT
    pkt_dstaddr AS ip,
    'destination' AS role,
    bytes,
    packets
  FROM flows
  WHERE pkt_dstaddr IS NOT NULL
    AND bytes IS NOT NULL
    AND "end" >= ?
    AND start < ?
) AS t
GROUP BY ip
ORDER BY total_bytes DESC, ip
LIMIT 50
