"""`status`: the checks over the boto3 source (moto in-process, and stubbed responses where moto
cannot produce a state), over the local provider's store, and the JSON document they make."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from rich.console import Console

from orchestrator.local_provider.store import Store
from orchestrator.run.types import StackResult
from orchestrator.status import checks as status
from orchestrator.status.sources import AwsSource, LocalSource

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parents[2]


def by_name(checks) -> dict:
    return {check.name: check for check in checks}


def build(tag: str, scheme: str = "internal", register_targets: bool = True, rule_state: str = "ENABLED",
          running: int = 1) -> dict:
    """One copy of the product's objects in moto, named by ``tag``; returned as the stacks' outputs name them."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.20.0.0/24", "us-east-1a"), ("10.20.1.0/24", "us-east-1b"))
    ]
    sg = ec2.create_security_group(GroupName=f"alb-{tag}", Description="alb", VpcId=vpc_id)["GroupId"]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    alb_arn = elbv2.create_load_balancer(Name=tag, Subnets=subnets, SecurityGroups=[sg], Scheme=scheme,
                                         Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elbv2.create_target_group(Name=f"{tag}-tg", Protocol="HTTP", Port=8080, VpcId=vpc_id,
                                       TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    listener_arn = elbv2.create_listener(LoadBalancerArn=alb_arn, Protocol="HTTP", Port=80,
                                         DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])["Listeners"][0]["ListenerArn"]
    if register_targets:
        elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": "10.20.0.10", "Port": 8080}])
    ecs = boto3.client("ecs", region_name=REGION)
    cluster_arn = ecs.create_cluster(clusterName=tag)["cluster"]["clusterArn"]
    ecs.register_task_definition(
        family=tag, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 8080}]}],
    )
    with pytest.MonkeyPatch.context() as patch:
        # moto reports runningCount from this variable (0 by default), read when the service is created.
        patch.setenv("MOTO_ECS_SERVICE_RUNNING", str(running))
        service = ecs.create_service(
            cluster=cluster_arn, serviceName=tag, taskDefinition=tag, desiredCount=1, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}},
            loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "web", "containerPort": 8080}],
        )["service"]
    api = boto3.client("apigatewayv2", region_name=REGION)
    link_id = api.create_vpc_link(Name=tag, SubnetIds=subnets, SecurityGroupIds=[sg])["VpcLinkId"]
    created = api.create_api(Name=tag, ProtocolType="HTTP")
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name=f"{tag}-keepalive", ScheduleExpression="rate(1 hour)", State=rule_state)
    return {
        "alb": {"alb_arn": alb_arn, "target_group_arn": tg_arn, "listener_arn": listener_arn},
        "ecs": {"cluster_arn": cluster_arn, "service_name": service["serviceName"]},
        "vpc_link": {"vpc_link_id": link_id},
        "api_gateway": {"api_id": created["ApiId"], "api_endpoint": created["ApiEndpoint"]},
        "keepalive": {"rule_name": f"{tag}-keepalive"},
    }


# boto3 against moto ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def moto_world():
    """moto, in-process, started once: a healthy copy of the product and broken variants beside it."""
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in credentials.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            world = {
                "healthy": build("shop-dev"),
                "public": build("shop-public", scheme="internet-facing"),
                "no_task": build("shop-notask", running=0),
                "no_target": build("shop-notarget", register_targets=False),
                "disabled": build("shop-disabled", rule_state="DISABLED"),
                "deleted": build("shop-deleted"),
                "deregistered": build("shop-dereg"),
            }
            deleted = world["deleted"]
            boto3.client("apigatewayv2", region_name=REGION).delete_vpc_link(VpcLinkId=deleted["vpc_link"]["vpc_link_id"])
            boto3.client("events", region_name=REGION).delete_rule(Name=deleted["keepalive"]["rule_name"])
            boto3.client("elbv2", region_name=REGION).deregister_targets(
                TargetGroupArn=world["deregistered"]["alb"]["target_group_arn"], Targets=[{"Id": "10.20.0.10", "Port": 8080}])
            world["source"] = AwsSource(REGION)  # one set of clients for every test (their models load slowly)
            yield world


def aws_checks(world: dict, outputs: dict) -> dict:
    return by_name(status.evaluate(outputs, world["source"]))


def test_aws_healthy_path(moto_world):
    outputs = moto_world["healthy"]
    checks = aws_checks(moto_world, outputs)
    assert {name: c.status for name, c in checks.items()} == {
        "alb_scheme": "ok", "vpc_link": "ok", "ecs_service": "ok", "target_health": "ok", "api": "ok", "keepalive": "ok"}
    assert "AVAILABLE" in checks["vpc_link"].detail
    assert "running 1/1" in checks["ecs_service"].detail and "COMPLETED" in checks["ecs_service"].detail
    assert "1 healthy" in checks["target_health"].detail
    assert checks["api"].detail == outputs["api_gateway"]["api_endpoint"]


def test_aws_internet_facing_alb_is_broken(moto_world):
    check = aws_checks(moto_world, moto_world["public"])["alb_scheme"]
    assert check.status == "broken"
    assert "internet-facing" in check.detail and "Service Unavailable" in check.detail


def test_aws_no_running_task_is_broken(moto_world):
    check = aws_checks(moto_world, moto_world["no_task"])["ecs_service"]  # runningCount 0, pendingCount 1
    assert check.status == "broken"
    assert "running 0/1" in check.detail and "IN_PROGRESS" in check.detail


def test_aws_no_registered_target_is_broken(moto_world):
    for variant in ("no_target", "deregistered"):
        # moto drops a deregistered target from the list (AWS shows it "draining" for the deregistration delay).
        check = aws_checks(moto_world, moto_world[variant])["target_health"]
        assert check.status == "broken" and "no targets registered" in check.detail


def test_aws_deleted_objects_are_broken(moto_world):
    checks = aws_checks(moto_world, moto_world["deleted"])
    assert checks["vpc_link"].status == "broken" and "not found" in checks["vpc_link"].detail
    assert checks["keepalive"].status == "warning" and "not found" in checks["keepalive"].detail


def test_aws_disabled_keepalive_is_a_warning(moto_world):
    checks = aws_checks(moto_world, moto_world["disabled"])
    assert checks["keepalive"].status == "warning" and "INACTIVE" in checks["keepalive"].detail
    assert all(c.status == "ok" for name, c in checks.items() if name != "keepalive")


def test_never_applied_stack_is_broken_without_calling_aws(moto_world):
    outputs = {**moto_world["healthy"], "ecs": {}}
    checks = aws_checks(moto_world, outputs)
    assert checks["ecs_service"].status == "broken" and "'ecs' was never applied" in checks["ecs_service"].detail
    assert checks["vpc_link"].status == "ok"


# boto3 with stubbed responses: states moto cannot produce ------------------------------------
class Stubbed:
    """Real botocore clients whose answers are given (botocore's Stubber checks them against the API model)."""

    @staticmethod
    @functools.cache
    def session() -> boto3.session.Session:  # one session: its loader keeps the API models
        return boto3.session.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")

    def __init__(self):
        session = self.session()
        self.clients, self.stubbers = {}, {}
        for name in ("apigatewayv2", "ecs", "elbv2", "events"):
            self.clients[name] = session.client(name)
            self.stubbers[name] = Stubber(self.clients[name])
            self.stubbers[name].activate()

    def source(self) -> AwsSource:
        return AwsSource(REGION, client=self.clients.__getitem__)


def test_stubbed_vpc_link_inactive_and_failed():
    # moto always reports AVAILABLE.
    stub = Stubbed()
    stub.stubbers["apigatewayv2"].add_response(
        "get_vpc_link", {"VpcLinkId": "abc123", "VpcLinkStatus": "INACTIVE", "VpcLinkStatusMessage": "VPC link is inactive"},
        {"VpcLinkId": "abc123"})
    stub.stubbers["apigatewayv2"].add_response(
        "get_vpc_link", {"VpcLinkId": "abc123", "VpcLinkStatus": "FAILED", "VpcLinkStatusMessage": "Insufficient ENI quota"},
        {"VpcLinkId": "abc123"})
    source = stub.source()
    inactive = status._vpc_link(source, "abc123")
    failed = status._vpc_link(source, "abc123")
    assert inactive.status == "broken" and "INACTIVE" in inactive.detail and "60 days" in inactive.detail
    assert failed.status == "broken" and "Insufficient ENI quota" in failed.detail


def test_stubbed_unhealthy_targets_with_reasons():
    # moto reports every registered ip target healthy.
    stub = Stubbed()
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-dev-tg/0123456789abcdef"
    descriptions = [
        {"Target": {"Id": "10.20.0.10", "Port": 8080},
         "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch", "Description": "Health checks failed with these codes: [502]"}},
        {"Target": {"Id": "10.20.1.11", "Port": 8080},
         "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout", "Description": "Request timed out"}},
    ]
    stub.stubbers["elbv2"].add_response("describe_target_health", {"TargetHealthDescriptions": descriptions}, {"TargetGroupArn": arn})
    stub.stubbers["elbv2"].add_response(
        "describe_target_health",
        {"TargetHealthDescriptions": [descriptions[0], {"Target": {"Id": "10.20.1.12", "Port": 8080}, "TargetHealth": {"State": "healthy"}}]},
        {"TargetGroupArn": arn})
    source = stub.source()
    none_healthy = status._target_health(source, arn)
    one_healthy = status._target_health(source, arn)
    assert none_healthy.status == "broken"
    assert "shop-dev-tg: 0 healthy, 2 not healthy" in none_healthy.detail
    assert "Target.ResponseCodeMismatch" in none_healthy.detail and "Target.Timeout" in none_healthy.detail
    assert one_healthy.status == "warning" and "1 healthy, 1 not healthy" in one_healthy.detail


def test_stubbed_failed_rollout_and_missing_service():
    # moto's rolloutState is COMPLETED or IN_PROGRESS, never FAILED; its failures list is not modelled here either.
    stub = Stubbed()
    params = {"cluster": "shop-dev", "services": ["shop-dev"]}
    service = {
        "serviceName": "shop-dev", "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
        "deployments": [
            {"status": "PRIMARY", "rolloutState": "FAILED", "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
            {"status": "ACTIVE", "rolloutState": "COMPLETED"},
        ],
    }
    stub.stubbers["ecs"].add_response("describe_services", {"services": [service], "failures": []}, params)
    stub.stubbers["ecs"].add_response(
        "describe_services", {"services": [], "failures": [{"arn": "arn:aws:ecs:us-east-1:123456789012:service/shop-dev/shop-dev", "reason": "MISSING"}]},
        params)
    source = stub.source()
    failed = status._ecs_service(source, "shop-dev", "shop-dev")
    missing = status._ecs_service(source, "shop-dev", "shop-dev")
    assert failed.status == "warning" and "FAILED" in failed.detail and "circuit breaker" in failed.detail
    assert missing.status == "broken" and "not found" in missing.detail


def test_stubbed_access_denied_is_unreadable_not_missing():
    stub = Stubbed()
    stub.stubbers["apigatewayv2"].add_client_error("get_vpc_link", "AccessDeniedException", "not authorized", 403)
    checks = by_name(status.evaluate({"vpc_link": {"vpc_link_id": "abc123"}}, stub.source()))
    assert checks["vpc_link"].status == "broken"
    assert checks["vpc_link"].detail.startswith("could not read:") and "not authorized" in checks["vpc_link"].detail


# the local provider's store ----------------------------------------------------------------------
LOCAL_OUTPUTS = {
    "alb": {"alb_arn": "arn:alb", "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/shop-local-tg/1"},
    "ecs": {"cluster_arn": "arn:cluster", "service_name": "shop-local"},
    "vpc_link": {"vpc_link_id": "lnk1"},
    "api_gateway": {"api_id": "api1", "api_endpoint": "https://api1.execute-api.us-east-1.amazonaws.com"},
    "keepalive": {"rule_name": "shop-local-keepalive"},
}


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "cloud")
    store.put("aws_lb", "arn:alb", {"id": "arn:alb", "arn": "arn:alb", "name": "shop-local", "internal": True})
    tg = LOCAL_OUTPUTS["alb"]["target_group_arn"]
    store.put("aws_lb_target_group", tg, {"id": tg, "arn": tg, "name": "shop-local-tg"})
    store.put("aws_ecs_service", "arn:service", {"id": "arn:service", "name": "shop-local", "desired_count": 2})
    store.put("aws_apigatewayv2_vpc_link", "lnk1", {"id": "lnk1", "name": "shop-local"})
    store.put("aws_apigatewayv2_api", "api1", {"id": "api1", "api_endpoint": LOCAL_OUTPUTS["api_gateway"]["api_endpoint"]})
    store.put("aws_cloudwatch_event_rule", "shop-local-keepalive", {"id": "shop-local-keepalive", "state": "ENABLED"})
    return store


def test_local_store_healthy_when_every_object_exists(store):
    checks = by_name(status.evaluate(LOCAL_OUTPUTS, LocalSource(store.directory)))
    assert all(c.status == "ok" for c in checks.values()), checks
    assert "desired 2" in checks["ecs_service"].detail and "local provider" in checks["ecs_service"].detail
    assert "local provider" in checks["target_health"].detail


def test_local_store_missing_or_changed_objects(store):
    store.delete("aws_apigatewayv2_vpc_link", "lnk1")
    store.put("aws_lb", "arn:alb", {"id": "arn:alb", "arn": "arn:alb", "name": "shop-local", "internal": False})
    store.put("aws_cloudwatch_event_rule", "shop-local-keepalive", {"id": "shop-local-keepalive", "state": "DISABLED"})
    checks = by_name(status.evaluate(LOCAL_OUTPUTS, LocalSource(store.directory)))
    assert checks["vpc_link"].status == "broken" and "not found" in checks["vpc_link"].detail
    assert checks["alb_scheme"].status == "broken"
    assert checks["keepalive"].status == "warning"


def test_local_store_honours_a_recorded_link_status(store):
    store.put("aws_apigatewayv2_vpc_link", "lnk1", {"id": "lnk1", "vpc_link_status": "PENDING"})
    check = by_name(status.evaluate(LOCAL_OUTPUTS, LocalSource(store.directory)))["vpc_link"]
    assert check.status == "broken" and "PENDING" in check.detail


# the document and the table ----------------------------------------------------------------------
def test_stacks_check():
    applied = [StackResult(name, status="ok", outputs={"x": 1}) for name in ("network", "alb")]
    assert status._stacks_check(applied).status == "ok"
    never = applied + [StackResult("ecs", status="ok", outputs={})]
    assert status._stacks_check(never).detail == "never applied (no outputs in state): ecs"
    unreadable = applied + [
        StackResult(name, status="failed", error="# transient failure, retry 1 in 1.0s: Error: Failed to get existing workspaces\nmore")
        for name in ("ecs", "vpc_link")
    ]
    check = status._stacks_check(unreadable)
    assert check.status == "broken"
    assert check.detail == "could not read the state of ecs, vpc_link: Error: Failed to get existing workspaces"
    assert by_name(status.evaluate({}, None, frozenset({"ecs"})))["ecs_service"].detail == "the state of stack 'ecs' could not be read"


def test_document_and_table(store):
    checks = status.evaluate(LOCAL_OUTPUTS, LocalSource(store.directory))
    results = [StackResult("alb", status="ok", outputs=LOCAL_OUTPUTS["alb"])]
    doc = status.document("local", LocalSource(store.directory), checks, results, "https://api1")
    assert json.loads(json.dumps(doc))["healthy"] is True
    assert doc["env"] == "local" and doc["command"] == "status" and doc["source"] == "local provider"
    assert [set(c) for c in doc["checks"]] == [{"name", "status", "detail"}] * len(checks)
    assert doc["stacks"][0]["name"] == "alb"
    buffer = io.StringIO()
    status.show(Console(file=buffer, width=200), doc)
    text = buffer.getvalue()
    assert "status local (local provider)" in text and "path healthy" in text and "https://api1" in text
    doc["checks"][0]["status"] = "broken"
    buffer = io.StringIO()
    status.show(Console(file=buffer, width=200), doc)
    assert "path broken: alb_scheme" in buffer.getvalue()


def test_run_reads_outputs_through_the_core_and_exits_by_health(moto_world, monkeypatch, capsys):
    """The whole command on the boto3 path, with the core's `output` run stood in for by moto's ids."""
    from types import SimpleNamespace

    from orchestrator.config.graph import StackGraph
    from orchestrator.config.project import Project

    seen = {}

    def fake_core_run(project, options, console):
        seen["options"] = options
        env = SimpleNamespace(name="dev", config=SimpleNamespace(provider="aws", region=REGION, backend=SimpleNamespace(type="s3")))
        results = [StackResult(name, status="ok", outputs=values) for name, values in outputs.items()]
        return SimpleNamespace(env=env, graph=StackGraph({})), [StackResult("network", status="ok", outputs={"vpc_id": "vpc-1"}), *results]

    monkeypatch.setattr(status.core, "run", fake_core_run)
    console = Console(file=io.StringIO(), width=200)
    outputs = moto_world["healthy"]
    healthy = status.run(Project(REPO_ROOT), "dev", "auto", console, as_json=True)
    healthy_doc = json.loads(capsys.readouterr().out)
    outputs = {**outputs, "vpc_link": moto_world["deleted"]["vpc_link"]}
    broken = status.run(Project(REPO_ROOT), "dev", "auto", console, as_json=True)
    broken_doc = json.loads(capsys.readouterr().out)
    assert seen["options"].command == "output" and seen["options"].env == "dev"
    assert healthy == 0 and healthy_doc["healthy"] is True and healthy_doc["source"] == f"AWS {REGION}"
    assert healthy_doc["endpoint"] == outputs["api_gateway"]["api_endpoint"]
    assert broken == 1 and broken_doc["healthy"] is False
    assert [c["name"] for c in broken_doc["checks"] if c["status"] == "broken"] == ["vpc_link"]
    assert "path broken: vpc_link" in console.file.getvalue()


class _ServicesSource:
    """Two services: orders runs but its targets are unhealthy; the worker is gone."""

    label = "fake"

    def service(self, cluster, name):
        from orchestrator.status.sources import Service
        return Service("ACTIVE", 1, 1, 0) if name == "shop-orders" else None

    def target_health(self, arn):
        from orchestrator.status.sources import Target, TargetHealth
        return TargetHealth((Target("10.0.1.5", "unhealthy", "Target.FailedHealthChecks", "502"),))


def test_each_service_is_a_row_with_its_route_and_its_worst_part():
    outputs = {"ecs": {"cluster_arn": "arn:aws:ecs:eu-west-1:1:cluster/shop", "services": {
        "orders": {"service_name": "shop-orders", "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/shop-orders/1",
                   "route": {"path_prefix": "/orders", "host": None, "priority": 10}},
        "worker": {"service_name": "shop-worker", "target_group_arn": None, "route": None},
    }}}
    rows = {c.name: c for c in status.service_checks(outputs, _ServicesSource())}
    assert rows["service:orders"].status == status.BROKEN  # running, but no healthy target
    assert rows["service:orders"].detail.startswith("path /orders; shop-orders: running 1/1")
    assert rows["service:worker"].status == status.BROKEN
    assert rows["service:worker"].detail == "no route (a worker: nothing reaches it); service shop-worker not found in arn:aws:ecs:eu-west-1:1:cluster/shop"
    assert status.service_checks({"ecs": {}}, _ServicesSource()) == []  # no services: no rows
