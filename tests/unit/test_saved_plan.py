"""The decisions made from a saved plan's record: skipped plans, and placeholder plans applied as reviewed."""

from __future__ import annotations

from orchestrator.run import saved_plan


def change(address: str, *actions: str) -> dict:
    return {"address": address, "change": {"actions": list(actions)}}


def test_a_fresh_plan_with_the_reviewed_objects_and_actions_is_the_reviewed_plan():
    reviewed = {"resource_changes": [change("aws_lb.this", "create"), change("data.aws_vpc.this", "read")]}
    fresh = {"resource_changes": [change("aws_lb.this", "create"), change("aws_lb_listener.x", "no-op")]}
    assert saved_plan.reshaped(reviewed, fresh) is None


def test_another_object_or_another_action_is_not_the_reviewed_plan():
    reviewed = {"resource_changes": [change("aws_lb.this", "create")]}
    replaced = {"resource_changes": [change("aws_lb.this", "delete", "create")]}
    reason = saved_plan.reshaped(reviewed, replaced)
    assert "aws_lb.this: reviewed ['create'], now ['delete', 'create']" in reason and reason.endswith("plan again and review the new plan")
    more = {"resource_changes": [change("aws_lb.this", "create"), change("aws_lb.other", "create")]}
    assert "aws_lb.other: reviewed ['nothing'], now ['create']" in saved_plan.reshaped(reviewed, more)


def test_a_skipped_record_is_read_only_for_its_own_environment_and_stack(tmp_path):
    record = saved_plan.skipped("staging", "alb", "No changes. Your infrastructure matches the configuration.")
    assert saved_plan.skipped_reason(record, "staging", "alb").startswith("No changes.")
    assert saved_plan.skipped_reason(record, "prod", "alb") is None
    assert saved_plan.skipped_reason(None, "staging", "alb") is None
    assert saved_plan.read_meta(tmp_path / "absent.tfplan") is None
