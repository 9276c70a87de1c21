"""The same small configurations on the local stand-in and on the real hashicorp/aws (against moto).

Each case is planned on both sides and the plans compared resource by resource: the actions, the
paths that force a replacement, and which attributes are unknown at plan. Then both apply, an
update (the case's second configuration) is planned and compared the same way, and the applied
values of the arguments the configuration leaves out (the defaults) are compared where both are
booleans or numbers, or where one side is empty. ``agreement()`` counts the comparisons that match.

Used by tests/local_provider/test_real_provider_diff.py and bench/provider_agreement.py. The real
provider is the one built from source here (``~/.cache/orchestrator/tools/terraform-provider-aws``);
moto's server runs on loopback (``moto.server.ThreadedMotoServer``) with fake credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REAL_VERSION = "6.47.1"
VERSIONS_TF = 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = ">= 6.0, < 7.0" }\n  }\n}\n'
PROVIDER_TF = 'provider "aws" {\n  region = "eu-west-1"\n}\n'


@dataclass
class Case:
    create: str
    edits: tuple[tuple[str, str], ...] = ()  # (old, new) text replacements that make the update
    plan_only: str = ""  # why the case cannot be applied on moto (its plans are still compared)

    @property
    def update(self) -> str:
        text = self.create
        for old, new in self.edits:
            assert old in text, f"edit {old!r} does not apply"
            text = text.replace(old, new, 1)
        return text if self.edits else ""


CASES: dict[str, Case] = {
    "network": Case(
        create="""
resource "aws_vpc" "v" {
  cidr_block           = "10.70.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "diff" }
}
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.70.1.0/24"
}
resource "aws_internet_gateway" "g" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route_table" "r" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route" "default" {
  route_table_id         = aws_route_table.r.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.g.id
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.r.id
}
""",
        edits=(('tags                 = { Name = "diff" }',
                 'assign_generated_ipv6_cidr_block = true\n  tags = { Name = "diff-2" }'),
               ('cidr_block = "10.70.1.0/24"', 'cidr_block = "10.70.2.0/24"')),
    ),
    "security_groups": Case(
        create="""
resource "aws_vpc" "v" {
  cidr_block = "10.71.0.0/16"
}
resource "aws_security_group" "a" {
  name_prefix = "diff-"
  description = "diff"
  vpc_id      = aws_vpc.v.id
}
resource "aws_security_group" "b" {
  name   = "diff-peer"
  vpc_id = aws_vpc.v.id
}
resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.a.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "10.0.0.0/8"
}
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.a.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
""",
        edits=(('  cidr_ipv4         = "10.0.0.0/8"', '  referenced_security_group_id = aws_security_group.b.id'),
               ('  cidr_ipv4         = "0.0.0.0/0"', '  cidr_ipv4         = "0.0.0.0/0"\n  description       = "everything"')),
    ),
    "load_balancing": Case(
        create="""
resource "aws_vpc" "v" {
  cidr_block = "10.72.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.72.1.0/24"
  availability_zone = "eu-west-1a"
}
resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.72.2.0/24"
  availability_zone = "eu-west-1b"
}
resource "aws_lb" "l" {
  name               = "diff"
  internal           = true
  load_balancer_type = "application"
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
}
resource "aws_lb_target_group" "t" {
  name        = "diff"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.v.id
}
resource "aws_lb_listener" "h" {
  load_balancer_arn = aws_lb.l.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.t.arn
  }
}
""",
        edits=(('  subnets            = [aws_subnet.a.id, aws_subnet.b.id]',
                 '  subnets            = [aws_subnet.a.id, aws_subnet.b.id]\n  idle_timeout       = 120'),
               ('  port        = 8080', '  port        = 8081\n  health_check {\n    path = "/health"\n  }')),
    ),
    "certificate": Case(
        create="""
resource "aws_acm_certificate" "c" {
  domain_name               = "diff.example.com"
  subject_alternative_names = ["www.diff.example.com"]
  validation_method         = "DNS"
}
""",
    ),
    "logs": Case(
        create="""
resource "aws_cloudwatch_log_group" "app" {
  name              = "/diff/logs"
  retention_in_days = 7
}
""",
        edits=(("retention_in_days = 7", "retention_in_days = 14\n  tags = { Team = \"shop\" }"),),
    ),
    "alarm": Case(
        create="""
resource "aws_cloudwatch_log_group" "l" {
  name              = "/diff/app"
  retention_in_days = 7
}
resource "aws_sns_topic" "t" {
  name = "diff-alarms"
}
resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name          = "diff-cpu"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  metric_name         = "CPUUtilization"
  namespace           = "AWS/ECS"
  period              = 60
  statistic           = "Average"
  threshold           = 80
  alarm_actions       = [aws_sns_topic.t.arn]
}
""",
        plan_only="moto 5.2 does not answer the protocol this provider speaks to CloudWatch (PutMetricAlarm: 404)",
    ),
    "identity": Case(
        create="""
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "diff-task"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
resource "aws_iam_policy" "p" {
  name   = "diff-read"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_policy.p.arn
}
""",
    ),
    "bucket": Case(
        create="""
resource "aws_s3_bucket" "b" {
  bucket = "diff-bucket-0001"
}
resource "aws_s3_bucket_ownership_controls" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}
""",
        plan_only="moto: the provider reads bucket tags from S3 Control at ACCOUNT.127.0.0.1, which does not resolve",
    ),
    "dns": Case(
        create="""
resource "aws_route53_zone" "z" {
  name = "diff.example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "CNAME"
  ttl     = 60
  records = ["example.com"]
}
""",
    ),
    "containers": Case(
        create="""
resource "aws_ecs_cluster" "c" {
  name = "diff"
}
resource "aws_ecr_repository" "r" {
  name = "diff"
}
resource "aws_ecs_task_definition" "t" {
  family                   = "diff"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  container_definitions    = jsonencode([{ name = "app", image = "nginx", essential = true }])
}
""",
    ),
    "vpc_family": Case(
        create="""
resource "aws_vpc" "v" {
  cidr_block = "10.73.0.0/16"
}
resource "aws_vpc_ipv4_cidr_block_association" "second" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.74.0.0/16"
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
resource "aws_network_acl" "n" {
  vpc_id     = aws_vpc.v.id
  subnet_ids = [aws_subnet.a.id]
}
resource "aws_network_acl_rule" "in" {
  network_acl_id = aws_network_acl.n.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 443
  to_port        = 443
}
resource "aws_vpc_dhcp_options" "d" {
  domain_name_servers = ["AmazonProvidedDNS"]
}
resource "aws_vpc_dhcp_options_association" "d" {
  vpc_id          = aws_vpc.v.id
  dhcp_options_id = aws_vpc_dhcp_options.d.id
}
resource "aws_egress_only_internet_gateway" "e" {
  vpc_id = aws_vpc.v.id
}
resource "aws_db_subnet_group" "db" {
  name       = "diff"
  subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
}
""",
        edits=(("rule_number    = 100", "rule_number    = 110"), ('name       = "diff"', 'name       = "diff-2"')),
    ),
    "messaging": Case(
        create="""
resource "aws_sns_topic" "t" {
  name = "diff-events"
}
resource "aws_sqs_queue" "q" {
  name = "diff-events"
}
resource "aws_sns_topic_subscription" "s" {
  topic_arn = aws_sns_topic.t.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.q.arn
}
""",
        edits=(('protocol  = "sqs"', 'protocol  = "sqs"\n  raw_message_delivery = true'),),
    ),
    "http_api": Case(
        create="""
resource "aws_apigatewayv2_api" "a" {
  name          = "diff"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_stage" "s" {
  api_id      = aws_apigatewayv2_api.a.id
  name        = "$default"
  auto_deploy = true
}
""",
    ),
}


def real_provider_binary() -> Path | None:
    """The real provider built by `tools build` (the builder's cache, as every other user finds it)."""
    from orchestrator.tools import PROVIDER, installed

    return installed(PROVIDER)


def real_provider_environment(binary: Path, root: Path, endpoint: str) -> dict[str, str]:
    """A filesystem mirror holding the built provider, a CLI configuration for it, moto's endpoint."""
    from orchestrator.local_provider import platform_dir

    target = root / "mirror" / "registry.terraform.io" / "hashicorp" / "aws" / REAL_VERSION / platform_dir()
    target.mkdir(parents=True, exist_ok=True)
    executable = target / f"terraform-provider-aws_v{REAL_VERSION}"
    if not executable.exists():
        os.symlink(binary, executable)
    config = root / "real-aws.tfrc"
    config.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(root / 'mirror'))}\n"
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n')
    return {"TF_CLI_CONFIG_FILE": str(config), "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"}


class Side:
    """One provider's working directory for a case."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.dir, self.env = root, env
        root.mkdir(parents=True, exist_ok=True)
        (root / "versions.tf").write_text(VERSIONS_TF + PROVIDER_TF)

    def tf(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        from orchestrator.terraform.engine import resolve_binary

        done = subprocess.run([resolve_binary().path, f"-chdir={self.dir}", *args], capture_output=True, text=True,
                              env={**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", **self.env},
                              timeout=600, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise RuntimeError(f"terraform {' '.join(args)} failed in {self.dir}:\n{done.stdout}{done.stderr}")
        return done

    def plan(self, main_tf: str) -> dict:
        (self.dir / "main.tf").write_text(main_tf)
        if not (self.dir / ".terraform").exists():
            self.tf("init", "-no-color", "-input=false")
        self.tf("plan", "-no-color", "-input=false", "-out=tfplan")
        return json.loads(self.tf("show", "-json", "tfplan").stdout)

    def apply(self) -> dict:
        self.tf("apply", "-no-color", "-input=false", "tfplan")
        shown = json.loads(self.tf("show", "-json").stdout)
        return {r["address"]: r["values"] for r in shown.get("values", {}).get("root_module", {}).get("resources", [])
                if r["mode"] == "managed"}

    def destroy(self) -> None:
        self.tf("destroy", "-no-color", "-input=false", "-auto-approve", check=False)


def _unknown_paths(unknown, prefix: str = "") -> set[str]:
    """Attribute paths Terraform marks unknown in a plan's after_unknown (list indexes dropped)."""
    if unknown is True:
        return {prefix}
    found: set[str] = set()
    if isinstance(unknown, dict):
        for key, value in unknown.items():
            found |= _unknown_paths(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(unknown, list):
        for value in unknown:
            found |= _unknown_paths(value, prefix)
    return found


def summary(plan: dict) -> dict[str, dict]:
    out = {}
    for change in plan.get("resource_changes", []):
        if change["mode"] != "managed":
            continue
        c = change["change"]
        out[change["address"]] = {
            "actions": c["actions"],
            "replace": sorted(".".join(str(s) for s in p) for p in c.get("replace_paths") or []),
            "unknown": sorted(_unknown_paths(c.get("after_unknown") or {})),
        }
    return out


def _comparable(value) -> object:
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return "set" if value not in ("", [], {}) else "empty"


def compare(step: str, local: dict[str, dict], real: dict[str, dict]) -> list[tuple[str, bool, str]]:
    """(what, agrees, detail) per resource and aspect."""
    rows = []
    for address in sorted(set(local) | set(real)):
        a, b = local.get(address), real.get(address)
        if a is None or b is None:
            rows.append((f"{step} {address}", False, "planned on one side only"))
            continue
        for aspect in ("actions", "replace", "unknown"):
            agrees = a[aspect] == b[aspect]
            detail = "" if agrees else f"local {a[aspect]} / real {b[aspect]}"
            rows.append((f"{step} {address} {aspect}", agrees, detail))
    return rows


def compare_defaults(main_tf: str, local: dict[str, dict], real: dict[str, dict]) -> list[tuple[str, bool, str]]:
    """Applied values of the arguments the configuration leaves out, where they can be compared."""
    rows = []
    for address in sorted(set(local) & set(real)):
        differing = []
        for name in sorted(set(local[address]) & set(real[address])):
            if f"{name} " in main_tf or f"{name}=" in main_tf or name in ("id", "arn", "tags_all"):
                continue
            a, b = _comparable(local[address][name]), _comparable(real[address][name])
            if a != b:
                differing.append(f"{name}: local {local[address][name]!r} / real {real[address][name]!r}")
        rows.append((f"defaults {address}", not differing, "; ".join(differing)[:600]))
    return rows


@dataclass
class Outcome:
    name: str
    rows: list[tuple[str, bool, str]] = field(default_factory=list)
    error: str = ""


def run_case(name: str, case: Case, root: Path, local_env: dict[str, str], real_env: dict[str, str]) -> Outcome:
    outcome = Outcome(name)
    local, real = Side(root / name / "local", local_env), Side(root / name / "real", real_env)
    try:
        outcome.rows += compare("create", summary(local.plan(case.create)), summary(real.plan(case.create)))
        if case.plan_only:
            return outcome
        local_state, real_state = local.apply(), real.apply()
        outcome.rows += compare_defaults(case.create, local_state, real_state)
        if case.update:
            outcome.rows += compare("update", summary(local.plan(case.update)), summary(real.plan(case.update)))
    except RuntimeError as error:
        outcome.error = str(error)[-1500:]
    finally:
        local.destroy()
        real.destroy()
    return outcome


def agreement(outcomes: list[Outcome]) -> tuple[int, int]:
    rows = [row for o in outcomes for row in o.rows]
    return sum(agrees for _, agrees, _ in rows), len(rows)


def cleanup(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
