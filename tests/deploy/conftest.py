"""Shared helpers of the deployment checks. A missing tool fails its test with the command that
installs it: these checks never skip."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
SSM_DOCUMENT = ROOT / "ssm-documents" / "credential_report_export.yaml"
REMEDIATION_DOCUMENT = ROOT / "ssm-documents" / "credential_report_remediation.yaml"
INSTALL = "run `make test-deploy`, which installs tests/deploy/requirements.txt into .venv"


def need(module: str):
    """Imports a Python dependency, or fails saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pytest.fail(f"Python module {module!r} is missing ({e}): {INSTALL}", pytrace=False)


def need_node() -> str:
    node = shutil.which("node")
    if not node:
        pytest.fail("node is missing: install Node.js 20 or later (Debian: apt-get install nodejs npm)", pytrace=False)
    return node


def need_file(path: Path, hint: str) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: {hint}", pytrace=False)
    return path


def checkov_path() -> str:
    path = os.environ.get("CHECKOV") or str(ROOT / ".venv" / "checkov" / "bin" / "checkov")
    if not Path(path).is_file():
        pytest.fail(
            f"checkov not found at {path}: run `make test-deploy`, or "
            "`python3 -m venv .venv/checkov && .venv/checkov/bin/pip install --require-hashes -r tests/deploy/requirements-checkov.txt`",
            pytrace=False,
        )
    return path


def variable_default(name: str):
    """The default of a variable in terraform/variables.tf, as python-hcl2 reads it."""
    hcl2 = need("hcl2")
    tree = hcl2.loads((TERRAFORM_DIR / "variables.tf").read_text())
    for entry in tree["variable"]:
        for label, body in entry.items():
            if label.strip('"') == name:
                value = body["default"]
                return value[1:-1] if isinstance(value, str) and value.startswith('"') else value
    raise KeyError(name)
