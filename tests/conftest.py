"""Fixtures shared by the unit and integration tests (helpers live in helpers.py)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import FIXTURE_PROJECT, by_name, copy_project, run_cli, started_kinds


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
    copy_project(root)
    done = run_cli(root, "apply", "local", "--auto-approve", "--json", timeout=900)
    assert done.code == 0, done.stderr[-4000:]
    yield AppliedLocal(root, by_name(done.json))
    run_cli(root, "destroy", "local", "--auto-approve", timeout=900)


# --- test tiers: a test marked by what it starts ---------------------------------------------------
# pytest -m "not terraform and not moto and not slow" is the maintainer's fast loop; it only works if
# every test that starts Terraform (or the CLI on a project) or a moto server says so. Every process a
# test starts (setup and call) is classified; a kind the test is not marked with fails it.

TIERS = {"terraform", "moto", "real_provider", "atlantis", "slow"}  # the markers of pyproject.toml; started_kinds detects the first three
_started: dict[str, set[str]] = {}
_current: list[str] = []


def pytest_configure(config):
    import subprocess

    original = subprocess.Popen.__init__

    def recording(self, args, *rest, **kwargs):
        if _current:
            _started.setdefault(_current[-1], set()).update(started_kinds(args))
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = recording


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current.append(item.nodeid)
    try:
        yield
    finally:
        _current.pop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "setup":  # the tiers in a JUnit report (--junitxml), for bench/suite_tiers.py
        item.user_properties.append(("markers", " ".join(sorted({m.name for m in item.iter_markers()} & TIERS))))
    if call.when != "call" or report.failed:
        return
    missing = sorted(_started.pop(item.nodeid, set()) - {m.name for m in item.iter_markers()})
    if missing:
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} started {', '.join(missing)} without the marker: add "
                           f"pytestmark = [{', '.join(f'pytest.mark.{m}' for m in missing)}] (or @pytest.mark.<kind> on the test); "
                           "see docs/contributing/testing.md")
