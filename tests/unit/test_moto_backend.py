"""--provider moto without the provider: the generated configuration and the local cloud's lifecycle."""

from __future__ import annotations

import pytest

from helpers import REPO
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server
from orchestrator.terraform import workdir
from orchestrator.terraform.target import MOTO_OVERRIDE, MOTO_SERVICES, Target


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(tmp_path / "work"))
    return Project(REPO)


def test_a_moto_rehearsal_points_every_service_at_the_server_and_assumes_a_role_in_the_account(project):
    env = EnvironmentLoader(project).load("dev")
    stack = load_graph(project).stacks["alb"]
    directory = workdir.prepare(project, Target.of(env, "moto"), stack, "http://127.0.0.1:4566")
    assert directory.path == project.runs_dir / "dev.moto" / "alb"
    provider = (directory.path / "_orchestrator_provider.tf").read_text()
    for service in MOTO_SERVICES:
        assert f'    {service} = "http://127.0.0.1:4566"' in provider
    assert 'role_arn = "arn:aws:iam::111111111111:role/orchestrator-rehearsal"' in provider
    assert 'allowed_account_ids = ["111111111111"]' in provider
    backend = (directory.path / "_orchestrator_backend.tf").read_text()
    assert 'backend "s3"' in backend and directory.state_file is None  # production's backend, on the local cloud
    old_way = workdir.prepare(project, Target.of(env, "moto", "local"), stack, "http://127.0.0.1:4566")
    assert str(project.runs_dir / "dev.moto" / "state" / "alb.tfstate") in (old_way.path / "_orchestrator_backend.tf").read_text()
    assert not directory.locked and not (directory.path / ".terraform.lock.hcl").exists()
    real = workdir.prepare(project, Target.of(env, "aws"), stack)
    assert "endpoints" not in (real.path / "_orchestrator_provider.tf").read_text() and 'backend "s3"' in (real.path / "_orchestrator_backend.tf").read_text()


def test_what_moto_cannot_answer_is_ignored_in_rehearsals_only(project):
    """An override file (moto mode only) ignores exactly MOTO_GAPS; a module's own ignores are kept."""
    import hcl2
    from hcl2 import SerializationOptions

    env = EnvironmentLoader(project).load("dev")
    stacks = load_graph(project).stacks
    rehearsal = workdir.prepare(project, Target.of(env, "moto"), stacks["vpc_link"], "http://127.0.0.1:4566")
    override = hcl2.loads((rehearsal.path / MOTO_OVERRIDE).read_text(),
                          serialization_options=SerializationOptions(strip_string_quotes=True, explicit_blocks=False))
    ignored = {name: body["lifecycle"][0]["ignore_changes"] for block in override["resource"]
               for named in block.values() for name, body in named.items()}
    assert set(ignored) == {"vpc_link_to_alb", "alb_from_vpc_link"}
    assert all(items == ["${description}"] or items == ["description"] for items in ignored.values()), ignored
    ecs = workdir.prepare(project, Target.of(env, "moto"), stacks["ecs"], "http://127.0.0.1:4566").path / MOTO_OVERRIDE
    assert 'resource "aws_ecs_service" "autoscaled"' in ecs.read_text()
    assert "ignore_changes = [desired_count, health_check_grace_period_seconds]" in ecs.read_text()  # the module's own kept
    real = workdir.prepare(project, Target.of(env, "aws"), stacks["vpc_link"])
    assert not (real.path / MOTO_OVERRIDE).exists()
    # a later real run in the same directory never keeps a rehearsal's override
    local = workdir.prepare(project, Target.of(env, "local"), stacks["vpc_link"])
    assert not (local.path / MOTO_OVERRIDE).exists()


def test_without_the_real_provider_moto_is_refused_with_the_build_command(project, monkeypatch):
    from orchestrator.run.secrets import MASK
    from orchestrator.run.workspace import Workspaces

    try:
        import orchestrator.tools as tools
        monkeypatch.setattr(tools, "real_provider_mirror", lambda: None)
    except ImportError:
        pass
    env = EnvironmentLoader(project).load("dev")
    workspaces = Workspaces(project, env, load_graph(project), "moto", MASK.apply)
    with pytest.raises(InputError) as refused:
        workspaces._real_provider_cli_config()
    assert "tools build terraform-provider-aws" in str(refused.value.problems[0])


@pytest.mark.moto
def test_the_local_cloud_lives_across_commands_until_down(project):
    assert moto_server.status(project) is None
    server = moto_server.up(project)
    try:
        assert moto_server.up(project) == server  # idempotent: the same server
        assert moto_server.status(project) == server
        from orchestrator.status.sources import AwsSource

        # A rehearsal of dev acts in dev's account through the role its provider block assumes.
        role = "arn:aws:iam::111111111111:role/orchestrator-rehearsal"
        source = AwsSource.on_moto("eu-west-1", server.endpoint, moto_server.CREDENTIALS, role)
        assert source.client("sts").get_caller_identity()["Account"] == "111111111111"
        assert source.label == f"moto at {server.endpoint}"
    finally:
        stopped = moto_server.down(project)
    assert stopped == server and moto_server.status(project) is None
    assert moto_server.down(project) is None


def _cbor_call(endpoint: str, operation: str, params: dict) -> tuple[int, dict]:
    """One CloudWatch call as the Go SDK inside the provider makes it: Smithy RPC v2 CBOR, signed."""
    import urllib.error
    import urllib.request

    import cbor2
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{endpoint}/service/GraniteServiceVersion20100801/operation/{operation}"
    request = AWSRequest("POST", url, data=cbor2.dumps(params),
                         headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"})
    SigV4Auth(Credentials("testing", "testing"), "monitoring", "eu-west-1").add_auth(request)
    prepared = urllib.request.Request(url, data=request.body, headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, cbor2.loads(response.read() or cbor2.dumps({}))
    except urllib.error.HTTPError as error:
        return error.code, cbor2.loads(error.read())


@pytest.mark.moto
def test_the_local_cloud_answers_cloudwatch_in_the_sdks_cbor_protocol(project):
    """moto serves CloudWatch in query and JSON only; the provider's Go SDK speaks RPC v2 CBOR to it."""
    import datetime

    server = moto_server.up(project)
    try:
        status, _ = _cbor_call(server.endpoint, "PutMetricAlarm", {
            "AlarmName": "idle", "Namespace": "AWS/Events", "MetricName": "Invocations", "Statistic": "Sum", "Period": 3600,
            "EvaluationPeriods": 24, "Threshold": 1.0, "ComparisonOperator": "LessThanThreshold",
            "Dimensions": [{"Name": "RuleName", "Value": "keepalive"}], "Tags": [{"Key": "Team", "Value": "shop"}]})
        assert status == 200
        status, answer = _cbor_call(server.endpoint, "DescribeAlarms", {"AlarmNames": ["idle"]})
        alarm = answer["MetricAlarms"][0]
        assert (status, alarm["EvaluationPeriods"], alarm["Threshold"]) == (200, 24, 1.0)
        assert alarm["Dimensions"] == [{"Name": "RuleName", "Value": "keepalive"}]
        assert isinstance(alarm["StateUpdatedTimestamp"], datetime.datetime)  # CBOR tag 1, as the SDK expects
        status, answer = _cbor_call(server.endpoint, "ListTagsForResource", {"ResourceARN": alarm["AlarmArn"]})
        assert answer["Tags"] == [{"Key": "Team", "Value": "shop"}]
        status, answer = _cbor_call(server.endpoint, "TagResource", {"ResourceARN": alarm["AlarmArn"] + "-gone", "Tags": []})
        assert status >= 400 and answer["__type"]
    finally:
        moto_server.down(project)


@pytest.mark.moto
def test_the_local_cloud_keeps_the_tags_of_autoscaling_targets(project):
    """moto answers ListTagsForResource of application-autoscaling "not implemented", which the real
    provider retries for minutes (prod's aws_appautoscaling_target never finished creating)."""
    import boto3
    from botocore.exceptions import ClientError

    server = moto_server.up(project)
    try:
        client = lambda name: boto3.client(name, region_name="eu-west-1", endpoint_url=server.endpoint,  # noqa: E731
                                           **{k.lower(): v for k, v in moto_server.CREDENTIALS.items()})
        ec2, ecs, scaling = client("ec2"), client("ecs"), client("application-autoscaling")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        ecs.create_cluster(clusterName="shop")
        ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}],
                                     requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
        ecs.create_service(cluster="shop", serviceName="web", taskDefinition="web", desiredCount=3, launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})
        arn = scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/shop/web", MinCapacity=3, MaxCapacity=12,
                                               ScalableDimension="ecs:service:DesiredCount", Tags={"Stage": "prod"})["ScalableTargetARN"]
        assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Stage": "prod"}
        scaling.tag_resource(ResourceARN=arn, Tags={"Owner": "platform"})
        scaling.untag_resource(ResourceARN=arn, TagKeys=["Stage"])
        assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Owner": "platform"}
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            scaling.list_tags_for_resource(ResourceARN=arn + "x")
    finally:
        moto_server.down(project)


@pytest.mark.moto
def test_the_local_cloud_lets_a_listener_use_a_certificate_of_its_account_it_does_not_hold(project):
    """moto's CreateListener refuses a certificate its own ACM does not hold (CertificateNotFound), and a
    rehearsal has no certificate of the real account: prod's HTTPS listener could not be created."""
    import boto3
    from botocore.exceptions import ClientError

    server = moto_server.up(project)
    try:
        client = lambda name: boto3.client(name, region_name="eu-west-1", endpoint_url=server.endpoint,  # noqa: E731
                                           **{k.lower(): v for k, v in moto_server.CREDENTIALS.items()})
        ec2, elb = client("ec2"), client("elbv2")
        account = client("sts").get_caller_identity()["Account"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"]
                   for i, z in ((1, "a"), (2, "b"))]
        balancer = elb.create_load_balancer(Name="shop", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
        group = elb.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        certificate = f"arn:aws:acm:eu-west-1:{account}:certificate/6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
        https = dict(LoadBalancerArn=balancer, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
        listener = elb.create_listener(**https, Certificates=[{"CertificateArn": certificate}])["Listeners"][0]
        assert listener["Certificates"] == [{"CertificateArn": certificate}]
        described = elb.describe_listeners(ListenerArns=[listener["ListenerArn"]])["Listeners"][0]
        assert described["Certificates"][0]["CertificateArn"] == certificate
        other = certificate[:-12] + "000000000000"  # another certificate of the account
        elb.modify_listener(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": other}])
        # Another account's or region's certificate is still refused, as AWS refuses it.
        for foreign in (certificate.replace(account, "999999999999"), certificate.replace("eu-west-1", "us-east-1")):
            with pytest.raises(ClientError, match="CertificateNotFound"):
                elb.create_listener(**{**https, "Port": 8443}, Certificates=[{"CertificateArn": foreign}])
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
    finally:
        moto_server.down(project)


@pytest.mark.moto
def test_the_local_cloud_keeps_the_tags_a_bucket_is_created_with(project):
    """moto's CreateBucket ignored CreateBucketConfiguration/Tags (the provider's tag on create), so every
    re-plan of prod wanted to add the tags of the ALB's access-log bucket again."""
    import boto3

    server = moto_server.up(project)
    try:
        s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=server.endpoint,
                          **{k.lower(): v for k, v in moto_server.CREDENTIALS.items()})
        s3.create_bucket(Bucket="shop-logs", CreateBucketConfiguration={
            "LocationConstraint": "eu-west-1", "Tags": [{"Key": "Component", "Value": "alb"}, {"Key": "Name", "Value": "logs"}]})
        assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="shop-logs")["TagSet"]} == {"Component": "alb", "Name": "logs"}
        s3.create_bucket(Bucket="shop-plain", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with pytest.raises(s3.exceptions.ClientError, match="NoSuchTagSet"):
            s3.get_bucket_tagging(Bucket="shop-plain")
    finally:
        moto_server.down(project)
