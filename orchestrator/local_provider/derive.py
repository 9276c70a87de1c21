"""Developer tool: catalog entries from the real provider, names, types and flags only.

    python -m orchestrator.local_provider.derive schema SCHEMA TYPE...   # catalog YAML (attrs, blocks, version)
    python -m orchestrator.local_provider.derive facts SOURCE TYPE...    # ForceNew, Default, ConflictsWith, ...

``SCHEMA`` is the output of ``terraform providers schema -json`` run with the real hashicorp/aws, or a
directory of per-type files ``resource.TYPE.json`` / ``data.TYPE.json`` (the reference extract's shape).
``SOURCE`` is the real provider's source tree (the Go module the build downloads:
``$(go env GOMODCACHE)/github.com/hashicorp/terraform-provider-aws@VERSION``); ``facts`` reads the
terraform-plugin-sdk v2 schema literals of a type (``ForceNew: true``, ``Default: 300``,
``ConflictsWith``, ``ExactlyOneOf``, ``AtLeastOneOf``, ``RequiredWith``, ``DiffSuppressFunc``) and
says whether the type is a framework resource (whose plan modifiers it does not read). Descriptions are never read or written. The output is for a person to review
and put into catalog.yaml with the behaviour the type needs.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

_FLAGS = (("required", "r"), ("optional", "o"), ("computed", "c"), ("sensitive", "s"), ("write_only", "w"),
          ("deprecated", "d"))


def type_text(t: Any) -> str:
    if isinstance(t, str):
        return t
    kind, inner = t
    if kind == "object":
        return "object({" + ",".join(f"{k}={type_text(v)}" for k, v in sorted(inner.items())) + "})"
    return f"{kind}({type_text(inner)})"


def load_schema(source: Path, kind: str, name: str) -> dict:
    """{"version", "block"} of one type from a `providers schema -json` file or a per-type directory."""
    if source.is_dir():
        return json.loads((source / f"{kind}.{name}.json").read_text())
    document = json.loads(source.read_text())
    provider = next(iter(document["provider_schemas"].values()))
    return provider["resource_schemas" if kind == "resource" else "data_source_schemas"][name]


def block_yaml(block: dict, indent: int) -> Iterator[str]:
    pad = " " * indent
    attrs = block.get("attributes") or {}
    if attrs:
        yield f"{pad}attrs:"
        for name, a in sorted(attrs.items()):
            flags = "".join(f for key, f in _FLAGS if a.get(key))
            yield f"{pad}  {name}: {type_text(a['type'])} {flags}"
    nested = block.get("block_types") or {}
    if nested:
        yield f"{pad}blocks:"
        for name, nb in sorted(nested.items()):
            yield f"{pad}  {name}:"
            yield f"{pad}    nesting: {nb['nesting_mode']}"
            for key, short in (("min_items", "min"), ("max_items", "max")):
                if nb.get(key):
                    yield f"{pad}    {short}: {nb[key]}"
            if nb["block"].get("deprecated"):
                yield f"{pad}    deprecated: true"
            yield from block_yaml(nb["block"], indent + 4)


def schema_entry(source: Path, kind: str, name: str) -> str:
    found = load_schema(source, kind, name)
    lines = [f"  {name}:", f"    version: {found.get('version', 0)}"]
    return "\n".join(lines + list(block_yaml(found["block"], 4)))


# -- facts from the provider's Go source -------------------------------------------------------

_KEY = re.compile(r'^\s*(names\.Attr\w+|"[a-z0-9_]+"|[a-z]\w*):\s*\{\s*$')
_PROPERTY = re.compile(r"^\s*(ForceNew|Default|ConflictsWith|ExactlyOneOf|AtLeastOneOf|RequiredWith|DiffSuppressFunc):"
                       r"\s*(.+?),?\s*$")
_CONST = re.compile(r'^\s*(\w+)\s*=\s*"([a-z0-9_]+)"\s*$', re.M)


def attr_constants(root: Path) -> dict[str, str]:
    text = (root / "names" / "attr_consts_gen.go").read_text()
    return {f"names.{k}": v for k, v in re.findall(r"^\s*(Attr\w+)\s*=\s*\"([^\"]+)\"", text, re.M)}


def type_file(root: Path, kind: str, name: str) -> tuple[Path, str] | None:
    """The Go file declaring the type, and how (SDKResource, FrameworkResource, SDKDataSource, ...)."""
    how = "(?:SDK|Framework)" + ("DataSource" if kind == "data" else "Resource")
    pattern = re.compile(r'^// @(' + how + r')\("' + re.escape(name) + r'"', re.M)
    for path in (root / "internal" / "service").rglob("*.go"):
        if path.name.endswith("_test.go"):
            continue
        text = path.read_text(errors="replace")
        if f'"{name}"' in text:
            match = pattern.search(text)
            if match:
                return path, match.group(1)
    return None


def _resolve_list(text: str, constants: dict[str, str]) -> str:
    items = re.findall(r'names\.Attr\w+|"[^"]*"', text)
    return "[" + ", ".join(constants.get(i, i.strip('"')) for i in items) + "]" if items else text


def schema_facts(path: Path, constants: dict[str, str]) -> list[str]:
    """`dotted.attribute: Property value` for every SDK v2 schema property of interest in a file."""
    facts, stack, depth = [], [], 0
    text = path.read_text(errors="replace")
    local = {**constants, **dict(_CONST.findall(text))}  # the file's own names for attributes
    for line in text.splitlines():
        key = _KEY.match(line)
        if key and (key.group(1).startswith(('"', "names.")) or key.group(1) in local):
            stack.append((local.get(key.group(1), key.group(1).strip('"')), depth))
        else:
            prop = _PROPERTY.match(line)
            if prop and stack and depth == stack[-1][1] + 1:
                value = prop.group(2)
                if prop.group(1) not in ("Default", "ForceNew", "DiffSuppressFunc"):
                    value = _resolve_list(value, local)
                facts.append(f"{'.'.join(k for k, _ in stack)}: {prop.group(1)} {value}")
        depth += line.count("{") - line.count("}")
        while stack and depth <= stack[-1][1]:
            stack.pop()
    return facts


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("schema", "facts"):
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[1])
    if argv[0] == "schema":
        for name in argv[2:]:
            kind, _, bare = name.rpartition(":")
            print(schema_entry(source, kind or "resource", bare))
        return 0
    constants = attr_constants(source)
    for name in argv[2:]:
        kind, _, name = name.rpartition(":")
        found = type_file(source, kind or "resource", name)
        if found is None:
            print(f"# {name}: not found")
            continue
        path, how = found
        print(f"# {name}: {how} in {path.relative_to(source)}")
        for fact in schema_facts(path, constants):
            print(f"#   {fact}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
