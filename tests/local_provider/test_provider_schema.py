"""The schema Terraform receives from the running provider (`terraform providers schema -json`)."""

from __future__ import annotations

import json

import pytest
from schema_compare import reference_or_skip, schema_differences

pytestmark = [pytest.mark.terraform]

SOURCE = "registry.terraform.io/hashicorp/aws"


@pytest.fixture(scope="module")
def served(workspace) -> dict:
    workspace.write("")
    return workspace.tf("providers", "schema", "-json").json["provider_schemas"][SOURCE]


def test_served_schema_matches_the_reference(served):
    reference = reference_or_skip()
    index = json.loads((reference / "index.json").read_text())
    from orchestrator.local_provider.catalog import load

    catalog = load()
    assert set(served["resource_schemas"]) == set(catalog.resources)
    assert set(served["data_source_schemas"]) == set(catalog.data_sources)
    problems = []
    for name, entry in sorted(index.items()):
        group = served["resource_schemas" if entry["kind"] == "resource" else "data_source_schemas"]
        want = json.loads((reference / f"{entry['kind']}.{name}.json").read_text())
        got = group[name]
        if got.get("version", 0) != want["version"]:
            problems.append(f"{name}: version {got.get('version', 0)} != {want['version']}")
        problems += schema_differences(name, want["block"], got["block"])
    assert not problems, "\n".join(problems)


def test_provider_block_accepts_what_the_orchestrator_generates(served):
    block = served["provider"]["block"]
    attrs = block["attributes"]
    assert attrs["region"] == {"type": "string", "description_kind": "plain", "optional": True}
    for name in ("allowed_account_ids", "forbidden_account_ids"):
        assert attrs[name]["type"] == ["set", "string"]
    for name in ("skip_credentials_validation", "skip_requesting_account_id"):
        assert attrs[name]["type"] == "bool"
    assert attrs["skip_metadata_api_check"]["type"] == "string" and attrs["profile"]["type"] == "string"
    default_tags = block["block_types"]["default_tags"]
    assert default_tags["nesting_mode"] == "list" and default_tags["max_items"] == 1
    assert default_tags["block"]["attributes"]["tags"]["type"] == ["map", "string"]
    ignore_tags = block["block_types"]["ignore_tags"]["block"]["attributes"]
    assert ignore_tags["keys"]["type"] == ignore_tags["key_prefixes"]["type"] == ["set", "string"]


def test_generated_provider_block_plans(workspace):
    workspace.write(
        'provider "aws" {\n  alias = "generated"\n  region = "eu-west-1"\n  allowed_account_ids = ["222222222222"]\n'
        '  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  skip_metadata_api_check = "true"\n'
        '  ignore_tags {\n    keys = ["Owner"]\n  }\n  default_tags {\n    tags = { Env = "dev", Owner = "x" }\n  }\n}\n'
        'data "aws_caller_identity" "me" {\n  provider = aws.generated\n}\n'
        'resource "aws_ecr_repository" "r" {\n  provider = aws.generated\n  name = "shop"\n  tags = { App = "shop" }\n}\n'
    )
    plan = workspace.plan_json()
    repo = next(c["change"]["after"] for c in plan["resource_changes"] if c["address"] == "aws_ecr_repository.r")
    assert repo["tags_all"] == {"App": "shop", "Env": "dev"}  # ignore_tags keeps Owner out
    identity = next(r for r in plan["prior_state"]["values"]["root_module"]["resources"]
                    if r["address"] == "data.aws_caller_identity.me")
    assert identity["values"]["account_id"] == "222222222222"
