"""Tags given to ``CreateBucket``, which moto 5.2 drops.

The real provider creates an S3 bucket with its tags in the request body
(``CreateBucketConfiguration/Tags``, "tag on create") and reads them back through S3 Control's
``ListTagsForResource``. moto creates the bucket but ignores those tags, so it answers none: every
re-plan after apply wanted to add the tags again (prod's ALB access-log bucket,
``aws_s3_bucket.access_logs``: ``tags {} -> {Component, Name}``). This keeps them, in moto's own
tagger (the one ``PutBucketTagging`` and S3 Control's tag actions use), when a ``CreateBucket``
succeeds; in the local cloud's server process only; the modules are not changed.
"""

from __future__ import annotations


def given_tags(body: bytes | str | None) -> dict[str, str]:
    """The tags of a CreateBucket request body (empty when it carries none)."""
    import xmltodict

    if not body:
        return {}
    try:
        configuration = xmltodict.parse(body).get("CreateBucketConfiguration") or {}
    except Exception:  # not XML: moto answers the request itself
        return {}
    tags = (configuration.get("Tags") or {}).get("Tag") or []
    if isinstance(tags, dict):
        tags = [tags]
    return {tag["Key"]: tag.get("Value") or "" for tag in tags}


def install() -> None:
    """Patch moto's S3 bucket PUT (idempotent)."""
    from moto.s3.responses import S3Response

    if getattr(S3Response, "orchestrator_bucket_tags", False):
        return
    put = S3Response._bucket_response_put

    def _bucket_response_put(self, request, bucket_name, querystring):
        answer = put(self, request, bucket_name, querystring)
        failed = isinstance(answer, tuple) and isinstance(answer[0], int) and answer[0] >= 300
        tags = {} if querystring or failed else given_tags(self.body)
        if tags:
            self.backend.put_bucket_tagging(bucket_name, tags)
        return answer

    S3Response._bucket_response_put = _bucket_response_put
    S3Response.orchestrator_bucket_tags = True
