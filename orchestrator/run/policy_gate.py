"""The two questions asked between a stack's plan and its apply.

1. Does the plan pass the policy checks? A failed check that the environment does not accept
   (``policy.accept``) refuses the apply, unless ``--accept-policy-failures REASON`` is given by one
   of ``policy.owners`` (anyone, when the list is empty); the acceptance, who and why, is kept in the
   run's record. This mirrors Atlantis: a failing policy check blocks apply until a policy owner
   approves (``approve_policies``). Who the user is comes from ORCHESTRATOR_USER, else git's
   user.email, else the login: a record, not authentication (the boundary is who may run apply:
   the CI job or the Atlantis server).
2. Does the plan lose anything: destroy an object, or replace one whose type is not revisioned
   (``replacements``: a new task definition revision is routine, not a loss)? Then a person on a
   terminal is shown what and asked; without a terminal the apply is refused unless
   ``--auto-approve`` or ``--allow-destroy`` says so. Terraform asks before every apply; the
   orchestrator asks at least before every loss.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from dataclasses import dataclass

from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.project import Project
from orchestrator.policy.checks import PolicyChecker, PolicyError, PolicyResult

POLICY_DIRS = ("policies/checkov",)
CHECKED_COMMANDS = ("plan", "apply", "policy-check")
__all__ = ["PolicyError", "acceptance", "checker", "destroy_refusal", "identity", "refusal"]


def checker(project: Project, env: LoadedEnvironment, command: str, note) -> PolicyChecker | None:
    """The run's policy checker, or None when the environment or the command checks nothing."""
    if command not in CHECKED_COMMANDS or not env.config.policy.checks:
        return None
    return PolicyChecker([project.root / d for d in POLICY_DIRS], env.config.policy.accept, note)


def identity() -> str:
    """Who is running: ORCHESTRATOR_USER, else git's user.email, else the login name."""
    if os.environ.get("ORCHESTRATOR_USER"):
        return os.environ["ORCHESTRATOR_USER"]
    try:
        done = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True, timeout=10)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except OSError:
        pass
    return getpass.getuser()


@dataclass(frozen=True)
class Acceptance:
    """An ``--accept-policy-failures`` given on the command line, checked against the owners."""

    by: str
    reason: str


def acceptance(env: LoadedEnvironment, reason: str | None, where: str) -> Acceptance | None:
    """The acceptance of this run, or None; bad input when the user is not a policy owner."""
    if reason is None:
        return None
    if len(reason.strip()) < 10:
        raise InputError([Problem("<command line>", "--accept-policy-failures", "give the reason in words (at least 10 characters)")])
    who = identity()
    owners = env.config.policy.owners
    if owners and who not in owners:
        raise InputError([Problem(where, "policy.owners", f"{who!r} is not a policy owner of this environment "
                                  f"({', '.join(owners)}); ask one of them to accept the failed checks")])
    return Acceptance(who, reason.strip())


def refusal(result: PolicyResult, env_file: str, accepted: Acceptance | None) -> str | None:
    """Why the plan must not be applied because of its policy checks, or None."""
    if result.ok or accepted is not None:
        return None
    lines = "\n".join(f"  {line}" for line in result.lines())
    # The first line stands alone: progress lines, drift reports and status show only that one.
    failed = ", ".join(dict.fromkeys(f.check_id for f in result.failed))
    return (f"policy checks failed ({failed}); nothing was applied to this stack\n{lines}\n"
            f"Fix the configuration, accept a check in {env_file} (policy.accept: ID: reason), "
            "or apply with --accept-policy-failures REASON (policy.owners).")


def destroy_refusal(stack: str, lost: list[str], allowed: bool, ask) -> str | None:
    """Why a plan that loses objects must not be applied, or None (``lost``: '<address> (destroy|replace)'
    each, new revisions left out; ``ask``: a person said yes)."""
    if not lost or allowed:
        return None
    listing = "\n".join(f"  {item}" for item in lost)
    if not sys.stdin.isatty():
        return (f"the plan destroys or replaces {len(lost)} object(s) and there is no terminal to ask:\n{listing}\n"
                "Review the plan (plan --show) and apply with --allow-destroy (or --auto-approve).")
    if ask(f"{stack}: the plan destroys or replaces {len(lost)} object(s):\n{listing}\nApply {stack}? Type 'yes' to go on: "):
        return None
    return "not approved: the plan destroys or replaces objects and the answer was not 'yes'"
