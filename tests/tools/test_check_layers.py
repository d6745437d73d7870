"""tools/check_layers.py: the library's imports point down the pipeline, and one that points up fails."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

from check_layers import violations  # noqa: E402


def test_every_import_of_the_library_points_down() -> None:
    assert violations(REPO / "src") == []


def write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def test_an_import_from_a_later_stage_is_named(tmp_path: Path) -> None:
    write(tmp_path, "directory/mod.rs", "use crate::aws::Caller;\nuse crate::output::Manifest;\n")
    write(tmp_path, "output/mod.rs", "use crate::report::Report; // crate::service in a comment\n")
    found = violations(tmp_path)
    assert len(found) == 1
    assert "directory/mod.rs:2: directory uses crate::output" in found[0]


def test_a_grouped_import_cannot_hide_one(tmp_path: Path) -> None:
    write(tmp_path, "aws/mod.rs", "use crate::{store::Location, aws::Caller};\n")
    assert len(violations(tmp_path)) == 1
