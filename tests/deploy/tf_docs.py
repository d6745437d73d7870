"""Writes the inputs and outputs tables of terraform/README.md from variables.tf and
outputs.tf (terraform-docs is not available here). test_readme.py checks they are current.

    .venv/bin/python tests/deploy/tf_docs.py          # rewrite the tables in place
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "terraform" / "README.md"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _text(value) -> str:
    if isinstance(value, str):
        value = value[1:-1] if value.startswith('"') and value.endswith('"') else value
        return value.replace("${", "").replace("}", "") if value.startswith("${") else value
    return str(value)


def _default(body: dict) -> str:
    if "default" not in body:
        return "required"
    value = body["default"]
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{_text(value)}"`'
    return f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def tables() -> str:
    variables = hcl2.loads((ROOT / "terraform" / "variables.tf").read_text())["variable"]
    outputs = hcl2.loads((ROOT / "terraform" / "outputs.tf").read_text())["output"]
    lines = ["### Inputs", "", "| Name | Description | Type | Default |", "|---|---|---|---|"]
    for entry in variables:
        for name, body in entry.items():
            lines.append(f"| `{name.strip(chr(34))}` | {_cell(_text(body['description']))} | `{_cell(_text(body['type']))}` | {_default(body)} |")
    lines += ["", "### Outputs", "", "| Name | Description |", "|---|---|"]
    for entry in outputs:
        for name, body in entry.items():
            lines.append(f"| `{name.strip(chr(34))}` | {_cell(_text(body['description']))} |")
    return "\n".join(lines)


def updated(readme: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + "\n" + tables() + "\n" + readme[end:]


if __name__ == "__main__":
    text = README.read_text()
    README.write_text(updated(text))
    print(f"updated {README}", file=sys.stderr)
