CREATE EXTERNAL TABLE IF NOT EXISTS `flowir`.`vpc_flow_logs` (
  `version` int,
  `account_id` string,
  `interface_id` string,
  `srcaddr` string,
  `dstaddr` string,
  `srcport` int,
  `dstport` int,
  `protocol` bigint,
  `bytes` bigint,
  `packets` bigint,
  `start` bigint,
  `end` bigint,
  `action` string,
  `log_status` string,
  `vpc_id` string,
  `pkt_srcaddr` string,
  `pkt_dstaddr` string,
  `tcp_flags` int,
  `traffic_path` int
)
PARTITIONED BY (
  `date_partition` string,
  `region_partition` string,
  `account_partition` string
)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '
LOCATION 's3://ir-central-logs/prod/vpc/AWSLogs/'
TBLPROPERTIES (
  'skip.header.line.count' = '1',
  'projection.enabled' = 'true',
  'projection.date_partition.type' = 'date',
  'projection.date_partition.range' = '2024/01/15,NOW',
  'projection.date_partition.format' = 'yyyy/MM/dd',
  'projection.date_partition.interval' = '1',
  'projection.date_partition.interval.unit' = 'DAYS',
  'projection.region_partition.type' = 'enum',
  'projection.region_partition.values' = 'us-east-1,eu-west-1',
  'projection.account_partition.type' = 'enum',
  'projection.account_partition.values' = '111122223333,012345678901',
  'storage.location.template' = 's3://ir-central-logs/prod/vpc/AWSLogs/${account_partition}/vpcflowlogs/${region_partition}/${date_partition}'
)
