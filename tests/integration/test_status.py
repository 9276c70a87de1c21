"""`status` end to end on the real modules and the local provider: apply local, healthy; then break it."""

from __future__ import annotations

import pytest

from helpers import REPO, run_cli

from orchestrator.local_provider.store import Store

pytestmark = [pytest.mark.terraform]


def checks(run) -> dict:
    return {check["name"]: check for check in run.json["checks"]}


def test_status_local_healthy_then_broken(applied_local):
    root = applied_local.root
    healthy = run_cli(root, "status", "local", "--json")
    assert healthy.code == 0, healthy.stderr
    document = healthy.json
    assert document["env"] == "local" and document["command"] == "status" and document["healthy"] is True
    assert document["source"] == "local provider"
    assert document["endpoint"].startswith("https://") and document["endpoint"].endswith(".amazonaws.com")
    assert {name: c["status"] for name, c in checks(healthy).items()} == {
        "stacks": "ok", "modules": "ok", "alb_scheme": "ok", "vpc_link": "ok", "ecs_service": "ok", "target_health": "ok", "api": "ok", "keepalive": "ok"}
    assert "local provider" in checks(healthy)["ecs_service"]["detail"]
    assert "status local (local provider)" in healthy.stderr and "path healthy" in healthy.stderr

    # The VPC link disappears from the "cloud" behind Terraform's back (put back afterwards: the
    # applied environment is shared).
    store = Store(applied_local.cloud)
    link_id = next(s for s in document["stacks"] if s["name"] == "vpc_link")["outputs"]["vpc_link_id"]
    link = store.get("aws_apigatewayv2_vpc_link", link_id)
    assert link is not None
    store.delete("aws_apigatewayv2_vpc_link", link_id)
    try:
        broken = run_cli(root, "status", "local", "--json")
    finally:
        store.put("aws_apigatewayv2_vpc_link", link_id, link)
    assert broken.code == 1, broken.stderr
    assert broken.json["healthy"] is False
    assert checks(broken)["vpc_link"]["status"] == "broken" and link_id in checks(broken)["vpc_link"]["detail"]
    assert "path broken: vpc_link" in broken.stderr
    assert run_cli(root, "status", "local").code == 0


def test_status_of_a_never_applied_rehearsal_and_of_an_unknown_environment(tmp_path):
    work = {"ORCHESTRATOR_WORK_DIR": str(tmp_path / "work")}
    never = run_cli(REPO, "status", "staging", "--provider", "local", "--json", env=work)
    assert never.code == 1, never.stderr
    assert never.json["source"] == "local provider" and never.json["healthy"] is False
    assert checks(never)["stacks"]["detail"].startswith("never applied (no outputs in state): network, alb")
    assert "was never applied" in checks(never)["vpc_link"]["detail"]
    assert checks(never)["modules"]["detail"].startswith("pinned at ") and checks(never)["modules"]["detail"].endswith("; never applied")

    unknown = run_cli(REPO, "status", "nosuchenv", "--json", env=work)
    assert unknown.code == 2
    assert unknown.json["command"] == "status" and unknown.json["error"]
