"""Where built tools live, and what counts as built.

``${XDG_CACHE_HOME:-~/.cache}/orchestrator/tools/<name>/<key>/``::

    bin/<binary>      the tool; it appears only when its build succeeded (moved in from a staging folder)
    build.log         the full output of the last build (command lines first)
    build.json        what was built and what it cost (time, CPU, peak memory, disk)
    failed.json       the last failed build's error (removed by the next successful one)

``<key>`` is the pinned version; for a tool built from this repository, the version plus a digest of
its source folder, so that an edited source is a new build.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from orchestrator.tools.catalog import Tool, tool

RECORD = "build.json"
FAILURE = "failed.json"
LOG = "build.log"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orchestrator" / "tools"


SOURCE_FILES = ("*.go", "go.mod", "go.sum", "*.yaml")


def source_digest(item: Tool) -> str:
    """Digest of what a ``source`` tool is built from (Go files, go.mod, go.sum, embedded YAML)."""
    digest = hashlib.sha256()
    files = {p for pattern in SOURCE_FILES for p in item.source_dir.rglob(pattern) if p.is_file()}
    for path in sorted(files):
        digest.update(path.relative_to(item.source_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def key(item: Tool) -> str:
    if item.method == "source":
        return f"{item.version}-src.{source_digest(item)}" if item.source_dir.is_dir() else f"{item.version}-src.missing"
    return item.version


def tool_dir(item: Tool) -> Path:
    return cache_root() / item.name / key(item)


def binary_path(item: Tool) -> Path:
    return tool_dir(item) / "bin" / item.binary


def installed(name: str) -> Path | None:
    """The built binary of tool ``name`` (catalog name), or None when it has not been built."""
    path = binary_path(tool(name))
    return path if path.is_file() and os.access(path, os.X_OK) else None


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` whole or not at all (a temporary file renamed into place)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def record(name: str) -> dict | None:
    """build.json of tool ``name``'s current build, if any."""
    return read_json(tool_dir(tool(name)) / RECORD)


def failure(name: str) -> dict | None:
    """failed.json of tool ``name``'s last failed build, if any (and not built since)."""
    return read_json(tool_dir(tool(name)) / FAILURE)
