"""What `plan` prints for a person: Terraform's diff per stack at a terminal (not into a pipe), and the
accepted policy checks folded into one line unless asked for."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from helpers import cli_environment, copy_project, run_cli

pytestmark = [pytest.mark.terraform]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("plan-output") / "project"
    copy_project(root)
    return root


def _plan_at_a_terminal(root, *args: str) -> tuple[int, str, str]:
    """`plan local --stack network` with stdout on a pseudo-terminal, as a person runs it."""
    main, replica = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "orchestrator", "plan", "local", "--stack", "network", *args],
                               cwd=root, env=cli_environment(root), stdin=subprocess.DEVNULL, stdout=replica,
                               stderr=subprocess.PIPE, text=True)
    os.close(replica)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    stderr = process.stderr.read()
    code = process.wait(timeout=600)
    os.close(main)
    return code, b"".join(chunks).decode(errors="replace"), stderr


def test_a_terminal_sees_what_will_change_and_a_pipe_does_not(project):
    code, shown, _ = _plan_at_a_terminal(project)
    assert code == 0
    assert "# --- network" in shown and "aws_vpc.this will be created" in shown and "Plan: " in shown
    code, hidden, _ = _plan_at_a_terminal(project, "--no-show")
    assert code == 0 and "will be created" not in hidden
    piped = run_cli(project, "plan", "local", "--stack", "network", timeout=600)
    assert piped.code == 0 and "will be created" not in piped.stdout
    forced = run_cli(project, "plan", "local", "--stack", "network", "--show", timeout=600)
    assert "aws_vpc.this will be created" in forced.stdout


def test_accepted_checks_fold_into_one_line_unless_asked(project):
    folded = run_cli(project, "plan", "local", "--stack", "network", timeout=600)
    assert folded.code == 0, folded.stderr[-3000:]
    assert "ACCEPTED  " not in folded.stderr
    assert "accepted policy check(s) not listed (network " in folded.stderr and "--show-accepted lists them" in folded.stderr
    listed = run_cli(project, "plan", "local", "--stack", "network", "--show-accepted", timeout=600)
    assert "ACCEPTED  CKV2_AWS_11 aws_vpc.this" in listed.stderr and "not listed" not in listed.stderr
