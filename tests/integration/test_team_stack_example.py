"""The queue example (issue 24 part 3) added to a project that has no queue stack, as
docs/how-to/add-a-stack.md says: module folder, template, stacks.yaml entry, an environment section.
No Python is added or changed; it validates, applies on the built-in provider and re-plans clean.
"""

from __future__ import annotations

import subprocess

import pytest
from helpers import REPO, run_cli
from team_stacks_support import add_queue_stack

pytestmark = [pytest.mark.terraform]


def test_the_queue_example_applies_and_replans_clean_in_a_project_without_it(project):
    before = {p.relative_to(project) for p in project.rglob("*.py")}
    add_queue_stack(project)
    env_file = project / "environments" / "alpha.yaml"
    env_file.write_text(env_file.read_text() + "queue:\n  visibility_timeout_seconds: 120\n  max_receive_count: 3\n")
    assert {p.relative_to(project) for p in project.rglob("*.py")} == before  # no Python added

    valid = run_cli(project, "validate", "alpha")
    assert valid.code == 0, valid.stdout + valid.stderr
    applied = run_cli(project, "apply", "alpha", "--stack", "queue", "--auto-approve", "--json")
    assert applied.code == 0, applied.stdout + applied.stderr
    [stack] = applied.json["stacks"]
    assert (stack["status"], stack["changes"]["add"]) == ("ok", 7)
    outputs = stack["outputs"]
    assert outputs["queue_url"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/fx-alpha-jobs"
    assert outputs["dead_letter_queue_arn"] == "arn:aws:sqs:eu-west-1:123456789012:fx-alpha-jobs-dlq"
    assert outputs["consumer_policy_arn"] == "arn:aws:iam::123456789012:policy/fx-alpha-jobs-consumer"
    again = run_cli(project, "plan", "alpha", "--stack", "queue", "--json")
    assert again.code == 0, again.stdout + again.stderr
    assert [(s["name"], s["status"]) for s in again.json["stacks"]] == [("queue", "no-changes")]


def test_an_optional_team_stack_runs_only_where_its_section_is_set(project):
    add_queue_stack(project, optional=True)
    env_file = project / "environments" / "alpha.yaml"
    env_file.write_text(env_file.read_text() + "queue:\n  max_receive_count: 3\n")
    with_section = run_cli(project, "plan", "alpha", "--json")
    assert with_section.code == 0, with_section.stderr[-3000:]
    assert "queue" in {s["name"] for s in with_section.json["stacks"]}
    without = run_cli(project, "plan", "beta", "--json")
    assert without.code == 0, without.stderr[-3000:]
    assert {s["name"] for s in without.json["stacks"]} == {"network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"}
    refused = run_cli(project, "plan", "beta", "--stack", "queue")
    assert refused.code == 2 and "beta does not run the optional stack 'queue': environments/beta.yaml sets no 'queue' section" in refused.stderr, refused.stderr


def test_the_example_in_this_repository_touches_no_python():
    """The queue stack's own files are a module folder, a template, stacks.yaml and environment sections."""
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "terraform_modules/queue", "environments/templates/queue.tfvars.j2"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert files and not [f for f in files if f.endswith(".py")]
