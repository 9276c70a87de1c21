"""The version has one home (orchestrator.__version__), and CHANGELOG.md's newest release follows it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import REPO

import orchestrator


def _releases() -> list[str]:
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)


def test_the_newest_release_in_the_changelog_is_the_package_version():
    assert _releases(), "CHANGELOG.md has no release heading like '## [1.2.3] - 2026-12-05'"
    assert _releases()[0] == orchestrator.__version__


def test_pyproject_reads_the_version_from_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "orchestrator.__version__"}


def test_the_command_line_prints_it():
    done = subprocess.run([sys.executable, "-m", "orchestrator", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"orchestrator {orchestrator.__version__}"
