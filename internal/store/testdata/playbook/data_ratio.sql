-- "Look up Data Ratio for Source/Destination IPs", from AWS's incident
-- response playbook "Analyzing VPC Flow Logs" (aws-samples/
-- aws-customer-playbook-framework, (c) Amazon Web Services, CC BY 4.0),
-- reconstructed from the Spanish translation in shared/seed. The query is
-- kept exactly as AWS wrote it; the test substitutes the placeholders
-- "<database>" and "<table>".
SELECT sourceaddress,
         destinationaddress,
         count(*) AS record_count,
         SUM(numbytes) AS total_bytes,
         SUM(numbytes)/count(*) AS data_ratio,
         date_format(from_unixtime(min(starttime)),
         '%Y/%m/%d %H:%i:%s') AS first_seen, date_format(from_unixtime(max(endtime)), '%Y/%m/%d %H:%i:%s') AS last_seen
FROM "<database>"."<table>"
WHERE (sourceaddress = '10.10.10.10'
        OR destinationaddress = '10.10.10.10')
GROUP BY  sourceaddress, destinationaddress
ORDER BY  total_bytes DESC
