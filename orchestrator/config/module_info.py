"""What a Terraform module declares: its variables, outputs and required providers.

Read with a light scan of the module's top-level blocks (modules are ``terraform fmt``-formatted,
so blocks start at column 0). Cached per module directory and modification time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

_BLOCK = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{(.*?)^\}', re.MULTILINE | re.DOTALL)
_SENSITIVE = re.compile(r"^\s*sensitive\s*=\s*true\s*$", re.MULTILINE)
_PROVIDER = re.compile(r'^\s*([a-z0-9_-]+)\s*=\s*\{[^}]*source\s*=\s*"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class ModuleInfo:
    path: Path
    variables: frozenset[str]
    outputs: frozenset[str]
    providers: frozenset[str]  # local names in required_providers, e.g. {"aws"}
    sensitive_variables: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=256)
def _scan(path: Path, _stamp: tuple) -> ModuleInfo:
    variables, outputs, providers, sensitive = set(), set(), set(), set()
    for tf_file in sorted(path.glob("*.tf")):
        text = tf_file.read_text(encoding="utf-8")
        for kind, name, body in _BLOCK.findall(text):
            (variables if kind == "variable" else outputs).add(name)
            if kind == "variable" and _SENSITIVE.search(body):
                sensitive.add(name)
        if "required_providers" in text:
            providers.update(local for local, _source in _PROVIDER.findall(text))
    return ModuleInfo(path, frozenset(variables), frozenset(outputs), frozenset(providers), frozenset(sensitive))


def read(path: Path) -> ModuleInfo:
    stamp = tuple((f.name, f.stat().st_mtime_ns) for f in sorted(path.glob("*.tf")))
    return _scan(path, stamp)
