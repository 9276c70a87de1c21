"""The record kept beside a saved plan, and the one decision made from it: may this plan be applied?

Pure functions but ``read_meta``: the caller reads the plan files and the current upstream outputs;
nothing here runs Terraform.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from orchestrator.config.errors import InputError, Problem
from orchestrator.terraform import workdir


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


def read_meta(plan_file: Path) -> dict | None:
    """The record beside a saved plan (``PLAN.meta.json``), or None when there is none readable."""
    try:
        return json.loads(workdir.meta_path(plan_file).read_text())
    except (OSError, ValueError):
        return None


def skipped(env: str, stack: str, reason: str) -> dict:
    """The record of a plan that was not made because nothing changed (``plan --skip-unchanged-since``):
    applying it applies nothing (Atlantis applies every project it counted, including these)."""
    return {"env": env, "stack": stack, "skipped": reason, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def skipped_reason(meta: dict | None, env: str, stack: str) -> str | None:
    """The reason of a ``skipped`` record of this environment and stack, or None."""
    if meta and meta.get("skipped") and (meta.get("env"), meta.get("stack")) == (env, stack):
        return meta["skipped"]
    return None


def write_skipped(plan_out: Path, env: str, stack: str, reason: str) -> None:
    """In place of a plan at ``plan_out``: the record that nothing was planned. An earlier plan there
    must not be applied; applying this record applies nothing."""
    plan_out.unlink(missing_ok=True)
    workdir.meta_path(plan_out).write_text(json.dumps(skipped(env, stack, reason)))


def replay_skipped(plan_file: Path, env: str, stack: str, applying: bool) -> str:
    """``--plan-file`` naming no plan: the reason of its skipped record (nothing was planned, so nothing
    is applied or checked; applying consumes the record); bad input when there is no such record either."""
    reason = skipped_reason(read_meta(plan_file), env, stack)
    if reason is None:
        raise InputError([Problem(str(plan_file), "--plan-file", "no such saved plan")])
    if applying:
        workdir.meta_path(plan_file).unlink(missing_ok=True)
    return reason


def discard(plan_file: Path) -> None:
    """A plan once applied is gone, with its record (as Atlantis does with its own plan files)."""
    plan_file.unlink(missing_ok=True)
    workdir.meta_path(plan_file).unlink(missing_ok=True)


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


def actions(plan_document: dict) -> dict[str, list[str]]:
    """What a plan does, object by object: address -> Terraform's actions (no-ops and reads left out)."""
    return {change["address"]: change["change"]["actions"] for change in plan_document.get("resource_changes", [])
            if change["change"]["actions"] not in (["no-op"], ["read"])}


def reshaped(reviewed: dict, fresh: dict) -> str | None:
    """Why a plan made now against the applied upstreams is not the reviewed plan that was made with
    placeholders (other objects, or other actions on them), or None when it does what was reviewed."""
    before, after = actions(reviewed), actions(fresh)
    if before == after:
        return None
    lines = [f"  {address}: reviewed {before.get(address, ['nothing'])}, now {after.get(address, ['nothing'])}"
             for address in sorted(set(before) | set(after)) if before.get(address) != after.get(address)]
    return ("the plan made with placeholders does something else now that its upstreams are applied:\n"
            + "\n".join(lines) + "\nplan again and review the new plan")
