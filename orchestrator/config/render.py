"""Render each stack's tfvars from the environment with Jinja.

The Jinja environment is sandboxed (templates arrive in pull requests) and strict (an undefined
name is an error naming the template and line). Every ``{{ expression }}`` is written as an HCL
literal (see ``hcl``), so a YAML string reaches Terraform verbatim and can never become code.
The rendered keys are checked against the module's declared variables.
"""

from __future__ import annotations

import functools
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from orchestrator.config import hcl, module_info
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import StackGraph
from orchestrator.config.project import Project

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*=", re.MULTILINE)


@dataclass(frozen=True)
class RenderedStack:
    stack: str
    tfvars: str

    @property
    def keys(self) -> list[str]:
        return _ASSIGNMENT.findall(self.tfvars)


def _finalize(value):
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return hcl.literal(value)


@functools.lru_cache(maxsize=8)
def _jinja(templates_dir: Path) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template_line(error: BaseException, template_file: str) -> int | None:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(template_file):
            return frame.lineno
    return getattr(error, "lineno", None)


def render_stack(project: Project, graph: StackGraph, env: LoadedEnvironment, name: str) -> RenderedStack:
    stack = graph.stacks[name]
    where = project.display(stack.template)
    try:
        template = _jinja(project.templates_dir).get_template(stack.template.name)
        text = template.render(env.context(), stack=name)
    except jinja2.TemplateSyntaxError as error:
        raise InputError([Problem(where, "", f"template syntax: {error.message}", error.lineno)]) from None
    except jinja2.UndefinedError as error:
        raise InputError([Problem(where, "", f"undefined: {error.message}", _template_line(error, stack.template.name))]) from None
    except jinja2.exceptions.SecurityError as error:
        raise InputError([Problem(where, "", f"not allowed in a template: {error}", _template_line(error, stack.template.name))]) from None
    except jinja2.TemplateNotFound as error:
        raise InputError([Problem(where, "", f"template not found: {error.name} (templates load only from {project.display(project.templates_dir)})", _template_line(error, stack.template.name))]) from None
    except jinja2.TemplateError as error:
        raise InputError([Problem(where, "", f"cannot render: {error}", _template_line(error, stack.template.name))]) from None
    except (TypeError, ValueError) as error:
        raise InputError([Problem(where, "", f"cannot render: {error}", _template_line(error, stack.template.name))]) from None
    rendered = RenderedStack(name, text)
    graph_file = project.display(project.stacks_file)
    for item in stack.inputs:
        try:
            item.placeholder_value(env.context())
        except jinja2.TemplateError as error:
            raise InputError([Problem(graph_file, f"stacks.{name}.inputs.{item.variable}.placeholder", f"cannot render: {error}")]) from None
    declared = module_info.read(stack.module_dir).variables
    fed = {item.variable for item in stack.inputs}
    problems, seen = [], set()
    for key in rendered.keys:
        if key in seen:
            problems.append(Problem(where, key, "assigned twice"))
        elif key not in declared:
            problems.append(Problem(where, key, f"module {stack.module_label} declares no such variable"))
        elif key in fed:
            problems.append(Problem(where, key, "is fed by an upstream output in stacks.yaml; remove it here"))
        seen.add(key)
    if problems:
        raise InputError(problems)
    return rendered


def render_all(project: Project, graph: StackGraph, env: LoadedEnvironment, names: list[str]) -> dict[str, RenderedStack]:
    """Render the chosen stacks; problems of every stack are reported together."""
    rendered, problems = {}, []
    for name in names:
        try:
            rendered[name] = render_stack(project, graph, env, name)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return rendered
