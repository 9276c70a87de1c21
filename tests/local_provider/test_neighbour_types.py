"""Types teams add around the architecture, and the public modules need: apply, re-plan clean, destroy.

The tests of this module share one workspace and run in order.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.terraform]

NEIGHBOURS = """
data "aws_vpc" "default" {
  default = true
}
data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}
data "aws_subnet" "a" {
  vpc_id            = data.aws_vpc.default.id
  availability_zone = "eu-west-1a"
}
data "aws_security_group" "default" {
  vpc_id = data.aws_vpc.default.id
  name   = "default"
}
data "aws_ssm_parameter" "ami" {
  name = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

resource "aws_vpc" "n" {
  cidr_block = "10.60.0.0/16"
  tags       = { Name = "neighbours" }
}
resource "aws_vpc_ipv4_cidr_block_association" "second" {
  vpc_id     = aws_vpc.n.id
  cidr_block = "10.61.0.0/16"
}
resource "aws_subnet" "second" {
  vpc_id     = aws_vpc_ipv4_cidr_block_association.second.vpc_id
  cidr_block = "10.61.1.0/24"
}
resource "aws_default_security_group" "n" {
  vpc_id = aws_vpc.n.id
}
resource "aws_default_network_acl" "n" {
  default_network_acl_id = aws_vpc.n.default_network_acl_id
}
resource "aws_default_route_table" "n" {
  default_route_table_id = aws_vpc.n.default_route_table_id
}
resource "aws_network_acl" "n" {
  vpc_id     = aws_vpc.n.id
  subnet_ids = [aws_subnet.second.id]
}
resource "aws_network_acl_rule" "https" {
  network_acl_id = aws_network_acl.n.id
  rule_number    = 100
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 443
  to_port        = 443
}
resource "aws_vpc_dhcp_options" "n" {
  domain_name_servers = ["AmazonProvidedDNS"]
}
resource "aws_vpc_dhcp_options_association" "n" {
  vpc_id          = aws_vpc.n.id
  dhcp_options_id = aws_vpc_dhcp_options.n.id
}
resource "aws_egress_only_internet_gateway" "n" {
  vpc_id = aws_vpc.n.id
}
resource "aws_db_subnet_group" "n" {
  name       = "neighbours"
  subnet_ids = [aws_subnet.second.id]
}
resource "aws_elasticache_subnet_group" "n" {
  name       = "neighbours"
  subnet_ids = [aws_subnet.second.id]
}

resource "aws_route53_zone" "z" {
  name = "shop.example.com"
}
resource "aws_acm_certificate" "c" {
  domain_name       = "api.shop.example.com"
  validation_method = "DNS"
}
resource "aws_route53_record" "validation" {
  for_each = { for o in aws_acm_certificate.c.domain_validation_options : o.domain_name => o }
  zone_id  = aws_route53_zone.z.zone_id
  name     = each.value.resource_record_name
  type     = each.value.resource_record_type
  records  = [each.value.resource_record_value]
  ttl      = 60
}
resource "aws_acm_certificate_validation" "c" {
  certificate_arn         = aws_acm_certificate.c.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}
resource "aws_apigatewayv2_domain_name" "api" {
  domain_name = "api.shop.example.com"
  domain_name_configuration {
    certificate_arn = aws_acm_certificate_validation.c.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}
resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "api"
  type    = "A"
  alias {
    name                   = aws_apigatewayv2_domain_name.api.domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.api.domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}

resource "aws_sqs_queue" "q" {
  name = "neighbours"
}
resource "aws_sns_topic" "t" {
  name = "neighbours"
}
resource "aws_s3vectors_vector_bucket" "v" {
  vector_bucket_name = "neighbours-vectors"
}
resource "aws_s3_bucket" "b" {
  bucket = "neighbours-logs"
}
resource "aws_s3_bucket_versioning" "b" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_s3_bucket_public_access_block" "b" {
  bucket                  = aws_s3_bucket.b.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
resource "aws_s3_bucket_lifecycle_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 30
    }
  }
}
"""


def test_neighbour_types_apply_and_replan_clean(workspace):
    workspace.write(NEIGHBOURS)
    plan = workspace.plan_json()
    assert all(actions == ["create"] for actions in workspace.changes(plan).values())
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    state = workspace.state()
    assert state["aws_route53_record.api"]["fqdn"] == "api.shop.example.com"
    record = state['aws_route53_record.validation["api.shop.example.com"]']
    assert record["fqdn"].endswith(".api.shop.example.com") and record["type"] == "CNAME"
    assert state["aws_default_security_group.n"]["id"] == state["aws_vpc.n"]["default_security_group_id"]
    assert state["aws_default_network_acl.n"]["vpc_id"] == state["aws_vpc.n"]["id"]
    assert state["aws_sqs_queue.q"]["visibility_timeout_seconds"] == 30
    assert state["aws_sqs_queue.q"]["url"].endswith("/111111111111/neighbours")
    assert state["aws_db_subnet_group.n"]["vpc_id"] == state["aws_vpc.n"]["id"]
    assert state["aws_s3vectors_vector_bucket.v"]["vector_bucket_arn"].endswith(":bucket/neighbours-vectors")
    assert workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False).code == 0


def test_data_sources_find_the_default_network_every_account_has(workspace):
    shown = workspace.tf("show", "-json").json["values"]["root_module"]["resources"]
    data = {r["address"]: r["values"] for r in shown if r["mode"] == "data"}
    vpc = data["data.aws_vpc.default"]
    assert vpc["default"] is True and vpc["cidr_block"] == "172.31.0.0/16"
    assert len(data["data.aws_subnets.default"]["ids"]) == 3
    assert data["data.aws_subnet.a"]["cidr_block"] == "172.31.0.0/20"
    assert data["data.aws_subnet.a"]["id"] in data["data.aws_subnets.default"]["ids"]
    assert data["data.aws_security_group.default"]["vpc_id"] == vpc["id"]
    assert data["data.aws_ssm_parameter.ami"]["value"].startswith("ami-")


def test_a_lookup_that_matches_nothing_fails_like_the_real_data_source(workspace):
    workspace.write('data "aws_vpc" "x" {\n  tags = { Name = "nope" }\n}\n'
                    'data "aws_route53_zone" "z" {\n  name = "not-mine.example.org"\n}\n')
    run = workspace.tf("plan", "-no-color", "-input=false", check=False)
    assert run.code == 1
    assert "no matching EC2 VPC found" in run.output and "no matching Route 53 Hosted Zone found" in run.output


def test_everything_destroys(workspace):
    workspace.write(NEIGHBOURS)
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")
    assert workspace.state() == {}
