"""The pull-request comment of `pr-plan`, as Atlantis users know it.

Atlantis's layout (its markdown renderer and templates, server/events/markdown_renderer.go): "Ran Plan
for N projects:" with each project's name, dir and workspace; per project its plan, folded in
``<details>`` only when longer than 12 lines (``maxUnwrappedLines``), the ``Plan: ...`` line, and the
comments that apply it (``atlantis apply -p NAME``), plan it again or discard it; "No changes. Your
infrastructure matches the configuration." for empty plans; errors in full; a ``### Plan Summary``
footer "N projects, X with changes, Y with no changes, Z failed". Project names are Atlantis's
(``ENV-STACK``, as atlantis-config names them), so the commands work as written. In diff blocks
``+``/``-``/``~`` move to the first column and ``~`` becomes ``!`` so that GitHub colours updates.

What Atlantis lacks is kept: destroys and replacements called out first (``> [!CAUTION]``), new
revisions of revisioned types (``replacements``: a task definition on an image bump) listed apart as
routine (``> [!NOTE]``), plans made with placeholders marked (and never offered for apply), stacks
that may be affected through outputs, removed stacks, environments that do not load.

Long comments are split as Atlantis splits them: at GitHub's 65,536 *bytes*, a part continuing
where the previous one overflowed, with an open code fence and ``<details>`` closed at the end of a
part and reopened in the next ("Continued plan output from previous comment.").

Sensitive values never appear: Terraform's show already hides them, every value the plan JSON
marks sensitive (variables, outputs, attributes) is masked again in the text as a safety net, and
so is every secret the run resolved (``secrets.MASK``). Outputs are never printed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.policy.checks import PolicyResult
from orchestrator.run import replacements, secrets
from orchestrator.run.services import service_of

GITHUB_LIMIT = 65_536  # bytes per comment body
FOLD_LINES = 12  # Atlantis folds output longer than this
MASK = "(sensitive value)"
NO_CHANGES = "No changes. Your infrastructure matches the configuration."
CONTINUED = "Continued plan output from previous comment."
CONTINUES = "**Warning**: this comment is longer than GitHub allows; the output continues in the next comment."
_FENCE = "```"
_DIFF_MARK = re.compile(r"(?m)^( +)([-+~]|-/\+|\+/-)(?= )")


@dataclass
class StackPlan:
    env: str
    stack: str
    reason: str
    status: str  # ok | no-changes | failed | skipped
    changes: dict
    plan_text: str = ""
    placeholders: list[str] = field(default_factory=list)
    error: str = ""
    new_env: bool = False
    may_be_affected: bool = False
    destroys: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    revisions: list[replacements.Deletion] = field(default_factory=list)  # replacements that are only a new revision
    imports: list[str] = field(default_factory=list)
    forgets: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # names of outputs the plan changes
    secrets: set[str] = field(default_factory=set)
    policy: PolicyResult | None = None  # the policy checks of the plan, when the environment checks them
    never_applied: bool = False  # nothing in state: the plan creates the stack
    env_new: bool = False  # its environment comes up from nothing in this change (every stack never applied; pr_plan decides)
    creates: list[str] = field(default_factory=list)  # addresses the plan creates
    module_ref: str | None = None  # the pin its module ran at ("v1.4 (0a1b2c3d4e5f)"); None: the working tree
    services: list[str] = field(default_factory=list)  # services of `services` the plan changes (their Service tag)

    @property
    def title(self) -> str:
        """The Atlantis project name (atlantis-config: ``ENV-STACK``)."""
        return f"{self.env}-{self.stack}"

    @property
    def has_changes(self) -> bool:
        """As Terraform counts: "ok" is its exit code 2 (outputs, imports and forgets included)."""
        if self.status not in ("ok", "no-changes"):
            return False
        return self.status == "ok" or any(self.changes.values()) or bool(self.imports or self.forgets or self.outputs)


def _sensitive_values(value, marks, found: set[str]) -> None:
    """Collect the values a plan JSON ``*_sensitive`` structure marks (true = all below)."""
    if marks is True:
        if isinstance(value, dict):
            for item in value.values():
                _sensitive_values(item, True, found)
        elif isinstance(value, list):
            for item in value:
                _sensitive_values(item, True, found)
        elif value is not None and len(str(value)) >= 4:
            found.add(str(value))
    elif isinstance(marks, dict) and isinstance(value, dict):
        for key, mark in marks.items():
            _sensitive_values(value.get(key), mark, found)
    elif isinstance(marks, list) and isinstance(value, list):
        for item, mark in zip(value, marks):
            _sensitive_values(item, mark, found)


def plan_facts(plan: StackPlan, plan_json: dict) -> None:
    """Destroys, replacements, new revisions, imports, forgets, output changes and sensitive values, from `terraform show -json`."""
    for deletion in replacements.deletions(plan_json):
        if deletion.action == replacements.DESTROY:
            plan.destroys.append(deletion.address)
        elif deletion.action == replacements.REPLACE:
            plan.replaces.append(deletion.address)
        else:
            plan.revisions.append(deletion)
    prior = (plan_json.get("prior_state") or {}).get("values", {}).get("root_module", {})
    plan.never_applied = not (prior.get("resources") or prior.get("child_modules"))
    for change in plan_json.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if actions == ["create"]:
            plan.creates.append(change["address"])
        if "forget" in actions:
            plan.forgets.append(change["address"])
        if change.get("change", {}).get("importing"):
            plan.imports.append(change["address"])
        for side in ("before", "after"):
            _sensitive_values(change["change"].get(side), change["change"].get(f"{side}_sensitive"), plan.secrets)
        if actions not in (["no-op"], ["read"]):
            service = service_of(change)
            if service and service not in plan.services:
                plan.services.append(service)
    plan.services.sort()
    for name, change in plan_json.get("output_changes", {}).items():
        if change.get("actions", ["no-op"]) != ["no-op"]:
            plan.outputs.append(name)
    declared = plan_json.get("configuration", {}).get("root_module", {})
    for name, variable in declared.get("variables", {}).items():
        if variable.get("sensitive"):
            _sensitive_values(plan_json.get("variables", {}).get(name, {}).get("value"), True, plan.secrets)
    for name, output in declared.get("outputs", {}).items():
        if output.get("sensitive"):
            change = plan_json.get("output_changes", {}).get(name, {})
            _sensitive_values(change.get("after"), True, plan.secrets)
            _sensitive_values(change.get("before"), True, plan.secrets)
    for output in plan_json.get("planned_values", {}).get("outputs", {}).values():
        if output.get("sensitive"):
            _sensitive_values(output.get("value"), True, plan.secrets)


def diagnostics(log: Path) -> str:
    """Terraform's error diagnostics in full (summary, file and line, source, detail) from a stack's log."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    found = []
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        diagnostic = message.get("diagnostic") if isinstance(message, dict) else None
        if not diagnostic or diagnostic.get("severity") != "error":
            continue
        text = [f"Error: {diagnostic.get('summary', '')}"]
        where, snippet = diagnostic.get("range"), diagnostic.get("snippet") or {}
        if where:
            context = f", in {snippet['context']}" if snippet.get("context") else ""
            text += ["", f"  on {where.get('filename')} line {where.get('start', {}).get('line')}{context}:"]
            if snippet.get("code"):
                text.append(f"  {snippet.get('start_line', where.get('start', {}).get('line'))}: {snippet['code']}")
        if diagnostic.get("address"):
            text += ["", f"  with {diagnostic['address']}"]
        if diagnostic.get("detail"):
            text += ["", diagnostic["detail"]]
        if "\n".join(text) not in found:
            found.append("\n".join(text))
    if not found:  # the log holds Terraform's messages as text: the last command's, from its first error
        last = max((i for i, line in enumerate(lines) if line.startswith("$ ")), default=0)
        block = [line for line in lines[last:] if not line.startswith("# exit")]
        start = next((i for i, line in enumerate(block) if line.startswith("Error")), None)
        if start is not None:
            found.append("\n".join(block[start:]).strip("\n"))
    return "\n\n".join(found)


def mask(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def changes_text(plan: StackPlan) -> str:
    if plan.status == "failed":
        return "**failed**"
    if plan.status == "skipped":
        return "skipped"
    if not plan.has_changes:
        return "no changes"
    c = plan.changes
    extra = [f"{len(plan.imports)} to import"] if plan.imports else []
    extra += [f"{len(plan.forgets)} to forget"] if plan.forgets else []
    extra += ["outputs change"] if plan.outputs and not any(c.values()) and not extra else []
    return f"**+{c['add']} ~{c['change']} -{c['destroy']}**" + (f" ({', '.join(extra)})" if extra else "")


def _project(plan: StackPlan) -> str:
    return f"project: `{plan.title}` dir: `.` workspace: `{plan.title}`"


def _placeholder_note(plan: StackPlan) -> str:
    return (
        f"> :warning: **planned with placeholders** for never-applied upstream outputs "
        f"({', '.join(f'`{p}`' for p in plan.placeholders)}): the values shown for them are stand-ins, "
        f"and this plan is applied only once they are, by planning again and only if that plan does the same"
    )


def header(plans: list[StackPlan], base: str, head: str, removed: list[str], may_be_affected: list[str], errors: list[str]) -> str:
    lines = [f"## Orchestrator plan: `{base}` → `{head}`", ""]
    dangerous = [(p, a, "replaced") for p in plans for a in p.replaces] + [(p, a, "destroyed") for p in plans for a in p.destroys]
    if dangerous:
        lines += ["> [!CAUTION]", "> **Destroys and replacements**"]
        lines += [f"> - `{p.title}`: `{address}` will be **{what}**" for p, address, what in dangerous]
        lines.append("")
    revisions = [(p, revision) for p in plans for revision in p.revisions]
    if revisions:
        lines += ["> [!NOTE]", "> **New revisions** (routine replacements, not losses: applied without `--allow-destroy`)"]
        lines += [f"> - `{p.title}`: `{d.address}`: new revision, the previous one "
                  f"{'stays registered' if d.previous_kept else 'is deregistered'}" for p, d in revisions]
        lines.append("")
    if errors:
        lines += ["> [!WARNING]", "> **Environments that do not load at head** (not planned):"]
        lines += [f"> - {error}" for error in errors]
        lines.append("")
    if plans:
        lines += [f"Ran Plan for {len(plans)} project{'s' if len(plans) != 1 else ''}:", ""]
        for plan in plans:
            notes = [plan.reason] + ([":warning: placeholders"] if plan.placeholders else [])
            notes += [f":x: policy checks: {len(plan.policy.failed)} failed"] if plan.policy and not plan.policy.ok else []
            lines.append(f"1. {_project(plan)}: {changes_text(plan)} ({'; '.join(notes)})")
        lines += ["", _modules_ran(plans, head), ""]
    else:
        lines += ["No stack is affected by this change: nothing to plan.", ""]
    if may_be_affected:
        lines += ["May be affected through upstream outputs (not planned; `pr-plan --include-dependents` plans them): "
                  + ", ".join(f"`{name}`" for name in may_be_affected), ""]
    if removed:
        lines += ["Removed by this change (not planned; destroy them with `destroy ENV`): "
                  + ", ".join(f"`{name}`" for name in removed), ""]
    return "\n".join(lines)


def _fenced(text: str) -> str:
    return text.replace(_FENCE, "``\u200b`")


def _diff(text: str) -> str:
    """Signs first and ``~`` as ``!``, so that GitHub's diff highlighting colours every change."""
    return re.sub(r"(?m)^~", "!", _DIFF_MARK.sub(r"\2\1", text))


def _block(body: str, language: str = "diff") -> list[str]:
    """A code block, folded in <details> when longer than Atlantis folds."""
    fenced = [f"{_FENCE}{language}", body, _FENCE]
    if body.count("\n") + 1 <= FOLD_LINES:
        return fenced
    return ["<details><summary>Show Output</summary>", "", *fenced, "", "</details>"]


def _modules_ran(plans: list[StackPlan], head: str) -> str:
    """Which module version each environment ran: the head's working tree, or its pin(s)."""
    refs: dict[str, list[str]] = {}
    for plan in plans:
        where = f"pinned at `{plan.module_ref}`" if plan.module_ref else f"the working tree of `{head}`"
        if where not in refs.setdefault(plan.env, []):
            refs[plan.env].append(where)
    return "Modules: " + "; ".join(f"`{env}` {', '.join(where)}" for env, where in refs.items())


def section(index: int, plan: StackPlan) -> str:
    lines = [f"### {index}. {_project(plan)}"]
    if plan.module_ref:
        lines += ["", f"Modules: pinned at `{plan.module_ref}`"]
    if plan.placeholders:
        lines += ["", _placeholder_note(plan)]
    if plan.services:
        lines += ["", "Services changed: " + ", ".join(f"`{name}`" for name in plan.services)]
    if plan.destroys or plan.replaces:
        lines += ["", f"> :warning: destroys {len(plan.destroys)}, replaces {len(plan.replaces)}"]
    lines.append("")
    name = plan.title
    if plan.status == "failed":
        lines += ["**Plan Error**", "", *_block(mask(_fenced((plan.error or "failed").strip("\n")), plan.secrets), "")]
    elif plan.status == "skipped":
        lines += [f"**Plan Skipped**: {plan.error or 'not run'}"]
    elif not plan.has_changes:
        lines += [NO_CHANGES]
    else:
        lines += _block(_diff(mask(_fenced(plan.plan_text.strip("\n")), plan.secrets)))
        c = plan.changes
        lines += ["", f"Plan: {c['add']} to add, {c['change']} to change, {c['destroy']} to destroy."
                  + (f" ({changes_text(plan).split('** (', 1)[1]}" if "** (" in changes_text(plan) else "")]
    lines.append("")
    lines += policy_section(plan)
    if plan.status in ("ok", "no-changes") and plan.has_changes:
        if plan.placeholders:
            lines.append("* Planned with placeholders: it applies once its upstream stacks are applied (planned again, "
                         "and only if that plan does what this one shows).")
        else:
            lines.append(f"* To apply this plan, comment: `atlantis apply -p {name}`")
    lines.append(f"* To plan this project again, comment: `atlantis plan -p {name}`")
    if plan.status in ("ok", "no-changes") and plan.has_changes:
        lines.append("* To discard the plans and locks of this pull request, comment: `atlantis unlock`")
    return "\n".join(lines) + "\n"


def policy_section(plan: StackPlan) -> list[str]:
    """The policy checks of one plan, as Atlantis shows its policy_check stage (failures in a diff block)."""
    if plan.policy is None:
        return []
    result = plan.policy
    verdict = "**Policy Check Passed**" if result.ok else f"**Policy Check Failed**: {len(result.failed)} check(s) failed."
    body = "\n".join(f"- {line}" if line.startswith("FAIL") else f"  {line}" for line in result.lines())
    lines = ["#### Policy Set: `checkov` (checkov's checks and `policies/checkov/`)", "", verdict, "",
             *_block(_fenced(body)), ""]
    if not result.ok:
        lines += [f"* Failed checks block the apply. A policy owner accepts them with `atlantis approve_policies -p {plan.title}`"
                  f" (Atlantis) or `apply {plan.env} --stack {plan.stack} --accept-policy-failures REASON`;"
                  f" or accept a check for the environment in `policy.accept` with its reason.", ""]
    return lines


def counts(plans: list[StackPlan]) -> dict[str, int]:
    return {
        "projects": len(plans),
        "changes": sum(p.has_changes for p in plans),
        "no changes": sum(p.status in ("ok", "no-changes") and not p.has_changes for p in plans),
        "failed": sum(p.status == "failed" for p in plans),
        "skipped": sum(p.status == "skipped" for p in plans),
        "policy failed": sum(p.policy is not None and not p.policy.ok for p in plans),
    }


def summary_line(plans: list[StackPlan]) -> str:
    n = counts(plans)
    text = f"{n['projects']} projects, {n['changes']} with changes, {n['no changes']} with no changes, {n['failed']} failed"
    text += f", {n['skipped']} skipped" if n["skipped"] else ""
    return text + (f", {n['policy failed']} failed policy checks" if n["policy failed"] else "")


def footer(plans: list[StackPlan]) -> str:
    lines = ["---", "### Plan Summary", "", summary_line(plans)]
    if any(p.has_changes and not p.placeholders for p in plans):
        lines += ["", "* To apply every plan of this pull request, comment: `atlantis apply`",
                  "* To discard every plan and lock of this pull request, comment: `atlantis unlock`"]
    return "\n".join(lines) + "\n"


def _cut(line: str, room: int) -> list[str]:
    """A line longer than ``room`` bytes, in pieces of at most ``room`` bytes (never inside a character)."""
    pieces, data = [], line.encode()
    while len(data) > room:
        end = room
        while end > 0 and (data[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(data[:end].decode())
        data = data[end:]
    return pieces + [data.decode()]


def split(text: str, limit: int = GITHUB_LIMIT) -> list[str]:
    """Parts of at most ``limit`` bytes; a part ends where it overflows, fences and <details> closed and reopened."""
    size = lambda s: len(s.encode())  # noqa: E731
    reserve = size(f"\n{_FENCE}\n\n</details>\n\n{CONTINUES}\n") + 8
    opener_reserve = size(f"{CONTINUED}\n\n") + 200
    room = max(64, limit - reserve - opener_reserve)
    parts: list[list[str]] = [[]]
    used = 0
    fence: str | None = None  # the opening line of the fence we are in
    details: str | None = None  # the opening line of the <details> we are in

    def close() -> None:
        nonlocal used
        tail = ([_FENCE] if fence else []) + (["", "</details>"] if details else []) + ["", CONTINUES]
        parts[-1].extend(tail)
        head = [CONTINUED, ""] + ([details, ""] if details else []) + ([fence] if fence else [])
        parts.append(head)
        used = sum(size(line) + 1 for line in head)

    for line in text.split("\n"):
        for piece in _cut(line, room):
            if used + size(piece) + 1 > limit - reserve and any(parts[-1]):
                close()
            parts[-1].append(piece)
            used += size(piece) + 1
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            fence = None if fence else line
        elif fence is None and stripped.startswith("<details>"):
            details = line
        elif fence is None and stripped == "</details>":
            details = None
    return ["\n".join(part) for part in parts]


def _needs_reading(plan: StackPlan) -> bool:
    return plan.status not in ("ok", "no-changes") or plan.has_changes or (plan.policy is not None and not plan.policy.ok)


def new_environments(plans: list[StackPlan]) -> dict[str, list[StackPlan]]:
    """Environments the change brings up from nothing (``env_new``), every plan clean: a failure, or a
    failed policy check, is shown in full instead."""
    by_env: dict[str, list[StackPlan]] = {}
    for plan in plans:
        by_env.setdefault(plan.env, []).append(plan)
    return {env: items for env, items in by_env.items()
            if all(p.env_new and p.status in ("ok", "no-changes") and (p.policy is None or p.policy.ok) for p in items)}


def review_order(plans: list[StackPlan]) -> list[StackPlan]:
    """What a reviewer needs first: applied environments' plans that change something or failed, then
    those without changes; environments never applied come last (and are folded)."""
    new = {id(p) for items in new_environments(plans).values() for p in items}
    return sorted(plans, key=lambda p: (id(p) in new, not _needs_reading(p)))  # stable: DAG order within


def new_environment_section(env: str, plans: list[StackPlan]) -> str:
    """A never-applied environment in a few lines: what each stack creates, counted; the addresses folded."""
    added = sum(p.changes.get("add", 0) for p in plans)
    lines = [f"### New environment `{env}` ({len(plans)} projects, folded)", "",
             f"Nothing of `{env}` is applied yet: these plans create it (**{added} to add**). Their full output is left out "
             f"to keep this comment readable; `atlantis plan -p {plans[0].title}` (or `plan {env} --show`) shows one in full.", "",
             "| project | changes | policy checks |", "|---|---|---|"]
    for plan in plans:
        checks = "" if plan.policy is None else f"passed ({plan.policy.summary()})"
        placeholders = f" (planned with placeholders for {', '.join(f'`{p}`' for p in plan.placeholders)})" if plan.placeholders else ""
        lines.append(f"| `{plan.title}` | {changes_text(plan)}{placeholders} | {checks} |")
    created = [f"- `{p.title}`: " + ", ".join(f"`{a}`" for a in p.creates) for p in plans if p.creates]
    if created:
        lines += ["", "<details><summary>Objects to create</summary>", "", *created, "", "</details>"]
    return "\n".join(lines) + "\n"


def render(plans: list[StackPlan], base: str, head: str, removed=(), may_be_affected=(), errors=(), limit: int = GITHUB_LIMIT) -> list[str]:
    """The comment, as one or more parts of at most ``limit`` bytes: applied environments' changes first,
    never-applied environments folded to a summary at the end."""
    plans = review_order(plans)
    new = new_environments(plans)
    blocks = [header(plans, base, head, list(removed), list(may_be_affected), list(errors))]
    blocks += [section(index, plan) for index, plan in enumerate((p for p in plans if p.env not in new), 1)]
    blocks += [new_environment_section(env, items) for env, items in new.items()]
    blocks.append(footer(plans))
    text = secrets.MASK.apply("\n".join(blocks))  # every secret the run resolved, before sizing
    return split(text, limit)
