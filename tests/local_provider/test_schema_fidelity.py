"""The catalog declares, for every type, the same schema as hashicorp/aws 6.47.0 (the reference)."""

from __future__ import annotations

import json

from schema_compare import catalog_block_json, reference_or_skip, schema_differences

from orchestrator.local_provider.catalog import load


def test_catalog_covers_exactly_the_reference_types():
    index = json.loads((reference_or_skip() / "index.json").read_text())
    catalog = load()
    assert set(catalog.resources) == {n for n, v in index.items() if v["kind"] == "resource"}
    assert set(catalog.data_sources) == {n for n, v in index.items() if v["kind"] == "data"}


def test_every_catalog_type_matches_the_reference():
    reference = reference_or_skip()
    catalog = load()
    problems = []
    for kind, specs in (("resource", catalog.resources), ("data", catalog.data_sources)):
        for name, spec in sorted(specs.items()):
            want = json.loads((reference / f"{kind}.{name}.json").read_text())
            if want["version"] != spec.version:
                problems.append(f"{name}: schema version {spec.version} != {want['version']}")
            problems += schema_differences(name, want["block"], catalog_block_json(spec.block))
    assert not problems, "\n".join(problems)


def _attribute(block, dotted: str):
    """The attribute a dotted catalog name reaches through nested blocks, or None."""
    *blocks, leaf = dotted.split(".")
    for step in blocks:
        if step not in block.blocks:
            return None
        block = block.blocks[step].block
    return block.attributes.get(leaf)


def test_catalog_behaviour_names_real_attributes():
    """force_new names attributes or blocks; apply names computed attributes; validate attributes."""
    problems = []
    for name, spec in load().resources.items():
        members = set(spec.block.attributes) | set(spec.block.blocks)
        problems += [f"{name}: force_new {entry!r} is neither attribute nor block"
                     for entry in spec.force_new if entry not in members]
        for entry in spec.apply:
            attr = _attribute(spec.block, entry)
            if attr is None or not attr.computed:
                problems.append(f"{name}: apply value for {entry!r}, which is not a computed attribute")
        problems += [f"{name}: validate {entry!r} is not an attribute"
                     for entry in spec.validate if _attribute(spec.block, entry) is None]
    assert not problems, "\n".join(problems)
