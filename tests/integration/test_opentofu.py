"""OpenTofu as the engine (TERRAFORM_BIN=tofu): the project's `local` environment and the fixture's DAG.

tofu is built from the Go module proxy (`python -m orchestrator tools build tofu`, pinned in
orchestrator/tools/catalog.py); without it these tests skip with that command. OpenTofu reads
`hashicorp/aws` as registry.opentofu.org/hashicorp/aws, so the built-in provider's mirror serves
both names; its plan JSON goes through the same policy checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import by_name, copy_project, run_cli
from orchestrator.tools import installed

TOFU = installed("tofu")
pytestmark = [pytest.mark.terraform,
              pytest.mark.skipif(TOFU is None, reason="tofu is not built here: python -m orchestrator tools build tofu")]


def engine() -> dict[str, str]:
    return {"TERRAFORM_BIN": str(TOFU)}


def test_the_local_environment_applies_replans_clean_and_destroys_on_opentofu(tmp_path):
    root = tmp_path / "project"
    copy_project(root)
    applied = run_cli(root, "apply", "local", "--auto-approve", "--json", env=engine(), timeout=900)
    assert applied.code == 0, applied.stderr[-4000:]
    stacks = by_name(applied.json)
    assert {s["status"] for s in stacks.values()} == {"ok"}
    assert all(s["policy"] is not None and s["policy"]["failed"] == [] for s in stacks.values())
    log = Path(stacks["network"]["log"]).read_text()
    assert 'tofu init' in log  # OpenTofu ran (it names itself in its messages), not Terraform
    state = json.loads(next((root / ".orchestrator" / "local" / "state").glob("network.tfstate")).read_text())
    assert any(r["provider"].startswith('provider["registry.opentofu.org/hashicorp/aws"]') for r in state["resources"])
    replanned = run_cli(root, "plan", "local", "--json", env=engine(), timeout=900)
    assert replanned.code == 0 and {s["status"] for s in replanned.json["stacks"]} == {"no-changes"}, replanned.stderr[-3000:]
    destroyed = run_cli(root, "destroy", "local", "--auto-approve", "--json", env=engine(), timeout=900)
    assert destroyed.code == 0 and all(s["changes"]["destroy"] > 0 for s in destroyed.json["stacks"]), destroyed.stderr[-3000:]


def test_the_dag_passes_outputs_and_reruns_idempotently_on_opentofu(project):
    applied = run_cli(project, "apply", "alpha", "--auto-approve", "--json", env=engine())
    assert applied.code == 0, applied.stderr[-3000:]
    stacks = by_name(applied.json)
    assert stacks["keepalive"]["outputs"]["value"].startswith("fx-alpha-keepalive:")
    again = run_cli(project, "apply", "alpha", "--auto-approve", "--json", env=engine())
    assert again.code == 0 and {s["status"] for s in again.json["stacks"]} == {"no-changes"}
    destroyed = run_cli(project, "destroy", "alpha", "--auto-approve", "--json", env=engine())
    assert destroyed.code == 0, destroyed.stderr[-3000:]
