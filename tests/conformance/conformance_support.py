"""What runs of the conformance matrix by default, and what only when asked for."""

import os
from pathlib import Path

import pytest

# The whole matrix (every module case, all four environments) takes about an hour on 2 cores: it
# runs with ORCHESTRATOR_CONFORMANCE=all (and in bench/conformance.py); by default, when the
# provider is built, every module validates on it.
FULL = os.environ.get("ORCHESTRATOR_CONFORMANCE") == "all"


def needs_full(what: str) -> None:
    if not FULL:
        pytest.skip(f"{what}: part of the full conformance matrix, run with ORCHESTRATOR_CONFORMANCE=all (about an hour)")


def moto_server_work(server) -> Path:
    """The working directory the session's server is recorded in (so commands find it running)."""
    return Path(server.log).parent.parent
