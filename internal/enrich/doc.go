// Package enrich answers a responder's first question about an address: who
// is it? It owns the lookups behind the answer:
//
//   - AWS's published address ranges (ip-ranges.json): the AWS service,
//     Region and network border group of an address (awsranges.go);
//   - MaxMind-format databases the user supplies (GeoLite2 or GeoIP2 ASN,
//     Country and City, and the IPinfo and DB-IP databases in the same
//     format): autonomous system, organisation, country and city (geoip.go);
//   - the inventory's owner of an address inside the VPC: instance and Name
//     tag, load balancer, NAT gateway, VPC endpoint, Lambda or ECS interface
//     (owners.go);
//   - reverse DNS, only when asked, with deadlines (resolve.go).
//
// Each looked-up fact is a Value that names its source and the source's date
// (the ranges' createDate, the database's build time, the time of a DNS
// lookup), so the case can store it and every later answer is reproducible
// offline. Table merges the stored values of a case into one Info per
// address, with the precedence rules in one place (the records' own
// pkt-*-aws-service over the published ranges), and classifies destinations
// for the detections (Class). Allow lists (allow.go) say which findings a
// responder has accepted as expected, and why.
//
// The package uses the standard library, the inventory's types and
// github.com/oschwald/maxminddb-golang/v2; it never touches the case store.
package enrich
