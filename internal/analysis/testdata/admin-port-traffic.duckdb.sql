-- admin-port-traffic (duckdb), since 2024-05-01T00:00:00Z, until 2024-05-02T00:00:00Z, default limit
-- arg 1: int64 1714521600
-- arg 2: int64 1714608000
-- arg 3: int64 1714521600
-- arg 4: int64 1714608000
SELECT
  ip,
  sum(bytes) AS total_bytes,
  sum(packets) AS total_packets,
  count(*) AS records,
  count(CASE WHEN action = 'ACCEPT' THEN 1 END) AS accepted_records,
  count(CASE WHEN action = 'REJECT' THEN 1 END) AS rejected_records,
  array_to_string(list_sort(list_distinct(list(admin_port))), ',') AS admin_ports
FROM (
  SELECT
    srcaddr AS ip,
    'source' AS role,
    bytes,
    packets,
    action,
    CASE WHEN dstport IN (21, 22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 6443, 8080, 8443, 9200, 10000, 10250, 27017) THEN dstport ELSE srcport END AS admin_port
  FROM flows
  WHERE srcaddr IS NOT NULL
    AND bytes IS NOT NULL
    AND (dstport IN (21, 22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 6443, 8080, 8443, 9200, 10000, 10250, 27017) OR srcport IN (21, 22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 6443, 8080, 8443, 9200, 10000, 10250, 27017))
    AND "end" >= ?
    AND start < ?
  UNION ALL
  SELECT
    dstaddr AS ip,
    'destination' AS role,
    bytes,
    packets,
    action,
    CASE WHEN dstport IN (21, 22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 6443, 8080, 8443, 9200, 10000, 10250, 27017) THEN dstport ELSE srcport END AS admin_port
  FROM flows
  WHERE dstaddr IS NOT NULL
    AND bytes IS NOT NULL
    AND (dstport IN (21, 22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 6443, 8080, 8443, 9200, 10000, 10250, 27017) OR srcport IN (21, 22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 6443, 8080, 8443, 9200, 10000, 10250, 27017))
    AND "end" >= ?
    AND start < ?
) AS t
GROUP BY ip
ORDER BY total_bytes DESC, ip
LIMIT 10
