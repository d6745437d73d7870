#!/usr/bin/env bash
# Reading the directory from AWS at scale: `idc-credential-report snapshot` against the moto
# emulator (tests/emulators/moto_server.py) with AWS's request quotas, for a realistic
# organization of 500 accounts, 100 permission sets, 5,000 users, 300 groups and 20,000
# assignments. Per assignment strategy: calls per API, wall time, throttled calls, and the
# floor the quotas impose (max over quota buckets of calls / rate), next to the naive
# enumeration (ListAccountAssignments for every account x permission set). Each run gets a
# fresh emulator; its written snapshot must equal the input as sets.
#
#   bench/directory.sh [STRATEGY ...]   (auto, per-permission-set, per-principal; default all)
#
# Data and per-run files (calls-*.jsonl, snapshot-*.json, emulator-*.log) are in
# bench/data/directory/. Exit status 1 if a run fails or writes a different directory.
set -euo pipefail
cd "$(dirname "$0")/.."
data=bench/data/directory
python=.venv/bin/python
[ -x "$python" ] || { echo "run 'make setup' first (it installs moto into .venv)" >&2; exit 1; }

cargo build --release --locked --workspace --quiet
# Fast (under a second) and deterministic, so always regenerated: the data follows the generator.
target/release/idc-synth --seed 1 --accounts 500 --permission-sets 100 --users 5000 --groups 300 \
  --assignments 20000 --assignment-shape realistic --no-logs --force --out "$data"

exec "$python" bench/directory_report.py --data "$data" --python "$python" \
  --binary target/release/idc-credential-report "$@"
