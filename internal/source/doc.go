// Package source is where flowir finds and opens its evidence: local files and
// folders today, and later S3 objects and CloudWatch Logs groups.
//
// Besides opening bytes, it knows how AWS lays flow logs out. An S3 key (or a
// local path that kept the S3 folders) says which account, region and time
// window its records belong to, and that lets flowir attribute every object in
// the case manifest and, for a time-bounded investigation, skip the parts of a
// bucket that cannot hold matching records. See ParseKey, PrefixesFor and
// ObjectOverlaps.
//
// The package does not decode records: turning bytes into records belongs to
// the decode package.
package source
