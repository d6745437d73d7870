#!/usr/bin/env bash
# Reading CloudTrail log files: this tool against the decompression floor (`gzip -dc` of the
# same files to /dev/null) and against DuckDB computing the same aggregation, in one run.
#
#   bench/logs.sh [TARGET_BYTES]     (default 1.1 GB of uncompressed JSON; data is kept in
#                                     bench/data/ and reused when its size matches)
set -euo pipefail
cd "$(dirname "$0")/.."
target_bytes=${1:-1100000000}
data=bench/data/logs-$target_bytes
python=.venv/bin/python
[ -x "$python" ] || { echo "run 'make setup' first (it installs DuckDB into .venv)" >&2; exit 1; }

cargo build --release --locked --workspace --quiet
if [ ! -f "$data/snapshot.json" ]; then
  rm -rf "$data"
  target/release/idc-synth --seed 1 --accounts 200 --permission-sets 40 --users 2000 --groups 100 \
    --assignments 8000 --target-bytes "$target_bytes" --out "$data"
fi

files=$(find "$data/logs/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' | wc -l)
compressed=$(find "$data/logs/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
uncompressed=$(find "$data/logs/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 cat | gzip -dc | wc -c)

# Best of three, in seconds.
best_of_3() {
  local best=
  for _ in 1 2 3; do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  printf '%.2f' "$best"
}

floor() { find "$data/logs/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 cat | gzip -dc; }
tool() {
  target/release/idc-credential-report generate --directory-snapshot "$data/snapshot.json" \
    --cloudtrail-logs "$data/logs/AWSLogs" --as-of 2026-11-22T00:00:00Z --output /tmp/bench-report.csv 2>/dev/null
}
duck() { "$python" bench/duckdb_last_use.py "$data/logs" 2026-08-24T00:00:00Z 2026-11-22T00:00:00Z "$(nproc)"; }

# Both must have found the same evidence keys (user as named x kind x account x permission set).
duck_keys=$(duck)
tool >/dev/null
tool_keys=$("$python" -c 'import json,sys; a=json.load(open(sys.argv[1]))["attribution"]; print(sum(v for k, v in a.items() if k.startswith("keys_")))' /tmp/bench-report.manifest.json)
[ "$duck_keys" = "$tool_keys" ] || { echo "DuckDB found $duck_keys evidence keys, this tool $tool_keys" >&2; exit 1; }

# Peak memory of one run (maximum resident set size), when GNU time is there.
peak_mb=unmeasured
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f %M -o /tmp/bench-time.txt target/release/idc-credential-report generate \
    --directory-snapshot "$data/snapshot.json" --cloudtrail-logs "$data/logs/AWSLogs" \
    --as-of 2026-11-22T00:00:00Z --output /tmp/bench-report.csv >/dev/null 2>&1
  peak_mb="$(( $(tail -1 /tmp/bench-time.txt) / 1024 )) MB"
fi

t_floor=$(best_of_3 floor)
t_tool=$(best_of_3 tool)
t_duck=$(best_of_3 duck)

echo
echo "Both found $tool_keys evidence keys."
echo "CloudTrail logs: $files files, $((compressed / 1000000)) MB gzip, $((uncompressed / 1000000)) MB JSON; $(nproc) cores"
printf '%-44s %8s %10s %8s\n' "" "seconds" "MB/s JSON" "x floor"
row() { awk -v n="$1" -v t="$2" -v u="$uncompressed" -v f="$t_floor" 'BEGIN { printf "%-44s %8.2f %10.0f %8.2f\n", n, t, u / 1e6 / t, t / f }'; }
row "gzip -dc > /dev/null (decompression floor)" "$t_floor"
row "idc-credential-report generate" "$t_tool"
row "DuckDB read_json + GROUP BY" "$t_duck"
echo "Peak memory of idc-credential-report generate: $peak_mb"
