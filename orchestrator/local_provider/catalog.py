"""The catalog (catalog.yaml) as Python objects: schemas plus the behaviour declared for each type."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.local_provider import cty

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
CACHE_ENV = "ORCHESTRATOR_LOCAL_PROVIDER_CACHE"
_FLAGS = {"r": "required", "o": "optional", "c": "computed", "s": "sensitive", "w": "write_only", "d": "deprecated"}


@dataclass(frozen=True)
class Attribute:
    name: str
    type: Any
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    write_only: bool = False
    deprecated: bool = False


@dataclass
class Block:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: dict[str, "NestedBlock"] = field(default_factory=dict)
    deprecated: bool = False

    @functools.cached_property
    def type(self) -> Any:
        """The cty object type of a value of this block."""
        members = {name: a.type for name, a in self.attributes.items()}
        members.update({name: nb.type for name, nb in self.blocks.items()})
        return ("object", members)


@dataclass
class NestedBlock:
    name: str
    nesting: str  # list | set | single
    block: Block
    min_items: int = 0
    max_items: int = 0

    @property
    def type(self) -> Any:
        if self.nesting == "single":
            return self.block.type
        return (self.nesting, self.block.type)


@dataclass
class TypeSpec:
    """One resource type or data source: its schema and declared behaviour."""

    name: str
    kind: str  # resource | data
    version: int
    block: Block
    force_new: tuple[str, ...] = ()
    apply: dict[str, Any] = field(default_factory=dict)
    validate: dict[str, dict] = field(default_factory=dict)
    upgrade: list[dict] = field(default_factory=list)
    plan: dict[str, str] = field(default_factory=dict)
    import_id: str = ""  # template of the id `terraform import` takes, when it is not the object's id
    defaults: dict[str, Any] = field(default_factory=dict)  # filled at plan where the configuration is null
    rules: list[dict] = field(default_factory=list)  # relations between arguments (relations.py)
    plan_known: dict[str, Any] = field(default_factory=dict)  # computed values known at plan (templates)
    recompute: dict[str, list[str]] = field(default_factory=dict)  # a change of KEY makes these unknown
    computed_blocks: tuple[str, ...] = ()  # optional blocks the API fills in: unknown at create when absent
    replace_on_switch: list[list[str]] = field(default_factory=list)  # moving to another of these replaces
    refuse: list[dict] = field(default_factory=list)  # what the AWS API refuses at apply (relations.py)
    keep_null: tuple[str, ...] = ()  # SDK v2 arguments left null when unset (never read back)
    key: str = ""  # the store key (a template) of a type without an `id` attribute
    framework: bool = False  # implemented with terraform-plugin-framework in the real provider (else SDK v2)


@dataclass
class Catalog:
    provider: TypeSpec
    provider_meta: TypeSpec
    resources: dict[str, TypeSpec]
    data_sources: dict[str, TypeSpec]
    regions: frozenset[str]


def parse_attribute(name: str, spec: str) -> Attribute:
    type_text, _, flags = spec.rpartition(" ")
    unknown = set(flags) - set(_FLAGS)
    if not type_text or unknown:
        raise ValueError(f"attribute {name!r}: cannot read {spec!r}")
    return Attribute(name, cty.parse_type(type_text), **{_FLAGS[f]: True for f in flags})


def parse_block(raw: dict) -> Block:
    block = Block(deprecated=bool(raw.get("deprecated")))
    for name, spec in (raw.get("attrs") or {}).items():
        block.attributes[name] = parse_attribute(name, spec)
    for name, nested in (raw.get("blocks") or {}).items():
        block.blocks[name] = NestedBlock(
            name, nested["nesting"], parse_block(nested), nested.get("min", 0), nested.get("max", 0)
        )
    return block


def _type_spec(name: str, kind: str, raw: dict, common: dict) -> TypeSpec:
    block = parse_block(raw)
    members = set(block.attributes) | set(block.blocks)
    force_new = [n for n in common.get("force_new", []) if n in members] + list(raw.get("force_new", []))
    plan = {n: how for n, how in common.get("plan", {}).items() if n in block.attributes}
    rules = [r for r in common.get("rules", []) if set(_rule_names(r)) <= members] + list(raw.get("rules") or [])
    return TypeSpec(
        name=name,
        kind=kind,
        version=int(raw.get("version", 0)),
        block=block,
        force_new=tuple(force_new),
        apply=dict(raw.get("apply") or {}),
        validate=dict(raw.get("validate") or {}),
        upgrade=list(raw.get("upgrade") or []),
        plan=plan,
        import_id=raw.get("import_id", ""),
        defaults=dict(raw.get("defaults") or {}),
        rules=rules,
        plan_known=dict(raw.get("plan_known") or {}),
        recompute=dict(raw.get("recompute") or {}),
        computed_blocks=tuple(raw.get("computed_blocks") or ()),
        replace_on_switch=list(raw.get("replace_on_switch") or []),
        refuse=list(raw.get("refuse") or []),
        framework=bool(raw.get("framework")),
        key=raw.get("key", ""),
        keep_null=tuple(raw.get("keep_null") or ()),
    )


def _rule_names(rule: dict) -> list[str]:
    """The arguments a relation rule names."""
    if "when" in rule:
        return list(rule["when"]) + list(rule["required"])
    return [n for key, names in rule.items() if isinstance(names, list) for n in names]


@functools.lru_cache(maxsize=1)
def load(path: Path = CATALOG_FILE) -> Catalog:
    """The catalog; a pickled copy keyed by the files' digest spares each provider start ~60 ms.

    The copy lives in ``$ORCHESTRATOR_LOCAL_PROVIDER_CACHE`` (set by the generated wrapper to the
    mirror's cache directory); without it, the YAML is parsed every time.
    """
    import hashlib
    import os
    import pickle

    text = Path(path).read_bytes()
    cache_dir = os.environ.get(CACHE_ENV)
    cached = None
    if cache_dir:
        # The classes are part of what is pickled: a change to this module or cty makes a new copy.
        digest = hashlib.sha256(text)
        for module in (__file__, cty.__file__):
            digest.update(Path(module).read_bytes())
        cached = Path(cache_dir) / f"catalog-{digest.hexdigest()[:16]}.pickle"
    if cached is not None and cached.is_file():
        try:
            return pickle.loads(cached.read_bytes())
        except Exception:  # noqa: BLE001 - a stale or partial cache is rebuilt below
            pass
    catalog = _parse_catalog(text)
    if cached is not None:
        try:
            temporary = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
            temporary.write_bytes(pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, cached)
            for stale in cached.parent.glob("catalog-*.pickle"):
                if stale != cached:
                    stale.unlink(missing_ok=True)  # an older catalog's copy
        except OSError:
            pass
    return catalog


def _parse_catalog(text: bytes) -> Catalog:
    import yaml

    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    common = raw.get("common", {})
    return Catalog(
        provider=_type_spec("provider", "provider", raw["provider"], {}),
        provider_meta=_type_spec("provider_meta", "provider", raw["provider_meta"], {}),
        resources={n: _type_spec(n, "resource", r, common) for n, r in raw["resources"].items()},
        data_sources={n: _type_spec(n, "data", r, {}) for n, r in raw["data_sources"].items()},
        regions=frozenset(raw.get("regions", [])),
    )
