"""The real CLI on real Terraform, over the fixture project's terraform_data stacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers import by_name, planned_network_input, run_cli, set_app_environment

pytestmark = [pytest.mark.terraform]

ORDER = ["network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"]



def state_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".orchestrator").rglob("*.tfstate") if p.parent.name == "state")


def test_apply_follows_the_dag_passes_outputs_and_is_idempotent(project):
    first = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert first.code == 0, first.stderr
    document = first.json
    assert document["env"] == "alpha" and document["command"] == "apply"
    stacks = by_name(document)
    assert list(stacks) == ORDER
    for stack in stacks.values():
        assert stack["status"] == "ok"
        assert stack["changes"] == {"add": 1, "change": 0, "destroy": 0}
        assert set(stack) >= {"name", "status", "changes", "workdir", "plan_json", "outputs"}
        assert Path(stack["plan_json"]).is_file()
        shown = subprocess.run(["terraform", f"-chdir={stack['workdir']}", "show", "-json"], capture_output=True, text=True)
        assert shown.returncode == 0 and json.loads(shown.stdout)["values"]["root_module"]["resources"]
    # Every stack starts after all of its upstreams finished.
    for name, upstreams in {"alb": ["network"], "ecs": ["alb", "network"], "vpc_link": ["alb"], "api_gateway": ["vpc_link"], "keepalive": ["api_gateway"]}.items():
        for upstream in upstreams:
            assert stacks[name]["started_at"] >= stacks[upstream]["finished_at"]
    # Outputs flowed downstream: network.id -> alb.upstream_a; network.list -> ecs.upstream_b.
    plan = json.loads(Path(stacks["ecs"]["plan_json"]).read_text())
    planned = plan["resource_changes"][0]["change"]["after"]["input"]
    assert planned["upstream_a"] == stacks["alb"]["outputs"]["id"]
    assert planned["upstream_b"] == stacks["network"]["outputs"]["list"]
    assert stacks["keepalive"]["outputs"]["value"] == "fx-alpha-keepalive:payload-keepalive"

    again = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert again.code == 0
    assert {s["status"] for s in again.json["stacks"]} == {"no-changes"}
    assert "no-changes" in again.stderr

    outputs = run_cli(project, "output", "alpha", "--json")
    assert by_name(outputs.json)["network"]["outputs"]["id"] == stacks["network"]["outputs"]["id"]

    refused = run_cli(project, "destroy", "alpha", "--json")  # no terminal to ask, no --auto-approve
    assert refused.code == 2 and "destroy needs --auto-approve" in refused.stderr
    assert by_name(run_cli(project, "output", "alpha", "--json").json)["network"]["outputs"]["id"] == stacks["network"]["outputs"]["id"]
    destroyed = run_cli(project, "destroy", "alpha", "--auto-approve", "--json")
    assert destroyed.code == 0, destroyed.stderr
    gone = by_name(destroyed.json)
    assert all(s["changes"]["destroy"] == 1 for s in gone.values())
    for name, upstreams in {"alb": ["network"], "ecs": ["alb", "network"], "vpc_link": ["alb"], "api_gateway": ["vpc_link"], "keepalive": ["api_gateway"]}.items():
        for upstream in upstreams:
            assert gone[upstream]["started_at"] >= gone[name]["finished_at"]  # reverse order
    after = run_cli(project, "output", "alpha", "--json")
    assert all(s["outputs"] == {} for s in after.json["stacks"])


def test_independent_branches_run_in_parallel(project):
    set_app_environment(project, "alpha", {"SLEEP_ecs": "2", "SLEEP_vpc_link": "2"})
    done = run_cli(project, "apply", "alpha", "--auto-approve", "--json", "--parallelism", "2")
    assert done.code == 0, done.stderr
    stacks = by_name(done.json)
    ecs, link = stacks["ecs"], stacks["vpc_link"]
    assert ecs["started_at"] < link["finished_at"] and link["started_at"] < ecs["finished_at"]


def test_failure_stops_dependents_other_branches_finish_and_rerun_resumes(project):
    set_app_environment(project, "alpha", {"FAIL": "vpc_link"})
    failed = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert failed.code == 1
    stacks = by_name(failed.json)
    assert stacks["vpc_link"]["status"] == "failed"
    assert "told to fail" in stacks["vpc_link"]["error"]
    assert stacks["api_gateway"]["status"] == "skipped" and stacks["keepalive"]["status"] == "skipped"
    assert stacks["ecs"]["status"] == "ok"
    assert "vpc_link failed" in failed.stderr and "terraform.log" in failed.stderr
    states_before = {p.name: p.read_text() for p in state_files(project)}
    assert {"network.tfstate", "alb.tfstate", "ecs.tfstate"} <= set(states_before)

    set_app_environment(project, "alpha", {"FAIL": "nothing"})
    resumed = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert resumed.code == 0, resumed.stderr
    statuses = {s["name"]: s["status"] for s in resumed.json["stacks"]}
    assert statuses == {"network": "no-changes", "alb": "no-changes", "ecs": "no-changes", "vpc_link": "ok", "api_gateway": "ok", "keepalive": "ok"}
    for name in ("network", "alb", "ecs"):
        assert (project / ".orchestrator" / "alpha" / "state" / f"{name}.tfstate").read_text() == states_before[f"{name}.tfstate"]


def test_plan_of_a_new_environment_uses_placeholders_and_apply_of_one_stack_refuses_them(project):
    planned = run_cli(project, "plan", "alpha", "--json", "--parallelism", "6")
    assert planned.code == 0, planned.stderr
    stacks = by_name(planned.json)
    assert stacks["network"]["placeholders"] == []
    assert stacks["ecs"]["placeholders"] == ["alb.id", "network.list"]
    assert "placeholders" in planned.stderr
    # Plans read upstream outputs from state: none waits for another, so all six run at once.
    assert max(s["started_at"] for s in stacks.values()) < min(s["finished_at"] for s in stacks.values())
    plan = json.loads(Path(stacks["ecs"]["plan_json"]).read_text())
    assert plan["resource_changes"][0]["change"]["after"]["input"]["upstream_b"] == ["placeholder-1", "placeholder-2"]

    lonely = run_cli(project, "apply", "alpha", "--stack", "alb", "--auto-approve", "--json")
    assert lonely.code == 1
    assert "apply stack 'network' first" in by_name(lonely.json)["alb"]["error"]
    assert not (project / ".orchestrator" / "alpha" / "state" / "alb.tfstate").exists()


def test_selected_stack_reads_upstream_outputs_from_state(project):
    assert run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve").code == 0
    alb = run_cli(project, "apply", "alpha", "--stack", "alb", "--auto-approve", "--json")
    assert alb.code == 0, alb.stderr
    network_id = by_name(run_cli(project, "output", "alpha", "--json", "--stack", "network").json)["network"]["outputs"]["id"]
    plan = json.loads((project / ".orchestrator" / "alpha" / "alb" / "plan.json").read_text())
    assert plan["resource_changes"][0]["change"]["after"]["input"]["upstream_a"] == network_id


def test_yaml_strings_reach_terraform_verbatim(project):
    tricky = 'quote " backslash \\ newline\nend ${var.name} %{ if true }x%{ endif } ünïcødé ✓ $${already} tab\t'
    planned, _ = planned_network_input(project, tricky)
    assert planned["payload"] == tricky


def test_environment_requiring_approval_refuses_without_a_terminal(project):
    refused = run_cli(project, "apply", "beta")
    assert refused.code == 2
    assert "requires approval" in refused.stderr
    assert not (project / ".orchestrator").exists()
    approved = run_cli(project, "apply", "beta", "--stack", "network", "--auto-approve")
    assert approved.code == 0, approved.stderr


def test_two_environments_do_not_share_anything(project):
    assert run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve").code == 0
    assert run_cli(project, "apply", "beta", "--stack", "network", "--auto-approve").code == 0
    states = {p.parent.parent.name for p in state_files(project)}
    assert states == {"alpha", "beta"}
    assert not list((project / "terraform_modules").rglob(".terraform*"))


def test_graph_render_validate(project):
    graph = run_cli(project, "graph", "alpha", "--format", "mermaid")
    assert graph.code == 0 and "network --> alb" in graph.stdout
    rendered = run_cli(project, "render", "alpha", "--json")
    assert rendered.json["stacks"]["ecs"].startswith('name    = "fx-alpha-ecs"')
    valid = run_cli(project, "validate", "alpha")
    assert valid.code == 0 and "alpha is valid" in valid.stderr


def test_saved_plan_is_applied_exactly_and_refused_when_stale_or_made_with_placeholders(project, tmp_path):
    saved = tmp_path / "alb.tfplan"
    # Against a never-applied upstream the plan holds placeholders: it can be shown, and applied only once
    # the upstream is (planned again against its outputs, and only if it does what was reviewed).
    assert run_cli(project, "plan", "alpha", "--stack", "alb", "--out", str(saved)).code == 0
    refused = run_cli(project, "apply", "alpha", "--stack", "alb", "--plan-file", str(saved), "--json")
    assert refused.code == 1 and "upstream output network.id is not in state: apply stack 'network' first" in refused.json["stacks"][0]["error"]

    assert run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve").code == 0
    shown = run_cli(project, "plan", "alpha", "--stack", "alb", "--out", str(saved), "--show")
    assert shown.code == 0 and "# terraform_data.this will be created" in shown.stdout  # what Atlantis comments
    applied = run_cli(project, "apply", "alpha", "--stack", "alb", "--plan-file", str(saved), "--json")
    assert applied.code == 0, applied.stderr
    assert applied.json["stacks"][0]["changes"] == {"add": 1, "change": 0, "destroy": 0}

    # Upstream outputs move on after the plan was made: the plan is stale.
    assert run_cli(project, "plan", "alpha", "--stack", "alb", "--out", str(saved)).code == 0
    set_app_environment(project, "alpha", {"PAYLOAD": "changed"})
    assert run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve").code == 0
    stale = run_cli(project, "apply", "alpha", "--stack", "alb", "--plan-file", str(saved), "--json")
    assert stale.code == 1 and "stale plan" in stale.json["stacks"][0]["error"]

    missing = run_cli(project, "apply", "alpha", "--stack", "alb", "--plan-file", str(tmp_path / "nope"))
    assert missing.code == 2 and "no such saved plan" in missing.stderr
    both = run_cli(project, "plan", "alpha", "--out", str(saved))
    assert both.code == 2 and "exactly one stack" in both.stderr
