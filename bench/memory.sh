#!/usr/bin/env bash
# Peak memory (maximum resident set size, /usr/bin/time -f %M) of `generate` over log files:
# the bundled example, and two 4 GB gzip bombs (a few MB of gzip each): one holding a single
# endless event (refused past the 16 MiB event cap), one holding millions of small events
# (read to the end). The benchmark tree's figure is measured by bench/logs.sh.
#
#   bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "install GNU time (Debian package 'time') to measure peak memory" >&2; exit 1; }
python=.venv/bin/python
[ -x "$python" ] || { echo "run 'make setup' first" >&2; exit 1; }
cargo build --release --locked --quiet
tool=target/release/idc-credential-report
work=bench/data/memory
mkdir -p "$work"

# A gzip file of `head`, then `body` repeated to `total` bytes, then `tail`.
bomb() {
  local out=$1 head=$2 body=$3 tail=$4 total=$5
  [ -f "$out" ] && return
  "$python" - "$out" "$head" "$body" "$tail" "$total" <<'EOF'
import gzip, sys
out, head, body, tail, total = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4].encode(), int(sys.argv[5])
chunk = body * (1024 * 1024 // len(body) + 1)
with gzip.open(out + ".part", "wb", compresslevel=9) as f:
    f.write(head)
    written = len(head)
    while written < total:
        f.write(chunk)
        written += len(chunk)
    f.write(tail)
import os
os.replace(out + ".part", out)
EOF
}

four_gb=4000000000
mkdir -p "$work/one-event/AWSLogs" "$work/many-events/AWSLogs"
bomb "$work/one-event/AWSLogs/bomb.json.gz" '{"Records": [{"eventName": "' 'xxxxxxxxxxxxxxxx' '"}]}' "$four_gb"
bomb "$work/many-events/AWSLogs/bomb.json.gz" '{"Records": [' '{"eventName": "Other"},' '{}]}' "$four_gb"

# Peak RSS in MB of `generate` over DIR; the run's exit code is printed, not fatal.
peak() {
  local dir=$1 kb status=0
  /usr/bin/time -f %M -o "$work/time.txt" "$tool" generate --directory-snapshot examples/small/snapshot.json \
    --cloudtrail-logs "$dir" --as-of 2026-11-22T00:00:00Z --output "$work/report.csv" >/dev/null 2>"$work/stderr.txt" || status=$?
  kb=$(tail -1 "$work/time.txt")
  printf '%-52s %6d MB  (exit %d)\n' "$2" "$((kb / 1024))" "$status"
}

echo "Peak resident memory of generate, $(nproc) cores:"
peak examples/small/logs "the example (examples/small)"
peak "$work/one-event" "4 GB gzip bomb, one endless event ($(du -m "$work/one-event/AWSLogs/bomb.json.gz" | cut -f1) MB gzip)"
peak "$work/many-events" "4 GB gzip bomb, small events ($(du -m "$work/many-events/AWSLogs/bomb.json.gz" | cut -f1) MB gzip)"
