"""Secret references resolve from the environment, SSM and Secrets Manager (moto), and are masked."""

import pytest
from moto import mock_aws

from orchestrator.config.schema import Environment
from orchestrator.run import secrets

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


def test_values_of_any_type_are_registered_leaf_by_leaf():
    masker = secrets.Masker()
    masker.add(["key-one-aaa", {"nested": "key-two-bbb"}, 42])
    text = 'a key-one-aaa, b key-two-bbb, json ["key-one-aaa", {"nested": "key-two-bbb"}, 42]'
    masked = masker.apply(text)
    assert "key-one-aaa" not in masked and "key-two-bbb" not in masked
    assert masked.startswith("a (sensitive), b (sensitive)")


def test_plan_json_is_masked_by_terraforms_own_marks():
    plan = {
        "variables": {"db_port": {"value": 5432}, "keys": {"value": ["k1", "k2"]}, "name": {"value": "web"}},
        "configuration": {"root_module": {"variables": {"db_port": {"sensitive": True}, "name": {}}}},
        "resource_changes": [{"change": {
            "before": None,
            "after": {"port": 5432, "tags": {"a": "b", "c": "d"}, "list": [1, 2]},
            "after_sensitive": {"port": True, "tags": {"c": True}, "list": [False, True]},
        }}],
        "output_changes": {"pw": {"before": None, "after": {"x": 1}, "after_sensitive": True, "before_sensitive": False}},
        "planned_values": {
            "outputs": {"pw": {"sensitive": True, "value": 7}},
            "root_module": {"resources": [{"values": {"port": 5432, "ok": 1}, "sensitive_values": {"port": True}}],
                            "child_modules": [{"resources": [{"values": {"s": "v"}, "sensitive_values": {"s": True}}]}]},
        },
        "prior_state": {"values": {"outputs": {"pw": {"sensitive": True, "value": 7}}, "root_module": {}}},
    }
    masked = secrets.mask_plan(plan, sensitive_variables={"keys"})
    M = secrets.MASKED
    assert masked["variables"] == {"db_port": {"value": M}, "keys": {"value": M}, "name": {"value": "web"}}
    after = masked["resource_changes"][0]["change"]["after"]
    assert after == {"port": M, "tags": {"a": "b", "c": M}, "list": [1, M]}
    assert masked["output_changes"]["pw"]["after"] == M
    assert masked["planned_values"]["outputs"]["pw"]["value"] == M
    assert masked["planned_values"]["root_module"]["resources"][0]["values"] == {"port": M, "ok": 1}
    assert masked["planned_values"]["root_module"]["child_modules"][0]["resources"][0]["values"] == {"s": M}
    assert masked["prior_state"]["values"]["outputs"]["pw"]["value"] == M
