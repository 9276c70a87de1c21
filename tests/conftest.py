"""Fixtures shared by the unit and integration tests (helpers live in helpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import FIXTURE_PROJECT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the fixture project (terraform_data stacks, no provider needed)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    return root
