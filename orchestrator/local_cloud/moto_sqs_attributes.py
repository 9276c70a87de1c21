"""Three SQS queue attributes moto 5 gets wrong, which the queue stack (a team-added example) meets.

- ``RedriveAllowPolicy``: moto stores it on ``SetQueueAttributes`` but never answers it, and refuses
  it by name in ``GetQueueAttributes`` (``InvalidAttributeName``). The real provider's
  ``aws_sqs_queue_redrive_allow_policy`` waits for the attribute to read back as written, so an
  apply hung in "Still creating..." until the provider's timeout.
- ``Policy``: any ``SetQueueAttributes`` call that does not carry a ``Policy`` reset it to none (moto
  assigns ``attributes.get("Policy")``). AWS changes only the attributes a call names, so after the
  redrive allow policy was set, the dead-letter queue's ``aws_sqs_queue_policy`` was gone and the
  next plan created it again.
- ``RedrivePolicy`` reads back as ``json.dumps`` writes it, with spaces after ``:`` and ``,``; AWS
  answers compact JSON, as Terraform's ``jsonencode`` writes it, and the provider showed the
  difference as an update ("whitespace changes") on every re-plan.

This answers the first, keeps the second and compacts the third, in the local cloud's server process
only; the modules are not changed.
"""

from __future__ import annotations

import json

ALLOW = "RedriveAllowPolicy"


def install() -> None:
    """Patch moto's SQS queue model and backend (idempotent)."""
    from moto.sqs.models import Queue, SQSBackend

    if getattr(Queue, "orchestrator_sqs_attributes", False):
        return
    attributes, set_attributes, get_queue_attributes = Queue.attributes.fget, Queue._set_attributes, SQSBackend.get_queue_attributes

    def _attributes(self) -> dict:
        found = attributes(self)
        if found.get("RedrivePolicy"):
            found["RedrivePolicy"] = json.dumps(json.loads(found["RedrivePolicy"]), separators=(",", ":"))
        if getattr(self, "redrive_allow_policy", None):
            found[ALLOW] = self.redrive_allow_policy
        return found

    def _set_attributes(self, given: dict, now: float | None = None) -> None:
        policy = getattr(self, "policy", None)
        set_attributes(self, given, now)
        if "Policy" not in given:
            self.policy = policy

    def _get_queue_attributes(self, queue_name: str, attribute_names: list[str]) -> dict:
        others = [name for name in attribute_names if name != ALLOW]
        found = get_queue_attributes(self, queue_name, others) if others else {}
        if ALLOW in attribute_names:
            value = getattr(self.get_queue(queue_name), "redrive_allow_policy", None)
            if value:
                found[ALLOW] = value
        return found

    Queue.attributes = property(_attributes)
    Queue._set_attributes = _set_attributes
    SQSBackend.get_queue_attributes = _get_queue_attributes
    Queue.orchestrator_sqs_attributes = True
