"""Shared test helpers: a throwaway copy of the fixture project and a way to run the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURE_PROJECT = TESTS / "fixtures" / "project"
SHARED = REPO.parent / "shared"


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def run_cli(root: Path, *args: str, env: dict | None = None, timeout: float = 300) -> CliRun:
    """Run `python -m orchestrator` as a user would, in a subprocess, with the project at ``root``."""
    environ = {**os.environ, "ORCHESTRATOR_ROOT": str(root), "COLUMNS": "200", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def by_name(document: dict) -> dict:
    """The stacks of a --json document, by name."""
    return {stack["name"]: stack for stack in document["stacks"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the fixture project (terraform_data stacks, no provider needed)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    return root


def set_app_environment(root: Path, env: str, values: dict[str, str]) -> None:
    """Write fixture knobs (app.environment) into an environment file."""
    path = root / "environments" / f"{env}.yaml"
    marker = "# test knobs\n"
    text = path.read_text().split(marker)[0]
    lines = ["app:", "  environment:" + ("" if values else " {}")] + [f"    {k}: {json.dumps(v)}" for k, v in values.items()]
    path.write_text(text + marker + "\n".join(lines) + "\n")
