"""The ``aws:SecureTransport`` condition of bucket policies, which moto 5.2 ignores.

moto evaluates a bucket policy's conditions with ``StringEquals`` only and treats any other
operator as met. The TLS-only statement every state bucket carries (``bootstrap``: Deny ``s3:*``
when ``aws:SecureTransport`` is ``false``) then denied *every* object request, and Terraform's S3
backend on the local cloud met ``403 Forbidden`` on its first ``HeadObject``. This evaluates that
one condition before moto sees the policy: the local cloud serves plain HTTP on loopback only and
counts its requests as TLS (as AWS counts the SDKs' HTTPS requests), so a statement that applies
without TLS is left out and the key is dropped from the others. In the local cloud's server
process only; other conditions are moto's as before.
"""

from __future__ import annotations

import json

KEY = "aws:securetransport"
TRANSPORT_IS_SECURE = "true"  # what every request to the local cloud counts as


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def as_seen_over_tls(policy: dict) -> dict:
    """The policy with ``Bool``/``aws:SecureTransport`` evaluated for a TLS request."""
    statements = []
    for statement in _as_list(policy.get("Statement", [])):
        condition = {op: dict(values) for op, values in (statement.get("Condition") or {}).items()}
        booleans = condition.get("Bool", {})
        transport = [key for key in booleans if key.lower() == KEY]
        if transport and TRANSPORT_IS_SECURE not in [str(v).lower() for v in _as_list(booleans[transport[0]])]:
            continue  # applies only to requests without TLS
        for key in transport:
            del booleans[key]
        if "Bool" in condition and not booleans:
            del condition["Bool"]
        statements.append({**statement, "Condition": condition} if condition else {k: v for k, v in statement.items() if k != "Condition"})
    return {**policy, "Statement": statements}


def install() -> None:
    """Patch moto's bucket permission check (idempotent)."""
    from moto.s3.models import FakeBucket

    if getattr(FakeBucket, "orchestrator_secure_transport", False):
        return
    get_permission = FakeBucket.get_permission

    def permission(self, action: str, resource: str):
        if self.policy is None:
            return get_permission(self, action, resource)
        original = self.policy
        try:
            self.policy = json.dumps(as_seen_over_tls(json.loads(original))).encode()
            return get_permission(self, action, resource)
        finally:
            self.policy = original

    FakeBucket.get_permission = permission
    FakeBucket.orchestrator_secure_transport = True
