"""One exit-status table: the docs' (docs/reference/exit-codes.md, generated) is the code's, --help prints it, and the commands that report
changes, drift or failed checks use 3, never 2 (bad input)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_cli

from orchestrator.config import exit_codes
from orchestrator.policy.checks import Finding, PolicyResult
from orchestrator.release.pr_comment import StackPlan
from orchestrator.release.pr_plan import Detection, PrPlanOutcome

import importlib.util

_spec = importlib.util.spec_from_file_location("docs_reference", REPO / "docs" / "hooks" / "reference.py")
_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_reference)
EXIT_STATUS_PAGE = _reference.build("exit_codes_page")  # docs/reference/exit-codes.md, as the site builds it
ATLANTIS_PAGE = (REPO / "docs" / "how-to" / "run-under-atlantis.md").read_text()


def docs_table() -> dict[int, str]:
    section = EXIT_STATUS_PAGE[EXIT_STATUS_PAGE.index("| status | meaning |"):]
    return {int(code): meaning for code, meaning in re.findall(r"^\| `(\d)` \| (.+) \|$", section, re.M)}


def test_the_docs_table_is_the_codes_table():
    assert docs_table() == exit_codes.MEANINGS
    assert (exit_codes.OK, exit_codes.FAILED, exit_codes.BAD_INPUT, exit_codes.CHANGES) == (0, 1, 2, 3)  # DESIGN's contract


def test_help_prints_the_table():
    done = subprocess.run([sys.executable, "-m", "orchestrator", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"exit status:\n{exit_codes.table()}\n" in done.stdout, done.stdout
    assert "  3  ran and found something to act on: changes (pr-plan), drift (drift)" in done.stdout
    assert "parse arguments" not in done.stdout  # the tool is described, not the module
    assert "Stand up and look after an application's AWS stacks" in done.stdout and "--provider local rehearses" in done.stdout


@pytest.mark.terraform
def test_drift_on_a_broken_environment_file_is_bad_input_not_drift(project):
    (project / "environments" / "alpha.yaml").write_text("region: [not, a, region\n")
    done = run_cli(project, "drift", "alpha", "--json")
    assert done.code == 2 and done.json["stacks"] == [] and "nothing was run" in done.stderr, done.stderr


def _plan(**extra) -> StackPlan:
    return StackPlan(**{"env": "dev", "stack": "alb", "reason": "inputs changed", "status": "ok",
                        "changes": {"add": 0, "change": 1, "destroy": 0}, **extra})


@pytest.mark.parametrize("plans, errors, code", [
    ([], [], 0),
    ([_plan()], [], 3),
    ([_plan(policy=PolicyResult(passed=1, failed=[Finding("CKV_AWS_2", "HTTPS", "aws_lb_listener.http")]))], [], 1),
    ([_plan(status="failed")], [], 1),
    ([_plan()], ["environments/dev.yaml: does not load"], 1),
])
def test_pr_plan_reports_changes_with_3_and_a_failed_policy_check_with_1(plans, errors, code):
    assert PrPlanOutcome("a", "b", Detection([], [], errors), plans).exit_code == code


# --- the cron line of docs/how-to/run-under-atlantis.md for scheduled drift (no scheduler under Atlantis) ---------------------------

def docs_cron_command() -> str:
    """The command of the crontab line in docs/how-to/run-under-atlantis.md, after its five time fields."""
    line = next(line for line in ATLANTIS_PAGE.splitlines() if line.startswith("17 5 * * *  cd /srv/shopfront"))
    return line.split(None, 5)[5]


@pytest.mark.parametrize("code, mails", [(0, False), (3, False), (1, True), (2, True)])
def test_the_docs_cron_line_mails_failures_never_drift(tmp_path: Path, code, mails):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stubs = {"git": "exit 0", "python": f"exit {code}", "mail": f'cat > "{tmp_path}/mailed"'}
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    command = docs_cron_command().replace("/srv/shopfront", str(tmp_path)).replace("/var/tmp/", f"{tmp_path}/")
    done = subprocess.run(["sh", "-c", command], env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mailed").exists() is mails
