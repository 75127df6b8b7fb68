// Package casework is the one home of flowir's use cases: run the
// detections over a case, load and match indicator lists, investigate an
// address, evaluate exposure, list and show findings.
//
// The rule: every front end (the commands in internal/cli, the report and
// the web UI, the benchmarks under bench/) calls these functions instead of
// shuttling rows between internal/store and internal/analysis itself, so
// that a question asked through two front ends is answered by the same code
// and gives the same answer. Each use case takes an open case and plain
// options and returns typed results; it writes no SQL (questions about
// flows are written in analysis, tables and writes in store) and prints
// nothing (formats, tables and messages belong to the caller). Conversions
// between the two sides live here once: stored IOC entries to
// analysis.IOCRef (IOCRefs), detection results to stored findings
// (NewFindings).
//
// Data flows one way: sources -> decode -> store -> analysis -> casework ->
// cli, report, serve.
package casework
