"""A planted secret reaches Terraform and appears in nothing the orchestrator prints or writes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from helpers import run_cli

pytestmark = [pytest.mark.terraform]

SECRET = "planted-S3cr3t-value-42"


def add_secret_reference(root: Path) -> None:
    path = root / "environments" / "alpha.yaml"
    path.write_text(path.read_text() + "secrets:\n  network.token: {env: FIXTURE_TOKEN}\n")


def test_secret_is_used_but_never_shown_or_written(project):
    add_secret_reference(project)
    env = {"FIXTURE_TOKEN": SECRET}
    runs = [
        run_cli(project, "apply", "alpha", "--auto-approve", "--json", env=env),
        run_cli(project, "plan", "alpha", "--json", env=env),
        run_cli(project, "output", "alpha", "--json", env=env),
        run_cli(project, "render", "alpha", env=env),
    ]
    assert all(run.code == 0 for run in runs), [run.stderr for run in runs]
    for run in runs:
        assert SECRET not in run.stdout and SECRET not in run.stderr
    outputs = {s["name"]: s["outputs"] for s in runs[2].json["stacks"]}
    assert outputs["network"]["token"] == "(sensitive)" and outputs["alb"]["token"] == "(sensitive)"

    # It did reach Terraform: network got it from the environment, alb from network's sensitive output.
    state = project / ".orchestrator" / "alpha" / "state"
    for stack in ("network", "alb"):
        resource = json.loads((state / f"{stack}.tfstate").read_text())["resources"][0]
        assert resource["instances"][0]["attributes"]["input"]["value"]["token"] == SECRET

    # Every artefact but Terraform's own state and binary plan files (mode 0600) is clean.
    checked = 0
    for path in (project / ".orchestrator").rglob("*"):
        if not path.is_file() or ".terraform" in path.parts:
            continue
        if path.suffix in (".tfstate", ".backup", ".tfplan"):
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
            continue
        assert SECRET not in path.read_text(errors="replace"), path
        checked += 1
    assert checked > 20
    tfvars = list((project / ".orchestrator").rglob("*.tfvars"))
    assert tfvars and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in tfvars)


def test_unresolvable_or_misdirected_secrets_are_input_errors(project):
    add_secret_reference(project)
    empty = run_cli(project, "plan", "alpha", env={"FIXTURE_TOKEN": ""})
    assert empty.code == 2 and "environment variable FIXTURE_TOKEN is empty" in empty.stderr
    assert "FIXTURE_TOKEN" not in os.environ
    unset = run_cli(project, "plan", "alpha")
    assert unset.code == 2 and "environment variable FIXTURE_TOKEN is not set" in unset.stderr
    path = project / "environments" / "alpha.yaml"
    path.write_text(path.read_text().replace("network.token", "network.payload"))
    not_sensitive = run_cli(project, "plan", "alpha", env={"FIXTURE_TOKEN": SECRET})
    assert not_sensitive.code == 2 and "is not declared sensitive = true" in not_sensitive.stderr
    assert not (project / ".orchestrator" / "alpha" / "state").exists()


def test_a_sensitive_list_output_never_reaches_a_downstream_plan_in_clear(project):
    """Non-string sensitive upstream outputs are masked too (leaf by leaf, and by Terraform's marks)."""
    module = project / "terraform_modules" / "step" / "main.tf"
    module.write_text(module.read_text() + (
        '\noutput "keys" {\n  value     = ["${var.name}-key-one", "${var.name}-key-two"]\n  sensitive = true\n}\n'
    ))
    stacks = project / "stacks.yaml"
    text = stacks.read_text()
    wiring = "  vpc_link:\n    module: step\n    template: step.tfvars.j2\n    inputs:\n      upstream_a: alb.id\n"
    assert wiring in text
    stacks.write_text(text.replace(wiring, wiring + "      upstream_b: network.keys\n"))
    applied = run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve")
    assert applied.code == 0, applied.stderr
    planned = run_cli(project, "plan", "alpha", "--stack", "vpc_link", "--json")
    assert planned.code == 0, planned.stderr
    plan_json = Path(planned.json["stacks"][0]["plan_json"])
    plan = json.loads(plan_json.read_text())
    assert plan["variables"]["upstream_b"]["value"] == "(sensitive)"
    leaked = "fx-alpha-network-key-one"
    workdir = Path(planned.json["stacks"][0]["workdir"])
    for path in [plan_json, workdir / "terraform.log", workdir / "upstream.tfvars"]:
        assert leaked not in path.read_text(), path
    assert leaked not in planned.stdout + planned.stderr


def test_reading_outputs_never_resolves_secrets(project):
    """`output` (and so `status` and `promote`) needs no secret-read permission and no secret at all."""
    add_secret_reference(project)
    applied = run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve", env={"FIXTURE_TOKEN": SECRET})
    assert applied.code == 0, applied.stderr
    read = run_cli(project, "output", "alpha", "--stack", "network", "--json")
    assert read.code == 0, read.stderr
    assert read.json["stacks"][0]["outputs"]["token"] == "(sensitive)"
    planned = run_cli(project, "plan", "alpha", "--stack", "network")
    assert planned.code == 2 and "FIXTURE_TOKEN is not set" in planned.stderr
