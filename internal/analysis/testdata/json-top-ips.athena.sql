-- json-top-ips (athena), default limit
SELECT
  ip,
  count(*) AS cnt
FROM flowir.vpc_flow_logs
GROUP BY ip
ORDER BY cnt DESC, ip NULLS LAST
LIMIT 100
