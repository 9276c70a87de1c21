"""drift's pure parts: the refresh-only command line, reading resource_drift, masking, the record, the report."""

from __future__ import annotations

import copy
from pathlib import Path

from orchestrator.config.graph import Input, Stack, StackGraph
from orchestrator.release import drift_report
from orchestrator.run import drift, run_record, saved_plan, secrets
from orchestrator.run.types import StackResult
from orchestrator.terraform import engine


def test_refresh_only_plan_command_line():
    argv = engine.refresh_only_plan_command([Path("env.tfvars"), Path("upstream.tfvars")], Path("drift.tfplan")).argv("tf")
    assert argv == ["tf", "plan", "-no-color", "-input=false", "-refresh-only", "-detailed-exitcode",
                    "-var-file=env.tfvars", "-var-file=upstream.tfvars", "-out=drift.tfplan", "-json"]


def _graph() -> StackGraph:
    here = Path(".")
    return StackGraph({
        "alb": Stack("alb", "alb", here, here),
        "ecs": Stack("ecs", "ecs", here, here, (Input("listener_arn", "alb", "listener_arn"),)),
        "api_gateway": Stack("api_gateway", "api_gateway", here, here, (Input("listener_arn", "alb", "listener_arn"),)),
    })


PLAN = {
    "resource_drift": [
        {"address": "aws_ecs_service.fixed[0]", "type": "aws_ecs_service", "change": {
            "actions": ["update"], "before": {"desired_count": 1, "tags": {"A": "1"}, "secret": "hunter22", "name": "web"},
            "after": {"desired_count": 3, "tags": {"A": "1", "Owner": "alice"}, "secret": "hunter33", "name": "web"},
            "before_sensitive": {"secret": True}, "after_sensitive": {"secret": True}}},
        {"address": "aws_apigatewayv2_vpc_link.this", "type": "aws_apigatewayv2_vpc_link", "change": {
            "actions": ["delete"], "before": {"id": "abc"}, "after": None}},
    ],
    "output_changes": {
        "listener_arn": {"actions": ["update"], "before": "arn:old", "after": "arn:new"},
        "alb_arn": {"actions": ["no-op"], "before": "x", "after": "x"},
    },
}


def test_resource_drift_old_to_new_masked_by_terraforms_marks():
    masked = secrets.mask_plan(copy.deepcopy(PLAN))
    found = drift.resource_drifts(PLAN, masked)
    service, link = found
    assert [(c.path, c.old, c.new) for c in service.changes] == [
        ("desired_count", 1, 3), ("secret", "(sensitive)", "(sensitive)"), ("tags.Owner", None, "alice")]
    assert link.action == "delete" and link.changes == []


def test_outputs_that_moved_name_their_readers():
    found = drift.output_drifts(PLAN, PLAN, _graph(), "alb")
    assert [(o.name, o.old, o.new, o.readers) for o in found] == [
        ("listener_arn", "arn:old", "arn:new", ["ecs.listener_arn", "api_gateway.listener_arn"])]


def test_configuration_drift_from_the_run_record(tmp_path):
    applied = 'name = "web"\ndesired_count = 1\ntags = {\n  A = "1"\n}\n'
    result = StackResult("ecs", status="ok", finished_at=0.0)
    run_record.save(tmp_path, "apply", [result], {"ecs": applied})
    entry = run_record.load(tmp_path)["ecs"]
    assert entry["inputs_sha256"] == saved_plan.inputs_sha256(applied)
    assert drift.configuration_drift(entry, applied).state == "unchanged"
    moved = drift.configuration_drift(entry, applied.replace("desired_count = 1", "desired_count = 2"))
    assert moved.state == "changed" and moved.keys == ["desired_count"]
    # A failed apply keeps the digest of the last one that succeeded.
    run_record.save(tmp_path, "apply", [StackResult("ecs", status="failed")], {"ecs": "other"})
    assert run_record.load(tmp_path)["ecs"]["inputs_sha256"] == saved_plan.inputs_sha256(applied)
    assert drift.configuration_drift(None, applied).state == "unknown"


def test_accept_hints_map_an_attribute_back_to_its_key():
    plan = {"configuration": {"root_module": {"resources": [{"address": "aws_ecs_service.fixed", "expressions": {
        "desired_count": {"references": ["var.desired_count"]}, "cluster": {"references": ["aws_ecs_cluster.this.id"]},
        "name": {"references": ["var.name"]}}}]}}}
    template = 'name = {{ name }}\ndesired_count = {{ app.desired_count }}\nlisten = {{ "x" if app.tls else "y" }}\n'
    changes = [drift.AttributeChange("desired_count", 1, 3), drift.AttributeChange("cluster", "a", "b"),
               drift.AttributeChange("name", "web", "web2")]
    hints = drift.accept_hints("ecs", plan, [drift.ResourceDrift("aws_ecs_service.fixed[0]", "aws_ecs_service", "update", changes)],
                               _graph(), template, "ecs.tfvars.j2", {"name": "shop", "app": {"desired_count": 1, "tls": False}})
    assert [(h.attribute, h.key) for h in hints] == [("desired_count", "app.desired_count"), ("cluster", None), ("name", "name")]
    assert hints[0].note.startswith("set app.desired_count: 3") and hints[1].note.startswith("cannot tell")
    assert drift.environment_keys(template.splitlines()[2], {"app": {"tls": True}}) == ["app.tls"]


def _outcome(**extra) -> drift.DriftOutcome:
    masked = secrets.mask_plan(copy.deepcopy(PLAN))
    ecs = drift.StackDrift("ecs", StackResult("ecs", status="ok"), resources=drift.resource_drifts(PLAN, masked),
                           configuration=drift.ConfigurationDrift("unchanged", "same"))
    alb = drift.StackDrift("alb", StackResult("alb", status="ok"), outputs=drift.output_drifts(PLAN, PLAN, _graph(), "alb"),
                           configuration=drift.ConfigurationDrift("unchanged", "same"))
    api = drift.StackDrift("api_gateway", StackResult("api_gateway", status="no-changes"), affected_by=["alb.listener_arn (var.listener_arn)"],
                           configuration=drift.ConfigurationDrift("unchanged", "same"))
    return drift.DriftOutcome("prod", "aws", [alb, ecs, api], **extra)


def test_report_markdown_and_exit_code():
    outcome = _outcome()
    assert outcome.exit_code == 3  # drift; 2 stays bad input
    secrets.MASK.add("alice")  # a value the run resolved as a secret is masked in the text too
    (text,) = drift_report.render(outcome)
    assert "**Drift detected**: changed outside Terraform in `alb`, `ecs`." in text
    assert "| `aws_ecs_service.fixed[0]` | `desired_count` | `1` | `3` |" in text
    assert "| `aws_ecs_service.fixed[0]` | `secret` | `(sensitive)` | `(sensitive)` |" in text
    assert "hunter" not in text and "alice" not in text
    assert "> - `api_gateway` reads `alb.listener_arn (var.listener_arn)`" in text
    assert "drift prod --remediate plan" in text
    quiet = drift.DriftOutcome("prod", "aws", [drift.StackDrift("ecs", StackResult("ecs", status="no-changes"),
                                                                configuration=drift.ConfigurationDrift("unchanged", ""))])
    assert quiet.exit_code == 0 and "**No drift**" in drift_report.render(quiet)[0]


def test_long_report_is_split_with_pr_comments_rules(tmp_path):
    outcome = _outcome()
    outcome.stacks[1].resources[0].changes *= 400
    parts = drift_report.render(outcome, limit=8000)
    assert len(parts) > 1 and all(len(p.encode()) <= 8000 for p in parts)
    assert parts[1].startswith("Continued")
    written = drift_report.write(parts, tmp_path / "drift.md")
    assert written[:2] == [tmp_path / "drift.md", tmp_path / "drift.md.2"]
    drift_report.write(parts[:1], tmp_path / "drift.md")
    assert not (tmp_path / "drift.md.2").exists()


def test_null_to_empty_is_normalisation_not_drift():
    plan = {"resource_drift": [{"address": "aws_apigatewayv2_stage.this", "type": "aws_apigatewayv2_stage", "change": {
        "actions": ["update"], "before": {"stage_variables": None, "n": 1}, "after": {"stage_variables": {}, "n": 1}}}]}
    assert drift.resource_drifts(plan, plan) == []
    plan["resource_drift"][0]["change"]["after"]["n"] = 2
    assert [c.path for c in drift.resource_drifts(plan, plan)[0].changes] == ["n"]


def test_drift_of_a_service_names_the_service():
    plan = {"resource_drift": [{"address": 'aws_ecs_service.service_fixed["orders"]', "type": "aws_ecs_service", "change": {
        "actions": ["update"], "before": {"desired_count": 1, "tags": {"Service": "orders"}},
        "after": {"desired_count": 4, "tags": {"Service": "orders"}}}}]}
    [found] = drift.resource_drifts(plan, copy.deepcopy(plan))
    assert found.service == "orders"
    outcome = drift.DriftOutcome("prod", "aws", [drift.StackDrift("ecs", StackResult("ecs", status="ok"), resources=[found])])
    assert '| `aws_ecs_service.service_fixed["orders"]` (service `orders`) | `desired_count` | `1` | `4` |' in drift_report.render(outcome)[0]
    assert outcome.stacks[0].document()["resources"][0]["service"] == "orders"
