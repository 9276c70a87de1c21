"""What the last apply or destroy of each stack did, kept per environment (and provider mode).

    .orchestrator/<env>[.local]/last-run.json
        {"stacks": {"ecs": {"command": "apply", "status": "ok", "finished_at": 1764417600.0}, ...}}

Every apply and destroy updates the entries of the stacks it ran (a partial run leaves the others).
``promote`` reads it: a release whose last apply failed somewhere is not promoted.
"""

from __future__ import annotations

import json
from pathlib import Path

FILE_NAME = "last-run.json"
RECORDED = ("apply", "destroy")


def path(env_dir: Path) -> Path:
    return env_dir / FILE_NAME


def load(env_dir: Path) -> dict[str, dict]:
    try:
        return json.loads(path(env_dir).read_text())["stacks"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save(env_dir: Path, command: str, results) -> None:
    """Merge one run's per-stack outcome into the environment's record (apply and destroy only)."""
    if command not in RECORDED:
        return
    stacks = load(env_dir)
    for result in results:
        stacks[result.name] = {"command": command, "status": result.status, "finished_at": result.finished_at, "error": result.error or None}
    env_dir.mkdir(parents=True, exist_ok=True)
    temporary = path(env_dir).with_suffix(".tmp")
    temporary.write_text(json.dumps({"stacks": stacks}, indent=2, sort_keys=True))
    temporary.replace(path(env_dir))
