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
