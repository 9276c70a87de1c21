"""pr-plan end to end: a real git repository of the fixture project, real Terraform.

The fixture is given a little more shape at the base revision, so that a change can touch one
stack only: a per-stack payload knob, a second module (``edge``, with a sensitive variable and
output) used by keepalive, and a template of its own for api_gateway.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run_cli

pytestmark = [pytest.mark.terraform]

STACKS_YAML = """\
stacks:
  network: {module: step, template: step.tfvars.j2}
  alb: {module: step, template: step.tfvars.j2, inputs: {upstream_a: network.id}}
  ecs:
    module: step
    template: step.tfvars.j2
    inputs:
      upstream_a: alb.id
      upstream_b: {from: network.list, placeholder: [placeholder-1, placeholder-2]}
  vpc_link: {module: step, template: step.tfvars.j2, inputs: {upstream_a: alb.id}}
  api_gateway: {module: step, template: gateway.tfvars.j2, inputs: {upstream_a: vpc_link.value}}
  keepalive: {module: edge, template: edge.tfvars.j2, inputs: {upstream_a: api_gateway.value}}
"""
SECRET = "hunter2-never-in-a-comment"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", message)


def knobs(root: Path, env: str, values: dict[str, str]) -> None:
    """Replace the environment's app.environment (the fixture template's knobs)."""
    path = root / "environments" / f"{env}.yaml"
    text = path.read_text().split("# knobs\n")[0]
    lines = ["# knobs", "app:", "  environment:"] + [f"    {k}: {json.dumps(v)}" for k, v in values.items()]
    path.write_text(text + "\n".join(lines) + "\n")


@pytest.fixture
def repo(project: Path) -> Path:
    templates = project / "environments" / "templates"
    step = templates / "step.tfvars.j2"
    text, found = re.subn(r"(?m)^payload\s*=.*$",
                          'payload = {{ app.environment.get("PAYLOAD_" ~ stack, "payload-" ~ stack) }}', step.read_text())
    assert found == 1
    step.write_text(text)
    (templates / "gateway.tfvars.j2").write_text(text)
    (templates / "edge.tfvars.j2").write_text(text + 'pr_secret = {{ app.environment.get("SECRET", "") }}\n')
    edge = project / "terraform_modules" / "edge"
    shutil.copytree(project / "terraform_modules" / "step", edge)
    main = edge / "main.tf"
    body, found = re.subn(r"(?m)^(\s+)upstream_b(\s*)= var.upstream_b$", r"\g<0>\n\1pr_secret \2= var.pr_secret", main.read_text())
    assert found == 1
    main.write_text(
        body
        + '\nvariable "pr_secret" {\n  type      = string\n  default   = ""\n  sensitive = true\n}\n'
        + '\noutput "pr_token" {\n  value     = var.pr_secret\n  sensitive = true\n}\n'
    )
    (edge / "README.md").write_text("# edge\n")
    (project / "README.md").write_text("# fixture\n")
    (project / "stacks.yaml").write_text(STACKS_YAML)
    (project / ".gitignore").write_text(".orchestrator/\n*.md.*\ncomment.md\n")
    git(project, "init", "-q", "-b", "main")
    commit(project, "base")
    return project


def pr_plan(root: Path, *args: str):
    done = run_cli(root, "pr-plan", "--base", "main", "--comment-file", str(root / "comment.md"), "--json", *args)
    assert done.code in (0, 1, 3), done.stderr
    return done, (root / "comment.md").read_text()


def planned(done) -> list[str]:
    return [f"{s['env']}/{s['name']}" for s in done.json["stacks"]]


def test_environment_change_plans_only_the_stacks_whose_inputs_changed(repo):
    knobs(repo, "beta", {"PAYLOAD_alb": "new"})
    done, comment = pr_plan(repo)
    assert done.code == 3  # changes present
    assert planned(done) == ["beta/alb"]
    assert done.json["stacks"][0]["reason"] == "inputs changed"
    assert done.json["may_be_affected"] == ["beta/ecs", "beta/vpc_link", "beta/api_gateway", "beta/keepalive"]
    assert "May be affected" in comment and "`beta-keepalive`" in comment
    assert "To plan this project again, comment: `atlantis plan -p beta-alb`" in comment
    assert 'payload    = "new"' in comment
    assert "### Plan Summary\n\n1 projects, 1 with changes, 0 with no changes, 0 failed" in comment

    everything, comment = pr_plan(repo, "--include-dependents")
    assert planned(everything) == ["beta/alb", "beta/ecs", "beta/vpc_link", "beta/api_gateway", "beta/keepalive"]
    assert [s["may_be_affected"] for s in everything.json["stacks"]] == [False, True, True, True, True]
    assert "may be affected (downstream of alb)" in comment

    knobs(repo, "beta", {"SLEEP_ecs": "0"})  # the file changed, what Terraform sees did not
    nothing, comment = pr_plan(repo)
    assert nothing.code == 0 and planned(nothing) == []
    assert "nothing to plan" in comment


def test_module_change_plans_that_stack_in_every_environment(repo):
    with (repo / "terraform_modules" / "edge" / "main.tf").open("a") as handle:
        handle.write('\noutput "extra" {\n  value = "x"\n}\n')
    done, comment = pr_plan(repo)
    assert planned(done) == ["alpha/keepalive", "beta/keepalive"]
    assert {s["reason"] for s in done.json["stacks"]} == {"module changed"}
    assert done.json["may_be_affected"] == []


def test_template_change_plans_its_stacks_and_lists_dependents(repo):
    template = repo / "environments" / "templates" / "gateway.tfvars.j2"
    template.write_text(template.read_text().replace('"payload-" ~ stack', '"gateway-" ~ stack'))
    done, comment = pr_plan(repo)
    assert planned(done) == ["alpha/api_gateway", "beta/api_gateway"]
    assert done.json["stacks"][0]["reason"] == "inputs, template changed"
    assert done.json["may_be_affected"] == ["alpha/keepalive", "beta/keepalive"]


def test_readme_only_change_plans_nothing(repo):
    (repo / "README.md").write_text("# fixture\n\nMore words.\n")
    (repo / "terraform_modules" / "edge" / "README.md").write_text("# edge\n\nUsage.\n")
    done, comment = pr_plan(repo)
    assert done.code == 0
    assert planned(done) == [] and done.json["may_be_affected"] == []
    assert "No stack is affected by this change" in comment
    assert not (repo / ".orchestrator").exists()  # no Terraform ran


def test_new_environment_in_a_commit_is_planned_with_placeholders_and_the_tree_is_untouched(repo):
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "environments" / "gamma.yaml").write_text("# A new environment.\nnetwork:\n  vpc_cidr: 10.30.0.0/16\n")
    commit(repo, "add gamma")
    git(repo, "checkout", "-q", "main")  # the working tree is main: head is read from git only
    done = run_cli(repo, "pr-plan", "--base", "main", "--head", "feature", "--comment-file", str(repo / "comment.md"), "--json")
    assert done.code == 3, done.stderr
    comment = (repo / "comment.md").read_text()
    assert planned(done) == [f"gamma/{s}" for s in ("network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive")]
    assert {s["reason"] for s in done.json["stacks"]} == {"new environment"}
    placeholders = {s["name"]: s["placeholders"] for s in done.json["stacks"]}
    assert placeholders["network"] == [] and placeholders["ecs"] == ["alb.id", "network.list"]
    # a new environment is folded to a summary (its full create plans would bury what reviewers must read)
    assert "### New environment `gamma` (6 projects, folded)" in comment and "**6 to add**" in comment
    assert comment.count("(planned with placeholders for") == 5
    assert "| `gamma-ecs` | **+1 ~0 -0** (planned with placeholders for `alb.id`, `network.list`) |" in comment
    assert "project: `gamma-ecs` dir: `.` workspace: `gamma-ecs`: **+1 ~0 -0** (new environment; :warning: placeholders)" in comment
    assert '"placeholder-1"' not in comment and "`terraform_data.this`" in comment  # objects to create, listed
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / "environments" / "gamma.yaml").exists()


def test_plans_read_applied_state_updates_and_no_change_plans(repo):
    applied = run_cli(repo, "apply", "alpha", "--auto-approve")
    assert applied.code == 0, applied.stderr
    knobs(repo, "alpha", {"SLEEP_ecs": "1"})  # rendered inputs change; the resource does not
    same, comment = pr_plan(repo)
    assert same.code == 0 and planned(same) == ["alpha/ecs"]
    assert same.json["stacks"][0]["status"] == "no-changes"
    assert "1 projects, 0 with changes, 1 with no changes, 0 failed" in comment
    assert "No changes. Your infrastructure matches the configuration." in comment
    assert "placeholders" not in comment  # upstream outputs came from state

    knobs(repo, "alpha", {"PAYLOAD_alb": "moved"})
    changed, comment = pr_plan(repo)
    assert changed.code == 3 and changed.json["stacks"][0]["changes"] == {"add": 0, "change": 1, "destroy": 0}
    assert "`alpha-alb` dir: `.` workspace: `alpha-alb`: **+0 ~1 -0**" in comment

    with (repo / "terraform_modules" / "edge" / "main.tf").open("a") as handle:  # applied in alpha: outputs only
        handle.write('\noutput "extra" {\n  value = "x"\n}\n')
    knobs(repo, "alpha", {"SLEEP_ecs": "1"})
    outputs, comment = pr_plan(repo)
    keepalive = {s["env"]: s for s in outputs.json["stacks"] if s["name"] == "keepalive"}
    assert keepalive["alpha"]["status"] == "ok" and keepalive["alpha"]["changes"] == {"add": 0, "change": 0, "destroy": 0}
    assert outputs.code == 3
    assert "`alpha-keepalive` dir: `.` workspace: `alpha-keepalive`: **+0 ~0 -0** (outputs change)" in comment


def test_sensitive_values_never_appear(repo):
    knobs(repo, "beta", {"SECRET": SECRET})
    done, comment = pr_plan(repo)
    assert planned(done) == ["beta/keepalive"]
    assert SECRET not in comment and SECRET not in done.stdout
    assert "(sensitive value)" in comment


def test_failed_plan_exits_1_and_is_reported(repo):
    knobs(repo, "beta", {"FAIL": "alb"})
    done, comment = pr_plan(repo)
    assert done.code == 1
    assert done.json["stacks"][0]["status"] == "failed"
    assert "`beta-alb` dir: `.` workspace: `beta-alb`: **failed**" in comment and "told to fail" in comment
    assert "**Plan Error**" in comment and "Error: Resource precondition failed\n  on main.tf line " in comment  # in full
    assert "1 projects, 0 with changes, 0 with no changes, 1 failed" in comment


def test_long_comment_is_split_into_numbered_parts_below_githubs_limit(repo):
    payload = "\n".join(f"line {i:05d} of a very long payload that makes a very long plan" for i in range(1500))
    knobs(repo, "beta", {"PAYLOAD_network": payload})
    done, first = pr_plan(repo)
    files = done.json["comment_files"]
    assert files[0] == str(repo / "comment.md") and files[1] == str(repo / "comment.md.2") and len(files) >= 3
    parts = [Path(f).read_text() for f in files]
    for number, part in enumerate(parts, 1):
        assert len(part.encode()) <= 65_536
        assert number == 1 or part.startswith("Continued plan output from previous comment.")
        assert part.count("```") % 2 == 0 and part.count("<details>") == part.count("</details>")
    whole = "".join(parts)
    for i in (0, 749, 1499):
        assert f"line {i:05d} of a very long payload" in whole
    assert "### Plan Summary" in parts[-1] and "### Plan Summary" not in parts[0]


def test_bad_ref_is_bad_input(repo):
    done = run_cli(repo, "pr-plan", "--base", "no-such-ref")
    assert done.code == 2
    assert "no-such-ref" in done.stderr


def test_an_environment_that_does_not_load_at_head_is_an_error_in_the_comment(repo):
    path = repo / "environments" / "beta.yaml"
    path.write_text(path.read_text() + "netwrok: {}\n")
    (repo / "environments" / "alpha.yaml").unlink()  # removed: listed, not planned
    done, comment = pr_plan(repo)
    assert done.code == 1 and planned(done) == []
    assert done.json["removed"] == ["alpha"]
    assert len(done.json["errors"]) == 1 and "beta: environments/beta.yaml" in done.json["errors"][0]
    assert "netwrok: unknown key; did you mean 'network'?" in comment
    assert "Removed by this change" in comment and "`alpha`" in comment
