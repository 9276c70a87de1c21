"""The generated Atlantis workflow, run the way Atlantis runs it, on a clone of the fixture project.

Atlantis runs a custom step with ``sh -c`` in the clone, with its variables (``WORKSPACE``,
``PROJECT_NAME``, ``PLANFILE`` = ``<project>-<workspace>.tfplan`` in the clone, ``BASE_BRANCH_NAME``,
``COMMENT_ARGS``...) and each ``env`` step's value. Its pending-plan finder (server/events/
pending_plan_finder.go) lists ``git ls-files . --others`` *without* ``--exclude-standard`` and takes
every ``*.tfplan`` for a plan; since v0.46 an apply refuses a plan file it has no plan status for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from helpers import FIXTURE_PROJECT, REPO, run_cli, set_app_environment

from orchestrator.config.project import Project
from orchestrator.release import atlantis
from orchestrator.run import lock

pytestmark = [pytest.mark.terraform]

WORKFLOW = yaml.safe_load(atlantis.render(Project(REPO)))["workflows"]["orchestrator"]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """The clone Atlantis works in: the fixture project at main, origin/main known."""
    root = tmp_path / "repos" / "acme" / "infra" / "7" / "alpha"
    shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    (root / ".gitignore").write_text(".orchestrator/\n*.tfplan\n")  # ignored, yet Atlantis finds them
    alpha = (root / "environments" / "alpha.yaml").read_text()
    (root / "environments" / "alpha.yaml").unlink()
    git(root, "init", "-q", "-b", "main")
    for message in ("base", "the pull request: alpha added"):
        git(root, "add", "-A")
        git(root, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)
        if message == "base":
            git(root, "update-ref", "refs/remotes/origin/main", "HEAD")  # the base branch knows no alpha
            (root / "environments" / "alpha.yaml").write_text(alpha)
    git(root, "update-ref", "refs/remotes/origin/with-alpha", "HEAD")  # a base branch that has alpha as it is
    return root


def pending_plans(root: Path) -> list[str]:
    """Atlantis's pending-plan finder."""
    others = git(root, "ls-files", ".", "--others").splitlines()
    return sorted(path for path in others if path.endswith(".tfplan"))


def step(root: Path, stage: str, project: str, **extra: str) -> subprocess.CompletedProcess:
    """Run one stage of the workflow as Atlantis does: env steps, then the run step, in the clone."""
    workspace = project  # each project has a workspace of its own (atlantis.py)
    environ = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(root.parents[4] / "home"),
        "WORKSPACE": workspace, "PROJECT_NAME": project, "DIR": str(root), "REPO_REL_DIR": ".",
        "PLANFILE": str(root / f"{project}-{workspace}.tfplan"), "BASE_REPO_OWNER": "acme", "BASE_REPO_NAME": "infra",
        "BASE_BRANCH_NAME": "main", "PULL_NUM": "7", "COMMENT_ARGS": "", **extra,
    }
    for item in WORKFLOW[stage]["steps"]:
        if "env" in item:
            spec = item["env"]
            value = spec.get("value")
            if value is None:
                value = subprocess.run(["sh", "-c", spec["command"]], env=environ, cwd=root, capture_output=True, text=True,
                                       check=True).stdout.strip()
            environ[spec["name"]] = value
        else:
            return subprocess.run(["sh", "-c", item["run"]], env=environ, cwd=root, capture_output=True, text=True, timeout=300)
    raise AssertionError("no run step")


def work_dir(root: Path) -> Path:
    return root.parents[4] / "home" / ".cache" / "orchestrator" / "atlantis" / "acme" / "infra"


def test_plan_and_apply_leave_no_pending_plan_and_no_file_in_the_clone(clone):
    planned = step(clone, "plan", "alpha-network")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert pending_plans(clone) == ["alpha-network-alpha-network.tfplan"]  # $PLANFILE only: Atlantis's own
    assert sorted(git(clone, "ls-files", ".", "--others").splitlines()) == ["alpha-network-alpha-network.tfplan",
                                                                           "alpha-network-alpha-network.tfplan.meta.json"]
    assert (work_dir(clone) / "alpha" / "network" / "plan.tfplan").is_file()  # the runner's files: outside
    output = planned.stdout + planned.stderr
    assert "terraform_data.this will be created" in output
    assert "planning" not in output and "stack" not in output.split("Terraform will perform")[0]  # quiet: no progress, no table
    applied = step(clone, "apply", "alpha-network")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "planning" not in applied.stderr and "applying" not in applied.stderr
    assert git(clone, "ls-files", ".", "--others") == "" and git(clone, "status", "--porcelain") == ""


def test_plans_of_independent_stacks_of_one_environment_run_side_by_side(clone):
    """parallel_plan: alpha-ecs and alpha-vpc_link (one execution_order_group) plan at once in one clone."""
    environ = {"ORCHESTRATOR_WORK_DIR": str(work_dir(clone))}
    with lock.hold(work_dir(clone) / "alpha", "alpha", "plan", stacks=["ecs"]):  # alpha-ecs is planning
        beside = run_cli(clone, "plan", "alpha", "--stack", "vpc_link", env=environ)
        assert beside.code == 0, beside.stderr
        same = run_cli(clone, "plan", "alpha", "--stack", "ecs", env=environ)
        assert same.code == 1 and "stack 'ecs' of environment 'alpha' is locked by" in same.stderr
        apply = run_cli(clone, "apply", "alpha", "--stack", "network", "--auto-approve", env=environ)
        assert apply.code == 1 and "environment 'alpha' is locked by" in apply.stderr
    results = {}
    threads = [threading.Thread(target=lambda p=p: results.update({p: step(clone, "plan", p)})) for p in ("alpha-ecs", "alpha-vpc_link")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for project, done in results.items():
        assert done.returncode == 0, project + done.stdout + done.stderr
    assert pending_plans(clone) == ["alpha-ecs-alpha-ecs.tfplan", "alpha-vpc_link-alpha-vpc_link.tfplan"]


def test_an_applied_stack_whose_inputs_did_not_change_is_reported_without_changes(clone):
    environ = {"ORCHESTRATOR_WORK_DIR": str(work_dir(clone))}
    assert run_cli(clone, "apply", "alpha", "--auto-approve", env=environ).code == 0
    set_app_environment(clone, "alpha", {"SLEEP_network": "1"})  # alpha.yaml changes; only network's inputs do
    network = step(clone, "plan", "alpha-network", BASE_BRANCH_NAME="with-alpha")
    assert network.returncode == 0 and (clone / "alpha-network-alpha-network.tfplan").is_file(), network.stderr
    alb = step(clone, "plan", "alpha-alb", BASE_BRANCH_NAME="with-alpha")
    assert alb.returncode == 0, alb.stderr
    # Terraform's sentence: Atlantis counts the project as planned with no changes (its dependents may apply)
    assert alb.stdout.startswith("No changes. Your infrastructure matches the configuration.\n"
                                 "(not planned: inputs unchanged since origin/with-alpha, and applied with them)")
    assert "may be affected (downstream of network)" in alb.stdout
    assert not (clone / "alpha-alb-alpha-alb.tfplan").exists()
    # `atlantis apply -p alpha-alb` applies nothing, says so, and leaves nothing behind
    applied = step(clone, "apply", "alpha-alb")
    assert applied.returncode == 0 and applied.stdout.startswith("No changes."), applied.stdout + applied.stderr
    assert git(clone, "ls-files", ".", "--others").splitlines() == ["alpha-network-alpha-network.tfplan",
                                                                    "alpha-network-alpha-network.tfplan.meta.json"]
    unreadable = step(clone, "plan", "alpha-alb", BASE_BRANCH_NAME="no-such-branch")  # no base: plan, never hide
    assert unreadable.returncode == 0 and (clone / "alpha-alb-alpha-alb.tfplan").is_file()
    assert "cannot be read in this clone: planning without change detection" in unreadable.stderr


def test_a_never_applied_stack_is_planned_even_when_its_inputs_did_not_change(clone):
    """A new environment comes up whole: nothing is skipped until it was applied with these inputs."""
    alb = step(clone, "plan", "alpha-alb", BASE_BRANCH_NAME="with-alpha")
    assert alb.returncode == 0, alb.stderr
    assert (clone / "alpha-alb-alpha-alb.tfplan").is_file() and "will be created" in alb.stdout


def test_plans_made_before_their_upstreams_were_applied_are_applied_in_order_as_reviewed(clone):
    """Atlantis plans every project of a new environment at once (the dependents with placeholders);
    once the upstream is applied, the dependent's apply plans again and applies only what was reviewed."""
    for project in ("alpha-network", "alpha-alb"):
        assert step(clone, "plan", project).returncode == 0
    early = step(clone, "apply", "alpha-alb")
    assert early.returncode == 1 and "upstream output network.id is not in state: apply stack 'network' first" in early.stderr
    assert step(clone, "apply", "alpha-network").returncode == 0
    applied = step(clone, "apply", "alpha-alb")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert git(clone, "ls-files", ".", "--others") == ""
    again = run_cli(clone, "plan", "alpha", "--stack", "alb", "--json", env={"ORCHESTRATOR_WORK_DIR": str(work_dir(clone))})
    assert again.json["stacks"][0]["status"] == "no-changes"


def test_a_placeholder_plan_that_would_now_do_something_else_is_refused(clone):
    assert step(clone, "plan", "alpha-alb").returncode == 0
    set_app_environment(clone, "alpha", {"GENERATION_alb": "2"})
    assert step(clone, "plan", "alpha-network").returncode == 0 and step(clone, "apply", "alpha-network").returncode == 0
    stale = step(clone, "apply", "alpha-alb")
    assert stale.returncode == 1 and "stale plan: this environment's inputs for the stack changed" in stale.stderr


def test_state_rm_and_import_run_in_the_stacks_working_directory(clone):
    assert step(clone, "plan", "alpha-network").returncode == 0
    assert step(clone, "apply", "alpha-network").returncode == 0
    escaped = "".join("\\" + c for c in "terraform_data.this")
    removed = step(clone, "state_rm", "alpha-network", COMMENT_ARGS=escaped)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "Removed terraform_data.this" in removed.stdout and "Successfully removed 1 resource instance(s)." in removed.stdout
    replanned = step(clone, "plan", "alpha-network")
    assert "terraform_data.this will be created" in replanned.stdout  # it really left the stack's state
    imported = step(clone, "import", "alpha-network", COMMENT_ARGS=escaped + "," + "".join("\\" + c for c in "some-id"))
    # Terraform answered about the stack's own configuration (not "no configuration files" of the repository root)
    assert "No configuration files" not in imported.stdout + imported.stderr
    assert ("terraform_data.this" in imported.stdout + imported.stderr), imported.stdout + imported.stderr
    flags = step(clone, "import", "alpha-network", COMMENT_ARGS="\\-\\s\\t\\a\\t\\e\\=\\x,\\a,\\b")
    assert flags.returncode == 2 and "flags are not passed to Terraform" in flags.stderr


def test_policy_check_stage_checks_the_saved_plan(clone):
    planned = step(clone, "plan", "alpha-network")
    assert planned.returncode == 0 and (clone / "alpha-network-alpha-network.tfplan").is_file(), planned.stdout + planned.stderr
    done = step(clone, "policy_check", "alpha-network")
    output = done.stdout + done.stderr
    # The fixture turns policy checks off (its modules hold no AWS resource): said, and read as a pass
    assert done.returncode == 0 and "policy checks are off for this environment" in output, output
    assert "fail" not in output.lower()  # Atlantis's custom policy check: any "fail" is a failure
