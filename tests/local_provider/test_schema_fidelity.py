"""The catalog declares, for every type, the same schema as hashicorp/aws 6.47.0 (the reference)."""

from __future__ import annotations

import json

import pytest

from schema_compare import catalog_block_json, reference_or_skip, schema_differences

from orchestrator.local_provider.catalog import load

pytestmark = [pytest.mark.terraform]


def test_catalog_covers_every_reference_type():
    """The reference extract's types are all served (the catalog serves more: the neighbours of the
    architecture, checked against the real provider's own schema in test_real_provider_diff.py)."""
    index = json.loads((reference_or_skip() / "index.json").read_text())
    catalog = load()
    assert {n for n, v in index.items() if v["kind"] == "resource"} <= set(catalog.resources)
    assert {n for n, v in index.items() if v["kind"] == "data"} <= set(catalog.data_sources)


def test_every_catalog_type_matches_the_reference():
    reference = reference_or_skip()
    catalog = load()
    problems = []
    for kind, specs in (("resource", catalog.resources), ("data", catalog.data_sources)):
        for name, spec in sorted(specs.items()):
            if not (reference / f"{kind}.{name}.json").is_file():
                continue  # a type beyond the extract
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
    """Every name the behaviour entries use is an attribute or block of the type, of the right kind."""
    from orchestrator.local_provider.catalog import _rule_names

    problems = []
    for name, spec in load().resources.items():
        members = set(spec.block.attributes) | set(spec.block.blocks)
        problems += [f"{name}: force_new {entry!r} is neither attribute nor block"
                     for entry in spec.force_new if entry not in members]
        for entry in spec.apply:
            attr = _attribute(spec.block, entry)
            if entry in spec.computed_blocks:
                continue
            if attr is None or not attr.computed:
                problems.append(f"{name}: apply value for {entry!r}, which is not a computed attribute")
        for entry in spec.plan_known:
            attr = _attribute(spec.block, entry)
            if attr is None or not attr.computed:
                problems.append(f"{name}: plan_known value for {entry!r}, which is not a computed attribute")
        for trigger, targets in spec.recompute.items():
            problems += [f"{name}: recompute {entry!r} is not a computed attribute" for entry in targets
                         if not getattr(_attribute(spec.block, entry), "computed", False)]
            problems += [f"{name}: recompute trigger {trigger!r} is not an attribute"
                         for _ in [trigger] if _attribute(spec.block, trigger) is None]
        problems += [f"{name}: computed block {entry!r} is not a block"
                     for entry in spec.computed_blocks if entry not in spec.block.blocks]
        problems += [f"{name}: default for {entry!r}, which is not an argument"
                     for entry in spec.defaults if not getattr(_attribute(spec.block, entry), "optional", False)]
        problems += [f"{name}: {entry!r} of a rule is not an attribute"
                     for rule in spec.rules for entry in _rule_names(rule) if entry not in members]
        problems += [f"{name}: replace_on_switch {entry!r} is not an attribute"
                     for group in spec.replace_on_switch for entry in group if entry not in spec.block.attributes]
        problems += [f"{name}: refuse names {entry['cidr']!r}, not an attribute"
                     for entry in spec.refuse if entry["cidr"] not in spec.block.attributes]
        problems += [f"{name}: keep_null {entry!r} is not an argument"
                     for entry in spec.keep_null if not getattr(spec.block.attributes.get(entry), "optional", False)]
        problems += [f"{name}: validate {entry!r} is not an attribute"
                     for entry in spec.validate if _attribute(spec.block, entry) is None]
    assert not problems, "\n".join(problems)
