#!/usr/bin/env bash
# Byte-compares the report sets two builds write on the bundled example, the published events and
# the change fixtures (manifests without their generated_at): a refactoring must change none.
# Usage: tools/compare_reports.sh OLD_BINARY NEW_BINARY   (run from the repository, ../shared beside it)
set -euo pipefail
old=$1 new=$2 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
report() { # name, then generate's flags
  local name=$1; shift
  for side in old new; do
    local bin=$old; [ "$side" = new ] && bin=$new
    mkdir -p "$out/$side/$name"
    "$bin" generate "$@" --output "$out/$side/$name/report.csv" 2>"$out/$side/$name/stderr"
    grep -v '"generated_at"' "$out/$side/$name/report.manifest.json" \
      | sed "s#$out/$side/#OUT/#g" >"$out/$side/$name/manifest.compared"
  done
}
report example --directory-snapshot examples/small/snapshot.json --cloudtrail-logs examples/small/logs \
  --as-of 2026-11-22T00:00:00Z
report published --directory-snapshot tests/data/published-snapshot.json \
  --cloudtrail-logs ../shared/fixtures/cloudtrail/published --as-of 2026-11-22T00:00:00Z --lookback-days 3653
report changes --directory-snapshot tests/data/changes-snapshot.json --cloudtrail-logs tests/data/changes \
  --as-of 2023-05-01T00:00:00Z --lookback-days 30
status=0
for name in example published changes; do
  for file in report.csv report.users.csv report.html report.changes.csv manifest.compared; do
    if cmp -s "$out/old/$name/$file" "$out/new/$name/$file"; then
      echo "same      $name/$file"
    else
      echo "DIFFERENT $name/$file"; status=1
    fi
  done
done
exit $status
