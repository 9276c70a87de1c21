"""Routine deploys need no --allow-destroy: an image bump replaces the task definition (a new revision),
which apply lets through without a terminal, while a real loss is still refused.

Real Terraform on the built-in provider: the project's `local` environment in a private copy, its
network, alb and ecs stacks applied (policy checks off: the policy stage has its own tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import by_name, copy_project, edit_environment, run_cli, state_of

pytestmark = [pytest.mark.terraform]

TASK_DEFINITION = "aws_ecs_task_definition.this"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("deploys") / "project"
    copy_project(root)
    edit_environment(root, lambda config: config.update(policy={"checks": False}))
    done = run_cli(root, "apply", "local", "--stack", "network", "--stack", "alb", "--stack", "ecs", "--auto-approve", "--json",
                   timeout=900)
    assert done.code == 0, done.stderr[-4000:]
    yield root
    run_cli(root, "destroy", "local", "--auto-approve", timeout=900)


def test_an_image_bump_is_applied_without_allow_destroy_and_without_a_terminal(project):
    edit_environment(project, lambda config: config["app"].update(image_tag="2026.11.1"))
    done = run_cli(project, "apply", "local", "--stack", "ecs", "--json", timeout=600)  # stdin is not a terminal
    assert done.code == 0, done.stderr[-3000:]
    ecs = by_name(done.json)["ecs"]
    assert ecs["status"] == "ok" and ecs["changes"]["destroy"] == 1  # Terraform replaces the task definition
    assert ecs["new_revisions"] == [{"address": TASK_DEFINITION, "previous_kept": True}]  # the module's skip_destroy
    assert ecs["outputs"]["container_image"].endswith(":2026.11.1") and ecs["outputs"]["task_definition_arn"].endswith(":2")
    assert f"ecs: {TASK_DEFINITION} (new revision; previous kept): routine, not a loss (no --allow-destroy needed)" in done.stderr


def test_a_real_loss_is_still_refused_and_its_revision_is_not_listed_as_one(project):
    # Autoscaling on replaces the service (aws_ecs_service.fixed goes, .autoscaled comes); the new image a revision.
    edit_environment(project, lambda config: config["app"].update(image_tag="2026.11.2", autoscaling={"enabled": True}))
    before = state_of(project, "ecs")
    refused = run_cli(project, "apply", "local", "--stack", "ecs", "--json", timeout=600)
    assert refused.code == 1, refused.stderr[-3000:]
    error = by_name(refused.json)["ecs"]["error"]
    assert "the plan destroys or replaces 1 object(s) and there is no terminal to ask" in error, error
    assert "aws_ecs_service.fixed[0] (destroy)" in error and TASK_DEFINITION not in error and "--allow-destroy" in error
    assert state_of(project, "ecs") == before  # nothing applied

    allowed = run_cli(project, "apply", "local", "--stack", "ecs", "--allow-destroy", "--json", timeout=600)
    assert allowed.code == 0, allowed.stderr[-3000:]
