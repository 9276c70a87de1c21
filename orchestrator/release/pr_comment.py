"""The pull-request comment of `pr-plan`, in the format reviewers know from Atlantis.

A header lists the planned stacks (destroys and replacements called out first), one collapsible
``<details>`` section per stack holds the plan as ``terraform show`` prints it, and a footer counts
"N stacks, X with changes, Y without, Z failed". Comments longer than GitHub's limit are split
into numbered parts; a section too long for one part continues in the next.

Sensitive values never appear: Terraform's show already hides them, every value the plan JSON
marks sensitive (variables, outputs, attributes) is masked again in the text as a safety net, and
so is every secret the run resolved (``secrets.MASK``). Outputs are never printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestrator.run import secrets

GITHUB_LIMIT = 65_536  # characters per comment
MASK = "(sensitive value)"
_FENCE = "```"
_DIFF_MARK = re.compile(r"(?m)^( +)([-+~])(?= |/)")


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
    secrets: set[str] = field(default_factory=set)

    @property
    def title(self) -> str:
        return f"{self.env}/{self.stack}"

    @property
    def has_changes(self) -> bool:
        return self.status == "ok" and any(self.changes.values())


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
    """Destroys, replacements and the sensitive values of a plan, from `terraform show -json`."""
    for change in plan_json.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if "delete" in actions and "create" in actions:
            plan.replaces.append(change["address"])
        elif "delete" in actions:
            plan.destroys.append(change["address"])
        for side in ("before", "after"):
            _sensitive_values(change["change"].get(side), change["change"].get(f"{side}_sensitive"), plan.secrets)
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


def mask(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _changes(plan: StackPlan) -> str:
    if plan.status == "failed":
        return "**failed**"
    if plan.status == "skipped":
        return "skipped"
    if not plan.has_changes:
        return "no changes"
    c = plan.changes
    return f"**+{c['add']} ~{c['change']} -{c['destroy']}**"


def _placeholder_note(plan: StackPlan) -> str:
    return (
        f"> :warning: **planned with placeholders** for never-applied upstream outputs "
        f"({', '.join(f'`{p}`' for p in plan.placeholders)}): the values shown for them are stand-ins, "
        f"and this plan can never be applied"
    )


def header(plans: list[StackPlan], base: str, head: str, removed: list[str], may_be_affected: list[str], errors: list[str]) -> str:
    lines = [f"## Orchestrator plan: `{base}` → `{head}`", ""]
    dangerous = [(p, a, "replaced") for p in plans for a in p.replaces] + [(p, a, "destroyed") for p in plans for a in p.destroys]
    if dangerous:
        lines += ["> [!CAUTION]", "> **Destroys and replacements**"]
        lines += [f"> - `{p.title}`: `{address}` will be **{what}**" for p, address, what in dangerous]
        lines.append("")
    if errors:
        lines += ["> [!WARNING]", "> **Environments that do not load at head** (not planned):"]
        lines += [f"> - {error}" for error in errors]
        lines.append("")
    if plans:
        lines += [f"Ran Plan for {len(plans)} stack{'s' if len(plans) != 1 else ''}:", ""]
        for plan in plans:
            notes = [plan.reason]
            if plan.placeholders:
                notes.append(":warning: placeholders")
            lines.append(f"1. `{plan.title}`: {_changes(plan)} ({'; '.join(notes)})")
        lines.append("")
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


def section_parts(index: int, plan: StackPlan, budget: int) -> list[str]:
    """One stack's collapsible section; split over several when its plan is longer than ``budget``."""
    head = [f"### {index}. `{plan.title}`"]
    if plan.placeholders:
        head += ["", _placeholder_note(plan)]
    if plan.destroys or plan.replaces:
        head += ["", f"> :warning: destroys {len(plan.destroys)}, replaces {len(plan.replaces)}"]
    body = plan.plan_text if plan.status in ("ok", "no-changes") else (plan.error or plan.status)
    body = mask(_fenced(body.strip("\n")), plan.secrets)
    if plan.status in ("ok", "no-changes"):
        body = _DIFF_MARK.sub(r"\2\1", body)  # as Atlantis does: +, -, ~ first, so that GitHub colours the diff
    c = plan.changes
    tail = f"Plan: {c['add']} to add, {c['change']} to change, {c['destroy']} to destroy." if plan.status in ("ok", "no-changes") else f"Status: {plan.status}."

    def wrap(chunk: str, label: str, first: bool, last: bool) -> str:
        lines = (head if first else [f"### {index}. `{plan.title}` (continued)"]) + [
            "", f"<details><summary>{label}</summary>", "", f"{_FENCE}diff", chunk, _FENCE, "</details>", ""]
        if last:
            lines += [tail, ""]
        return "\n".join(lines)

    whole = wrap(body, "Show Output", True, True)
    if len(whole) <= budget:
        return [whole]
    overhead = len(wrap("", "Show Output (part 00 of 00)", True, True)) + 16
    room = max(200, budget - overhead)
    chunks, current = [], ""
    for line in body.splitlines(keepends=True):
        while len(line) > room:  # a single monstrous line: cut it
            chunks.append(current + line[: room - len(current)])
            line, current = line[room - len(current):], ""
        if current and len(current) + len(line) > room:
            chunks.append(current)
            current = ""
        current += line
    chunks.append(current)
    total = len(chunks)
    return [wrap(chunk.rstrip("\n"), f"Show Output (part {n} of {total})", n == 1, n == total) for n, chunk in enumerate(chunks, 1)]


def footer(plans: list[StackPlan]) -> str:
    failed = sum(p.status in ("failed", "skipped") for p in plans)
    changed = sum(p.has_changes for p in plans)
    return f"---\n**Plan Summary:** {len(plans)} stacks, {changed} with changes, {len(plans) - changed - failed} without, {failed} failed\n"


def render(plans: list[StackPlan], base: str, head: str, removed=(), may_be_affected=(), errors=(), limit: int = GITHUB_LIMIT) -> list[str]:
    """The comment, as one or more parts, each shorter than ``limit`` characters."""
    part_label = len("**Part 000 of 000**\n\n")
    budget = limit - part_label - 1
    blocks = [header(plans, base, head, list(removed), list(may_be_affected), list(errors))]
    for index, plan in enumerate(plans, 1):
        blocks.extend(section_parts(index, plan, budget - 1))
    blocks.append(footer(plans))
    blocks = [secrets.MASK.apply(block) for block in blocks]  # every secret the run resolved, before sizing
    parts, current = [], ""
    for block in blocks:
        if len(block) > budget:  # a header listing thousands of stacks: cut by lines
            block = block[: budget - 40] + "\n… (list cut to fit)\n"
        if current and len(current) + 1 + len(block) > budget:
            parts.append(current)
            current = ""
        current = f"{current}\n{block}" if current else block
    parts.append(current)
    if len(parts) == 1:
        return parts
    return [f"**Part {n} of {len(parts)}**\n\n{part}" for n, part in enumerate(parts, 1)]
