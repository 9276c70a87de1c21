"""Several services behind the one VPC link (issue 24 part 1) on the built-in provider.

An environment with two routed services (one by path, one by host) and a worker plans, applies and
re-plans clean, and the architecture's properties hold per service, read from the applied state:
no public IP, the network's private subnets, only the ALB's security group reaches a routed
service's tasks (a worker's admit nothing), and each route is a rule of the one listener the VPC
link reaches. An environment of one service, applied with the modules as they were before services
existed, plans no resource change with today's modules (only the ecs stack's two new outputs).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import by_name, copy_project, run_cli

pytestmark = [pytest.mark.terraform]

# The last commit before the ecs module had `services`: what the one-service environments ran.
BEFORE_SERVICES = "2c1fe51e84bc68a1570fae2f809b55605ac9a323"

SERVICES = {
    "orders": {
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shopfront/orders",
        "image_tag": "2.0.1",
        "container_port": 9000,
        "route": {"path_prefix": "/orders", "priority": 10},
        "health_check": {"path": "/orders/health"},
    },
    "admin": {
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shopfront/admin",
        "image_tag": "0.3.0",
        "route": {"host": "admin.shop.example.com", "priority": 20},
    },
    "worker": {
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shopfront/worker",
        "image_tag": "1.0.0",
        "environment": {"QUEUE_NAME": "shopfront-local-jobs"},
    },
}


def resources(root: Path, stack: str, env: str = "local") -> dict[str, dict]:
    """address -> attributes of the stack's applied state."""
    [state_file] = (root / ".orchestrator").glob(f"{env}*/state/{stack}.tfstate")
    found = {}
    for resource in json.loads(state_file.read_text())["resources"]:
        if resource["mode"] != "managed":
            continue
        for instance in resource["instances"]:
            key = instance.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key)}]"
            found[f"{resource['type']}.{resource['name']}{suffix}"] = instance["attributes"]
    return found


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    root = tmp_path_factory.mktemp("services") / "project"
    copy_project(root)
    path = root / "environments" / "local.yaml"
    config = yaml.safe_load(path.read_text())
    config["services"] = SERVICES
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    done = run_cli(root, "apply", "local", "--auto-approve", "--json", timeout=900)
    assert done.code == 0, done.stderr[-4000:]
    return root, by_name(done.json)


def test_two_routed_services_and_a_worker_apply_and_replan_clean(applied):
    root, stacks = applied
    assert stacks["ecs"]["status"] == "ok"
    again = run_cli(root, "plan", "local", "--json")
    assert again.code == 0, again.stderr[-3000:]
    assert {s["name"]: s["status"] for s in again.json["stacks"]} == dict.fromkeys(
        ["network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"], "no-changes")


def test_every_service_is_private_and_reached_only_from_the_alb(applied):
    root, _ = applied
    ecs, alb, network = resources(root, "ecs"), resources(root, "alb"), resources(root, "network")
    private_subnets = {a["id"] for address, a in network.items() if address.startswith("aws_subnet.private")}
    alb_sg = alb["aws_security_group.this"]["id"]
    listener = alb["aws_lb_listener.this"]["arn"]
    services = {a["name"]: a for address, a in ecs.items() if address.startswith("aws_ecs_service.")}
    assert set(services) == {"shopfront-local", "shopfront-local-orders", "shopfront-local-admin", "shopfront-local-worker"}
    for name, service in services.items():
        [network_configuration] = service["network_configuration"]
        assert network_configuration["assign_public_ip"] is False, name
        assert set(network_configuration["subnets"]) == private_subnets, name
    ingress = [a for address, a in ecs.items() if address.startswith("aws_vpc_security_group_ingress_rule.")]
    assert ingress and all(rule["referenced_security_group_id"] == alb_sg and rule["cidr_ipv4"] is None for rule in ingress)
    by_group = {rule["security_group_id"] for rule in ingress}
    groups = {key: ecs[f'aws_security_group.service["{key}"]']["id"] for key in SERVICES}
    assert groups["orders"] in by_group and groups["admin"] in by_group
    assert groups["worker"] not in by_group  # a worker admits nothing
    assert not services["shopfront-local-worker"]["load_balancer"]
    rules = {key: ecs[f'aws_lb_listener_rule.service["{key}"]'] for key in ("orders", "admin")}
    assert {rule["listener_arn"] for rule in rules.values()} == {listener}
    assert rules["orders"]["condition"][0]["path_pattern"][0]["values"] == ["/orders", "/orders/*"]
    # by host: the header the API's integration sets to the domain the client called (API Gateway does
    # not pass the client's Host header on to the listener)
    header = rules["admin"]["condition"][0]["http_header"][0]
    assert (header["http_header_name"], header["values"]) == ("x-api-host", ["admin.shop.example.com"])
    [integration] = [a for address, a in resources(root, "api_gateway").items() if address.startswith("aws_apigatewayv2_integration.")]
    assert integration["request_parameters"] == {"overwrite:header.x-api-host": "$context.domainName"}
    # the ALB may reach each routed service's tasks on their port, and nothing more of theirs
    egress = [a for address, a in ecs.items() if address.startswith("aws_vpc_security_group_egress_rule.alb_to_service")]
    assert {(rule["referenced_security_group_id"], rule["from_port"]) for rule in egress} == {(groups["orders"], 9000), (groups["admin"], 8080)}


def test_status_reports_the_path_per_service(applied):
    root, _ = applied
    done = run_cli(root, "status", "local", "--json")
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    checks = {check["name"]: check for check in done.json["checks"]}
    assert checks["service:orders"]["status"] == "ok"
    assert "/orders" in checks["service:orders"]["detail"]
    assert "admin.shop.example.com" in checks["service:admin"]["detail"]
    assert "worker" in checks["service:worker"]["detail"] and "no route" in checks["service:worker"]["detail"]


def test_a_one_service_environment_plans_no_changes_with_todays_modules(tmp_path):
    root = tmp_path / "project"
    copy_project(root)
    path = root / "environments" / "local.yaml"
    original = path.read_text()
    path.write_text(original + f'modules:\n  ref: "{BEFORE_SERVICES}"\n')
    done = run_cli(root, "apply", "local", "--auto-approve", timeout=900)
    assert done.code == 0, done.stderr[-4000:]
    path.write_text(original)
    again = run_cli(root, "plan", "local", "--json")
    assert again.code == 0, again.stderr[-3000:]
    stacks = by_name(again.json)
    # no resource changes anywhere; the ecs stack gains its two new outputs (empty without services)
    assert {name: stack["changes"] for name, stack in stacks.items()} == dict.fromkeys(
        ["network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"], {"add": 0, "change": 0, "destroy": 0})
    assert {name for name, stack in stacks.items() if stack["status"] != "no-changes"} == {"ecs"}
    output_changes = json.loads(Path(stacks["ecs"]["plan_json"]).read_text())["output_changes"]
    assert {name for name, change in output_changes.items() if change["actions"] != ["no-op"]} == {
        "services", "service_task_role_names"}


def test_pr_plan_and_drift_name_the_service(applied):
    root, _ = applied
    git = ["git", "-C", str(root), "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "services"], check=True)
    path = root / "environments" / "local.yaml"
    original = path.read_text()
    path.write_text(original.replace("image_tag: 2.0.1", "image_tag: 2.0.2"))
    try:
        done = run_cli(root, "pr-plan", "--base", "HEAD", "--env", "local", "--comment-file", str(root / "comment.md"))
        assert done.code == 3, done.stderr[-3000:]  # changes
        comment = (root / "comment.md").read_text()
        assert "Services changed: `orders`" in comment
    finally:
        path.write_text(original)

    # the orders service scaled by hand, outside Terraform: drift names it
    service_arn = next(a["id"] for address, a in resources(root, "ecs").items() if address == 'aws_ecs_service.service_fixed["orders"]')
    edited = run_cli(root, "local-cloud", "edit", "local", "aws_ecs_service", service_arn, "desired_count=3")
    assert edited.code == 0, edited.stderr[-2000:]
    drifted = run_cli(root, "drift", "local", "--json")
    assert drifted.code == 3, drifted.stderr[-3000:]
    [resource] = [r for s in drifted.json["stacks"] for r in s["resources"]]
    assert (resource["address"], resource["service"]) == ('aws_ecs_service.service_fixed["orders"]', "orders")
