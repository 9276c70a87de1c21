"""The local cloud evaluates aws:SecureTransport (moto ignores Bool conditions) as for a TLS request."""

from __future__ import annotations

from orchestrator.local_cloud.moto_secure_transport import as_seen_over_tls

TLS_ONLY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_a_statement_for_requests_without_tls_is_left_out_and_others_kept():
    other = {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}
    assert as_seen_over_tls({"Version": "2012-10-17", "Statement": [TLS_ONLY, other]}) == {"Version": "2012-10-17", "Statement": [other]}


def test_a_statement_for_tls_requests_keeps_its_other_conditions():
    allow = {**TLS_ONLY, "Effect": "Allow", "Condition": {"Bool": {"aws:securetransport": ["true"]},
                                                          "StringEquals": {"aws:PrincipalAccount": "1"}}}
    [kept] = as_seen_over_tls({"Statement": allow})["Statement"]
    assert kept["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "1"}}
