"""Hostile and mistaken input, as it may arrive in a pull request: each gets a clear error, nothing runs.

Values that try to become code are not errors: they must reach Terraform verbatim (last test).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import planned_network_input, run_cli

pytestmark = [pytest.mark.terraform]

ENV = "environments/alpha.yaml"
TEMPLATE = "environments/templates/step.tfvars.j2"


def append(text):
    return lambda original: original + text


def replace(old, new):
    def transform(original):
        assert old in original, old
        return original.replace(old, new)

    return transform


def alias_bomb() -> str:
    lines = ["bomb0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"bomb{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


HOSTILE = [
    # YAML parsing
    ("alias bomb", ENV, append(alias_bomb()), "an alias bomb"),
    ("huge file", ENV, append("padding: '" + "x" * 1_100_000 + "'\n"), "the limit is"),
    ("deep nesting", ENV, append("deep: " + "[" * 60 + "]" * 60 + "\n"), "nested deeper"),
    ("duplicate key", ENV, append("tags: {}\n"), "duplicate key (first on line"),
    ("python object tag", ENV, append("x: !!python/object/apply:os.system ['touch /tmp/pwned']\n"), "unsupported YAML"),
    ("python name tag", ENV, append("x: !!python/name:os.system\n"), "unsupported YAML"),
    ("custom tag", ENV, append("x: !Ref Something\n"), "unsupported YAML"),
    ("tab indentation", ENV, append("app:\n\timage_tag: x\n"), "invalid YAML"),
    ("not a mapping", ENV, lambda _: "- just\n- a list\n", "the top level must be a mapping"),
    # Types and ranges
    ("string for bool", ENV, append("require_approval: 'true'\n"), "require_approval: Input should be a valid boolean"),
    ("float for int", ENV, append("app:\n  desired_count: 2.5\n"), "app.desired_count: Input should be a valid integer"),
    ("list for map", ENV, replace("tags:\n  Team: fixtures\n", "tags: [a, b]\n"), "tags: Input should be a valid dictionary"),
    ("null section", ENV, append("network: null\n"), "network: Input should be a valid dictionary"),
    ("negative count", ENV, append("app:\n  desired_count: -1\n"), "app.desired_count: Input should be greater than or equal to 0"),
    ("overlong tag value", ENV, replace("Team: fixtures", "Team: " + "v" * 300), "tags.Team"),
    ("duplicate account", ENV, append("allowed_account_ids: ['111111111111', '111111111111']\n"), "lists an account twice"),
    # Injection attempts through values that must match a pattern
    ("region injection", ENV, append('region: "eu-west-1\\"\\nprovider \\"null\\" {"\n'), "region: "),
    ("image with newline", ENV, append('app:\n  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/a\\nb"\n'), "app.image"),
    ("env var name injection", ENV, append('app:\n  environment:\n    "A\\" = 1\\nB": x\n'), "does not match the pattern"),
    ("schedule injection", ENV, append("keepalive:\n  schedule: 'rate(1 day)) && curl evil'\n"), "keepalive.schedule"),
    ("secret env name injection", ENV, append("secrets:\n  network.token: {env: '$(id)'}\n"), "secrets.network.token.env"),
    ("secret with two sources", ENV, append("secrets:\n  network.token: {env: A, ssm: /x}\n"), "give exactly one of env, ssm, secretsmanager"),
    ("secret into plain variable", ENV, append("secrets:\n  network.payload: {env: HOME}\n"), "is not declared sensitive = true"),
    # Unicode confusables
    ("cyrillic in project", ENV, append("project: shоp\n"), "project: "),
    ("zero-width in tag key", ENV, append("tags:\n  \"Te\u200bam\": x\n"), "duplicate key"),
    # Domain rules
    ("internet-facing ALB", ENV, append("alb:\n  internal: false\n"), "Service Unavailable"),
    ("world CIDR", ENV, append("network:\n  vpc_cidr: 0.0.0.0/0\n"), "network.vpc_cidr"),
    ("public CIDR", ENV, append("network:\n  vpc_cidr: 8.8.0.0/16\n"), "not a private (RFC 1918) range"),
    ("image outside ECR without NAT", ENV, append("app:\n  image: docker.io/library/nginx\n"), "CannotPullContainerError"),
    # Templates (they arrive in pull requests too)
    ("template SSTI", TEMPLATE, append("payload = {{ ''.__class__.__mro__[1].__subclasses__() }}\n"), "step.tfvars.j2"),
    ("template include outside", TEMPLATE, append("{% include '/etc/passwd' %}\n"), "template not found"),
    ("template parent path", TEMPLATE, append("{% include '../defaults.yaml' %}\n"), "template not found"),
    ("template undefined", TEMPLATE, append("payload = {{ app.secret_sauce }}\n"), "undefined"),
    ("template raw assignment", TEMPLATE, append("evil_block = 1\n"), "evil_block: module 'step' declares no such variable"),
    # The graph
    ("module path traversal", "stacks.yaml", replace("module: step\n    template: step.tfvars.j2\n  alb", "module: ../../../etc\n    template: step.tfvars.j2\n  alb"), "is not a folder under terraform_modules"),
    ("template path traversal", "stacks.yaml", replace("template: step.tfvars.j2\n  alb", "template: ../../stacks.yaml\n  alb"), "does not exist"),
]


@pytest.mark.parametrize("what, relative, transform, message", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_input_is_refused_and_nothing_runs(project, what, relative, transform, message):
    path = project / relative
    path.write_text(transform(path.read_text()))
    done = run_cli(project, "plan", "alpha", "--json")
    assert done.code == 2, done.stderr
    assert message in done.stderr, done.stderr
    assert "nothing was run" in done.stderr
    assert not (project / ".orchestrator").exists()
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "dеv", "alpha;rm -rf ~", "ALPHA", "alpha\n", "a" * 40, "-alpha"])
def test_hostile_environment_names(project, name):
    done = run_cli(project, "plan", name)
    assert done.code == 2
    assert "is not an environment name" in done.stderr or (name.startswith("-") and "required: ENV" in done.stderr)
    assert not (project / ".orchestrator").exists()


def test_environment_file_symlinked_outside_the_project_is_refused(project, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text((project / ENV).read_text())
    os.symlink(outside, project / "environments" / "sneaky.yaml")
    done = run_cli(project, "plan", "sneaky")
    assert done.code == 2 and "points outside the project" in done.stderr


def test_values_that_look_like_code_reach_terraform_verbatim(project):
    attack = 'x"\nevil = "1" ${file("/etc/passwd")} %{ for x in [1] }${x}%{ endfor } {{ 7 * 7 }} {% raw %}'
    planned, plan = planned_network_input(project, attack)
    assert planned["payload"] == attack
    assert "evil" not in plan["variables"]
