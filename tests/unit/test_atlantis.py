"""The committed atlantis.yaml is what `atlantis-config` prints, and it follows the stack DAG."""

from __future__ import annotations

import fnmatch

import yaml
from helpers import REPO

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.release import atlantis


def test_committed_atlantis_yaml_is_in_sync_with_the_dag():
    project = Project(REPO)
    committed = (REPO / atlantis.FILE_NAME).read_text()
    assert committed == atlantis.render(project), (
        "atlantis.yaml drifted from stacks.yaml/environments: regenerate it with "
        "`python -m orchestrator atlantis-config > atlantis.yaml`"
    )


def test_projects_follow_the_dag_and_watch_what_each_stack_reads():
    project = Project(REPO)
    config = yaml.safe_load(atlantis.render(project))
    assert config["version"] == 3
    graph = load_graph(project)
    loader = EnvironmentLoader(project)
    envs = [e for e in loader.names() if loader.load(e).config.provider != "local"]
    assert envs == ["dev", "prod", "staging"]
    projects = {p["name"]: p for p in config["projects"]}
    assert set(projects) == {f"{env}-{stack}" for env in envs for stack in graph.stacks}
    for env in envs:
        for name, stack in graph.stacks.items():
            entry = projects[f"{env}-{name}"]
            assert entry["dir"] == "." and entry["workflow"] == "orchestrator" and entry["workspace"] == env
            assert set(entry.get("depends_on", [])) == {f"{env}-{up}" for up in stack.upstreams}
            assert all(projects[up]["execution_order_group"] < entry["execution_order_group"] for up in entry.get("depends_on", []))
            watched = entry["autoplan"]["when_modified"]
            for path in (f"terraform_modules/{stack.module}/main.tf", f"environments/templates/{stack.template.name}",
                         "environments/defaults.yaml", f"environments/{env}.yaml", "stacks.yaml"):
                assert (REPO / path).is_file()
                assert any(fnmatch.fnmatch(path, pattern.replace("**", "*")) for pattern in watched if not pattern.startswith("!"))
            others = [e for e in envs if e != env]
            assert not any(f"environments/{other}.yaml" in watched for other in others)


def test_workflow_plans_to_and_applies_atlantis_planfile():
    workflow = yaml.safe_load(atlantis.render(Project(REPO)))["workflows"]["orchestrator"]
    plan_run = workflow["plan"]["steps"][-1]["run"]
    apply_run = workflow["apply"]["steps"][-1]["run"]
    assert plan_run.startswith('python -m orchestrator plan "$ENV" --stack "$STACK" --out "$PLANFILE"')
    assert apply_run.startswith('python -m orchestrator apply "$ENV" --stack "$STACK" --plan-file "$PLANFILE"')
    env_steps = {step["env"]["name"]: step["env"]["command"] for step in workflow["plan"]["steps"][:-1]}
    assert env_steps == {"ENV": 'echo "$WORKSPACE"', "STACK": 'echo "${PROJECT_NAME#"$WORKSPACE"-}"'}


def test_stack_comes_from_the_project_name_even_when_env_names_hold_dashes():
    import subprocess

    workflow = yaml.safe_load(atlantis.render(Project(REPO)))["workflows"]["orchestrator"]
    command = workflow["apply"]["steps"][1]["env"]["command"]
    done = subprocess.run(["sh", "-c", command], env={"PROJECT_NAME": "eu-prod-vpc_link", "WORKSPACE": "eu-prod"},
                          capture_output=True, text=True, check=True)
    assert done.stdout == "vpc_link\n"
