"""Secret references resolve from the environment, SSM and Secrets Manager (moto), and are masked."""

import pytest
from moto import mock_aws

from orchestrator.run import secrets
from orchestrator.config.schema import Environment

BASE = {
    "project": "fx",
    "region": "eu-west-1",
    "provider": "local",
    "network": {"vpc_cidr": "10.0.0.0/16"},
    "app": {"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/a", "image_tag": "1"},
}


def config(refs):
    return Environment.model_validate({**BASE, "secrets": refs})


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_all_three_kinds_resolve_and_are_masked():
    import boto3

    with mock_aws():
        boto3.client("ssm", region_name="eu-west-1").put_parameter(Name="/fx/db", Value="ssm-value-123", Type="SecureString")
        boto3.client("secretsmanager", region_name="eu-west-1").create_secret(Name="fx/token", SecretString="sm-value-456")
        values, problems = secrets.resolve(
            config({"ecs.db": {"ssm": "/fx/db"}, "ecs.token": {"secretsmanager": "fx/token"}, "keepalive.key": {"env": "KEY"}}),
            "environments/x.yaml",
            environ={"KEY": "env-value-789"},
        )
    assert problems == []
    assert values == {"ecs": {"db": "ssm-value-123", "token": "sm-value-456"}, "keepalive": {"key": "env-value-789"}}
    text = 'log: ssm-value-123 and {"v": "sm-value-456"} env-value-789'
    assert secrets.MASK.apply(text) == 'log: (sensitive) and {"v": "(sensitive)"} (sensitive)'


def test_missing_parameter_is_a_problem_naming_the_key():
    with mock_aws():
        _, problems = secrets.resolve(config({"ecs.db": {"ssm": "/fx/missing"}}), "environments/x.yaml", environ={})
    assert len(problems) == 1
    assert problems[0].key == "secrets.ecs.db" and "cannot resolve ssm '/fx/missing'" in problems[0].reason


def test_masking_covers_json_escaped_forms():
    secrets.MASK.add('quote"and\\backslash')
    assert secrets.MASK.apply('{"a": "quote\\"and\\\\backslash"}') == '{"a": "(sensitive)"}'
