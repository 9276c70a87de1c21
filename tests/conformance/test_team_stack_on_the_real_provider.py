"""The team stack example (the queue: SQS queue, dead-letter queue with redrive, KMS, consumer policy)
on the real provider against moto: dev applies it and re-plans with no changes (about 150 s here);
with ORCHESTRATOR_CONFORMANCE=all it also destroys it (another 290 s: 441 s in all on 2026-12-05).

This is what the moto SQS bridge (orchestrator/local_cloud/moto_sqs_attributes.py) is for: without
it the redrive allow policy never reads back and the apply hangs until the provider gives up.
"""

from __future__ import annotations

import pytest
from conformance_support import FULL, moto_server_work
from helpers import by_name, copy_project, run_cli

pytestmark = [pytest.mark.terraform, pytest.mark.moto, pytest.mark.real_provider, pytest.mark.slow]


def test_the_queue_stack_applies_replans_clean_and_destroys(tmp_path, moto_server):
    root = copy_project(tmp_path / "project")
    stacks = root / "stacks.yaml"  # the module and its template ship with the project; the entry switches it on
    stacks.write_text(stacks.read_text().replace("stacks:\n", "stacks:\n  queue:\n    module: queue\n    optional: true\n", 1))
    dev = root / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "\nqueue:\n  max_receive_count: 3\n")
    work = {"ORCHESTRATOR_WORK_DIR": str(moto_server_work(moto_server))}
    moto = ("--stack", "queue", "--provider", "moto", "--json")

    applied = run_cli(root, "apply", "dev", *moto, "--auto-approve", env=work, timeout=1200)
    assert applied.code == 0, applied.stderr[-3000:]
    queue = by_name(applied.json)["queue"]
    assert (queue["status"], queue["changes"]["add"]) == ("ok", 7), queue["error"]
    assert queue["outputs"]["dead_letter_queue_arn"].endswith(":shopfront-dev-jobs-dlq")

    replanned = run_cli(root, "plan", "dev", *moto, env=work, timeout=1200)
    assert replanned.code == 0, replanned.stderr[-3000:]
    assert by_name(replanned.json)["queue"]["status"] == "no-changes", by_name(replanned.json)["queue"]["changes"]

    if FULL:  # the provider waits for each deleted queue to stay gone (about 2 min a queue): the full matrix only
        destroyed = run_cli(root, "destroy", "dev", *moto, "--auto-approve", env=work, timeout=1200)
        assert destroyed.code == 0, destroyed.stderr[-3000:]
