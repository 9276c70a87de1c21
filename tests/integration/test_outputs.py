"""`output ENV` prints every stack's outputs as `terraform output` does; `output ENV --stack S NAME` one raw value."""

from __future__ import annotations

import json

import pytest

from helpers import by_name, load_bench, run_cli
from orchestrator.run.outputs import local_outputs

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


def test_local_state_is_read_without_a_terraform_process_and_as_terraform_reads_it(project):
    """Outputs of local state are read from the state file (issue 27: no `terraform output` per
    upstream); what is read is what `terraform output -json` itself prints, sensitive values included."""
    path = project / "environments" / "alpha.yaml"
    path.write_text(path.read_text() + "secrets:\n  network.token: {env: FIXTURE_TOKEN}\n")
    applied = run_cli(project, "apply", "alpha", "--auto-approve", env={"FIXTURE_TOKEN": SECRET})
    assert applied.code == 0, applied.stderr
    log = project / ".orchestrator" / "alpha" / "network" / "terraform.log"
    ran = lambda: [c["kind"] for c in load_bench("apply_local").commands(log)]  # noqa: E731

    kinds = ran()
    assert "output" not in kinds  # alb and the rest read network's outputs from its state file
    shown = run_cli(project, "output", "alpha", "--json")
    assert shown.code == 0, shown.stderr
    assert ran() == kinds  # `output` started no Terraform process either

    terraform = run_cli(project, "tf", "alpha", "network", "--", "output", "-json")
    assert terraform.code == 0, terraform.stderr
    state_file = next((project / ".orchestrator").glob("alpha/state/network.tfstate"))
    assert local_outputs(state_file) == json.loads(terraform.stdout)
    assert local_outputs(state_file)["token"] == {"sensitive": True, "type": "string", "value": SECRET}


def test_a_state_file_this_code_does_not_read_is_left_to_terraform(tmp_path):
    assert local_outputs(tmp_path / "never-applied.tfstate") == {}
    locked = tmp_path / "locked.tfstate"  # what a plan of a never-applied stack leaves while it runs
    locked.write_text("")
    assert local_outputs(locked) == {}
    half_written = tmp_path / "half.tfstate"
    half_written.write_text('{"version": 4, "outputs": {')
    assert local_outputs(half_written) is None
    other_format = tmp_path / "v3.tfstate"
    other_format.write_text(json.dumps({"version": 3, "modules": []}))
    assert local_outputs(other_format) is None
    encrypted = tmp_path / "encrypted.tfstate"  # OpenTofu's state encryption
    encrypted.write_text(json.dumps({"encrypted_data": "AAAA", "encryption_version": "v0"}))
    assert local_outputs(encrypted) is None
