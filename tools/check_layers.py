#!/usr/bin/env python3
"""Fails when a module of src/ imports from a stage after its own.

The library's modules, in the order of the pipeline (see docs/architecture.md): each may use
only those before it. Standard library only; run as `python3 tools/check_layers.py`.
"""
import pathlib
import re
import sys

LAYERS = [
    "aws",
    "store",
    "directory",
    "evidence",
    "report",
    "review",
    "output",
    "config",
    "pipeline",
    "remediation",
    "function",
]

USE = re.compile(r"\bcrate::([a-z_]+)")


def module_of(path: pathlib.Path, src: pathlib.Path) -> str | None:
    first = path.relative_to(src).parts[0]
    name = first.removesuffix(".rs")
    return name if name in LAYERS else None


def strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def violations(src: pathlib.Path) -> list[str]:
    found = []
    for path in sorted(src.rglob("*.rs")):
        module = module_of(path, src)
        if module is None:
            continue
        rank = LAYERS.index(module)
        for number, line in enumerate(strip_comments(path.read_text()).splitlines(), 1):
            if "crate::{" in line:
                found.append(f"{path}:{number}: import one module per `use crate::` so that it can be checked")
            for used in USE.findall(line):
                if used in LAYERS and LAYERS.index(used) > rank:
                    found.append(f"{path}:{number}: {module} uses crate::{used}, a later stage")
    return found


def main() -> int:
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    found = violations(src)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        return 1
    print(f"check_layers: {' -> '.join(LAYERS)}, every import points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
