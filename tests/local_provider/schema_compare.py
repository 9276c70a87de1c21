"""Schema comparison for the local provider tests: the reference extract, the catalog and the served
schema all share the JSON shape of `terraform providers schema -json`."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "aws-provider-schema"
FLAGS = ("required", "optional", "computed", "sensitive", "write_only", "deprecated")


def catalog_block_json(block) -> dict:
    """A catalog block in the shape of `terraform providers schema -json`."""
    from orchestrator.local_provider import cty

    out: dict = {"attributes": {}}
    for name, a in block.attributes.items():
        out["attributes"][name] = {"type": cty.type_json(a.type), **{f: True for f in FLAGS if getattr(a, f)}}
    if block.blocks:
        out["block_types"] = {}
        for name, nb in block.blocks.items():
            nested = {"nesting_mode": nb.nesting, "block": catalog_block_json(nb.block)}
            if nb.min_items:
                nested["min_items"] = nb.min_items
            if nb.max_items:
                nested["max_items"] = nb.max_items
            out["block_types"][name] = nested
    if block.deprecated:
        out["deprecated"] = True
    return out


def schema_differences(where: str, want: dict, got: dict, ignore_flags: tuple[str, ...] = ()) -> list[str]:
    """Every difference in names, types, flags, nesting and item limits between two blocks."""
    problems = []
    want_attrs, got_attrs = want.get("attributes", {}), got.get("attributes", {})
    for name in sorted(set(want_attrs) | set(got_attrs)):
        if name not in got_attrs:
            problems.append(f"{where}.{name}: missing")
            continue
        if name not in want_attrs:
            problems.append(f"{where}.{name}: not in the reference")
            continue
        w, g = want_attrs[name], got_attrs[name]
        if w["type"] != g["type"]:
            problems.append(f"{where}.{name}: type {g['type']} != {w['type']}")
        for flag in FLAGS:
            if flag not in ignore_flags and bool(w.get(flag)) != bool(g.get(flag)):
                problems.append(f"{where}.{name}: {flag} {bool(g.get(flag))} != {bool(w.get(flag))}")
    if bool(want.get("deprecated")) != bool(got.get("deprecated")) and "deprecated" not in ignore_flags:
        problems.append(f"{where}: block deprecated differs")
    want_blocks, got_blocks = want.get("block_types", {}), got.get("block_types", {})
    for name in sorted(set(want_blocks) | set(got_blocks)):
        if name not in got_blocks or name not in want_blocks:
            problems.append(f"{where}.{name}: block {'missing' if name not in got_blocks else 'not in the reference'}")
            continue
        w, g = want_blocks[name], got_blocks[name]
        for key in ("nesting_mode", "min_items", "max_items"):
            if w.get(key, 0) != g.get(key, 0):
                problems.append(f"{where}.{name}: {key} {g.get(key, 0)} != {w.get(key, 0)}")
        problems += schema_differences(f"{where}.{name}", w["block"], g["block"], ignore_flags)
    return problems


def reference_or_skip() -> Path:
    if not (REFERENCE / "index.json").is_file():
        pytest.skip(f"no reference schema at {REFERENCE}")
    return REFERENCE
