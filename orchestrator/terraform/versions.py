"""Which Terraform (or OpenTofu) is new enough, declared once.

The floor is set by what the generated configuration and the modules use: the S3 backend's native
locking (``use_lockfile``, generally available from Terraform 1.11; OpenTofu has it from 1.10) and
validation rules that refer to other variables (Terraform 1.9). ``required_version`` in every
module's versions.tf says the same (tests/unit/test_versions.py keeps them together).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

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


_probed: dict[tuple[str, int], Version | None] = {}


def probe(path: str, environ: dict[str, str] | None = None) -> Version | None:
    """The version a binary reports (None: it does not say), asked once per binary and modification time."""
    import os

    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError:
        return None
    if key not in _probed:
        try:
            done = subprocess.run([path, "version"], capture_output=True, text=True, timeout=60,
                                  env={**(environ or os.environ), "CHECKPOINT_DISABLE": "1"}, stdin=subprocess.DEVNULL)
            _probed[key] = parse(done.stdout.splitlines()[0] if done.stdout else "")
        except (OSError, subprocess.SubprocessError):
            _probed[key] = None
    return _probed[key]
