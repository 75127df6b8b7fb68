#!/usr/bin/env bash
# Ingest benchmark (issue 2): flowir ingest of a mixed-format .log.gz corpus,
# side by side in the same run with
#   (a) DuckDB's own read_csv loading the same files into a table with
#       explicit column types (bench/duckload), as a careful analyst would,
#       and again with preserve_insertion_order = false (the setting flowir's
#       ingest uses: DuckDB at its fastest, for reference), and
#   (b) the decompression floor: igzip -dc of all files in 2 parallel streams
#       (Debian package isal), and next to it the floor of any Go pipeline:
#       Go's gunzip, then gunzip + flowir's decoder, in 2 streams, storing
#       nothing (bench/decodefloor),
# then the top-talkers query over the resulting case, and the case's size.
# With BASELINE=path/to/flowir (an older build, e.g. main before a change),
# that build's ingest, top-talkers and case size are measured in the same run.
#
# Usage: [BASELINE=old-flowir] bench/ingest.sh [RECORDS]   (default 10000000)
# Output: one line per measurement and the ratios; times on this machine are
# noisy, so compare the ratios of one run, not absolute numbers across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
command -v igzip >/dev/null || { echo "igzip missing: apt-get install isal" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }

go build -o "$OUT/flowir" ./cmd/flowir
go build -o "$OUT/duckload" ./bench/duckload
go build -o "$OUT/gencorpus" ./bench/gencorpus
go build -o "$OUT/decodefloor" ./bench/decodefloor

CORPUS="$OUT/corpus-$N"
if [ ! -d "$CORPUS/AWSLogs" ]; then
  rm -rf "$CORPUS"
  "$OUT/gencorpus" -records "$N" -out "$CORPUS"
fi
files=$(find "$CORPUS" -name '*.log.gz' | wc -l)
gzbytes=$(find "$CORPUS" -name '*.log.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "corpus: $files files, $gzbytes bytes compressed, ~$N records"

# measure NAME CMD...: wall seconds and peak RSS (KiB) of CMD, via GNU time.
measure() {
  local name=$1; shift
  sync
  /usr/bin/time -f "%e %M %U %S" -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 || { cat "$OUT/$name.out"; exit 1; }
  read -r secs rss user sys < "$OUT/$name.time"
  cpu=$(echo "$user + $sys" | bc -l)
  printf '%-12s %8.2f s wall  %8.2f s CPU  peak RSS %7.0f MiB\n' "$name" "$secs" "$cpu" "$(echo "$rss/1024" | bc -l)"
  eval "${name//-/_}_secs=$secs"
  eval "${name//-/_}_cpu=$cpu"
}

measure igzip sh -c "find '$CORPUS' -name '*.log.gz' -print0 | xargs -0 -P2 -n 64 igzip -dc > /dev/null"
measure go-gunzip "$OUT/decodefloor" -gunzip-only -streams 2 "$CORPUS"
measure go-decode "$OUT/decodefloor" -streams 2 "$CORPUS"
rm -f "$OUT/base.duckdb" "$OUT/base.duckdb.wal"
measure duckdb-csv "$OUT/duckload" -db "$OUT/base.duckdb" "$CORPUS"
rm -f "$OUT/base.duckdb" "$OUT/base.duckdb.wal"
measure duckdb-unord "$OUT/duckload" -unordered -db "$OUT/base.duckdb" "$CORPUS"
rm -rf "$OUT/case"
measure flowir "$OUT/flowir" ingest -q --case "$OUT/case" "$CORPUS"
measure top-talkers "$OUT/flowir" query top-talkers --case "$OUT/case" --format csv
casebytes=$(du -sb "$OUT/case" | cut -f1)
echo "case size: $casebytes bytes"
if [ -n "${BASELINE:-}" ]; then
  rm -rf "$OUT/case"
  measure base-flowir "$BASELINE" ingest -q --case "$OUT/case" "$CORPUS"
  measure base-top-talkers "$BASELINE" query top-talkers --case "$OUT/case" --format csv
  basebytes=$(du -sb "$OUT/case" | cut -f1)
  echo "baseline case size: $basebytes bytes"
fi

echo
echo "flowir / duckdb read_csv : wall $(echo "$flowir_secs / $duckdb_csv_secs" | bc -l | cut -c1-5), CPU $(echo "$flowir_cpu / $duckdb_csv_cpu" | bc -l | cut -c1-5)   (target <= 0.5)"
echo "flowir / read_csv unord. : wall $(echo "$flowir_secs / $duckdb_unord_secs" | bc -l | cut -c1-5), CPU $(echo "$flowir_cpu / $duckdb_unord_cpu" | bc -l | cut -c1-5)   (reference)"
echo "flowir / igzip floor     : wall $(echo "$flowir_secs / $igzip_secs" | bc -l | cut -c1-5), CPU $(echo "$flowir_cpu / $igzip_cpu" | bc -l | cut -c1-5)   (target <= 8)"
echo "go gunzip+decode / igzip: wall $(echo "$go_decode_secs / $igzip_secs" | bc -l | cut -c1-5)   (what no Go ingest can go below)"
if [ -n "${BASELINE:-}" ]; then
  echo "flowir / baseline flowir : ingest wall $(echo "$flowir_secs / $base_flowir_secs" | bc -l | cut -c1-5), CPU $(echo "$flowir_cpu / $base_flowir_cpu" | bc -l | cut -c1-5), top-talkers wall $(echo "$top_talkers_secs / $base_top_talkers_secs" | bc -l | cut -c1-5), case size $(echo "$casebytes / $basebytes" | bc -l | cut -c1-5)"
fi
grep -E "^(files|lines):" "$OUT/flowir.out"
