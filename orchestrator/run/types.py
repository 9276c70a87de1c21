"""The values a run is made of: what to do (``RunOptions``) and what happened to each stack (``StackResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.policy.checks import PolicyResult
from orchestrator.run.replacements import Deletion

# What each command's jobs wait for: nothing (they read upstream outputs from state), their
# upstreams (they change what downstreams read), or their downstreams (destroy runs in reverse).
WAITS_FOR = {"plan": "nothing", "output": "nothing", "policy-check": "nothing", "apply": "upstreams", "destroy": "downstreams"}
# Commands that hand secrets to Terraform; the others never resolve them.
USES_SECRETS = frozenset({"plan", "apply", "destroy"})


@dataclass(frozen=True)
class RunOptions:
    command: str  # plan | apply | destroy | output | policy-check
    env: str
    stacks: tuple[str, ...] = ()
    provider: str = "auto"  # auto | aws | local | moto
    state: str = "auto"  # auto | local | s3: where state lives (target.state_backend)
    parallelism: int = 4
    auto_approve: bool = False
    plan_json: bool = False  # write `terraform show -json` of every saved plan
    plan_out: Path | None = None  # plan: also save the plan (and its record) here (one stack)
    plan_file: Path | None = None  # apply: apply this saved plan instead of planning (one stack)
    lock_wait_seconds: float = 0.0  # wait this long for another run of the environment to finish
    show_plan: bool = False  # keep `terraform show` of every saved plan (the text people review)
    accept_policy_failures: str | None = None  # apply: the reason failed policy checks are accepted (policy.owners)
    allow_destroy: bool = False  # apply: plans that lose objects (destroys, replacements) go on without asking


@dataclass
class StackResult:
    name: str
    status: str = "queued"  # ok | failed | skipped | no-changes (and queued while running)
    changes: dict = field(default_factory=lambda: {"add": 0, "change": 0, "destroy": 0})
    workdir: str | None = None
    plan_json: str | None = None
    outputs: dict = field(default_factory=dict)
    seconds: float = 0.0
    terraform_seconds: float = 0.0
    placeholders: list[str] = field(default_factory=list)
    error: str = ""
    log: str | None = None
    plan_text: str = ""
    sensitive: set = field(default_factory=set)
    started_at: float | None = None
    finished_at: float | None = None
    policy: PolicyResult | None = None  # the policy checks of the stack's plan, when checked
    policy_accepted: dict | None = None  # {"by", "reason"}: failed checks accepted on the command line
    deletions: list[Deletion] = field(default_factory=list)  # what the plan deletes: losses and new revisions

    def report(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "changes": self.changes,
            "workdir": self.workdir,
            "plan_json": self.plan_json,
            "outputs": {k: ("(sensitive)" if k in self.sensitive else v) for k, v in self.outputs.items()},
            "seconds": round(self.seconds, 3),
            "terraform_seconds": round(self.terraform_seconds, 3),
            "placeholders": self.placeholders,
            "error": self.error or None,
            "log": self.log,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "policy": None if self.policy is None else {**self.policy.report(), "accepted_by": self.policy_accepted},
            "new_revisions": [d.report() for d in self.new_revisions],
        }

    @property
    def new_revisions(self) -> list[Deletion]:
        """Replacements that are only a new revision (``replacements.REVISIONED``): routine, not losses."""
        return [d for d in self.deletions if not d.loss]


class StackFailure(Exception):
    """A Terraform step of one stack failed; the message holds Terraform's own error lines."""
