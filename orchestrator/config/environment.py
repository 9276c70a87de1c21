"""Load an environment: its YAML over the shared defaults, validated, every error at once.

Render -> parse -> validate, as the best orchestrators do: the YAML is parsed safely (see
``yaml_source``), deep-merged over ``environments/defaults.yaml`` (mappings merge, everything else
replaces), checked against ``schema.Environment`` and then against the domain ``rules``. Every
problem names the file that holds the key (or should), the key path, the line and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pydantic

from orchestrator.config import module_info, module_variables, rules, validation
from orchestrator.config.errors import InputError, Problem, did_you_mean
from orchestrator.config.project import Project
from orchestrator.config.schema import BUILT_IN_STACKS, Environment
from orchestrator.config.yaml_source import Document, dotted, load

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


@dataclass(frozen=True)
class LoadedEnvironment:
    name: str
    config: Environment
    files: tuple[Path, ...]
    # sections of team-added stacks (validated from their modules' variables, defaults filled in)
    stack_sections: dict = field(default_factory=dict)
    # optional stacks (stacks.yaml `optional: true`) this environment does not set: it does not run them
    absent_stacks: frozenset = frozenset()

    @property
    def base_name(self) -> str:
        return rules.base_name(self.config, self.name)

    def context(self) -> dict:
        """What templates see: the validated settings plus derived values."""
        values = self.config.model_dump(mode="json")
        values.update(self.stack_sections)
        values.update(
            env=self.name,
            name=self.base_name,
            subnets=rules.subnet_layout(self.config),
            endpoints=rules.interface_endpoints(self.config),
            keepalive_idle_alarm_hours=rules.idle_alarm_hours(self.config.keepalive.schedule),
            tags=self.tags(),
        )
        return values

    def tags(self) -> dict[str, str]:
        return {**self.config.tags, "Environment": self.name, "ManagedBy": "orchestrator"}


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _contains(data, key_path: tuple) -> bool:
    for part in key_path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


class EnvironmentLoader:
    """Loads environments of one project; reports every problem in one InputError."""

    def __init__(self, project: Project):
        self.project = project

    def names(self) -> list[str]:
        return sorted(
            path.stem
            for path in self.project.environments_dir.glob("*.yaml")
            if path.name != self.project.defaults_file.name and ENV_NAME.fullmatch(path.stem)
        )

    def env_file(self, name: str) -> Path:
        if not ENV_NAME.fullmatch(name):
            raise InputError(
                [Problem("<command line>", "ENV", f"{name!r} is not an environment name (lowercase letters, digits, '-', at most 16)")]
            )
        path = self.project.environments_dir / f"{name}.yaml"
        if path.exists() and not self.project.contains(path):
            raise InputError([Problem(self.project.display(path), "", "points outside the project (symlink); refused")])
        if not path.is_file():
            known = self.names()
            raise InputError([Problem(self.project.display(path), "", f"no such environment{did_you_mean(name, known) or '; known: none'}")])
        return path

    def load(self, name: str) -> LoadedEnvironment:
        env_path = self.env_file(name)
        documents: list[Document] = []
        if self.project.defaults_file.is_file():
            documents.append(load(self.project.defaults_file, self.project.display(self.project.defaults_file)))
        documents.append(load(env_path, self.project.display(env_path)))
        merged: dict = {}
        for document in documents:
            merged = _merge(merged, document.data)

        def locate(key_path: tuple) -> tuple[str, int | None]:
            for document in reversed(documents):
                if _contains(document.data, key_path):
                    return self.project.display(document.path), document.line_of(key_path)
            env_document = documents[-1]
            return self.project.display(env_document.path), env_document.line_of(key_path)

        def problem(key_path: tuple, reason: str) -> Problem:
            where, line = locate(key_path)
            return Problem(where, dotted(key_path), reason, line)

        merged, stack_sections, absent, stack_problems = self._team_stack_sections(merged)
        try:
            config = Environment.model_validate(merged)
        except pydantic.ValidationError as error:
            raise InputError([*validation.problems(error, Environment, locate),
                              *(problem(key_path, reason) for key_path, reason in stack_problems)]) from None
        if stack_problems:
            raise InputError([problem(key_path, reason) for key_path, reason in stack_problems])
        findings = rules.check(config, name)
        if findings:
            raise InputError([problem(key_path, reason) for key_path, reason in findings])
        return LoadedEnvironment(name, config, tuple(d.path for d in documents), stack_sections, absent)

    def _team_stack_sections(self, merged: dict) -> tuple[dict, dict, frozenset, list[tuple[tuple, str]]]:
        """Split off the sections of stacks a team added (stacks.yaml entries the schema does not
        know) and validate each from its module's variable declarations; unknown sections are left
        for the schema to refuse, with the team stacks among its suggestions. An optional stack
        without a section is absent here (and one that needs it, too, is refused)."""
        from orchestrator.config.graph import load_graph

        if not self.project.stacks_file.is_file():
            return merged, {}, frozenset(), []
        graph = load_graph(self.project)
        team = [n for n in graph.stacks if n not in BUILT_IN_STACKS and n not in Environment.model_fields]
        rest = {key: value for key, value in merged.items() if key not in team}
        absent = frozenset(n for n in team if graph.stacks[n].optional and n not in merged)
        sections, found = {}, []
        for stack_name in team:
            stack = graph.stacks[stack_name]
            if stack_name in absent:
                continue
            for upstream in sorted(stack.upstreams & absent):
                found.append(((stack_name,), f"stack {stack_name!r} takes from the optional stack {upstream!r}, which this "
                                             f"environment does not set: add a {upstream!r} section too, or remove this one"))
            variables = module_variables.from_declared(module_info.read(stack.module_dir).variable_specs())
            fed = {item.variable for item in stack.inputs}
            sections[stack_name], problems = module_variables.check_section(
                merged.get(stack_name), variables, fed, (stack_name,))
            found += problems
        for key in rest:
            if key not in Environment.model_fields and team:
                found.append(((key,), f"unknown key{did_you_mean(str(key), [*Environment.model_fields, *team], 'valid keys')}"))
        rest = {key: value for key, value in rest.items() if key in Environment.model_fields or not team}
        return rest, sections, absent, found
