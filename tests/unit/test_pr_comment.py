"""The pr-plan comment: Atlantis-style layout, call-outs, masking, and splitting below the limit."""

from __future__ import annotations

import json

from orchestrator.release.pr_comment import (
    CONTINUED,
    GITHUB_LIMIT,
    MASK,
    NO_CHANGES,
    StackPlan,
    diagnostics,
    footer,
    plan_facts,
    render,
)

PLAN_JSON = {
    "configuration": {"root_module": {
        "variables": {"password": {"sensitive": True}, "name": {}},
        "outputs": {"token": {"sensitive": True}, "id": {}},
    }},
    "variables": {"password": {"value": "s3cr3t-variable"}, "name": {"value": "web"}},
    "resource_changes": [
        {"address": "aws_lb.this", "change": {"actions": ["delete", "create"], "before": {}, "after": {}}},
        {"address": "aws_s3_bucket.logs", "change": {"actions": ["delete"], "before": {"id": "logs"}, "after": None}},
        {"address": "aws_db_instance.db", "change": {
            "actions": ["update"],
            "before": {"password": "old-db-password", "port": 5432},
            "after": {"password": "new-db-password", "port": 5432},
            "before_sensitive": {"password": True},
            "after_sensitive": {"password": True},
        }},
    ],
    "output_changes": {"token": {"after": "tok-abcdef"}},
    "planned_values": {"outputs": {"token": {"sensitive": True, "value": "tok-abcdef"}}},
    "prior_state": {"values": {"root_module": {"resources": [{"address": "aws_lb.this"}]}}},
}


def stack(name="alb", env="staging", text="  ~ resource\n", **extra) -> StackPlan:
    values = dict(env=env, stack=name, reason="inputs changed", status="ok", changes={"add": 0, "change": 1, "destroy": 0}, plan_text=text)
    values.update(extra)
    return StackPlan(**values)


def test_destroys_and_replacements_are_called_out_at_the_top():
    plan = stack()
    plan_facts(plan, PLAN_JSON)
    assert plan.replaces == ["aws_lb.this"] and plan.destroys == ["aws_s3_bucket.logs"]
    [comment] = render([plan, stack("ecs")], "main", "feature")
    top = comment.split("### 1.")[0]
    assert "**Destroys and replacements**" in top
    assert "`staging-alb`: `aws_lb.this` will be **replaced**" in top
    assert "`staging-alb`: `aws_s3_bucket.logs` will be **destroyed**" in top
    assert top.index("Destroys") < top.index("Ran Plan for 2 projects")


def test_every_sensitive_value_of_the_plan_is_masked():
    leaky = "password = s3cr3t-variable\nold-db-password -> new-db-password\ntoken = tok-abcdef\nname = web\n"
    plan = stack(text=leaky)
    plan_facts(plan, PLAN_JSON)
    [comment] = render([plan], "main", "feature")
    for secret in ("s3cr3t-variable", "old-db-password", "new-db-password", "tok-abcdef"):
        assert secret not in comment
    assert comment.count(MASK) == 4 and "name = web" in comment


def test_layout_header_sections_footer():
    plans = [
        stack("network", changes={"add": 2, "change": 0, "destroy": 0}),
        stack("alb", status="no-changes", changes={"add": 0, "change": 0, "destroy": 0}),
        stack("ecs", status="failed", error="Error: boom", placeholders=["alb.listener_arn"]),
        stack("vpc_link", status="skipped", error="interrupted before it started"),
    ]
    [comment] = render(plans, "main", "feature", removed=["old/network"], may_be_affected=["staging-keepalive"])
    assert comment.startswith("## Orchestrator plan: `main` → `feature`")
    assert "Ran Plan for 4 projects:" in comment
    assert "1. project: `staging-network` dir: `.` workspace: `staging-network`: **+2 ~0 -0** (inputs changed)" in comment
    assert "1. project: `staging-alb` dir: `.` workspace: `staging-alb`: no changes (inputs changed)" in comment
    assert "1. project: `staging-ecs` dir: `.` workspace: `staging-ecs`: **failed** (inputs changed; :warning: placeholders)" in comment
    assert "### 1. project: `staging-network` dir: `.` workspace: `staging-network`" in comment
    assert "<details>" not in comment  # short plans are not folded
    assert "**planned with placeholders**" in comment and "`alb.listener_arn`" in comment
    assert "`staging-keepalive`" in comment and "`old/network`" in comment
    # what needs reading first: changes and failures in DAG order, then what does not change
    assert f"### 4. project: `staging-alb` dir: `.` workspace: `staging-alb`\n\n{NO_CHANGES}\n" in comment
    assert comment.index("### 2. project: `staging-ecs`") < comment.index("### 3. project: `staging-vpc_link`")
    assert "**Plan Error**" in comment and "Error: boom" in comment and "**Plan Skipped**" in comment
    assert "### Plan Summary\n\n4 projects, 1 with changes, 1 with no changes, 1 failed, 1 skipped" in comment
    assert footer([]).startswith("---\n### Plan Summary\n\n0 projects, 0 with changes, 0 with no changes, 0 failed\n")


def test_next_steps_are_atlantis_comments_with_the_project_name():
    plans = [stack("network"), stack("ecs", placeholders=["alb.id"]), stack("alb", status="no-changes", changes={"add": 0, "change": 0, "destroy": 0})]
    [comment] = render(plans, "main", "feature")
    network, ecs, alb = comment.split("### ")[1:4]
    assert "To apply this plan, comment: `atlantis apply -p staging-network`" in network
    assert "To plan this project again, comment: `atlantis plan -p staging-network`" in network
    assert "atlantis apply" not in ecs and "applied only once they are, by planning again" in ecs  # placeholders: never offered
    assert "atlantis apply" not in alb and "atlantis plan -p staging-alb" in alb
    assert "`atlantis apply`" in comment.split("### Plan Summary")[1] and "`atlantis unlock`" in comment


def test_output_only_import_only_and_forget_only_plans_are_changes():
    """Terraform's exit code 2 says "changes"; so do the comment, the footer and pr-plan's exit code."""
    zero = {"add": 0, "change": 0, "destroy": 0}
    outputs = stack("network", changes=dict(zero), text="Changes to Outputs:\n  + id = \"x\"\n")
    plan_facts(outputs, {"output_changes": {"id": {"actions": ["create"]}, "same": {"actions": ["no-op"]}}})
    imports = stack("alb", changes=dict(zero))
    plan_facts(imports, {"resource_changes": [{"address": "aws_lb.this", "change": {"actions": ["no-op"], "importing": {"id": "x"}}}]})
    forgets = stack("ecs", changes=dict(zero))
    plan_facts(forgets, {"resource_changes": [{"address": "aws_ecs_service.this", "change": {"actions": ["forget"]}}]})
    assert outputs.outputs == ["id"] and imports.imports == ["aws_lb.this"] and forgets.forgets == ["aws_ecs_service.this"]
    assert all(p.has_changes for p in (outputs, imports, forgets))
    [comment] = render([outputs, imports, forgets], "a", "b")
    assert "**+0 ~0 -0** (outputs change)" in comment and "(1 to import)" in comment and "(1 to forget)" in comment
    assert NO_CHANGES not in comment
    assert "3 projects, 3 with changes, 0 with no changes, 0 failed" in comment
    from orchestrator.release.pr_plan import Detection, PrPlanOutcome

    assert PrPlanOutcome("a", "b", Detection([], [], []), [outputs]).exit_code == 3


def test_updates_are_coloured_as_atlantis_colours_them():
    text = "  # aws_lb.this will be updated in-place\n  ~ resource \"aws_lb\" \"this\" {\n      ~ idle_timeout = 60 -> 120\n      + tags = {}\n      - old = 1\n    }\n"
    [comment] = render([stack(text=text)], "a", "b")
    assert "\n!   resource \"aws_lb\" \"this\" {" in comment and "\n!       idle_timeout = 60 -> 120" in comment
    assert "\n+       tags = {}" in comment and "\n-       old = 1" in comment and "\n  ~ " not in comment


def test_only_long_plans_are_folded():
    short, long = stack("alb", text="".join(f"  + a{i} = 1\n" for i in range(12))), stack("ecs", text="".join(f"  + a{i} = 1\n" for i in range(13)))
    [comment] = render([short, long], "a", "b")
    alb, ecs = comment.split("### ")[1:3]
    assert "<details>" not in alb and "<details><summary>Show Output</summary>" in ecs


def test_errors_are_shown_in_full_with_file_and_line(tmp_path):
    log = tmp_path / "terraform.log"
    diagnostic = {"severity": "error", "summary": "Resource precondition failed", "detail": "told to fail",
                  "address": "terraform_data.this",
                  "range": {"filename": "main.tf", "start": {"line": 44}},
                  "snippet": {"context": "resource \"terraform_data\" \"this\"", "code": "      condition = !var.fail", "start_line": 44}}
    log.write_text("$ terraform plan\n" + json.dumps({"@level": "error", "type": "diagnostic", "diagnostic": diagnostic}) + "\n")
    full = diagnostics(log)
    assert full.startswith("Error: Resource precondition failed\n\n  on main.tf line 44, in resource \"terraform_data\" \"this\":")
    assert "  44:       condition = !var.fail" in full and full.endswith("told to fail")
    [comment] = render([stack(status="failed", error=full)], "a", "b")
    assert full in comment


def test_code_fences_in_plan_text_cannot_break_out():
    [comment] = render([stack(text="```\n</details>\n```")], "a", "b")
    assert comment.count("```") == 2


def _balanced(part: str) -> bool:
    return part.count("```") % 2 == 0 and part.count("<details>") == part.count("</details>")


def test_long_comments_are_split_at_the_byte_limit_and_continue_where_they_overflow():
    lines = "".join(f"  + line {i:05d} é {'x' * 60}\n" for i in range(4000))  # ~300,000 bytes
    plans = [stack("network", text=lines), stack("alb", text="short plan\n"), stack("ecs", text="é" * 100_000)]
    parts = render(plans, "main", "feature")
    assert len(parts) >= 6
    for number, part in enumerate(parts, 1):
        assert len(part.encode()) <= GITHUB_LIMIT
        assert _balanced(part), number
        if number > 1:
            assert part.startswith(CONTINUED)
        if number < len(parts):
            assert "continues in the next comment" in part.splitlines()[-1]
    assert len(parts[0].encode()) > GITHUB_LIMIT - 1_000  # filled, not a part with only the header
    whole = "".join(parts)
    assert all(f"line {i:05d}" in whole for i in range(0, 4000, 97))
    assert whole.count("é" * 1000) >= 90  # the monstrous single line is cut (between characters), not lost
    assert "### Plan Summary" in parts[-1]


def test_a_small_limit_is_respected_too():
    parts = render([stack(text="".join(f"{i}\n" for i in range(2000)))], "a", "b", limit=2_000)
    assert all(len(part.encode()) <= 2_000 and _balanced(part) for part in parts) and len(parts) > 5


def test_errors_logged_as_text_are_shown_in_full_from_the_failed_command(tmp_path):
    log = tmp_path / "terraform.log"
    log.write_text("$ init\nError: not this one\n# exit 1\n$ plan -no-color\nTerraform 1.15.5\nError: Resource precondition failed\n"
                   "  on main.tf line 59\n  Stack fx-beta-alb was told to fail.\n# exit 1 after 0.299s\n")
    assert diagnostics(log) == "Error: Resource precondition failed\n  on main.tf line 59\n  Stack fx-beta-alb was told to fail."


def test_applied_environments_with_changes_come_first_and_never_applied_ones_are_folded():
    created = {"prior_state": {"values": {"root_module": {}}},
               "resource_changes": [{"address": f"aws_subnet.private[{i}]", "change": {"actions": ["create"], "before": None, "after": {}}}
                                    for i in range(40)]}
    updated = {"prior_state": {"values": {"root_module": {"resources": [{"address": "aws_ecs_service.this"}]}}}, "resource_changes": []}
    plans = []
    for env, facts, changes in (("qa", created, {"add": 40, "change": 0, "destroy": 0}),
                                ("dev", updated, {"add": 0, "change": 0, "destroy": 0}),
                                ("staging", updated, {"add": 0, "change": 1, "destroy": 0})):
        for name in ("network", "ecs"):
            plan = stack(name, env=env, changes=changes, status="ok" if any(changes.values()) else "no-changes",
                         text="  + resource \"aws_subnet\" \"private\" {\n" * 300)
            plan_facts(plan, facts)
            plan.env_new = plan.never_applied  # as pr_plan decides when the change plans all of an environment
            plans.append(plan)
    [comment] = render(plans, "main", "feature")
    sections = [line for line in comment.splitlines() if line.startswith("### ")]
    assert sections[:4] == [f"### {i}. project: `{title}` dir: `.` workspace: `{title}`"
                            for i, title in enumerate(["staging-network", "staging-ecs", "dev-network", "dev-ecs"], 1)]
    assert sections[4] == "### New environment `qa` (2 projects, folded)"
    assert "**80 to add**" in comment and "| `qa-network` | **+40 ~0 -0** |" in comment
    assert "`aws_subnet.private[39]`" in comment.split("<summary>Objects to create</summary>")[1]
    assert comment.count('resource "aws_subnet"') == 2 * 300  # staging's two plans in full, qa's not at all
    assert len(comment.encode()) < GITHUB_LIMIT
    # a never-applied environment whose plan fails a check or errors is shown in full
    plans[0].status, plans[0].error = "failed", "Error: boom"
    [comment] = render(plans, "main", "feature")
    assert "New environment" not in comment and comment.index("`qa-network`") < comment.index("### 2.")


def test_each_project_says_which_module_ref_it_ran():
    plans = [stack("network", env="dev"), stack("network", env="prod", module_ref="v1.4 (0a1b2c3d4e5f)")]
    [comment] = render(plans, "main", "feature")
    assert "Modules: `dev` the working tree of `feature`; `prod` pinned at `v1.4 (0a1b2c3d4e5f)`" in comment
    dev, prod = comment.split("\n### ")[1:3]
    assert "Modules:" not in dev and "Modules: pinned at `v1.4 (0a1b2c3d4e5f)`" in prod


def test_a_plan_names_the_services_it_changes():
    plan = stack("ecs")
    plan_facts(plan, {"resource_changes": [
        {"address": 'aws_ecs_task_definition.service["worker"]', "change": {
            "actions": ["delete", "create"], "before": {"tags": {"Service": "worker"}}, "after": {"tags": {"Service": "worker"}}}},
        {"address": 'aws_lb_listener_rule.service["orders"]', "change": {
            "actions": ["update"], "before": {"tags": {"Service": "orders"}}, "after": {"tags": {"Service": "orders"}}}},
        {"address": 'aws_ecs_service.service_fixed["admin"]', "change": {
            "actions": ["no-op"], "before": {"tags": {"Service": "admin"}}, "after": {"tags": {"Service": "admin"}}}},
        {"address": "aws_ecs_task_definition.this", "change": {"actions": ["update"], "before": {"tags": {}}, "after": {"tags": {}}}},
    ]})
    assert plan.services == ["orders", "worker"]  # not admin: it does not change
    [comment] = render([plan], "main", "feature")
    assert "Services changed: `orders`, `worker`" in comment
