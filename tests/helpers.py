"""Shared test helpers: the fixture project, running the real CLI, reading its --json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURE_PROJECT = TESTS / "fixtures" / "project"
SHARED = REPO.parent / "shared"
# What a private copy of the project leaves out: the developer's runs, caches and virtual environment.
PROJECT_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".orchestrator", "__pycache__", "*.egg-info", ".terraform", "*.tfstate*", ".pytest_cache")


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





def set_app_environment(root: Path, env: str, values: dict[str, str]) -> None:
    """Write fixture knobs (app.environment) into an environment file."""
    path = root / "environments" / f"{env}.yaml"
    marker = "# test knobs\n"
    text = path.read_text().split(marker)[0]
    lines = ["app:", "  environment:" + ("" if values else " {}")] + [f"    {k}: {json.dumps(v)}" for k, v in values.items()]
    path.write_text(text + marker + "\n".join(lines) + "\n")


def planned_network_input(root: Path, payload: str) -> dict:
    """Plan the fixture's network stack with PAYLOAD and return its planned terraform_data input and the plan."""
    set_app_environment(root, "alpha", {"PAYLOAD": payload})
    done = run_cli(root, "plan", "alpha", "--stack", "network", "--json")
    assert done.code == 0, done.stderr
    plan = json.loads(Path(done.json["stacks"][0]["plan_json"]).read_text())
    return plan["resource_changes"][0]["change"]["after"]["input"], plan
