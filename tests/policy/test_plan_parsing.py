"""The checkov worker reads a plan with json.loads (checkov's own path for large JSON files) instead
of its pure-Python YAML loader, and answers exactly as checkov's default reading does.

The plans are the fixture's real ones (`plan local` and `plan dev` on Terraform and the built-in
provider), checked with their stacks' Terraform beside them (skip comments). checkov runs in its own
environment (`python -m orchestrator tools build checkov`); without it and without PyPI these skip.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import REPO, copy_project, require_checkov, run_cli
from orchestrator.policy import checkov_worker
from orchestrator.policy.checks import WORKER

pytestmark = pytest.mark.terraform
CHECKOV_DEFAULT = {checkov_worker.JSON_PARSE_SETTING[0]: "50000000"}  # checkov's own default: YAML below 50 MB


@pytest.fixture(scope="module")
def python():
    return require_checkov()


class Worker:
    """One checkov worker on its stdin and stdout, as a run without a warm worker has."""

    def __init__(self, python: str, extra: dict[str, str]):
        environ = {k: v for k, v in os.environ.items() if k != checkov_worker.JSON_PARSE_SETTING[0]}
        self.process = subprocess.Popen([python, str(WORKER), str(REPO / "policies" / "checkov")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env={**environ, **extra})
        assert json.loads(self.process.stdout.readline())["ready"]

    def ask(self, plan: Path, source: Path | None = None) -> dict:
        self.process.stdin.write(json.dumps({"plan": str(plan), "source": str(source) if source else None}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def workers(python):
    ours, checkovs = Worker(python, {}), Worker(python, CHECKOV_DEFAULT)
    yield ours, checkovs
    ours.close()
    checkovs.close()


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> list[Path]:
    root = copy_project(tmp_path_factory.mktemp("parsing") / "project")
    for env in ("local", "dev"):
        done = run_cli(root, "plan", env, "--provider", "local", "--json")
        assert done.code in (0, 2), done.output
    found = sorted((root / ".orchestrator").glob("*/*/plan.json"))
    assert len(found) >= 12  # six stacks of local, seven of dev (its queue)
    return found


def findings(answer: dict) -> dict[str, list[str]]:
    assert "error" not in answer, answer.get("error")
    return {kind: sorted(json.dumps(item, sort_keys=True) for item in answer[kind]) for kind in ("passed", "failed", "skipped")}


def test_every_real_plan_gets_the_answer_checkovs_own_reading_gives(workers, plans):
    ours, checkovs = workers
    failed = 0
    for plan in plans:
        expected = findings(checkovs.ask(plan, plan.parent))
        assert findings(ours.ask(plan, plan.parent)) == expected, plan
        assert expected["passed"], plan  # the plan was read: checks ran on its resources
        failed += len(expected["failed"]) + len(expected["skipped"])
    assert failed  # failures and skip comments were compared too, not only passes


def test_the_worker_reads_plans_with_json_loads(workers, tmp_path):
    """A key twice in one object: json.loads keeps the last (Terraform never writes that), checkov's
    YAML loader refuses the file. So only a worker reading with json.loads checks this plan."""
    values = '{"name": "x", "internal": true, "internal": false}'
    resource = ('{"address": "aws_lb.this", "mode": "managed", "type": "aws_lb", "name": "this", '
                '"provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": %s}' % values)
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "1.2", "terraform_version": "1.15.0", "planned_values": {"root_module": '
                    '{"resources": [%s]}}, "resource_changes": [{"address": "aws_lb.this", "mode": "managed", "type": '
                    '"aws_lb", "name": "this", "change": {"actions": ["create"], "before": null, "after": %s}}]}' % (resource, values))
    ours, checkovs = workers
    assert "ORCH_AWS_1" in {item["check_id"] for item in ours.ask(plan)["failed"]}  # internal: false, the last
    assert not checkovs.ask(plan)["failed"]
