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


QUEUE_AND_DATABASE = MINIMAL_ALB + """
data "aws_caller_identity" "me" {}

resource "aws_kms_key" "q" {
  description         = "queue"
  enable_key_rotation = true
}
resource "aws_sqs_queue" "dlq" {
  name              = "jobs-dlq"
  kms_master_key_id = aws_kms_key.q.arn
}
resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  kms_master_key_id          = aws_kms_key.q.arn
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}
resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OwnerOnly"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.jobs.arn
    }]
  })
}
resource "aws_db_subnet_group" "db" {
  name       = "shop"
  subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
}
resource "aws_db_instance" "db" {
  identifier                  = "shop"
  engine                      = "postgres"
  instance_class              = "db.t4g.micro"
  allocated_storage           = 20
  db_name                     = "shop"
  username                    = "shop"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.db.name
  storage_encrypted           = true
  skip_final_snapshot         = true
}
output "queue_url" {
  value = aws_sqs_queue.jobs.url
}
output "db_endpoint" {
  value = aws_db_instance.db.endpoint
}
"""


def test_queue_with_kms_redrive_and_policies_and_a_postgres_apply_and_replan_clean(workspace):
    workspace.write(QUEUE_AND_DATABASE)
    plan = workspace.plan_json()
    changes = workspace.changes(plan)
    assert changes["aws_db_instance.db"] == ["create"] and changes["aws_sqs_queue_redrive_allow_policy.dlq"] == ["create"]
    assert changes["aws_lb.l"] == ["no-op"]
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    state = workspace.state()
    jobs, dlq = state["aws_sqs_queue.jobs"], state["aws_sqs_queue.dlq"]
    assert jobs["url"].endswith("/111111111111/jobs") and dlq["arn"].endswith(":sqs:eu-west-1:111111111111:jobs-dlq")
    assert json.loads(jobs["redrive_policy"]) == {"deadLetterTargetArn": dlq["arn"], "maxReceiveCount": 5}
    assert jobs["kms_master_key_id"] == state["aws_kms_key.q"]["arn"]
    assert state["aws_sqs_queue_redrive_allow_policy.dlq"]["id"] == dlq["url"]
    assert state["aws_sqs_queue_policy.jobs"]["id"] == jobs["url"]
    db = state["aws_db_instance.db"]
    assert db["port"] == 5432 and db["endpoint"] == f"{db['address']}:5432"
    assert db["arn"].endswith(":rds:eu-west-1:111111111111:db:shop") and db["publicly_accessible"] is False
    assert db["db_subnet_group_name"] == "shop" and db["status"] == "available"
    assert workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False).code == 0


def test_changing_the_queue_url_of_a_policy_replaces_it_and_everything_destroys(workspace):
    workspace.write(QUEUE_AND_DATABASE.replace("queue_url = aws_sqs_queue.jobs.id", "queue_url = aws_sqs_queue.dlq.id"))
    plan = workspace.plan_json()
    assert workspace.changes(plan)["aws_sqs_queue_policy.jobs"] == ["delete", "create"]
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")
    assert workspace.state() == {}
