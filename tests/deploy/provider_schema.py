"""The AWS provider's resource and data source schemas, read from npm's @cdktn/provider-aws.

That package is generated from the provider's own schema (its package.json names the provider
version). Its JSII type system (.jsii) holds, for every resource and data source, a config
interface whose properties carry a link to the registry page ending in `#snake_name`: the
Terraform argument name. A property typed as another config interface (or a list of them) is a
nested block. The extract is cached beside the package, keyed by its version.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "node_modules" / "@cdktn" / "provider-aws"
INSTALL_HINT = "run `make test-deploy` (or `npm ci --legacy-peer-deps` at the repository root)"

_LINK = re.compile(r"/docs/(resources|data-sources)/([a-z0-9_]+) (aws_[a-z0-9_]+)\}")
_ANCHOR = re.compile(r"#([a-z0-9_]+) [A-Za-z0-9]+#")


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _struct_fqn(type_ref: dict, types: dict) -> str | None:
    """The config interface a property refers to (a nested block), if any."""
    if "fqn" in type_ref:
        target = types.get(type_ref["fqn"])
        if target and target.get("kind") == "interface" and target.get("datatype"):
            return type_ref["fqn"]
        return None
    if "collection" in type_ref:
        return _struct_fqn(type_ref["collection"]["elementtype"], types)
    if "union" in type_ref:
        for member in type_ref["union"]["types"]:
            found = _struct_fqn(member, types)
            if found:
                return found
    return None


def _block_schema(fqn: str, types: dict, depth: int = 0) -> dict:
    attrs: dict[str, bool] = {}  # name -> required
    blocks: dict[str, dict] = {}
    for prop in types[fqn].get("properties", []):
        docs = " ".join(str(v) for v in prop.get("docs", {}).values())
        anchor = _ANCHOR.search(docs)
        name = anchor.group(1) if anchor else _camel_to_snake(prop["name"])
        required = not prop.get("optional", False)
        nested = _struct_fqn(prop["type"], types)
        if nested and depth < 12:
            block = _block_schema(nested, types, depth + 1)
            block["required"] = required
            blocks[name] = block
        else:
            attrs[name] = required
    return {"attributes": attrs, "blocks": blocks}


def build(jsii_path: Path) -> dict:
    assembly = json.loads(jsii_path.read_text())
    types = assembly["types"]
    schema = {
        "package_version": assembly["version"],
        "provider": json.loads((jsii_path.parent / "package.json").read_text()).get("cdktf", {}).get("provider", {}),
        "resources": {},
        "data_sources": {},
    }
    for t in types.values():
        if t.get("kind") != "class" or t.get("base") not in ("cdktn.TerraformResource", "cdktn.TerraformDataSource"):
            continue
        link = _LINK.search(t.get("docs", {}).get("summary", ""))
        params = t.get("initializer", {}).get("parameters", [])
        if not link or len(params) < 3:
            continue
        kind = "resources" if link.group(1) == "resources" else "data_sources"
        schema[kind][link.group(3)] = _block_schema(params[2]["type"]["fqn"], types)
    return schema


def load() -> dict:
    """The schema; raises FileNotFoundError with an install hint when the package is missing."""
    jsii = PACKAGE / ".jsii"
    if not jsii.is_file():
        raise FileNotFoundError(f"{jsii} is missing: {INSTALL_HINT}")
    version = json.loads((PACKAGE / "package.json").read_text())["version"]
    cache = ROOT / "node_modules" / ".cache" / "idc-credential-report" / f"aws-provider-schema-{version}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    schema = build(jsii)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(schema))
    tmp.replace(cache)
    return schema


if __name__ == "__main__":
    s = load()
    print(f"{s['provider']}: {len(s['resources'])} resources, {len(s['data_sources'])} data sources", file=sys.stderr)
