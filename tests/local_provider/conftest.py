"""Helpers for the local provider tests: real Terraform, the local provider, one store per module."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.terraform.engine import resolve_binary
from orchestrator.local_provider import cli_environment

VERSIONS_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0, < 7.0" }
  }
}
"""
PROVIDER_TF = """
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]
  default_tags {
    tags = { ManagedBy = "orchestrator" }
  }
}
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def json(self):
        return json.loads(self.stdout)


def terraform(workdir: Path, *args: str, env: dict[str, str], check: bool = True, timeout: float = 120) -> Run:
    """Run Terraform in ``workdir`` with the local provider's environment."""
    done = subprocess.run(
        [resolve_binary().path, f"-chdir={workdir}", *args],
        env={**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", **env},
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    run = Run(done.returncode, done.stdout, done.stderr)
    if check and run.code != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed ({run.code}):\n{run.output}")
    return run


class Workspace:
    """A Terraform working directory with the local provider, initialised once."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.dir = root
        self.env = env
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "versions.tf").write_text(VERSIONS_TF + PROVIDER_TF)
        self.tf("init", "-no-color", "-input=false")

    def write(self, main_tf: str) -> None:
        (self.dir / "main.tf").write_text(main_tf)

    def tf(self, *args: str, check: bool = True) -> Run:
        return terraform(self.dir, *args, env=self.env, check=check)

    def plan_json(self, *args: str) -> dict:
        self.tf("plan", "-no-color", "-input=false", "-out=tfplan", *args)
        return self.tf("show", "-json", "tfplan").json

    def state(self) -> dict[str, dict]:
        """Resource address -> attribute values, from `terraform show -json`."""
        shown = self.tf("show", "-json").json
        resources = shown.get("values", {}).get("root_module", {}).get("resources", [])
        return {r["address"]: r["values"] for r in resources}

    def changes(self, plan: dict) -> dict[str, list[str]]:
        return {c["address"]: c["change"]["actions"] for c in plan.get("resource_changes", [])}

    @property
    def store(self) -> dict:
        path = Path(self.env["ORCHESTRATOR_LOCAL_CLOUD_DIR"]) / "aws-objects.json"
        return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    """One initialised workspace (and one cloud store) shared by the tests of a module."""
    root = tmp_path_factory.mktemp("local-provider")
    env = cli_environment(root / "cache", root / "cloud")
    return Workspace(root / "work", env)
