"""Drift: does the cloud still match what main declares? (``drift ENV``, issue 16)

Two kinds, reported apart:

- **Cloud drift**: objects changed outside Terraform. Every selected stack gets a refresh-only plan
  (``terraform plan -refresh-only -detailed-exitcode``), all at once; nothing is applied and no state
  is written. Its ``resource_drift`` says, per resource, which attributes moved (old -> new), masked
  by Terraform's sensitivity marks (``secrets.mask_plan``) and the run's secrets (``secrets.MASK``).
  An output that moved with it (a replaced listener's ARN) flags the stacks that read it.
- **Configuration drift**: main's rendered inputs of a stack are not those of its last apply
  (``run_record``: the digest of what was applied).

``--accept`` applies each refresh-only plan (state takes the cloud's values, no object is touched)
and says which environment keys would have to change to keep them (``accept_hints``, best effort).
``--remediate plan|apply`` is an ordinary ``plan``/``apply`` of the stacks afterwards (``core.run``).

Exit codes (``exit_codes``): 0 no drift, 3 drift (either kind), 1 an error; 2 stays bad input or usage.
"""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from orchestrator.config import exit_codes
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import StackGraph
from orchestrator.config.project import Project
from orchestrator.run import accounts, core, run_record, saved_plan, secrets, unreverted
from orchestrator.run import lock as envlock
from orchestrator.run.confirm import confirm
from orchestrator.run.progress import Progress
from orchestrator.run.runner import Runner
from orchestrator.run.services import service_of
from orchestrator.run.types import RunOptions, StackResult
from orchestrator.terraform import engine
from orchestrator.terraform.target import Target

PLAN_FILE = "drift.tfplan"
REPORT_JSON = "drift.json"
_VALUE_CHARS = 200


@dataclass(frozen=True)
class DriftOptions:
    env: str
    stacks: tuple[str, ...] = ()
    provider: str = "auto"
    parallelism: int = 4
    auto_approve: bool = False
    lock_wait_seconds: float = 0.0
    remediate: str | None = None  # None | plan | apply
    accept: bool = False
    state: str = "auto"  # auto | local | s3 (target.state_backend)

    @property
    def flags(self) -> str:
        """The options a suggested command must keep to act where this run looked (copied as printed)."""
        return "".join([*(f" --stack {s}" for s in self.stacks), *([f" --provider {self.provider}"] if self.provider != "auto" else []),
                        *([f" --state {self.state}"] if self.state != "auto" else [])])


# What drifted --------------------------------------------------------------------------------
@dataclass
class AttributeChange:
    path: str  # "desired_count", "tags.Owner", "ingress"
    old: Any
    new: Any


@dataclass
class ResourceDrift:
    address: str
    type: str
    action: str  # update | delete (gone from the cloud) | other Terraform actions
    changes: list[AttributeChange] = field(default_factory=list)
    service: str | None = None  # the service of `services` it belongs to (its Service tag)


@dataclass
class OutputDrift:
    name: str
    old: Any
    new: Any
    readers: list[str] = field(default_factory=list)  # "api_gateway.listener_arn": downstream stack.variable


@dataclass
class ConfigurationDrift:
    state: str  # unchanged | changed | never-applied | unknown
    detail: str
    keys: list[str] = field(default_factory=list)  # tfvars keys whose value changed, when known


@dataclass
class KeyHint:
    """Where a drifted attribute comes from in the environment (``--accept``)."""

    stack: str
    address: str
    attribute: str
    new: Any
    key: str | None  # the environment key, e.g. "app.desired_count"; None: cannot tell
    note: str


@dataclass
class StackDrift:
    name: str
    result: StackResult
    resources: list[ResourceDrift] = field(default_factory=list)
    outputs: list[OutputDrift] = field(default_factory=list)
    affected_by: list[str] = field(default_factory=list)  # upstream outputs that drifted and feed this stack
    configuration: ConfigurationDrift | None = None
    never_applied: bool = False
    accepted: bool = False
    hints: list[KeyHint] = field(default_factory=list)
    not_reverted: list[unreverted.Unreverted] = field(default_factory=list)  # added outside Terraform: no apply removes it

    @property
    def cloud_drift(self) -> bool:
        return bool(self.resources or self.outputs)

    @property
    def drifted(self) -> bool:
        return self.cloud_drift or (self.configuration is not None and self.configuration.state == "changed")

    def document(self) -> dict:
        return {
            **self.result.report(),
            "drifted": self.drifted,
            "never_applied": self.never_applied,
            "resources": [{"address": r.address, "type": r.type, "action": r.action, "service": r.service,
                           "attributes": [{"path": c.path, "old": c.old, "new": c.new} for c in r.changes]} for r in self.resources],
            "outputs": [{"name": o.name, "old": o.old, "new": o.new, "read_by": o.readers} for o in self.outputs],
            "affected_by": self.affected_by,
            "configuration": None if self.configuration is None else {
                "state": self.configuration.state, "detail": self.configuration.detail, "keys": self.configuration.keys},
            "accepted": self.accepted,
            "accept_keys": [{"address": h.address, "attribute": h.attribute, "new": h.new, "key": h.key, "note": h.note} for h in self.hints],
            "not_reverted": [u.document() for u in self.not_reverted],
        }


@dataclass
class DriftOutcome:
    env: str
    mode: str  # aws | local | moto
    stacks: list[StackDrift]
    remediation: list[StackResult] = field(default_factory=list)
    remediate: str | None = None
    accept: bool = False
    flags: str = ""  # the run's options, kept in every command the report suggests

    @property
    def failed(self) -> bool:
        return any(s.result.status in ("failed", "skipped") for s in self.stacks) or any(
            r.status in ("failed", "skipped") for r in self.remediation)

    @property
    def drifted(self) -> bool:
        return any(s.drifted for s in self.stacks)

    @property
    def exit_code(self) -> int:
        return exit_codes.FAILED if self.failed else (exit_codes.CHANGES if self.drifted else exit_codes.OK)

    def document(self) -> dict:
        return {
            "env": self.env, "command": "drift", "provider": self.mode, "exit_code": self.exit_code, "drifted": self.drifted,
            "stacks": [s.document() for s in self.stacks],
            "remediation": None if self.remediate is None else {
                "mode": self.remediate, "stacks": [r.report() for r in self.remediation]},
            "accepted": self.accept,
        }


# Reading a refresh-only plan -----------------------------------------------------------------
def _short(value: Any) -> Any:
    text = json.dumps(value, sort_keys=True, default=str)
    return value if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 3] + "..."


def _at(value: Any, path: list) -> Any:
    """``value`` at ``path``; once a masked part is met, the mask itself."""
    for part in path:
        if value == secrets.MASKED:
            return value
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def _paths(before: Any, after: Any, path: list) -> list[list]:
    """The paths where ``before`` and ``after`` differ: maps key by key, equal-length lists item by item."""
    if before == after or (_empty(before) and _empty(after)):  # null -> {} is the provider normalising, not drift
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        return [p for key in sorted(set(before) | set(after), key=str) for p in _paths(before.get(key), after.get(key), path + [key])]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after) and before and path:
        return [p for i, (b, a) in enumerate(zip(before, after)) for p in _paths(b, a, path + [i])]
    return [path]


def _dotted(path: list) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def attribute_changes(raw: dict, masked: dict) -> list[AttributeChange]:
    """Old -> new per attribute of one ``resource_drift`` change: compared unmasked, shown masked."""
    before, after = raw.get("before"), raw.get("after")
    if before is None or after is None:
        return []
    return [AttributeChange(_dotted(path), _short(_at(masked.get("before"), path)), _short(_at(masked.get("after"), path)))
            for path in _paths(before, after, [])]


def resource_drifts(plan: dict, masked: dict) -> list[ResourceDrift]:
    found = []
    for raw, shown in zip(plan.get("resource_drift") or [], masked.get("resource_drift") or []):
        change, masked_change = raw.get("change") or {}, shown.get("change") or {}
        actions = change.get("actions") or []
        if actions == ["no-op"]:
            continue
        action = "delete" if actions == ["delete"] or change.get("after") is None else "-".join(actions) or "update"
        if action != "delete" and not _paths(change.get("before"), change.get("after"), []):
            continue
        found.append(ResourceDrift(raw["address"], raw.get("type", ""), action, attribute_changes(change, masked_change), service_of(raw)))
    return found


def output_drifts(plan: dict, masked: dict, graph: StackGraph, stack: str) -> list[OutputDrift]:
    """Outputs whose value moved with the cloud, and the downstream variables that read them."""
    found = []
    for name, change in sorted((plan.get("output_changes") or {}).items()):
        if (change.get("actions") or ["no-op"]) == ["no-op"] or change.get("before") == change.get("after"):
            continue
        shown = (masked.get("output_changes") or {}).get(name, {})
        old, new = shown.get("before"), shown.get("after")
        if change.get("before_sensitive") or change.get("after_sensitive"):
            old, new = secrets.MASKED, secrets.MASKED
        if change.get("after_unknown"):
            new = "(known after apply)"
        readers = [f"{down}.{item.variable}" for down in graph.order for item in graph.stacks[down].inputs
                   if item.stack == stack and item.output == name]
        found.append(OutputDrift(name, _short(old), _short(new), readers))
    return found


def _has_state(plan: dict) -> bool:
    prior = (plan.get("prior_state") or {}).get("values") or {}
    root = prior.get("root_module") or {}
    return bool(root.get("resources") or root.get("child_modules"))


# Configuration drift -------------------------------------------------------------------------
def configuration_drift(entry: dict | None, tfvars: str, module_pin: str | None = None) -> ConfigurationDrift:
    """main's rendered inputs, and its module pin, against those of the stack's last successful apply (``run_record``)."""
    if not entry:
        return ConfigurationDrift("unknown", "no record of an apply of this stack by the orchestrator here")
    applied = entry.get("inputs_sha256")
    if entry.get("command") == "destroy" and entry.get("status") in ("ok", "no-changes"):
        return ConfigurationDrift("never-applied", "destroyed by the last run")
    if not applied:
        return ConfigurationDrift("unknown", "the record of the last apply holds no digest of its inputs")
    if module_pin and entry.get("module_commit") and entry["module_commit"] != module_pin:
        return ConfigurationDrift("changed", f"the module is pinned to {module_pin[:12]}; the apply at {entry.get('applied_at') or '?'} "
                                             f"ran {entry['module_commit'][:12]}: plan to see the changes", ["modules.ref"])
    if applied == saved_plan.inputs_sha256(tfvars):
        return ConfigurationDrift("unchanged", f"main's inputs are those applied at {entry.get('applied_at') or '?'}")
    now = run_record.key_digests(tfvars)
    before = entry.get("inputs_by_key") or {}
    keys = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
    return ConfigurationDrift("changed", f"main's inputs changed since the apply at {entry.get('applied_at') or '?'}: plan to see the changes", keys)


# --accept: which environment key holds a drifted attribute -------------------------------------
_DOTTED_NAME = re.compile(r"(?<![\w.\"'])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?![\w\"'(])")
_JINJA_WORDS = {"if", "else", "and", "or", "not", "in", "is", "true", "false", "none", "True", "False", "None", "startswith"}


def template_expressions(template_text: str) -> dict[str, tuple[int, str]]:
    """Each tfvars key of a template: (line, the text of its assignment up to the next one)."""
    found: dict[str, tuple[int, str]] = {}
    current = None
    for number, line in enumerate(template_text.splitlines(), 1):
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*=(.*)$", line)
        if match:
            current = match.group(1)
            found[current] = (number, match.group(2))
        elif current is not None:
            start, text = found[current]
            found[current] = (start, text + "\n" + line)
    return found


def _context_value(context: dict, dotted: str):
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def environment_keys(expression: str, context: dict) -> list[str]:
    """The environment's names an expression of a template reads (the longest that resolve)."""
    keys = []
    for block in re.findall(r"\{\{(.*?)\}\}", expression, re.S):
        for name in _DOTTED_NAME.findall(re.sub(r"(\"[^\"]*\"|'[^']*')", "\"\"", block)):
            if name.split(".")[0] in _JINJA_WORDS:
                continue
            parts = name.split(".")
            while parts:
                try:
                    _context_value(context, ".".join(parts))
                    keys.append(".".join(parts))
                    break
                except KeyError:
                    parts.pop()
    return list(dict.fromkeys(keys))


def _variables_of(plan: dict, address: str, attribute: str) -> tuple[list[str], list[str]]:
    """The module variables and other references the configuration gives ``attribute`` of ``address``."""
    base = re.sub(r"\[[^\]]*\]$", "", address)
    for resource in (plan.get("configuration") or {}).get("root_module", {}).get("resources", []):
        if resource.get("address") == base:
            expression = (resource.get("expressions") or {}).get(attribute)
            references = _references(expression)
            variables = sorted({r[4:].split(".")[0] for r in references if r.startswith("var.")})
            others = sorted({r for r in references if not r.startswith("var.")})
            return variables, others
    return [], []


def _references(expression) -> list[str]:
    if isinstance(expression, dict):
        found = list(expression.get("references") or [])
        for key, value in expression.items():
            if key != "references" and isinstance(value, (dict, list)):
                found += _references(value)
        return found
    if isinstance(expression, list):
        return [r for item in expression for r in _references(item)]
    return []


def accept_hints(stack: str, plan: dict, drifts: list[ResourceDrift], graph: StackGraph, template_text: str,
                 template_name: str, context: dict) -> list[KeyHint]:
    """Best effort: attribute -> module variable (the plan's configuration) -> template line -> environment keys."""
    fed = {item.variable: item.reference for item in graph.stacks[stack].inputs}
    expressions = template_expressions(template_text)
    hints = []
    for drift in drifts:
        if drift.action == "delete":
            hints.append(KeyHint(stack, drift.address, "(the whole object)", None, None,
                                 "deleted outside Terraform: no key keeps that; accepting drops it from state, the next apply creates it again"))
            continue
        for change in drift.changes:
            attribute = re.split(r"[.\[]", change.path)[0]
            if attribute in ("tags", "tags_all"):
                hints.append(KeyHint(stack, drift.address, change.path, change.new, "tags",
                                     "best effort: the environment's `tags:` become every object's default tags; "
                                     "a tag of this object alone is set by its module or template, not by a key"))
                continue
            variables, others = _variables_of(plan, drift.address, attribute)
            if not variables:
                why = f"set in the module from {', '.join(others)}" if others else "not set from the configuration (computed, or the provider's default)"
                hints.append(KeyHint(stack, drift.address, change.path, change.new, None, f"cannot tell: {why}"))
                continue
            for variable in variables:
                if variable in fed:
                    hints.append(KeyHint(stack, drift.address, change.path, change.new, None,
                                         f"cannot tell: var.{variable} is fed by the output {fed[variable]}, not by a key"))
                    continue
                if variable not in expressions:
                    hints.append(KeyHint(stack, drift.address, change.path, change.new, None,
                                         f"cannot tell: var.{variable} is not set by {template_name} (the module's default)"))
                    continue
                line, expression = expressions[variable]
                keys = environment_keys(expression, context)
                direct = re.fullmatch(r"\s*\{\{\s*([A-Za-z_][\w.]*)\s*\}\}\s*", expression)
                where = f"{template_name} line {line}"
                if direct and keys == [direct.group(1)] and attribute == change.path:
                    hints.append(KeyHint(stack, drift.address, change.path, change.new, keys[0],
                                         f"set {keys[0]}: {json.dumps(change.new)} to keep the cloud's value ({where})"))
                elif keys:
                    for key in keys:
                        hints.append(KeyHint(stack, drift.address, change.path, change.new, key,
                                             f"var.{variable} is derived from {', '.join(keys)} ({where}): change by hand"))
                else:
                    hints.append(KeyHint(stack, drift.address, change.path, change.new, None,
                                         f"cannot tell: var.{variable} is a constant of {where}, no environment key sets it"))
    return hints


# The run -------------------------------------------------------------------------------------
class DriftRunner(Runner):
    """The runner with a ``drift`` job: a refresh-only plan per stack, all at once (no stack waits)."""

    def __init__(self, *args, accept: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.accept = accept
        self.plans: dict[str, tuple[dict, dict]] = {}  # name -> (raw plan JSON, masked plan JSON)

    def resolve_secrets(self) -> None:
        """A refresh-only plan evaluates the configuration: it needs every variable, secrets too."""
        options = self.options
        self.options = RunOptions(**{**options.__dict__, "command": "plan"})
        try:
            super().resolve_secrets()
        finally:
            self.options = options

    def dependencies(self, names: list[str]) -> dict[str, set[str]]:
        return {name: set() for name in names}

    def _drift_job(self, name: str) -> None:
        result, space = self.results[name], self.workspaces[name]
        directory, _upstream, placeholders = self.prepare_inputs(name, allow_placeholders=True)
        result.placeholders = placeholders
        self.progress.update(name, "planning")
        terraform = self.workspaces.terraform(name)
        plan_file = directory.path / PLAN_FILE
        outcome = self.workspaces.check(
            terraform.refresh_only_plan([directory.env_tfvars, directory.upstream_tfvars], plan_file), name, ok_codes=(0, 2))
        shown = self.workspaces.check(terraform.show_json(plan_file), name)
        raw = json.loads(shown.stdout)
        hidden = space.sensitive_inputs | set(self.secret_values.get(name, {}))
        masked = secrets.mask_plan(copy.deepcopy(raw), hidden)
        directory.write_json(directory.path / REPORT_JSON, masked, redact=secrets.MASK.apply)
        result.plan_json = str(directory.path / REPORT_JSON)
        self.plans[name] = (raw, masked)
        # Terraform's exit code alone is not trusted: a refresh-only plan can exit 2 with nothing
        # drifted (hashicorp/terraform#36403, #37406); drift is what the plan's JSON reports.
        drifted = bool(resource_drifts(raw, masked) or output_drifts(raw, masked, self.graph, name))
        if outcome.returncode == 2 and not drifted:
            self.workspaces.append_log(name, "# refresh-only plan exited 2 but reports no drift and no output change: no drift\n")
        result.changes = {"add": 0, "change": len(raw.get("resource_drift") or []), "destroy": 0}
        if drifted and self.accept:
            self.progress.update(name, "applying")
            applied = self.workspaces.check(terraform.apply(plan_file), name)
            self.outputs.remember_apply(name, applied.stdout, destroyed=False)
        plan_file.unlink(missing_ok=True)
        result.status = "ok" if drifted else "no-changes"

    JOBS = {**Runner.JOBS, "drift": _drift_job}


def _confirm(console: Console, env, names: list[str], what: str, auto_approve: bool) -> None:
    if auto_approve:
        return
    confirm(console, f"{what} [bold]{', '.join(names)}[/] of [bold]{env}[/]?", "--auto-approve",
            f"drift {what.lower()} needs approval and there is no terminal to ask", f"{what.lower()} was not approved")


def run(project: Project, options: DriftOptions, console: Console, quiet: bool = False) -> DriftOutcome:
    if options.accept and options.remediate:
        raise InputError([Problem("<command line>", "--accept", "either keep the cloud's values (--accept) or bring the cloud back (--remediate), not both")])
    prepared = core.prepare(project, options.env, options.stacks)
    target = Target.of(prepared.env, options.provider, options.state)
    if options.accept and prepared.env.config.require_approval:
        _confirm(console, options.env, prepared.names, "Accept the cloud's values into the state of", options.auto_approve)
    if target.on_aws:
        accounts.check(prepared.env, project.display(prepared.env.files[-1]))
    run_options = RunOptions(command="drift", env=options.env, stacks=tuple(prepared.names), provider=options.provider,
                             parallelism=options.parallelism, auto_approve=options.auto_approve, lock_wait_seconds=options.lock_wait_seconds,
                             state=options.state)
    progress = Progress(Console(file=io.StringIO()) if quiet else console, f"drift {options.env}", live=False if quiet else None)
    runner = DriftRunner(project, prepared.env, prepared.graph, prepared.rendered, run_options, progress, accept=options.accept)
    runner.workspaces.ensure_state_bucket()
    runner.resolve_secrets()
    engine.install_signal_forwarding(runner.interrupt)
    # A report reads only: the environment's lock is shared (per-stack locks exclusive); --accept writes state.
    with envlock.hold(runner.env_dir, options.env, "drift-accept" if options.accept else "drift", options.lock_wait_seconds, prepared.names):
        results = runner.run(prepared.names)
    record = run_record.load(runner.env_dir)
    stacks = []
    for result in results:
        drift = StackDrift(result.name, result)
        if result.name in runner.plans:
            raw, masked = runner.plans[result.name]
            drift.never_applied = not _has_state(raw)
            drift.resources = resource_drifts(raw, masked)
            drift.outputs = output_drifts(raw, masked, prepared.graph, result.name)
            drift.not_reverted = unreverted.find(raw, options.env, target)
            drift.accepted = options.accept and drift.cloud_drift
            if options.accept and drift.resources:
                stack = prepared.graph.stacks[result.name]
                drift.hints = accept_hints(result.name, raw, drift.resources, prepared.graph, stack.template.read_text(),
                                           project.display(stack.template), prepared.env.context())
        drift.configuration = (ConfigurationDrift("never-applied", "nothing in state") if drift.never_applied
                               else configuration_drift(record.get(result.name), prepared.rendered[result.name].tfvars,
                                                        prepared.graph.stacks[result.name].module_commit))
        stacks.append(drift)
    by_name = {s.name: s for s in stacks}
    for drift in stacks:
        for out in drift.outputs:
            for reader in out.readers:
                down = by_name.get(reader.split(".")[0])
                if down is not None:
                    down.affected_by.append(f"{drift.name}.{out.name} (var.{reader.split('.', 1)[1]})")
    outcome = DriftOutcome(options.env, target.mode, stacks, remediate=options.remediate, accept=options.accept, flags=options.flags)
    if options.remediate and not outcome.failed and outcome.drifted:
        outcome.remediation = remediate(project, options, [s.name for s in stacks if s.drifted or s.affected_by], prepared.names, console, quiet)
    return outcome


def remediate(project: Project, options: DriftOptions, drifted: list[str], selected: list[str], console: Console, quiet: bool) -> list[StackResult]:
    """Plan (or apply, with approval) what brings the cloud back to main: the drifted stacks and their
    dependents among the selected, in DAG order (``apply`` walks it; a failure stops the dependents)."""
    prepared = core.prepare(project, options.env, options.stacks)
    wanted = set(drifted)
    for name in drifted:
        wanted |= prepared.graph.descendants(name)
    names = tuple(n for n in selected if n in wanted)
    if options.remediate == "apply":
        _confirm(console, options.env, list(names), "Bring the cloud back to main: apply", options.auto_approve)
    run_options = RunOptions(command=options.remediate, env=options.env, stacks=names, provider=options.provider,
                             parallelism=options.parallelism, auto_approve=True, plan_json=True, show_plan=True,
                             lock_wait_seconds=options.lock_wait_seconds, state=options.state)
    _prepared, results = core.run(project, run_options, console, quiet=quiet)
    return results

