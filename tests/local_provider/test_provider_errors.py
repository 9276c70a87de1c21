"""Mistakes fail at validate or plan, with a message naming the resource and the attribute."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.terraform]

CASES = {
    "unknown resource type": (
        'resource "aws_no_such_thing" "x" {\n  name = "x"\n}\n',
        ["The local stand-in for hashicorp/aws does not serve resource type aws_no_such_thing",
         "Used in main.tf line 1", "--provider aws", "--provider moto"],
    ),
    "unknown data source and function": (
        'data "aws_no_such_data" "x" {}\noutput "o" {\n  value = provider::aws::arn_parse("arn:aws:s3:::b")\n}\n',
        ["does not serve data source aws_no_such_data", "does not serve function provider::aws::arn_parse",
         "main.tf line 3"],
    ),
    "wrong attribute type": (
        'resource "aws_vpc" "x" {\n  cidr_block         = "10.0.0.0/16"\n  enable_dns_support = "maybe"\n}\n',
        ['aws_vpc" "x"', "enable_dns_support", "a bool is required"],
    ),
    "unknown attribute": (
        'resource "aws_vpc" "x" {\n  cidr_block = "10.0.0.0/16"\n  cidr       = "10.0.0.0/16"\n}\n',
        ['aws_vpc" "x"', '"cidr" is not expected here'],
    ),
    "invalid enum value": (
        'resource "aws_lb" "x" {\n  name               = "shop"\n  load_balancer_type = "classic"\n}\n',
        ['aws_lb" "x"', "load_balancer_type", 'expected load_balancer_type to be one of ["application" "gateway" "network"], got classic'],
    ),
    "invalid enum in a nested block": (
        'resource "aws_lb_listener" "x" {\n  load_balancer_arn = "arn"\n  default_action {\n    type = "forwards"\n  }\n}\n',
        ['aws_lb_listener" "x"', "default_action.0.type", "got forwards"],
    ),
    "target type": (
        'resource "aws_lb_target_group" "x" {\n  name        = "tg"\n  target_type = "container"\n}\n',
        ['aws_lb_target_group" "x"', "target_type", "got container"],
    ),
    "integration type": (
        'resource "aws_apigatewayv2_integration" "x" {\n  api_id           = "a"\n  integration_type = "HTTP_PROXIED"\n  connection_type  = "VPC"\n}\n',
        ["integration_type", "connection_type", "got VPC"],
    ),
    "vpc endpoint type": (
        'resource "aws_vpc_endpoint" "x" {\n  vpc_id            = "vpc-1"\n  service_name      = "s3"\n  vpc_endpoint_type = "Gateways"\n}\n',
        ['aws_vpc_endpoint" "x"', "vpc_endpoint_type", "got Gateways"],
    ),
    "ecs launch type and network mode": (
        'resource "aws_ecs_service" "x" {\n  name        = "x"\n  launch_type = "LAMBDA"\n}\n'
        'resource "aws_ecs_task_definition" "y" {\n  family                = "y"\n  container_definitions = "[]"\n'
        '  network_mode          = "vpc"\n}\n',
        ["launch_type", "got LAMBDA", "network_mode", "got vpc"],
    ),
    "api protocol type": (
        'resource "aws_apigatewayv2_api" "x" {\n  name          = "x"\n  protocol_type = "REST"\n}\n',
        ["protocol_type", "got REST"],
    ),
    "alb name starting with internal-": (
        'resource "aws_lb" "x" {\n  name = "internal-shop"\n}\n',
        ['aws_lb" "x"', '"name" cannot begin with "internal-"'],
    ),
    "alb name too long with a bad character": (
        'resource "aws_lb" "x" {\n  name = "shop_0123456789012345678901234567890"\n}\n',
        ["cannot be longer than 32 characters", "only alphanumeric characters and hyphens"],
    ),
    "target group name ending with a hyphen": (
        'resource "aws_lb_target_group" "x" {\n  name = "shop-"\n}\n',
        ['aws_lb_target_group" "x"', "cannot begin or end with a hyphen"],
    ),
    "resource region": (
        'resource "aws_vpc" "x" {\n  cidr_block = "10.0.0.0/16"\n  region     = "eu-westish-1"\n}\n',
        ['aws_vpc" "x"', "invalid AWS Region: eu-westish-1"],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=lambda c: c.replace(" ", "-"))
def test_mistake_fails_at_validate_naming_resource_and_attribute(workspace, case):
    main_tf, wanted = CASES[case]
    workspace.write(main_tf)
    run = workspace.tf("validate", "-no-color", check=False)
    assert run.code != 0, f"{case}: validate passed"
    flat = " ".join(run.output.split())
    for text in wanted:
        assert " ".join(text.split()) in flat, f"{case}: {text!r} not in:\n{run.output}"


def test_invalid_provider_region_fails(workspace):
    workspace.write('provider "aws" {\n  alias  = "bad"\n  region = "mars-1"\n}\n'
                    'resource "aws_vpc" "x" {\n  provider   = aws.bad\n  cidr_block = "10.0.0.0/16"\n}\n')
    run = workspace.tf("plan", "-no-color", "-input=false", check=False)
    assert run.code != 0 and "invalid AWS Region: mars-1" in run.output
