"""apply initialises the stacks that wait for upstreams while the first ones run (init needs no
upstream output), and a failed early init is run again by the stack's own job."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from helpers import by_name, load_bench, run_cli
from orchestrator.terraform.engine import resolve_binary

pytestmark = [pytest.mark.terraform]

def log_of(root: Path, stack: str) -> Path:
    return root / ".orchestrator" / "alpha" / stack / "terraform.log"


def test_downstream_stacks_are_initialised_while_their_upstreams_run(project):
    applied = run_cli(project, "apply", "alpha", "--auto-approve", "--json")
    assert applied.code == 0, applied.stderr
    commands = load_bench("apply_local").commands  # every command of a stack's log, with its start and end
    network = {c["kind"]: c for c in commands(log_of(project, "network"))}
    alb_init = [c for c in commands(log_of(project, "alb")) if c["kind"] == "init"]
    assert len(alb_init) == 1
    # alb's init began before network's plan was over, not after network's apply
    assert alb_init[0]["start"] < network["plan"]["end"]
    assert all(s["status"] == "ok" for s in by_name(applied.json).values())


def test_a_failed_early_init_is_run_again_by_the_stacks_job(project, tmp_path):
    marker = tmp_path / "failed-once"
    wrapper = tmp_path / "terraform"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = init ] && [ "${{PWD##*/}}" = keepalive ] && [ ! -e {shlex.quote(str(marker))} ]; then\n'
        f"  touch {shlex.quote(str(marker))}; echo 'Error: injected init failure' >&2; exit 1\n"
        "fi\n"
        f'exec {shlex.quote(resolve_binary({"TERRAFORM_BIN": "bundled"}).path)} "$@"\n')
    wrapper.chmod(0o755)
    applied = run_cli(project, "apply", "alpha", "--auto-approve", "--json", env={"TERRAFORM_BIN": str(wrapper)})
    assert applied.code == 0, applied.stderr
    assert by_name(applied.json)["keepalive"]["status"] == "ok"
    inits = [(c["kind"], c["code"]) for c in load_bench("apply_local").commands(log_of(project, "keepalive")) if c["kind"] == "init"]
    assert inits == [("init", 1), ("init", 0)]  # the early one failed; the job's own init ran
