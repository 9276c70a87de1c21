"""The Markdown report of `drift ENV`: fits an issue or a pull-request comment.

Per stack, per resource, which attributes drifted (old -> new), the outputs that moved with them and
the stacks that read those outputs; then configuration drift (main's inputs changed since the last
apply); errors in full; the remediation's plans; with ``--accept``, the environment keys that would
keep the cloud's values. Sensitive values arrive masked (``secrets.mask_plan``) and the whole text
passes through ``secrets.MASK`` once more. Long reports are split as pr-plan's comments are
(``pr_comment.split``: GitHub's 65,536 bytes, fences and ``<details>`` closed and reopened).
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.config import exit_codes
from orchestrator.release import pr_comment
from orchestrator.run import secrets
from orchestrator.run.drift import DriftOutcome, StackDrift

MARKER = "<!-- orchestrator-drift:{env} -->"
FOLD_LINES = 12


def _cell(value) -> str:
    """A value as inline code in a table cell (JSON for anything but a plain string)."""
    if value is None:
        return "*null*"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def _cloud_cell(drift: StackDrift) -> str:
    if drift.result.status in ("failed", "skipped"):
        return f"**{drift.result.status}**"
    if drift.never_applied:
        return "never applied"
    if not drift.cloud_drift:
        return "no drift"
    parts = []
    if drift.resources:
        parts.append(f"**{len(drift.resources)} resource{'s' if len(drift.resources) != 1 else ''}**")
    if drift.outputs:
        parts.append(f"{len(drift.outputs)} output{'s' if len(drift.outputs) != 1 else ''}")
    return ", ".join(parts) + (" (accepted into state)" if drift.accepted else "")


def _configuration_cell(drift: StackDrift) -> str:
    configuration = drift.configuration
    if configuration is None:
        return ""
    return {"changed": "**inputs changed**", "unchanged": "unchanged", "unknown": "unknown", "never-applied": "never applied"}[configuration.state]


def _headline(outcome: DriftOutcome) -> list[str]:
    cloud = [s.name for s in outcome.stacks if s.cloud_drift]
    configuration = [s.name for s in outcome.stacks if s.configuration and s.configuration.state == "changed"]
    failed = [s.name for s in outcome.stacks if s.result.status in ("failed", "skipped")]
    lines = []
    if outcome.drifted:
        what = []
        if cloud:
            what.append(f"changed outside Terraform in {', '.join(f'`{n}`' for n in cloud)}")
        if configuration:
            what.append(f"main's inputs not applied to {', '.join(f'`{n}`' for n in configuration)}")
        lines.append(f"**Drift detected**: {'; '.join(what)}.")
    elif not failed:
        lines.append(f"**No drift**: the {len(outcome.stacks)} stack{'s' if len(outcome.stacks) != 1 else ''} checked match their state and main's inputs.")
    if failed:
        lines.append(f"**Could not check** {', '.join(f'`{n}`' for n in failed)}: see the errors below.")
    affected = [s for s in outcome.stacks if s.affected_by]
    if affected:
        lines += ["", "> [!WARNING]", "> Outputs moved with the cloud; the stacks that read them are affected "
                  "(their inputs no longer match what they were applied with):"]
        lines += [f"> - `{s.name}` reads {', '.join(f'`{a}`' for a in s.affected_by)}" for s in affected]
    return lines


def _table(outcome: DriftOutcome) -> list[str]:
    lines = ["| stack | cloud | configuration | affected through outputs |", "|---|---|---|---|"]
    for drift in outcome.stacks:
        affected = ", ".join(f"`{a.split(' ')[0]}`" for a in drift.affected_by)
        lines.append(f"| `{drift.name}` | {_cloud_cell(drift)} | {_configuration_cell(drift)} | {affected} |")
    return lines


def _stack_section(drift: StackDrift) -> list[str]:
    lines = [f"### `{drift.name}`", ""]
    if drift.resources:
        lines += ["| resource | attribute | old | new |", "|---|---|---|---|"]
        for resource in drift.resources:
            where = f"`{resource.address}`" + (f" (service `{resource.service}`)" if resource.service else "")
            if resource.action == "delete":
                lines.append(f"| {where} | *deleted outside Terraform* | | |")
                continue
            if not resource.changes:
                lines.append(f"| {where} | *{resource.action}* | | |")
            for change in resource.changes:
                lines.append(f"| {where} | `{change.path}` | {_cell(change.old)} | {_cell(change.new)} |")
        lines.append("")
    if drift.outputs:
        lines += ["Outputs that moved:", ""]
        for output in drift.outputs:
            readers = f", read by {', '.join(f'`{r}`' for r in output.readers)}" if output.readers else ""
            lines.append(f"- `{output.name}`: {_cell(output.old)} -> {_cell(output.new)}{readers}")
        lines.append("")
    return lines


def _errors(outcome: DriftOutcome) -> list[str]:
    lines = []
    for drift in outcome.stacks:
        if drift.result.status in ("failed", "skipped"):
            lines += [f"**`{drift.name}` {drift.result.status}**", "", "```", drift.result.error or "(no error text)", "```", ""]
    return (["### Errors", ""] + lines) if lines else []


def _configuration(outcome: DriftOutcome) -> list[str]:
    changed = [s for s in outcome.stacks if s.configuration and s.configuration.state in ("changed", "unknown")]
    if not changed:
        return []
    lines = ["### Configuration drift", "", "main's rendered inputs against those of each stack's last apply:", ""]
    for drift in changed:
        keys = f" (tfvars keys: {', '.join(f'`{k}`' for k in drift.configuration.keys)})" if drift.configuration.keys else ""
        lines.append(f"- `{drift.name}`: {drift.configuration.detail}{keys}")
    return lines + [""]


def _not_reverted(outcome: DriftOutcome) -> list[str]:
    """What no apply takes back (the configuration does not set it), with the command that does."""
    found = [(s.name, u) for s in outcome.stacks for u in s.not_reverted]
    if not found:
        return []
    lines = ["### Terraform will not revert", "",
             "Added outside Terraform where the configuration sets nothing, so no apply (nor `--remediate apply`) removes it:", ""]
    for stack, item in found:
        added = ", ".join(f"`{json.dumps(entry, sort_keys=True)}`" for entry in item.added)
        lines.append(f"- `{stack}` `{item.address}` (`{item.object_id}`) `{item.attribute}` gained {added}: {item.note}")
        if item.command:
            lines += ["", "  ```sh", f"  {item.command}", "  ```", ""]
    return lines + [""]


def _accept(outcome: DriftOutcome) -> list[str]:
    hints = [h for s in outcome.stacks for h in s.hints]
    if not outcome.accept:
        return []
    lines = ["### Accepted: state now holds the cloud's values", ""]
    if not hints:
        return lines + ["No resource drifted: nothing to keep.", ""]
    lines += ["To keep them, the environment would have to say so (otherwise the next apply puts main's values back):", "",
              "| stack | resource | attribute | cloud's value | environment key | how |", "|---|---|---|---|---|---|"]
    for hint in hints:
        key = f"`{hint.key}`" if hint.key else "*cannot tell*"
        note = hint.note.replace("|", "\\|")
        lines.append(f"| `{hint.stack}` | `{hint.address}` | `{hint.attribute}` | {_cell(hint.new)} | {key} | {note} |")
    return lines + [""]


def _remediation(outcome: DriftOutcome) -> list[str]:
    if outcome.remediate is None:
        return []
    verb = {"plan": "planned", "apply": "applied"}[outcome.remediate]
    if not outcome.remediation:
        return [f"### Remediation ({outcome.remediate})", "", "Nothing to bring back: no stack drifted." if not outcome.failed
                else "Not run: the drift check failed.", ""]
    lines = [f"### Remediation ({outcome.remediate})", "", f"What brings the cloud back to main, {verb} stack by stack in DAG order:", ""]
    for result in outcome.remediation:
        changes = result.changes
        lines.append(f"- `{result.name}`: {result.status} (+{changes['add']} ~{changes['change']} -{changes['destroy']})"
                     + (f": {result.error.splitlines()[0]}" if result.error else ""))
    for result in outcome.remediation:
        if result.plan_text.strip():
            text = result.plan_text.rstrip("\n")
            block = ["```diff", text, "```"]
            if len(text.splitlines()) > FOLD_LINES:
                block = [f"<details><summary>Plan of <code>{result.name}</code></summary>", ""] + block + ["", "</details>"]
            lines += [""] + block
    return lines + [""]


def _footer(outcome: DriftOutcome) -> list[str]:
    env = outcome.env
    command = f"python -m orchestrator drift {env}{outcome.flags}"
    lines = ["---"]
    if outcome.drifted and outcome.remediate is None and not outcome.accept:
        lines += [f"* To see what brings the cloud back to main: `{command} --remediate plan`",
                  f"* To bring it back (asks for approval): `{command} --remediate apply`",
                  f"* To keep the cloud's values instead: `{command} --accept`, then change the keys it names"]
    lines.append(f"*Exit status of `drift`: {exit_codes.OK} no drift, {exit_codes.CHANGES} drift, {exit_codes.FAILED} error, "
                 f"{exit_codes.BAD_INPUT} bad input.*")
    return lines


def render(outcome: DriftOutcome, limit: int = pr_comment.GITHUB_LIMIT) -> list[str]:
    """The report as one or more Markdown parts of at most ``limit`` bytes."""
    lines = [MARKER.format(env=outcome.env), f"## Drift of `{outcome.env}` ({outcome.mode} provider)", ""]
    lines += _headline(outcome) + [""] + _table(outcome) + [""]
    for drift in outcome.stacks:
        if drift.cloud_drift:
            lines += _stack_section(drift)
    lines += _not_reverted(outcome) + _configuration(outcome) + _errors(outcome) + _accept(outcome) + _remediation(outcome) + _footer(outcome)
    text = secrets.MASK.apply("\n".join(lines) + "\n")
    return pr_comment.split(text, limit)


def report_paths(path: Path, count: int) -> list[Path]:
    """PATH for the first part, then PATH.2, PATH.3, ... (as pr-plan's --comment-file)."""
    return [path] + [path.with_name(f"{path.name}.{n}") for n in range(2, count + 1)]


def write(parts: list[str], path: Path) -> list[Path]:
    """Write the parts; parts left from a longer earlier report are removed."""
    for stale in report_paths(path, 50)[len(parts):]:
        stale.unlink(missing_ok=True)
    paths = report_paths(path, len(parts))
    for target, text in zip(paths, parts):
        target.write_text(text)
    return paths
