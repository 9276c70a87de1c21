"""The project's policies (policies/checkov/) on the real checkov: each fails what it must, passes the rest.

Plans are minimal `terraform show -json` documents with one resource each. checkov runs in its own
environment (installed once into the tools cache: `python -m orchestrator tools build checkov`,
or by the first run that checks policies); without it and without PyPI these tests skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from helpers import REPO, processes_running, require_checkov
from orchestrator.policy.checks import PolicyChecker
from orchestrator.tools import pypi


@pytest.fixture(scope="module")
def checker():
    require_checkov()
    found = PolicyChecker([REPO / "policies" / "checkov"], {})
    yield found
    found.close()


def plan_of(tmp_path: Path, resource_type: str, values: dict, source: str = "") -> tuple[Path, Path]:
    address = f"{resource_type}.this"
    document = {
        "format_version": "1.2",
        "terraform_version": "1.15.0",
        "planned_values": {"root_module": {"resources": [
            {"address": address, "mode": "managed", "type": resource_type, "name": "this",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": values}]}},
        "resource_changes": [{"address": address, "mode": "managed", "type": resource_type, "name": "this",
                              "provider_name": "registry.terraform.io/hashicorp/aws",
                              "change": {"actions": ["create"], "before": None, "after": values}}],
        "configuration": {"root_module": {"resources": [
            {"address": address, "mode": "managed", "type": resource_type, "name": "this",
             "provider_config_key": "aws", "expressions": {}}]}},
    }
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(document))
    (tmp_path / "main.tf").write_text(source or f'resource "{resource_type}" "this" {{\n}}\n')
    return plan, tmp_path


def verdict(checker, tmp_path, check_id, resource_type, values, source=""):
    result = checker.check(*plan_of(tmp_path, resource_type, values, source))
    if any(f.check_id == check_id for f in result.failed):
        return "failed"
    if any(f.check_id == check_id for f in result.skipped):
        return "skipped"
    return "passed"


def test_every_policy_file_loads(checker, tmp_path):
    checker.check(*plan_of(tmp_path, "aws_lb", {"internal": True, "name": str(tmp_path)}))  # not in the cache: asks checkov
    assert checker.custom == ["ORCH_AWS_1", "ORCH_AWS_2", "ORCH_AWS_3", "ORCH_AWS_4"]


@pytest.mark.parametrize("internal, expected", [(True, "passed"), (False, "failed")])
def test_the_load_balancer_must_be_internal(checker, tmp_path, internal, expected):
    assert verdict(checker, tmp_path, "ORCH_AWS_1", "aws_lb", {"internal": internal, "load_balancer_type": "application"}) == expected


@pytest.mark.parametrize("resource_type, values, expected", [
    ("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": "0.0.0.0/0", "from_port": 80, "to_port": 80, "ip_protocol": "tcp"}, "failed"),
    ("aws_vpc_security_group_ingress_rule", {"cidr_ipv6": "::/0", "from_port": 80, "to_port": 80, "ip_protocol": "tcp"}, "failed"),
    ("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": "10.0.0.0/16", "from_port": 80, "to_port": 80, "ip_protocol": "tcp"}, "passed"),
    ("aws_vpc_security_group_ingress_rule", {"referenced_security_group_id": "sg-1", "from_port": 80, "to_port": 80, "ip_protocol": "tcp"}, "passed"),
    ("aws_security_group_rule", {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 443, "to_port": 443, "protocol": "tcp"}, "failed"),
    ("aws_security_group_rule", {"type": "egress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 0, "protocol": "-1"}, "passed"),
    ("aws_security_group", {"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp"}]}, "failed"),
    ("aws_security_group", {"ingress": [], "egress": [{"cidr_blocks": ["0.0.0.0/0"]}]}, "passed"),
])
def test_no_security_group_admits_the_whole_internet(checker, tmp_path, resource_type, values, expected):
    assert verdict(checker, tmp_path, "ORCH_AWS_2", resource_type, values) == expected


@pytest.mark.parametrize("public, expected", [(False, "passed"), (True, "failed")])
def test_ecs_tasks_get_no_public_ip(checker, tmp_path, public, expected):
    values = {"name": "web", "network_configuration": [{"assign_public_ip": public, "subnets": ["subnet-1"]}]}
    assert verdict(checker, tmp_path, "ORCH_AWS_3", "aws_ecs_service", values) == expected


@pytest.mark.parametrize("values, expected", [
    ({"integration_type": "HTTP_PROXY", "connection_type": "VPC_LINK"}, "passed"),
    ({"integration_type": "HTTP_PROXY", "connection_type": "INTERNET"}, "failed"),
    ({"integration_type": "AWS_PROXY", "connection_type": "INTERNET"}, "passed"),
])
def test_the_api_reaches_the_application_through_the_vpc_link(checker, tmp_path, values, expected):
    assert verdict(checker, tmp_path, "ORCH_AWS_4", "aws_apigatewayv2_integration", values) == expected


def test_a_skip_comment_in_the_stacks_terraform_turns_a_failure_into_a_reasoned_skip(checker, tmp_path):
    source = 'resource "aws_lb" "this" {\n  #checkov:skip=ORCH_AWS_1:a test of the enrichment\n  internal = false\n}\n'
    result = checker.check(*plan_of(tmp_path, "aws_lb", {"internal": False}, source))
    assert [(f.check_id, f.reason) for f in result.skipped if f.check_id == "ORCH_AWS_1"] == [("ORCH_AWS_1", "a test of the enrichment")]
    assert "ORCH_AWS_1" not in {f.check_id for f in result.failed}


def test_the_same_plan_is_answered_from_the_cache(checker, tmp_path):
    plan, source = plan_of(tmp_path, "aws_lb", {"internal": True, "name": str(tmp_path)})  # never checked before
    first, second = checker.check(plan, source), checker.check(plan, source)
    assert not first.cached and second.cached and first.report()["failed"] == second.report()["failed"]


def test_the_worker_runs_below_terraform_and_is_stopped_at_once_even_mid_import():
    """Its import of checkov must not take CPU from Terraform, and a run must not wait for it to finish."""
    import os
    import time

    worker = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=0)  # the run's own worker
    worker.start()
    deadline = time.monotonic() + 60
    while worker._process is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process = worker._process
    assert process is not None
    wanted = os.getpriority(os.PRIO_PROCESS, 0) + 10
    while os.getpriority(os.PRIO_PROCESS, process.pid) != wanted and time.monotonic() < deadline:
        time.sleep(0.01)  # set right after the start, by the thread that started it
    assert os.getpriority(os.PRIO_PROCESS, process.pid) == wanted
    started = time.monotonic()
    worker.close()  # while checkov is still being imported: never asked anything
    assert process.poll() is not None and time.monotonic() - started < 3


@pytest.fixture
def runtime(monkeypatch):
    """A private runtime folder for warm workers' sockets (short: a socket path holds ~100 bytes)."""
    require_checkov()
    folder = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    for pid in warm_workers(folder):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def warm_workers(folder: Path) -> list[int]:
    return processes_running(f"{folder}/orchestrator-")


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def unique_plan(tmp_path: Path, name: str, internal: bool) -> tuple[Path, Path]:
    """A plan no earlier test has checked (its answer is not in the cache): checkov must be asked."""
    (tmp_path / name).mkdir()
    return plan_of(tmp_path / name, "aws_lb", {"internal": internal, "name": f"{tmp_path}-{name}"})


def test_a_warm_worker_serves_the_next_run_then_leaves_when_idle(runtime, tmp_path):
    """The second run asks the worker the first one started (no second import of checkov); with no
    run for the idle time it exits and removes its socket."""
    first = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=4)
    result = first.check(*unique_plan(tmp_path, "one", internal=False))
    assert "ORCH_AWS_1" in {f.check_id for f in result.failed} and not result.cached
    first.close()
    started = warm_workers(runtime)
    assert len(started) == 1  # still there for the next run
    assert os.getpriority(os.PRIO_PROCESS, started[0]) == os.getpriority(os.PRIO_PROCESS, 0) + 10

    second = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=4)
    began = time.monotonic()
    result = second.check(*unique_plan(tmp_path, "two", internal=True))
    assert "ORCH_AWS_1" not in {f.check_id for f in result.failed} and not result.cached
    assert time.monotonic() - began < 1.0  # no import of checkov
    assert warm_workers(runtime) == started
    second.close()

    assert wait_until(lambda: not warm_workers(runtime), 15)
    assert not list(runtime.rglob("*.sock"))


def test_a_killed_warm_worker_is_replaced_and_other_policies_get_their_own(runtime, tmp_path):
    checker = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=60)
    checker.check(*unique_plan(tmp_path, "one", internal=True))
    checker.close()
    [killed] = warm_workers(runtime)
    os.kill(killed, signal.SIGKILL)
    assert wait_until(lambda: not warm_workers(runtime), 10) and list(runtime.rglob("*.sock"))  # its socket is left

    again = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=60)
    assert again.check(*unique_plan(tmp_path, "two", internal=True)).passed
    again.close()
    assert len(warm_workers(runtime)) == 1 and warm_workers(runtime) != [killed]

    other = tmp_path / "policies"
    shutil.copytree(REPO / "policies" / "checkov", other)
    python = pypi.command("checkov")[0]
    assert PolicyChecker([other], {}, idle=60).socket_path(python) == again.socket_path(python)  # same policies
    (other / "extra.py").write_text("# a changed policy set\n")
    assert PolicyChecker([other], {}, idle=60).socket_path(python) != again.socket_path(python)
    assert PolicyChecker([other], {}, idle=0).socket_path(python) is None  # ORCHESTRATOR_POLICY_WORKER_IDLE=0


def test_a_warm_worker_outlives_the_folder_of_the_run_that_started_it(runtime, tmp_path, monkeypatch):
    """The run that started the worker ran in a folder that is gone now (a CI checkout, a test's copy):
    the next run's checks still work."""
    first_folder = tmp_path / "first-checkout"
    first_folder.mkdir()
    monkeypatch.chdir(first_folder)
    first = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=60)
    first.check(*unique_plan(tmp_path, "one", internal=True))
    first.close()
    monkeypatch.chdir(tmp_path)
    shutil.rmtree(first_folder)

    second = PolicyChecker([REPO / "policies" / "checkov"], {}, idle=60)
    result = second.check(*unique_plan(tmp_path, "two", internal=False))
    second.close()
    assert "ORCH_AWS_1" in {f.check_id for f in result.failed}
    assert len(warm_workers(runtime)) == 1
