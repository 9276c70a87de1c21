"""Property tests (Hypothesis): what `validate` accepts plans, and what it refuses never reaches Terraform.

Valid environments are generated across the schema (environment_strategies.py): regions, AZ counts,
CIDRs and explicit subnets, HTTPS on/off, NAT on/off with public or ECR images, Fargate sizes,
autoscaling bounds, rate and cron schedules, Unicode tags and container variables, digests.
Each is validated in-process, and a few are planned offline, every stack (`plan ENV --provider
local`). Invalid ones are a valid one with one mistake; the CLI must refuse them with exit 2 before
any Terraform starts. Counts: environment_strategies.EXAMPLES (ORCHESTRATOR_PROPERTY_PROFILE=long).
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from environment_strategies import ISSUE_CASES, environments, examples
from helpers import by_name, copy_project, run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.project import Project
from orchestrator.run.core import prepare

pytestmark = [pytest.mark.terraform]

ENV = "prop"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("property") / "project"
    copy_project(root)
    return root


def write(root, environment: dict) -> None:
    # What is generated is the environment's settings; whether they pass the policy stage is the policy
    # tests' question (tests/policy, tests/integration/test_policy_stage.py), so it is off here.
    environment = {**environment, "policy": {"checks": False}}
    text = yaml.safe_dump(environment, allow_unicode=True, sort_keys=False)
    (root / "environments" / f"{ENV}.yaml").write_text(text, encoding="utf-8")


@settings(max_examples=examples("validate"))
@given(environment=environments())
def test_generated_environments_validate_and_render(root, environment):
    write(root, environment)
    prepared = prepare(Project(root), ENV)  # load, rules, graph, render, secrets check: what `validate` does
    assert set(prepared.rendered) == {"network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"}


@settings(max_examples=examples("plan"))
@given(environment=environments())
@example(environment=ISSUE_CASES)  # the issue's own cases, always planned: HTTPS, NAT + public image, daily, digest
def test_what_validate_accepts_plans_offline(root, environment):
    write(root, environment)
    assert run_cli(root, "validate", ENV).code == 0
    done = run_cli(root, "plan", ENV, "--provider", "local", "--json", timeout=1200)
    assert done.code == 0, f"{json.dumps(environment, ensure_ascii=False)}\n{done.stderr[-3000:]}"
    stacks = by_name(done.json)
    assert {name: s["status"] for name, s in stacks.items()} == dict.fromkeys(stacks, "ok")


# One mistake each: (what to change, the key the error names).
MISTAKES = [
    (lambda e: e["alb"].update(internal=False), "alb.internal"),
    (lambda e: e["alb"]["health_check"].update(matcher="500"), "alb.health_check.matcher"),
    (lambda e: e["alb"]["health_check"].update(path="health"), "alb.health_check.path"),
    (lambda e: e["alb"]["health_check"].update(timeout_seconds=e["alb"]["health_check"]["interval_seconds"]),
     "alb.health_check.timeout_seconds"),
    (lambda e: e["alb"].update(listener_port=0), "alb.listener_port"),
    (lambda e: e["alb"].update(certificate_arn="arn:aws:acm:eu-west-1:111111111111:certificate/x", certificate_domain="a.io"),
     "alb.certificate_arn"),
    (lambda e: e["keepalive"].update(schedule="rate(31 days)"), "keepalive.schedule"),
    (lambda e: e["keepalive"].update(schedule="cron(0 12 * * * *)"), "keepalive.schedule"),
    (lambda e: e["keepalive"].update(path="/a b"), "keepalive.path"),
    (lambda e: e["app"].update(memory=e["app"]["memory"] + 1), "app.memory"),
    (lambda e: e["app"].update(image_tag="sha256:" + "0" * 63), "app.image_tag"),
    (lambda e: (e["network"].update(nat_gateway=False), e["app"].update(image="public.ecr.aws/nginx/nginx")), "app.image"),
    (lambda e: e["app"].update(autoscaling={"enabled": True, "min_capacity": 5, "max_capacity": 2}), "app.autoscaling.min_capacity"),
    (lambda e: e["network"].update(az_count=7), "network.az_count"),
    (lambda e: e["network"].update(vpc_cidr="10.0.0.0/12"), "network.vpc_cidr"),
    (lambda e: e["network"].update(private_subnet_cidrs=["10.255.0.0/24"] * e["network"]["az_count"]), "network.private_subnet_cidrs"),
    (lambda e: e["tags"].update({"Team": "a;b"}), "tags.Team"),
    (lambda e: e["tags"].update({"aws:owner": "me"}), "tags.aws:owner"),
    (lambda e: e.update(project="internal"), "project"),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m[1])
def test_each_mistake_is_refused_naming_its_key(root, mistake):
    @settings(max_examples=max(3, examples("validate") // 10))
    @given(environment=environments())
    def refused(environment):
        change, key = mistake
        change(environment)
        write(root, environment)
        with pytest.raises(InputError) as caught:
            EnvironmentLoader(Project(root)).load(ENV)
        assert any(p.key.startswith(key) for p in caught.value.problems), caught.value.problems

    refused()


@settings(max_examples=examples("refuse"))
@given(environment=environments(), mistake=st.sampled_from(MISTAKES))
def test_what_validate_refuses_never_reaches_terraform(root, environment, mistake):
    change, _ = mistake
    change(environment)
    write(root, environment)
    shutil.rmtree(root / ".orchestrator", ignore_errors=True)
    for command in (("validate", ENV), ("plan", ENV, "--provider", "local")):
        done = run_cli(root, *command)
        assert done.code == 2 and "nothing was run" in done.stderr, done.stderr[-2000:]
    assert not (root / ".orchestrator").exists() or not list((root / ".orchestrator").rglob("terraform.log"))
