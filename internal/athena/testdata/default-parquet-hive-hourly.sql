CREATE EXTERNAL TABLE IF NOT EXISTS `flowir`.`vpc_flow_logs_hive` (
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
  `account_partition` string,
  `region_partition` string,
  `year` string,
  `month` string,
  `day` string,
  `hour` string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION 's3://ir-central-logs/prod/vpc/AWSLogs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.account_partition.type' = 'enum',
  'projection.account_partition.values' = '111122223333,012345678901',
  'projection.region_partition.type' = 'enum',
  'projection.region_partition.values' = 'us-east-1,eu-west-1',
  'projection.year.type' = 'date',
  'projection.year.range' = '2024,NOW',
  'projection.year.format' = 'yyyy',
  'projection.year.interval' = '1',
  'projection.year.interval.unit' = 'YEARS',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer',
  'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'projection.hour.type' = 'integer',
  'projection.hour.range' = '0,23',
  'projection.hour.digits' = '2',
  'storage.location.template' = 's3://ir-central-logs/prod/vpc/AWSLogs/aws-account-id=${account_partition}/aws-service=vpcflowlogs/aws-region=${region_partition}/year=${year}/month=${month}/day=${day}/hour=${hour}'
)
