-- query (0 bound arguments)
SELECT a FROM (SELECT srcaddr AS a FROM flows UNION SELECT dstaddr FROM flows
UNION SELECT pkt_srcaddr FROM flows UNION SELECT pkt_dstaddr FROM flows) WHERE a IS NOT NULL ORDER BY a;

-- load ir_internal: 1 addresses

-- query (0 bound arguments)
WITH r AS (
  SELECT interface_id, srcaddr, dstaddr, flow_direction, contains(srcaddr, ':') AS v6
  FROM flows
  WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
    AND srcaddr NOT IN (SELECT addr FROM ir_internal) AND dstaddr NOT IN (SELECT addr FROM ir_internal)
), d AS (
  SELECT DISTINCT CASE flow_direction WHEN 'ingress' THEN dstaddr ELSE srcaddr END AS addr
  FROM r WHERE flow_direction IN ('ingress', 'egress')
), n AS (
  SELECT interface_id, v6, count(*) AS n FROM r WHERE flow_direction IS NULL GROUP BY ALL
), c AS (
  SELECT interface_id, v6, addr, count(*) AS n FROM (
    SELECT interface_id, v6, srcaddr AS addr FROM r WHERE flow_direction IS NULL
    UNION ALL
    SELECT interface_id, v6, dstaddr FROM r WHERE flow_direction IS NULL AND dstaddr <> srcaddr
  ) GROUP BY ALL
), common AS (
  SELECT c.interface_id, c.v6, c.addr, count(*) OVER (PARTITION BY c.interface_id, c.v6) AS k
  FROM c JOIN n USING (interface_id, v6) WHERE c.n = n.n
)
SELECT addr FROM d
UNION
SELECT addr FROM common WHERE k = 1;

-- query (0 bound arguments)
SELECT DISTINCT dstaddr FROM flows
WHERE log_status = 'OK' AND pkt_dstaddr IS NOT NULL AND pkt_dstaddr <> dstaddr
  AND dstaddr IN (SELECT addr FROM ir_internal) AND pkt_dstaddr NOT IN (SELECT addr FROM ir_internal)
ORDER BY 1;

-- query (0 bound arguments)
WITH a AS (
  SELECT srcaddr, srcport, dstport, protocol, start, dstaddr FROM flows
  WHERE log_status = 'OK' AND protocol IN (6, 17) AND srcaddr IN (SELECT addr FROM ir_internal) AND dstaddr IN (SELECT addr FROM ir_internal)
), b AS (
  SELECT srcaddr, srcport, dstport, protocol, start, dstaddr FROM flows
  WHERE log_status = 'OK' AND protocol IN (6, 17) AND srcaddr IN (SELECT addr FROM ir_internal) AND dstaddr NOT IN (SELECT addr FROM ir_internal)
), m AS (
  SELECT a.dstaddr, count(DISTINCT (a.srcaddr, a.srcport)) AS matched
  FROM a JOIN b ON a.srcaddr = b.srcaddr AND a.srcport = b.srcport AND a.dstport = b.dstport AND a.protocol = b.protocol
  WHERE a.dstaddr <> b.dstaddr AND abs(a.start - b.start) <= 60
  GROUP BY 1 HAVING count(DISTINCT (a.srcaddr, a.srcport)) >= 10 AND count(DISTINCT b.dstaddr) >= 2
), t AS (
  SELECT dstaddr, count(DISTINCT (srcaddr, srcport)) AS total FROM a WHERE dstaddr IN (SELECT dstaddr FROM m) GROUP BY 1
)
SELECT dstaddr FROM m JOIN t USING (dstaddr) WHERE 2 * matched >= total ORDER BY 1;

-- query (0 bound arguments)
SELECT count(*) FROM duckdb_views() WHERE view_name = 'address_enrichment';

-- query (0 bound arguments)
SELECT a, max(s) FROM (
  SELECT coalesce(pkt_dstaddr, dstaddr) AS a, pkt_dst_aws_service AS s FROM flows WHERE pkt_dst_aws_service IS NOT NULL
  UNION ALL
  SELECT coalesce(pkt_srcaddr, srcaddr), pkt_src_aws_service FROM flows WHERE pkt_src_aws_service IS NOT NULL
) WHERE a IS NOT NULL AND s NOT IN ('-', 'EC2') GROUP BY a;

-- load ir_aws: 0 addresses

-- exec
CREATE OR REPLACE TEMP TABLE ir_service AS
SELECT t AS addr, dstport AS port, protocol AS proto FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
WHERE protocol IN (6, 17) AND action = 'ACCEPT' AND srcport > dstport
GROUP BY ALL HAVING count(DISTINCT (a, srcport)) >= 10;

-- query (0 bound arguments)
SELECT addr, proto, port FROM ir_service ORDER BY 1, 2, 3;

-- query (0 bound arguments)
WITH p0 AS (
  SELECT a, t, protocol, srcport, dstport, start, "end", action, bytes FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b ANTI JOIN ir_service ON ir_service.addr = b.a AND ir_service.port = b.srcport AND ir_service.proto = b.protocol AND b.srcport < b.dstport
  WHERE protocol IN (6, 17) AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024)) AND (action = 'REJECT' OR (packets <= 3 AND bytes <= 100 * packets AND (protocol <> 6 OR tcp_flags IS NULL OR (tcp_flags & 3) = 2)))
), x AS (
  SELECT b.a, b.t, b.srcport, b.dstport, b.protocol FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b SEMI JOIN p0 USING (a, t, srcport, dstport, protocol) WHERE (action = 'ACCEPT' AND (packets > 3 OR bytes > 100 * packets))
  UNION ALL
  SELECT b.t, b.a, b.dstport, b.srcport, b.protocol FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
  SEMI JOIN p0 ON p0.a = b.t AND p0.t = b.a AND p0.srcport = b.dstport AND p0.dstport = b.srcport AND p0.protocol = b.protocol WHERE (action = 'ACCEPT' AND (packets > 3 OR bytes > 100 * packets))
), p AS (
  SELECT * FROM p0 ANTI JOIN x USING (a, t, srcport, dstport, protocol)
), k AS (
  SELECT a, t, protocol FROM p GROUP BY ALL HAVING count(DISTINCT dstport) >= 20
), l AS (
  SELECT p.*, lag(start) OVER (PARTITION BY a, t, protocol ORDER BY start) AS prev FROM p SEMI JOIN k USING (a, t, protocol)
), e AS (
  SELECT *, sum(CASE WHEN start - prev > 600 THEN 1 ELSE 0 END) OVER (PARTITION BY a, t, protocol ORDER BY start ROWS UNBOUNDED PRECEDING) AS ep FROM l
)
SELECT a, t, protocol, min(start), max(start), max("end"), count(*), sum(bytes), count(DISTINCT dstport),
  count(*) FILTER (WHERE action = 'ACCEPT'), list(DISTINCT dstport) FILTER (WHERE action = 'ACCEPT')
FROM e GROUP BY a, t, protocol, ep HAVING count(DISTINCT dstport) >= 20 ORDER BY 1, 2, 3, 4;

-- query (0 bound arguments)
WITH p0 AS (
  SELECT a, t, protocol, dstport, srcport, start, "end", action, bytes FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b ANTI JOIN ir_service ON ir_service.addr = b.a AND ir_service.port = b.srcport AND ir_service.proto = b.protocol AND b.srcport < b.dstport
  WHERE protocol IN (6, 17) AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024)) AND (action = 'REJECT' OR (packets <= 3 AND bytes <= 100 * packets AND (protocol <> 6 OR tcp_flags IS NULL OR (tcp_flags & 3) = 2)))
), x AS (
  SELECT b.a, b.t, b.srcport, b.dstport, b.protocol FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b SEMI JOIN p0 USING (a, t, srcport, dstport, protocol) WHERE (action = 'ACCEPT' AND (packets > 3 OR bytes > 100 * packets))
  UNION ALL
  SELECT b.t, b.a, b.dstport, b.srcport, b.protocol FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
  SEMI JOIN p0 ON p0.a = b.t AND p0.t = b.a AND p0.srcport = b.dstport AND p0.dstport = b.srcport AND p0.protocol = b.protocol WHERE (action = 'ACCEPT' AND (packets > 3 OR bytes > 100 * packets))
), p AS (
  SELECT * FROM p0 ANTI JOIN x USING (a, t, srcport, dstport, protocol)
), k AS (
  SELECT a, dstport, protocol FROM p GROUP BY ALL HAVING count(DISTINCT t) >= 20
), l AS (
  SELECT p.*, lag(start) OVER (PARTITION BY a, dstport, protocol ORDER BY start) AS prev FROM p SEMI JOIN k USING (a, dstport, protocol)
), e AS (
  SELECT *, sum(CASE WHEN start - prev > 600 THEN 1 ELSE 0 END) OVER (PARTITION BY a, dstport, protocol ORDER BY start ROWS UNBOUNDED PRECEDING) AS ep FROM l
), te AS (
  SELECT a, dstport, protocol, t, count(DISTINCT ep) AS neps FROM e GROUP BY ALL
)
SELECT a, dstport, protocol, min(start), max(start), max("end"), count(*), sum(bytes), count(DISTINCT t),
  count(DISTINCT t || '|' || CAST(srcport AS VARCHAR)), count(*) FILTER (WHERE action = 'ACCEPT'),
  list(DISTINCT t ORDER BY t), count(DISTINCT t) FILTER (WHERE te.neps > 1)
FROM e JOIN te USING (a, dstport, protocol, t)
GROUP BY a, dstport, protocol, ep HAVING count(DISTINCT t) >= 20 ORDER BY 1, 2, 3, 4;

-- query (0 bound arguments)
WITH r AS (
  SELECT a, t, dstport, srcport, start, "end", bytes, action, interface_id FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
  WHERE protocol = 6 AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024)) AND (dstport IN (21, 22, 23, 3389, 5900, 5985, 5986) OR (dstport IN (1433, 1521, 3306, 5432, 6379, 27017) AND NOT a IN (SELECT addr FROM ir_internal)))
), c0 AS (
  SELECT r.*, max("end") OVER (PARTITION BY a, t, dstport, srcport ORDER BY start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pend FROM r
), c1 AS (
  SELECT *, sum(CASE WHEN pend IS NULL OR start - pend > 120 THEN 1 ELSE 0 END) OVER (PARTITION BY a, t, dstport, srcport ORDER BY start ROWS UNBOUNDED PRECEDING) AS cn FROM c0
), ci AS (
  SELECT a, t, dstport, srcport, cn, interface_id, min(start) AS s, max("end") AS e, sum(bytes) AS b, bool_and(action = 'REJECT') AS rej FROM c1 GROUP BY ALL
), conn AS (
  SELECT a, t, dstport, srcport, cn, min(s) AS s, max(e) AS e, max(b) AS b, bool_and(rej) AS rej FROM ci GROUP BY ALL
), att AS (
  SELECT * FROM conn WHERE (rej OR (e - s <= 30 AND b <= 20000))
), k AS (
  SELECT a, t, dstport FROM att GROUP BY ALL HAVING count(*) >= 20
), l AS (
  SELECT att.*, lag(s) OVER (PARTITION BY a, t, dstport ORDER BY s) AS prev FROM att SEMI JOIN k USING (a, t, dstport)
), ep AS (
  SELECT *, sum(CASE WHEN s - prev > 600 THEN 1 ELSE 0 END) OVER (PARTITION BY a, t, dstport ORDER BY s ROWS UNBOUNDED PRECEDING) AS n FROM l
), bursts AS (
  SELECT a, t, dstport, n, min(s) AS s0, max(s) AS s1, max(e) AS e1, count(*) AS attempts, count(*) FILTER (WHERE rej) AS rejected,
    median(e - s) AS med
  FROM ep GROUP BY ALL HAVING count(*) >= 20
), succ AS (
  SELECT bu.a, bu.t, bu.dstport, bu.n, min(c.s) AS ss, arg_min(c.e - c.s, c.s) AS sd, arg_min(c.b, c.s) AS sb, arg_min(c.srcport, c.s) AS sp
  FROM bursts bu JOIN conn c ON c.a = bu.a AND c.t = bu.t AND c.dstport = bu.dstport AND c.s BETWEEN bu.s0 AND bu.s1 + 600
  WHERE NOT c.rej AND c.e - c.s > 30 AND c.b > 20000
  GROUP BY ALL
), ev AS (
  SELECT bu.a, bu.t, bu.dstport, bu.n, count(*) AS recs, sum(r.bytes) AS bytes
  FROM bursts bu JOIN r ON r.a = bu.a AND r.t = bu.t AND r.dstport = bu.dstport AND r.start BETWEEN bu.s0 AND bu.s1
  GROUP BY ALL
)
SELECT bu.a, bu.t, bu.dstport, bu.s0, bu.s1, bu.e1, bu.attempts, bu.rejected, bu.med, succ.ss, succ.sd, succ.sb, succ.sp, ev.recs, ev.bytes
FROM bursts bu LEFT JOIN succ USING (a, t, dstport, n) JOIN ev USING (a, t, dstport, n)
ORDER BY 1, 2, 3, 4;

-- query (0 bound arguments)
WITH x AS (
  SELECT a, t, start // 3600 AS bucket, (srcaddr = a AND dstaddr = t) AS direct, bytes FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220') AND (dstport < srcport) AND coalesce(pkt_dstaddr, dstaddr) NOT IN (SELECT addr FROM ir_aws)) b
  WHERE a IN (SELECT addr FROM ir_internal) AND NOT t IN (SELECT addr FROM ir_internal) AND bytes IS NOT NULL
)
SELECT a, t, bucket, direct, sum(bytes), grouping(t) FROM x
GROUP BY GROUPING SETS ((a, t), (a, bucket, direct))
HAVING grouping(t) = 1 OR sum(bytes) >= 20000000 ORDER BY 1, 2, 3;

-- query (0 bound arguments)
WITH o AS (SELECT srcaddr, dstaddr, start, bytes, dstport, protocol, account_id FROM flows
  WHERE log_status = 'OK' AND srcaddr IN ('10.0.0.220') AND coalesce(pkt_srcaddr, srcaddr) = srcaddr AND bytes IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND dstaddr NOT IN (SELECT addr FROM ir_internal) AND dstaddr NOT IN (SELECT addr FROM ir_aws)),
k AS (SELECT srcaddr, dstaddr FROM o GROUP BY ALL HAVING sum(bytes) >= 5000000)
SELECT o.* FROM o SEMI JOIN k USING (srcaddr, dstaddr) ORDER BY srcaddr, dstaddr, start;

-- query (0 bound arguments)
WITH r AS (
  SELECT a, t, dstport, protocol, srcport, start, "end", bytes FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
  WHERE protocol IN (6, 17) AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024)) AND a IN (SELECT addr FROM ir_internal) AND NOT t IN (SELECT addr FROM ir_internal) AND dstport NOT IN (123) AND t NOT IN (SELECT addr FROM ir_aws)
), k AS (
  SELECT a, t, dstport, protocol, count(*) AS n, sum(bytes) AS bytes, min(start) AS s0, max(start) AS s1, max("end") AS e1
  FROM r GROUP BY ALL HAVING count(*) >= 10
), h AS (
  SELECT t, dstport, protocol, count(DISTINCT a) AS hosts FROM r SEMI JOIN k USING (t, dstport, protocol) GROUP BY ALL
), c AS (
  SELECT r.a, r.t, r.dstport, r.protocol, r.start,
    max(r."end") OVER (PARTITION BY r.a, r.t, r.dstport, r.protocol, r.srcport ORDER BY r.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pend
  FROM r SEMI JOIN k USING (a, t, dstport, protocol)
), s AS (
  SELECT a, t, dstport, protocol, list(start ORDER BY start) AS contacts FROM c
  WHERE pend IS NULL OR start - pend > 60 GROUP BY ALL HAVING count(*) >= 10
)
SELECT s.a, s.t, s.dstport, s.protocol, s.contacts, k.n, k.bytes, k.s0, k.s1, k.e1, h.hosts
FROM s JOIN k USING (a, t, dstport, protocol) JOIN h USING (t, dstport, protocol) ORDER BY 1, 2, 3, 4;

-- load ir_ioc: 1 addresses

-- exec
CREATE OR REPLACE TEMP TABLE ir_ioc_valid (addr VARCHAR, vf BIGINT, vu BIGINT);

-- query (0 bound arguments)
WITH r AS (SELECT * FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b WHERE a IN (SELECT addr FROM ir_ioc) OR t IN (SELECT addr FROM ir_ioc)), o AS (
  SELECT m.addr AS x, r.a AS h, 'out' AS dir, r.* FROM r JOIN ir_ioc m ON r.t = m.addr
  UNION ALL
  SELECT m.addr AS x, r.t AS h, 'in' AS dir, r.* FROM r JOIN ir_ioc m ON r.a = m.addr
)
SELECT x, h, count(*), sum(bytes), min(start), max("end"),
  count(*) FILTER (WHERE dir = 'out'), count(*) FILTER (WHERE dir = 'in'),
  count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT'),
  list(DISTINCT dstport ORDER BY dstport) FILTER (WHERE dir = 'out' AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))),
  list(DISTINCT dstport ORDER BY dstport) FILTER (WHERE dir = 'in' AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))),
  list(DISTINCT protocol ORDER BY protocol),
  count(*) FILTER (WHERE action = 'ACCEPT' AND dir = 'out' AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))),
  count(*) FILTER (WHERE action = 'ACCEPT' AND dir = 'in' AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))),
  count(*) FILTER (WHERE dir = 'in' AND ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))), count(*) FILTER (WHERE dir = 'out' AND ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024))),
  count(*) FILTER (WHERE "end" < w.vf), count(*) FILTER (WHERE start >= w.vu)
FROM o LEFT JOIN ir_ioc_valid w ON w.addr = o.x WHERE x <> h GROUP BY x, h ORDER BY 1, 2;

-- query (0 bound arguments)
WITH c AS (
  SELECT a, t, dstport, srcport, min(account_id) AS acct, count(*) AS n, sum(bytes) AS b, min(start) AS s, max("end") AS e
  FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
  WHERE protocol = 6 AND action = 'ACCEPT' AND dstport IN (21, 22, 23, 135, 139, 445, 3389, 5900, 5985, 5986, 1433, 1521, 2375, 2379, 3306, 5432, 5601, 6379, 9200, 9300, 11211, 27017) AND NOT ((tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18) OR (srcport < 1024 AND dstport >= 1024)) AND NOT a IN (SELECT addr FROM ir_internal) AND t IN (SELECT addr FROM ir_internal)
  GROUP BY ALL
), rp AS (
  SELECT DISTINCT a, t, srcport, dstport FROM (SELECT coalesce(pkt_srcaddr, srcaddr) AS a, coalesce(pkt_dstaddr, dstaddr) AS t, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, tcp_flags, interface_id, account_id FROM flows WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND "end" >= 1795000000 AND start < 1795086400 AND coalesce(pkt_srcaddr, srcaddr) NOT IN ('10.0.0.220') AND coalesce(pkt_dstaddr, dstaddr) NOT IN ('10.0.0.220')) b
  WHERE protocol = 6 AND action = 'ACCEPT' AND srcport IN (21, 22, 23, 135, 139, 445, 3389, 5900, 5985, 5986, 1433, 1521, 2375, 2379, 3306, 5432, 5601, 6379, 9200, 9300, 11211, 27017) AND a IN (SELECT addr FROM ir_internal) AND NOT t IN (SELECT addr FROM ir_internal)
    AND (tcp_flags IS NULL OR (tcp_flags & 18) = 18)
), ans AS (
  SELECT c.* FROM c SEMI JOIN rp ON rp.a = c.t AND rp.t = c.a AND rp.srcport = c.dstport AND rp.dstport = c.srcport
), per AS (
  SELECT coalesce(acct, '') AS acct, dstport, a, count(*) AS conns, sum(n) AS n, sum(b) AS b, min(s) AS s, max(e) AS e FROM ans GROUP BY ALL
), tg AS (
  SELECT coalesce(acct, '') AS acct, dstport, list(DISTINCT t ORDER BY t) AS targets FROM ans GROUP BY ALL
)
SELECT acct, dstport, any_value(tg.targets), sum(n)::BIGINT, sum(b), min(s), max(e), sum(conns)::BIGINT, count(*),
  list(a ORDER BY conns DESC, a), list(conns ORDER BY conns DESC, a)
FROM per JOIN tg USING (acct, dstport)
GROUP BY acct, dstport ORDER BY 1, 2;

