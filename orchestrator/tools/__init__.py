"""Real tools built from the Go module proxy: the one place that knows how (catalog.py says what).

``python -m orchestrator tools build [NAME ...] [--all]`` builds them into
``${XDG_CACHE_HOME:-~/.cache}/orchestrator/tools/<name>/<version>/``; other code asks:

- ``installed(name)``: the built binary of a catalog tool, or None;
- ``real_provider_mirror()``: (filesystem mirror root, version) of the real hashicorp/aws provider, or None.

This package imports nothing else of the orchestrator: any layer may use it.
"""

from orchestrator.tools.builder import Result, build, build_many
from orchestrator.tools.catalog import PROVIDER, TOOLS, Tool, tool
from orchestrator.tools.layout import cache_root, failure, installed, record, tool_dir
from orchestrator.tools.mirror import real_provider_mirror

__all__ = [
    "PROVIDER", "TOOLS", "Result", "Tool", "build", "build_many", "cache_root", "failure", "installed",
    "real_provider_mirror", "record", "tool", "tool_dir",
]
