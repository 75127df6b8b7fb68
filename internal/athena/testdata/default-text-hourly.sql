CREATE EXTERNAL TABLE IF NOT EXISTS `flowir`.`vpc_flow_logs` (
  `version` int,
  `account_id` string,
  `interface_id` string,
  `srcaddr` string,
  `dstaddr` string,
  `srcport` int,
  `dstport` int,
  `protocol` bigint,
  `packets` bigint,
  `bytes` bigint,
  `start` bigint,
  `end` bigint,
  `action` string,
  `log_status` string
)
PARTITIONED BY (
  `date_partition` string,
  `hour_partition` string,
  `region_partition` string,
  `account_partition` string
)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '
LOCATION 's3://ir-central-logs/AWSLogs/'
TBLPROPERTIES (
  'skip.header.line.count' = '1',
  'projection.enabled' = 'true',
  'projection.date_partition.type' = 'date',
  'projection.date_partition.range' = '2024/01/15,NOW',
  'projection.date_partition.format' = 'yyyy/MM/dd',
  'projection.date_partition.interval' = '1',
  'projection.date_partition.interval.unit' = 'DAYS',
  'projection.hour_partition.type' = 'integer',
  'projection.hour_partition.range' = '0,23',
  'projection.hour_partition.digits' = '2',
  'projection.region_partition.type' = 'enum',
  'projection.region_partition.values' = 'us-east-1,eu-west-1',
  'projection.account_partition.type' = 'enum',
  'projection.account_partition.values' = '111122223333,012345678901',
  'storage.location.template' = 's3://ir-central-logs/AWSLogs/${account_partition}/vpcflowlogs/${region_partition}/${date_partition}/${hour_partition}'
)
