"""bench/apply_local.py reads the engine's own log lines and finds the critical path (no Terraform needed)."""

import time

import pytest

from helpers import load_bench
from orchestrator.terraform import engine



def test_reads_every_command_of_a_log_the_engine_wrote(tmp_path):
    log = tmp_path / "terraform.log"
    terraform = engine.Terraform(tmp_path, log, {"PATH": "/usr/bin:/bin"}, engine.Binary("/bin/true", "PATH"))
    before = time.time()
    terraform.init()
    terraform.run(engine.plan_command([], tmp_path / "plan.tfplan"))
    terraform.run(engine.apply_command(tmp_path / "plan.tfplan"))
    found = load_bench("apply_local").commands(log)
    assert [c["kind"] for c in found] == ["init", "plan", "apply"]
    assert all(before - 1 <= c["start"] <= c["end"] <= time.time() + 1 for c in found)
    assert found[0]["end"] <= found[1]["start"] + 0.01 and found[1]["end"] <= found[2]["start"] + 0.01


def test_the_critical_path_follows_the_upstream_that_finished_last():
    def stack(start, end):
        return [{"kind": "plan", "seconds": end - start, "start": start, "end": end}]

    by_stack = {"network": stack(0, 1), "alb": stack(1, 2), "ecs": stack(2, 5), "vpc_link": stack(2, 3),
                "api_gateway": stack(5, 6), "keepalive": stack(6, 7)}
    upstreams = {"network": set(), "alb": {"network"}, "ecs": {"alb", "network"}, "vpc_link": {"alb"},
                 "api_gateway": {"vpc_link", "ecs"}, "keepalive": {"api_gateway"}}
    assert load_bench("apply_local").critical_path(by_stack, upstreams) == ["network", "alb", "ecs", "api_gateway", "keepalive"]


def test_an_init_done_ahead_adds_nothing_to_the_critical_path():
    def command(kind, start, end):
        return {"kind": kind, "seconds": end - start, "start": start, "end": end}

    path = [command("init", 0.0, 0.2), command("plan", 0.2, 0.5), command("apply", 0.6, 0.9),  # network
            command("init", 0.1, 0.3), command("plan", 0.9, 1.2), command("apply", 1.2, 1.5)]  # alb, init ahead
    kinds, between = load_bench("apply_local").breakdown(path, 0.0)
    assert kinds == {"init": 0.2, "plan": pytest.approx(0.6), "apply": pytest.approx(0.6)}
    assert between == pytest.approx(0.1)
