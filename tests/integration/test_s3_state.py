"""State in S3 on the local cloud, without the real provider: the fixture project with `--state s3`
(the production backend block, use_lockfile) applies, keeps each stack's state at its key, re-plans
clean and leaves no lock object behind; a held lock stops a run."""

from __future__ import annotations


import pytest

from helpers import S3_STATE_BUCKET, by_name, fixture_with_s3_state, run_cli
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server

pytestmark = [pytest.mark.terraform, pytest.mark.moto]

BUCKET = S3_STATE_BUCKET
STACKS = ("network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive")


@pytest.fixture
def s3_project(tmp_path, monkeypatch):
    root = fixture_with_s3_state(tmp_path / "project")
    work = tmp_path / "work"
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(work))
    project = Project(root)
    try:
        yield root, {"ORCHESTRATOR_WORK_DIR": str(work)}, project
    finally:
        moto_server.down(project)


def test_apply_keeps_state_in_s3_with_the_native_lock(s3_project):
    root, environ, project = s3_project
    done = run_cli(root, "apply", "alpha", "--state", "s3", "--auto-approve", "--json", env=environ)
    assert done.code == 0, done.stderr[-3000:]
    assert {s["status"] for s in done.json["stacks"]} == {"ok"}
    assert not list((root / ".orchestrator").glob("**/*.tfstate")) and not list(project.runs_dir.glob("**/state/*.tfstate"))
    backend = (project.runs_dir / "alpha" / "network" / "_orchestrator_backend.tf").read_text()
    assert 'backend "s3"' in backend and "use_lockfile = true" in backend

    server = moto_server.status(project)
    assert server is not None  # bootstrapped on the way: the bucket was made by the run
    s3 = server.session("eu-west-1").client("s3", endpoint_url=server.endpoint)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert sorted(keys) == sorted(f"fx/alpha/{stack}.tfstate" for stack in STACKS)  # and no .tflock left

    again = run_cli(root, "plan", "alpha", "--state", "s3", "--json", env=environ)
    assert again.code == 0, again.stderr[-3000:]
    assert {s["status"] for s in again.json["stacks"]} == {"no-changes"}
    assert not [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if item["Key"].endswith(".tflock")]

    # the lock is S3's conditional write: a lock object someone else holds stops the stack
    s3.put_object(Bucket=BUCKET, Key="fx/alpha/network.tfstate.tflock", Body=b'{"ID": "other", "Who": "someone@elsewhere"}')
    held = run_cli(root, "plan", "alpha", "--state", "s3", "--stack", "network", "--json",
                   env={**environ, "ORCHESTRATOR_RETRIES": "0"})
    assert held.code == 1
    assert "lock" in by_name(held.json)["network"]["error"].lower(), held.json
