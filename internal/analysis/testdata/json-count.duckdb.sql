-- json-count (duckdb), default limit
SELECT
  count(*) AS records
FROM vpc_flow_logs
