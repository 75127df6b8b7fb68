-- ipv6-traffic (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
SELECT
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records,
  count(CASE WHEN "type" IS NULL THEN 1 END) AS records_classified_by_address
FROM flows
WHERE bytes IS NOT NULL
  AND ("type" = 'IPv6' OR ("type" IS NULL AND srcaddr IS NOT NULL AND srcaddr LIKE '%:%'))
  AND "end" >= ?
  AND start < ?
