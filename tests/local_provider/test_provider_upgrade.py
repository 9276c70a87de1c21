"""State written with an older schema version is upgraded by UpgradeResourceState."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.terraform]

MAIN_TF = """
resource "aws_cloudwatch_event_rule" "keepalive" {
  name                = "keepalive"
  schedule_expression = "rate(5 minutes)"
  state               = "ENABLED"
}

resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
"""


def _downgrade(workspace, address_type: str, edit) -> None:
    """Rewrite the state file as an older provider would have written it."""
    path = workspace.dir / "terraform.tfstate"
    state = json.loads(path.read_text())
    for resource in state["resources"]:
        if resource["type"] == address_type:
            for instance in resource["instances"]:
                instance["schema_version"] = 0
                edit(instance["attributes"])
    state["serial"] += 1
    path.write_text(json.dumps(state, indent=2))


def test_state_from_schema_version_0_is_upgraded(workspace):
    workspace.write(MAIN_TF)
    workspace.tf("apply", "-auto-approve", "-no-color", "-input=false")

    def old_event_rule(attrs: dict) -> None:
        # version 0 knew only is_enabled, and kept attributes that no longer exist
        attrs.pop("state")
        attrs["is_enabled"] = True
        attrs["retired_attribute"] = "dropped by the upgrade"

    def old_vpc(attrs: dict) -> None:
        attrs["enable_dns_support"] = "true"  # a string where the schema now has a bool
        attrs.pop("region")

    _downgrade(workspace, "aws_cloudwatch_event_rule", old_event_rule)
    _downgrade(workspace, "aws_vpc", old_vpc)

    run = workspace.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False)
    assert run.code == 0, run.output  # upgraded, refreshed, nothing to change
    workspace.tf("apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false")
    state = json.loads((workspace.dir / "terraform.tfstate").read_text())
    rule = next(r for r in state["resources"] if r["type"] == "aws_cloudwatch_event_rule")["instances"][0]
    assert rule["schema_version"] == 1
    assert rule["attributes"]["state"] == "ENABLED"
    assert "retired_attribute" not in rule["attributes"]
    vpc = next(r for r in state["resources"] if r["type"] == "aws_vpc")["instances"][0]
    assert vpc["schema_version"] == 1 and vpc["attributes"]["region"] == "eu-west-1"
    workspace.tf("destroy", "-auto-approve", "-no-color", "-input=false")


def test_upgrade_derives_state_from_is_enabled_without_the_store():
    from orchestrator.local_provider.provider import LocalAWS

    provider = LocalAWS(environ={"AWS_REGION": "eu-west-1"})
    raw = json.dumps({"id": "r", "name": "r", "is_enabled": False, "gone": 1}).encode()
    upgraded, diags = provider.upgrade("aws_cloudwatch_event_rule", 0, raw)
    assert not diags and upgraded["state"] == "DISABLED" and "gone" not in upgraded
    current, _ = provider.upgrade("aws_cloudwatch_event_rule", 1, json.dumps({"id": "r", "is_enabled": False}).encode())
    assert current["state"] is None  # steps apply only to states older than they are
