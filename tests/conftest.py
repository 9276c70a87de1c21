"""Fixtures shared by the unit and integration tests (helpers live in helpers.py)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import FIXTURE_PROJECT, PROJECT_COPY_IGNORE, REPO, by_name, run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the fixture project (terraform_data stacks, no provider needed)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    return root


@dataclass(frozen=True)
class AppliedLocal:
    root: Path  # a private copy of the project
    stacks: dict  # the apply's --json stacks, by name

    @property
    def cloud(self) -> Path:
        """The local provider's store of the environment."""
        return self.root / ".orchestrator" / "local" / "cloud"


@pytest.fixture(scope="session")
def applied_local(tmp_path_factory) -> AppliedLocal:
    """The project's own `local` environment, applied once for every test that only reads it.

    A test that changes it must put back what it changed. Destroyed when the session ends.
    """
    root = tmp_path_factory.mktemp("applied-local") / "project"
    shutil.copytree(REPO, root, ignore=PROJECT_COPY_IGNORE)
    done = run_cli(root, "apply", "local", "--auto-approve", "--json", timeout=900)
    assert done.code == 0, done.stderr[-4000:]
    yield AppliedLocal(root, by_name(done.json))
    run_cli(root, "destroy", "local", "--auto-approve", timeout=900)
