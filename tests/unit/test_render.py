import pytest

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.config.render import render_stack


def render(project, stack="network", env="alpha"):
    p = Project(project)
    return render_stack(p, load_graph(p), EnvironmentLoader(p).load(env), stack)


def template(project, text):
    (project / "environments" / "templates" / "step.tfvars.j2").write_text(text)


def test_values_become_hcl_literals(project):
    template(project, 'name = {{ name }}\npayload = {{ "x${y}" }}\nsleep = {{ 3 }}\n')
    assert render(project).tfvars == 'name = "fx-alpha"\npayload = "x$${y}"\nsleep = 3\n'


def test_undefined_name_names_template_and_line(project):
    template(project, "name = {{ name }}\npayload = {{ app.nope }}\n")
    with pytest.raises(InputError) as caught:
        render(project)
    problem = caught.value.problems[0]
    assert problem.file == "environments/templates/step.tfvars.j2"
    assert problem.line == 2 and "undefined" in problem.reason and "nope" in problem.reason


def test_misspelt_variable_is_an_error(project):
    template(project, "name = {{ name }}\npaylaod = {{ stack }}\n")
    with pytest.raises(InputError, match="paylaod: module 'step' declares no such variable"):
        render(project)


def test_upstream_fed_variable_may_not_be_rendered(project):
    template(project, "name = {{ name }}\npayload = {{ stack }}\nupstream_a = {{ stack }}\n")
    with pytest.raises(InputError, match="fed by an upstream output"):
        render(project, stack="alb")


def test_sandbox_refuses_unsafe_attribute_access(project):
    template(project, "name = {{ name.__class__.__mro__ }}\n")
    with pytest.raises(InputError, match="not allowed|undefined"):
        render(project)


def test_syntax_error_is_reported(project):
    template(project, "name = {{ name \n")
    with pytest.raises(InputError, match="template syntax"):
        render(project)


def _placeholder(project, text: str) -> None:
    stacks = project / "stacks.yaml"
    old = "        placeholder: [placeholder-1, placeholder-2]\n"
    assert old in stacks.read_text()
    stacks.write_text(stacks.read_text().replace(old, f"        placeholder: {text}\n"))


def test_a_placeholder_may_be_derived_from_the_environment(project):
    """Issue 13: a placeholder agrees with the environment it stands in for (listener_protocol: HTTPS with a certificate)."""
    _placeholder(project, "[\"{{ 'HTTPS' if alb.certificate_arn else 'HTTP' }}\", \"{{ name }}\"]")
    p = Project(project)
    (item,) = [i for i in load_graph(p).stacks["ecs"].inputs if i.variable == "upstream_b"]
    loader = EnvironmentLoader(p)
    assert item.placeholder_value(loader.load("alpha").context()) == ["HTTP", "fx-alpha"]
    (project / "environments" / "alpha.yaml").write_text(
        "alb:\n  certificate_arn: arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012\n"
        "  certificate_domain: app.example.com\n")
    assert item.placeholder_value(loader.load("alpha").context()) == ["HTTPS", "fx-alpha"]
    assert render(project, stack="ecs").stack == "ecs"


def test_a_placeholder_that_cannot_render_is_a_validate_error(project):
    _placeholder(project, "\"{{ alb.nope }}\"")
    with pytest.raises(InputError) as caught:
        render(project, stack="ecs")
    (problem,) = caught.value.problems
    assert problem.file == "stacks.yaml" and problem.key == "stacks.ecs.inputs.upstream_b.placeholder"
    assert "nope" in problem.reason
