"""What a Terraform module declares: its variables (and which are sensitive), outputs and providers.

Read with a real HCL parser (python-hcl2), so any valid layout is understood. Parsing is slow
(about a second for the six modules), so what a module declares is cached on disk, keyed by the
digest of its ``.tf`` files, and in memory per modification time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.runtime import cache_dir

CACHE_VERSION = "4"


@dataclass(frozen=True)
class ModuleInfo:
    path: Path
    variables: frozenset[str]
    outputs: frozenset[str]
    providers: frozenset[str]  # local names in required_providers, e.g. {"aws"}
    sensitive_variables: frozenset[str] = frozenset()
    # managed resources: "TYPE.NAME" -> the attributes its lifecycle ignores
    resources: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # providers with more than one configuration: `alias` in a provider block, or configuration_aliases
    aliased_providers: frozenset[str] = frozenset()
    # each variable's type, default and validation blocks, as parsed (JSON: label -> body)
    variable_specs_json: str = "{}"

    def variable_specs(self) -> dict[str, dict]:
        return json.loads(self.variable_specs_json)


def _cache_dir() -> Path:
    return cache_dir() / "module-info"


def _blocks(document: dict, kind: str) -> dict[str, dict]:
    """``variable "x" {...}`` blocks of a parsed file, by label."""
    found = {}
    for block in document.get(kind, []):
        for label, body in block.items():
            found[label] = body if isinstance(body, dict) else {}
    return found


def parse(texts: dict[str, str]) -> dict[str, list[str]]:
    """Declarations of a module from its files' text (name -> content)."""
    import hcl2  # import is slow: only when a module is read for the first time
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    variables, sensitive, outputs, providers, resources, aliased = set(), set(), set(), set(), {}, set()
    specs = {}
    for name, text in sorted(texts.items()):
        try:
            document = hcl2.loads(text, serialization_options=options)
        except Exception as error:  # noqa: BLE001 - any parser failure names the file
            raise ValueError(f"{name}: not valid HCL: {error}") from None
        for label, body in _blocks(document, "variable").items():
            variables.add(label)
            specs[label] = {key: body[key] for key in ("type", "default", "validation") if key in body}
            if body.get("sensitive") in (True, "true"):
                sensitive.add(label)
        outputs.update(_blocks(document, "output"))
        for block in document.get("resource", []):
            for type_name, named in block.items():
                for name, body in named.items():
                    ignored = [item for lifecycle in body.get("lifecycle", []) for item in lifecycle.get("ignore_changes", [])]
                    resources[f"{type_name}.{name}"] = sorted(str(item).strip("${}") for item in ignored)
        for terraform in document.get("terraform", []):
            for required in terraform.get("required_providers", []):
                providers.update(local for local, spec in required.items() if isinstance(spec, dict) and spec.get("source"))
                aliased.update(local for local, spec in required.items() if isinstance(spec, dict) and spec.get("configuration_aliases"))
        aliased.update(local for local, body in _blocks(document, "provider").items() if body.get("alias"))
    return {"variables": sorted(variables), "sensitive_variables": sorted(sensitive),
            "outputs": sorted(outputs), "providers": sorted(providers), "resources": resources,
            "aliased_providers": sorted(aliased), "variable_specs": specs}


@functools.lru_cache(maxsize=256)
def _read(path: Path, _stamp: tuple) -> ModuleInfo:
    texts = {f.name: f.read_text(encoding="utf-8") for f in sorted(path.glob("*.tf"))}
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for name, text in texts.items():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    cached = _cache_dir() / f"{digest.hexdigest()}.json"
    try:
        declared = json.loads(cached.read_text())
    except (OSError, ValueError):
        declared = parse(texts)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            temporary = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(declared))
            temporary.replace(cached)
        except OSError:
            pass  # a read-only cache only costs time
    return ModuleInfo(
        path,
        frozenset(declared["variables"]),
        frozenset(declared["outputs"]),
        frozenset(declared["providers"]),
        frozenset(declared["sensitive_variables"]),
        tuple(sorted((address, tuple(ignored)) for address, ignored in declared["resources"].items())),
        frozenset(declared["aliased_providers"]),
        json.dumps(declared["variable_specs"], sort_keys=True),
    )


def read(path: Path) -> ModuleInfo:
    stamp = tuple((f.name, f.stat().st_mtime_ns) for f in sorted(path.glob("*.tf")))
    return _read(path, stamp)
