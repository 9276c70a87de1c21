"""Credentials of the wrong account: the real CLI refuses before anything runs (STS from a moto server)."""

from __future__ import annotations

import os
import time

import pytest
from helpers import REPO, run_cli
from moto import server as moto_server

pytestmark = [pytest.mark.terraform, pytest.mark.moto]


@pytest.fixture
def sts(monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "333333333333")  # the moto server answers as this account
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield {
        "AWS_ENDPOINT_URL_STS": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "ORCHESTRATOR_WORK_DIR": "",
    }
    server.stop()


def test_apply_with_credentials_of_another_account_is_refused(sts, tmp_path):
    sts["ORCHESTRATOR_WORK_DIR"] = str(tmp_path / "work")
    done = run_cli(REPO, "apply", "dev", "--auto-approve", env=sts)
    assert done.code == 2, done.stderr
    assert "belong to account 333333333333, which environment 'dev' does not allow (111111111111)" in done.stderr
    assert not (tmp_path / "work").exists()


def test_local_rehearsal_needs_no_credentials(sts, tmp_path):
    sts["ORCHESTRATOR_WORK_DIR"] = str(tmp_path / "work")
    done = run_cli(REPO, "plan", "dev", "--provider", "local", "--stack", "network", env=sts)
    assert done.code == 0, done.stderr


def test_local_rehearsal_refuses_credentials_of_another_account(tmp_path):
    """The local provider, told which account its "credentials" are, refuses like the real one."""
    env = {"ORCHESTRATOR_WORK_DIR": str(tmp_path / "work"), "ORCHESTRATOR_LOCAL_ACCOUNT_ID": "999999999999"}
    done = run_cli(REPO, "apply", "dev", "--provider", "local", "--stack", "network", "--auto-approve", "--json", env=env)
    assert done.code == 1
    assert "AWS account ID not allowed: 999999999999" in done.json["stacks"][0]["error"]
    assert not (tmp_path / "work" / "dev.local" / "state" / "network.tfstate").exists()


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No AWS_* variable and an empty HOME (no ~/.aws): boto3's chain finds nothing."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    (tmp_path / "home").mkdir()
    return {"HOME": str(tmp_path / "home"), "ORCHESTRATOR_WORK_DIR": str(tmp_path / "work")}


@pytest.mark.parametrize("args", [("status", "staging"), ("plan", "staging", "--stack", "network"), ("output", "prod"),
                                  ("output", "dev", "--stack", "alb", "alb_arn"), ("drift", "dev")])
def test_without_credentials_a_cloud_environment_fails_at_once_saying_how_to_give_them(no_credentials, tmp_path, args):
    started = time.monotonic()
    done = run_cli(REPO, *args, env=no_credentials)
    seconds = time.monotonic() - started
    assert done.code == 2, done.stderr
    assert seconds < 5, f"{seconds:.1f}s"
    message = " ".join(done.stderr.split())
    assert f"environments/{args[1]}.yaml: AWS credentials: none found; environment {args[1]!r} runs on the real AWS provider" in message
    for way in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "instance or task role", "web identity",
                "--provider local", "--provider moto"):
        assert way in message
    assert "Terraform" not in message
    # nothing written but the cache of the modules staging and prod pin (modules.ref), taken before the guard runs
    work = tmp_path / "work"
    assert not work.exists() or {p.name for p in work.iterdir()} == {"modules"}, sorted(work.rglob("*"))[:5]


def test_without_credentials_offline_runs_go_on(no_credentials):
    for args in (("staging", "--provider", "local"), ("local",)):  # the environment local declares provider: local
        done = run_cli(REPO, "output", *args, "--stack", "network", env=no_credentials)
        assert done.code == 0, done.stderr
        assert "AWS credentials" not in done.stderr
