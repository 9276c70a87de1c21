"""Formatting of results: the summary table for people, one JSON document for machines."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from orchestrator.config import hcl
from orchestrator.run.progress import STYLES
from orchestrator.run.secrets import MASK, MASKED
from orchestrator.run.types import StackResult


def changes_text(changes: dict) -> str:
    return f"+{changes['add']} ~{changes['change']} -{changes['destroy']}"


def summary(console: Console, env: str, command: str, results: list[StackResult], show_accepted: bool = False) -> None:
    """The table, then what needs reading: failed checks in full, accepted ones (reviewed once, in
    policy.accept) folded into one line unless ``show_accepted``, new revisions, placeholders, errors."""
    table = Table(title=f"{command} {env}", title_justify="left")
    table.add_column("stack")
    table.add_column("status")
    table.add_column("changes", justify="right")
    checked = any(result.policy is not None for result in results)
    if checked:
        table.add_column("policy")
    table.add_column("time", justify="right")
    for result in results:
        status = result.status + (" (placeholders)" if result.placeholders else "")
        table.add_row(
            result.name,
            f"[{STYLES.get(result.status, '')}]{status}[/]",
            changes_text(result.changes) if result.status != "skipped" and command != "output" else "",
            *([policy_cell(result)] if checked else []),
            f"{result.seconds:.1f}s",
        )
    console.print(table)
    # Checks skipped in the modules' code were reviewed with the code: `policy-check` and --json list them.
    with_checks = [r for r in results if r.policy is not None]
    policy_text(console, [r for r in with_checks if r.policy.failed or (show_accepted and r.policy.accepted)], True, skipped=False,
                accepted=show_accepted)
    accepted = {r.name: len(r.policy.accepted) for r in with_checks if r.policy.accepted}
    if accepted and not show_accepted:
        console.print(f"{sum(accepted.values())} accepted policy check(s) not listed ({', '.join(f'{n} {c}' for n, c in accepted.items())}; "
                      "policy.accept): --show-accepted lists them", highlight=False, markup=False, soft_wrap=True)
    for result in results:
        if result.new_revisions:
            console.print(f"[cyan]{result.name}[/]: {', '.join(map(str, result.new_revisions))}: routine, not a loss "
                          "(no --allow-destroy needed)", highlight=False)
        if result.placeholders:
            console.print(
                f"[yellow]{result.name}[/]: planned with placeholders for never-applied "
                f"{', '.join(result.placeholders)}; it applies only once they are applied, "
                f"by planning again and only if that plan does the same",
                highlight=False,
            )
        if result.status == "failed":
            console.print(f"[bold red]{result.name} failed[/]:", highlight=False)
            console.print(result.error, markup=False, highlight=False, soft_wrap=True)
            if result.log:
                console.print(f"  full log: {result.log}", markup=False, highlight=False)
        elif result.status == "skipped":
            console.print(f"[yellow]{result.name} skipped[/]: {result.error}", highlight=False)
    if any(result.error.startswith("interrupted") for result in results if result.status in ("failed", "skipped")):
        console.print("[bold red]interrupted[/]: nothing new was started after the signal; run the command again to finish",
                      highlight=False)


def policy_cell(result: StackResult) -> str:
    if result.policy is None:
        return ""
    if result.policy.ok:
        return f"[green]passed[/] ({result.policy.passed})"
    return f"[bold red]{len(result.policy.failed)} failed[/]" + (" (accepted)" if result.policy_accepted else "")


def policy_text(console: Console, results: list[StackResult], enabled: bool, brief_when_passed: bool = False,
                skipped: bool = True, accepted: bool = True) -> None:
    """Each stack's failed, accepted and skipped checks, for people and for Atlantis's policy_check.

    ``brief_when_passed``: a passing stack gets its counts only. Atlantis takes any "fail" in a custom
    policy check's output for a failure, and a check's name or a reason may hold the word.
    """
    if not enabled:
        console.print("policy checks are off for this environment (policy.checks: false): nothing was checked", highlight=False)
        return
    for result in results:
        if result.policy is None:
            continue
        verdict = "passed" if result.policy.ok else "FAILED"
        lines = result.policy.lines(skipped, accepted)
        lines = lines[-1:] if result.policy.ok and brief_when_passed else lines
        console.print(f"policy checks of {result.name}: {verdict}", highlight=False, markup=False)
        for line in lines:
            console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
        if result.policy_accepted:
            console.print(f"  accepted by {result.policy_accepted['by']}: {result.policy_accepted['reason']}",
                          highlight=False, markup=False, soft_wrap=True)


def highlights(console: Console, graph, results: list[StackResult]) -> None:
    """The few outputs a person wants after an apply, such as the API endpoint (stacks.yaml: highlights)."""
    by_name = {result.name: result for result in results}
    for label, (stack, output) in graph.highlights.items():
        result = by_name.get(stack)
        if result is not None and output in result.outputs and output not in result.sensitive:
            console.print(f"[bold]{label}[/]: {result.outputs[output]}", highlight=False)


def outputs_text(results: list[StackResult]) -> str:
    """Each read stack's outputs as `terraform output` prints them, under its name; sensitive ones masked."""
    blocks = []
    for result in results:
        if result.status != "ok":
            continue  # the summary says why
        lines = [f"{key} = {MASKED if key in result.sensitive else hcl.pretty(value)}" for key, value in sorted(result.outputs.items())]
        blocks.append("\n".join([f"# --- {result.name}", *(lines or ["# no outputs in state (never applied)"])]))
    return "".join(f"{block}\n" for block in blocks)


def raw_value(value) -> str:
    """One output as `terraform output -raw` prints it: strings, numbers and booleans bare; lists and maps as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (list, dict)) or value is None else hcl.literal(value)


def document(env: str, command: str, results: list[StackResult]) -> str:
    text = json.dumps({"env": env, "command": command, "stacks": [r.report() for r in results]}, indent=2, default=str)
    return MASK.apply(text)
