"""Whether a plan made ahead of its upstreams is the plan the stack would make at its turn (pure)."""

from __future__ import annotations

import pytest

from orchestrator.run.plans_ahead import PlanAhead, ancestors, refusal
from orchestrator.terraform.engine import Result


@pytest.mark.parametrize("statuses, upstream, placeholders, expected", [
    ({"network": "no-changes", "alb": "no-changes"}, {"a": 1}, [], None),
    ({"alb": "no-changes"}, {"a": 1}, [], None),  # network not in this run: it changed nothing
    ({"network": "ok", "alb": "no-changes"}, {"a": 1}, [], "network changed or did not finish"),
    ({"network": "no-changes", "alb": "queued"}, {"a": 1}, [], "alb changed or did not finish"),
    ({"network": "no-changes", "alb": "no-changes"}, {"a": 2}, [], "the upstream outputs it read have changed"),
    ({}, {"a": 1}, ["alb.id"], "it was made with placeholders"),
])
def test_refusal(statuses, upstream, placeholders, expected):
    class Stack:
        def __init__(self, upstreams):
            self.upstreams = upstreams

    class Graph:
        stacks = {"network": Stack(set()), "alb": Stack({"network"}), "ecs": Stack({"alb"})}

    ahead = PlanAhead({"a": 1}, Result(command="plan", returncode=0, stdout="", seconds=0.0, interrupted=False))
    assert ancestors(Graph, "ecs") == {"alb", "network"}
    assert refusal(Graph, "ecs", ahead, upstream, placeholders, statuses) == expected
