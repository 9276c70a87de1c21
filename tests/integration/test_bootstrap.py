"""bootstrap ENV on the local cloud (moto): the state bucket created, each setting read back with boto3,
weakened out of band and reported, fixed with --fix, a stricter policy kept."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from helpers import REPO, run_cli
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server

pytestmark = [pytest.mark.terraform, pytest.mark.moto]

BUCKET = "shopfront-tfstate-222222222222"  # environments/staging.yaml
ROLE = "arn:aws:iam::222222222222:role/orchestrator-rehearsal"


@pytest.fixture
def cloud(tmp_path, monkeypatch):
    """A local cloud of the test's own (its work directory), stopped afterwards; yields (env for the CLI, S3 client in staging's account)."""
    work = tmp_path / "work"
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(work))
    project = Project(REPO)
    server = moto_server.up(project)
    try:
        yield {"ORCHESTRATOR_WORK_DIR": str(work)}, server.session("eu-west-1", ROLE).client("s3", endpoint_url=server.endpoint)
    finally:
        moto_server.down(project)


def bootstrap(environ, *flags):
    done = run_cli(REPO, "bootstrap", "staging", "--provider", "moto", "--json", *flags, env=environ)
    return done.code, {s["name"]: s for s in done.json["settings"]}, done


def test_bootstrap_creates_the_bucket_with_every_setting_and_a_second_run_finds_them(cloud):
    environ, s3 = cloud
    code, settings, done = bootstrap(environ)
    assert code == 0, done.stderr
    assert done.json["created"] and done.json["account"] == "222222222222" and done.json["bucket"] == BUCKET
    assert {s["status"] for s in settings.values()} == {"created"}
    # each setting, read back from the bucket itself
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    [statement] = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(statement["Resource"]) == {f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"}
    [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90

    code, settings, done = bootstrap(environ)
    assert code == 0 and not done.json["created"]
    assert {name: s["status"] for name, s in settings.items()} == {name: "ok" for name in settings}


def test_a_weakened_bucket_is_reported_exit_3_and_fix_restores_it(cloud):
    environ, s3 = cloud
    assert bootstrap(environ)[0] == 0
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_policy(Bucket=BUCKET)
    code, settings, done = bootstrap(environ)
    assert code == 3, done.stderr
    assert {n for n, s in settings.items() if s["status"] == "differs"} == {"versioning", "tls_only_policy"}
    assert settings["versioning"]["actual"] == "Suspended" and settings["tls_only_policy"]["actual"] is None
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"  # reported, not changed
    assert "--provider moto --fix" in done.stderr

    code, settings, done = bootstrap(environ, "--fix")
    assert code == 0, done.stderr
    assert {n for n, s in settings.items() if s["status"] == "fixed"} == {"versioning", "tls_only_policy"}
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    assert bootstrap(environ)[0] == 0


def test_fix_keeps_a_stricter_policy_statement_and_the_buckets_own_lifecycle_rules(cloud):
    environ, s3 = cloud
    stricter = {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "s3:DeleteObjectVersion"],
                "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [stricter]}))
    own_rule = {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [own_rule]})
    code, settings, _ = bootstrap(environ)
    assert code == 3 and settings["tls_only_policy"]["status"] == "differs"
    assert settings["noncurrent_version_expiration"]["status"] == "differs"  # a rule for logs/ only is not the whole bucket

    code, settings, done = bootstrap(environ, "--fix")
    assert code == 0, done.stderr
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert stricter in statements and len(statements) == 2
    rules = {rule["ID"] for rule in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert rules == {"logs", "orchestrator-noncurrent-versions"}
    # a stricter encryption (KMS where SSE-S3 is asked) is ok, and never turned back into SSE-S3
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/state"}}]})
    code, settings, _ = bootstrap(environ, "--fix")
    assert code == 0 and settings["encryption"]["status"] == "ok"
    assert s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def test_an_environment_with_local_state_has_nothing_to_bootstrap(tmp_path):
    done = run_cli(REPO, "bootstrap", "local", env={"ORCHESTRATOR_WORK_DIR": str(tmp_path / "work")})
    assert done.code == 2 and "backend.type: local" in done.stderr
    assert not (tmp_path / "work").exists()  # no local cloud was started


def test_credentials_that_cannot_are_refused_naming_the_permission():
    """AccessDenied on a call: exit 1 (BootstrapError) naming the IAM action, not the API's name."""
    import boto3
    from botocore.stub import Stubber

    from orchestrator.run import bootstrap as bootstrap_module

    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(s3)
    stub.add_response("head_bucket", {}, {"Bucket": "b"})
    stub.add_client_error("get_bucket_versioning", "AccessDenied", "Access Denied", 403)
    bucket = bootstrap_module.Bucket("b", "eu-west-1", None)
    with stub, pytest.raises(bootstrap_module.BootstrapError) as refused:
        bootstrap_module.enforce(s3, bucket, False, bootstrap_module.Outcome("staging", "AWS", "b", "eu-west-1", "1"))
    assert "s3:GetBucketVersioning" in str(refused.value) and refused.value.exit_code == 1
    stub = Stubber(s3)
    stub.add_response("head_bucket", {}, {"Bucket": "b"})
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "b"})
    stub.add_client_error("get_bucket_encryption", "AccessDenied", "Access Denied", 403)
    with stub, pytest.raises(bootstrap_module.BootstrapError) as refused:
        bootstrap_module.enforce(s3, bucket, False, bootstrap_module.Outcome("staging", "AWS", "b", "eu-west-1", "1"))
    assert "s3:GetEncryptionConfiguration" in str(refused.value)
    with pytest.raises(ClientError):  # anything else is not dressed up as a permission
        stub = Stubber(s3)
        stub.add_client_error("head_bucket", "InternalError", "boom", 500)
        with stub:
            bootstrap_module._exists(s3, "b")
