"""What a plan deletes: losses, and replacements that are only a new revision.

A replacement usually loses something: data (a bucket, a log group), an address others reach the object
by (a VPC's id, a load balancer's DNS name, a listener's ARN) or attachments (a target group's
targets). A few types are *revisioned* instead: a change registers a new immutable revision, the
previous one holds no data and no address anyone keeps, and what runs it moves to the new one in the
same apply. Every image bump replaces ``aws_ecs_task_definition``; gating that teaches people to pass
``--allow-destroy`` always. So the destroy gate (``policy_gate.destroy_refusal``) asks only for
losses, and summaries and the pull-request comment list new revisions apart from destroys and
replacements.

The revisioned types are declared here, once: only types the modules use, each with why, and the
argument that keeps the previous revision registered when the old object is "deleted".
"""

from __future__ import annotations

from dataclasses import dataclass

DESTROY, REPLACE, NEW_REVISION = "destroy", "replace", "new revision"


@dataclass(frozen=True)
class Revisioned:
    keeps_previous: str  # argument that, true in the prior state, keeps the previous revision (the provider skips its removal)
    why: str


REVISIONED = {
    "aws_ecs_task_definition": Revisioned(
        "skip_destroy",
        "an immutable revision of its family: a change registers the next revision, the service moves to it in the same "
        "apply, and nothing else keeps its ARN; with skip_destroy (the ecs module sets it) the previous revision stays "
        "registered, so a rollback can still run it",
    ),
}


@dataclass(frozen=True)
class Deletion:
    address: str
    action: str  # destroy | replace | new revision
    previous_kept: bool = False  # new revision: the previous one stays registered

    @property
    def loss(self) -> bool:
        return self.action != NEW_REVISION

    def report(self) -> dict:
        return {"address": self.address, "previous_kept": self.previous_kept}

    def __str__(self) -> str:
        if self.loss:
            return f"{self.address} ({self.action})"
        return f"{self.address} (new revision; previous {'kept' if self.previous_kept else 'deregistered'})"


def deletions(plan: dict) -> list[Deletion]:
    """Each object a plan (``terraform show -json``) deletes: destroyed, replaced, or replaced by a new revision."""
    found = []
    for change in plan.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if "delete" not in actions:
            continue
        revisioned = REVISIONED.get(change.get("type", ""))
        if "create" not in actions:
            found.append(Deletion(change["address"], DESTROY))
        elif revisioned is None:
            found.append(Deletion(change["address"], REPLACE))
        else:
            before = change["change"].get("before") or {}
            found.append(Deletion(change["address"], NEW_REVISION, before.get(revisioned.keeps_previous) is True))
    return found
