"""The local cloud's SQS bridge (orchestrator/local_cloud/moto_sqs_attributes.py), on moto in-process:
RedriveAllowPolicy reads back as written, a SetQueueAttributes call without Policy keeps it, and
RedrivePolicy reads back compact."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from orchestrator.local_cloud import moto_sqs_attributes

ALLOW = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:eu-west-1:123456789012:jobs"]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                                                            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def test_redrive_allow_policy_reads_back_and_policy_survives_other_attributes():
    moto_sqs_attributes.install()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": POLICY})
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": ALLOW})

        named = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
        everything = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert named == {"RedriveAllowPolicy": ALLOW}
        assert everything["RedriveAllowPolicy"] == ALLOW and json.loads(everything["Policy"]) == json.loads(POLICY)

        source = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        redrive = {"deadLetterTargetArn": everything["QueueArn"], "maxReceiveCount": 3}
        sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": json.dumps(redrive)})
        answered = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
        assert answered == json.dumps(redrive, separators=(",", ":"))  # compact, as AWS and jsonencode write it

        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": ""})  # what a destroy sends
        assert "RedriveAllowPolicy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
