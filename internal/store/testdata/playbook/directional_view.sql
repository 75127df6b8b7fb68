-- "Lookup view to target threat type", from AWS's incident response playbook
-- "Analyzing VPC Flow Logs" (aws-samples/aws-customer-playbook-framework,
-- (c) Amazon Web Services, CC BY 4.0), reconstructed from the Spanish
-- translation in shared/seed. Kept exactly as AWS wrote it, including its
-- direction labels (a flow whose destination is the IOC is 'INBOUND'); the
-- test substitutes "<database>" and "<table>" and creates it as a TEMP view.
CREATE VIEW incident_vpc_flow_directional AS
SELECT vpc.account,
         vpc.interfaceid,
         vpc.sourceaddress || ':' || CAST(vpc.sourceport AS VARCHAR) AS source,
         vpc.destinationaddress || ':' || CAST(vpc.destinationport AS VARCHAR) AS destination,
         'INBOUND' AS direction,
         vpc.sourceaddress AS connecting_ip,
         vpc.sourceport AS connecting_port,
         vpc.protocol,
         vpc.numpackets,
         vpc.numbytes,
         vpc.action,
         vpc.logstatus,
         CAST(from_unixtime(vpc.starttime) AS TIMESTAMP) AS startTime,
         CAST(from_unixtime(vpc.endtime) AS TIMESTAMP) AS endTime,
         date_diff('second', from_unixtime(vpc.starttime), from_unixtime(vpc.endtime)) as sessionTime

FROM "<database>"."<table>" AS vpc

WHERE
    vpc.destinationaddress IN (SELECT threat_ip FROM incident_iocs)

UNION ALL

SELECT vpc.account,
         vpc.interfaceid,
         vpc.sourceaddress || ':' || CAST(vpc.sourceport AS VARCHAR) AS source,
         vpc.destinationaddress || ':' || CAST(vpc.destinationport AS VARCHAR) AS destination,
         'OUTBOUND' AS direction,
         vpc.destinationaddress AS connecting_ip,
         vpc.destinationport AS connecting_port,
         vpc.protocol,
         vpc.numpackets,
         vpc.numbytes,
         vpc.action,
         vpc.logstatus,
         CAST(from_unixtime(vpc.starttime) AS TIMESTAMP) AS startTime,
         CAST(from_unixtime(vpc.endtime) AS TIMESTAMP) AS endTime,
         date_diff('second', from_unixtime(vpc.starttime), from_unixtime(vpc.endtime)) as sessionTime

FROM "<database>"."<table>" AS vpc
WHERE
    vpc.sourceaddress IN (SELECT threat_ip FROM incident_iocs)

ORDER BY startTime, endTime, sessionTime, interfaceid, connecting_ip, direction
