"""The pr-plan comment: Atlantis-style layout, call-outs, masking, and splitting below the limit."""

from __future__ import annotations

from orchestrator.release.pr_comment import (
    GITHUB_LIMIT,
    MASK,
    StackPlan,
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
    assert "`staging/alb`: `aws_lb.this` will be **replaced**" in top
    assert "`staging/alb`: `aws_s3_bucket.logs` will be **destroyed**" in top
    assert top.index("Destroys") < top.index("Ran Plan for 2 stacks")


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
    ]
    [comment] = render(plans, "main", "feature", removed=["old/network"], may_be_affected=["staging/keepalive"])
    assert comment.startswith("## Orchestrator plan: `main` → `feature`")
    assert "1. `staging/network`: **+2 ~0 -0** (inputs changed)" in comment
    assert "1. `staging/alb`: no changes (inputs changed)" in comment
    assert "1. `staging/ecs`: **failed** (inputs changed; :warning: placeholders)" in comment
    assert comment.count("<details>") == 3 and comment.count("</details>") == 3
    assert "**planned with placeholders**" in comment and "`alb.listener_arn`" in comment
    assert "`staging/keepalive`" in comment and "`old/network`" in comment
    assert comment.rstrip().endswith("3 stacks, 1 with changes, 1 without, 1 failed")
    assert footer([]) .strip().endswith("0 stacks, 0 with changes, 0 without, 0 failed")


def test_code_fences_in_plan_text_cannot_break_out():
    [comment] = render([stack(text="```\n</details>\n```")], "a", "b")
    assert comment.count("```") == 2


def test_long_comments_are_split_into_numbered_parts_below_the_limit():
    lines = "".join(f"  + line {i:05d} {'x' * 60}\n" for i in range(4000))  # ~290,000 characters
    plans = [stack("network", text=lines), stack("alb", text="short plan\n"), stack("ecs", text="x" * 100_000)]
    parts = render(plans, "main", "feature")
    assert len(parts) >= 6
    for number, part in enumerate(parts, 1):
        assert len(part) < GITHUB_LIMIT
        assert part.startswith(f"**Part {number} of {len(parts)}**")
        assert part.count("```") % 2 == 0 and part.count("<details>") == part.count("</details>")
    whole = "".join(parts)
    assert all(f"line {i:05d}" in whole for i in range(0, 4000, 97))
    assert whole.count("x" * 1000) >= 90  # the monstrous single line is cut, not lost
    assert "### 1. `staging/network` (continued)" in whole
    assert "**Plan Summary:**" in parts[-1]


def test_a_small_limit_is_respected_too():
    parts = render([stack(text="".join(f"{i}\n" for i in range(2000)))], "a", "b", limit=2_000)
    assert all(len(part) < 2_000 for part in parts) and len(parts) > 5
