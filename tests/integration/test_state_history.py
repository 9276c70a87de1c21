"""A stack's state, version by version: state-history lists the S3 versions of its key; state-restore
brings one back after a deletion or a corruption (the next plan shows no changes), and refuses a
version of another lineage."""

from __future__ import annotations

import json
import os

import pytest

from helpers import S3_STATE_BUCKET, by_name, fixture_with_s3_state, run_cli, set_app_environment
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server

pytestmark = [pytest.mark.terraform, pytest.mark.moto]

BUCKET = S3_STATE_BUCKET
KEY = "fx/alpha/network.tfstate"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = fixture_with_s3_state(tmp_path / "project")
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(tmp_path / "work"))
    try:
        yield root
    finally:
        moto_server.down(Project(root))


def _cli(root, *args):
    return run_cli(root, *args, env={"ORCHESTRATOR_RETRIES": "0", "ORCHESTRATOR_WORK_DIR": os.environ["ORCHESTRATOR_WORK_DIR"]}, timeout=600)


def _s3(root):
    server = moto_server.status(Project(root))
    return server.session("eu-west-1").client("s3", endpoint_url=server.endpoint)


def _history(root) -> list[dict]:
    listed = _cli(root, "state-history", "alpha", "network", "--state", "s3", "--json")
    assert listed.code == 0, listed.stderr[-3000:]
    assert listed.json["key"] == KEY
    return listed.json["versions"]


def _plan_status(root) -> str:
    planned = _cli(root, "plan", "alpha", "--stack", "network", "--state", "s3", "--json")
    return by_name(planned.json)["network"]["status"] if planned.stdout.strip() else f"exit {planned.code}"


def test_history_lists_versions_and_restore_brings_back_a_deleted_or_corrupted_state(project):
    for payload in ("first", "second"):
        set_app_environment(project, "alpha", {"PAYLOAD": payload})
        applied = _cli(project, "apply", "alpha", "--stack", "network", "--state", "s3", "--auto-approve", "--json")
        assert applied.code == 0, applied.stderr[-3000:]
    versions = _history(project)
    assert len(versions) >= 2 and versions[0]["latest"] and not versions[0]["deleted"]
    assert versions[0]["serial"] > versions[-1]["serial"] and len({v["lineage"] for v in versions}) == 1
    good = versions[0]
    people = _cli(project, "state-history", "alpha", "network", "--state", "s3")
    assert good["version_id"] in people.stdout and "latest" in people.stdout

    s3 = _s3(project)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"{ this is not a state")  # corrupted by hand
    assert _plan_status(project) != "no-changes"
    assert not _history(project)[0]["readable"]
    refused = _cli(project, "state-restore", "alpha", "network", good["version_id"], "--state", "s3")
    assert refused.code == 2 and "needs --auto-approve" in refused.stderr  # no terminal to ask
    restored = _cli(project, "state-restore", "alpha", "network", good["version_id"], "--state", "s3", "--auto-approve", "--json")
    assert restored.code == 0, restored.stderr[-3000:]
    assert restored.json["serial"] > good["serial"] and restored.json["lineage"] == good["lineage"]
    assert _plan_status(project) == "no-changes"

    s3.delete_object(Bucket=BUCKET, Key=KEY)  # deleted by hand: a delete marker on top
    assert _history(project)[0]["deleted"]
    assert _plan_status(project) == "ok"  # with no state, Terraform would create it all again
    restored = _cli(project, "state-restore", "alpha", "network", good["version_id"], "--state", "s3", "--auto-approve")
    assert restored.code == 0, restored.stderr[-3000:]
    assert _plan_status(project) == "no-changes"
    assert not [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if o["Key"].endswith(".tflock")]

    # a state of another lineage written over it: restoring the stack's own old version is refused
    alien = json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    alien["lineage"] = "00000000-0000-0000-0000-000000000000"
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(alien).encode())
    other = _cli(project, "state-restore", "alpha", "network", good["version_id"], "--state", "s3", "--auto-approve")
    assert other.code == 2 and "lineage" in other.stderr and "refusing" in other.stderr
