"""The local cloud is its own HTTP proxy, for S3 Control's account-prefixed host.

The real provider lists an S3 bucket's tags with S3 Control's ListTagsForResource, which the AWS SDK
sends to ``ACCOUNT.<endpoint host>``: ``123456789012.127.0.0.1:PORT`` resolves nowhere, so a moto
rehearsal of any environment with an S3 bucket (the ALB's access logs) failed at "listing tags".
Through the proxy the request reaches moto, which answers it by its path.
"""

from __future__ import annotations

import urllib.request

import pytest

from helpers import REPO
from orchestrator.config.project import Project
from orchestrator.local_cloud import moto_server


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(tmp_path / "work"))
    return Project(REPO)


@pytest.mark.moto
def test_rehearsals_reach_s3_control_through_the_local_cloud_as_proxy(project):
    import boto3

    server = moto_server.up(project)
    try:
        environment = server.environment()
        assert environment["HTTP_PROXY"] == server.endpoint == environment["AWS_ENDPOINT_URL"]
        assert "127.0.0.1" in environment["NO_PROXY"].split(",")  # loopback itself is never proxied
        s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=server.endpoint,
                          **{k.lower(): v for k, v in moto_server.CREDENTIALS.items()})
        s3.create_bucket(Bucket="shop-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_tagging(Bucket="shop-logs", Tagging={"TagSet": [{"Key": "Component", "Value": "alb"}]})
        # What the provider's SDK sends: the account in front of the endpoint's host, S3 signing.
        request = urllib.request.Request(
            f"http://123456789012.127.0.0.1:{server.port}/v20180820/tags/arn%3Aaws%3As3%3A%3A%3Ashop-logs",
            headers={"x-amz-account-id": "123456789012",
                     "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/s3/aws4_request, "
                                      "SignedHeaders=host, Signature=0"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": environment["HTTP_PROXY"]}))
        with opener.open(request, timeout=30) as answer:
            body = answer.read().decode()
        assert "<ListTagsForResourceResponse" in body and "<Key>Component</Key><Value>alb</Value>" in body
    finally:
        moto_server.down(project)
