"""The modules' README usage examples, planned together: they compose the whole architecture.

Each README's ``hcl`` example is one module block wired to the others' outputs (network -> alb ->
ecs, vpc_link -> api_gateway -> keepalive), so the six examples together form one root module. Planning
it proves that the examples are correct, that the modules fit each other's outputs, and lets the
test assert properties that span modules. Also checks that stacks.yaml declares the expected DAG.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
import tftest
import yaml
from plan_inventory import MODULES, REGION, STACKS_FILE, local_provider_env, modules

pytestmark = [pytest.mark.terraform]

_EXAMPLE = re.compile(r"```hcl\n(.*?)```", re.DOTALL)


def readme_example(module: str) -> str:
    found = _EXAMPLE.findall((MODULES / module / "README.md").read_text())
    assert len(found) == 1, f"terraform_modules/{module}/README.md should hold exactly one hcl usage example"
    return found[0]


@pytest.fixture(scope="module")
def composed_plan(tmp_path_factory):
    root = tmp_path_factory.mktemp("readme-examples")
    env = local_provider_env(root)
    workdir = root / "examples"
    shutil.copytree(MODULES, workdir / "terraform_modules", ignore=shutil.ignore_patterns(".terraform*"))
    body = "\n".join(readme_example(m) for m in modules())
    # README sources are relative to a folder two levels below the repository root.
    body = body.replace('"../../terraform_modules/', '"./terraform_modules/')
    (workdir / "main.tf").write_text(f'provider "aws" {{\n  region = "{REGION}"\n}}\n\n{body}')
    tf = tftest.TerraformTest(workdir, binary=os.environ.get("TERRAFORM_BINARY", "terraform"), env=env)
    tf.setup(backend=False, cleanup_on_exit=False)
    return tf.plan(output=True)


def planned(plan, address: str) -> dict:
    return plan.resource_changes[address]["change"]["after"]


def test_examples_compose_the_architecture(composed_plan):
    types = {change["type"] for change in composed_plan.resource_changes.values()}
    for expected in ("aws_vpc", "aws_vpc_endpoint", "aws_lb", "aws_lb_target_group", "aws_lb_listener",
                     "aws_ecs_service", "aws_apigatewayv2_vpc_link", "aws_apigatewayv2_integration",
                     "aws_cloudwatch_event_rule", "aws_cloudwatch_event_api_destination"):
        assert expected in types, f"the composed README examples plan no {expected}"


def test_examples_keep_the_path_private(composed_plan):
    assert planned(composed_plan, "module.alb.aws_lb.this")["internal"] is True
    network = planned(composed_plan, "module.ecs.aws_ecs_service.autoscaled[0]")["network_configuration"]
    assert network[0]["assign_public_ip"] is False
    integration = planned(composed_plan, "module.api_gateway.aws_apigatewayv2_integration.this")
    assert (integration["connection_type"], integration["integration_type"]) == ("VPC_LINK", "HTTP_PROXY")
    # The listener ARN and the VPC link ID are unknown until apply: the integration must depend on them.
    unknown = composed_plan.resource_changes["module.api_gateway.aws_apigatewayv2_integration.this"]["change"]["after_unknown"]
    assert unknown.get("integration_uri") and unknown.get("connection_id")


def test_stacks_yaml_declares_the_architecture_dag():
    stacks = yaml.safe_load(STACKS_FILE.read_text())["stacks"]
    edges = set()
    for name, spec in stacks.items():
        for source in (spec.get("inputs") or {}).values():
            upstream = (source["from"] if isinstance(source, dict) else source).split(".")[0]
            edges.add((upstream, name))
        edges.update((upstream, name) for upstream in spec.get("depends_on") or [])
    assert edges == {
        ("network", "alb"), ("network", "ecs"), ("alb", "ecs"), ("network", "vpc_link"), ("alb", "vpc_link"),
        ("vpc_link", "api_gateway"), ("alb", "api_gateway"), ("api_gateway", "keepalive"),
        ("ecs", "queue"),  # the team-added queue (optional: dev and staging) attaches its policy to the worker's role
    }
    assert {spec["module"] for spec in stacks.values()} == set(modules())  # every module is a stack's
