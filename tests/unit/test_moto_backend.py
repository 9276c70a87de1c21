"""--provider moto without the provider: the generated configuration and the local cloud's lifecycle."""

from __future__ import annotations

import pytest

from helpers import REPO
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.run import local_cloud
from orchestrator.terraform import workdir


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(tmp_path / "work"))
    return Project(REPO)


def test_a_moto_rehearsal_points_every_service_at_the_server_and_assumes_a_role_in_the_account(project):
    env = EnvironmentLoader(project).load("dev")
    stack = load_graph(project).stacks["alb"]
    directory = workdir.prepare(project, env, stack, "moto", "http://127.0.0.1:4566")
    assert directory.path == project.runs_dir / "dev.moto" / "alb"
    provider = (directory.path / "_orchestrator_provider.tf").read_text()
    for service in workdir.MOTO_SERVICES:
        assert f'    {service} = "http://127.0.0.1:4566"' in provider
    assert 'role_arn = "arn:aws:iam::111111111111:role/orchestrator-rehearsal"' in provider
    assert 'allowed_account_ids = ["111111111111"]' in provider
    backend = (directory.path / "_orchestrator_backend.tf").read_text()
    assert 'backend "local"' in backend and str(project.runs_dir / "dev.moto" / "state" / "alb.tfstate") in backend
    assert not directory.locked and not (directory.path / ".terraform.lock.hcl").exists()
    real = workdir.prepare(project, env, stack, "aws")
    assert "endpoints" not in (real.path / "_orchestrator_provider.tf").read_text() and 'backend "s3"' in (real.path / "_orchestrator_backend.tf").read_text()


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


def test_the_local_cloud_lives_across_commands_until_down(project):
    assert local_cloud.status(project) is None
    server = local_cloud.up(project)
    try:
        assert local_cloud.up(project) == server  # idempotent: the same server
        assert local_cloud.status(project) == server
        from orchestrator.status.sources import AwsSource

        # A rehearsal of dev acts in dev's account through the role its provider block assumes.
        role = "arn:aws:iam::111111111111:role/orchestrator-rehearsal"
        source = AwsSource.on_moto("eu-west-1", server.endpoint, local_cloud.CREDENTIALS, role)
        assert source.client("sts").get_caller_identity()["Account"] == "111111111111"
        assert source.label == f"moto at {server.endpoint}"
    finally:
        stopped = local_cloud.down(project)
    assert stopped == server and local_cloud.status(project) is None
    assert local_cloud.down(project) is None


def test_the_local_cloud_answers_cloudwatch_in_the_sdks_cbor_protocol(project):
    """moto serves CloudWatch only in the query protocol; the SDKs now speak RPC v2 CBOR to it."""
    import boto3

    server = local_cloud.up(project)
    try:
        cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=server.endpoint,
                                  aws_access_key_id="testing", aws_secret_access_key="testing")
        assert cloudwatch.meta.service_model.protocol == "smithy-rpc-v2-cbor"
        cloudwatch.put_metric_alarm(AlarmName="idle", Namespace="AWS/Events", MetricName="Invocations", Statistic="Sum",
                                    Period=3600, EvaluationPeriods=24, Threshold=1.0, ComparisonOperator="LessThanThreshold",
                                    Tags=[{"Key": "Team", "Value": "shop"}])
        alarm = cloudwatch.describe_alarms(AlarmNames=["idle"])["MetricAlarms"][0]
        assert (alarm["EvaluationPeriods"], alarm["Threshold"]) == (24, 1.0)
        assert cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "Team", "Value": "shop"}]
        cloudwatch.delete_alarms(AlarmNames=["idle"])
        assert cloudwatch.describe_alarms(AlarmNames=["idle"])["MetricAlarms"] == []
    finally:
        local_cloud.down(project)
