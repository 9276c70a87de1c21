"""`state-history ENV STACK` and `state-restore ENV STACK VERSION`: a stack's state, version by version.

The state bucket keeps every version of every state object (``bootstrap`` enforces versioning), so
a state deleted or corrupted by hand, or written by a bad run, can be brought back. History lists
the versions of the stack's key (when, size, Terraform's serial and lineage, the uploader S3 names);
restore writes a chosen version back as the newest one, after confirmation, under the environment's
lock and Terraform's own S3 lock (the ``.tflock`` object, taken with a conditional write as
``use_lockfile`` takes it), with its serial above every earlier one. A version of another lineage
(another stack's state, or a state begun afresh) is refused: Terraform would take it for a different
world and plan to replace everything.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from rich.console import Console

from orchestrator.config.errors import InputError, OrchestratorError, Problem
from orchestrator.config.project import Project
from orchestrator.run import bootstrap, core, policy_gate
from orchestrator.run import lock as envlock
from orchestrator.run.confirm import confirm
from orchestrator.terraform.target import Target


@dataclass(frozen=True)
class Version:
    version_id: str
    modified: str
    size: int
    latest: bool
    deleted: bool  # a delete marker: the state was deleted here
    serial: int | None = None
    lineage: str | None = None
    terraform_version: str | None = None
    uploaded_by: str | None = None
    readable: bool = True

    def document(self) -> dict:
        return {"version_id": self.version_id, "modified": self.modified, "size": self.size, "latest": self.latest,
                "deleted": self.deleted, "serial": self.serial, "lineage": self.lineage,
                "terraform_version": self.terraform_version, "uploaded_by": self.uploaded_by, "readable": self.readable}


@dataclass(frozen=True)
class StateObject:
    target: Target
    s3: object
    bucket: str
    key: str
    where: str  # the cloud it is in, for people

    def body(self, version_id: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)["Body"].read()


def locate(project: Project, env_name: str, stack: str, provider: str, state: str) -> StateObject:
    """The stack's state object in S3 where ``provider``/``state`` keep it; bad input when state is not in S3."""
    prepared = core.prepare(project, env_name, (stack,))
    target = Target.of(prepared.env, provider, state)
    if target.state != "s3":
        raise InputError([Problem(project.display(prepared.env.files[-1]), "backend.type",
                                  f"{env_name} keeps {stack}'s state in a local file here: versions live in S3 only (--state s3)")])
    bucket = bootstrap.state_bucket(prepared.env, project.display(prepared.env.files[-1]))
    s3, _account, where = bootstrap.s3_client(project, target, bucket.region)
    return StateObject(target, s3, bucket.name, target.state_key(prepared.graph.stacks[stack]), where)


def history(state: StateObject) -> list[Version]:
    """Every version of the state object, newest first, each read for its serial and lineage."""
    found = []
    paginator = state.s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=state.bucket, Prefix=state.key):
        entries = [(v, False) for v in page.get("Versions", []) if v["Key"] == state.key]
        entries += [(m, True) for m in page.get("DeleteMarkers", []) if m["Key"] == state.key]
        for entry, deleted in entries:
            found.append((entry["LastModified"], entry.get("IsLatest", False), _version(state, entry, deleted)))
    # newest first at full precision (two writes in one second are common), the latest first among equals
    return [version for _, _, version in sorted(found, key=lambda item: (item[0], item[1]), reverse=True)]


def _version(state: StateObject, entry: dict, deleted: bool) -> Version:
    modified = entry["LastModified"].strftime("%Y-%m-%dT%H:%M:%SZ")
    owner = (entry.get("Owner") or {}).get("DisplayName") or (entry.get("Owner") or {}).get("ID")
    common = dict(version_id=entry["VersionId"], modified=modified, size=entry.get("Size", 0), latest=entry.get("IsLatest", False),
                  deleted=deleted, uploaded_by=owner)
    if deleted:
        return Version(**common, readable=False)
    try:
        document = json.loads(state.body(entry["VersionId"]))
        return Version(**common, serial=document["serial"], lineage=document["lineage"],
                       terraform_version=document.get("terraform_version"))
    except (ValueError, KeyError, TypeError):
        return Version(**common, readable=False)


def restore(project: Project, env_name: str, stack: str, version_id: str, provider: str, state_option: str, auto_approve: bool,
            lock_wait: float, console: Console) -> dict:
    """Write ``version_id`` back as the stack's newest state (serial above every earlier one)."""
    state = locate(project, env_name, stack, provider, state_option)
    versions = history(state)
    chosen = next((v for v in versions if v.version_id == version_id), None)
    if chosen is None or not chosen.readable:
        why = "no such version" if chosen is None else "that version is a deletion or not a readable state"
        raise InputError([Problem("<command line>", "VERSION", f"{why} of s3://{state.bucket}/{state.key} (state-history lists them)")])
    # the stack's lineage: its newest readable state (the current one, unless it was deleted or corrupted)
    lineage = next((v.lineage for v in versions if v.readable), chosen.lineage)
    if chosen.lineage != lineage:
        raise InputError([Problem("<command line>", "VERSION", f"version {version_id} has lineage {chosen.lineage}, the stack's "
                                  f"state has {lineage}: it is another state (another stack's, or begun afresh); refusing")])
    if not auto_approve:
        confirm(console, f"Restore {stack} of {env_name} to version {version_id} (serial {chosen.serial}, {chosen.modified})?",
                "--auto-approve", "state-restore needs --auto-approve when there is no terminal to ask", "restore was not approved")
    document = json.loads(state.body(version_id))
    document["serial"] = max(v.serial or 0 for v in versions) + 1
    with envlock.hold(state.target.env_dir(project), env_name, "state-restore", lock_wait, (stack,)), _terraform_lock(state, stack):
        written = state.s3.put_object(Bucket=state.bucket, Key=state.key, Body=json.dumps(document, indent=2).encode(),
                                      ContentType="application/json", **_encryption(state))
    return {"env": env_name, "command": "state-restore", "stack": stack, "bucket": state.bucket, "key": state.key,
            "restored": version_id, "new_version": written.get("VersionId"), "serial": document["serial"], "lineage": lineage}


def _encryption(state: StateObject) -> dict:
    """As the backend writes state (``encrypt = true``, with the environment's KMS key when it names one)."""
    key = state.target.env.config.backend.kms_key_id
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if key else {"ServerSideEncryption": "AES256"}


class _terraform_lock:
    """Terraform's S3 lock of the state (``KEY.tflock``), taken as use_lockfile takes it: a write that
    succeeds only when no such object exists; released afterwards."""

    def __init__(self, state: StateObject, stack: str):
        self.state, self.stack = state, stack
        self.key = state.key + ".tflock"

    def __enter__(self):
        info = {"ID": str(uuid.uuid4()), "Operation": "OperationTypeInvalid", "Info": "orchestrator state-restore",
                "Who": policy_gate.identity(), "Version": "", "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "Path": f"{self.state.bucket}/{self.state.key}"}
        from botocore.exceptions import ClientError

        try:
            self.state.s3.put_object(Bucket=self.state.bucket, Key=self.key, Body=json.dumps(info).encode(), IfNoneMatch="*")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise OrchestratorError(f"the state lock of {self.stack} is held (s3://{self.state.bucket}/{self.key}): "
                                        "another run is using the state; try again when it is done") from None
            raise
        return self

    def __exit__(self, *exc):
        self.state.s3.delete_object(Bucket=self.state.bucket, Key=self.key)
        return False
