"""Secrets: referenced in environment YAML, resolved at run time, never written out in clear.

An environment maps ``stack.variable`` to where the value lives::

    secrets:
      keepalive.connection_api_key_value: {env: KEEPALIVE_TOKEN}
      ecs.db_password: {ssm: /shopfront/prod/db-password}
      ecs.api_token: {secretsmanager: shopfront/prod/api-token}

The value is handed to that stack's Terraform processes as ``TF_VAR_<variable>`` (never in a
tfvars file), and only to variables the module declares ``sensitive = true``, so that Terraform
itself redacts it. Every resolved value is registered with ``MASK``, which everything the
orchestrator prints or writes passes through: terminal, logs, ``--json``, plan JSON, PR comments.
Terraform's state and saved plan files do hold the value (that is how Terraform works); they are
written with mode 0600 locally and belong in an encrypted S3 backend.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass

from orchestrator.config.errors import Problem

MASKED = "(sensitive)"


def _leaf_texts(value) -> list[str]:
    """The strings a value can show up as in text: each string inside it, and the whole as JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, dict)):
        items = value.values() if isinstance(value, dict) else value
        found = [text for item in items for text in _leaf_texts(item)]
        return found + [json.dumps(value), json.dumps(value, separators=(",", ":"))]
    return []  # numbers and booleans: too short to find safely in text; plan JSON is masked by its marks


class Masker:
    """Replaces every registered secret value in text, whatever the value's type."""

    def __init__(self):
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value) -> None:
        texts = [text for text in _leaf_texts(value) if len(text) >= 3]
        with self._lock:
            self._values.update(texts)

    def apply(self, text: str) -> str:
        if not text:
            return text
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASKED)
            escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
            if escaped != value and escaped in text:  # as it appears inside JSON strings
                text = text.replace(escaped, MASKED)
        return text


def _marked(value, marks):
    """``value`` with every part that Terraform's sensitivity tree ``marks`` flags replaced."""
    if marks is True:
        return MASKED
    if isinstance(marks, dict) and isinstance(value, dict):
        return {key: _marked(item, marks.get(key)) for key, item in value.items()}
    if isinstance(marks, list) and isinstance(value, list):
        return [_marked(item, marks[i] if i < len(marks) else None) for i, item in enumerate(value)]
    return value


def _mask_module(module: dict) -> None:
    for output in (module.get("outputs") or {}).values():
        if output.get("sensitive"):
            output["value"] = MASKED
    for resource in module.get("resources") or []:
        resource["values"] = _marked(resource.get("values"), resource.get("sensitive_values"))
    for child in module.get("child_modules") or []:
        _mask_module(child)


def mask_plan(plan: dict, sensitive_variables=frozenset()) -> dict:
    """A plan's JSON (``terraform show -json``) with what Terraform marks sensitive replaced.

    Resource and output changes follow their ``before_sensitive``/``after_sensitive`` trees, state
    values their ``sensitive_values``; input variables are masked when the configuration declares
    them sensitive or when ``sensitive_variables`` names them (values from sensitive upstream outputs).
    """
    for key in ("resource_changes", "resource_drift"):
        for item in plan.get(key) or []:
            change = item.get("change") or {}
            for side in ("before", "after"):
                change[side] = _marked(change.get(side), change.get(f"{side}_sensitive"))
    for change in (plan.get("output_changes") or {}).values():
        for side in ("before", "after"):
            change[side] = _marked(change.get(side), change.get(f"{side}_sensitive"))
    for key in ("planned_values", "prior_state"):
        section = plan.get(key) or {}
        values = section.get("values", section)
        for output in (values.get("outputs") or {}).values():
            if output.get("sensitive"):
                output["value"] = MASKED
        if values.get("root_module"):
            _mask_module(values["root_module"])
    declared = (plan.get("configuration") or {}).get("root_module", {}).get("variables", {})
    hidden = set(sensitive_variables) | {name for name, item in declared.items() if item.get("sensitive")}
    for name, variable in (plan.get("variables") or {}).items():
        if name in hidden:
            variable["value"] = MASKED
    return plan


MASK = Masker()


@dataclass(frozen=True)
class Reference:
    stack: str
    variable: str
    kind: str  # env | ssm | secretsmanager
    name: str

    @property
    def key(self) -> str:
        return f"{self.stack}.{self.variable}"


def references(config) -> list[Reference]:
    found = []
    for key, ref in config.secrets.items():
        stack, _, variable = key.partition(".")
        kind, name = next((k, v) for k, v in ref.model_dump().items() if v is not None)
        found.append(Reference(stack, variable, kind, name))
    return found


def check(config, graph, rendered, where: str) -> list[Problem]:
    """Each reference must name a sensitive variable of a stack, fed by nothing else."""
    from orchestrator.config import module_info

    problems = []
    for ref in references(config):
        key = f"secrets.{ref.key}"
        stack = graph.stacks.get(ref.stack)
        if stack is None:
            problems.append(Problem(where, key, f"unknown stack {ref.stack!r}"))
            continue
        info = module_info.read(stack.module_dir)
        if ref.variable not in info.variables:
            problems.append(Problem(where, key, f"module {stack.module!r} declares no variable {ref.variable!r}"))
        elif ref.variable not in info.sensitive_variables:
            problems.append(Problem(where, key, f"variable {ref.variable!r} is not declared sensitive = true; Terraform would print it"))
        elif ref.variable in {i.variable for i in stack.inputs} or (ref.stack in rendered and ref.variable in rendered[ref.stack].keys):
            problems.append(Problem(where, key, "is also set by the template or an upstream output"))
    return problems


def _from_aws(ref: Reference, region: str, client_options: dict) -> str:
    import boto3  # only needed for these two kinds

    if ref.kind == "ssm":
        client = boto3.client("ssm", region_name=region, **client_options)
        return client.get_parameter(Name=ref.name, WithDecryption=True)["Parameter"]["Value"]
    return boto3.client("secretsmanager", region_name=region, **client_options).get_secret_value(SecretId=ref.name)["SecretString"]


def resolve(config, where: str, environ=None, client_options: dict | None = None) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """{stack: {variable: value}} for every reference, and the problems met resolving them.

    ``client_options``: boto3 client arguments (the moto server's endpoint and keys for --provider moto).
    """
    environ = os.environ if environ is None else environ
    values: dict[str, dict[str, str]] = {}
    problems = []
    for ref in references(config):
        try:
            if ref.kind == "env":
                if ref.name not in environ:
                    raise LookupError(f"environment variable {ref.name} is not set")
                value = environ[ref.name]
                if not value:
                    raise LookupError(f"environment variable {ref.name} is empty")
            else:
                value = _from_aws(ref, config.region, client_options or {})
        except Exception as error:  # noqa: BLE001 - every failure becomes a clear input problem
            problems.append(Problem(where, f"secrets.{ref.key}", f"cannot resolve {ref.kind} {ref.name!r}: {error}"))
            continue
        MASK.add(value)
        values.setdefault(ref.stack, {})[ref.variable] = value
    return values, problems
