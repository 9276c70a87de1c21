"""Faults with real processes: signals, transient errors, concurrent runs, damaged working directories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import by_name, cli_environment, run_cli, set_app_environment

pytestmark = [pytest.mark.terraform]


def start_cli(root: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator", *args], cwd=root, env=cli_environment(root, env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )


def wait_for_text(path: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_apply_keeps_state_and_a_rerun_completes(project, signum):
    set_app_environment(project, "alpha", {"SLEEP_alb": "30"})
    proc = start_cli(project, "apply", "alpha", "--auto-approve", "--json")
    wait_for_text(project / ".orchestrator" / "alpha" / "alb" / "terraform.log", "Provisioning with 'local-exec'")
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    stacks = by_name(json.loads(out))
    assert stacks["network"]["status"] == "ok"
    assert stacks["alb"]["status"] == "failed" and stacks["alb"]["error"].startswith("interrupted")
    for name in ("ecs", "vpc_link", "api_gateway", "keepalive"):
        assert stacks[name] == {**stacks[name], "status": "skipped", "error": "interrupted before it started"}
    state = project / ".orchestrator" / "alpha" / "state"
    assert json.loads((state / "network.tfstate").read_text())["resources"]
    assert "Gracefully shutting down" in (project / ".orchestrator" / "alpha" / "alb" / "terraform.log").read_text()

    set_app_environment(project, "alpha", {})
    rerun = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert rerun.code == 0, rerun.stderr
    assert by_name(rerun.json)["network"]["status"] == "no-changes"
    later = run_cli(project, "plan", "alpha", "--json")
    assert {s["status"] for s in later.json["stacks"]} == {"no-changes"}


def test_transient_error_is_retried_and_others_are_not(project, tmp_path):
    marker = tmp_path / "throttled-once"
    set_app_environment(project, "alpha", {"FLAKY_alb": str(marker), "FAIL": "vpc_link"})
    done = run_cli(project, "apply", "alpha", "--auto-approve", "--json", env={"ORCHESTRATOR_RETRY_BASE_SECONDS": "0.1"})
    stacks = by_name(done.json)
    assert marker.exists()
    assert stacks["alb"]["status"] == "ok"  # throttled once, retried, applied
    alb_log = Path(stacks["alb"]["log"]).read_text()
    assert "transient failure, retry 1" in alb_log and "ThrottlingException" in alb_log
    assert stacks["vpc_link"]["status"] == "failed"  # a precondition is not transient
    assert "retry" not in Path(stacks["vpc_link"]["log"]).read_text()
    assert done.code == 1


def test_second_run_on_the_same_environment_is_refused_with_the_holder(project):
    set_app_environment(project, "alpha", {"SLEEP_network": "20"})
    first = start_cli(project, "apply", "alpha", "--auto-approve", "--stack", "network")
    wait_for_text(project / ".orchestrator" / "alpha" / "network" / "terraform.log", "Provisioning with 'local-exec'")
    second = run_cli(project, "plan", "alpha", "--json")
    assert second.code == 1
    assert "environment 'alpha' is locked by" in second.stderr and "(pid" in second.stderr and "apply) since" in second.stderr
    assert second.json["stacks"] == [] and "is locked by" in second.json["error"][0]
    other = run_cli(project, "apply", "beta", "--auto-approve", "--stack", "network")  # another environment runs alongside
    assert other.code == 0, other.stderr
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    queued = run_cli(project, "plan", "alpha", "--stack", "network", "--lock-wait", "30")
    assert queued.code == 0, queued.stderr


def test_a_queued_run_waits_for_the_lock(project):
    set_app_environment(project, "alpha", {"SLEEP_network": "2"})
    first = start_cli(project, "apply", "alpha", "--auto-approve", "--stack", "network")
    wait_for_text(project / ".orchestrator" / "alpha" / "network" / "terraform.log", "Provisioning with 'local-exec'")
    waited = run_cli(project, "plan", "alpha", "--stack", "network", "--lock-wait", "60", "--json")
    assert first.wait(timeout=60) == 0
    assert waited.code == 0 and waited.json["stacks"][0]["status"] == "no-changes"


def test_damaged_or_missing_working_directory_is_rebuilt(project):
    assert run_cli(project, "apply", "alpha", "--auto-approve", "--stack", "network").code == 0
    workdir = project / ".orchestrator" / "alpha" / "network"
    (workdir / ".terraform" / "terraform.tfstate").write_text("{ not json")
    damaged = run_cli(project, "plan", "alpha", "--stack", "network", "--json")
    assert damaged.code == 0, damaged.stderr
    assert damaged.json["stacks"][0]["status"] == "no-changes"
    import shutil

    shutil.rmtree(workdir)
    missing = run_cli(project, "plan", "alpha", "--stack", "network", "--json")
    assert missing.code == 0 and missing.json["stacks"][0]["status"] == "no-changes"


def test_state_written_by_a_newer_terraform_is_a_clear_error(project):
    assert run_cli(project, "apply", "alpha", "--auto-approve", "--stack", "network").code == 0
    state_file = project / ".orchestrator" / "alpha" / "state" / "network.tfstate"
    state = json.loads(state_file.read_text())
    state["version"] = 5  # a state format this Terraform does not know
    state_file.write_text(json.dumps(state))
    before = state_file.read_text()
    done = run_cli(project, "plan", "alpha", "--stack", "network", "--json")
    assert done.code == 1
    assert "state" in done.json["stacks"][0]["error"].lower() and "version" in done.json["stacks"][0]["error"].lower()
    assert state_file.read_text() == before


def _terraform_pids(workdir: Path, command: str) -> list[int]:
    """Terraform processes running ``command`` in ``workdir`` (read from /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        engine = any(b"terraform" in part or part.endswith(b"tofu") for part in argv[:2])  # Terraform or OpenTofu
        if cwd == str(workdir) and command.encode() in argv and engine:
            found.append(int(proc.name))
    return found


def test_killed_terraform_fails_its_stack_only_and_a_rerun_resumes(project):
    set_app_environment(project, "alpha", {"SLEEP_vpc_link": "30"})
    proc = start_cli(project, "apply", "alpha", "--auto-approve", "--json", "--parallelism", "2")
    workdir = project / ".orchestrator" / "alpha" / "vpc_link"
    wait_for_text(workdir / "terraform.log", "Provisioning with 'local-exec'")
    pids = _terraform_pids(workdir, "apply")
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    stacks = by_name(json.loads(out))
    assert stacks["vpc_link"]["status"] == "failed" and "-9" in stacks["vpc_link"]["error"]
    assert stacks["ecs"]["status"] == "ok"  # the independent branch finished
    assert stacks["api_gateway"]["status"] == "skipped" and stacks["keepalive"]["status"] == "skipped"

    set_app_environment(project, "alpha", {})
    rerun = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert rerun.code == 0, rerun.stderr
    assert {s["name"] for s in rerun.json["stacks"] if s["status"] == "no-changes"} >= {"network", "alb", "ecs"}

