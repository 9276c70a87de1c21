"""apply plans the stacks below their upstreams ahead, from the outputs in state, and uses such a plan
only when no stack above it changed anything (orchestrator/run/plans_ahead.py).

The fixture project (terraform_data stacks): network -> alb -> ecs, vpc_link -> api_gateway -> keepalive.
``GENERATION_<stack>`` replaces a stack's object (a change); its ``id`` output then changes, its
``value`` output does not.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from helpers import by_name, load_bench, run_cli, set_app_environment
from orchestrator.terraform.engine import resolve_binary

pytestmark = [pytest.mark.terraform]

USED = "# the plan made ahead of its upstreams is used"
NOT_USED = "# the plan made ahead of its upstreams is not used"


def log_of(root: Path, stack: str) -> Path:
    return root / ".orchestrator" / "alpha" / stack / "terraform.log"


def this_run(root: Path, stack: str, mark: int) -> str:
    return log_of(root, stack).read_text()[mark:]


def marks(root: Path) -> dict[str, int]:
    return {stack: len(log_of(root, stack).read_text()) for stack in
            ("network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive")}


def applied(root: Path, knobs: dict, env: dict | None = None) -> tuple[dict, dict[str, int]]:
    set_app_environment(root, "alpha", knobs)
    before = marks(root) if log_of(root, "network").exists() else dict.fromkeys(
        ("network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"), 0)
    done = run_cli(root, "apply", "alpha", "--auto-approve", "--json", env=env)
    assert done.code == 0, done.stderr[-3000:]
    return by_name(done.json), before


def plans(root: Path, stack: str, mark: int) -> list[int]:
    text = this_run(root, stack, mark)
    path = log_of(root, stack).with_name("this-run.log")
    path.write_text(text)
    return [c["code"] for c in load_bench("apply_local").commands(path) if c["kind"] == "plan"]


def test_a_leaf_change_uses_every_plan_made_ahead(project):
    applied(project, {})
    stacks, before = applied(project, {"GENERATION_keepalive": "2"})
    assert {n: s["status"] for n, s in stacks.items()} == {
        "network": "no-changes", "alb": "no-changes", "ecs": "no-changes", "vpc_link": "no-changes",
        "api_gateway": "no-changes", "keepalive": "ok"}
    for stack in ("alb", "ecs", "vpc_link", "api_gateway", "keepalive"):
        assert USED in this_run(project, stack, before[stack]), stack
        assert plans(project, stack, before[stack]) == [2 if stack == "keepalive" else 0], stack  # one plan each


def test_a_changed_upstream_has_its_downstreams_plan_again_from_its_new_outputs(project):
    first, _ = applied(project, {})
    stacks, before = applied(project, {"GENERATION_network": "2"})
    new_id = stacks["network"]["outputs"]["id"]
    assert new_id != first["network"]["outputs"]["id"]
    assert NOT_USED + " (network changed or did not finish)" in this_run(project, "alb", before["alb"])
    assert plans(project, "alb", before["alb"]) == [0, 2]  # ahead (old id: no change), then again (new id)
    state = json.loads(next((project / ".orchestrator").glob("alpha*/state/alb.tfstate")).read_text())
    assert state["resources"][0]["instances"][0]["attributes"]["input"]["value"]["upstream_a"] == new_id


def test_an_upstream_that_applied_anything_voids_the_plans_below_it_even_with_the_same_outputs(project):
    applied(project, {})
    stacks, before = applied(project, {"GENERATION_vpc_link": "2"})
    assert stacks["vpc_link"]["status"] == "ok"
    assert stacks["vpc_link"]["outputs"]["value"]  # the output api_gateway reads did not change...
    for stack in ("api_gateway", "keepalive"):  # ...but vpc_link's apply may have changed what they read
        assert NOT_USED in this_run(project, stack, before[stack]), stack
    for stack in ("alb", "ecs"):  # not below vpc_link
        assert USED in this_run(project, stack, before[stack]), stack


def test_a_failed_plan_ahead_leaves_the_stack_to_plan_at_its_turn(project, tmp_path):
    applied(project, {})
    marker = tmp_path / "failed-once"
    wrapper = tmp_path / "terraform"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = plan ] && [ "${{PWD##*/}}" = keepalive ] && [ ! -e {shlex.quote(str(marker))} ]; then\n'
        f"  touch {shlex.quote(str(marker))}; echo 'Error: injected plan failure' >&2; exit 1\n"
        "fi\n"
        f'exec {shlex.quote(resolve_binary({"TERRAFORM_BIN": "bundled"}).path)} "$@"\n')
    wrapper.chmod(0o755)
    stacks, before = applied(project, {"GENERATION_keepalive": "3"}, env={"TERRAFORM_BIN": str(wrapper)})
    assert stacks["keepalive"]["status"] == "ok"
    assert plans(project, "keepalive", before["keepalive"]) == [1, 2]


def test_the_switch_turns_it_off(project):
    applied(project, {})
    stacks, before = applied(project, {"GENERATION_keepalive": "4"}, env={"ORCHESTRATOR_PLAN_AHEAD": "0"})
    assert stacks["keepalive"]["status"] == "ok"
    assert not any(USED in this_run(project, s, before[s]) or NOT_USED in this_run(project, s, before[s])
                   for s in before)
