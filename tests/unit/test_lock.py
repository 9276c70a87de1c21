"""The environment lock: plans of different stacks side by side, never two runs in one stack, applies alone."""

from __future__ import annotations

import pytest

from orchestrator.run.lock import EnvironmentLocked, hold


def test_plans_of_independent_stacks_of_one_environment_hold_the_lock_together(tmp_path):
    """Atlantis's parallel_plan runs staging-ecs and staging-vpc_link at once, in one clone."""
    with hold(tmp_path, "staging", "plan", stacks=["ecs"]):
        with hold(tmp_path, "staging", "plan", stacks=["vpc_link"]):
            pass


def test_two_runs_never_share_a_stack(tmp_path):
    with hold(tmp_path, "staging", "plan", stacks=["alb", "ecs"]):
        with pytest.raises(EnvironmentLocked, match=r"stack 'ecs' of environment 'staging' is locked by .*\(pid \d+, plan\) since"):
            with hold(tmp_path, "staging", "plan", stacks=["ecs", "network"]):
                pass
        with pytest.raises(EnvironmentLocked, match="stack 'alb'"):
            with hold(tmp_path, "staging", "output", stacks=["alb"]):
                pass


def test_apply_and_destroy_have_the_environment_alone(tmp_path):
    with hold(tmp_path, "staging", "plan", stacks=["ecs"]):
        for command in ("apply", "destroy"):
            with pytest.raises(EnvironmentLocked, match=r"environment 'staging' is locked by"):
                with hold(tmp_path, "staging", command, stacks=["network"]):
                    pass
    with hold(tmp_path, "staging", "apply", stacks=["network"]):
        with pytest.raises(EnvironmentLocked, match=r"environment 'staging' is locked by .*apply\) since"):
            with hold(tmp_path, "staging", "plan", stacks=["keepalive"]):
                pass
    with hold(tmp_path, "other", "apply"):  # other environments are independent
        with hold(tmp_path / "elsewhere", "prod", "apply"):
            pass


def test_a_released_lock_is_free_again_and_waiting_gives_up_at_the_deadline(tmp_path):
    with hold(tmp_path, "dev", "apply"):
        with pytest.raises(EnvironmentLocked):
            with hold(tmp_path, "dev", "plan", wait_seconds=0.5, stacks=["alb"]):
                pass
    with hold(tmp_path, "dev", "plan", stacks=["alb"]):
        pass
