"""The run's pool of built-in provider processes, end to end: the `local` environment's whole DAG.

Every Terraform command that starts a provider (plan, apply, show) is served by a pooled process;
the pool starts no more processes than the run has commands at once (plus a spare); none is left
when the run ends; and the answers are the same with the pool off (`ORCHESTRATOR_PROVIDER_POOL=0`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import by_name, copy_project, edit_environment, processes_running, run_cli
from orchestrator.local_provider import LAUNCHER

pytestmark = [pytest.mark.terraform]

PROVIDER_COMMANDS = re.compile(r"^\$ (plan|apply|show|import|state) ", re.MULTILINE)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pool") / "project"
    copy_project(root)
    # The policy stage has its own tests; this one is about the provider.
    edit_environment(root, lambda config: config.update(policy={"checks": False}))
    return root


def pool_log(root: Path) -> str:
    return (root / ".orchestrator" / "local" / "provider-pool.log").read_text()


def provider_commands(root: Path) -> int:
    logs = (root / ".orchestrator" / "local").glob("*/terraform.log")
    return sum(len(PROVIDER_COMMANDS.findall(log.read_text())) for log in logs)


def pool_processes(root: Path) -> list[int]:
    return processes_running(str(root / ".orchestrator" / "local-provider" / LAUNCHER))


def test_every_provider_command_of_a_run_is_served_by_the_pool(project):
    applied = run_cli(project, "apply", "local", "--auto-approve", "--json", timeout=600)
    assert applied.code == 0, applied.stderr[-3000:]
    assert {s["status"] for s in applied.json["stacks"]} == {"ok"}
    log = pool_log(project)
    leases = re.findall(r"lease process (\d+): ", log)
    # one lease per plan, show -json (for --json) and apply, six stacks: the commands in the logs
    assert len(leases) == provider_commands(project) == 18
    started = re.findall(r"process (\d+) serves on ", log)
    assert 1 <= len(started) <= 5 and set(leases) <= set(started)  # parallelism 4, plus a spare
    assert len(set(leases)) < len(leases)  # processes are reused: the point of the pool
    assert pool_processes(project) == []  # nothing left running once the run is over


def test_the_same_answers_with_the_pool_off(project):
    with_pool = run_cli(project, "plan", "local", "--json", timeout=600)
    assert with_pool.code == 0, with_pool.stderr[-3000:]
    assert {s["status"] for s in with_pool.json["stacks"]} == {"no-changes"}
    before = pool_log(project)
    without = run_cli(project, "plan", "local", "--json", env={"ORCHESTRATOR_PROVIDER_POOL": "0"}, timeout=600)
    assert without.code == 0, without.stderr[-3000:]
    assert {s["status"] for s in without.json["stacks"]} == {"no-changes"}
    assert pool_log(project) == before  # no pool this time: Terraform started the provider itself
    shown = {name: stack["outputs"] for name, stack in by_name(
        run_cli(project, "output", "local", "--json", env={"ORCHESTRATOR_PROVIDER_POOL": "0"}).json).items()}
    assert shown == {name: stack["outputs"] for name, stack in by_name(
        run_cli(project, "output", "local", "--json").json).items()}


def test_destroy_through_the_pool(project):
    destroyed = run_cli(project, "destroy", "local", "--auto-approve", "--json", timeout=600)
    assert destroyed.code == 0, destroyed.stderr[-3000:]
    assert {s["status"] for s in destroyed.json["stacks"]} == {"ok"}
    assert "lease process" in pool_log(project)
    assert pool_processes(project) == []
