"""The committed atlantis.yaml is what `atlantis-config` prints; it follows the stack DAG, and every
stage of its workflow is the orchestrator's, run the way Atlantis runs custom steps (``sh -c``)."""

from __future__ import annotations

import fnmatch
import subprocess

import pytest
import yaml
from helpers import REPO

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.release import atlantis
from orchestrator.terraform import engine

STAGES = ("plan", "apply", "import", "state_rm", "policy_check")


def generated() -> dict:
    return yaml.safe_load(atlantis.render(Project(REPO)))


def matches(path: str, patterns: list[str]) -> bool:
    """Atlantis's when_modified: a path counts when a pattern takes it and no later '!' pattern drops it."""
    taken = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if fnmatch.fnmatch(path, pattern.lstrip("!").replace("**", "*")):
            taken = not negated
    return taken


def environment_of(steps: list[dict], atlantis_env: dict) -> dict:
    """What Atlantis hands the run step: its variables plus each env step's value or command output."""
    environ = dict(atlantis_env)
    for step in steps:
        if "env" in step:
            spec = step["env"]
            if "value" in spec:
                environ[spec["name"]] = spec["value"]
            else:
                done = subprocess.run(["sh", "-c", spec["command"]], env=environ, capture_output=True, text=True, check=True)
                environ[spec["name"]] = done.stdout.strip()
    return environ


def test_committed_atlantis_yaml_is_in_sync_with_the_dag():
    project = Project(REPO)
    committed = (REPO / atlantis.FILE_NAME).read_text()
    assert committed == atlantis.render(project), (
        "atlantis.yaml drifted from stacks.yaml/environments: regenerate it with "
        "`python -m orchestrator atlantis-config --write`"
    )


def test_projects_follow_the_dag_and_watch_what_each_stack_reads():
    project = Project(REPO)
    config = generated()
    assert config["version"] == 3
    assert config["abort_on_execution_order_fail"] is True and config["parallel_apply"] is False
    graph = load_graph(project)
    loader = EnvironmentLoader(project)
    envs = [e for e in loader.names() if loader.load(e).config.provider != "local"]
    assert envs == ["dev", "prod", "staging"]
    projects = {p["name"]: p for p in config["projects"]}
    runs = {env: [name for name in graph.stacks if name not in loader.load(env).absent_stacks] for env in envs}
    assert "queue" in runs["dev"] and "queue" not in runs["prod"]  # optional: prod sets no queue section
    assert set(projects) == {f"{env}-{stack}" for env in envs for stack in runs[env]}
    for env in envs:
        for name, stack in ((name, graph.stacks[name]) for name in runs[env]):
            entry = projects[f"{env}-{name}"]
            assert entry["dir"] == "." and entry["workflow"] == "orchestrator" and entry["workspace"] == entry["name"]
            assert "depends_on" not in entry  # the orchestrator enforces the order (atlantis.py says why)
            assert all(projects[f"{env}-{up}"]["execution_order_group"] < entry["execution_order_group"] for up in stack.upstreams)
            watched = entry["autoplan"]["when_modified"]
            for path in (f"terraform_modules/{stack.module}/main.tf", f"environments/templates/{stack.template.name}",
                         "environments/defaults.yaml", f"environments/{env}.yaml", "stacks.yaml"):
                assert (REPO / path).is_file()
                # staging and prod pin their modules (modules.ref): a module edit reaches them by promotion
                following = path.startswith("terraform_modules/") and loader.load(env).config.modules.ref is None
                assert matches(path, watched) is (following or not path.startswith("terraform_modules/")), path
            assert not matches(f"terraform_modules/{stack.module}/README.md", watched)
            others = [e for e in envs if e != env]
            assert not any(f"environments/{other}.yaml" in watched for other in others)


def test_autoplan_fires_on_what_renders_and_pins_every_stack():
    """orchestrator/** renders every tfvars and pyproject.toml pins Terraform: both can change any plan."""
    for entry in generated()["projects"]:
        watched = entry["autoplan"]["when_modified"]
        for path in ("orchestrator/config/render.py", "orchestrator/terraform/workdir.py", "pyproject.toml", ".terraform.lock.hcl"):
            assert (REPO / path).is_file()
            assert matches(path, watched), (entry["name"], path)
        assert not matches("README.md", watched) and not matches("tests/unit/test_atlantis.py", watched)


def test_plan_step_leaves_out_stacks_whose_inputs_did_not_change_against_the_base_branch():
    plan = generated()["workflows"]["orchestrator"]["plan"]["steps"][-1]["run"]
    assert '--skip-unchanged-since "origin/$BASE_BRANCH_NAME"' in plan


def test_environments_that_require_approval_require_it_in_atlantis_too():
    loader = EnvironmentLoader(Project(REPO))
    projects = generated()["projects"]
    assert {p["name"].rsplit("-", 1)[0] for p in projects if "apply_requirements" in p} == {"prod"}
    for entry in projects:
        required = loader.load(entry["name"].rsplit("-", 1)[0]).config.require_approval
        assert entry.get("apply_requirements") == (["approved", "mergeable"] if required else None), entry["name"]


def test_every_stage_runs_the_orchestrator_never_terraform_in_the_repository_root():
    workflow = generated()["workflows"]["orchestrator"]
    assert set(workflow) == set(STAGES)
    for stage, expected in (("plan", "plan"), ("apply", "apply"), ("import", "import"), ("state_rm", "state-rm"),
                            ("policy_check", "policy-check")):
        steps = workflow[stage]["steps"]
        assert [step for step in steps if not isinstance(step, dict) or set(step) - {"env", "run"}] == []  # no built-in steps
        [run] = [step["run"] for step in steps if "run" in step]
        assert run.startswith(f'python -m orchestrator {expected} "$TARGET_ENV" --stack "$TARGET_STACK"'), run
        assert "terraform " not in run
    assert '--plan-file "$PLANFILE" --auto-approve' in workflow["apply"]["steps"][-1]["run"]
    assert '--out "$PLANFILE" --show --quiet' in workflow["plan"]["steps"][-1]["run"]
    for stage in ("import", "state_rm"):
        assert '--comment-args "$COMMENT_ARGS"' in workflow[stage]["steps"][-1]["run"]


ATLANTIS = {"WORKSPACE": "eu-prod-vpc_link", "PROJECT_NAME": "eu-prod-vpc_link", "BASE_REPO_OWNER": "acme",
            "BASE_REPO_NAME": "infra", "HOME": "/home/atlantis", "PATH": "/usr/bin:/bin"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_pins_the_engine_and_keeps_files_out_of_the_clone(stage, tmp_path):
    steps = generated()["workflows"]["orchestrator"][stage]["steps"]
    environ = environment_of(steps, ATLANTIS)
    assert environ["TARGET_ENV"] == "eu-prod" and environ["TARGET_STACK"] == "vpc_link"
    assert environ["TERRAFORM_BIN"] == "bundled" and environ["PYTHONDONTWRITEBYTECODE"] == "1"
    assert environ["ORCHESTRATOR_WORK_DIR"] == "/home/atlantis/.cache/orchestrator/atlantis/acme/infra"
    elsewhere = environment_of(steps, {**ATLANTIS, "ORCHESTRATOR_WORK_DIR": "/srv/orchestrator"})
    assert elsewhere["ORCHESTRATOR_WORK_DIR"] == "/srv/orchestrator/acme/infra"
    # Atlantis's image puts its own terraform first on PATH; the pinned engine is used all the same.
    fake = tmp_path / "terraform"
    fake.write_text('#!/bin/sh\necho \'{"terraform_version": "1.14.0"}\'\n')
    fake.chmod(0o755)
    assert engine.resolve_binary({**environ, "PATH": f"{tmp_path}:/usr/bin:/bin"}).source == "bundled"


def test_no_step_uses_a_variable_posix_sh_reserves():
    """$ENV names the file an interactive POSIX sh sources: never use it as a variable of our own."""
    for stage in generated()["workflows"]["orchestrator"].values():
        names = [step["env"]["name"] for step in stage["steps"] if "env" in step]
        assert "ENV" not in names and "PS1" not in names and "IFS" not in names
        assert all("$ENV\"" not in step.get("run", "") and "${ENV}" not in step.get("run", "") for step in stage["steps"])


def test_stack_comes_from_the_project_name_even_when_env_names_hold_dashes():
    steps = generated()["workflows"]["orchestrator"]["apply"]["steps"]
    assert environment_of(steps, ATLANTIS)["TARGET_STACK"] == "vpc_link"


def test_no_two_projects_share_a_workspace_and_dir():
    """Atlantis locks a pull's working directory by workspace and dir for a whole plan, and a bare
    `atlantis apply` takes that lock once per pending plan (v0.36.0): shared pairs collide."""
    pairs = [(p["workspace"], p["dir"]) for p in generated()["projects"]]
    assert len(pairs) == len(set(pairs))


# Atlantis fails a stage on any exit status but 0. Only policy_check turns one into a pass: a failed check
# (3), which Atlantis reads from "fail" in the output and a policy owner may approve. An error (1) or bad
# input (2) must stay a failure that nobody can approve.
PASSES = {stage: {0} for stage in STAGES} | {"policy_check": {0, 3}}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("code", [0, 1, 2, 3])
def test_each_stage_reads_the_orchestrators_exit_status(stage, code, tmp_path):
    stub = tmp_path / "python"
    stub.write_text(f'#!/bin/sh\n[ "$1 $2" = "-m orchestrator" ] || exit 97\nexit {code}\n')
    stub.chmod(0o755)
    steps = generated()["workflows"]["orchestrator"][stage]["steps"]
    environ = {**environment_of(steps, {**ATLANTIS, "PLANFILE": "x.tfplan", "COMMENT_ARGS": "", "BASE_BRANCH_NAME": "main"}),
               "PATH": f"{tmp_path}:/usr/bin:/bin"}
    done = subprocess.run(["sh", "-c", steps[-1]["run"]], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60)
    assert (done.returncode == 0) is (code in PASSES[stage]), (stage, code, done.returncode)
