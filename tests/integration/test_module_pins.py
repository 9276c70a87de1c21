"""Modules pinned per environment (`modules: {ref: ...}`): a module edit merged on main plans the
environments that follow the working tree and not the pinned one; moving the pin (as promote does)
plans exactly that change there; bad pins are refused before Terraform runs, naming the ref."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import FIXTURE_PROJECT, by_name, run_cli
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.release import atlantis, github, promote
from orchestrator.run import module_pins
from unit.test_atlantis import matches

pytestmark = [pytest.mark.terraform]

MAIN_TF = "terraform_modules/step/main.tf"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def pin(root: Path, env: str, ref: str) -> None:
    path = root / "environments" / f"{env}.yaml"
    text = path.read_text().split("modules:\n")[0]
    path.write_text(text + f"modules:\n  ref: {ref}\n")


def edit_module(root: Path, key: str) -> None:
    """A module edit: one more key in the object's input (an update of every stack on its next plan)."""
    main = root / MAIN_TF
    main.write_text(main.read_text().replace("    token      = var.token\n", f"    token      = var.token\n    {key} = \"yes\"\n", 1))


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    (root / ".gitignore").write_text(".orchestrator/\n")
    git(root, "init", "-q", "-b", "main")
    commit(root, "v1")
    git(root, "tag", "v1")
    pin(root, "beta", "v1")
    commit(root, "beta runs the modules of v1")
    for env in ("alpha", "beta"):
        done = run_cli(root, "apply", env, "--auto-approve", timeout=900)
        assert done.code == 0, done.stderr[-3000:]
    edit_module(root, "edited")
    commit(root, "module edit, merged for alpha")
    return root


def _plan(root: Path, env: str) -> dict:
    done = run_cli(root, "plan", env, "--json", timeout=900)
    assert done.code == 0, done.stderr[-3000:]
    return {name: stack["changes"] for name, stack in by_name(done.json).items() if stack["status"] != "no-changes"}


def test_a_module_edit_plans_the_following_environment_and_not_the_pinned_one(repo):
    assert set(_plan(repo, "alpha")) == {"network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"}
    assert _plan(repo, "beta") == {}
    edit_module(repo, "uncommitted")  # the working tree's modules, edited again: the pin does not see it either
    assert _plan(repo, "beta") == {}
    at_pin = git(repo, "show", f"v1:{MAIN_TF}")
    copies = list((repo / ".orchestrator" / "beta").glob("*/main.tf"))
    assert copies and all(path.read_text().strip() == at_pin for path in copies)


def test_reviews_follow_the_pins(repo):
    done = run_cli(repo, "pr-plan", "--base", "HEAD~1", "--json", timeout=900)
    assert done.code == 3, done.stderr[-3000:]
    assert {s["env"] for s in done.json["stacks"]} == {"alpha"}  # beta's pin did not move
    project = Project(repo)
    graph = load_graph(project)
    loader = EnvironmentLoader(project)
    beta_pins = module_pins.pins(loader.load("beta"), graph)
    assert set(beta_pins) == set(graph.stacks) and set(beta_pins.values()) == {"v1"}
    assert module_pins.pins(loader.load("alpha"), graph) == {}
    assert "terraform_modules/step/**" in atlantis.watched(project, graph.stacks["network"], "alpha")
    pinned = atlantis.watched(project, graph.stacks["network"], "beta", pinned=True)
    assert not any(p.startswith("terraform_modules/") or p.startswith("!terraform_modules/") for p in pinned)
    assert "environments/beta.yaml" in pinned  # where the pin moves
    # Atlantis's autoplan, simulated from the when_modified rules atlantis.config writes for each project
    # (the fixture's environments run the local provider, which atlantis.yaml leaves out), fires for what pr-plan planned
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
    rules = {f"{env}-{name}": atlantis.watched(project, stack, env, name in module_pins.pins(loader.load(env), graph))
             for env in loader.names() for name, stack in graph.stacks.items()}
    fired = {title for title, when_modified in rules.items() if any(matches(path, when_modified) for path in changed)}
    assert fired == {f"{s['env']}-{s['name']}" for s in done.json["stacks"]}
    # the GitHub apply workflow's `paths` (what a push to main applies) agree: alpha's fires, beta's does not
    pushed = {env for env in loader.names()
              if any(matches(path, github._watched(project, github.CloudEnv(env, "p", "r", (), False))) for path in changed)}
    assert pushed == {s["env"] for s in done.json["stacks"]}

    pin(repo, "beta", "HEAD")  # the pin moves in the change: pr-plan plans beta
    moved = run_cli(repo, "pr-plan", "--base", "HEAD", "--json", "--comment-file", str(repo / "comment.md"), timeout=900)
    assert moved.code == 3 and {s["env"] for s in moved.json["stacks"]} == {"beta"}, moved.stderr[-3000:]
    head = git(repo, "rev-parse", "HEAD")
    assert f"Modules: `beta` pinned at `HEAD ({head[:12]})`" in (repo / "comment.md").read_text()  # the ref it ran


def test_moving_the_pin_as_promote_does_plans_exactly_the_module_change(repo):
    alpha_applied = run_cli(repo, "apply", "alpha", "--auto-approve", timeout=900)
    assert alpha_applied.code == 0
    project = Project(repo)
    head = git(repo, "rev-parse", "HEAD")
    assert promote.module_pin(project, "alpha", "auto") == head  # the commit alpha last applied, module clean
    beta_file = repo / "environments" / "beta.yaml"
    moved = promote.set_pin(beta_file.read_text(), head[:12])
    assert "# An environment that needs approval to apply." in moved  # comments kept
    assert promote.module_changes(project, "v1", head[:12]) and "main.tf" in promote.module_changes(project, "v1", head[:12])[0]
    beta_file.write_text(moved)
    changes = _plan(repo, "beta")
    assert set(changes) == {"network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"}
    assert all(c == {"add": 0, "change": 1, "destroy": 0} for c in changes.values())


def test_bad_pins_are_refused_before_terraform_naming_the_ref(repo):
    pin(repo, "beta", "no-such-ref")
    refused = run_cli(repo, "plan", "beta")
    assert refused.code == 2 and "environments/beta.yaml: modules.ref: 'no-such-ref' is not a commit or tag" in refused.stderr
    blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input="no modules here\n",
                          capture_output=True, text=True, check=True).stdout.strip()
    tree = subprocess.run(["git", "-C", str(repo), "mktree"], input=f"100644 blob {blob}\tother.txt\n",
                          capture_output=True, text=True, check=True).stdout.strip()
    git(repo, "tag", "bare", git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit-tree", tree, "-m", "bare"))
    pin(repo, "beta", "bare")  # a commit without the modules stacks.yaml needs
    missing = run_cli(repo, "validate", "beta")
    assert missing.code == 2 and "module 'step' (stack network) is not in bare" in missing.stderr
    # a template that renders a variable the module at the pin does not declare
    main = repo / MAIN_TF
    main.write_text(main.read_text() + '\nvariable "edition" {\n  type    = string\n  default = "1"\n}\n')
    template = repo / "environments" / "templates" / "step.tfvars.j2"
    template.write_text(template.read_text() + 'edition = "2"\n')
    pin(repo, "beta", "v1")
    undeclared = run_cli(repo, "validate", "beta")
    assert undeclared.code == 2 and "edition: module 'step' at v1 (" in undeclared.stderr and "declares no such variable" in undeclared.stderr
    assert run_cli(repo, "validate", "alpha").code == 0  # the working tree's module declares it


def test_a_shallow_clone_fetches_the_pinned_commit_from_origin(repo, tmp_path):
    """What Atlantis and CI check out is `git clone --depth=1 --single-branch`: the pin is not in it."""
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", "--single-branch", "--no-tags", f"file://{repo}", str(clone)], check=True)
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    assert subprocess.run(["git", "-C", str(clone), "rev-parse", "--verify", "--quiet", "v1^{commit}"]).returncode != 0

    done = run_cli(clone, "plan", "beta", "--json", timeout=900)
    assert done.code == 0, done.stderr[-3000:]
    assert "fetching modules at v1 from origin (a shallow clone lacks that commit)" in done.stderr
    planned = {name: stack["plan_json"] for name, stack in by_name(done.json).items()}
    assert all("edited" not in Path(p).read_text() for p in planned.values())  # v1's module, not the branch's

    again = run_cli(clone, "validate", "beta")
    assert again.code == 0 and "fetching" not in again.stderr, again.stderr  # fetched once, kept


def test_a_pin_neither_here_nor_on_origin_is_refused_naming_it(repo, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo}", str(clone)], check=True)
    pin(clone, "beta", "v9")
    done = run_cli(clone, "validate", "beta")
    assert done.code == 2, done.stderr
    assert "modules.ref" in done.stderr and "'v9' is not a commit or tag" in done.stderr and "nor could it be fetched from origin" in done.stderr


def _modules_check(root: Path, env: str) -> dict:
    done = run_cli(root, "status", env, "--json", timeout=600)
    return next(c for c in json.loads(done.stdout[done.stdout.index("{"):])["checks"] if c["name"] == "modules")


def test_status_reads_the_commit_each_stack_was_applied_from_against_the_pin(repo):
    v1 = git(repo, "rev-parse", "v1")
    applied = _modules_check(repo, "beta")
    assert applied["status"] == "ok" and applied["detail"] == f"pinned at v1 ({v1[:12]}); last applied from {v1[:12]}"
    assert _modules_check(repo, "alpha")["detail"].startswith("follow the working tree; last applied from ")

    pin(repo, "beta", git(repo, "rev-parse", "HEAD"))  # the pin moved (as promote does); not applied yet
    moved = _modules_check(repo, "beta")
    assert moved["status"] == "warning" and f"but last applied every stack at {v1[:12]}" in moved["detail"], moved
    assert "an apply moves them to the pin" in moved["detail"]
