"""Ctrl-C before an apply has started: nothing new starts, no apply, no next stack, and the summary says so.

Two moments where the orchestrator itself, not Terraform, holds the run: the policy checks of a
stack's plan (a slow custom check in the fixture project's policies) and the question asked before a
plan that replaces an object (on a pseudo-terminal). A signal in either must stop the run there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import by_name, cli_environment, require_checkov, run_cli, set_app_environment

pytestmark = [pytest.mark.terraform]

SLOW_CHECK = '''
import os, pathlib, time
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class Slow(BaseResourceCheck):
    def __init__(self):
        super().__init__(name="a check that takes its time", id="FX_SLOW_1", categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=["terraform_data"])

    def scan_resource_conf(self, conf):
        pathlib.Path(os.environ["FX_SLOW_MARKER"]).touch()
        time.sleep(60)
        return CheckResult.PASSED


check = Slow()
'''


class Started:
    """A CLI run in the background whose stderr is collected as it comes."""

    def __init__(self, root: Path, args: list[str], env: dict | None = None, stdin=subprocess.DEVNULL):
        self.proc = subprocess.Popen([sys.executable, "-m", "orchestrator", *args], cwd=root, env=cli_environment(root, env),
                                     stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=lambda s=stream, into=into: into.extend(iter(s.readline, "")), daemon=True)
                        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if text in "".join(self.err):
                return
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared:\n{''.join(self.err)[-3000:]}")

    def finish(self, timeout: float) -> tuple[int, dict, str]:
        """Wait for the run's end: its exit status, its JSON document and its stderr."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout} s:\n{''.join(self.err)[-3000:]}") from None
        for reader in self.readers:
            reader.join(timeout=5)
        return self.proc.returncode, json.loads("".join(self.out)), "".join(self.err)

    def interrupt(self, timeout: float = 30) -> tuple[int, dict, str]:
        self.proc.send_signal(signal.SIGINT)
        return self.finish(timeout)

    def __enter__(self) -> "Started":
        return self

    def __exit__(self, *_) -> None:
        if self.proc.poll() is None:  # a failed test leaves no run behind
            self.proc.kill()
            self.proc.wait()


def applied_logs(root: Path, env: str, stack: str) -> str:
    log = root / ".orchestrator" / env / stack / "terraform.log"
    return log.read_text() if log.exists() else ""


def test_sigint_during_the_policy_checks_applies_nothing(project, tmp_path):
    require_checkov()
    policies = project / "policies" / "checkov"
    policies.mkdir(parents=True)
    (policies / "__init__.py").write_text("")
    (policies / "slow_check.py").write_text(SLOW_CHECK)
    alpha = project / "environments" / "alpha.yaml"
    alpha.write_text(alpha.read_text() + "policy:\n  checks: true\n")
    marker = tmp_path / "checking"

    with Started(project, ["apply", "alpha", "--auto-approve", "--json"], env={"FX_SLOW_MARKER": str(marker)}) as run:
        deadline = time.monotonic() + 300  # the worker imports checkov first
        while not marker.exists():
            assert time.monotonic() < deadline and run.proc.poll() is None, "".join(run.err)[-3000:]
            time.sleep(0.05)
        started = time.monotonic()
        code, document, err = run.interrupt()

    assert time.monotonic() - started < 20  # the run did not wait for the check to finish
    assert code == 1, err
    stacks = by_name(document)
    assert stacks["network"]["status"] == "failed"
    assert stacks["network"]["error"] == "interrupted during its policy checks; nothing was applied to this stack"
    for name in ("alb", "ecs", "vpc_link", "api_gateway", "keepalive"):
        assert stacks[name]["status"] == "skipped" and stacks[name]["error"] == "interrupted before it started"
    assert "Apply complete" not in applied_logs(project, "alpha", "network")
    assert not (project / ".orchestrator" / "alpha" / "state" / "network.tfstate").exists()
    assert "interrupted: nothing new was started after the signal" in err


def test_sigint_while_asking_before_a_replacement_applies_nothing(project):
    assert run_cli(project, "apply", "alpha", "--auto-approve", "--stack", "network").code == 0
    state = project / ".orchestrator" / "alpha" / "state" / "network.tfstate"
    before = state.read_bytes()
    set_app_environment(project, "alpha", {"GENERATION_network": "2"})  # replaces the network's object

    leader, follower = os.openpty()  # a terminal: the orchestrator asks instead of refusing
    try:
        with Started(project, ["apply", "alpha", "--stack", "network", "--json"], stdin=follower) as run:
            run.wait_for("Type 'yes' to go on")
            time.sleep(0.5)
            code, document, err = run.interrupt(timeout=15)
    finally:
        os.close(follower)
        os.close(leader)

    assert code == 1, err
    network = by_name(document)["network"]
    assert network["status"] == "failed"
    assert network["error"] == "interrupted while asking before the apply; nothing was applied to this stack"
    assert state.read_bytes() == before
    assert "interrupted: nothing new was started after the signal" in err


def test_a_typed_yes_on_the_terminal_applies_the_replacement(project):
    assert run_cli(project, "apply", "alpha", "--auto-approve", "--stack", "network").code == 0
    set_app_environment(project, "alpha", {"GENERATION_network": "2"})
    leader, follower = os.openpty()
    try:
        with Started(project, ["apply", "alpha", "--stack", "network", "--json"], stdin=follower) as run:
            run.wait_for("Type 'yes' to go on")
            os.write(leader, b"yes\n")
            code, document, err = run.finish(timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert code == 0, err
    assert by_name(document)["network"]["changes"] == {"add": 1, "change": 0, "destroy": 1}
