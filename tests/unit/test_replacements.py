"""What a plan deletes: a task definition's new revision is routine; destroys and other replacements are losses."""

from __future__ import annotations

import io
import json

from helpers import REPO
from rich.console import Console

from orchestrator.config import module_info
from orchestrator.release.pr_comment import StackPlan, plan_facts, render
from orchestrator.release.pr_plan import Detection, PrPlanOutcome, publish
from orchestrator.run import replacements
from orchestrator.run.replacements import Deletion


def change(address: str, actions: list[str], before: dict | None = None) -> dict:
    return {"address": address, "type": address.split(".")[-2], "change": {"actions": actions, "before": before, "after": {}}}


PLAN = {"resource_changes": [
    change("aws_ecs_task_definition.this", ["delete", "create"], {"family": "web", "skip_destroy": True}),
    change("module.old.aws_ecs_task_definition.this", ["create", "delete"], {"family": "old", "skip_destroy": False}),
    change("aws_ecs_service.fixed[0]", ["update"]),
    change("aws_lb.this", ["delete", "create"], {"name": "web"}),
    change("aws_vpc.this", ["create", "delete"], {"cidr_block": "10.0.0.0/16"}),
    change("aws_ecs_task_definition.gone", ["delete"], {"family": "gone", "skip_destroy": True}),
    change("aws_security_group.new", ["create"]),
    change("aws_s3_bucket.same", ["no-op"]),
]}


def test_a_task_definitions_replacement_is_a_new_revision_and_other_deletions_are_losses():
    assert replacements.deletions(PLAN) == [
        Deletion("aws_ecs_task_definition.this", "new revision", previous_kept=True),
        Deletion("module.old.aws_ecs_task_definition.this", "new revision", previous_kept=False),
        Deletion("aws_lb.this", "replace"),  # its DNS name, listeners and attachments go with it
        Deletion("aws_vpc.this", "replace"),
        Deletion("aws_ecs_task_definition.gone", "destroy"),  # a revision removed without a successor is a loss
    ]
    lost = [str(d) for d in replacements.deletions(PLAN) if d.loss]
    assert lost == ["aws_lb.this (replace)", "aws_vpc.this (replace)", "aws_ecs_task_definition.gone (destroy)"]
    assert str(replacements.deletions(PLAN)[0]) == "aws_ecs_task_definition.this (new revision; previous kept)"


def test_revisioned_types_are_types_the_modules_use():
    used = {address.split(".")[0] for path in sorted((REPO / "terraform_modules").iterdir()) if path.is_dir()
            for address, _ in module_info.read(path).resources}
    assert set(replacements.REVISIONED) <= used
    assert set(replacements.REVISIONED) == {"aws_ecs_task_definition"}  # docs/explanation/security-model.md: only it; a target group has an address


def test_the_pr_comment_lists_new_revisions_apart_from_the_caution():
    plan = StackPlan("staging", "ecs", "inputs changed", "ok", {"add": 2, "change": 1, "destroy": 2}, plan_text="  ~ x\n")
    plan_facts(plan, {"resource_changes": PLAN["resource_changes"][:3]})
    assert plan.replaces == [] and plan.destroys == [] and [d.address for d in plan.revisions] == [
        "aws_ecs_task_definition.this", "module.old.aws_ecs_task_definition.this"]
    [comment] = render([plan], "main", "feature")
    assert "[!CAUTION]" not in comment and ":warning: destroys" not in comment
    assert "> [!NOTE]\n> **New revisions** (routine replacements, not losses: applied without `--allow-destroy`)" in comment
    assert "> - `staging-ecs`: `aws_ecs_task_definition.this`: new revision, the previous one stays registered" in comment
    assert "`module.old.aws_ecs_task_definition.this`: new revision, the previous one is deregistered" in comment

    lossy = StackPlan("staging", "alb", "inputs changed", "ok", {"add": 1, "change": 0, "destroy": 1}, plan_text="  ~ x\n")
    plan_facts(lossy, {"resource_changes": [change("aws_lb.this", ["delete", "create"], {})]})
    [comment] = render([lossy], "main", "feature")
    assert "> [!CAUTION]" in comment and "`aws_lb.this` will be **replaced**" in comment and "[!NOTE]" not in comment


def test_pr_plan_json_lists_new_revisions_apart_from_replacements(capsys):
    plan = StackPlan("staging", "ecs", "inputs changed", "ok", {"add": 1, "change": 1, "destroy": 1}, plan_text="  ~ x\n")
    plan_facts(plan, {"resource_changes": PLAN["resource_changes"][:1]})
    assert publish(PrPlanOutcome("a", "b", Detection([], [], []), [plan]), None, True, Console(file=io.StringIO())) == 3
    [stack] = json.loads(capsys.readouterr().out)["stacks"]
    assert stack["new_revisions"] == [{"address": "aws_ecs_task_definition.this", "previous_kept": True}]
    assert stack["replaces"] == [] and stack["destroys"] == []
