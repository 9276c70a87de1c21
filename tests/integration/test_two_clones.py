"""Two machines, one state: two clones of the project (their own .orchestrator/, no shared process)
against one local cloud (ORCHESTRATOR_LOCAL_CLOUD), state in S3 with Terraform's native lock.

A run that finds the state lock held is refused, naming whose lock it is and since when; nothing is
lost, and the other clone's re-plan shows no changes. A run killed outright (SIGKILL, a machine
gone) leaves its lock behind; the next run reports it with the command that clears it, and that
command, run as printed, lets the next run finish the job.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import S3_STATE_BUCKET, by_name, cli_environment, fixture_with_s3_state, run_cli, set_app_environment
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server

pytestmark = [pytest.mark.terraform, pytest.mark.moto]

BUCKET = S3_STATE_BUCKET
LOCK_KEY = "fx/alpha/network.tfstate.tflock"


@dataclass
class Clone:
    root: Path
    environ: dict[str, str]

    def cli(self, *args: str, timeout: float = 600):
        return run_cli(self.root, *args, env=self.environ, timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "orchestrator", *args], cwd=self.root,
                                env=cli_environment(self.root, self.environ), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def log(self, stack: str) -> Path:
        return Path(self.environ["ORCHESTRATOR_WORK_DIR"]) / "alpha" / stack / "terraform.log"


@pytest.fixture
def clones(tmp_path, monkeypatch):
    cloud = tmp_path / "one-cloud"
    monkeypatch.setenv(moto_server.SHARED_VARIABLE, str(cloud))  # for the server's teardown below
    made = []
    for name in ("a", "b"):
        root = fixture_with_s3_state(tmp_path / name / "project")
        made.append(Clone(root, {"ORCHESTRATOR_WORK_DIR": str(tmp_path / name / "work"), moto_server.SHARED_VARIABLE: str(cloud),
                                 "ORCHESTRATOR_RETRIES": "0"}))
    up = made[0].cli("local-cloud", "up")  # the cloud is there before either machine runs (not a child of a run)
    assert up.code == 0, up.stderr
    try:
        yield made
    finally:
        moto_server.down(Project(made[0].root))


def _wait_for(path: Path, text: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise AssertionError(f"the run ended before {text!r}: {process.stderr.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Terraform runs in sessions of its own)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def _lock_objects(clone: Clone) -> list[str]:
    server = moto_server.status(Project(clone.root))
    s3 = server.session("eu-west-1").client("s3", endpoint_url=server.endpoint)
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if o["Key"].endswith(".tflock")]


def test_a_run_that_finds_the_lock_held_is_refused_naming_it_and_nothing_is_lost(clones):
    a, b = clones
    set_app_environment(a.root, "alpha", {"SLEEP_network": "20"})  # a's apply holds network's lock a while
    applying = a.start("apply", "alpha", "--state", "s3", "--stack", "network", "--auto-approve", "--json")
    _wait_for(a.log("network"), "Provisioning with 'local-exec'", applying)
    assert _lock_objects(a) == [LOCK_KEY]

    refused = b.cli("apply", "alpha", "--state", "s3", "--stack", "network", "--auto-approve", "--json")
    assert refused.code == 1, refused.stderr[-3000:]
    error = by_name(refused.json)["network"]["error"]
    assert "Error acquiring the state lock" in error
    held = re.search(r"the state lock of network is held by (\S+) since (.+?) \(lock ID ([\w-]+)\)", error)
    assert held and "@" in held.group(1) and held.group(2)[:4].isdigit(), error
    assert f"-- force-unlock -force {held.group(3)}" in error

    finished, stderr = applying.communicate(timeout=300)
    assert applying.returncode == 0, stderr[-3000:]
    assert by_name(json.loads(finished))["network"]["status"] == "ok"
    assert _lock_objects(a) == []
    # nothing lost: b sees a's apply as its own state, and plans no change
    again = b.cli("plan", "alpha", "--state", "s3", "--stack", "network", "--json")
    assert again.code == 0 and by_name(again.json)["network"]["status"] == "no-changes", again.stderr[-3000:]


def test_a_killed_run_leaves_its_lock_which_the_next_run_reports_and_force_unlock_clears(clones):
    a, b = clones
    set_app_environment(a.root, "alpha", {"SLEEP_network": "120"})
    applying = a.start("apply", "alpha", "--state", "s3", "--stack", "network", "--auto-approve")
    _wait_for(a.log("network"), "Provisioning with 'local-exec'", applying)
    for pid in _tree(applying.pid):  # the machine is gone: no process of the run gets to clean up
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    applying.wait(timeout=30)
    assert _lock_objects(a) == [LOCK_KEY]

    refused = b.cli("plan", "alpha", "--state", "s3", "--stack", "network", "--json")
    assert refused.code == 1
    error = by_name(refused.json)["network"]["error"]
    command = re.search(r"clear it: (python -m orchestrator tf .+? -- force-unlock -force [\w-]+)", error)
    assert command, error
    assert command.group(1).startswith("python -m orchestrator tf alpha network --provider local --state s3 -- ")
    unlocked = b.cli(*shlex.split(command.group(1))[3:])  # run as printed
    assert unlocked.code == 0, unlocked.stderr[-3000:]
    assert _lock_objects(b) == []

    finished = b.cli("apply", "alpha", "--state", "s3", "--stack", "network", "--auto-approve", "--json")
    assert finished.code == 0, finished.stderr[-3000:]
    again = a.cli("plan", "alpha", "--state", "s3", "--stack", "network", "--json")
    assert again.code == 0 and by_name(again.json)["network"]["status"] == "no-changes", again.stderr[-3000:]
