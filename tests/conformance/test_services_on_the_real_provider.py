"""Services and the team-added queue on the real provider against moto (issue 24).

dev as shipped runs the app and a worker service that consumes the queue stack; the test adds two
routed services (one by path, one by host) and applies network, alb, ecs and queue with
`--provider moto`, re-plans them with no changes, and reads back from moto's APIs what holds per
service: no public IP, the private subnets, the route as a rule of the one listener, the worker
behind nothing, and the queue's consumer policy on the worker's task role alone. The whole
environment's cycle (with destroy) is tests/conformance/test_environments_on_the_real_provider.py.

moto needs the SQS bridge (orchestrator/local_cloud/moto_sqs_attributes.py): without it the redrive
allow policy never reads back and the queue's apply hangs until the provider gives up.
"""

from __future__ import annotations

import pytest
import yaml
from conformance_support import moto_server_work
from helpers import by_name, copy_project, run_cli

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.project import Project
from orchestrator.terraform.target import Target

pytestmark = [pytest.mark.terraform, pytest.mark.moto, pytest.mark.real_provider, pytest.mark.slow]

# Not vpc_link and api_gateway: the environment cycles (ORCHESTRATOR_CONFORMANCE=all) apply those. Run
# beside ecs here, the provider once retried a CreateSecurityGroup that moto had already served under
# load, and moto answered InvalidGroup.Duplicate (docs/measured/conformance.md).
STACKS = ("network", "alb", "ecs", "queue")
ROUTED = {
    "orders": {
        "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shopfront/orders",
        "image_tag": "2.0.1",
        "container_port": 9000,
        "route": {"path_prefix": "/orders", "priority": 10},
    },
    "admin": {
        "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shopfront/admin",
        "image_tag": "0.3.0",
        "route": {"host": "admin.shop.example.com", "priority": 20},
    },
}


def test_routed_services_a_worker_and_its_queue_apply_and_replan_clean(tmp_path, moto_server):
    root = copy_project(tmp_path / "project")
    path = root / "environments" / "dev.yaml"
    config = yaml.safe_load(path.read_text())
    config["services"].update(ROUTED)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    work = {"ORCHESTRATOR_WORK_DIR": str(moto_server_work(moto_server))}
    selected = [arg for stack in STACKS for arg in ("--stack", stack)]

    applied = run_cli(root, "apply", "dev", *selected, "--provider", "moto", "--auto-approve", "--json", env=work, timeout=2400)
    assert applied.code == 0, applied.stderr[-3000:]
    stacks = by_name(applied.json)
    assert {name: s["status"] for name, s in stacks.items()} == dict.fromkeys(STACKS, "ok"), {n: s["error"] for n, s in stacks.items()}
    # Each stack's plan, show and apply were served by one provider process of its own (upgrade.md).
    leases = [line.split()[3:] for line in (moto_server_work(moto_server) / "dev.moto" / "provider-pool.log").read_text().splitlines()
              if " lease process " in line]
    served = {}
    for pid, folder in leases:
        served.setdefault(folder.rsplit("/", 1)[1], set()).add(pid)
    assert {stack: len(pids) for stack, pids in served.items()} == dict.fromkeys(STACKS, 1), leases
    assert len(leases) >= 3 * len(STACKS), leases

    replanned = run_cli(root, "plan", "dev", *selected, "--provider", "moto", "--json", env=work, timeout=2400)
    assert replanned.code == 0, replanned.stderr[-3000:]
    changed = {n: s["changes"] for n, s in by_name(replanned.json).items() if s["status"] != "no-changes"}
    assert not changed, f"a re-plan after apply should change nothing: {changed}"

    loaded = EnvironmentLoader(Project(root)).load("dev")
    session = moto_server.session(loaded.config.region, Target.of(loaded, "moto").role_arn)
    ecs, elb, iam = (session.client(name, endpoint_url=moto_server.endpoint) for name in ("ecs", "elbv2", "iam"))
    ecs_out, alb_out, network_out = (stacks[name]["outputs"] for name in ("ecs", "alb", "network"))
    services = ecs_out["services"]
    assert set(services) == {"worker", "orders", "admin"}
    described = ecs.describe_services(cluster=ecs_out["cluster_arn"], services=[s["service_name"] for s in services.values()])["services"]
    for service in described:
        vpc = service["networkConfiguration"]["awsvpcConfiguration"]
        assert vpc["assignPublicIp"] == "DISABLED", service["serviceName"]
        assert set(vpc["subnets"]) == set(network_out["private_subnet_ids"]), service["serviceName"]
    by_service = {s["serviceName"]: s for s in described}
    assert not by_service["shopfront-dev-worker"]["loadBalancers"]
    rules = elb.describe_rules(ListenerArn=alb_out["listener_arn"])["Rules"]
    conditions = {rule["Priority"]: rule["Conditions"][0] for rule in rules if rule["Priority"] != "default"}
    assert conditions["10"]["Field"] == "path-pattern"
    assert (conditions["10"].get("PathPatternConfig") or conditions["10"])["Values"] == ["/orders", "/orders/*"]
    assert conditions["20"]["Field"] == "http-header"  # the header the API sets: it does not pass the client's Host on
    assert conditions["20"]["HttpHeaderConfig"] == {"HttpHeaderName": "x-api-host", "Values": ["admin.shop.example.com"]}

    worker_role = services["worker"]["task_role_name"]
    attached = iam.list_attached_role_policies(RoleName=worker_role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [stacks["queue"]["outputs"]["consumer_policy_arn"]]
    assert not iam.list_attached_role_policies(RoleName=services["orders"]["task_role_name"])["AttachedPolicies"]
