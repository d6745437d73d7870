#!/bin/sh
# Makes the review screenshots of docs/ (report-html.png, review-queue.png, review-provenance.png) from the
# bundled example: a report as of 2026-10-15, then one as of 2026-11-22 compared with it and
# with an exceptions file, opened at 1,400 px in Chromium by tests/html/inspect.js (the same
# driver the HTML tests use). Run from the repository after `make setup` and a build:
#   sh tools/review_screenshots.sh [BINARY]      (default target/debug/idc-credential-report)
set -eu
repo=$(pwd)
bin=$repo/${1:-target/debug/idc-credential-report}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/small "$work/example"
mkdir -p "$work/reviews/2026-10" "$work/reviews/2026-11"
cat > "$work/exceptions.csv" <<'CSV'
account,permission_set,principal,reason,approved_by,expires
*,AdministratorAccess,grace.tanaka,Break-glass administrator kept unused on purpose,CISO (SEC-1042),2027-06-30
*,ReadOnlyAccess,ivan.haddad,Quarterly batch user,Security lead (SEC-977),2026-09-30
CSV
cd "$work"
report() {
  "$bin" generate --directory-snapshot example/snapshot.json --cloudtrail-logs example/logs "$@"
}
report --as-of 2026-10-15 --output reviews/2026-10/report.csv
report --as-of 2026-11-22 --previous-report reviews/2026-10/report.csv \
  --exceptions exceptions.csv --output reviews/2026-11/report.csv
options=$(printf '{"html": "%s", "screenshot": "%s", "review_screenshot": "%s", "provenance_screenshot": "%s", "filter": "", "sort": []}' \
  "$work/reviews/2026-11/report.html" "$repo/docs/report-html.png" \
  "$repo/docs/review-queue.png" "$repo/docs/review-provenance.png")
node "$repo/tests/html/inspect.js" "$options" >/dev/null
echo "wrote docs/report-html.png, docs/review-queue.png and docs/review-provenance.png"
