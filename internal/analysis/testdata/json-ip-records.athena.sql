-- json-ip-records (athena), default limit
-- arg 1: string x
SELECT
  *
FROM flowir.vpc_flow_logs
WHERE ip = ?
ORDER BY is_rejected_packet NULLS LAST, avg_in_packet_size NULLS LAST, vpc_id NULLS LAST, local_port NULLS LAST, source_dc NULLS LAST, ip NULLS LAST, end_time NULLS LAST, remote_port NULLS LAST, start_time NULLS LAST, protocol NULLS LAST, in_bytes NULLS LAST, source_tag NULLS LAST, account_id NULLS LAST, instance_id NULLS LAST, interface_public_ips NULLS LAST, out_bytes NULLS LAST, is_skipped_rejected_packets NULLS LAST, source_az NULLS LAST, source_region NULLS LAST, avg_out_packet_size NULLS LAST, instance_type NULLS LAST, interface_local_ips NULLS LAST
