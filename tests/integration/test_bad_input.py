"""Bad input through the real CLI: exit 2, a message naming file, key and reason, nothing run."""

from __future__ import annotations

import pytest
from helpers import run_cli

pytestmark = [pytest.mark.terraform]


def edit(root, relative, transform):
    path = root / relative
    path.write_text(transform(path.read_text()))


MISTAKES = [
    ("typo in a key", "environments/alpha.yaml", lambda t: t + "netwrk:\n  az_count: 2\n", "environments/alpha.yaml:4: netwrk: unknown key; did you mean 'network'?"),
    ("internet-facing ALB", "environments/alpha.yaml", lambda t: t + "alb:\n  internal: false\n", "alb.internal: must be true"),
    ("bad CIDR", "environments/alpha.yaml", lambda t: t + "network:\n  vpc_cidr: 10.0.0.0/40\n", "network.vpc_cidr"),
    ("Fargate size", "environments/alpha.yaml", lambda t: t + "app:\n  memory: 100000\n", "app.memory: 100000 MiB is not a Fargate size"),
    ("wrong type", "environments/alpha.yaml", lambda t: t + "require_approval: maybe\n", "require_approval: Input should be a valid boolean"),
    ("duplicate key", "environments/alpha.yaml", lambda t: t + "tags: {}\n", "duplicate key"),
    ("YAML syntax", "environments/alpha.yaml", lambda t: t + "app: [\n", "invalid YAML"),
    ("python tag", "environments/alpha.yaml", lambda t: t + "x: !!python/object/apply:os.system [id]\n", "unsupported YAML"),
    ("account id", "environments/alpha.yaml", lambda t: t + "allowed_account_ids: ['1234']\n", "allowed_account_ids[0]"),
    ("bad default", "environments/defaults.yaml", lambda t: t.replace("eu-west-1", "moon"), "environments/defaults.yaml:3: region"),
    ("undefined template name", "environments/templates/step.tfvars.j2", lambda t: t + "sleep = {{ nothing_here }}\n", "step.tfvars.j2:8: undefined"),
    ("misspelt module variable", "environments/templates/step.tfvars.j2", lambda t: t.replace("payload =", "paylod  ="), "paylod: module 'step' declares no such variable"),
    ("unknown upstream output", "stacks.yaml", lambda t: t.replace("network.id", "network.identifier"), "has no output 'identifier'"),
    ("unknown module", "stacks.yaml", lambda t: t.replace("module: step\n    template: step.tfvars.j2\n  alb", "module: stepp\n    template: step.tfvars.j2\n  alb", 1), "'stepp' is not a folder"),
    ("cycle", "stacks.yaml", lambda t: t.replace("  network:\n    module: step\n    template: step.tfvars.j2\n", "  network:\n    module: step\n    template: step.tfvars.j2\n    depends_on: [keepalive]\n"), "cycle"),
    ("keepalive too rare", "environments/alpha.yaml", lambda t: t + "keepalive:\n  schedule: rate(61 days)\n", "60 idle days"),
    ("s3 without bucket", "environments/alpha.yaml", lambda t: t + "backend:\n  type: s3\n", "backend.bucket: required"),
]


@pytest.mark.parametrize("what, relative, transform, message", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_bad_input_runs_nothing(project, what, relative, transform, message):
    edit(project, relative, transform)
    done = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert done.code == 2, done.stderr
    assert message in done.stderr
    assert "nothing was run" in done.stderr
    assert done.json["stacks"] == [] and done.json["error"]
    assert not (project / ".orchestrator").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["apply", "nosuchenv"], "no such environment"),
        (["apply", "../alpha"], "is not an environment name"),
        (["plan", "alpha", "--stack", "nope"], "unknown stack 'nope'; stacks: network, alb, ecs, vpc_link"),
        (["plan", "alpha", "--stack", "vpclink"], "unknown stack 'vpclink'; did you mean 'vpc_link'?"),
        (["plan", "alpha", "--parallelism", "0"], "--parallelism: must be at least 1"),
        (["plan", "alpha", "--provider", "gcp"], "invalid choice"),
        (["frobnicate", "alpha"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(project, args, message):
    done = run_cli(project, *args)
    assert done.code == 2
    assert message in done.stderr
    assert not (project / ".orchestrator").exists()
