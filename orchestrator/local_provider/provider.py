"""What the local AWS provider does, in plain Python values (no gRPC here; see server.py).

Every operation takes and returns cty values as Python values (``cty.UNKNOWN`` for unknowns) and
a list of ``Diagnostic``. Behaviour per type comes from the catalog, not from code per resource.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.local_provider import cty, relations, templates
from orchestrator.local_provider.catalog import Block, Catalog, TypeSpec, load
from orchestrator.local_provider.store import Store

DEFAULT_ACCOUNT_ID = "123456789012"
ACCOUNT_ENV = "ORCHESTRATOR_LOCAL_ACCOUNT_ID"
CLOUD_DIR_ENV = "ORCHESTRATOR_LOCAL_CLOUD_DIR"


@dataclass
class Diagnostic:
    summary: str
    detail: str = ""
    path: tuple = ()  # steps: str attribute name, int list index
    severity: str = "error"


def normalize(value: Any, block: Block) -> Any:
    """Coerce a JSON-like object to a block's type: blocks that are lists or sets are never null."""
    if value is None:
        return None
    out = {}
    for name, attr in block.attributes.items():
        out[name] = cty.convert(value.get(name), attr.type, name)
    for name, nested in block.blocks.items():
        raw = value.get(name)
        if nested.nesting == "single":
            out[name] = normalize(raw, nested.block) if raw is not None else None
        else:
            out[name] = [normalize(item, nested.block) for item in (raw or [])]
    return out


def _mark_unknown(planned: Any, config: Any, block: Block) -> Any:
    """On create: computed attributes the configuration leaves null become unknown."""
    if planned is None:
        return None
    config = config or {}
    out = dict(planned)
    for name, attr in block.attributes.items():
        if attr.computed and config.get(name) is None and out.get(name) is None:
            out[name] = cty.UNKNOWN
    for name, nested in block.blocks.items():
        value, conf = out.get(name), config.get(name)
        if value is None or value is cty.UNKNOWN or conf is cty.UNKNOWN:
            continue
        if nested.nesting == "single":
            out[name] = _mark_unknown(value, conf, nested.block)
        else:
            confs = conf if isinstance(conf, list) else []
            out[name] = [
                _mark_unknown(item, confs[i] if i < len(confs) else None, nested.block)
                for i, item in enumerate(value)
            ]
    return out


def _fill_from_config(planned: Any, config: Any) -> Any:
    """At apply the configuration is known: unknowns it now determines take its values."""
    if planned is cty.UNKNOWN:
        return config if config is not None else cty.UNKNOWN
    if isinstance(planned, dict) and isinstance(config, dict):
        return {k: _fill_from_config(v, config.get(k)) for k, v in planned.items()}
    if isinstance(planned, list) and isinstance(config, list) and len(planned) == len(config):
        return [_fill_from_config(p, c) for p, c in zip(planned, config)]
    return planned


def _resolve_remaining(value: Any, t: Any) -> Any:
    """Unknowns nobody determined read back as the remote API's empty value."""
    if value is cty.UNKNOWN:
        return cty.zero(t)
    if value is None or isinstance(t, str):
        return value
    kind, inner = t
    if kind == "object":
        return {k: _resolve_remaining(value.get(k), inner[k]) for k in inner}
    if kind == "map":
        return {k: _resolve_remaining(v, inner) for k, v in value.items()}
    return [_resolve_remaining(v, inner) for v in value]


def _drop_write_only(value: dict, block: Block) -> None:
    """Write-only values reach the provider in the configuration only, never plan or state."""
    for name, attr in block.attributes.items():
        if attr.write_only:
            value[name] = None


def _has_unknown(value: Any) -> bool:
    if value is cty.UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _replace_marks(value: Any) -> Any:
    """Rendered ``plan_known`` values: the marker string stands for a value known only after apply."""
    if value == templates.UNKNOWN_MARK:
        return cty.UNKNOWN
    if isinstance(value, dict):
        return {k: _replace_marks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_marks(v) for v in value]
    return value


def _member_type(block: Block, name: str) -> Any:
    member = block.attributes.get(name) or block.blocks.get(name)
    return member.type


def _fill_default(value: Any, block: Block, steps: list[str], default: Any) -> bool:
    """Set a default where the planned value is null (through nested blocks); True if one was set."""
    if not isinstance(value, dict):
        return False
    head, rest = steps[0], steps[1:]
    if not rest:
        if value.get(head) is None:
            value[head] = cty.convert(default, block.attributes[head].type, head)
            return True
        return False
    nested = block.blocks[head]
    items = value.get(head)
    filled = False
    for item in (items if isinstance(items, list) else [items]):
        filled = _fill_default(item, nested.block, rest, default) or filled
    return filled


def _sdk_arguments(block: Block, keep_null: tuple[str, ...] = ()):
    """Optional, non-computed arguments of a primitive type: SDK v2 stores their zero value when unset
    (unless the real Read never sets them: ``keep_null``)."""
    return [a for a in block.attributes.values() if a.optional and not a.computed and not a.write_only
            and isinstance(a.type, str) and a.name not in keep_null]


def _sdk_zero_values(value: dict, block: Block, keep_null: tuple[str, ...]) -> None:
    """After apply, an SDK v2 resource's unset argument reads back as "", 0 or false, not null."""
    for attr in _sdk_arguments(block, keep_null):
        if value.get(attr.name) is None:
            value[attr.name] = cty.zero(attr.type)


def _keep_sdk_zero_values(planned: dict, prior: dict, block: Block) -> None:
    """...and a later plan keeps that zero value while the configuration still leaves the argument unset."""
    for attr in _sdk_arguments(block):
        if planned.get(attr.name) is None and prior.get(attr.name) == cty.zero(attr.type):
            planned[attr.name] = prior[attr.name]


def _switched(group: list[str], prior: dict, planned: dict) -> list[str]:
    """Moving from one argument of ``group`` to another (e.g. a rule's source type): both paths replace."""
    before = [n for n in group if prior.get(n) is not None]
    after = [n for n in group if planned.get(n) is not None]
    return list(dict.fromkeys(before + after)) if before and after and before != after else []


def _apply_nested(value: Any, block: Block, steps: list[str], template: Any, ctx: templates.Context) -> None:
    """Render an ``apply`` value for ``block.attr`` in every element of a nested block."""
    if not isinstance(value, dict):
        return
    head, rest = steps[0], steps[1:]
    if not rest:
        if value.get(head) is cty.UNKNOWN:
            known = {k: v for k, v in value.items() if v is not None and v is not cty.UNKNOWN}
            scoped = templates.Context({**ctx.attrs, **known}, ctx.facts, ctx.lookup, ctx.sequence)  # element over object
            value[head] = cty.convert(templates.render(template, scoped), block.attributes[head].type, head)
        return
    nested = block.blocks[head]
    items = value.get(head)
    for item in (items if isinstance(items, list) else [items]):
        _apply_nested(item, nested.block, rest, template, ctx)


class LocalAWS:
    def __init__(self, catalog: Catalog | None = None, environ: dict[str, str] | None = None):
        self.catalog = catalog or load()
        self.environ = dict(os.environ if environ is None else environ)
        self.region = self.environ.get("AWS_REGION") or self.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.account = self.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT_ID
        self.partition = "aws-cn" if self.region.startswith("cn-") else (
            "aws-us-gov" if self.region.startswith("us-gov-") else "aws")
        self.default_tags: dict[str, Any] = {}
        self.ignore_keys: set[str] = set()
        self.ignore_prefixes: tuple[str, ...] = ()
        cloud = self.environ.get(CLOUD_DIR_ENV)
        # Without the variable (e.g. `terraform show` run by hand) the store lives in the working dir.
        self.store = Store(Path(cloud) if cloud else Path.cwd() / ".terraform" / "local-aws-cloud")

    # -- provider ----------------------------------------------------------------------------

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def facts(self, region: str | None = None) -> dict[str, Any]:
        return {"region": region or self.region, "account": self.account, "partition": self.partition,
                "dns_suffix": self.dns_suffix}

    def validate_provider(self, config: dict) -> list[Diagnostic]:
        region = config.get("region")
        if isinstance(region, str) and not config.get("skip_region_validation"):
            if region not in self.catalog.regions:
                return [Diagnostic(f"invalid AWS Region: {region}", path=("region",))]
        return []

    def unserved(self, root: Path | None = None) -> list[Diagnostic]:
        """What the configuration in ``root`` (the working directory) uses that this stand-in lacks."""
        from orchestrator.local_provider import unserved

        found = unserved.messages(root or Path.cwd(), set(self.catalog.resources), set(self.catalog.data_sources))
        return [Diagnostic(summary, detail) for summary, detail in found]

    def configure(self, config: dict) -> list[Diagnostic]:
        diags = self.validate_provider(config)
        if config.get("region"):
            self.region = config["region"]
        elif not (self.environ.get("AWS_REGION") or self.environ.get("AWS_DEFAULT_REGION")):
            diags.append(Diagnostic("Missing required argument",
                                    'The argument "region" is required, but no definition was found.',
                                    ("region",)))
        self.partition = "aws-cn" if self.region.startswith("cn-") else (
            "aws-us-gov" if self.region.startswith("us-gov-") else "aws")
        allowed = config.get("allowed_account_ids") or []
        if self.environ.get(ACCOUNT_ENV):
            # The "credentials" name their account: refuse the way the real provider does.
            if allowed and self.account not in allowed:
                diags.append(Diagnostic(f"AWS account ID not allowed: {self.account}",
                                        path=("allowed_account_ids",)))
        elif allowed:
            self.account = sorted(allowed)[0]
        forbidden = config.get("forbidden_account_ids") or []
        if self.account in forbidden:
            diags.append(Diagnostic(f"AWS account ID not allowed: {self.account}",
                                    path=("forbidden_account_ids",)))
        for block in config.get("default_tags") or []:
            self.default_tags = dict(block.get("tags") or {})
        for block in config.get("ignore_tags") or []:
            self.ignore_keys = set(block.get("keys") or [])
            self.ignore_prefixes = tuple(block.get("key_prefixes") or [])
        return diags

    # -- validation --------------------------------------------------------------------------

    def _spec(self, type_name: str, data: bool = False) -> TypeSpec | None:
        return (self.catalog.data_sources if data else self.catalog.resources).get(type_name)

    def validate(self, type_name: str, config: dict, data: bool = False) -> list[Diagnostic]:
        spec = self._spec(type_name, data)
        if spec is None:
            kind = "data source" if data else "resource type"
            return [Diagnostic(f"Unsupported {kind}", f"The local AWS provider does not serve {type_name}.")]
        diags: list[Diagnostic] = []
        region = (config or {}).get("region")
        if "region" in spec.block.attributes and isinstance(region, str) and region not in self.catalog.regions:
            diags.append(Diagnostic(f"invalid AWS Region: {region}", path=("region",)))
        for dotted, rules in spec.validate.items():
            for path, key, value in _walk(config, dotted.split("."), spec.block):
                if value is None or value is cty.UNKNOWN:
                    continue
                for message in _check(key, value, rules):
                    diags.append(Diagnostic(message, "", path))  # like the real provider: no detail
        problems = relations.check_rules(spec.rules, config or {}, spec.framework)
        if not spec.framework:
            problems += relations.null_elements(config, spec.block.type)
        diags += [Diagnostic(summary, detail, path) for summary, detail, path in problems]
        return diags

    def legacy_type_system(self, type_name: str) -> bool:
        """SDK v2 resources plan defaults and stored zero values into optional arguments and leave
        blocks unknown, as the real ones do, which Terraform accepts of the legacy type system only."""
        return not self.catalog.resources[type_name].framework

    # -- resources ---------------------------------------------------------------------------

    def _tags_all(self, tags: Any) -> Any:
        if tags is cty.UNKNOWN:
            return cty.UNKNOWN
        merged = {**self.default_tags, **(tags or {})}
        return {k: v for k, v in merged.items()
                if k not in self.ignore_keys and not k.startswith(self.ignore_prefixes or ("\x00",))}

    def _derive(self, spec: TypeSpec, value: dict, config: dict, creating: bool = False) -> None:
        for name, how in spec.plan.items():
            if config.get(name) is not None:
                continue
            if how == "provider_region":
                value[name] = self.region
            elif how == "default_tags_merged_with_tags":
                value[name] = self._tags_all(config.get("tags"))
                if creating and not spec.framework and value[name] == {}:
                    value[name] = cty.UNKNOWN  # the real SDK v2 resources: "(known after apply)" when empty

    def plan(self, type_name: str, prior: Any, proposed: Any, config: Any):
        spec = self.catalog.resources[type_name]
        if proposed is None:
            return None, [], []
        block = spec.block
        config = config or {}
        planned = dict(proposed) if prior is not None else _mark_unknown(proposed, config, block)
        self._derive(spec, planned, config, creating=prior is None)
        if prior is not None and not spec.framework:
            _keep_sdk_zero_values(planned, prior, block)
        _drop_write_only(planned, block)
        for name in spec.computed_blocks:
            if not config.get(name):
                planned[name] = prior.get(name) if prior is not None else cty.UNKNOWN
        for dotted, default in spec.defaults.items():
            _fill_default(planned, block, dotted.split("."), default)
        replace: list[str] = []
        if prior is None:
            self._plan_known(spec, planned, config)
            return planned, replace, []
        for trigger, targets in spec.recompute.items():
            if not cty.equal(prior.get(trigger), planned.get(trigger), _member_type(block, trigger)):
                planned.update({name: cty.UNKNOWN for name in targets})
        for name in spec.force_new:
            if not cty.equal(prior.get(name), planned.get(name), _member_type(block, name)):
                replace.append(name)
        for group in spec.replace_on_switch:
            replace += [n for n in _switched(group, prior, planned) if n not in replace]
        return planned, replace, []

    def _plan_known(self, spec: TypeSpec, planned: dict, config: dict) -> None:
        """Computed values the real provider knows at plan (e.g. a certificate's validation records)."""
        unknown = {k for k, v in config.items() if _has_unknown(v)}
        ctx = templates.Context({k: (None if k in unknown else v) for k, v in config.items()}, self.facts(), self._lookup)
        for name, template in spec.plan_known.items():
            if planned.get(name) is not cty.UNKNOWN or unknown & set(re.findall(r"\w+", json.dumps(template))):
                continue  # known only after apply, or it depends on what is not known yet
            rendered = templates.render(template, ctx)
            if rendered != templates.UNKNOWN_MARK:
                planned[name] = _replace_marks(cty.convert(rendered, _member_type(spec.block, name), name))

    def _lookup(self, type_name: str, key: str, attr: str) -> Any:
        """An attribute of a stored object: by id, by ``TYPE[MATCH]`` (whose MATCH is ``key``), or of
        the default network (``default_vpc`` by region, ``default_subnet`` by zone)."""
        if type_name in ("default_vpc", "default_subnet"):
            region = key if type_name == "default_vpc" else key[:-1]
            network = self.default_network(region)
            obj = network["vpc"] if type_name == "default_vpc" else network["subnets"].get(key)
        elif type_name.endswith("]"):
            type_name, _, match = type_name[:-1].partition("[")
            obj = next((o for o in self.store.all().get(type_name, {}).values() if o.get(match) == key), None)
        else:
            obj = self.store.get(type_name, key)
        return obj.get(attr) if obj else None

    def default_network(self, region: str) -> dict:
        """The region's default VPC, its default subnets (one per zone) and security group, as in every
        AWS account; created in the store the first time anything asks for them."""
        pointer = self.store.get("default_vpc", region)
        if pointer is None:
            from orchestrator.local_provider.datasources_store import default_network_objects

            for type_name, obj in default_network_objects(self, region):
                if self.store.get(type_name, obj["id"]) is None:
                    self.store.put(type_name, obj["id"], obj)
            pointer = self.store.get("default_vpc", region)
        vpc = self.store.get("aws_vpc", pointer["vpc_id"]) or {}
        subnets = {s["availability_zone"]: s for s in self.store.all().get("aws_subnet", {}).values()
                   if s.get("vpc_id") == vpc.get("id") and s.get("default_for_az")}
        return {"vpc": vpc, "subnets": subnets}

    def apply(self, type_name: str, prior: Any, planned: Any, config: Any):
        spec = self.catalog.resources[type_name]
        if planned is None:
            if prior is not None and self._key(spec, prior):
                self.store.delete(type_name, self._key(spec, prior))
            return None, []
        config = config or {}
        # An absent block the API fills in is not "determined by the configuration" as empty.
        value = _fill_from_config(planned, {k: v for k, v in config.items()
                                            if v or k not in spec.computed_blocks})
        self._derive(spec, value, config)
        ctx = templates.Context(
            {k: (None if v is cty.UNKNOWN else v) for k, v in value.items()},
            {**self.facts(value.get("region") if isinstance(value.get("region"), str) else None), "type": type_name},
            self._lookup, self.store.next_in_sequence,
        )
        for name, template in spec.apply.items():
            if "." in name:
                _apply_nested(value, spec.block, name.split("."), template, ctx)
            elif value.get(name) is cty.UNKNOWN or (name in spec.block.attributes and _has_unknown(value.get(name))):
                # a whole block is rendered only when the plan left it unknown (absent in the configuration)
                value[name] = cty.convert(templates.render(template, ctx), _member_type(spec.block, name), name)
                ctx.attrs[name] = value[name]
        if value.get("id") is cty.UNKNOWN:
            value["id"] = templates.render("{hex17}", ctx)
        key = self._key(spec, value)
        value = _resolve_remaining(value, spec.block.type)
        if not spec.framework:
            _sdk_zero_values(value, spec.block, spec.keep_null)
        _drop_write_only(value, spec.block)
        refused = relations.refusals(spec.refuse, value, lambda t: list(self.store.all().get(t, {}).values()))
        if prior is None and refused:
            return None, [Diagnostic(f"creating {type_name}: api error {problem}") for problem in refused]
        if prior is None and self.store.get(type_name, key) is not None:
            # AWS refuses a second object with the same name (e.g. create_before_destroy on a fixed name)
            return None, [Diagnostic(f"creating {type_name} ({key}): already exists",
                                     "An object with this identifier exists in the local store.")]
        self.store.put(type_name, key, value)
        return value, []

    def _key(self, spec: TypeSpec, value: dict) -> str:
        """The object's key in the store: its id, or for the few types without one the ``key`` template."""
        if "id" in spec.block.attributes or not spec.key:
            return value.get("id") or ""
        return templates.render(spec.key, templates.Context(value, self.facts(), self._lookup))

    def read(self, type_name: str, current: Any):
        spec = self.catalog.resources[type_name]
        if current is None:
            return None, []
        stored = self.store.get(type_name, self._key(spec, current))
        if stored is None:
            return None, []  # gone from the cloud: Terraform plans to create it again
        return normalize(stored, spec.block), []

    def import_state(self, type_name: str, object_id: str):
        spec = self.catalog.resources.get(type_name)
        if spec is None:
            return None, [Diagnostic("Unsupported resource type", f"The local AWS provider does not serve {type_name}.")]
        import_id = None
        if spec.import_id:
            def import_id(obj: dict) -> str:
                return templates.render(spec.import_id, templates.Context(obj, self.facts(), self._lookup))

        stored = self.store.find(type_name, object_id, import_id)
        if stored is None:
            return None, [Diagnostic("Cannot import non-existent remote object",
                                     f"While attempting to import an existing object to {type_name}, the provider "
                                     f"detected that no object exists with the given id {object_id!r}.")]
        return normalize(stored, spec.block), []

    def upgrade(self, type_name: str, version: int, raw_json: bytes):
        spec = self.catalog.resources[type_name]
        state = json.loads(raw_json) if raw_json else None
        if state is None:
            return None, []
        if version > spec.version:
            return None, [Diagnostic("Resource state is newer than the provider",
                                     f"{type_name} state has schema version {version}; this provider knows {spec.version}.")]
        for step in sorted(spec.upgrade, key=lambda s: s["from"]):
            if version > step["from"]:
                continue
            for old, new in (step.get("rename") or {}).items():
                if old in state:
                    state[new] = state.pop(old)
            for target, rule in (step.get("derive") or {}).items():
                if state.get(target) is None and state.get(rule["from"]) is not None:
                    state[target] = rule["map"].get(templates.text(state[rule["from"]]))
        try:
            return normalize(state, spec.block), []
        except ValueError as error:
            return None, [Diagnostic("Cannot upgrade resource state", f"{type_name}: {error}")]

    # -- data sources ------------------------------------------------------------------------

    def read_data(self, type_name: str, config: dict):
        from orchestrator.local_provider import datasources

        spec = self.catalog.data_sources[type_name]
        value = dict(config)
        try:
            computed = datasources.READERS[type_name](self, dict(config))
        except ValueError as error:
            return None, [Diagnostic(str(error), f"data.{type_name}: {error}")]
        for name, attr in spec.block.attributes.items():
            if attr.computed and value.get(name) is None and name in computed:
                value[name] = cty.convert(computed[name], attr.type, name)
        return _resolve_remaining(value, spec.block.type), []


def _walk(value: Any, steps: list[str], block: Block, path: tuple = (), key: str = ""):
    """Yield (diagnostic path, SDK-style key, value) for a dotted name, through nested blocks.

    List elements are addressed by index (``default_action.0.type``); set elements cannot be, so a
    diagnostic about one points at the block.
    """
    if not isinstance(value, dict):
        return
    head, rest = steps[0], steps[1:]
    item = value.get(head)
    if not rest:
        yield path + (head,), key + head, item
        return
    nested = block.blocks[head]
    if nested.nesting == "single":
        yield from _walk(item, rest, nested.block, path + (head,), f"{key}{head}.")
    elif isinstance(item, list):
        for i, element in enumerate(item):
            where = path + (head, i) if nested.nesting == "list" else path + (head,)
            yield from _walk(element, rest, nested.block, where, f"{key}{head}.{i}.")


def _go_quote_list(values: list) -> str:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "[" + " ".join(str(v) for v in values) + "]"
    return "[" + " ".join(json.dumps(str(v)) for v in values) + "]"


def _check(key: str, value: Any, rules: dict) -> list[str]:
    values = value if isinstance(value, list) else [value]
    problems = []
    for item in values:
        if item is None or item is cty.UNKNOWN:
            continue
        if "enum" in rules:
            allowed = rules["enum"]
            numeric = all(isinstance(v, int) for v in allowed)
            ok = (item in allowed) if numeric else (str(item) in [str(v) for v in allowed])
            if not ok:
                shown = templates.text(item)
                problems.append(f"expected {key} to be one of {_go_quote_list(allowed)}, got {shown}")
        if "max_len" in rules and isinstance(item, str) and len(item) > rules["max_len"]:
            problems.append(f"expected length of {key} to be in the range (0 - {rules['max_len']}), got {item}")
        if "pattern" in rules and isinstance(item, str) and not re.match(rules["pattern"], item):
            problems.append(f"invalid value for {key} (must match {rules['pattern']}), got {item}")
        if "min" in rules and isinstance(item, (int, float)) and item < rules["min"]:
            low, high = rules["min"], rules.get("max")
            problems.append(f"expected {key} to be in the range ({low} - {high}), got {templates.text(item)}"
                            if high is not None else f"expected {key} to be at least ({low}), got {templates.text(item)}")
        elif "max" in rules and isinstance(item, (int, float)) and item > rules["max"]:
            problems.append(f"expected {key} to be in the range ({rules.get('min', 0)} - {rules['max']}), "
                            f"got {templates.text(item)}")
        if "cidr" in rules and isinstance(item, str):
            problem = relations.cidr_network_problem(key, item, rules["cidr"])
            if problem:
                problems.append(problem)
        if rules.get("lb_name") and isinstance(item, str) and item:
            problems.extend(_lb_name_problems(key, item, rules["lb_name"]))
    return problems


def _lb_name_problems(key: str, name: str, kind: str) -> list[str]:
    problems = []
    if not re.fullmatch(r"[0-9A-Za-z-]+", name):
        problems.append(f'only alphanumeric characters and hyphens allowed in "{key}": "{name}"')
    if len(name) > 32:
        problems.append(f'"{key}" cannot be longer than 32 characters: "{name}"')
    if name.startswith("-") or name.endswith("-"):
        problems.append(f'"{key}" cannot begin or end with a hyphen: "{name}"')
    if kind == "load_balancer" and name.startswith("internal-"):
        problems.append(f'"{key}" cannot begin with "internal-": "{name}"')
    return problems
