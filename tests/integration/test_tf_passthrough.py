"""tf ENV STACK -- ARGS: Terraform itself in the stack's prepared working directory, under the environment's lock."""

from __future__ import annotations

import pytest
from helpers import run_cli

from orchestrator.run import lock as envlock

pytestmark = [pytest.mark.terraform]


@pytest.fixture
def applied(project):
    done = run_cli(project, "apply", "alpha", "--stack", "network", "--auto-approve")
    assert done.code == 0, done.stderr
    return project


def tf(root, *args):
    return run_cli(root, "tf", "alpha", "network", *args)


def test_terraform_runs_in_the_stacks_directory_with_its_inputs(applied):
    listed = tf(applied, "--", "state", "list")
    assert (listed.code, listed.stdout) == (0, "terraform_data.this\n"), listed.stderr
    assert tf(applied, "--", "output", "-raw", "value").stdout == "fx-alpha-network:payload-network"
    shown = tf(applied, "--", "state", "show", "terraform_data.this")
    assert shown.code == 0 and '"fx-alpha-network"' in shown.stdout
    missing = tf(applied, "--", "state", "show", "terraform_data.nothing")
    assert missing.code == 1  # Terraform's own exit status


def test_readers_share_the_environment_writers_wait_for_it(applied):
    # Another run plans alb: it holds the environment shared, as every plan does.
    with envlock.hold(applied / ".orchestrator" / "alpha", "alpha", "plan", 0, ("alb",)):
        assert tf(applied, "--", "state", "list").code == 0
        refused = tf(applied, "--", "state", "rm", "terraform_data.this")
        assert refused.code == 1 and "environment 'alpha' is locked by" in refused.stderr
    assert tf(applied, "--", "state", "list").stdout == "terraform_data.this\n"  # nothing was removed
    removed = tf(applied, "--", "state", "rm", "terraform_data.this")
    assert removed.code == 0, removed.stderr
    assert tf(applied, "--", "state", "list").stdout == ""


@pytest.mark.parametrize("args, message", [
    (("--", "apply"), "run `python -m orchestrator apply ENV --stack STACK` instead"),
    (("--", "workspace", "new", "x"), "passes through state list, state show"),
    (("--",), "not 'nothing'"),
    (("state", "list"), "Terraform's arguments go after --: tf alpha network -- state list"),
    (("--", "state", "list", "--stack", "x"), None),  # everything after -- is Terraform's: it refuses --stack itself
])
def test_what_is_not_passed_through_is_bad_input(project, args, message):
    done = tf(project, *args)
    if message is None:
        assert done.code == 1 and "flag provided but not defined: -stack" in done.stderr
    else:
        assert done.code == 2 and message in " ".join(done.stderr.split()), done.stderr
