"""Credentials of the wrong account: the real CLI refuses before anything runs (STS from a moto server)."""

from __future__ import annotations

import pytest
from helpers import REPO, run_cli
from moto import server as moto_server


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
