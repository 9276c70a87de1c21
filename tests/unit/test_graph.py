import pytest

from orchestrator.config.errors import InputError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project


def graph_problems(project, text):
    (project / "stacks.yaml").write_text(text)
    with pytest.raises(InputError) as caught:
        load_graph(Project(project))
    return [str(p) for p in caught.value.problems]


def test_fixture_graph_order_and_edges(project):
    graph = load_graph(Project(project))
    assert graph.order == ["network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"]
    assert graph.stacks["ecs"].upstreams == {"alb", "network"}
    assert graph.descendants("alb") == {"ecs", "vpc_link", "api_gateway", "keepalive"}
    assert graph.ancestors("keepalive") == {"api_gateway", "vpc_link", "alb", "network"}
    assert ("vpc_link", "api_gateway") in graph.edges()


def test_pictures(project):
    graph = load_graph(Project(project))
    assert "  alb --> ecs" in graph.as_mermaid()
    assert '"api_gateway" -> "keepalive";' in graph.as_dot()
    assert "upstream_b <- network.list" in graph.as_text()


def test_cycle_is_refused(project):
    found = graph_problems(
        project,
        "stacks:\n  a:\n    module: step\n    template: step.tfvars.j2\n    inputs: {upstream_a: b.id}\n"
        "  b:\n    module: step\n    template: step.tfvars.j2\n    inputs: {upstream_a: a.id}\n",
    )
    assert any("cycle" in p for p in found)


def test_unknown_stack_output_variable_and_module(project):
    found = graph_problems(
        project,
        "stacks:\n"
        "  a:\n    module: step\n    template: step.tfvars.j2\n"
        "  b:\n    module: step\n    template: step.tfvars.j2\n"
        "    inputs:\n      upstream_a: nowhere.id\n      upstream_b: a.missing\n      not_a_variable: a.id\n"
        "  c:\n    module: absent\n"
        "  d:\n    module: step\n    template: step.tfvars.j2\n    depends_on: [ghost]\n",
    )
    joined = "\n".join(found)
    assert "unknown stack 'nowhere'" in joined
    assert "has no output 'missing'" in joined
    assert "declares no variable 'not_a_variable'" in joined
    assert "'absent' is not a folder" in joined
    assert "unknown stack 'ghost'" in joined
    assert all(p.startswith("stacks.yaml:") for p in found)


def test_unknown_stack_and_output_names_suggest_the_closest_known_one(project):
    with pytest.raises(InputError, match=r"--stack: unknown stack 'vpclink'; did you mean 'vpc_link'\?"):
        load_graph(Project(project)).select(["vpclink"])
    found = "\n".join(graph_problems(
        project,
        "stacks:\n  network:\n    module: step\n    template: step.tfvars.j2\n"
        "  alb:\n    module: step\n    template: step.tfvars.j2\n"
        "    inputs:\n      upstream_a: netwrk.id\n      upstream_b: network.lst\n    depends_on: [netwok]\n",
    ))
    assert "inputs.upstream_a: unknown stack 'netwrk'; did you mean 'network'?" in found
    assert "has no output 'lst'; did you mean 'list'?" in found
    assert "depends_on: unknown stack 'netwok'; did you mean 'network'?" in found


def test_select_refuses_unknown_stacks(project):
    graph = load_graph(Project(project))
    assert graph.select(["keepalive", "network"]) == ["network", "keepalive"]
    with pytest.raises(InputError, match="unknown stack 'nope'"):
        graph.select(["nope"])


def test_a_stack_name_with_a_dash_is_refused(project):
    """Atlantis's steps split the project name ENV-STACK at the last '-'."""
    found = graph_problems(project, "stacks:\n  web-app:\n    module: step\n    template: step.tfvars.j2\n")
    assert any("stacks.web-app: a stack name is lower-case letters, digits and '_'" in p for p in found), found
