"""Behaviour the real hashicorp/aws has, reproduced through real Terraform on the local stand-in.

Each case was a difference between the two (issue 14); the facts come from the real provider's
schema and source (ForceNew, Default, ConflictsWith, ExactlyOneOf, CustomizeDiff, validators) and
from the AWS API's refusals. The tests of this module share one workspace and run in order.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.terraform]

VPC = 'resource "aws_vpc" "v" {\n  cidr_block = "10.20.0.0/16"\n  assign_generated_ipv6_cidr_block = %s\n}\n'


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- validation -----------------------------------------------------------------------------

INVALID = {
    "name with name_prefix (ConflictsWith)": (
        'resource "aws_security_group" "x" {\n  name        = "a"\n  name_prefix = "a-"\n}\n',
        ['"name": conflicts with name_prefix', '"name_prefix": conflicts with name'],
    ),
    "cidr_ipv4 with referenced_security_group_id (ExactlyOneOf, framework wording)": (
        'resource "aws_vpc_security_group_ingress_rule" "x" {\n  security_group_id = "sg-1"\n'
        '  ip_protocol = "-1"\n  cidr_ipv4 = "10.0.0.0/8"\n  referenced_security_group_id = "sg-2"\n}\n',
        ["Invalid Attribute Combination",
         "Exactly one of these attributes must be configured: [cidr_ipv4,cidr_ipv6,prefix_list_id,referenced_security_group_id]"],
    ),
    "security group rule without a source": (
        'resource "aws_vpc_security_group_egress_rule" "x" {\n  security_group_id = "sg-1"\n  ip_protocol = "-1"\n}\n',
        ["Missing Attribute Configuration", "Exactly one of these attributes must be configured"],
    ),
    "route without a target": (
        'resource "aws_route" "x" {\n  route_table_id = "rtb-1"\n  destination_cidr_block = "0.0.0.0/0"\n}\n',
        ['"gateway_id": one of `carrier_gateway_id,core_network_arn,egress_only_gateway_id,gateway_id,'
         'local_gateway_id,nat_gateway_id,network_interface_id,odb_network_arn,transit_gateway_id,'
         'vpc_endpoint_id,vpc_peering_connection_id` must be specified'],
    ),
    "route with two targets": (
        'resource "aws_route" "x" {\n  route_table_id = "rtb-1"\n  destination_cidr_block = "0.0.0.0/0"\n'
        '  gateway_id = "igw-1"\n  nat_gateway_id = "nat-1"\n}\n',
        ["can be specified, but `gateway_id,nat_gateway_id` were specified."],
    ),
    "ip target group without port and protocol": (
        'resource "aws_lb_target_group" "x" {\n  name = "tg"\n  target_type = "ip"\n  vpc_id = "vpc-1"\n}\n',
        ['Attribute "port" must be specified when "target_type" is "ip".'],
    ),
    "instance target group (the default type) without vpc_id": (
        'resource "aws_lb_target_group" "x" {\n  name = "tg"\n  port = 80\n  protocol = "HTTP"\n}\n',
        ['Attribute "vpc_id" must be specified when "target_type" is "instance".'],
    ),
    "invalid log group name": (
        'resource "aws_cloudwatch_log_group" "x" {\n  name = "my logs!"\n}\n',
        ["name", "got my logs!"],
    ),
    "evaluation_periods = 0": (
        'resource "aws_cloudwatch_metric_alarm" "x" {\n  alarm_name = "a"\n  comparison_operator = "GreaterThanThreshold"\n'
        '  evaluation_periods = 0\n  metric_name = "CPUUtilization"\n  namespace = "AWS/ECS"\n  period = 60\n'
        '  statistic = "Average"\n  threshold = 80\n}\n',
        ["expected evaluation_periods to be at least (1), got 0"],
    ),
    "a null element in alarm_actions": (
        'resource "aws_cloudwatch_metric_alarm" "x" {\n  alarm_name = "a"\n  comparison_operator = "GreaterThanThreshold"\n'
        '  evaluation_periods = 1\n  metric_name = "CPUUtilization"\n  namespace = "AWS/ECS"\n  period = 60\n'
        '  statistic = "Average"\n  threshold = 80\n  alarm_actions = [null]\n}\n',
        ["Null value found in list", "Null values are not allowed for this attribute value."],
    ),
    "a CIDR with host bits set": (
        'resource "aws_vpc" "x" {\n  cidr_block = "10.0.0.1/16"\n}\n',
        ['"10.0.0.1/16" is not a valid IPv4 CIDR block; did you mean "10.0.0.0/16"?'],
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_configuration_fails_like_the_real_provider(workspace, case):
    main_tf, wanted = INVALID[case]
    workspace.write(main_tf)
    run = workspace.tf("plan", "-no-color", "-input=false", check=False)
    assert run.code == 1, f"{case}: plan passed:\n{run.output}"
    for text in wanted:
        assert _flat(text) in _flat(run.output), f"{case}: {text!r} not in:\n{run.output}"


def test_valid_relations_pass(workspace):
    """The same rules let the correct forms through (one source, one target, name_prefix alone)."""
    workspace.write(
        'resource "aws_security_group" "x" {\n  name_prefix = "a-"\n}\n'
        'resource "aws_vpc_security_group_ingress_rule" "x" {\n  security_group_id = "sg-1"\n'
        '  ip_protocol = "-1"\n  referenced_security_group_id = "sg-2"\n}\n'
        'resource "aws_route" "x" {\n  route_table_id = "rtb-1"\n  destination_cidr_block = "0.0.0.0/0"\n'
        '  gateway_id = "igw-1"\n}\n'
        'resource "aws_lb_target_group" "lambda" {\n  name = "fn"\n  target_type = "lambda"\n}\n'
    )
    workspace.tf("plan", "-no-color", "-input=false")


# -- what the AWS API refuses at apply ------------------------------------------------------

def test_api_refuses_a_slash_8_vpc_and_a_subnet_outside_its_vpc(workspace):
    workspace.write('resource "aws_vpc" "big" {\n  cidr_block = "10.0.0.0/8"\n}\n')
    run = workspace.tf("apply", "-no-color", "-input=false", "-auto-approve", check=False)
    assert run.code == 1 and "InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid." in _flat(run.output)

    workspace.write('resource "aws_vpc" "ok" {\n  cidr_block = "10.30.0.0/16"\n}\n'
                    'resource "aws_subnet" "out" {\n  vpc_id = aws_vpc.ok.id\n  cidr_block = "10.31.0.0/24"\n}\n')
    run = workspace.tf("apply", "-no-color", "-input=false", "-auto-approve", check=False)
    assert run.code == 1 and "InvalidSubnet.Range: The CIDR '10.31.0.0/24' is invalid." in _flat(run.output)
    workspace.write('resource "aws_vpc" "ok" {\n  cidr_block = "10.30.0.0/16"\n}\n'
                    'resource "aws_subnet" "in" {\n  vpc_id = aws_vpc.ok.id\n  cidr_block = "10.30.4.0/24"\n}\n')
    workspace.tf("apply", "-no-color", "-input=false", "-auto-approve")
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")


# -- values known at plan, defaults -----------------------------------------------------------

ACM = """
resource "aws_acm_certificate" "c" {
  domain_name               = "shop.example.com"
  subject_alternative_names = ["www.shop.example.com"]
  validation_method         = "DNS"
}
resource "terraform_data" "validation" {
  for_each = { for o in aws_acm_certificate.c.domain_validation_options : o.domain_name => o }
  input    = [each.value.resource_record_name, each.value.resource_record_type, each.value.resource_record_value]
}
"""


def test_acm_validation_options_known_at_plan_and_filled_after_apply(workspace):
    """The documented for_each over domain_validation_options plans (keys known), and applies."""
    workspace.write(ACM)
    plan = workspace.plan_json()
    assert set(workspace.changes(plan)) == {
        "aws_acm_certificate.c", 'terraform_data.validation["shop.example.com"]',
        'terraform_data.validation["www.shop.example.com"]'}
    cert = next(c for c in plan["resource_changes"] if c["address"] == "aws_acm_certificate.c")["change"]
    assert sorted(o["domain_name"] for o in cert["after"]["domain_validation_options"]) == [
        "shop.example.com", "www.shop.example.com"]
    assert cert["after_unknown"]["domain_validation_options"] == [
        {"resource_record_name": True, "resource_record_type": True, "resource_record_value": True}] * 2
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    state = workspace.state()["aws_acm_certificate.c"]
    assert state["status"] == "PENDING_VALIDATION" and state["type"] == "AMAZON_ISSUED"
    options = {o["domain_name"]: o for o in state["domain_validation_options"]}
    assert set(options) == {"shop.example.com", "www.shop.example.com"}
    assert options["shop.example.com"]["resource_record_type"] == "CNAME"
    assert options["shop.example.com"]["resource_record_name"].endswith(".shop.example.com.")
    assert workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False).code == 0
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")


TARGET_GROUP = """
resource "aws_lb_target_group" "bare" {
  name        = "bare"
  port        = 80
  protocol    = "HTTP"
  vpc_id      = "vpc-1"
  target_type = "ip"
}
resource "aws_lb_target_group" "checked" {
  name     = "checked"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = "vpc-1"
  health_check {
    path = "/health"
  }
}
resource "aws_vpc" "d" {
  cidr_block = "10.40.0.0/16"
}
"""


def test_defaults_are_planned_and_stored_like_the_real_provider(workspace):
    workspace.write(TARGET_GROUP)
    plan = workspace.plan_json()
    after = {c["address"]: c["change"] for c in plan["resource_changes"]}
    bare, checked = after["aws_lb_target_group.bare"], after["aws_lb_target_group.checked"]
    assert bare["after"]["deregistration_delay"] == "300" and bare["after"]["slow_start"] == 0
    assert bare["after_unknown"]["health_check"] is True  # "health_check (known after apply)"
    assert checked["after"]["target_type"] == "instance"
    assert checked["after"]["health_check"][0] | {"matcher": None, "timeout": None} == {
        "enabled": True, "healthy_threshold": 3, "interval": 30, "matcher": None, "path": "/health",
        "port": "traffic-port", "protocol": "HTTP", "timeout": None, "unhealthy_threshold": 3}
    assert after["aws_vpc.d"]["after"]["enable_dns_support"] is True
    assert after["aws_vpc.d"]["after"]["instance_tenancy"] == "default"
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    state = workspace.state()
    assert state["aws_lb_target_group.bare"]["health_check"] == [{
        "enabled": True, "healthy_threshold": 3, "interval": 30, "matcher": "200", "path": "/",
        "port": "traffic-port", "protocol": "HTTP", "timeout": 5, "unhealthy_threshold": 3}]
    assert state["aws_lb_target_group.bare"]["stickiness"][0]["type"] == "lb_cookie"
    assert state["aws_lb_target_group.checked"]["health_check"][0]["path"] == "/health"
    assert state["aws_vpc.d"]["enable_dns_support"] is True
    assert workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False).code == 0
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")


# -- updates: unknown after a change, replacement ---------------------------------------------

def test_generated_ipv6_block_is_assigned_and_turning_it_on_marks_it_unknown(workspace):
    workspace.write(VPC % "false")
    workspace.tf("apply", "-no-color", "-input=false", "-auto-approve")
    assert workspace.state()["aws_vpc.v"]["ipv6_cidr_block"] == ""
    workspace.write(VPC % "true")
    plan = workspace.plan_json()
    change = plan["resource_changes"][0]["change"]
    assert change["actions"] == ["update"]
    assert change["after_unknown"].get("ipv6_cidr_block") is True
    assert change["after_unknown"].get("ipv6_association_id") is True
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    block = workspace.state()["aws_vpc.v"]["ipv6_cidr_block"]
    assert block.endswith("::/56") and ":" in block
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")


SUBNET = ('resource "aws_vpc" "n" {\n  cidr_block = "10.50.0.0/16"\n}\n'
          'resource "aws_subnet" "n" {\n  vpc_id = aws_vpc.n.id\n  cidr_block = "10.50.1.0/24"\n%s}\n')
RULE = ('resource "aws_security_group" "r" {\n  name = "r"\n}\n'
        'resource "aws_security_group" "peer" {\n  name = "peer"\n}\n'
        'resource "aws_vpc_security_group_ingress_rule" "r" {\n  security_group_id = aws_security_group.r.id\n'
        '  ip_protocol = "tcp"\n  from_port = 443\n  to_port = 443\n%s}\n')


@pytest.mark.parametrize("before, after, config, path", [
    ("", "  ipv6_native = true\n", SUBNET, ["ipv6_native"]),
    ('  cidr_ipv4 = "10.0.0.0/8"\n', "  referenced_security_group_id = aws_security_group.peer.id\n", RULE,
     ["cidr_ipv4", "referenced_security_group_id"]),
], ids=["subnet-ipv6_native", "ingress-rule-source-type"])
def test_changes_the_real_provider_makes_by_replacement(workspace, before, after, config, path):
    workspace.write(config % before)
    workspace.tf("apply", "-no-color", "-input=false", "-auto-approve")
    workspace.write(config % after)
    plan = workspace.plan_json()
    changed = [c for c in plan["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert len(changed) == 1 and changed[0]["change"]["actions"] == ["delete", "create"]
    assert sorted(p[0] for p in changed[0]["change"]["replace_paths"]) == path
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")


DEFAULTS = """
resource "aws_security_group" "d" {
  name = "d"
}
resource "aws_iam_role" "d" {
  name               = "d"
  assume_role_policy = "{}"
}
resource "aws_ecr_repository" "d" {
  name = "d"
}
resource "aws_sqs_queue" "d" {
  name = "d"
}
"""


def test_defaults_read_from_the_real_providers_schema_are_planned(workspace):
    """Default values of SDK v2 arguments (derive.py facts), planned where the configuration is silent."""
    workspace.write(DEFAULTS)
    after = {c["address"]: c["change"]["after"] for c in workspace.plan_json()["resource_changes"]}
    assert after["aws_security_group.d"]["description"] == "Managed by Terraform"
    assert after["aws_iam_role.d"]["max_session_duration"] == 3600 and after["aws_iam_role.d"]["path"] == "/"
    assert after["aws_ecr_repository.d"]["image_tag_mutability"] == "MUTABLE"
    assert after["aws_sqs_queue.d"]["message_retention_seconds"] == 345600
