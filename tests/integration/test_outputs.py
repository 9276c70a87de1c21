"""`output ENV` prints every stack's outputs as `terraform output` does; `output ENV --stack S NAME` one raw value."""

from __future__ import annotations

import json

import pytest

from helpers import by_name, run_cli

pytestmark = [pytest.mark.terraform]

SECRET = "planted-0utput-S3cret"


def test_output_prints_outputs_per_stack_and_one_raw_value(project):
    path = project / "environments" / "alpha.yaml"
    path.write_text(path.read_text() + "secrets:\n  network.token: {env: FIXTURE_TOKEN}\n")
    applied = run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve", "--json", env={"FIXTURE_TOKEN": SECRET})
    assert applied.code == 0, applied.stderr
    network_id = by_name(applied.json)["network"]["outputs"]["id"]

    shown = run_cli(project, "output", "alpha", "--stack", "network", "--stack", "alb")
    assert shown.code == 0, shown.stderr
    assert shown.stdout == (
        "# --- network\n"
        f'id = "{network_id}"\n'
        f'list = [\n  "{network_id}",\n  "fx-alpha-network",\n]\n'
        "token = (sensitive)\n"
        'value = "fx-alpha-network:payload-network"\n'
        "# --- alb\n"
        "# no outputs in state (never applied)\n"
    )
    assert SECRET not in shown.stdout + shown.stderr
    assert "+0 ~0 -0" not in shown.stderr  # nothing was planned: no changes column

    def raw(*args):
        return run_cli(project, "output", "alpha", "--stack", "network", *args)

    assert (raw("value").code, raw("value").stdout) == (0, "fx-alpha-network:payload-network")
    assert raw("token").stdout == SECRET  # asked for by name, as terraform output -raw gives it
    assert json.loads(raw("list", "--json").stdout) == [network_id, "fx-alpha-network"]
    typo = raw("valeu")
    assert typo.code == 2 and "has no output 'valeu'; did you mean 'value'?" in typo.stderr
    unscoped = run_cli(project, "output", "alpha", "value")
    assert unscoped.code == 2 and "output NAME reads one stack: add --stack STACK" in unscoped.stderr
