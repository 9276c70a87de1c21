"""Whole environments through the real CLI on the local provider: the architecture holds end to end.

``local`` is applied once per session (``applied_local`` in conftest.py), so every stack is planned against its upstreams' real
outputs and the test can follow the path across stacks: API route -> integration -> VPC link ->
listener -> target group -> service, and the keep-alive -> API. The cloud environments are planned
offline (``--provider local``); their downstream stacks see placeholders, so the assertions there are
per stack. Runs on a private copy of the project, so the developer's own .orchestrator/ is untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.terraform]

ENDPOINT_SERVICES = {"ecr.api", "ecr.dkr", "logs"}


def orchestrator(root: Path, *args: str) -> dict:
    env = {**os.environ, "ORCHESTRATOR_ROOT": str(root), "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run([sys.executable, "-m", "orchestrator", *args, "--json"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"orchestrator {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


def planned_resources(stack: dict) -> dict[str, dict]:
    """address -> planned values of a stack's saved plan."""
    plan = json.loads(Path(stack["plan_json"]).read_text())
    return {r["address"]: r["values"] for r in plan["planned_values"]["root_module"].get("resources", [])}


def by_type(resources: dict[str, dict], type_name: str) -> list[dict]:
    return [v for address, v in resources.items() if address.split("[")[0].split(".")[0] == type_name]


@pytest.fixture(scope="module")
def project(applied_local):
    """The session's applied copy of the project; cloud environments plan there as offline rehearsals."""
    return applied_local.root


@pytest.fixture(scope="module")
def local_apply(applied_local):
    return applied_local.stacks


def check_stack_properties(stacks: dict[str, dict]) -> None:
    """What must hold in every environment, stack by stack."""
    network = planned_resources(stacks["network"])
    vpc = by_type(network, "aws_vpc")[0]
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    endpoints = by_type(network, "aws_vpc_endpoint")
    interface = {e["service_name"].split(".", 3)[3]: e for e in endpoints if e["vpc_endpoint_type"] == "Interface"}
    assert ENDPOINT_SERVICES <= set(interface), f"Interface endpoints: {sorted(interface)}"
    assert all(e["private_dns_enabled"] is True for e in interface.values())
    assert [e["service_name"].rsplit(".", 1)[1] for e in endpoints if e["vpc_endpoint_type"] == "Gateway"] == ["s3"]
    assert all(s["map_public_ip_on_launch"] is False for s in by_type(network, "aws_subnet"))
    https_in = by_type(network, "aws_vpc_security_group_ingress_rule")
    assert [(r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in https_in] == [(443, 443, vpc["cidr_block"])]

    alb = planned_resources(stacks["alb"])
    assert [lb["internal"] for lb in by_type(alb, "aws_lb")] == [True]
    assert [tg["target_type"] for tg in by_type(alb, "aws_lb_target_group")] == ["ip"]
    assert not by_type(alb, "aws_vpc_security_group_ingress_rule") and not by_type(alb, "aws_security_group_rule")

    ecs = planned_resources(stacks["ecs"])
    # the app and each service of `services` (dev and staging run a worker), every one as private
    services = by_type(ecs, "aws_ecs_service")
    assert services
    for service in services:
        assert service["launch_type"] == "FARGATE"
        assert service["network_configuration"][0]["assign_public_ip"] is False
        assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    tasks = by_type(ecs, "aws_ecs_task_definition")
    assert len(tasks) == len(services)
    assert all(task["network_mode"] == "awsvpc" and task["requires_compatibilities"] == ["FARGATE"] for task in tasks)
    routed = [service for service in services if service.get("load_balancer")]
    tasks_in = by_type(ecs, "aws_vpc_security_group_ingress_rule")
    assert len(tasks_in) == len(routed), "one ingress rule per routed service (from the ALB); a worker admits nothing"
    assert all("cidr_ipv4" not in rule or rule["cidr_ipv4"] is None for rule in tasks_in), "tasks admit a CIDR, not only the ALB"

    api = planned_resources(stacks["api_gateway"])
    (integration,) = by_type(api, "aws_apigatewayv2_integration")
    assert (integration["integration_type"], integration["connection_type"]) == ("HTTP_PROXY", "VPC_LINK")
    routes = {r["route_key"]: r for r in by_type(api, "aws_apigatewayv2_route")}
    assert {"ANY /{proxy+}", "$default"} <= set(routes)
    (authorization,) = {routes[key]["authorization_type"] for key in ("ANY /{proxy+}", "$default")}
    # Besides the catch-all routes, only the keep-alive's path, and only when the others need credentials.
    opened = {key: r for key, r in routes.items() if key not in ("ANY /{proxy+}", "$default")}
    assert len(opened) == (0 if authorization == "NONE" else 1), f"routes beside the catch-all ones: {sorted(opened)}"
    assert all(r["authorization_type"] == "NONE" and key.startswith("GET /") for key, r in opened.items())

    keepalive = planned_resources(stacks["keepalive"])
    assert by_type(keepalive, "aws_cloudwatch_event_rule")[0]["schedule_expression"]
    assert by_type(keepalive, "aws_cloudwatch_metric_alarm")
    if opened:
        (key,) = opened
        assert by_type(keepalive, "aws_cloudwatch_event_api_destination")[0]["invocation_endpoint"].endswith(key.split(" ", 1)[1])


def test_prod_plans_with_every_security_option_on(project):
    """Production's settings reach the plan: what issue 15 asked of the modules, in prod's rendered values."""
    stacks = {s["name"]: s for s in orchestrator(project, "plan", "prod", "--provider", "local")["stacks"]}
    network = planned_resources(stacks["network"])
    (default_group,) = by_type(network, "aws_default_security_group")
    assert default_group["ingress"] == [] and default_group["egress"] == []
    (flow_logs,) = by_type(network, "aws_cloudwatch_log_group")
    assert flow_logs["retention_in_days"] >= 365 and len(by_type(network, "aws_kms_key")) == 1

    alb = planned_resources(stacks["alb"])
    (listener,) = by_type(alb, "aws_lb_listener")
    assert (listener["protocol"], listener["port"], listener["ssl_policy"]) == ("HTTPS", 443, "ELBSecurityPolicy-TLS13-1-2-2021-06")
    (lb,) = by_type(alb, "aws_lb")
    assert lb["enable_deletion_protection"] is True and lb["access_logs"][0]["enabled"] is True
    (bucket,) = by_type(alb, "aws_s3_bucket")
    assert lb["access_logs"][0]["bucket"] == bucket["bucket"]

    ecs = planned_resources(stacks["ecs"])
    (task,) = by_type(ecs, "aws_ecs_task_definition")
    (container,) = json.loads(task["container_definitions"])
    assert container["readonlyRootFilesystem"] is True
    assert container["mountPoints"] == [{"containerPath": "/tmp", "readOnly": False, "sourceVolume": "tmp"}]
    assert [v["name"] for v in task["volume"]] == ["tmp"]

    api = planned_resources(stacks["api_gateway"])
    (authorizer,) = by_type(api, "aws_apigatewayv2_authorizer")
    assert authorizer["authorizer_type"] == "JWT" and authorizer["jwt_configuration"][0]["audience"]
    routes = {r["route_key"]: r["authorization_type"] for r in by_type(api, "aws_apigatewayv2_route")}
    assert routes == {"ANY /{proxy+}": "JWT", "$default": "JWT", "GET /health": "NONE"}
    (integration,) = by_type(api, "aws_apigatewayv2_integration")
    assert integration["tls_config"] == [{"server_name_to_verify": "origin.shopfront.example.com"}]
    for stack in ("ecs", "api_gateway"):
        groups = by_type(planned_resources(stacks[stack]), "aws_cloudwatch_log_group")
        assert [g["retention_in_days"] >= 365 for g in groups] == [True]
        assert len(by_type(planned_resources(stacks[stack]), "aws_kms_key")) == 1
    assert all(s["policy"]["failed"] == [] for s in stacks.values()), {s["name"]: s["policy"]["failed"] for s in stacks.values()}


def test_local_environment_holds_the_architecture(local_apply):
    assert {name: s["status"] for name, s in local_apply.items()} == dict.fromkeys(local_apply, "ok")
    check_stack_properties(local_apply)


def test_local_environment_wires_the_path_across_stacks(local_apply):
    out = {name: s["outputs"] for name, s in local_apply.items()}
    alb = planned_resources(local_apply["alb"])
    assert by_type(alb, "aws_lb")[0]["subnets"] == sorted(out["network"]["private_subnet_ids"])

    ecs = planned_resources(local_apply["ecs"])
    (service,) = by_type(ecs, "aws_ecs_service")
    assert sorted(service["network_configuration"][0]["subnets"]) == sorted(out["network"]["private_subnet_ids"])
    assert service["load_balancer"][0]["target_group_arn"] == out["alb"]["target_group_arn"]
    (tasks_in,) = by_type(ecs, "aws_vpc_security_group_ingress_rule")
    assert tasks_in["referenced_security_group_id"] == out["alb"]["security_group_id"]
    egress = {r.get("referenced_security_group_id") or r.get("prefix_list_id") or r.get("cidr_ipv4")
              for r in by_type(ecs, "aws_vpc_security_group_egress_rule") if r.get("security_group_id") != out["alb"]["security_group_id"]}
    assert egress == {out["network"]["vpc_endpoint_security_group_id"], out["network"]["s3_prefix_list_id"]}

    link = planned_resources(local_apply["vpc_link"])
    assert sorted(by_type(link, "aws_apigatewayv2_vpc_link")[0]["subnet_ids"]) == sorted(out["network"]["private_subnet_ids"])
    (alb_in,) = by_type(link, "aws_vpc_security_group_ingress_rule")
    assert alb_in["security_group_id"] == out["alb"]["security_group_id"]
    assert alb_in["from_port"] == alb_in["to_port"] == out["alb"]["listener_port"]

    api = planned_resources(local_apply["api_gateway"])
    (integration,) = by_type(api, "aws_apigatewayv2_integration")
    assert integration["integration_uri"] == out["alb"]["listener_arn"]
    assert ":listener/app/" in integration["integration_uri"]
    assert integration["connection_id"] == out["vpc_link"]["vpc_link_id"]

    keepalive = planned_resources(local_apply["keepalive"])
    destination = by_type(keepalive, "aws_cloudwatch_event_api_destination")[0]
    assert destination["invocation_endpoint"].startswith(out["api_gateway"]["api_endpoint"] + "/")
    idle = [a for a in by_type(keepalive, "aws_cloudwatch_metric_alarm") if a["namespace"] == "AWS/ApiGateway"]
    assert all(a["dimensions"] == {"ApiId": out["api_gateway"]["api_id"]} for a in idle)


def applied_resources(stack: dict) -> dict[str, dict]:
    """address -> values in the stack's state (`terraform -chdir=WORKDIR show -json`, as the contract promises)."""
    done = subprocess.run(["terraform", f"-chdir={stack['workdir']}", "show", "-json"], capture_output=True, text=True,
                          env={**os.environ, "CHECKPOINT_DISABLE": "1"}, check=True)
    return {r["address"]: r["values"] for r in json.loads(done.stdout)["values"]["root_module"].get("resources", [])}


def test_local_container_secret_is_a_reference_readable_by_the_execution_role_only(local_apply):
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/shopfront/local/db-password"  # environments/local.yaml
    ecs = applied_resources(local_apply["ecs"])
    (task,) = by_type(ecs, "aws_ecs_task_definition")
    (container,) = json.loads(task["container_definitions"])
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": arn}]
    policies = {r["name"]: json.loads(r["policy"]) for r in by_type(ecs, "aws_iam_role_policy")}
    (statement,) = [s for s in policies["pull-image-write-logs"]["Statement"] if s.get("Sid") == "ReadOwnParameters"]
    assert statement["Action"] == "ssm:GetParameters" and statement["Resource"] == arn
    assert "application" not in policies  # the task role itself gets nothing
    network = applied_resources(local_apply["network"])
    services = {e["service_name"].rsplit(".", 1)[1] for e in by_type(network, "aws_vpc_endpoint")}
    assert "ssm" in services and "secretsmanager" not in services  # tasks fetch the parameter through the endpoint


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_cloud_environment_plans_offline_and_holds_the_architecture(project, env):
    document = orchestrator(project, "plan", env, "--provider", "local")
    stacks = {s["name"]: s for s in document["stacks"]}
    assert {name: s["status"] for name, s in stacks.items()} == dict.fromkeys(stacks, "ok")
    check_stack_properties(stacks)
