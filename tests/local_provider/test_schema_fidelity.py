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


def test_catalog_behaviour_names_real_attributes():
    """force_new, apply and validate entries must name attributes or blocks the type has."""
    problems = []
    for name, spec in load().resources.items():
        members = set(spec.block.attributes) | set(spec.block.blocks)
        for entry in (*spec.force_new, *(k.split(".")[0] for k in (*spec.apply, *spec.validate))):
            if entry not in members:
                problems.append(f"{name}: {entry!r} is not an attribute or block")
        for entry in spec.apply:
            *blocks, leaf = entry.split(".")
            block = spec.block
            for step in blocks:
                block = block.blocks[step].block if step in block.blocks else block
            attr = block.attributes.get(leaf)
            if attr is None or not attr.computed:
                problems.append(f"{name}: apply value for {entry!r}, which is not a computed attribute")
    assert not problems, "\n".join(problems)
