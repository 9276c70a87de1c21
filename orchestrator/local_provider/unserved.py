"""What a configuration asks of hashicorp/aws that the local stand-in does not serve.

Terraform checks resource types against the served schema itself and words a missing one as
"The provider hashicorp/aws does not support resource type ...", which reads as if the real provider
lacked it. Terraform validates the provider configuration before the resources that use it (and
skips them when it fails), so ``ValidateProviderConfig`` reads the configuration first: the files of
the working directory (Terraform's current directory, and so the plugin's) and of the modules
``terraform init`` installed (``.terraform/modules/modules.json``), and names what it lacks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

# resource "aws_x" "name", data "aws_x" "name", ephemeral "aws_x" ..., in HCL; provider::aws::f( calls.
_BLOCK = re.compile(r'^[ \t]*(resource|data|ephemeral|list|action)[ \t]+"?(aws_[0-9a-z_]+)"?[ \t]+"?[\w-]+"?[ \t]*\{',
                    re.M)
_FUNCTION = re.compile(r"provider::aws::(\w+)\s*\(")
ALTERNATIVES = ("This run uses the orchestrator's built-in local stand-in for hashicorp/aws, not the real "
                "provider. To run this configuration with the real provider, use `--provider aws` "
                "(real AWS) or `--provider moto` (the real provider against a local moto server).")


def module_dirs(root: Path) -> list[Path]:
    """The root module and every module `terraform init` installed for it."""
    dirs = [root]
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        for module in json.loads(manifest.read_text()).get("Modules", []):
            path = (root / module.get("Dir", "")).resolve()
            if path not in dirs:
                dirs.append(path)
    except (OSError, ValueError):
        pass
    return dirs


def _json_blocks(doc: dict) -> Iterator[tuple[str, str]]:
    for kind in ("resource", "data", "ephemeral"):
        for type_name in (doc.get(kind) or {}):
            yield kind, type_name


def _uses(path: Path) -> Iterator[tuple[str, str, int]]:
    """(kind, name, line) of every aws resource, data source, ephemeral resource or function in a file."""
    text = path.read_text(errors="replace")
    if path.name.endswith(".tf.json"):
        try:
            yield from ((kind, name, 0) for kind, name in _json_blocks(json.loads(text)))
        except ValueError:
            return
    else:
        for match in _BLOCK.finditer(text):
            yield match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1
    for match in _FUNCTION.finditer(text):
        yield "function", match.group(1), text.count("\n", 0, match.start()) + 1


def unserved(root: Path, resources: set[str], data_sources: set[str]) -> dict[tuple[str, str], tuple[Path, int]]:
    """(kind, name) -> (file, line) of its first use, for everything the stand-in lacks."""
    served = {"resource": resources, "data": data_sources}
    missing: dict[tuple[str, str], tuple[Path, int]] = {}
    for directory in module_dirs(root):
        for path in sorted(directory.glob("*.tf")) + sorted(directory.glob("*.tf.json")):
            for kind, name, line in _uses(path):
                if name not in served.get(kind, ()):
                    missing.setdefault((kind, name), (path, line))
    return missing


_KIND_WORDS = {"resource": "resource type", "data": "data source", "ephemeral": "ephemeral resource",
               "list": "list resource", "action": "action", "function": "function provider::aws::"}


def messages(root: Path, resources: set[str], data_sources: set[str]) -> list[tuple[str, str]]:
    """(summary, detail) per thing the local stand-in does not serve."""
    out = []
    for (kind, name), (path, line) in sorted(unserved(root, resources, data_sources).items()):
        words = _KIND_WORDS[kind]
        what = f"{words}{name}" if words.endswith("::") else f"{words} {name}"
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        where = f"{shown} line {line}" if line else str(shown)
        out.append((f"The local stand-in for hashicorp/aws does not serve {what}",
                    f"Used in {where}. {ALTERNATIVES}"))
    return out
