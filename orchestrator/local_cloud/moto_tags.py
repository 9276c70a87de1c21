"""Tags of Application Auto Scaling scalable targets, which moto 5.2 does not serve.

The real provider reads a scalable target's tags after creating it (``ListTagsForResource``); moto
answers that action "not implemented" (HTTP 500), which the AWS SDK retries for minutes: an
``aws_appautoscaling_target`` stays "Still creating..." (prod, whose service autoscales). This adds
the three tag actions to moto's Application Auto Scaling in the local cloud's server process only:
tags given to ``RegisterScalableTarget`` are kept by the target's ARN, ``TagResource`` and
``UntagResource`` change them, ``ListTagsForResource`` answers them, an unknown ARN is AWS's
``ResourceNotFoundException``. A gap of moto, bridged in the local cloud; the modules are not changed.
"""

from __future__ import annotations

import json


def _tags(backend) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "orchestrator_tags"):
        backend.orchestrator_tags = {}
    return backend.orchestrator_tags


def _known(backend, arn: str) -> bool:
    return any(target.arn == arn for targets in backend.targets.values() for target in targets.values())


def install() -> None:
    """Patch moto's Application Auto Scaling responses (idempotent)."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as Response
    from moto.core.exceptions import JsonRESTError

    if getattr(Response, "orchestrator_tags", False):
        return
    register = Response.register_scalable_target

    def register_scalable_target(self) -> str:
        answer = register(self)
        given = self._get_param("Tags") or {}
        if given:
            _tags(self.applicationautoscaling_backend).setdefault(json.loads(answer)["ScalableTargetARN"], {}).update(given)
        return answer

    def _arn(self) -> str:
        arn = self._get_param("ResourceARN")
        if not _known(self.applicationautoscaling_backend, arn):
            raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for {arn}")
        return arn

    def list_tags_for_resource(self) -> str:
        return json.dumps({"Tags": _tags(self.applicationautoscaling_backend).get(_arn(self), {})})

    def tag_resource(self) -> str:
        _tags(self.applicationautoscaling_backend).setdefault(_arn(self), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        held = _tags(self.applicationautoscaling_backend).setdefault(_arn(self), {})
        for key in self._get_param("TagKeys") or []:
            held.pop(key, None)
        return "{}"

    Response.register_scalable_target = register_scalable_target
    Response.list_tags_for_resource = list_tags_for_resource
    Response.tag_resource = tag_resource
    Response.untag_resource = untag_resource
    Response.orchestrator_tags = True
