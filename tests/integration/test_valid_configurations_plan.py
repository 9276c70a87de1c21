"""Issue 13: ordinary valid configurations that `validate` accepts must plan (offline, --provider local).

One new, never-applied environment holds every case at once (a plan of all six stacks is slow):
HTTPS (the listener_protocol placeholder must follow the environment), NAT with an image from a
public registry, a daily keep-alive, an image pinned by digest, and the docs' own secrets
example, copied from docs/explanation/security-model.md as written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import REPO, by_name, copy_project, run_cli

pytestmark = [pytest.mark.terraform]

DIGEST = "sha256:" + "ab" * 32
TOKEN = "kA-7f0-test-token-Zq"  # what KEEPALIVE_TOKEN holds: must never be printed or written
CERTIFICATE = "arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012"

ENVIRONMENT = f"""\
allowed_account_ids: ["111111111111"]
network:
  vpc_cidr: 10.44.0.0/16
  public_subnets: true
  nat_gateway: true
alb:
  listener_port: 443
  certificate_arn: {CERTIFICATE}
  certificate_domain: shop.internal.example.com
  health_check:
    path: /health?deep=1
    matcher: "200,204"
app:
  image: public.ecr.aws/nginx/nginx
  image_tag: "{DIGEST}"
keepalive:
  schedule: rate(1 day)
policy:
  checks: false   # what this file is about is planning; the policy stage has tests/integration/test_policy_stage.py
"""


def readme_secrets_example() -> str:
    """The YAML block of the Secrets section (docs/explanation/security-model.md), exactly as written."""
    section = (REPO / "docs" / "explanation" / "security-model.md").read_text().split("## Secrets", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if b.startswith("secrets:")]
    return block


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    root = tmp_path_factory.mktemp("issue13") / "project"
    copy_project(root)
    (root / "environments" / "fresh.yaml").write_text(ENVIRONMENT + readme_secrets_example())
    env = {"KEEPALIVE_TOKEN": TOKEN}
    validated = run_cli(root, "validate", "fresh", env=env)
    assert validated.code == 0, validated.stderr
    done = run_cli(root, "plan", "fresh", "--provider", "local", "--json", env=env, timeout=1200)
    assert done.code == 0, done.stderr[-4000:]
    stacks = by_name(done.json)
    assert {name: s["status"] for name, s in stacks.items()} == dict.fromkeys(stacks, "ok")
    return root, stacks, done


def resources(stack: dict) -> dict[str, dict]:
    plan = json.loads(Path(stack["plan_json"]).read_text())
    return {r["address"]: r["values"] for r in plan["planned_values"]["root_module"].get("resources", [])}


def of_type(stack: dict, type_name: str) -> list[dict]:
    return [v for address, v in resources(stack).items() if address.split(".")[0] == type_name]


def test_https_on_a_never_applied_environment_plans_with_an_https_placeholder(planned):
    _, stacks, _ = planned
    assert "alb.listener_protocol" in stacks["api_gateway"]["placeholders"]
    (integration,) = of_type(stacks["api_gateway"], "aws_apigatewayv2_integration")
    assert integration["tls_config"] == [{"server_name_to_verify": "shop.internal.example.com"}]
    (listener,) = of_type(stacks["alb"], "aws_lb_listener")
    assert (listener["protocol"], listener["port"], listener["certificate_arn"]) == ("HTTPS", 443, CERTIFICATE)


def test_nat_with_a_public_registry_image_plans_with_internet_egress(planned):
    _, stacks, _ = planned
    egress = of_type(stacks["ecs"], "aws_vpc_security_group_egress_rule")
    assert any(rule.get("cidr_ipv4") == "0.0.0.0/0" and rule["from_port"] == 443 for rule in egress), egress


def test_a_daily_keepalive_plans_with_an_idle_alarm_longer_than_a_day(planned):
    _, stacks, _ = planned
    (rule,) = of_type(stacks["keepalive"], "aws_cloudwatch_event_rule")
    assert rule["schedule_expression"] == "rate(1 day)"
    idle = [a for a in of_type(stacks["keepalive"], "aws_cloudwatch_metric_alarm") if a["namespace"] == "AWS/ApiGateway"]
    assert [a["evaluation_periods"] for a in idle] == [48]


def test_an_image_pinned_by_digest_reaches_the_task_definition(planned):
    _, stacks, _ = planned
    (task,) = of_type(stacks["ecs"], "aws_ecs_task_definition")
    (container,) = json.loads(task["container_definitions"])
    assert container["image"] == f"public.ecr.aws/nginx/nginx@{DIGEST}"


def test_the_readme_secrets_example_works_as_written(planned):
    root, stacks, done = planned
    assert "keepalive.connection_api_key_value: {env: KEEPALIVE_TOKEN}" in readme_secrets_example()
    (connection,) = of_type(stacks["keepalive"], "aws_cloudwatch_event_connection")
    assert connection["auth_parameters"][0]["api_key"][0]["value"] == "(sensitive)"
    assert TOKEN not in done.stdout + done.stderr
    written = [p for p in (root / ".orchestrator").rglob("*") if p.is_file() and p.suffix in (".json", ".log", ".tfvars")]
    assert written and not [p for p in written if TOKEN in p.read_text(errors="replace")]
    # without the variable, nothing runs (exit 2)
    assert run_cli(root, "validate", "fresh").code == 0  # validate reads no secret
    refused = run_cli(root, "plan", "fresh", "--provider", "local", "--stack", "keepalive")
    assert refused.code == 2 and "KEEPALIVE_TOKEN" in refused.stderr
