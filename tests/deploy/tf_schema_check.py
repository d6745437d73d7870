"""Checks every resource and data source in .tf files against the AWS provider's schema.

Unknown resource types, unknown arguments or blocks, a block written as an argument (or the
reverse) and missing required arguments are reported with the file and the path inside the
resource. `terraform validate` would say the same, but needs the provider binary, which cannot
be downloaded here.

    python tests/deploy/tf_schema_check.py [FILE_OR_DIR ...]   (default: terraform/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import hcl2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import provider_schema  # noqa: E402

RESOURCE_META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
DATA_META = {"count", "for_each", "depends_on", "provider", "lifecycle"}
# Resources of Terraform's built-in provider (no download needed), with their arguments.
BUILTIN = {"terraform_data": {"attributes": {"input": False, "triggers_replace": False}, "blocks": {}}}


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _is_block(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get("__is_block__") for v in value)


def _check_body(body: dict, schema: dict, where: str, meta: set[str], errors: list[str]) -> None:
    present = set()
    for key, value in body.items():
        if key.startswith("__") or key in meta:
            present.add(key)
            continue
        if key == "dynamic":
            for entry in value:
                for label, dyn in entry.items():
                    if label.startswith("__"):
                        continue
                    name = _unquote(label)
                    present.add(name)
                    if name not in schema["blocks"]:
                        errors.append(f"{where}: dynamic \"{name}\": no such block")
                        continue
                    for content in dyn.get("content", []):
                        _check_body(content, schema["blocks"][name], f"{where}.{name}", set(), errors)
            continue
        present.add(key)
        if _is_block(value):
            if key in schema["blocks"]:
                for block in value:
                    _check_body(block, schema["blocks"][key], f"{where}.{key}", set(), errors)
            elif key in schema["attributes"]:
                errors.append(f"{where}: {key} is an argument, written as a block (use {key} = ...)")
            else:
                errors.append(f"{where}: unknown block {key}")
        elif key in schema["attributes"]:
            continue
        elif key in schema["blocks"]:
            errors.append(f"{where}: {key} is a block, written as an argument (use {key} {{ ... }})")
        else:
            errors.append(f"{where}: unknown argument {key}")
    for name, required in schema["attributes"].items():
        if required and name not in present:
            errors.append(f"{where}: required argument {name} is missing")
    for name, block in schema["blocks"].items():
        if block.get("required") and name not in present:
            errors.append(f"{where}: required block {name} is missing")


def check_text(text: str, source: str, schema: dict) -> list[str]:
    errors: list[str] = []
    tree = hcl2.loads(text)
    for section, kinds, meta in (("resource", "resources", RESOURCE_META), ("data", "data_sources", DATA_META)):
        for entry in tree.get(section, []):
            for rtype, named in entry.items():
                rtype = _unquote(rtype)
                for rname, body in named.items():
                    if rname.startswith("__"):
                        continue
                    where = f"{source}: {'data.' if section == 'data' else ''}{rtype}.{_unquote(rname)}"
                    known = schema[kinds].get(rtype) or (BUILTIN.get(rtype) if section == "resource" else None)
                    if known is None:
                        errors.append(f"{where}: unknown {section} type {rtype} in the AWS provider {schema['provider'].get('version', '?')}")
                        continue
                    _check_body(body, known, where, meta, errors)
    return errors


def check_paths(paths: list[Path], schema: dict) -> list[str]:
    errors: list[str] = []
    for path in paths:
        files = sorted(path.rglob("*.tf")) if path.is_dir() else [path]
        for f in files:
            if ".terraform" in f.parts:
                continue
            errors += check_text(f.read_text(), str(f.relative_to(provider_schema.ROOT) if f.is_relative_to(provider_schema.ROOT) else f), schema)
    return errors


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or [provider_schema.ROOT / "terraform"]
    try:
        schema = provider_schema.load()
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 2
    errors = check_paths(paths, schema)
    for e in errors:
        print(e)
    print(f"{len(errors)} problem(s) against the AWS provider {schema['provider'].get('version', '?')} schema", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
