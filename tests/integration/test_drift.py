"""`drift` end to end on real Terraform: out-of-band changes, then the report.

Built-in provider: the `local` environment applied in a private copy, changed behind Terraform's back
with the documented `local-cloud edit|delete` commands. Real provider (`--provider moto`): staging
applied against moto, changed with boto3 in the environment's account; skipped with the build
command when the provider is not built.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from helpers import REPO, copy_project, run_cli

pytestmark = [pytest.mark.terraform, pytest.mark.moto]

INGRESS = json.dumps([{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "description": "console",
                       "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False}])


@pytest.fixture(scope="module")
def applied(tmp_path_factory) -> Path:
    """The `local` environment applied in a private copy (this module changes its cloud)."""
    root = tmp_path_factory.mktemp("drift") / "project"
    copy_project(root)
    done = run_cli(root, "apply", "local", "--auto-approve", timeout=900)
    assert done.code == 0, done.stderr[-4000:]
    yield root
    run_cli(root, "destroy", "local", "--auto-approve", timeout=900)


def _ids(root: Path, type_name: str) -> list[str]:
    done = run_cli(root, "local-cloud", "list", "local", type_name, "--json")
    assert done.code == 0, done.stderr
    return done.json[type_name]


def _edit(root: Path, *args: str) -> None:
    done = run_cli(root, "local-cloud", *args)
    assert done.code == 0, done.stderr


def _outputs(root: Path) -> dict:
    done = run_cli(root, "output", "local", "--json")
    assert done.code == 0, done.stderr
    return {s["name"]: s["outputs"] for s in done.json["stacks"]}


def _line_of(variable: str) -> int:
    """The line of the ecs template that renders ``variable``."""
    lines = (REPO / "environments" / "templates" / "ecs.tfvars.j2").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(f"{variable} "))


def _drift(root: Path, *extra: str):
    done = run_cli(root, "drift", "local", "--json", "--report-file", str(root / "drift.md"), *extra, timeout=600)
    return done, {s["name"]: s for s in done.json["stacks"]}, (root / "drift.md").read_text()


def test_out_of_band_changes_are_reported_then_remediated(applied):
    root = applied
    clean, stacks, report = _drift(root)
    assert clean.code == 0, clean.stderr[-3000:]
    assert not any(s["drifted"] for s in stacks.values())
    assert {s["configuration"]["state"] for s in stacks.values()} == {"unchanged"}  # the apply recorded its inputs
    assert "**No drift**" in report

    outputs = _outputs(root)
    alb_sg, listener = outputs["alb"]["security_group_id"], outputs["alb"]["listener_arn"]
    link = outputs["vpc_link"]["vpc_link_id"]
    service = _ids(root, "aws_ecs_service")[0]
    replaced = listener[:-4] + "beef"
    # What a person does in the console: a rule opened, the service scaled, the VPC link deleted,
    # a security group retagged, the listener recreated (a new ARN that two stacks read).
    _edit(root, "edit", "local", "aws_security_group", alb_sg, f"ingress={INGRESS}", "tags.Owner=alice")
    _edit(root, "edit", "local", "aws_ecs_service", service, "desired_count=3")
    _edit(root, "delete", "local", "aws_apigatewayv2_vpc_link", link)
    _edit(root, "edit", "local", "aws_lb_listener", listener, f"arn={replaced}")

    drifted, stacks, report = _drift(root, "--provider", "local")
    assert drifted.code == 3, drifted.stderr[-3000:]
    assert drifted.json["drifted"] is True and drifted.json["exit_code"] == 3
    alb = {r["address"]: r for r in stacks["alb"]["resources"]}
    sg_changes = {a["path"]: a for a in alb["aws_security_group.this"]["attributes"]}
    assert sg_changes["ingress"]["old"] == [] and sg_changes["ingress"]["new"][0]["from_port"] == 22
    assert sg_changes["tags.Owner"]["old"] is None and sg_changes["tags.Owner"]["new"] == "alice"
    assert alb["aws_lb_listener.this"]["attributes"] == [{"path": "arn", "old": listener, "new": replaced}]
    ecs = {r["address"]: r for r in stacks["ecs"]["resources"]}
    assert ecs["aws_ecs_service.fixed[0]"]["attributes"] == [{"path": "desired_count", "old": 1, "new": 3}]
    link_drift = {r["address"]: r for r in stacks["vpc_link"]["resources"]}["aws_apigatewayv2_vpc_link.this"]
    assert link_drift["action"] == "delete"
    # The replaced listener's ARN flags the stacks that read it.
    assert [o["name"] for o in stacks["alb"]["outputs"]] == ["listener_arn"]
    assert set(stacks["alb"]["outputs"][0]["read_by"]) == {"api_gateway.listener_arn", "ecs.listener_arn"}
    assert stacks["api_gateway"]["affected_by"] == ["alb.listener_arn (var.listener_arn)", "vpc_link.vpc_link_id (var.vpc_link_id)"]
    assert stacks["api_gateway"]["resources"] == [] and stacks["network"]["drifted"] is False
    # The Markdown report says the same.
    assert "**Drift detected**" in report and "`api_gateway` reads `alb.listener_arn (var.listener_arn)`" in report
    assert "| `aws_ecs_service.fixed[0]` | `desired_count` | `1` | `3` |" in report
    assert "| `aws_apigatewayv2_vpc_link.this` | *deleted outside Terraform* | | |" in report
    assert "| `aws_security_group.this` | `tags.Owner` | *null* | `alice` |" in report
    # The rule is no object of Terraform's: the report says no apply removes it, and how to.
    (left,) = stacks["alb"]["not_reverted"]
    assert (left["address"], left["attribute"], left["id"]) == ("aws_security_group.this", "ingress", alb_sg)
    assert left["added"][0]["cidr_blocks"] == ["0.0.0.0/0"] and left["added"][0]["from_port"] == 22
    assert left["command"] == f"python -m orchestrator local-cloud edit local aws_security_group {alb_sg} 'ingress=[]'"
    assert "### Terraform will not revert" in report and left["command"] in report
    # Every command the report suggests keeps the run's options (copied as printed, they act where it looked).
    assert "`python -m orchestrator drift local --provider local --remediate plan`" in report
    assert "0 no drift, 3 drift, 1 error" in report
    # Nothing was written: state still holds the applied values (a second run sees the same drift).
    assert _outputs(root)["alb"]["listener_arn"] == listener

    # Remediation: the plan brings the cloud back; the apply needs approval, then does it.
    planned = run_cli(root, "drift", "local", "--remediate", "plan", "--json", timeout=600)
    assert planned.code == 3, planned.stderr[-3000:]
    remediation = {r["name"]: r for r in planned.json["remediation"]["stacks"]}
    assert set(remediation) == {"alb", "ecs", "vpc_link", "api_gateway", "keepalive"}  # drifted + their dependents
    assert remediation["ecs"]["changes"]["change"] >= 1 and remediation["vpc_link"]["changes"]["add"] == 1
    refused = run_cli(root, "drift", "local", "--remediate", "apply", timeout=600)
    assert refused.code == 2 and "needs approval" in refused.stderr
    # The rule opened in the console is not Terraform's (the module manages its rules as separate
    # resources), so no apply removes it: the policy checks of alb's plan see SSH open to the world
    # and refuse to apply it (rather than writing the open rule into state as if it were fine).
    blocked = run_cli(root, "drift", "local", "--remediate", "apply", "--auto-approve", "--json", timeout=900)
    blocked_stacks = {r["name"]: r for r in blocked.json["remediation"]["stacks"]}
    assert blocked_stacks["alb"]["status"] == "failed" and "ORCH_AWS_2 aws_security_group.this" in blocked_stacks["alb"]["error"]
    assert blocked_stacks["alb"]["error"].startswith("policy checks failed (CKV_AWS_24, ORCH_AWS_2); nothing was applied to this stack\n")
    assert "(policy checks failed (CKV_AWS_24, ORCH_AWS_2); nothing was applied to this stack)" in blocked.stderr
    assert {blocked_stacks[n]["status"] for n in ("api_gateway", "keepalive")} == {"skipped"}
    _edit(root, *shlex.split(left["command"])[4:])  # the person runs the report's command, as printed
    applied_run = run_cli(root, "drift", "local", "--remediate", "apply", "--auto-approve", "--json", timeout=900)
    assert applied_run.code == 3, applied_run.stderr[-3000:]  # the drift it found
    assert {r["status"] for r in applied_run.json["remediation"]["stacks"]} <= {"ok", "no-changes"}, applied_run.stderr[-3000:]
    after, stacks, _report = _drift(root)
    assert after.code == 0, [(n, s["resources"], s["outputs"], s["configuration"]) for n, s in stacks.items() if s["drifted"]]


def test_configuration_drift_and_accept(applied):
    root = applied
    env_file = root / "environments" / "local.yaml"
    original = env_file.read_text()
    env_file.write_text(original.replace("desired_count: 1", "desired_count: 2"))
    try:
        changed, stacks, report = _drift(root, "--stack", "ecs")
    finally:
        env_file.write_text(original)
    assert changed.code == 3, changed.stderr[-3000:]
    assert list(stacks) == ["ecs"] and stacks["ecs"]["resources"] == []
    assert stacks["ecs"]["configuration"]["state"] == "changed" and stacks["ecs"]["configuration"]["keys"] == ["desired_count"]
    assert "### Configuration drift" in report and "`desired_count`" in report

    service = _ids(root, "aws_ecs_service")[0]
    _edit(root, "edit", "local", "aws_ecs_service", service, "desired_count=5")
    accepted = run_cli(root, "drift", "local", "--stack", "ecs", "--accept", "--json", timeout=600)
    assert accepted.code == 3, accepted.stderr[-3000:]
    hints = accepted.json["stacks"][0]["accept_keys"]
    assert {"address": "aws_ecs_service.fixed[0]", "attribute": "desired_count", "new": 5, "key": "app.desired_count",
            "note": f"set app.desired_count: 5 to keep the cloud's value (environments/templates/ecs.tfvars.j2 line {_line_of('desired_count')})"} in hints
    # State took the cloud's value: no drift any more, and a plan would put main's value back.
    again = run_cli(root, "drift", "local", "--stack", "ecs", "--json", timeout=600)
    assert again.code == 0, again.stderr[-3000:]
    plan = run_cli(root, "plan", "local", "--stack", "ecs", "--json", timeout=600)
    assert plan.code == 0 and plan.json["stacks"][0]["changes"]["change"] == 1
    done = run_cli(root, "apply", "local", "--stack", "ecs", "--auto-approve", timeout=600)
    assert done.code == 0, done.stderr[-3000:]


def test_local_cloud_edit_refuses_what_is_not_there(applied):
    unknown = run_cli(applied, "local-cloud", "edit", "local", "aws_nothing", "x", "a=1")
    assert unknown.code == 2 and "no object of type 'aws_nothing'" in unknown.stderr
    missing = run_cli(applied, "local-cloud", "delete", "local", "aws_ecs_service", "no-such-id")
    assert missing.code == 2 and "no aws_ecs_service 'no-such-id'" in missing.stderr
    usage = run_cli(applied, "local-cloud", "edit", "local", "aws_ecs_service")
    assert usage.code == 2 and "usage: local-cloud edit ENV TYPE ID KEY=VALUE" in usage.stderr


# --- the real provider against moto --------------------------------------------------------------
# keepalive is left out: moto's CloudWatch answers the provider's PutMetricAlarm with 404 (smithy protocol).
MOTO_STACKS = ("--stack", "network", "--stack", "alb", "--stack", "ecs", "--stack", "vpc_link", "--stack", "api_gateway")

@pytest.fixture(scope="module")
def moto_applied(tmp_path_factory):
    """staging applied with --provider moto in a private copy and a private local cloud; skipped,
    with the command that builds it, when the real provider is not built here."""
    from orchestrator.config.project import Project
    from orchestrator.local_cloud import moto_server
    from orchestrator.tools import real_provider_mirror

    if real_provider_mirror() is None:
        pytest.skip("the real hashicorp/aws provider is not built here: python -m orchestrator tools build terraform-provider-aws")
    base = tmp_path_factory.mktemp("drift-moto")
    root, work = base / "project", base / "work"
    copy_project(root)
    environ = {"ORCHESTRATOR_WORK_DIR": str(work)}
    project = Project(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORCHESTRATOR_WORK_DIR", str(work))  # this process's server record is the commands' one
        try:
            server = moto_server.up(project)
            done = run_cli(root, "apply", "staging", *MOTO_STACKS, "--provider", "moto", "--auto-approve", env=environ, timeout=2400)
            assert done.code == 0, done.stderr[-4000:]
            yield root, environ, server
        finally:
            moto_server.down(project)


@pytest.mark.real_provider
@pytest.mark.slow  # staging applied on the real provider: about 5 min (297 s on 2026-12-05)
def test_console_changes_on_moto_are_reported(moto_applied):
    from orchestrator.status.sources import AwsSource
    from orchestrator.local_cloud.moto_server import CREDENTIALS

    root, environ, server = moto_applied
    # Right after an apply, the real provider's first refresh reads what other resources of the stack filled
    # in (a security group's rules from rule resources, a role's inline policy): accepted once as the baseline.
    baseline = run_cli(root, "drift", "staging", *MOTO_STACKS, "--provider", "moto", "--accept", "--json", env=environ, timeout=2400)
    assert baseline.code in (0, 3), baseline.stderr[-3000:]
    clean = run_cli(root, "drift", "staging", *MOTO_STACKS, "--provider", "moto", "--json", env=environ, timeout=2400)
    assert clean.code == 0, [(s["name"], s["resources"], s["outputs"], s["error"]) for s in clean.json["stacks"] if s["drifted"] or s["error"]]

    done = run_cli(root, "output", "staging", *MOTO_STACKS, "--provider", "moto", "--json", env=environ, timeout=600)
    outputs = {s["name"]: s["outputs"] for s in done.json["stacks"]}
    # A person in the console of staging's account (the rehearsal's role in 222222222222).
    aws = AwsSource.on_moto("eu-west-1", server.endpoint, CREDENTIALS, "arn:aws:iam::222222222222:role/orchestrator-rehearsal")
    ec2, ecs, elb, apigw = (aws.client(s) for s in ("ec2", "ecs", "elbv2", "apigatewayv2"))
    alb_sg = outputs["alb"]["security_group_id"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "console"}]}])
    ec2.create_tags(Resources=[alb_sg], Tags=[{"Key": "Owner", "Value": "alice"}])
    ecs.update_service(cluster=outputs["ecs"]["cluster_name"], service=outputs["ecs"]["service_name"], desiredCount=5)
    apigw.delete_vpc_link(VpcLinkId=outputs["vpc_link"]["vpc_link_id"])
    old = elb.describe_listeners(ListenerArns=[outputs["alb"]["listener_arn"]])["Listeners"][0]
    elb.delete_listener(ListenerArn=old["ListenerArn"])
    new = elb.create_listener(LoadBalancerArn=old["LoadBalancerArn"], Protocol=old["Protocol"], Port=old["Port"],
                              DefaultActions=old["DefaultActions"])["Listeners"][0]
    assert new["ListenerArn"] != old["ListenerArn"]

    drifted = run_cli(root, "drift", "staging", *MOTO_STACKS, "--provider", "moto", "--json", "--report-file", str(root / "drift.md"),
                      env=environ, timeout=2400)
    assert drifted.code == 3, drifted.stderr[-3000:]
    stacks = {s["name"]: s for s in drifted.json["stacks"]}
    alb = {r["address"]: r for r in stacks["alb"]["resources"]}
    sg = {a["path"].split("[")[0].split(".")[0]: a for a in alb["aws_security_group.this"]["attributes"]}
    assert "ingress" in sg and "22" in json.dumps(sg["ingress"]["new"])
    assert any(a["path"] == "tags.Owner" and a["new"] == "alice" for a in alb["aws_security_group.this"]["attributes"])
    assert alb["aws_lb_listener.this"]["action"] == "delete"  # the old listener is gone; the new one is not Terraform's
    service_drift = next(r for r in stacks["ecs"]["resources"] if r["type"] == "aws_ecs_service")
    assert {"path": "desired_count", "old": 2, "new": 5} in service_drift["attributes"]
    link = next(r for r in stacks["vpc_link"]["resources"] if r["type"] == "aws_apigatewayv2_vpc_link")
    assert link["action"] == "delete"
    assert "alb.listener_arn (var.listener_arn)" in stacks["api_gateway"]["affected_by"]
    report = (root / "drift.md").read_text()
    assert "**Drift detected**" in report and "`api_gateway` reads `alb.listener_arn (var.listener_arn)`" in report
