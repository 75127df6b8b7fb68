CREATE OR REPLACE VIEW "flowir"."incident_vpc_flow_directional" AS
WITH iocs AS (
  SELECT
    threat_ip,
    threat_comment,
    CASE WHEN strpos(trim(threat_ip), '/') > 0 THEN trim(threat_ip)
         WHEN strpos(trim(threat_ip), ':') > 0 THEN trim(threat_ip) || '/128'
         ELSE trim(threat_ip) || '/32' END AS network
  FROM "flowir"."incident_iocs"
)
SELECT
  vpc.account_id AS account_id,
  vpc.interface_id AS interface_id,
  concat(vpc.srcaddr, ':', CAST(vpc.srcport AS varchar)) AS source,
  concat(vpc.dstaddr, ':', CAST(vpc.dstport AS varchar)) AS destination,
  'OUTBOUND' AS direction,
  vpc.srcaddr AS connecting_ip,
  vpc.srcport AS connecting_port,
  vpc.dstaddr AS ioc_ip,
  ioc.threat_ip AS matched_ioc,
  ioc.threat_comment,
  vpc.protocol AS protocol,
  vpc.packets AS packets,
  vpc.bytes AS bytes,
  vpc.action AS action,
  vpc.log_status AS log_status,
  CAST(from_unixtime(vpc.start) AS timestamp) AS start_time,
  CAST(from_unixtime(vpc."end") AS timestamp) AS end_time,
  date_diff('second', from_unixtime(vpc.start), from_unixtime(vpc."end")) AS session_time,
  vpc.start,
  vpc."end"
FROM "flowir"."vpc_flow_logs" AS vpc
JOIN iocs AS ioc ON TRY(contains(ioc.network, TRY_CAST(vpc.dstaddr AS ipaddress)))
UNION ALL
SELECT
  vpc.account_id AS account_id,
  vpc.interface_id AS interface_id,
  concat(vpc.srcaddr, ':', CAST(vpc.srcport AS varchar)) AS source,
  concat(vpc.dstaddr, ':', CAST(vpc.dstport AS varchar)) AS destination,
  'INBOUND' AS direction,
  vpc.dstaddr AS connecting_ip,
  vpc.dstport AS connecting_port,
  vpc.srcaddr AS ioc_ip,
  ioc.threat_ip AS matched_ioc,
  ioc.threat_comment,
  vpc.protocol AS protocol,
  vpc.packets AS packets,
  vpc.bytes AS bytes,
  vpc.action AS action,
  vpc.log_status AS log_status,
  CAST(from_unixtime(vpc.start) AS timestamp) AS start_time,
  CAST(from_unixtime(vpc."end") AS timestamp) AS end_time,
  date_diff('second', from_unixtime(vpc.start), from_unixtime(vpc."end")) AS session_time,
  vpc.start,
  vpc."end"
FROM "flowir"."vpc_flow_logs" AS vpc
JOIN iocs AS ioc ON TRY(contains(ioc.network, TRY_CAST(vpc.srcaddr AS ipaddress)))
