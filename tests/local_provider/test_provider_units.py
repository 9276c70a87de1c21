"""The pieces without Terraform: cty wire format, templates, data sources, store lookups."""

from __future__ import annotations

import json

import msgpack
import pytest

from orchestrator.local_provider import cty, templates
from orchestrator.local_provider.datasources import availability_zones, iam_policy_document
from orchestrator.local_provider.provider import LocalAWS, normalize
from orchestrator.local_provider.store import Store

pytestmark = [pytest.mark.terraform]


def test_unknowns_travel_as_msgpack_extension_0_and_refined_12_is_unknown_too():
    encoded = cty.encode({"id": cty.UNKNOWN, "tags": {"a": "b"}, "ports": [80]})
    assert msgpack.unpackb(encoded, raw=False)["id"] == msgpack.ExtType(0, b"")
    assert cty.decode(encoded)["id"] is cty.UNKNOWN
    assert cty.decode(msgpack.packb({"x": msgpack.ExtType(12, b"\x01")}))["x"] is cty.UNKNOWN


def test_types_parse_and_print_as_cty_json():
    t = cty.parse_type("list(object({cidr_blocks=list(string),self=bool}))")
    assert cty.type_json(t) == ["list", ["object", {"cidr_blocks": ["list", "string"], "self": "bool"}]]
    assert cty.convert({"self": "true", "extra": 1}, t[1]) == {"cidr_blocks": None, "self": True}
    assert cty.equal(["b", "a"], ["a", "b"], ("set", "string")) and not cty.equal(["b", "a"], ["a", "b"], ("list", "string"))


def test_templates():
    ctx = templates.Context({"name": "shop", "internal": True, "arn": "arn:aws:x:r:1:loadbalancer/app/shop/abc"},
                            {"region": "eu-west-1"}, lambda t, i, a: f"{t}:{i}:{a}")
    assert templates.render("{internal?internal-}{name}.{region}", ctx) == "internal-shop.eu-west-1"
    assert templates.render("{arn|after:loadbalancer/}", ctx) == "app/shop/abc"
    assert templates.render("{arn|replace::loadbalancer/>:listener/}", ctx) == "arn:aws:x:r:1:listener/app/shop/abc"
    assert templates.render("${version} {name}", ctx) == "${version} shop"
    assert templates.render("{name|lookup:aws_subnet.vpc_id}", ctx) == "aws_subnet:shop:vpc_id"
    assert templates.az_id("eu-west-1c") == "euw1-az3" and templates.az_id("us-gov-west-1a") == "usgw1-az1"
    assert len(templates.render("vpc-{hex17}", ctx)) == 21
    ctx.attrs["subnet_ids"] = ["subnet-1", "subnet-2"]
    enis = templates.render({"each": "subnet_ids", "value": "eni-{hex17}"}, ctx)
    assert len(enis) == 2 and enis[0] != enis[1] and all(e.startswith("eni-") for e in enis)


def test_policy_document_renders_like_the_real_data_source():
    provider = LocalAWS(environ={"AWS_REGION": "eu-west-1"})
    rendered = iam_policy_document(provider, {"statement": [{
        "sid": "Pull", "actions": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "resources": ["*"],
        "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["111111111111"]}],
        "principals": [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}],
    }]})
    assert json.loads(rendered["json"]) == {"Version": "2012-10-17", "Statement": [{
        "Sid": "Pull", "Effect": "Allow", "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        "Resource": "*", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}}]}
    assert rendered["json"].startswith('{\n  "Version": "2012-10-17",\n  "Statement": [\n')
    assert rendered["minified_json"] == json.dumps(json.loads(rendered["json"]), separators=(",", ":"))
    merged = iam_policy_document(provider, {
        "source_policy_documents": [rendered["json"]],
        "statement": [{"sid": "Pull", "effect": "Deny", "actions": ["*"]}],
    })
    assert json.loads(merged["json"])["Statement"] == [{"Sid": "Pull", "Effect": "Deny", "Action": "*"}]


def test_availability_zones_filter_like_describe_availability_zones():
    provider = LocalAWS(environ={"AWS_REGION": "eu-west-1"})
    everything = availability_zones(provider, {})
    assert everything["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert everything["zone_ids"] == ["euw1-az1", "euw1-az2", "euw1-az3"]
    by_id = availability_zones(provider, {"state": "available", "filter": [{"name": "zone-id", "values": ["euw1-az3", "euw1-az1", "euw1-az9"]}]})
    assert by_id["names"] == ["eu-west-1a", "eu-west-1c"] and by_id["zone_ids"] == ["euw1-az1", "euw1-az3"]
    both = availability_zones(provider, {"filter": [{"name": "zone-name", "values": ["eu-west-1*"]},
                                                    {"name": "opt-in-status", "values": ["opt-in-not-required"]}],
                                         "exclude_zone_ids": ["euw1-az2"]})
    assert both["names"] == ["eu-west-1a", "eu-west-1c"]
    assert availability_zones(provider, {"filter": [{"name": "zone-type", "values": ["local-zone"]}]})["names"] == []
    with pytest.raises(ValueError, match="The filter 'zone-colour' is invalid"):
        availability_zones(provider, {"filter": [{"name": "zone-colour", "values": ["blue"]}]})


def test_provider_configuration_sets_account_region_and_tags():
    provider = LocalAWS(environ={})
    assert provider.configure({"region": "eu-west-1", "allowed_account_ids": ["222222222222", "111111111111"],
                               "default_tags": [{"tags": {"Env": "dev"}}]}) == []
    assert (provider.region, provider.account) == ("eu-west-1", "111111111111")
    assert provider._tags_all({"App": "x"}) == {"Env": "dev", "App": "x"}
    refused = LocalAWS(environ={"ORCHESTRATOR_LOCAL_ACCOUNT_ID": "333333333333"})
    diags = refused.configure({"region": "eu-west-1", "forbidden_account_ids": ["333333333333"]})
    assert [d.summary for d in diags] == ["AWS account ID not allowed: 333333333333"]
    assert [d.summary for d in LocalAWS(environ={}).configure({})] == ["Missing required argument"]


def test_store_finds_objects_by_id_arn_or_name(tmp_path):
    store = Store(tmp_path)
    store.put("aws_iam_role", "shop", {"id": "shop", "name": "shop", "arn": "arn:aws:iam::1:role/shop"})
    assert store.find("aws_iam_role", "arn:aws:iam::1:role/shop")["id"] == "shop"
    assert store.find("aws_iam_role", "other") is None
    store.delete("aws_iam_role", "shop")
    assert store.get("aws_iam_role", "shop") is None


def test_task_definition_revisions_count_up_per_family(tmp_path):
    provider = LocalAWS(environ={"AWS_REGION": "eu-west-1", "ORCHESTRATOR_LOCAL_CLOUD_DIR": str(tmp_path)})
    block = provider.catalog.resources["aws_ecs_task_definition"].block
    config = normalize({"family": "shop", "container_definitions": "[]"}, block)
    arns = []
    for _ in range(2):
        planned, _, _ = provider.plan("aws_ecs_task_definition", None, config, config)
        # no tags and no default_tags: "(known after apply)", as the real provider plans it
        assert planned["revision"] is cty.UNKNOWN and planned["tags_all"] is cty.UNKNOWN
        state, _ = provider.apply("aws_ecs_task_definition", None, planned, config)
        assert state["tags_all"] == {}
        arns.append(state["arn"])
        provider.apply("aws_ecs_task_definition", state, None, None)  # replaced: the old one goes
    assert arns == ["arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:1",
                    "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:2"]


def test_creating_an_object_whose_id_exists_fails_like_aws(tmp_path):
    provider = LocalAWS(environ={"AWS_REGION": "eu-west-1", "ORCHESTRATOR_LOCAL_CLOUD_DIR": str(tmp_path)})
    block = provider.catalog.resources["aws_iam_role"].block
    config = normalize({"name": "shop", "assume_role_policy": "{}"}, block)
    planned, _, _ = provider.plan("aws_iam_role", None, config, config)
    state, diags = provider.apply("aws_iam_role", None, planned, config)
    assert not diags and state["id"] == "shop"
    again, diags = provider.apply("aws_iam_role", None, planned, config)
    assert again is None and diags[0].summary == "creating aws_iam_role (shop): already exists"
