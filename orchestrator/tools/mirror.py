"""The real AWS provider, laid out as a filesystem mirror that ``terraform init`` finds offline.

Terraform's unpacked mirror layout is ``HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION``;
here the executable is a symbolic link to the built binary, so the mirror costs no disk. A CLI
configuration that uses it::

    provider_installation {
      filesystem_mirror {
        path    = "<mirror root>"
        include = ["registry.terraform.io/hashicorp/aws"]
      }
    }
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from orchestrator.tools import layout
from orchestrator.tools.catalog import PROVIDER, tool

SOURCE = ("registry.terraform.io", "hashicorp", "aws")

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386"}


def target_platform() -> str:
    """Terraform's name of this machine's platform, e.g. linux_amd64."""
    system = "darwin" if sys.platform == "darwin" else "windows" if sys.platform.startswith("win") else sys.platform.rstrip("0123456789")
    machine = platform.machine().lower()
    return f"{system}_{_ARCH.get(machine, machine)}"


def mirror_root() -> Path:
    return layout.cache_root() / "provider-mirror"


def mirror_executable(version: str) -> Path:
    host, namespace, name = SOURCE
    return mirror_root() / host / namespace / name / version / target_platform() / f"terraform-provider-{name}_v{version}"


def lay_out(binary: Path, version: str) -> Path:
    """Link ``binary`` into the mirror as ``version`` (idempotent); the link's path."""
    link = mirror_executable(version)
    if link.is_symlink() and os.readlink(link) == str(binary):
        return link
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.with_name(f".{link.name}.{os.getpid()}")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(binary)
    os.replace(temporary, link)
    return link


def real_provider_mirror() -> tuple[Path, str] | None:
    """(mirror root, provider version) when the real hashicorp/aws provider is built, else None.

    The mirror root is what a CLI configuration's ``filesystem_mirror { path = ... }`` names; the
    version is the release the build reports itself as (the one to require and lock).
    """
    binary = layout.installed(PROVIDER)
    if binary is None:
        return None
    version = tool(PROVIDER).release
    try:
        lay_out(binary, version)
    except OSError:
        link = mirror_executable(version)
        if not (link.is_file() and os.access(link, os.X_OK)):
            return None
    return mirror_root(), version
