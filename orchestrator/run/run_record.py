"""What the last apply or destroy of each stack did, kept per environment (and provider mode).

    .orchestrator/<env>[.local]/last-run.json
        {"stacks": {"ecs": {"command": "apply", "status": "ok", "finished_at": 1764417600.0,
                            "inputs_sha256": "...", "inputs_by_key": {"desired_count": "..."},
                            "applied_at": "2026-11-29T12:00:01Z", "module_commit": "<commit>"}, ...}}

Every apply and destroy updates the entries of the stacks it ran (a partial run leaves the others).
``promote`` reads it: a release whose last apply failed somewhere is not promoted.
``drift`` reads it: ``inputs_sha256`` is the digest of the rendered tfvars of the stack's last
successful apply (as ``saved_plan.inputs_sha256`` computes it; kept across a failed apply), and
``inputs_by_key`` one digest per tfvars key, so that a configuration drift can name its keys.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

from orchestrator.run import saved_plan

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*=")
FILE_NAME = "last-run.json"
RECORDED = ("apply", "destroy")


def path(env_dir: Path) -> Path:
    return env_dir / FILE_NAME


def load(env_dir: Path) -> dict[str, dict]:
    try:
        return json.loads(path(env_dir).read_text())["stacks"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def key_digests(tfvars: str) -> dict[str, str]:
    """One digest per top-level assignment of a rendered tfvars file (its text up to the next one)."""
    found: dict[str, str] = {}
    current = None
    for line in tfvars.splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            current = match.group(1)
            found[current] = ""
        if current is not None:
            found[current] += line + "\n"
    return {key: hashlib.sha256(text.encode()).hexdigest() for key, text in found.items()}


def save(env_dir: Path, command: str, results, inputs: dict[str, str] | None = None,
         module_commits: dict[str, str | None] | None = None) -> None:
    """Merge one run's per-stack outcome into the environment's record (apply and destroy only).

    ``inputs``: each stack's rendered tfvars as this run applied them; recorded (as digests) for the
    stacks whose apply succeeded.
    """
    if command not in RECORDED:
        return
    stacks = load(env_dir)
    for result in results:
        previous = stacks.get(result.name) or {}
        entry = {"command": command, "status": result.status, "finished_at": result.finished_at, "error": result.error or None}
        if result.policy_accepted:  # failed policy checks applied on someone's word: who, why, which
            entry["policy_accepted"] = {**result.policy_accepted, "checks": [f"{f.check_id} {f.resource}" for f in result.policy.failed]}
        if command == "apply" and inputs and result.name in inputs and result.status in ("ok", "no-changes"):
            entry.update(inputs_sha256=saved_plan.inputs_sha256(inputs[result.name]), inputs_by_key=key_digests(inputs[result.name]),
                         applied_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(result.finished_at or time.time())),
                         module_commit=(module_commits or {}).get(result.name))
        elif command == "apply" and previous.get("inputs_sha256"):  # a failed apply: what was last applied in full stays
            entry.update({k: previous[k] for k in ("inputs_sha256", "inputs_by_key", "applied_at", "module_commit") if k in previous})
        stacks[result.name] = entry
    env_dir.mkdir(parents=True, exist_ok=True)
    temporary = path(env_dir).with_suffix(".tmp")
    temporary.write_text(json.dumps({"stacks": stacks}, indent=2, sort_keys=True))
    temporary.replace(path(env_dir))
