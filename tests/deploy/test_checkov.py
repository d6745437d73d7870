"""checkov over terraform/ (module and examples): no failed check, no file it cannot parse, and
every skip is an inline `#checkov:skip=ID:reason` with its reason, still needed."""

import json
import re
import subprocess

import pytest

from conftest import ROOT, TERRAFORM_DIR, checkov_path

SKIP = re.compile(r"#checkov:skip=([A-Z0-9_]+)(?::(.*))?")


@pytest.fixture(scope="module")
def report():
    run = subprocess.run(
        [checkov_path(), "--skip-download", "--framework", "terraform", "-d", str(TERRAFORM_DIR), "-o", "json"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    try:
        data = json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"checkov gave no JSON (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return data[0] if isinstance(data, list) else data


def test_no_failed_checks(report):
    failed = report["results"].get("failed_checks", [])
    lines = [f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']}:{c['file_line_range']})" for c in failed]
    assert not failed, "checkov failures (fix, or add a reviewed #checkov:skip=ID:reason):\n" + "\n".join(lines)


def test_every_file_parsed(report):
    assert report["summary"]["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert report["summary"]["passed"] > 100, report["summary"]


def test_skips_are_explained_and_used(report):
    used = {(c["check_id"], c["file_path"].lstrip("/").split("/")[-1]) for c in report["results"].get("skipped_checks", [])}
    written = []
    for path in sorted(TERRAFORM_DIR.rglob("*.tf")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = SKIP.search(line)
            if m:
                written.append((m.group(1), path.name, (m.group(2) or "").strip(), f"{path.relative_to(ROOT)}:{number}"))
    assert written, "no skips found: was the skip syntax changed?"
    unexplained = [w[3] for w in written if len(w[2]) < 20]
    assert not unexplained, f"skips without a reason: {unexplained}"
    stale = [w[3] for w in written if (w[0], w[1]) not in used]
    assert not stale, f"skips checkov no longer needs (remove them): {stale}"
