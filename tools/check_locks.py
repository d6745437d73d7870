#!/usr/bin/env python3
"""Fails when a Python requirement of the project is not locked with hashes.

Every Python environment the project makes installs from a lock: `X.txt`, resolved from the
hand-written `X.in` beside it by `make lock` (uv pip compile --generate-hashes), and installed
with `pip install --require-hashes`. A pin that only names the top package lets a fresh machine
pull a newer transitive one (botocore 1.44.18 turned Athena into restJson1 under a pinned
boto3), so this checks, for every `*requirements*.in` in the tree:
- its lock exists, names the command that regenerates it, and pins every package with `==`
  and at least one sha256 hash;
- every package the .in names is in the lock, at the .in's version where it pins one;
and that every `pip install` in the build files installs a lock with --require-hashes.
Standard library only: it runs before any environment exists.

Usage: python3 tools/check_locks.py [ROOT]   (exit 1 with one line per problem)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# The files that install Python packages; each `pip install` in them must use a lock.
BUILD_FILES = ("Makefile", "package.sh", ".ci/run", "bench/logs.sh")
SKIPPED_DIRS = {".git", ".venv", "node_modules", "target"}
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(==\s*([^\s;\\]+))?")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def normalized(name: str) -> str:
    """PEP 503: `PyYAML`, `pyyaml` and `py_yaml` name one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def logical_lines(text: str) -> list[str]:
    """Lines with `\\` continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line.split(" #")[0].strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def requirements(text: str, source: str, problems: list[str]) -> dict[str, tuple[str | None, str]]:
    """Package -> (pinned version or None, the whole line)."""
    found: dict[str, tuple[str | None, str]] = {}
    for line in logical_lines(text):
        if line.startswith("-"):
            problems.append(f"{source}: option line {line.split()[0]!r}: locks hold packages only")
            continue
        match = REQUIREMENT.match(line)
        if match is None:
            problems.append(f"{source}: cannot read the requirement {line!r}")
            continue
        found[normalized(match.group(1))] = (match.group(4), line)
    return found


def check_lock(source: Path, lock: Path, root: Path, problems: list[str]) -> None:
    rel_in, rel_lock = source.relative_to(root).as_posix(), lock.relative_to(root).as_posix()
    if not lock.is_file():
        problems.append(f"{rel_in}: no lock {rel_lock}; run `make lock`")
        return
    text = lock.read_text(encoding="utf-8")
    if not re.search(rf"^#\s+uv pip compile .*{re.escape(rel_in)}( .*)? -o {re.escape(rel_lock)}\s*$", text, re.M):
        problems.append(f"{rel_lock}: its header does not name the command that makes it from {rel_in}; run `make lock`")
    locked = requirements(text, rel_lock, problems)
    for name, (version, line) in locked.items():
        if version is None:
            problems.append(f"{rel_lock}: {name} is not pinned with ==")
        if not HASH.search(line):
            problems.append(f"{rel_lock}: {name} has no sha256 hash")
    wanted = requirements(source.read_text(encoding="utf-8"), rel_in, problems)
    for name, (version, _) in wanted.items():
        if name not in locked:
            problems.append(f"{rel_in}: {name} is not in {rel_lock}; run `make lock`")
        elif version is not None and locked[name][0] != version:
            problems.append(f"{rel_in}: {name}=={version}, but {rel_lock} holds {locked[name][0]}; run `make lock`")


def commands(text: str) -> list[tuple[int, str]]:
    """(first line number, the line with its `\\` continuations joined)."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        start, head = pending if pending else (number, "")
        if line.endswith("\\"):
            pending = (start, head + line[:-1] + " ")
            continue
        joined.append((start, head + line))
        pending = None
    return joined


def check_installs(root: Path, problems: list[str]) -> None:
    """Each `pip install`, spelled out or through a make variable, uses --require-hashes -r LOCK."""
    for name in BUILD_FILES:
        path = root / name
        if not path.is_file():
            continue
        installers = [r"\bpip3? install\b"]
        for number, line in commands(path.read_text(encoding="utf-8")):
            if line.lstrip().startswith("#") or not any(re.search(pattern, line) for pattern in installers):
                continue
            assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=", line)
            hashed = "--require-hashes" in line or any(re.search(pattern, line) for pattern in installers[1:])
            if not hashed:
                problems.append(f"{name}:{number}: pip install without --require-hashes: {line.strip()}")
            elif assignment:
                installers.append(rf"\$[({{]{assignment.group(1)}[)}}]")
            elif not re.search(r"-r \S+\.txt\b", line):
                problems.append(f"{name}:{number}: pip install of something other than a lock (-r X.txt): {line.strip()}")


def sources(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*requirements*.in"):
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            found.append(path)
    return sorted(found)


def problems_in(root: Path) -> list[str]:
    problems: list[str] = []
    inputs = sources(root)
    if not inputs:
        problems.append(f"{root}: no *requirements*.in found")
    for source in inputs:
        check_lock(source, source.with_suffix(".txt"), root, problems)
    check_installs(root, problems)
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
    problems = problems_in(root)
    for problem in problems:
        print(f"check_locks: {problem}", file=sys.stderr)
    if problems:
        print("check_locks: every Python requirement must be locked with hashes (see the Makefile's `lock`)",
              file=sys.stderr)
        return 1
    print(f"check_locks: {len(sources(root))} locks, every package pinned and hashed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
