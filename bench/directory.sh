#!/usr/bin/env bash
# Reading the directory from AWS at scale: `idc-credential-report snapshot` against the moto
# emulator (tests/emulators/moto_server.py) with AWS's request quotas, for a realistic
# organization of 500 accounts, 100 permission sets, 5,000 users, 300 groups and 20,000
# assignments. Per assignment strategy: calls per API, wall time, throttled calls, peak memory,
# and the floor the quotas impose (max over quota buckets of calls / rate), next to the naive
# enumeration (ListAccountAssignments for every account x permission set). Each run gets a
# fresh emulator; its written snapshot must equal the input as sets.
#
# --top: the top of the range instead, an AWS Control Tower organization of 7,000 accounts,
# 3,500 permission sets (Control Tower's six on every account), 20,000 users and 2,000 groups.
# Its calls cannot be served at AWS's quotas in reasonable time (42,000 ListAccountAssignments
# alone are 35 minutes), so the emulator's quotas and the tool's rate flags are raised to
# TOP_RATE calls/s and the time at AWS's quotas is computed from the calls counted (README,
# "Reading the directory at scale"). Takes about 8 minutes on 2 cores.
#
#   bench/directory.sh [--top] [STRATEGY ...]   (auto, per-permission-set, per-principal; default all)
#
# Data and per-run files (calls-*.jsonl, snapshot-*.json, emulator-*.log, memory-*.txt) are in
# bench/data/directory/ (--top: bench/data/directory-top/). Exit status 1 if a run fails or
# writes a different directory.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
[ -x "$python" ] || { echo "run 'make setup' first (it installs moto into .venv)" >&2; exit 1; }
/usr/bin/time -f %M true 2>/dev/null ||
  { echo "GNU time (/usr/bin/time -f %M, for peak memory) is missing: apt-get install time" >&2; exit 1; }

TOP_RATE=1000  # the tool's rate flags allow at most 1000/s
raised=()
if [ "${1:-}" = "--top" ]; then
  shift
  data=bench/data/directory-top
  org=(--accounts 7000 --permission-sets 3500 --users 20000 --groups 2000 --assignments 80000
       --assignment-shape control-tower)
  raised=(--raised-rate "$TOP_RATE")
else
  data=bench/data/directory
  org=(--accounts 500 --permission-sets 100 --users 5000 --groups 300 --assignments 20000
       --assignment-shape realistic)
fi

cargo build --release --locked --workspace --quiet
# Fast (seconds) and deterministic, so always regenerated: the data follows the generator.
target/release/idc-synth --seed 1 "${org[@]}" --no-logs --force --out "$data"

exec "$python" bench/directory_report.py --data "$data" --python "$python" \
  --binary target/release/idc-credential-report "${raised[@]}" "$@"
