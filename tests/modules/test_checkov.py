"""checkov on the modules as written (their defaults): no failed check, and every skip says why.

The same scan a security reviewer runs::

    checkov -d terraform_modules --framework terraform

A check that does not apply to this architecture is skipped in the module's code with
``#checkov:skip=ID:reason``; the reason is what a reviewer reads, so an empty one fails here. The
environments' rendered values are checked by the policy stage on every plan (docs/explanation/security-model.md, Policy checks).

checkov runs from its own environment in the tools cache (``python -m orchestrator tools build
checkov``, or installed here on first use, like the policy stage does); without it and without PyPI
this test skips, saying so.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from plan_inventory import MODULES, REPO

from orchestrator.tools import pypi

pytestmark = [pytest.mark.terraform]

# What checkov writes when a skip comment has no reason after the check id.
NO_REASON = {"", "no comment provided"}


@pytest.fixture(scope="module")
def checkov() -> list[str]:
    found = pypi.command("checkov")
    if found is None:
        try:
            pypi.install("checkov")
        except pypi.InstallError as error:
            pytest.skip(f"checkov is not installed and cannot be installed here ({error}); "
                        "install it with: python -m orchestrator tools build checkov")
        found = pypi.command("checkov")
    if found is None:
        pytest.skip("checkov is not installed; install it with: python -m orchestrator tools build checkov")
    return found


@pytest.fixture(scope="module")
def scan(checkov) -> dict:
    done = subprocess.run(
        [*checkov, "-d", str(MODULES.relative_to(REPO)), "--framework", "terraform", "--output", "json",
         "--skip-download"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    assert done.returncode in (0, 1), f"checkov did not run (exit {done.returncode}):\n{done.stderr[-3000:]}"
    document = json.loads(done.stdout)
    reports = document if isinstance(document, list) else [document]
    (report,) = [r for r in reports if r.get("check_type") == "terraform"]
    return report


def _where(check: dict) -> str:
    return f"{check['check_id']} {check['resource']} ({check['file_path'].lstrip('/')}:{check['file_line_range'][0]})"


def test_the_modules_fail_no_check(scan):
    summary = scan["summary"]
    failed = scan["results"].get("failed_checks", [])
    assert summary["parsing_errors"] == 0, f"checkov could not parse: {summary}"
    assert summary["passed"] > 100, f"checkov checked suspiciously little: {summary}"
    assert not failed, (
        f"{len(failed)} failed checkov checks in terraform_modules/ (fix them, or skip one that does not apply "
        "in the code with #checkov:skip=ID:reason):\n  " + "\n  ".join(f"{_where(c)}: {c['check_name']}" for c in failed)
    )


def test_every_skip_gives_its_reason(scan):
    skipped = scan["results"].get("skipped_checks", [])
    unexplained = [_where(c) for c in skipped
                   if (c.get("check_result", {}).get("suppress_comment") or "").strip().lower() in NO_REASON]
    assert not unexplained, "skipped without a reason (#checkov:skip=ID:reason):\n  " + "\n  ".join(unexplained)
    short = [_where(c) for c in skipped if len(c["check_result"]["suppress_comment"].split()) < 8]
    assert not short, "a skip's reason must say why the check does not apply here, in a sentence:\n  " + "\n  ".join(short)
