-- json-top-ips (duckdb), default limit
SELECT
  ip,
  count(*) AS cnt
FROM vpc_flow_logs
GROUP BY ip
ORDER BY cnt DESC, ip NULLS LAST
LIMIT 100
