"""The stack graph: declared once in ``stacks.yaml``, checked, and ordered with graphlib.

A stack is one module applied for one environment. ``inputs`` say which upstream output feeds
which module variable; they also make the edges of the DAG (``depends_on`` adds ordering-only
edges). Every reference is checked against the modules' declared variables and outputs.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from orchestrator.config import module_info
from orchestrator.config.errors import InputError, Problem, did_you_mean
from orchestrator.config.project import Project
from orchestrator.config.schema import BUILT_IN_STACKS
from orchestrator.config.yaml_source import load

_NO_PLACEHOLDER = object()
# No '-': the Atlantis project of a stack is ENV-STACK, and its steps split the name at the last '-'.
STACK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# A placeholder that is a string with "{{ ... }}" is a Jinja expression over the environment (what
# templates see): it stands in for an output the environment decides, e.g. the listener's protocol.
_PLACEHOLDER_JINJA = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


def _render_placeholder(value, context: dict):
    if isinstance(value, str) and "{{" in value:
        return _PLACEHOLDER_JINJA.from_string(value).render(context)
    if isinstance(value, list):
        return [_render_placeholder(item, context) for item in value]
    if isinstance(value, dict):
        return {key: _render_placeholder(item, context) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Input:
    variable: str
    stack: str
    output: str
    placeholder: object = _NO_PLACEHOLDER

    @property
    def reference(self) -> str:
        return f"{self.stack}.{self.output}"

    def placeholder_value(self, context: dict | None = None):
        """The stand-in for a never-applied upstream output; derived from the environment's
        ``context`` when declared as a Jinja expression (without a context: as declared)."""
        if self.placeholder is _NO_PLACEHOLDER:
            return f"placeholder:{self.reference}"
        return self.placeholder if context is None else _render_placeholder(self.placeholder, context)


@dataclass(frozen=True)
class Stack:
    name: str
    module: str
    module_dir: Path
    template: Path
    inputs: tuple[Input, ...] = ()
    depends_on: frozenset[str] = frozenset()
    module_ref: str | None = None  # the pin whose module_dir this is ("v1.4 (0a1b2c3d4e5f)"); None: the working tree
    module_commit: str | None = None  # the pin's full commit
    optional: bool = False  # runs only in the environments that set its section (a team stack)

    @property
    def module_label(self) -> str:
        return repr(self.module) + (f" at {self.module_ref}" if self.module_ref else "")

    @property
    def upstreams(self) -> frozenset[str]:
        return self.depends_on | {item.stack for item in self.inputs}


@dataclass
class StackGraph:
    stacks: dict[str, Stack]
    highlights: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (stack, output)
    _order: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._order = list(graphlib.TopologicalSorter({n: s.upstreams for n, s in self.stacks.items()}).static_order())

    @property
    def order(self) -> list[str]:
        """Dependency order (upstreams first); ties keep the declaration order stable."""
        declared = list(self.stacks)
        return sorted(self._order, key=lambda n: (self.depth(n), declared.index(n)))

    def depth(self, name: str) -> int:
        ups = self.stacks[name].upstreams
        return 0 if not ups else 1 + max(self.depth(u) for u in ups)

    def downstreams(self, name: str) -> set[str]:
        return {n for n, s in self.stacks.items() if name in s.upstreams}

    def descendants(self, name: str) -> set[str]:
        found, todo = set(), [name]
        while todo:
            for child in self.downstreams(todo.pop()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def ancestors(self, name: str) -> set[str]:
        found, todo = set(), [name]
        while todo:
            for parent in self.stacks[todo.pop()].upstreams:
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    def without(self, absent: set[str]) -> "StackGraph":
        """The graph of an environment that does not run ``absent`` (optional stacks it does not set)."""
        if not absent:
            return self
        return StackGraph({n: s for n, s in self.stacks.items() if n not in absent},
                          {label: ref for label, ref in self.highlights.items() if ref[0] not in absent})

    def select(self, names: list[str] | None) -> list[str]:
        """The chosen stacks in dependency order; unknown names are input errors."""
        if not names:
            return self.order
        unknown = [n for n in names if n not in self.stacks]
        if unknown:
            raise InputError(
                [Problem("<command line>", "--stack", f"unknown stack {n!r}{did_you_mean(n, self.order, 'stacks')}") for n in unknown]
            )
        return [n for n in self.order if n in names]

    # Pictures of the graph ------------------------------------------------------------------
    def edges(self) -> list[tuple[str, str]]:
        return [(up, name) for name in self.order for up in sorted(self.stacks[name].upstreams, key=self.order.index)]

    def as_text(self) -> str:
        lines = []
        for name in self.order:
            stack = self.stacks[name]
            ups = ", ".join(sorted(stack.upstreams, key=self.order.index)) or "-"
            lines.append(f"{name:<14} module={stack.module:<14} after: {ups}")
            for item in stack.inputs:
                lines.append(f"{'':<14}   {item.variable} <- {item.reference}")
        return "\n".join(lines)

    def as_mermaid(self) -> str:
        lines = ["graph LR"] + [f"  {name}[{name}]" for name in self.order]
        lines += [f"  {a} --> {b}" for a, b in self.edges()]
        return "\n".join(lines)

    def as_dot(self) -> str:
        lines = ["digraph stacks {", "  rankdir=LR;"] + [f'  "{n}";' for n in self.order]
        lines += [f'  "{a}" -> "{b}";' for a, b in self.edges()]
        return "\n".join(lines + ["}"])


def load_graph(project: Project) -> StackGraph:
    """Read and check stacks.yaml; every problem is reported at once."""
    document = load(project.stacks_file, project.display(project.stacks_file))
    where = project.display(project.stacks_file)
    problems: list[Problem] = []

    def problem(key: tuple, reason: str) -> None:
        problems.append(Problem(where, ".".join(map(str, key)), reason, document.line_of(key)))

    declared = document.data.get("stacks")
    unknown_top = set(document.data) - {"stacks", "highlights"}
    for key in sorted(unknown_top):
        problem((key,), "unknown key; the file holds 'stacks' and 'highlights'")
    if not isinstance(declared, dict) or not declared:
        problem(("stacks",), "must be a mapping of stack name to its declaration")
        raise InputError(problems)

    stacks: dict[str, Stack] = {}
    infos = {}
    for name, spec in declared.items():
        key = ("stacks", name)
        if not isinstance(name, str) or not STACK_NAME.fullmatch(name):
            problem(key, "a stack name is lower-case letters, digits and '_', starting with a letter "
                         "(it names state keys, folders and the Atlantis project ENV-STACK)")
            continue
        if not isinstance(spec, dict):
            problem(key, "must be a mapping with at least 'module'")
            continue
        for extra in sorted(set(spec) - {"module", "template", "inputs", "depends_on", "optional"}):
            problem((*key, extra), "unknown key; valid: module, template, inputs, depends_on, optional")
        optional = spec.get("optional", False)
        if not isinstance(optional, bool):
            problem((*key, "optional"), "must be true or false")
        elif optional and name in BUILT_IN_STACKS:
            problem((*key, "optional"), f"the seed's stack {name!r} runs in every environment; only a stack a team adds can be optional")
        module = spec.get("module")
        module_dir = project.modules_dir / str(module)
        if not isinstance(module, str) or "/" in module or module.startswith(".") or not module_dir.is_dir() or not project.contains(module_dir):
            problem((*key, "module"), f"{module!r} is not a folder under {project.display(project.modules_dir)}")
            continue
        infos[name] = module_info.read(module_dir)
        template_name = spec.get("template", f"{name}.tfvars.j2")
        template = project.templates_dir / str(template_name)
        if not isinstance(template_name, str) or "/" in template_name or not template.is_file() or not project.contains(template):
            problem((*key, "template"), f"template {project.display(template)} does not exist")
        inputs = []
        raw_inputs = spec.get("inputs") or {}
        if not isinstance(raw_inputs, dict):
            problem((*key, "inputs"), "must map module variables to 'stack.output' references")
            raw_inputs = {}
        for variable, source in raw_inputs.items():
            source_key = (*key, "inputs", variable)
            ref, placeholder = source, _NO_PLACEHOLDER
            if isinstance(source, dict):
                ref = source.get("from")
                placeholder = source.get("placeholder", _NO_PLACEHOLDER)
                for extra in sorted(set(source) - {"from", "placeholder"}):
                    problem((*source_key, extra), "unknown key; valid: from, placeholder")
            if not isinstance(ref, str) or ref.count(".") != 1:
                problem(source_key, f"{ref!r} must be 'stack.output'")
                continue
            upstream, output = ref.split(".")
            if variable not in infos[name].variables:
                problem(source_key, f"module {module!r} declares no variable {variable!r}")
            inputs.append(Input(variable, upstream, output, placeholder))
        depends_on = spec.get("depends_on") or []
        if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
            problem((*key, "depends_on"), "must be a list of stack names")
            depends_on = []
        stacks[name] = Stack(name, module, module_dir, template, tuple(inputs), frozenset(depends_on), optional=optional is True)

    for name, stack in stacks.items():
        for item in stack.inputs:
            key = ("stacks", name, "inputs", item.variable)
            if item.stack not in declared:
                problem(key, f"unknown stack {item.stack!r}{did_you_mean(item.stack, declared, 'stacks')}")
            elif item.stack in infos and item.output not in infos[item.stack].outputs:
                known = sorted(infos[item.stack].outputs)
                problem(key, f"stack {item.stack!r} (module {stacks[item.stack].module}) has no output {item.output!r}{did_you_mean(item.output, known, 'outputs')}")
        for upstream in stack.depends_on - set(declared):
            problem(("stacks", name, "depends_on"), f"unknown stack {upstream!r}{did_you_mean(upstream, declared, 'stacks')}")
        for upstream in sorted(u for u in stack.upstreams if u in stacks and stacks[u].optional and not stack.optional):
            problem(("stacks", name), f"runs in every environment but takes from {upstream!r}, which is optional: "
                                      f"make {name!r} optional too (it then runs where both are set)")
    highlights = {}
    raw_highlights = document.data.get("highlights") or {}
    if not isinstance(raw_highlights, dict):
        problem(("highlights",), "must map a label to 'stack.output'")
        raw_highlights = {}
    for label, ref in raw_highlights.items():
        stack, _, output = str(ref).partition(".")
        if stack not in infos or output not in infos[stack].outputs:
            problem(("highlights", label), f"{ref!r} is not an output of a declared stack")
        else:
            highlights[str(label)] = (stack, output)
    if problems:
        raise InputError(problems)
    try:
        return StackGraph(stacks, highlights)
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise InputError([Problem(where, "stacks", f"the stacks form a cycle: {cycle}")]) from None
