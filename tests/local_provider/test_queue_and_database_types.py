"""SQS (redrive, KMS, queue and redrive-allow policies), RDS (instance, subnet group) and aws_lb's
computed defaults on the local stand-in: apply, re-plan clean, destroy.

The tests of this module share one workspace and run in order.
"""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.terraform]

MINIMAL_ALB = """
resource "aws_vpc" "v" {
  cidr_block = "10.73.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.73.1.0/24"
  availability_zone = "eu-west-1a"
}
resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.73.2.0/24"
  availability_zone = "eu-west-1b"
}
resource "aws_lb" "l" {
  name     = "minimal"
  internal = true
  subnets  = [aws_subnet.a.id, aws_subnet.b.id]
}
output "idle_timeout" {
  value = aws_lb.l.idle_timeout
}
"""


def test_a_minimal_internal_alb_idles_60_seconds_and_replans_clean(workspace):
    workspace.write(MINIMAL_ALB)
    workspace.plan_json()
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    assert workspace.state()["aws_lb.l"]["idle_timeout"] == 60
    assert workspace.tf("output", "-json", "idle_timeout").json == 60
    assert workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False).code == 0
