"""Plan, apply, re-plan, update, replace, refresh, drift, import and destroy through real Terraform.

The tests of this module share one workspace (one init, one cloud store) but not an order: each
test first brings the workspace to the state it starts from (``applied`` or ``fresh``), so any
test passes alone, and in any order.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from orchestrator.terraform.engine import resolve_binary
from orchestrator.local_provider import CLOUD_DIR_ENV
from orchestrator.local_provider.store import Store

pytestmark = [pytest.mark.terraform]

MAIN_TF = """
data "aws_availability_zones" "available" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_vpc_endpoint_service" "ecr_api" {
  service = "ecr.api"
}
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_vpc" "this" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "%(vpc_name)s" }
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = "%(subnet_cidr)s"
  availability_zone = data.aws_availability_zones.available.names[1]
}

resource "aws_security_group" "alb" {
  name_prefix = "alb-"
  description = "ALB"
  vpc_id      = aws_vpc.this.id
}

resource "aws_lb" "this" {
  name               = "shop"
  internal           = true
  load_balancer_type = "application"
  subnets            = [aws_subnet.private.id]
  security_groups    = [aws_security_group.alb.id]
}

resource "aws_lb_target_group" "this" {
  name        = "shop-tg"
  vpc_id      = aws_vpc.this.id
  target_type = "ip"
  port        = 8080
  protocol    = "HTTP"
  health_check {
    path = "/health"
  }
}

resource "aws_lb_listener" "this" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}

resource "aws_apigatewayv2_api" "this" {
  name          = "shop"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_vpc_link" "this" {
  name               = "shop"
  security_group_ids = [aws_security_group.alb.id]
  subnet_ids         = [aws_subnet.private.id]
}

resource "aws_apigatewayv2_integration" "this" {
  api_id             = aws_apigatewayv2_api.this.id
  integration_type   = "HTTP_PROXY"
  integration_method = "ANY"
  integration_uri    = aws_lb_listener.this.arn
  connection_type    = "VPC_LINK"
  connection_id      = aws_apigatewayv2_vpc_link.this.id
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
}

resource "aws_iam_role" "task" {
  name               = "shop-task"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

output "policy" {
  value = data.aws_iam_policy_document.assume.json
}
"""
DEFAULTS = {"vpc_name": "shop", "subnet_cidr": "10.0.1.0/24"}


def config(**changes) -> str:
    return MAIN_TF % {**DEFAULTS, **changes}


def applied(workspace, **changes) -> dict[str, dict]:
    """The workspace applied with ``config(**changes)``, from whatever state it is in; its state."""
    workspace.write(config(**changes))
    workspace.tf("apply", "-auto-approve", "-no-color", "-input=false")
    return workspace.state()


def fresh(workspace) -> None:
    """Nothing applied: the configuration written, state and store empty."""
    workspace.write(config())
    if workspace.state():
        workspace.tf("destroy", "-auto-approve", "-no-color", "-input=false")


def test_plan_marks_computed_attributes_unknown(workspace):
    fresh(workspace)
    plan = workspace.plan_json()
    assert all(actions == ["create"] for actions in workspace.changes(plan).values())
    vpc = next(c["change"] for c in plan["resource_changes"] if c["address"] == "aws_vpc.this")
    assert vpc["after_unknown"]["id"] is True and vpc["after_unknown"]["arn"] is True
    assert vpc["after"]["cidr_block"] == "10.0.0.0/16"
    # derivations known at plan time, like the real provider
    assert vpc["after"]["region"] == "eu-west-1"
    assert vpc["after"]["tags_all"] == {"Name": "shop", "ManagedBy": "orchestrator"}
    listener = next(c["change"] for c in plan["resource_changes"] if c["address"] == "aws_lb_listener.this")
    # a block with max one item is a list in the plan JSON, as with the real provider
    assert isinstance(listener["after"]["default_action"], list)


def test_apply_returns_realistic_values(workspace):
    fresh(workspace)
    workspace.plan_json()
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    state = workspace.state()
    vpc = state["aws_vpc.this"]
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", vpc["id"])
    assert vpc["arn"] == f"arn:aws:ec2:eu-west-1:111111111111:vpc/{vpc['id']}"
    assert vpc["owner_id"] == "111111111111"
    assert re.fullmatch(r"rtb-[0-9a-f]{17}", vpc["main_route_table_id"])
    subnet = state["aws_subnet.private"]
    assert re.fullmatch(r"subnet-[0-9a-f]{17}", subnet["id"])
    assert subnet["availability_zone"] == "eu-west-1b" and subnet["availability_zone_id"] == "euw1-az2"
    assert re.fullmatch(r"sg-[0-9a-f]{17}", state["aws_security_group.alb"]["id"])
    assert state["aws_security_group.alb"]["name"].startswith("alb-")
    lb = state["aws_lb.this"]
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/shop/[0-9a-f]{16}", lb["arn"])
    assert lb["id"] == lb["arn"] and lb["arn_suffix"] == lb["arn"].split("loadbalancer/")[1]
    assert re.fullmatch(r"internal-shop-\d{10}\.eu-west-1\.elb\.amazonaws\.com", lb["dns_name"])
    assert lb["vpc_id"] == vpc["id"] and lb["zone_id"] == "Z32O12XQLNTSW2"
    listener = state["aws_lb_listener.this"]
    assert listener["arn"].startswith(lb["arn"].replace(":loadbalancer/", ":listener/") + "/")
    assert listener["default_action"][0]["order"] == 1  # computed inside a nested block
    target_group = state["aws_lb_target_group.this"]
    assert re.search(r":targetgroup/shop-tg/[0-9a-f]{16}$", target_group["arn"])
    assert target_group["health_check"][0]["matcher"] == "200" and target_group["health_check"][0]["path"] == "/health"
    api = state["aws_apigatewayv2_api.this"]
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert api["api_endpoint"] == f"https://{api['id']}.execute-api.eu-west-1.amazonaws.com"
    assert api["execution_arn"] == f"arn:aws:execute-api:eu-west-1:111111111111:{api['id']}"
    link = state["aws_apigatewayv2_vpc_link.this"]
    assert re.fullmatch(r"[a-z0-9]{6}", link["id"]) and link["arn"].endswith(f"/vpclinks/{link['id']}")
    assert state["aws_apigatewayv2_integration.this"]["connection_id"] == link["id"]
    stage = state["aws_apigatewayv2_stage.default"]
    assert stage["invoke_url"] == f"https://{api['id']}.execute-api.eu-west-1.amazonaws.com/"
    role = state["aws_iam_role.task"]
    assert role["arn"] == "arn:aws:iam::111111111111:role/shop-task"
    assert role["tags_all"] == {"ManagedBy": "orchestrator"}


def test_show_works_without_the_local_provider_environment(workspace):
    """The orchestrator's contract: `terraform -chdir=WORKDIR show -json` after the run."""
    applied(workspace)
    workspace.plan_json()  # leaves the saved plan tfplan
    environ = {k: v for k, v in os.environ.items() if k not in ("TF_CLI_CONFIG_FILE", CLOUD_DIR_ENV)}
    for args in (["show", "-json"], ["show", "-json", "tfplan"]):
        done = subprocess.run([resolve_binary().path, f"-chdir={workspace.dir}", *args], env=environ,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["format_version"]


def test_data_sources_answer_consistently(workspace):
    applied(workspace)
    shown = workspace.tf("show", "-json").json
    data = {r["address"]: r["values"] for r in shown["values"]["root_module"]["resources"] if r["mode"] == "data"}
    assert data["data.aws_availability_zones.available"]["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert data["data.aws_caller_identity.current"]["account_id"] == "111111111111"
    assert data["data.aws_partition.current"]["partition"] == "aws"
    assert data["data.aws_region.current"]["region"] == "eu-west-1"
    assert data["data.aws_vpc_endpoint_service.ecr_api"]["service_name"] == "com.amazonaws.eu-west-1.ecr.api"
    assert data["data.aws_vpc_endpoint_service.ecr_api"]["service_type"] == "Interface"
    policy = shown["values"]["outputs"]["policy"]["value"]
    assert policy == json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}, indent=2)


def test_replan_without_changes(workspace):
    applied(workspace)
    run = workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False)
    assert run.code == 0, run.output


def test_update_keeps_prior_computed_values(workspace):
    before = applied(workspace)["aws_vpc.this"]
    workspace.write(config(vpc_name="shop-renamed"))
    plan = workspace.plan_json()
    assert workspace.changes(plan)["aws_vpc.this"] == ["update"]
    vpc = next(c["change"] for c in plan["resource_changes"] if c["address"] == "aws_vpc.this")
    assert vpc["after_unknown"].get("id") is not True and vpc["after"]["id"] == before["id"]
    assert vpc["after"]["arn"] == before["arn"]
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    assert workspace.state()["aws_vpc.this"]["id"] == before["id"]


def test_force_new_attribute_replaces(workspace):
    before = applied(workspace, vpc_name="shop-renamed")["aws_subnet.private"]["id"]
    workspace.write(config(vpc_name="shop-renamed", subnet_cidr="10.0.2.0/24"))
    plan = workspace.plan_json()
    assert workspace.changes(plan)["aws_subnet.private"] == ["delete", "create"]
    change = next(c for c in plan["resource_changes"] if c["address"] == "aws_subnet.private")
    assert ["cidr_block"] in change["change"]["replace_paths"]
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    after = workspace.state()["aws_subnet.private"]["id"]
    assert after != before
    assert before not in workspace.store["aws_subnet"] and after in workspace.store["aws_subnet"]


def test_refresh_reads_the_store(workspace):
    """A change made behind Terraform's back (in the store) is what a refresh reads, and a plan undoes."""
    vpc = applied(workspace)["aws_vpc.this"]
    store = Store(Path(workspace.env["ORCHESTRATOR_LOCAL_CLOUD_DIR"]))
    changed = {**store.get("aws_vpc", vpc["id"]), "enable_dns_hostnames": False}
    store.put("aws_vpc", vpc["id"], changed)
    workspace.tf("apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false")
    assert workspace.state()["aws_vpc.this"]["enable_dns_hostnames"] is False
    plan = workspace.plan_json()
    assert workspace.changes(plan)["aws_vpc.this"] == ["update"]
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    assert store.get("aws_vpc", vpc["id"])["enable_dns_hostnames"] is True


def test_object_deleted_from_the_store_is_drift_and_recreated(workspace):
    link_id = applied(workspace)["aws_apigatewayv2_vpc_link.this"]["id"]
    Store(Path(workspace.env["ORCHESTRATOR_LOCAL_CLOUD_DIR"])).delete("aws_apigatewayv2_vpc_link", link_id)
    plan = workspace.plan_json()
    assert workspace.changes(plan)["aws_apigatewayv2_vpc_link.this"] == ["create"]
    drift = {d["address"]: d["change"]["actions"] for d in plan.get("resource_drift", [])}
    assert drift.get("aws_apigatewayv2_vpc_link.this") == ["delete"]
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    assert workspace.state()["aws_apigatewayv2_vpc_link.this"]["id"] != link_id


def test_import_block_yields_stored_attributes(workspace):
    state = applied(workspace)
    vpc, stage = state["aws_vpc.this"], state["aws_apigatewayv2_stage.default"]
    workspace.tf("state", "rm", "aws_vpc.this", "aws_apigatewayv2_stage.default")
    (workspace.dir / "imports.tf").write_text(
        f'import {{\n  to = aws_vpc.this\n  id = "{vpc["id"]}"\n}}\n'
        # the real provider imports a stage as API_ID/NAME, not by its id
        f'import {{\n  to = aws_apigatewayv2_stage.default\n  id = "{stage["api_id"]}/$default"\n}}\n'
    )
    try:
        plan = workspace.plan_json()
        for address, wanted in (("aws_vpc.this", vpc["id"]), ("aws_apigatewayv2_stage.default", f"{stage['api_id']}/$default")):
            change = next(c for c in plan["resource_changes"] if c["address"] == address)
            assert change["change"]["actions"] == ["no-op"] and change["change"]["importing"]["id"] == wanted
        workspace.tf("apply", "-no-color", "-input=false", "tfplan")
        after = workspace.state()
        assert after["aws_vpc.this"]["arn"] == vpc["arn"]
        assert after["aws_apigatewayv2_stage.default"]["invoke_url"] == stage["invoke_url"]
    finally:
        (workspace.dir / "imports.tf").unlink()


def test_import_of_a_missing_object_fails(workspace):
    applied(workspace)
    workspace.tf("state", "rm", "aws_iam_role.task")
    imports = workspace.dir / "imports.tf"
    try:
        imports.write_text('import {\n  to = aws_iam_role.task\n  id = "no-such-role"\n}\n')
        run = workspace.tf("plan", "-no-color", "-input=false", check=False)
        assert run.code != 0 and "Cannot import non-existent remote object" in run.output
        imports.write_text('import {\n  to = aws_iam_role.task\n  id = "shop-task"\n}\n')
        workspace.tf("apply", "-auto-approve", "-no-color", "-input=false")
    finally:
        imports.unlink()
    assert workspace.state()["aws_iam_role.task"]["arn"] == "arn:aws:iam::111111111111:role/shop-task"


def test_destroy_empties_the_store(workspace):
    assert applied(workspace) and workspace.store.get("aws_vpc")
    workspace.tf("destroy", "-auto-approve", "-no-color", "-input=false")
    assert workspace.state() == {}
    assert not any(objects for type_name, objects in workspace.store.items() if type_name.startswith("aws_"))
