// Package analysis holds what flowir asks of a case: the named-query catalog,
// IOC lists and CIDR-correct matching (ioc*.go, netclass.go), the
// investigation of one address or network (investigate.go) and the
// detections (detect*.go). Queries run through the Engine interface, which the
// store implements; nothing here imports DuckDB.
//
// The catalog (Catalog, Find) is the set of questions an incident responder
// asks of VPC Flow Logs: the 16 named queries of AWS's "Generate Athena
// integration" template and the Athena examples of the AWS incident-response
// playbook. Each query is defined once and rendered for two engines: DuckDB,
// flowir's local case store, and Amazon Athena (Trino), for data that
// outgrows one machine. One definition is what makes a local answer and an
// Athena answer to the same question comparable in a report.
//
// Nothing here talks to a database: Render produces SQL text plus the values
// for its "?" placeholders, so the store and the Athena runner stay the only
// packages that execute anything. User input (query parameters, time bounds)
// is validated here and always travels as a bound argument, never as SQL
// text; the only numbers written into the text are the row limit (an int)
// and flowir's own constants (ports, protocol numbers).
//
// # How a query becomes SQL
//
// Every query is a Go function that assembles a small structured statement
// (select list; FROM the table or a UNION ALL of sub-statements; WHERE
// conditions, ANDed; GROUP BY; ORDER BY; LIMIT). The function receives a
// renderer that supplies the few pieces that differ between the engines:
//
//	piece                      DuckDB                          Athena / Trino
//	epoch seconds -> instant   to_timestamp(x)                 from_unixtime(x)
//	integer division           a // b  (a / b gives a DOUBLE)  a / b
//	distinct values "22,3389"  array_to_string(list_sort(      array_join(array_sort(
//	                             list_distinct(list(x))), ',')   array_distinct(array_agg(x))), ',')
//	record-order tie-breakers  source_id, source_line          the v2 fields
//	partition pruning          none (a local table)            date_partition range
//
// The renderer also owns the two things no definition writes by hand. Bound
// values: r.param and r.bind return an opaque marker, and a final pass turns
// the markers into "?" while collecting the arguments in the order they
// appear in the text, so a definition may build its parts in any order, use
// a parameter twice or nest a UNION and the arguments still line up. The
// time window: r.scan adds it to every read of the base table, each branch
// of a UNION included, so no definition can forget it.
//
// A single template with string hooks was the alternative. Structured parts
// won because the engines differ in expressions rather than clauses, and
// because a builder can enforce the window and the binding where a template
// cannot. "LIMIT ALL" is never needed: no limit means no LIMIT clause.
// Column names are written bare except "end" and "type", quoted in both
// dialects ("end" is reserved in both; "type" is a keyword); the rest are
// plain lower-case words in both engines.
//
// # Semantics shared by every query
//
//   - A time window selects records that overlap it: "end" >= since AND
//     start < until, in Unix seconds.
//   - NODATA and SKIPDATA records have no addresses, ports or bytes; the
//     aggregates that rank addresses, instances or pairs skip rows whose key
//     or bytes are NULL, so no NULL "talker" appears. record-count, sample
//     and status-count keep them.
//   - Sums are BIGINT in both engines (DuckDB would otherwise return
//     HUGEINT); times are timestamps with time zone, i.e. instants.
//   - Every ORDER BY ends in a total order (value, then key, then address),
//     so a report built twice from the same evidence lists the same rows in
//     the same order. Records are ordered by start, end, then source file and
//     line on DuckDB, or the v2 fields on Athena.
//   - IP parameters are compared as text, so they are bound in canonical
//     form (net/netip); the case must store addresses in that form too.
package analysis
