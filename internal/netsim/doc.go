// Package netsim writes a synthetic day of AWS VPC Flow Logs from a model
// of real networks, with planted incidents and their ground truth, so that
// detections can be measured: which incidents they find (recall) and how
// many findings have nothing to do with any incident (precision).
//
// It is independent of internal/demo on purpose. The demo generator was
// written together with the detections and its background is what they were
// tuned against; a second generator written from a separate model of what
// VPCs carry (not derived from the demo's traffic code, sharing none of it)
// is what shows whether a rule works on traffic it was not tuned to.
//
// The model, in short:
//
//   - Four accounts, each one VPC with its own flow log format: a production
//     web application (a custom format with every version 5 field), a
//     corporate network of Windows servers and desktops (AWS's default
//     format, 600-second aggregation), a data platform (TCP flags but no
//     packet-level addresses) and a development default VPC where every
//     instance has a public address (packet-level addresses and flow
//     direction, no TCP flags).
//   - Traffic is made of connections (client, server, ports, protocol and a
//     time line of packets in each direction). A connection becomes records
//     the way AWS aggregates it (flowlogs reference 1.1 and 3.4): on every
//     logged interface it crosses, one record per 5-tuple, per direction and
//     per capture window, start = the first packet of that direction in the
//     window, end = the window's close. Each interface has its own window
//     phase. A long connection is split across windows, and a window in
//     which only its closing packets passed holds a record with a FIN and an
//     ACK and nothing else. TCP flags are OR-ed per window and direction
//     (SYN 2, SYN-ACK 18, FIN 1, RST 4).
//   - Internet traffic of hosts in private subnets goes through a NAT
//     gateway and is logged on the host's interface and on both legs of the
//     NAT's interface (reference 6.3: the inside leg keeps the host's
//     address and port with pkt-dstaddr the internet host, the outside leg
//     has the NAT's address and a port of its own); hosts with a public
//     address use the internet gateway; S3 traffic of the production VPC
//     uses a gateway endpoint. pkt-*-aws-service names the AWS service of a
//     public address and traffic-path the egress path.
//   - The background: an application tier (load balancer, application
//     servers, database, cache) serving internet clients, load balancer
//     health checks, nightly backups to S3 and continuous WAL archiving,
//     monitoring that polls every host every 60 seconds, Systems Manager
//     and endpoint-protection agents, log shipping to a SaaS, hourly
//     package-index checks, NTP, Active Directory (with RPC's dynamic
//     ports), desktops browsing the web and on video calls, CI runners
//     pulling images and packages and uploading artifacts, a Spark cluster
//     shuffling on random ports, SFTP partners, administrators' SSH and RDP,
//     internet scanners and SSH/RDP bots hitting every exposed host.
//   - Planted incidents with ground truth (Truth.Incidents): actor, target,
//     port, the rules that should report each, and when.
//
// Everything is deterministic for a seed: every behaviour draws from its
// own random stream, and records are generated in time order, five minutes
// at a time, so memory does not grow with the corpus. Generate writes the
// flow log objects in AWS's S3 layout (one gzip object per flow log per
// five minutes, with a header line), an IOC list, a subset of AWS's
// ip-ranges.json covering the AWS addresses used, and truth.json.
package netsim
