"""Which Terraform (or OpenTofu) is new enough, declared once.

The floor is set by what the generated configuration and the modules use: the S3 backend's native
locking (``use_lockfile``, generally available from Terraform 1.11; OpenTofu has it from 1.10) and
validation rules that refer to other variables (Terraform 1.9). ``required_version`` in every
module's versions.tf says the same (tests/unit/test_versions.py keeps them together).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.runtime import cache_dir

MINIMUM = {"Terraform": (1, 11, 0), "OpenTofu": (1, 10, 0)}
REQUIRED_VERSION = ">= 1.11"  # the modules' required_version (Terraform's floor; OpenTofu reads it too)

_FIRST_LINE = re.compile(r"^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Version:
    engine: str  # Terraform | OpenTofu
    number: tuple[int, int, int]

    def __str__(self) -> str:
        return f"{self.engine} {'.'.join(map(str, self.number))}"

    @property
    def supported(self) -> bool:
        return self.number >= MINIMUM[self.engine]


def minimum_text() -> str:
    return " or ".join(f"{engine} >= {'.'.join(map(str, number))}" for engine, number in MINIMUM.items())


def parse(first_line: str) -> Version | None:
    """``Terraform v1.15.0`` / ``OpenTofu v1.10.6`` (the first line of ``version``)."""
    match = _FIRST_LINE.match(first_line.strip())
    if not match:
        return None
    return Version(match.group(1), tuple(int(part) for part in match.groups()[1:]))


_probed: dict[str, Version | None] = {}
KNOWN_LIMIT = 32


def _known_file() -> Path:
    """First lines of ``version`` already asked, by binary: a run need not start a process to ask again."""
    return cache_dir() / "terraform-versions.json"


def _known() -> dict[str, str]:
    try:
        known = json.loads(_known_file().read_text())
        return known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        return {}


def _remember(key: str, first_line: str) -> None:
    known = {k: v for k, v in _known().items() if k != key}
    known = dict(list(known.items())[-(KNOWN_LIMIT - 1):] + [(key, first_line)])  # the latest binaries only
    path = _known_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(known, indent=1))
        temporary.replace(path)
    except OSError:
        pass  # a cache only: the next run asks the binary again


def probe(path: str, environ: dict[str, str] | None = None) -> Version | None:
    """The version a binary reports (None: it does not say), asked once per binary: its real path,
    size and modification time (kept across runs, so a run starts no ``version`` process)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = f"{os.path.realpath(path)} {stat.st_size} {stat.st_mtime_ns}"
    if key not in _probed:
        first_line = _known().get(key)
        if first_line is None:
            try:
                done = subprocess.run([path, "version"], capture_output=True, text=True, timeout=60,
                                      env={**(environ or os.environ), "CHECKPOINT_DISABLE": "1"}, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.SubprocessError):
                _probed[key] = None
                return None
            first_line = done.stdout.splitlines()[0] if done.stdout else ""
            if done.returncode == 0:
                _remember(key, first_line)
        _probed[key] = parse(first_line)
    return _probed[key]
