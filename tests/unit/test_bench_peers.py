"""bench/peers.py generates a Terragrunt live tree from stacks.yaml and an environment (no terragrunt needed)."""

import re
from pathlib import Path

from helpers import load_bench
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.terraform.target import MOTO_OVERRIDE, Target

REPO = Path(__file__).resolve().parents[2]


def _blocks(text: str, kind: str) -> dict[str, str]:
    """The bodies of top-level `kind "name" { ... }` blocks (closed by a `}` at column 0)."""
    return dict(re.findall(rf'^{kind} "(\w+)" {{\n(.*?)^}}', text, re.MULTILINE | re.DOTALL))


def test_one_unit_per_stack_with_its_dependencies(tmp_path):
    project = Project(REPO)
    env = EnvironmentLoader(project).load("local")
    graph = load_graph(project).without(env.absent_stacks)  # local runs no queue (optional), as the orchestrator
    assert "queue" not in graph.stacks
    units = load_bench("peers").generate_tree(REPO, "local", tmp_path / "live")

    assert sorted(units) == sorted(graph.stacks)
    assert sorted(p.name for p in (tmp_path / "live" / "local").iterdir()) == sorted(graph.stacks)
    root = (tmp_path / "live" / "root.hcl").read_text()
    assert 'backend = "local"' in root and "path_relative_to_include()" in root
    assert 'generate "provider"' in root and 'provider "aws"' in root and '"Environment" = "local"' in root

    for name, stack in graph.stacks.items():
        text = (units[name] / "terragrunt.hcl").read_text()
        assert 'find_in_parent_folders("root.hcl")' in text
        source = re.search(r'source = "(.*)"', text).group(1)
        assert (units[name] / source.replace("//", "/")).resolve() == stack.module_dir.resolve()
        dependencies = _blocks(text, "dependency")
        assert set(dependencies) == set(stack.upstreams), name
        for upstream, body in dependencies.items():
            assert f'config_path = "../{upstream}"' in body
            assert 'mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]' in body
            mocked = set(re.findall(r"^    (\w+) = ", body, re.MULTILINE))
            assert mocked == {i.output for i in stack.inputs if i.stack == upstream}
        for item in stack.inputs:
            assert f"  {item.variable} = dependency.{item.stack}.outputs.{item.output}\n" in text
            value = item.placeholder_value(env.context())
            if isinstance(value, str):
                assert f'    {item.output} = "{value}"' in dependencies[item.stack]

    assert not _blocks((units["network"] / "terragrunt.hcl").read_text(), "dependency")
    # a placeholder the environment decides is rendered for it (local: no certificate -> HTTP)
    assert 'listener_protocol = "HTTP"' in (units["api_gateway"] / "terragrunt.hcl").read_text()


def test_a_moto_tree_targets_moto_like_the_orchestrator(tmp_path):
    """--provider moto: the orchestrator's moto provider block, and its override of moto's gaps per unit."""
    endpoint = "http://127.0.0.1:4566"
    env = EnvironmentLoader(Project(REPO)).load("local")
    units = load_bench("peers").generate_tree(REPO, "local", tmp_path / "live", moto_endpoint=endpoint)
    root = (tmp_path / "live" / "root.hcl").read_text()
    assert Target(env, "moto", "s3").provider_block(endpoint) in root and f'ec2 = "{endpoint}"' in root
    overridden = {name for name, unit in units.items() if 'generate "moto_override"' in (unit / "terragrunt.hcl").read_text()}
    # the stacks with a type whose attribute moto drops: security group rules (network, alb, ecs...), the ECS service
    assert {"network", "ecs"} <= overridden
    ecs = (units["ecs"] / "terragrunt.hcl").read_text()
    assert "health_check_grace_period_seconds" in ecs and MOTO_OVERRIDE in ecs


def test_cpu_seconds_reads_a_live_process_from_proc():
    """The bench's moto figure: a process's own CPU time grows with the work it does."""
    import os
    import time

    peers = load_bench("peers")
    before = peers.cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert 0.2 <= peers.cpu_seconds(os.getpid()) - before < 5
