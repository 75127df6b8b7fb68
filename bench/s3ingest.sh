#!/usr/bin/env bash
# S3 ingest benchmark (issue 4): flowir ingest of the same objects from a
# loopback S3 server (bench/s3serve: gofakes3 in its own process, so its
# memory is not counted in flowir's) and from local files, in the same run;
# then peak memory with 2 and 16 parallel downloads, and with the same
# records in a few large objects instead of many small ones, to show that
# memory is bounded by the number of parallel downloads, not by object or
# bucket size.
#
# Usage: bench/s3ingest.sh [RECORDS]        (default 4000000)
# Output: wall time and peak RSS of each run, the S3/local ratio (target
# <= 1.5), and the record and byte totals of each case (they must match).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4000000}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }

go build -o "$OUT/flowir" ./cmd/flowir
go build -o "$OUT/s3serve" ./bench/s3serve
go build -o "$OUT/gencorpus" ./bench/gencorpus

CORPUS="$OUT/corpus-$N"
if [ ! -d "$CORPUS/AWSLogs" ]; then
  rm -rf "$CORPUS"
  "$OUT/gencorpus" -records "$N" -out "$CORPUS"
fi
# The same records in one object per flow log and day: gzip members
# concatenated (each keeps its header line), as large objects.
BIG="$OUT/corpus-$N-big"
if [ ! -d "$BIG/AWSLogs" ]; then
  rm -rf "$BIG"
  find "$CORPUS/AWSLogs" -name '*.log.gz' | sed 's#/[^/]*$##' | sort -u | while read -r d; do
    rel=${d#"$CORPUS/"}
    mkdir -p "$BIG/$rel"
    cat "$d"/*.log.gz > "$BIG/$rel/day.log.gz"
  done
fi
files=$(find "$CORPUS/AWSLogs" -name '*.log.gz' | wc -l)
bigfiles=$(find "$BIG/AWSLogs" -name '*.log.gz' | wc -l)
gzbytes=$(find "$CORPUS/AWSLogs" -name '*.log.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
bigmax=$(find "$BIG/AWSLogs" -name '*.log.gz' -printf '%s\n' | sort -n | tail -1)
echo "corpus: $files objects, $gzbytes bytes compressed, ~$N records; large-object copy: $bigfiles objects, largest $bigmax bytes"

# No credentials anywhere: flowir sends unsigned requests to the endpoint.
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE || true

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
serve() { # serve DIR NAME: starts a server, sets URL_NAME
  rm -f "$OUT/$2.url"
  "$OUT/s3serve" -dir "$1" -bucket logs -prefix bench/ > "$OUT/$2.url" 2> "$OUT/$2.log" &
  pids+=($!)
  for _ in $(seq 600); do [ -s "$OUT/$2.url" ] && break; sleep 0.1; done
  [ -s "$OUT/$2.url" ] || { cat "$OUT/$2.log"; exit 1; }
  eval "URL_$2=$(cat "$OUT/$2.url")"
  [ -n "$(eval echo "\$URL_$2")" ] || { echo "no URL for $2" >&2; exit 1; }
}
serve "$CORPUS" small
serve "$BIG" big

# measure NAME CMD...: wall seconds and peak RSS (KiB) of CMD, via GNU time.
measure() {
  local name=$1; shift
  sync
  /usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 || { cat "$OUT/$name.out"; exit 1; }
  read -r secs rss < "$OUT/$name.time"
  printf '%-22s %8.2f s  peak RSS %7.0f MiB\n' "$name" "$secs" "$(echo "$rss/1024" | bc -l)"
  eval "${name//-/_}_secs=$secs"
}
totals() { "$OUT/flowir" sql --case "$1" --format csv 'SELECT count(*) AS records, sum(bytes) AS bytes, sum(packets) AS packets FROM flows' | tail -1; }

for c in local s3 s3-d2 s3-d16 s3-big; do rm -rf "$OUT/case-$c"; done
measure local          "$OUT/flowir" ingest -q --case "$OUT/case-local" "$CORPUS/AWSLogs"
measure s3             "$OUT/flowir" ingest -q --case "$OUT/case-s3" --endpoint-url "$URL_small" s3://logs/bench/
measure s3-downloads-2  "$OUT/flowir" ingest -q --case "$OUT/case-s3-d2" --downloads 2 --endpoint-url "$URL_small" s3://logs/bench/
measure s3-downloads-16 "$OUT/flowir" ingest -q --case "$OUT/case-s3-d16" --downloads 16 --endpoint-url "$URL_small" s3://logs/bench/
measure s3-large-objects "$OUT/flowir" ingest -q --case "$OUT/case-s3-big" --endpoint-url "$URL_big" s3://logs/bench/

echo
echo "S3 / local files : $(echo "$s3_secs / $local_secs" | bc -l | cut -c1-5)   (target <= 1.5)"
for c in local s3 s3-d2 s3-d16 s3-big; do printf '%-8s records,bytes,packets = %s\n' "$c" "$(totals "$OUT/case-$c")"; done
grep -E "^(sources|lines):" "$OUT/s3.out"
