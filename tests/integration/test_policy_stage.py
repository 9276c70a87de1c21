"""The policy stage and the loss gate end to end: real Terraform, the built-in provider, the real checkov.

A private copy of the project's `local` environment, whose network is planned and applied alone.
With flow logs off, checkov's CKV2_AWS_11 (VPC flow logging) fails on the network stack's plan:
the test uses that failure to prove that plan reports it and exits 1, that apply refuses the stack
(state untouched) unless the environment accepts the check or a policy owner accepts the failures
with a reason, and that the acceptance is recorded. Then a change that replaces the VPC: refused
without a terminal, applied with --allow-destroy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import by_name, cli_environment, copy_project, edit_environment, require_checkov, run_cli, state_of
from orchestrator.release import atlantis

pytestmark = [pytest.mark.terraform]

CHECK = "CKV2_AWS_11"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    require_checkov()
    root = tmp_path_factory.mktemp("policy") / "project"
    copy_project(root)
    edit_environment(root, lambda c: c.setdefault("network", {}).update(flow_logs={"enabled": False}))
    edit_environment(root, lambda c: c.setdefault("policy", {}).setdefault("accept", {}).pop(CHECK, None))
    return root


def test_a_failed_check_is_reported_by_plan_and_refused_by_apply_until_accepted(project):
    planned = run_cli(project, "plan", "local", "--stack", "network", "--json", timeout=600)
    assert planned.code == 1, planned.stderr[-3000:]
    policy = by_name(planned.json)["network"]["policy"]
    assert by_name(planned.json)["network"]["status"] == "ok"
    assert CHECK in {f["check_id"] for f in policy["failed"]} and policy["passed"] > 0
    assert f"FAIL      {CHECK} aws_vpc.this" in planned.stderr
    # Atlantis's plan step: reported, not failed (its policy_check stage decides, an owner may approve)
    reported = run_cli(project, "plan", "local", "--stack", "network", "--quiet", "--report-policy-failures", timeout=600)
    assert reported.code == 0, reported.stderr[-3000:]

    before = state_of(project, "network")
    refused = run_cli(project, "apply", "local", "--stack", "network", "--auto-approve", "--json", timeout=600)
    assert refused.code == 1
    stack = by_name(refused.json)["network"]
    assert stack["status"] == "failed" and stack["error"].startswith(f"policy checks failed ({CHECK}); nothing was applied")
    assert f"(policy checks failed ({CHECK}); nothing was applied to this stack)" in refused.stderr  # the progress line
    assert CHECK in stack["error"] and "--accept-policy-failures" in stack["error"]
    assert state_of(project, "network") == before  # nothing applied

    edit_environment(project, lambda c: c["policy"].update(owners=["ana@example.com"]))
    not_owner = run_cli(project, "apply", "local", "--stack", "network", "--auto-approve",
                        "--accept-policy-failures", "flow logs cost too much in the sandbox", env={"ORCHESTRATOR_USER": "bob@example.com"})
    assert not_owner.code == 2 and "'bob@example.com' is not a policy owner" in not_owner.stderr

    accepted = run_cli(project, "apply", "local", "--stack", "network", "--auto-approve", "--json",
                       "--accept-policy-failures", "flow logs cost too much in the sandbox", env={"ORCHESTRATOR_USER": "ana@example.com"},
                       timeout=600)
    assert accepted.code == 0, accepted.stderr[-3000:]
    stack = by_name(accepted.json)["network"]
    assert stack["status"] == "ok" and stack["policy"]["accepted_by"] == {"by": "ana@example.com", "reason": "flow logs cost too much in the sandbox"}
    record = json.loads(next((project / ".orchestrator").glob("local*/last-run.json")).read_text())["stacks"]["network"]
    assert record["policy_accepted"]["by"] == "ana@example.com" and f"{CHECK} aws_vpc.this" in record["policy_accepted"]["checks"]

    edit_environment(project, lambda c: c["policy"]["accept"].update({CHECK: "flow logs are off in the local sandbox on purpose"}))
    clean = run_cli(project, "plan", "local", "--stack", "network", "--json", timeout=600)
    assert clean.code == 0, clean.stderr[-3000:]
    policy = by_name(clean.json)["network"]["policy"]
    assert policy["failed"] == [] and [(f["check_id"], f["reason"]) for f in policy["accepted"]] == [
        (CHECK, "flow logs are off in the local sandbox on purpose")]
    assert policy["cached"] is False or policy["cached"] is True  # answered, from the worker or the cache


def test_policy_check_of_a_saved_plan_speaks_atlantis(project, tmp_path):
    edit_environment(project, lambda c: c["policy"]["accept"].pop(CHECK, None))
    plan_file = tmp_path / "network.tfplan"
    made = run_cli(project, "plan", "local", "--stack", "network", "--out", str(plan_file), "--quiet", timeout=600)
    assert made.code == 1 and plan_file.is_file()  # the plan is made; its checks fail
    checked = run_cli(project, "policy-check", "local", "--stack", "network", "--plan-file", str(plan_file), "--quiet", timeout=600)
    assert checked.code == 3, checked.stderr[-3000:]
    assert "policy checks of network: FAILED" in checked.stderr and f"FAIL      {CHECK} aws_vpc.this" in checked.stderr

    edit_environment(project, lambda c: c["policy"]["accept"].update({CHECK: "flow logs are off in the local sandbox on purpose"}))
    passed = run_cli(project, "policy-check", "local", "--stack", "network", "--plan-file", str(plan_file), "--quiet", timeout=600)
    assert passed.code == 0, passed.stderr[-3000:]
    assert "policy checks of network: passed" in passed.stderr
    assert "fail" not in (passed.stdout + passed.stderr).lower()  # Atlantis reads any "fail" as a failed policy set


# The server's PATH, the same for its plan and policy_check steps: this Python's scripts first (a
# Terraform found first on PATH is the one both steps use, whatever else is installed).
SERVER_PATH = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def atlantis_policy_check(project: Path, plan_file: Path) -> subprocess.CompletedProcess:
    """The workflow's policy_check run step, as Atlantis runs it (sh -c in the clone)."""
    environ = cli_environment(project, {"TARGET_ENV": "local", "TARGET_STACK": "network", "PLANFILE": str(plan_file), **SERVER_PATH})
    return subprocess.run(["sh", "-c", atlantis.run_steps()["policy_check"]], cwd=project, env=environ,
                          capture_output=True, text=True, timeout=600)


def test_atlantis_reads_a_failed_check_from_the_output_and_a_pass_has_no_fail_in_it(project, tmp_path):
    edit_environment(project, lambda c: c["policy"]["accept"].pop(CHECK, None))
    plan_file = tmp_path / "network.tfplan"
    assert run_cli(project, "plan", "local", "--stack", "network", "--out", str(plan_file), "--quiet", env=SERVER_PATH, timeout=600).code == 1
    failed = atlantis_policy_check(project, plan_file)
    assert failed.returncode == 0, failed.stderr[-3000:]  # a failure Atlantis's policy owners can approve, not an error
    assert "fail" in (failed.stdout + failed.stderr).lower() and CHECK in failed.stderr
    edit_environment(project, lambda c: c["policy"]["accept"].update({CHECK: "flow logs are off in the local sandbox on purpose"}))
    passed = atlantis_policy_check(project, plan_file)
    assert passed.returncode == 0 and "fail" not in (passed.stdout + passed.stderr).lower(), passed.stderr[-3000:]


def test_a_plan_that_replaces_objects_is_refused_without_a_terminal_unless_allowed(project):
    edit_environment(project, lambda c: c["policy"]["accept"].update({CHECK: "flow logs are off in the local sandbox on purpose"}))
    applied = run_cli(project, "apply", "local", "--stack", "network", "--auto-approve", timeout=600)
    assert applied.code == 0, applied.stderr[-3000:]
    edit_environment(project, lambda c: c["network"].update(vpc_cidr="10.91.0.0/16"))  # a new CIDR replaces the VPC
    before = state_of(project, "network")
    refused = run_cli(project, "apply", "local", "--stack", "network", "--json", timeout=600)
    assert refused.code == 1
    stack = by_name(refused.json)["network"]
    assert stack["status"] == "failed" and "destroys or replaces" in stack["error"] and "aws_vpc.this (replace)" in stack["error"]
    assert state_of(project, "network") == before
    allowed = run_cli(project, "apply", "local", "--stack", "network", "--allow-destroy", "--json", timeout=600)
    assert allowed.code == 0, allowed.stderr[-3000:]
    assert by_name(allowed.json)["network"]["changes"]["destroy"] > 0


def on_a_terminal(project: Path, *args: str, answer: str) -> tuple[int, str]:
    """Run the CLI with a terminal (a pty) for stdin, stdout and stderr; answer its question."""
    import pty
    import select
    import time

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "orchestrator", *args], cwd=project, stdin=terminal, stdout=terminal,
                               stderr=terminal, env=cli_environment(project, {"TERM": "xterm"}), start_new_session=True)
    os.close(terminal)
    seen, answered, deadline = b"", False, time.monotonic() + 600
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Type 'yes' to go on" in seen:
            os.write(controller, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=60)
    os.close(controller)
    return process.returncode, seen.decode(errors="replace")


def test_on_a_terminal_a_replacement_is_shown_and_applied_only_after_yes(project):
    edit_environment(project, lambda c: c["network"].update(vpc_cidr="10.92.0.0/16"))  # replaces the VPC again
    before = state_of(project, "network")
    code, text = on_a_terminal(project, "apply", "local", "--stack", "network", answer="no")
    assert "aws_vpc.this (replace)" in text and code == 1, text[-3000:]
    assert state_of(project, "network") == before
    code, text = on_a_terminal(project, "apply", "local", "--stack", "network", answer="yes")
    assert code == 0, text[-3000:]
    assert state_of(project, "network") != before

