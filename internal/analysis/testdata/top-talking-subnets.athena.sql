-- top-talking-subnets (athena), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: string 2024/04/30
-- arg 4: string 2024/05/03
SELECT
  subnet_id,
  CAST(sum(bytes) AS BIGINT) AS total_bytes,
  CAST(sum(packets) AS BIGINT) AS total_packets,
  count(*) AS records
FROM flowir.vpc_flow_logs
WHERE subnet_id IS NOT NULL
  AND bytes IS NOT NULL
  AND "end" >= ?
  AND start < ?
  AND date_partition >= ?
  AND date_partition <= ?
GROUP BY subnet_id
ORDER BY total_bytes DESC, subnet_id
LIMIT 50
