"""The policy stage's pure logic: accepted checks, the cache key, refusals, what a plan destroys."""

from __future__ import annotations

import json
import os

import pytest

from orchestrator.config.errors import InputError
from orchestrator.policy.checks import Finding, PolicyResult, evaluate, plan_digest
from orchestrator.release import pr_comment
from orchestrator.run import policy_gate

ANSWER = {
    "passed": [{"check_id": "ORCH_AWS_1", "check_name": "internal", "resource": "aws_lb.this"}],
    "failed": [
        {"check_id": "CKV_AWS_91", "check_name": "access logs", "resource": "aws_lb.this"},
        {"check_id": "CKV_AWS_2", "check_name": "HTTPS", "resource": "aws_lb_listener.this", "guideline": "https://example"},
    ],
    "skipped": [{"check_id": "CKV2_AWS_20", "check_name": "redirect", "resource": "aws_lb.this", "reason": "internal listener"}],
}


def test_a_failed_check_the_environment_accepts_is_reported_as_accepted_with_its_reason():
    result = evaluate(ANSWER, {"CKV_AWS_91": "no log bucket in this sandbox account"})
    assert [f.check_id for f in result.failed] == ["CKV_AWS_2"]
    assert [(f.check_id, f.reason) for f in result.accepted] == [("CKV_AWS_91", "no log bucket in this sandbox account")]
    assert result.passed == 1 and [f.reason for f in result.skipped] == ["internal listener"]
    assert not result.ok
    assert evaluate(ANSWER, {"CKV_AWS_91": "x" * 10, "CKV_AWS_2": "y" * 10}).ok


def test_the_text_names_each_failed_check_its_resource_and_guideline_then_the_counts():
    lines = evaluate(ANSWER, {"CKV_AWS_91": "no bucket here"}).lines()
    assert lines[0] == "FAIL      CKV_AWS_2 aws_lb_listener.this: HTTPS (https://example)"
    assert lines[1] == "ACCEPTED  CKV_AWS_91 aws_lb.this: access logs - no bucket here"
    assert lines[2] == "SKIPPED   CKV2_AWS_20 aws_lb.this: internal listener"
    assert lines[-1] == "4 checks: 1 passed, 1 failed, 1 accepted, 1 skipped"


def test_the_cache_key_of_a_plan_ignores_when_it_was_made_but_not_what_it_says(tmp_path):
    first, second, third = (tmp_path / n for n in ("1.json", "2.json", "3.json"))
    first.write_text(json.dumps({"timestamp": "2026-12-01T00:00:00Z", "resource_changes": [{"address": "a"}]}))
    second.write_text(json.dumps({"resource_changes": [{"address": "a"}], "timestamp": "2026-12-02T10:00:00Z"}))
    third.write_text(json.dumps({"timestamp": "2026-12-01T00:00:00Z", "resource_changes": [{"address": "b"}]}))
    assert plan_digest(first) == plan_digest(second) != plan_digest(third)
    reordered = [tmp_path / "4.json", tmp_path / "5.json"]  # Terraform's order of relevant_attributes varies
    for path, order in zip(reordered, ([0, 1], [1, 0])):
        attributes = [{"resource": "aws_lb.this", "attribute": ["arn"]}, {"resource": "aws_lb_listener.this", "attribute": ["port"]}]
        path.write_text(json.dumps({"relevant_attributes": [attributes[i] for i in order]}))
    assert plan_digest(reordered[0]) == plan_digest(reordered[1])


def test_a_failed_check_refuses_the_apply_unless_accepted_on_the_command_line():
    failed = evaluate(ANSWER, {})
    reason = policy_gate.refusal(failed, "environments/dev.yaml", None)
    assert "policy checks failed" in reason and "CKV_AWS_2 aws_lb_listener.this" in reason
    # the first line names the checks on its own (progress lines and reports show only that line)
    assert reason.splitlines()[0] == "policy checks failed (CKV_AWS_91, CKV_AWS_2); nothing was applied to this stack"
    assert "environments/dev.yaml" in reason and "--accept-policy-failures" in reason
    assert policy_gate.refusal(failed, "environments/dev.yaml", policy_gate.Acceptance("ana", "reviewed in CHG-1")) is None
    assert policy_gate.refusal(PolicyResult(passed=3), "environments/dev.yaml", None) is None


class _Env:
    def __init__(self, owners):
        self.config = type("C", (), {"policy": type("P", (), {"owners": owners})()})()


def test_only_a_policy_owner_may_accept_failures_and_only_with_a_reason(monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_USER", "bob@example.com")
    assert policy_gate.acceptance(_Env([]), "reviewed with security", "dev.yaml") == policy_gate.Acceptance("bob@example.com", "reviewed with security")
    assert policy_gate.acceptance(_Env(["bob@example.com"]), "reviewed with security", "dev.yaml").by == "bob@example.com"
    with pytest.raises(InputError, match="not a policy owner"):
        policy_gate.acceptance(_Env(["ana@example.com"]), "reviewed with security", "dev.yaml")
    with pytest.raises(InputError, match="reason in words"):
        policy_gate.acceptance(_Env([]), "ok", "dev.yaml")
    assert policy_gate.acceptance(_Env(["ana@example.com"]), None, "dev.yaml") is None


def test_a_loss_without_a_terminal_is_refused_unless_allowed(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    asked = []
    reason = policy_gate.destroy_refusal("alb", ["aws_lb.this (replace)"], False, asked.append)
    assert "aws_lb.this (replace)" in reason and "--allow-destroy" in reason and not asked
    assert policy_gate.destroy_refusal("alb", ["aws_lb.this (replace)"], True, asked.append) is None
    assert policy_gate.destroy_refusal("alb", [], False, asked.append) is None


def test_on_a_terminal_a_loss_is_applied_only_after_a_yes(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert policy_gate.destroy_refusal("alb", ["aws_lb.this (replace)"], False, lambda question: True) is None
    assert "not approved" in policy_gate.destroy_refusal("alb", ["aws_lb.this (replace)"], False, lambda question: False)


def test_the_pr_comment_shows_the_policy_checks_as_atlantis_shows_its_policy_check():
    plan = pr_comment.StackPlan("dev", "alb", "module changed", "ok", {"add": 1, "change": 0, "destroy": 0}, plan_text="+ x",
                                policy=evaluate(ANSWER, {}))
    text = pr_comment.section(1, plan)
    assert "#### Policy Set: `checkov`" in text and "**Policy Check Failed**: 2 check(s) failed." in text
    assert "- FAIL      CKV_AWS_2 aws_lb_listener.this: HTTPS" in text
    assert "atlantis approve_policies -p dev-alb" in text
    assert "2 failed policy checks" not in pr_comment.summary_line([plan]) and "1 failed policy checks" in pr_comment.summary_line([plan])
    passing = pr_comment.StackPlan("dev", "alb", "module changed", "ok", {"add": 1, "change": 0, "destroy": 0}, plan_text="+ x",
                                   policy=PolicyResult(passed=5))
    assert "**Policy Check Passed**" in pr_comment.section(1, passing)
    assert "approve_policies" not in pr_comment.section(1, passing)


def test_findings_report_only_what_is_known():
    assert Finding("CKV_AWS_2", "HTTPS", "aws_lb_listener.this").report() == {
        "check_id": "CKV_AWS_2", "check_name": "HTTPS", "resource": "aws_lb_listener.this"}


def test_the_warm_workers_idle_time_must_be_a_number_of_seconds(monkeypatch):
    from orchestrator.policy.checks import idle_seconds

    monkeypatch.setenv("ORCHESTRATOR_POLICY_WORKER_IDLE", "0")
    assert idle_seconds() == 0
    monkeypatch.delenv("ORCHESTRATOR_POLICY_WORKER_IDLE")
    assert idle_seconds() == 300
    for bad in ("five minutes", "-1", "inf", "nan"):
        monkeypatch.setenv("ORCHESTRATOR_POLICY_WORKER_IDLE", bad)
        with pytest.raises(InputError) as raised:
            idle_seconds()
        assert "ORCHESTRATOR_POLICY_WORKER_IDLE" in str(raised.value.problems[0]) and bad in str(raised.value.problems[0])


def test_a_runtime_folder_others_may_read_or_that_another_user_owns_is_not_used(tmp_path, monkeypatch):
    from orchestrator.policy.checks import runtime_dir

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert runtime_dir() == tmp_path / f"orchestrator-{os.getuid()}"
    (tmp_path / f"orchestrator-{os.getuid()}").chmod(0o755)
    assert runtime_dir() is None  # each run then has a worker of its own


def test_an_empty_xdg_cache_home_is_unset_not_the_current_folder(tmp_path, monkeypatch):
    """XDG: an empty XDG_CACHE_HOME means ~/.cache. Read as "", caches landed in ./orchestrator/, which
    then shadowed the package for `python -m orchestrator` run from there."""
    from orchestrator.config import module_info
    from orchestrator.runtime import cache_dir
    from orchestrator.terraform import versions
    from orchestrator.tools import layout

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    expected = tmp_path / "home" / ".cache" / "orchestrator"
    assert cache_dir() == expected
    assert module_info._cache_dir() == expected / "module-info"
    assert versions._known_file() == expected / "terraform-versions.json"
    assert layout.cache_root() == expected / "tools"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert module_info._cache_dir() == tmp_path / "xdg" / "orchestrator" / "module-info"


def test_a_changed_worker_gets_its_own_warm_worker(tmp_path, monkeypatch):
    """After an upgrade, a warm worker the old version left (its code, its settings) does not answer."""
    import shutil
    import tempfile

    from orchestrator.policy import checks

    short = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # a socket's path holds ~100 bytes; tmp_path's is longer
    monkeypatch.setenv("XDG_RUNTIME_DIR", short)
    monkeypatch.chdir(tmp_path)
    before = checks.PolicyChecker([], {}, idle=60).socket_path("/usr/bin/python3")
    changed = tmp_path / "checkov_worker.py"
    changed.write_bytes(checks.WORKER.read_bytes() + b"\n# the next version\n")
    monkeypatch.setattr(checks, "WORKER", changed)
    upgraded = checks.PolicyChecker([], {}, idle=60)  # the next run, after the upgrade
    try:
        assert before is not None and upgraded.socket_path("/usr/bin/python3") not in (None, before)
    finally:
        shutil.rmtree(short)
