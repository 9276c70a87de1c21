"""`promote SOURCE TARGET`: move the release SOURCE runs to the next environment of the chain.

What moves and along which chain is declared once, in ``promotion.yaml``. The values are read from
SOURCE's state (its ``stack``: the image tag, or digest, and the container environment of the task definition
it runs), never from its YAML; a SOURCE never applied, or whose last apply failed somewhere (the
run record), is refused. TARGET's YAML is edited in place by ruamel.yaml's round trip (comments,
order, quoting and layout kept), the unified diff is shown, and the promotion is appended to the
history file (who, when, what, from which commit) for the pull request's reviewers.

Exit status: 0 promoted (or nothing to promote, or a dry run); 1 refused because of SOURCE's state;
2 bad input or usage (not along the chain, no terminal and no --yes): nothing was written.
"""

from __future__ import annotations

import dataclasses
import difflib
import getpass
import io
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pydantic
from rich.console import Console
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from orchestrator.config import module_info, validation
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError, OrchestratorError, Problem
from orchestrator.config.exit_codes import OK
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.config.schema import BUILT_IN_STACKS, IMAGE_DIGEST
from orchestrator.release import revisions
from orchestrator.run import core, module_pins, run_record
from orchestrator.run import lock as envlock
from orchestrator.run.confirm import confirm
from orchestrator.run.outputs import OutputsReader
from orchestrator.run.secrets import MASK
from orchestrator.run.types import RunOptions, StackFailure
from orchestrator.run.workspace import Workspaces
from orchestrator.terraform.target import Target

POLICY_FILE = "promotion.yaml"


class PromotionRefused(OrchestratorError):
    """SOURCE's state does not allow a promotion (exit 1)."""


@dataclass(frozen=True)
class PromoteOptions:
    source: str
    target: str
    provider: str = "auto"
    dry_run: bool = False
    yes: bool = False
    plan: bool = False  # plan TARGET as written and put what it would change in the record
    service: str | None = None  # promote this one service of `services` alone (no app, no module pin)


@dataclass(frozen=True)
class Promotable:
    key: str
    read: str | None  # a release reader of READERS (app's keys); None: the output of a team stack
    keep: tuple[str, ...] = ()
    output: str | None = None  # a team stack's key: the stack's output that holds the value SOURCE applied

    @property
    def stack(self) -> str:
        return self.key.split(".", 1)[0]


@dataclass(frozen=True)
class Policy:
    chain: tuple[str, ...]
    stack: str
    promotable: tuple[Promotable, ...]
    history: Path


# How each promotable value is read from SOURCE's state, and the one key it may feed:
# a release is an image and its settings, never infrastructure.
def _task_definition_container(outputs: dict, state: dict) -> dict:
    modules, found = [state.get("values", {}).get("root_module", {})], []
    while modules:
        module = modules.pop()
        modules.extend(module.get("child_modules", []))
        found += [r for r in module.get("resources", []) if r.get("type") == "aws_ecs_task_definition"]
    if outputs.get("task_definition_address"):  # a service of `services`: its own task definition
        found = [r for r in found if r.get("address") == outputs["task_definition_address"]]
    containers = [json.loads(r.get("values", {}).get("container_definitions") or "[]") for r in found]
    for container in (c for task in containers for c in task):
        if container.get("name") == outputs.get("container_name"):
            return container
    if len(containers) == 1 and len(containers[0]) == 1:  # one task definition of one container: the app's
        return containers[0][0]
    raise PromotionRefused("no task definition with the application container in the state")


def _image_tag(outputs: dict, state: dict) -> str:
    """The tag SOURCE runs, or its digest (sha256:<64 hex>) when the image is pinned by digest."""
    image = outputs.get("container_image") or _task_definition_container(outputs, state).get("image", "")
    if "@" in image:
        digest = image.rpartition("@")[2]
        if not re.fullmatch(IMAGE_DIGEST, digest):
            raise PromotionRefused(f"the running image {image!r} has no sha256 digest to promote")
        return digest
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        raise PromotionRefused(f"the running image {image!r} has no tag to promote")
    return tag


def _container_environment(outputs: dict, state: dict) -> dict:
    container = _task_definition_container(outputs, state)
    return {item["name"]: item["value"] for item in container.get("environment") or []}


READERS = {"image_tag": ("app.image_tag", _image_tag), "container_environment": ("app.environment", _container_environment)}


class _PromotableSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    read: str | None = None
    output: str | None = None  # a team stack's key (STACK.VARIABLE): the value is this output of the stack's state
    keep: list[str] = []


class _PolicyFile(pydantic.BaseModel):
    """promotion.yaml, as a schema (read with the same safe loader and limits as environments)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    chain: list[str] = pydantic.Field(min_length=2, description="environments in promotion order")
    stack: str = "ecs"
    promotable: dict[str, _PromotableSpec | None] = {}
    history: str = "environments/PROMOTIONS.md"


def load_policy(project: Project) -> Policy:
    path = project.root / POLICY_FILE
    where = project.display(path)
    if not path.is_file():
        raise InputError([Problem(where, "", "no promotion policy: declare chain, stack and promotable here")])
    data = validation.load_model(path, where, _PolicyFile)
    problems = []
    promotable = []
    for key, spec in data.promotable.items():
        if spec is not None and spec.output is not None:
            problem = _team_key_problem(project, key, spec)
            if problem:
                problems.append(Problem(where, f"promotable.{key}", problem))
            else:
                promotable.append(Promotable(key, None, tuple(spec.keep), spec.output))
            continue
        reader = READERS.get(spec.read if spec else None)
        if reader is None or reader[0] != key:
            valid = ", ".join(f"{k} (read: {r})" for r, (k, _) in READERS.items())
            problems.append(Problem(where, f"promotable.{key}", f"not promotable (only a release is: {valid})"))
            continue
        promotable.append(Promotable(key, spec.read, tuple(spec.keep)))
    if not promotable and not problems:
        problems.append(Problem(where, "promotable", "declares nothing promotable"))
    if problems:
        raise InputError(problems)
    return Policy(tuple(data.chain), data.stack, tuple(promotable), project.root / data.history)


def _team_key_problem(project: Project, key: str, spec: _PromotableSpec) -> str | None:
    """Why ``key`` (STACK.VARIABLE, read from STACK's output) cannot be promoted; None when it can."""
    if spec.read is not None:
        return "give read (a release key of app) or output (a team stack's key), not both"
    stack, _, variable = key.partition(".")
    graph = load_graph(project)
    if stack in BUILT_IN_STACKS or stack not in graph.stacks:
        teams = sorted(set(graph.stacks) - BUILT_IN_STACKS)
        return (f"output: promotes a key of a team-added stack ({', '.join(teams) or 'none in stacks.yaml'}); "
                f"{stack!r} is not one (the built-in stacks promote only the release: app.image_tag, app.environment)")
    info = module_info.read(graph.stacks[stack].module_dir)
    if variable not in info.variables or "." in variable:
        return f"{variable!r} is not a variable of terraform_modules/{graph.stacks[stack].module} (the keys of its section)"
    if spec.output not in info.outputs:
        return f"terraform_modules/{graph.stacks[stack].module} declares no output {spec.output!r} (it has: {', '.join(sorted(info.outputs))})"
    return None


def check_chain(policy: Policy, source: str, target: str) -> None:
    chain = " -> ".join(policy.chain)
    for role, env in (("SOURCE", source), ("TARGET", target)):
        if env not in policy.chain:
            raise InputError([Problem("<command line>", role, f"{env!r} is not in the promotion chain {chain} ({POLICY_FILE})")])
    step = policy.chain.index(target) - policy.chain.index(source)
    if step != 1:
        after = policy.chain[policy.chain.index(source) + 1] if source != policy.chain[-1] else None
        hint = f"; {source} promotes to {after} only" if after else f"; {source} is the end of the chain"
        what = "skips a step" if step > 1 else "goes backwards"
        raise InputError([Problem("<command line>", "TARGET", f"{source} -> {target} {what} of the chain {chain}{hint}")])


def promotables(policy: Policy, units: list[str]) -> tuple[Promotable, ...]:
    """promotion.yaml's release keys (written for ``app``) for each unit: ``app`` or ``services.NAME``."""
    return tuple(dataclasses.replace(p, key=f"{unit}.{p.key.split('.', 1)[1]}") for unit in units for p in policy.promotable if p.read)


def team_keys(policy: Policy) -> tuple[Promotable, ...]:
    return tuple(p for p in policy.promotable if p.output)


def _unit_outputs(outputs: dict, unit: str) -> dict:
    """The outputs a reader sees for a unit: the stack's for ``app``, one service's for ``services.NAME``."""
    if unit == "app":
        return outputs
    name = unit.split(".", 1)[1]
    service = (outputs.get("services") or {}).get(name) or {}
    return {"container_image": service.get("container_image"), "container_name": name,
            "task_definition_address": f'aws_ecs_task_definition.service["{name}"]'}


def deployed_services(outputs: dict) -> set[str]:
    return set(outputs.get("services") or {})


def deployed(project: Project, policy: Policy, source: str, provider: str, units=None) -> tuple[dict, str]:
    """The promotable values SOURCE runs, read from its state; and where they were read (with the image it runs).

    ``units``: a function of SOURCE's outputs that says which units to read (default: the app alone)."""
    prepared = core.prepare(project, source)
    core.guard_account(project, prepared, provider, changes=False)
    stack = policy.stack
    workspaces = Workspaces(project, prepared.env, prepared.graph, provider, MASK.apply)
    where = f"state of {source}" + (" (offline rehearsal, --provider local)" if workspaces.target.rehearsal_of_cloud_environment else "")
    bad = {name: r for name, r in run_record.load(workspaces.env_dir).items()
           if r.get("status") in ("failed", "skipped") or r.get("command") == "destroy"}
    if bad:
        listed = ", ".join(f"{n} ({r['command']} {r['status']})" for n, r in sorted(bad.items()))
        raise PromotionRefused(f"{source} is not cleanly deployed: the last run of {listed}; apply {source} first")
    team_stacks = sorted({p.stack for p in team_keys(policy)} - set(prepared.env.absent_stacks))
    try:
        with envlock.hold(workspaces.env_dir, source, "promote"):
            outputs = OutputsReader(workspaces).read(stack)
            workspaces.ensure_initialised(stack)  # outputs of local state are read without Terraform; show needs it
            shown = workspaces.terraform(stack).show_json()
            team_outputs = {name: OutputsReader(workspaces).read(name) for name in team_stacks}
    except StackFailure as failure:
        raise PromotionRefused(f"cannot read the {where}: {failure}") from None
    finally:
        workspaces.close()
    if not outputs or shown.returncode != 0:
        raise PromotionRefused(f"{source} was never applied (no outputs of stack {stack!r} in the {where}): nothing to promote")
    state = json.loads(shown.stdout or "{}")
    chosen = units(outputs) if units else ["app"]
    images = [_unit_outputs(outputs, unit).get("container_image") for unit in chosen]
    if any(images):
        where += ", running " + ", ".join(image for image in images if image)
    values = {p.key: READERS[p.read][1](_unit_outputs(outputs, p.key.rsplit(".", 1)[0]), state)
              for p in promotables(policy, chosen)}
    for item in team_keys(policy) if "app" in chosen else ():
        if not team_outputs.get(item.stack):
            continue  # SOURCE does not run this optional stack, or never applied it: no value to promote
        if item.output not in team_outputs[item.stack]:
            raise PromotionRefused(f"{source}'s state of stack {item.stack!r} has no output {item.output!r} "
                                   f"(promotion.yaml's {item.key}): apply {source} first")
        values[item.key] = team_outputs[item.stack][item.output]
    return values, where


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _mapping_at(document: CommentedMap, path: list[str]) -> CommentedMap:
    for part in path:
        if not isinstance(document.get(part), dict):
            document[part] = CommentedMap()
        document = document[part]
    return document


def _scalar(value):
    """Strings are written double-quoted: `on`, `1.10` or `2026.11` must stay strings for every YAML reader."""
    return DoubleQuotedScalarString(value) if isinstance(value, str) else value


def edit(text: str, items: tuple[Promotable, ...], values: dict, current: dict) -> tuple[str, list[tuple[str, object, object]]]:
    """TARGET's YAML with the promoted values; and what changed (key, before, after)."""
    yaml = _yaml()
    document = yaml.load(text) or CommentedMap()
    changes = []
    for item in items:
        *parents, leaf = item.key.split(".")
        parent = _mapping_at(document, parents)
        new, old = values[item.key], current.get(item.key)
        if isinstance(new, dict):
            kept = {k: v for k, v in (old or {}).items() if k in item.keep}
            wanted = {**{k: v for k, v in new.items() if k not in item.keep}, **kept}
            if wanted == (old or {}):
                continue
            target = _mapping_at(parent, [leaf])
            for key in [k for k in target if k not in wanted]:
                del target[key]
            for key, value in wanted.items():
                if target.get(key) != value:
                    target[key] = _scalar(value)
            changes.append((item.key, dict(old or {}), wanted))
        elif new != old:
            parent[leaf] = _scalar(new)
            changes.append((item.key, old, new))
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), changes


def module_pin(project: Project, source: str, provider: str) -> str | None:
    """What TARGET's ``modules.ref`` becomes: SOURCE's pin, else the one commit SOURCE's last apply ran
    every stack's module from (the run record); None when neither says (a module applied with
    uncommitted changes, or never applied here)."""
    env = EnvironmentLoader(project).load(source)
    if env.config.modules.ref:
        return env.config.modules.ref
    record = run_record.load(Target.of(env, provider).env_dir(project))
    applied = {entry.get("module_commit") for entry in record.values() if entry.get("command") == "apply"}
    return next(iter(applied)) if len(applied) == 1 and None not in applied else None  # the full hash: a shallow clone fetches only that


def set_pin(text: str, ref: str) -> str:
    """TARGET's YAML with ``modules.ref: REF`` (comments and order kept)."""
    yaml = _yaml()
    document = yaml.load(text) or CommentedMap()
    _mapping_at(document, ["modules"])["ref"] = DoubleQuotedScalarString(ref)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def module_changes(project: Project, old: str | None, new: str) -> list[str]:
    """The modules' diff between TARGET's pin and the new one, per file (git diff --stat), each file
    under the stacks that run its module: ``ecs: terraform_modules/ecs/main.tf | 2 +-``."""
    graph = load_graph(project)
    old_commit, new_commit = (module_pins.resolve(project, old) if old else None), module_pins.resolve(project, new)
    if old_commit is None or new_commit is None:
        return [f"{old or 'the working tree'} -> {new}: cannot compare (not both commits of this repository)"]
    if old_commit == new_commit:
        return []
    lines = module_pins.changed_files(project, old_commit, new_commit, sorted({s.module_dir for s in graph.stacks.values()}))
    modules = project.display(project.modules_dir) + "/"
    stacks_of: dict[str, list[str]] = {}
    for name in graph.order:
        stacks_of.setdefault(graph.stacks[name].module, []).append(name)

    def labelled(line: str) -> str:
        path = line.split("|", 1)[0].strip()
        module = path.removeprefix(modules).split("/", 1)[0] if path.startswith(modules) else None
        return f"{', '.join(stacks_of[module])}: {line}" if module in stacks_of else line

    return [labelled(line) for line in lines]


def _who(root: Path) -> str:
    name = revisions.git(root, "config", "user.name").stdout.strip()
    email = revisions.git(root, "config", "user.email").stdout.strip()
    if name:
        return f"{name} <{email}>" if email else name
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"


def _commit(root: Path) -> str:
    commit = revisions.head_commit(root)
    if commit is None:
        return "no commit (not a git repository)"
    dirty = revisions.git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    return commit[:12] + (" (with uncommitted changes)" if dirty else "")


def planned(project: Project, options: PromoteOptions, console: Console) -> list[str]:
    """What applying the promoted TARGET would change, one line per stack (its plan, on ``--provider``)."""
    run_options = RunOptions(command="plan", env=options.target, provider=options.provider)
    try:
        _prepared, results = core.run(project, run_options, console, quiet=True)
    except OrchestratorError as error:
        return [f"the plan failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}"]
    lines = []
    for result in results:
        counts = result.changes
        if result.status == "no-changes":
            lines.append(f"`{result.name}`: no changes")
        elif result.status == "ok":
            lines.append(f"`{result.name}`: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy")
        else:
            first = next((line for line in result.error.splitlines() if line.strip()), result.status)
            lines.append(f"`{result.name}`: {result.status}: {first}")
    return lines


def record(project: Project, policy: Policy, options: PromoteOptions, changes: list, where: str, commit: str,
           module_diff: list[str] = (), plan: list[str] = ()) -> str:
    """Append one entry to the history file; returns the entry."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = [
        f"## {when} {options.source} -> {options.target}",
        "",
        f"- who: {_who(project.root)}",
        f"- from: {options.source}, read from the {where}, at commit {commit}",
        f"- to: {project.display(project.environments_dir / (options.target + '.yaml'))}",
        "- what:",
    ]
    lines += [f"  - `{key}`: `{json.dumps(old)}` -> `{json.dumps(new)}`" for key, old, new in changes]
    if module_diff:
        lines += ["- the modules' changes this moves to TARGET (git diff --stat):", "", "  ```", *(f"  {line}" for line in module_diff), "  ```"]
    if plan:
        lines += [f"- the plan this causes in {options.target} (`plan {options.target} --provider {options.provider}`):",
                  *(f"  - {line}" for line in plan)]
    entry = "\n".join(lines) + "\n"
    history = policy.history
    if not history.is_file():
        history.parent.mkdir(parents=True, exist_ok=True)
        history.write_text(
            "# Promotions\n\nWritten by `python -m orchestrator promote SOURCE TARGET` (see promotion.yaml); newest last.\n",
            encoding="utf-8",
        )
    with history.open("a", encoding="utf-8") as handle:
        handle.write("\n" + entry)
    return entry


def _at(config: dict, key: str):
    for part in key.split("."):
        config = config.get(part) if isinstance(config, dict) else None
    return config


def _confirm(console: Console, options: PromoteOptions, target_file: str) -> None:
    if not options.yes:
        confirm(console, f"Write {target_file}?", "--yes",
                f"refusing to write {target_file} without --yes: there is no terminal to ask", "promotion was not approved")


def run(project: Project, options: PromoteOptions, console: Console, as_json: bool = False) -> int:
    if options.plan and options.dry_run:
        raise InputError([Problem("<command line>", "--plan", "plans TARGET as promote writes it; with --dry-run nothing is written")])
    policy = load_policy(project)
    check_chain(policy, options.source, options.target)
    loader = EnvironmentLoader(project)
    target_path = loader.env_file(options.target)
    target_file = project.display(target_path)
    target_env = loader.load(options.target)
    target_services = set(target_env.config.services)
    if options.service is not None and options.service not in target_services:
        raise InputError([Problem(target_file, "services", f"{options.target} has no service {options.service!r} "
                                  f"(it has: {', '.join(sorted(target_services)) or 'none'}); promote moves releases, "
                                  "not services: add it to the file first")])

    def units(outputs: dict) -> list[str]:
        running = deployed_services(outputs)
        if options.service is not None:
            if options.service not in running:
                raise PromotionRefused(f"{options.source} runs no service {options.service!r} (it runs: "
                                       f"{', '.join(sorted(running)) or 'none'}): nothing to promote")
            return [f"services.{options.service}"]
        # the app, and every service that both run (a service only one of them has is not a release)
        return ["app", *(f"services.{name}" for name in sorted(running & target_services))]

    values, where = deployed(project, policy, options.source, options.provider, units)
    team = {p.key for p in team_keys(policy)}
    release_units = sorted({key.rsplit(".", 1)[0] for key in values if key not in team}, key=lambda unit: (unit != "app", unit))
    # a team stack's keys go where TARGET runs the stack (an optional one it has no section for stays out)
    items = promotables(policy, release_units) + tuple(
        p for p in team_keys(policy) if p.key in values and p.stack not in target_env.absent_stacks)
    context = target_env.context()
    current = {item.key: _at(context, item.key) for item in items}
    text = target_path.read_text(encoding="utf-8")
    new_text, changes = edit(text, items, values, current)
    module_diff, plan = [], []
    pin, current_pin = module_pin(project, options.source, options.provider), target_env.config.modules.ref
    # Only a TARGET that pins its modules gets its pin moved (one that follows the branch keeps doing so),
    # and only when the modules differ between the two commits: another commit of the same modules moves nothing.
    # A promotion of one service moves that service's release alone.
    if options.service is None and pin is not None and current_pin is not None and module_pins.resolve(project, pin) != module_pins.resolve(project, current_pin):
        module_diff = module_changes(project, current_pin, pin)
        if module_diff:
            new_text = set_pin(new_text, pin)
            changes.append(("modules.ref", current_pin, pin))
    diff = "".join(difflib.unified_diff(text.splitlines(True), new_text.splitlines(True), f"a/{target_file}", f"b/{target_file}"))
    written = False
    if not changes:
        console.print(f"{options.target} already runs what {options.source} runs: nothing to promote", highlight=False)
    elif options.dry_run:
        console.print(f"dry run: {target_file} would change as below; nothing written", highlight=False)
    else:
        if not as_json:
            print(diff, end="")
        _confirm(console, options, target_file)
        commit = _commit(project.root)
        target_path.write_text(new_text, encoding="utf-8")
        try:
            core.prepare(project, options.target)
        except InputError:
            target_path.write_text(text, encoding="utf-8")
            raise
        plan = planned(project, options, console) if options.plan else []
        entry = record(project, policy, options, changes, where, commit, module_diff, plan)
        written = True
        console.print(f"promoted {options.source} -> {options.target}; recorded in {project.display(policy.history)}:\n{entry}",
                      markup=False, highlight=False)
    if as_json:
        print(json.dumps({"command": "promote", "source": options.source, "target": options.target, "read_from": where,
                          "changes": [{"key": k, "before": b, "after": a} for k, b, a in changes], "module_changes": module_diff,
                          "diff": diff, "written": written, "dry_run": options.dry_run,
                          "plan": plan if written else []}, indent=2))
    elif diff and (options.dry_run or not changes):
        print(diff, end="")
    return OK
