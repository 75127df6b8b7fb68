-- json-ip-records (duckdb), default limit
-- arg 1: string x
SELECT
  is_rejected_packet,
  avg_in_packet_size,
  vpc_id,
  local_port,
  source_dc,
  ip,
  end_time,
  remote_port,
  start_time,
  protocol,
  in_bytes,
  source_tag,
  account_id,
  instance_id,
  interface_public_ips,
  out_bytes,
  is_skipped_rejected_packets,
  source_az,
  source_region,
  avg_out_packet_size,
  instance_type,
  interface_local_ips
FROM jsonflows
WHERE ip = ?
ORDER BY start_time NULLS LAST, end_time NULLS LAST, source_id, source_line
