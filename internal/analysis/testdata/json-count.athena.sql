-- json-count (athena), default limit
SELECT
  count(*) AS records
FROM flowir.vpc_flow_logs
