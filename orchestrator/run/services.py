"""Which service of an environment's ``services`` a planned or drifted resource belongs to.

The ecs module tags every taggable resource of a service ``Service = NAME`` (the main service's
resources carry no such tag), so a plan or a refresh-only plan names the service without knowing
the module's resource names.
"""

from __future__ import annotations


def service_of(change: dict) -> str | None:
    """The Service tag of a ``resource_changes`` or ``resource_drift`` entry (after, else before)."""
    for side in ("after", "before"):
        tags = (change.get("change", {}).get(side) or {}).get("tags") or {}
        if isinstance(tags, dict) and isinstance(tags.get("Service"), str):
            return tags["Service"]
    return None
