"""The record kept beside a saved plan, and the one decision made from it: may this plan be applied?

Pure functions: the caller reads the files and the current upstream outputs; nothing here runs
Terraform or touches the disk.
"""

from __future__ import annotations

import hashlib
import json
import time


def fingerprint(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def inputs_sha256(tfvars: str) -> str:
    return hashlib.sha256(tfvars.encode()).hexdigest()


def record(env: str, stack: str, destroy: bool, upstream: dict, placeholders: list[str], tfvars: str, changes: dict) -> dict:
    """What a plan was made from, written beside it as ``PLAN.meta.json``."""
    return {
        "env": env,
        "stack": stack,
        "destroy": destroy,
        "upstream_fingerprint": fingerprint(upstream),
        "placeholders": placeholders,
        "inputs_sha256": inputs_sha256(tfvars),
        "changes": changes,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def refusal(meta: dict, env: str, stack: str, tfvars: str, upstream: dict | None) -> str | None:
    """Why the plan of this record must not be applied now, or None.

    ``upstream``: the upstream outputs as they are now, for a plan made earlier (Atlantis, CI)
    that must not have gone stale; None for the plan this run has just made.
    """
    if meta["placeholders"] and not meta["destroy"]:
        return f"refusing to apply a plan made with placeholders for {', '.join(meta['placeholders'])}"
    if upstream is None:
        return None
    if (meta.get("env"), meta.get("stack")) != (env, stack):
        return f"it is a plan of {meta.get('env')}/{meta.get('stack')}, not {env}/{stack}"
    if fingerprint(upstream) != meta["upstream_fingerprint"]:
        return "stale plan: the outputs of its upstream stacks changed since it was made; plan again"
    if inputs_sha256(tfvars) != meta["inputs_sha256"]:
        return "stale plan: this environment's inputs for the stack changed since it was made; plan again"
    return None
