"""Policy answers reused and checks off the critical path (issue 27), end to end: real Terraform, the
built-in provider, the real checkov.

Whether a run showed a stack's plan is read from its working directory: each plan removes the last
``plan.json`` and only ``terraform show -json`` writes it again (no ``--json`` here, which asks for it).
The ordering tests add a slow probe policy that writes when checkov starts and ends each check.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from helpers import by_name, copy_project, edit_environment, run_cli
from orchestrator.tools import pypi

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

PROBE = '''
import os, time
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class SlowProbe(BaseResourceCheck):
    def __init__(self):
        super().__init__(name="slow probe", id="TEST_SLOW_1", categories=[CheckCategories.NETWORKING],
                         supported_resources=["aws_vpc"])

    def scan_resource_conf(self, conf):
        with open(os.environ["POLICY_PROBE"], "a") as out:
            out.write(f"start {time.time()}\\n")
        time.sleep(float(os.environ.get("POLICY_PROBE_SECONDS", "3")))
        with open(os.environ["POLICY_PROBE"], "a") as out:
            out.write(f"end {time.time()}\\n")
        return CheckResult.PASSED


check = SlowProbe()
'''


@pytest.fixture
def project(tmp_path) -> Path:
    try:
        pypi.install("checkov")
    except pypi.InstallError as error:
        pytest.skip(f"checkov cannot be installed here: {error}")
    root = tmp_path / "project"
    copy_project(root)
    return root


def shown(root: Path, stack: str) -> bool:
    """Did the last run write the stack's plan JSON (run ``terraform show -json``)?"""
    return any((root / ".orchestrator").glob(f"local/**/{stack}/plan.json"))


def plan(root: Path, *extra: str, env: dict | None = None):
    done = run_cli(root, "plan", "local", "--stack", "network", *extra, env=env, timeout=600)
    assert done.code == 0, done.stderr[-3000:]
    return done


def edited(path: Path) -> None:
    path.write_text(path.read_text() + "\n# edited\n")


def apply_network(root: Path) -> None:
    applied = run_cli(root, "apply", "local", "--stack", "network", "--auto-approve", timeout=600)
    assert applied.code == 0, applied.stderr[-3000:]


def test_an_answer_is_reused_until_a_policy_input_or_module_changes(project):
    plan(project)
    assert shown(project, "network")
    plan(project)
    assert not shown(project, "network"), "nothing changed: the answer is reused without show"

    edited(project / "policies" / "checkov" / "internal_load_balancer.py")
    plan(project)
    assert shown(project, "network"), "a changed policy re-runs the checks"
    plan(project)
    assert not shown(project, "network")

    edited(project / "terraform_modules" / "network" / "main.tf")
    plan(project)
    assert shown(project, "network"), "a changed module re-runs the checks"

    edit_environment(project, lambda c: c["network"].update(vpc_cidr="10.91.0.0/16"))
    plan(project)
    assert shown(project, "network"), "a changed input re-runs the checks"


def test_a_changed_state_re_runs_the_checks(project):
    plan(project)  # never applied: an answer kept for the empty state and these inputs, module and policies
    apply_network(project)
    # Forget one object (nothing depends on it): the plan adds it back, destroys nothing (so no other
    # reader asks for the plan JSON), with the same inputs, module and policies as the first plan.
    forgotten = run_cli(project, "state-rm", "local", "aws_default_security_group.this", "--stack", "network", timeout=600)
    assert forgotten.code == 0, forgotten.stderr[-3000:]
    plan(project)
    assert shown(project, "network"), "a changed state re-runs the checks"


def test_a_plan_without_changes_reuses_its_last_answer_unless_the_policies_changed(project):
    apply_network(project)
    plan(project)
    assert not shown(project, "network"), "no changes, same policies: no show at all"
    edited(project / "policies" / "checkov" / "internal_load_balancer.py")
    plan(project)
    assert shown(project, "network"), "the policies changed since its last check"


def probed(project: Path, tmp_path: Path) -> tuple[dict, Path]:
    (project / "policies" / "checkov" / "slow_probe.py").write_text(PROBE)
    probe = tmp_path / "probe.log"
    return {"POLICY_PROBE": str(probe), "POLICY_PROBE_SECONDS": "4"}, probe


def times(probe: Path, what: str) -> list[float]:
    return [float(line.split()[1]) for line in probe.read_text().splitlines() if line.startswith(what)]


def test_an_apply_never_starts_before_its_checks_pass(project, tmp_path):
    env, probe = probed(project, tmp_path)
    applied = run_cli(project, "apply", "local", "--stack", "network", "--stack", "alb", "--auto-approve", "--json",
                      env=env, timeout=600)
    assert applied.code == 0, applied.stderr[-3000:]
    checked = max(times(probe, "end"))
    state = next((project / ".orchestrator").glob("local/state/network.tfstate"))
    assert state.stat().st_mtime > checked, "network's state was written before its check ended"
    assert by_name(applied.json)["alb"]["started_at"] > checked


def test_a_plan_only_run_plans_downstream_stacks_while_upstream_checks_run(project, tmp_path):
    env, probe = probed(project, tmp_path)
    planned = run_cli(project, "plan", "local", "--stack", "network", "--stack", "alb", "--parallelism", "1", "--json",
                      env=env, timeout=600)
    assert planned.code == 0, planned.stderr[-3000:]
    ended = max(times(probe, "end"))
    network, alb = by_name(planned.json)["network"], by_name(planned.json)["alb"]
    # One worker slot: alb's plan began after network's plan, before network's (slow) check ended ...
    assert network["started_at"] < alb["started_at"] < ended, (network["started_at"], alb["started_at"], ended)
    # ... and the run waited for the answer before it reported.
    assert by_name(planned.json)["network"]["policy"]["passed"] > 0
    assert time.time() > ended
