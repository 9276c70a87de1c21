"""``bootstrap ENV``: create the environment's state bucket and hold it to the settings state needs.

The settings are declared once, as data (``SETTINGS``): each reads the bucket's value, says whether
it meets what is expected, and applies the expected value. An existing bucket is only reported on
unless ``--fix``; a fix never weakens anything: it only turns protections on, adds its own policy
statement beside the bucket's others and its own lifecycle rule beside the bucket's others, and a
value stricter than expected (KMS where SSE-S3 is asked, a longer history) counts as ok.

Where: the real account (``--provider aws``, behind the account guard) or the local cloud (moto)
for the rehearsals, in the environment's own account there (the role a rehearsal assumes).

Exit status (config/exit_codes.py): 0 every setting holds (or was created or fixed), 3 a setting
differs (reported, not fixed: run again with --fix), 1 the credentials cannot (the missing
permission is named), 2 bad input (an environment without an S3 backend).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.config import exit_codes
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, OrchestratorError, Problem
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server
from orchestrator.run import accounts
from orchestrator.terraform.target import Target

NONCURRENT_DAYS = 90  # state history kept at least this long after a version is replaced
POLICY_SID = "DenyInsecureTransport"
LIFECYCLE_RULE_ID = "orchestrator-noncurrent-versions"
PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
# S3 answers these codes when a setting was never configured: the setting's value is then None.
NOT_CONFIGURED = {"ServerSideEncryptionConfigurationNotFoundError", "NoSuchPublicAccessBlockConfiguration",
                  "OwnershipControlsNotFoundError", "NoSuchBucketPolicy", "NoSuchLifecycleConfiguration"}
# The IAM action behind an S3 API call, where its name is not "s3:" + the operation's.
IAM_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
}


class BootstrapError(OrchestratorError):
    """The bucket could not be read or changed (exit 1): the message names the missing permission."""


@dataclass(frozen=True)
class Bucket:
    """The state bucket as the settings see it."""

    name: str
    region: str
    kms_key_id: str | None

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


@dataclass(frozen=True)
class Setting:
    """One property of the bucket: ``read`` its value (None: never configured), does it ``meets`` the
    expected value, and ``apply`` the expected value while keeping what else the bucket holds."""

    name: str
    expected: Callable[[Bucket], object]
    read: Callable[[object, Bucket], object]
    meets: Callable[[object, object], bool]
    apply: Callable[[object, Bucket, object, object], None]


def _get(call, *missing: str, **kwargs):
    """An S3 read; None when the bucket has no such configuration."""
    from botocore.exceptions import ClientError

    try:
        return call(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NOT_CONFIGURED:
            return None
        raise


# versioning -----------------------------------------------------------------------------------
def _read_versioning(s3, bucket: Bucket):
    return s3.get_bucket_versioning(Bucket=bucket.name).get("Status")  # None: never enabled


def _apply_versioning(s3, bucket: Bucket, expected, actual) -> None:
    s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})


# default encryption ---------------------------------------------------------------------------
def _expected_encryption(bucket: Bucket) -> dict:
    if bucket.kms_key_id:
        return {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": bucket.kms_key_id}
    return {"SSEAlgorithm": "AES256"}


def _read_encryption(s3, bucket: Bucket):
    answer = _get(s3.get_bucket_encryption, Bucket=bucket.name)
    rules = (answer or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return rules[0].get("ApplyServerSideEncryptionByDefault") if rules else None


def _same_key(expected: str, actual: str | None) -> bool:
    """A key named by id, ARN or alias: the ARN S3 may answer ends with the id or alias given."""
    return bool(actual) and (actual == expected or actual.endswith(":" + expected) or actual.endswith("/" + expected.removeprefix("alias/")))


def _meets_encryption(expected: dict, actual) -> bool:
    if not actual:
        return False
    algorithm = actual.get("SSEAlgorithm", "")
    if expected["SSEAlgorithm"] == "AES256":
        return algorithm in ("AES256", "aws:kms", "aws:kms:dsse")  # KMS is stricter than SSE-S3
    return algorithm.startswith("aws:kms") and _same_key(expected["KMSMasterKeyID"], actual.get("KMSMasterKeyID"))


def _apply_encryption(s3, bucket: Bucket, expected, actual) -> None:
    rule = {"ApplyServerSideEncryptionByDefault": expected, "BucketKeyEnabled": "KMSMasterKeyID" in expected}
    s3.put_bucket_encryption(Bucket=bucket.name, ServerSideEncryptionConfiguration={"Rules": [rule]})


# public access block ---------------------------------------------------------------------------
def _read_public_access_block(s3, bucket: Bucket):
    answer = _get(s3.get_public_access_block, Bucket=bucket.name)
    return (answer or {}).get("PublicAccessBlockConfiguration")


def _meets_all_true(expected: dict, actual) -> bool:
    return bool(actual) and all(actual.get(key) for key in expected)


def _apply_public_access_block(s3, bucket: Bucket, expected, actual) -> None:
    s3.put_public_access_block(Bucket=bucket.name, PublicAccessBlockConfiguration=dict(PUBLIC_ACCESS_BLOCK))


# object ownership -----------------------------------------------------------------------------
def _read_ownership(s3, bucket: Bucket):
    answer = _get(s3.get_bucket_ownership_controls, Bucket=bucket.name)
    rules = (answer or {}).get("OwnershipControls", {}).get("Rules", [])
    return rules[0].get("ObjectOwnership") if rules else None


def _apply_ownership(s3, bucket: Bucket, expected, actual) -> None:
    s3.put_bucket_ownership_controls(Bucket=bucket.name, OwnershipControls={"Rules": [{"ObjectOwnership": expected}]})


# TLS-only bucket policy -----------------------------------------------------------------------
def _expected_statement(bucket: Bucket) -> dict:
    return {"Sid": POLICY_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket.arn, f"{bucket.arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _denies_insecure_transport(statement: dict, expected: dict) -> bool:
    """Does ``statement`` deny at least what the expected one does (everyone, every S3 action, the
    bucket and its objects, whenever the request is not over TLS)?"""
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
    actions = set(_as_list(statement.get("Action", [])))
    resources = set(_as_list(statement.get("Resource", [])))
    condition = statement.get("Condition", {})
    transport = condition.get("Bool", {}).get("aws:SecureTransport")
    return (statement.get("Effect") == "Deny" and everyone and bool(actions & {"s3:*", "*"})
            and ("*" in resources or set(expected["Resource"]) <= resources)
            and set(condition) == {"Bool"} and set(condition["Bool"]) == {"aws:SecureTransport"}
            and str(_as_list(transport)[0]).lower() == "false")


def _read_policy(s3, bucket: Bucket):
    answer = _get(s3.get_bucket_policy, Bucket=bucket.name)
    return json.loads(answer["Policy"]) if answer else None


def _meets_policy(expected: dict, actual) -> bool:
    return any(_denies_insecure_transport(s, expected) for s in _as_list((actual or {}).get("Statement", [])))


def _apply_policy(s3, bucket: Bucket, expected, actual) -> None:
    """Add the statement beside every statement the policy has (none is removed or changed)."""
    policy = dict(actual or {"Version": "2012-10-17"})
    statements = _as_list(policy.get("Statement", []))
    taken = {s.get("Sid") for s in statements}
    sid = next(f"{POLICY_SID}{n or ''}" for n in range(len(taken) + 1) if f"{POLICY_SID}{n or ''}" not in taken)
    policy["Statement"] = [*statements, {**expected, "Sid": sid}]
    s3.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps(policy))


# lifecycle: noncurrent versions expire --------------------------------------------------------
def _whole_bucket(rule: dict) -> bool:
    return rule.get("Prefix", "") == "" and not any((rule.get("Filter") or {}).values())


def _read_lifecycle(s3, bucket: Bucket):
    answer = _get(s3.get_bucket_lifecycle_configuration, Bucket=bucket.name)
    return (answer or {}).get("Rules") or None


def _noncurrent_days(rules) -> int | None:
    """The shortest time any enabled whole-bucket rule keeps a noncurrent version (None: kept for ever)."""
    days = [rule["NoncurrentVersionExpiration"].get("NoncurrentDays") for rule in rules or []
            if rule.get("Status") == "Enabled" and _whole_bucket(rule) and rule.get("NoncurrentVersionExpiration")]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def _meets_lifecycle(expected: dict, actual) -> bool:
    days = _noncurrent_days(actual)
    return days is not None and days >= expected["NoncurrentDays"]  # a longer history is not weaker


def _apply_lifecycle(s3, bucket: Bucket, expected, actual) -> None:
    """Put the project's rule beside the bucket's other rules (PutBucketLifecycleConfiguration replaces all)."""
    rules = [rule for rule in actual or [] if rule.get("ID") != LIFECYCLE_RULE_ID]
    rules.append({"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
                  "NoncurrentVersionExpiration": {"NoncurrentDays": expected["NoncurrentDays"]}})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket.name, LifecycleConfiguration={"Rules": rules})


SETTINGS = (
    Setting("versioning", lambda b: "Enabled", _read_versioning, lambda e, a: a == e, _apply_versioning),
    Setting("encryption", _expected_encryption, _read_encryption, _meets_encryption, _apply_encryption),
    Setting("public_access_block", lambda b: dict(PUBLIC_ACCESS_BLOCK), _read_public_access_block, _meets_all_true,
            _apply_public_access_block),
    Setting("object_ownership", lambda b: "BucketOwnerEnforced", _read_ownership, lambda e, a: a == e, _apply_ownership),
    Setting("tls_only_policy", _expected_statement, _read_policy, _meets_policy, _apply_policy),
    Setting("noncurrent_version_expiration", lambda b: {"NoncurrentDays": NONCURRENT_DAYS}, _read_lifecycle,
            _meets_lifecycle, _apply_lifecycle),
)


@dataclass
class Outcome:
    env: str
    target: str  # "AWS eu-west-1" or "moto at http://..."
    bucket: str
    region: str
    account: str
    created: bool = False
    settings: list[dict] = field(default_factory=list)  # name, expected, actual, status (ok|differs|fixed|created)

    @property
    def exit_code(self) -> int:
        return exit_codes.CHANGES if any(s["status"] == "differs" for s in self.settings) else exit_codes.OK

    def document(self) -> dict:
        return {"env": self.env, "command": "bootstrap", "target": self.target, "bucket": self.bucket, "region": self.region,
                "account": self.account, "created": self.created, "settings": self.settings, "exit_code": self.exit_code}


def _permission_error(error, bucket: str) -> BootstrapError:
    operation = getattr(error, "operation_name", "") or ""
    action = IAM_ACTIONS.get(operation, f"s3:{operation}")
    code = error.response.get("Error", {}).get("Code", "")
    return BootstrapError(f"bootstrap of bucket {bucket!r}: {operation} was refused ({code}): the credentials lack "
                          f"{action} on arn:aws:s3:::{bucket}; nothing after it was changed")


def _exists(s3, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=name)
        return True
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or error.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return False
        if status == 403:
            raise BootstrapError(f"bucket {name!r} exists but cannot be read with these credentials (403): it belongs to "
                                 "another account, or they lack s3:ListBucket on it") from None
        raise


def _create(s3, bucket: Bucket) -> None:
    arguments = {"Bucket": bucket.name}
    if bucket.region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": bucket.region}
    s3.create_bucket(**arguments)


def enforce(s3, bucket: Bucket, fix: bool, outcome: Outcome) -> Outcome:
    """Create the bucket if missing, then check (and with ``fix``, or on a new bucket, apply) every setting."""
    from botocore.exceptions import ClientError

    try:
        if not _exists(s3, bucket.name):
            _create(s3, bucket)
            outcome.created = True
        for setting in SETTINGS:
            expected = setting.expected(bucket)
            actual = setting.read(s3, bucket)
            status = "ok"
            if not setting.meets(expected, actual):
                status = "differs"
                if fix or outcome.created:
                    setting.apply(s3, bucket, expected, actual)
                    actual = setting.read(s3, bucket)
                    if setting.meets(expected, actual):
                        status = "created" if outcome.created else "fixed"
            outcome.settings.append({"name": setting.name, "expected": expected, "actual": actual, "status": status})
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("AccessDenied", "AllAccessDisabled", "403"):
            raise _permission_error(error, bucket.name) from None
        raise BootstrapError(f"bootstrap of bucket {bucket.name!r}: {error}") from None
    return outcome


def state_bucket(env: LoadedEnvironment, where: str) -> Bucket:
    """The environment's state bucket; bad input when it keeps no state in S3."""
    backend = env.config.backend
    if backend.type != "s3" or not backend.bucket:
        raise InputError([Problem(where, "backend.type", f"environment {env.name!r} keeps its state locally "
                                                          "(backend.type: local): there is no state bucket to bootstrap")])
    return Bucket(backend.bucket, backend.region or env.config.region, backend.kms_key_id)


def s3_client(project: Project, target: Target, region: str) -> tuple[object, str, str]:
    """An S3 client where ``target`` keeps state (the account after its guard, or the local cloud in the
    environment's own account there), the account it acts in, and a label for it."""
    env = target.env
    if target.on_aws:
        import boto3

        account = accounts.check(env, project.display(env.files[-1]))
        return boto3.session.Session(region_name=region).client("s3"), account, f"AWS {region}"
    server = moto_server.up(project)
    session = server.session(region, target.role_arn, name="orchestrator-bootstrap")
    account = session.client("sts", endpoint_url=server.endpoint).get_caller_identity()["Account"]
    return session.client("s3", endpoint_url=server.endpoint), account, f"moto at {server.endpoint}"


def run(project: Project, target: Target, fix: bool) -> Outcome:
    """The state bucket of ``target``'s environment, where the target keeps state (on moto for every rehearsal)."""
    env = target.env
    bucket = state_bucket(env, project.display(env.files[-1]))
    s3, account, label = s3_client(project, target, bucket.region)
    return enforce(s3, bucket, fix, Outcome(env.name, label, bucket.name, bucket.region, account))


def on_local_cloud(project: Project, env: LoadedEnvironment) -> None:
    """Before a rehearsal keeps state on the local cloud: create its bucket when missing (after
    ``local-cloud up`` it always is); refuse, with the command, when an existing one differs."""
    outcome = run(project, Target(env, "moto", "s3"), fix=False)
    differing = [s["name"] for s in outcome.settings if s["status"] == "differs"]
    if differing:
        raise InputError([Problem(project.display(env.files[-1]), "backend.bucket",
                                  f"the state bucket {outcome.bucket!r} on the local cloud differs from what state needs "
                                  f"({', '.join(differing)}): run `python -m orchestrator bootstrap {env.name} --provider moto --fix`")])
