"""The tiers' enforcement (tests/conftest.py): what a started process counts as, and a test that
starts Terraform without its marker failing."""

from __future__ import annotations

import sys
from pathlib import Path

from helpers import started_kinds

pytest_plugins = ["pytester"]


def test_processes_are_classified_by_what_they_start():
    assert started_kinds([sys.executable, "-m", "orchestrator", "plan", "dev"]) == {"terraform"}
    assert started_kinds(["/usr/local/bin/terraform", "init"]) == {"terraform"}
    assert started_kinds([sys.executable, "-m", "orchestrator.local_cloud.moto_server", "serve", "1234"]) == {"moto"}
    assert started_kinds(["git", "status"]) == set() and started_kinds("echo hi") == set()
    assert started_kinds([sys.executable, "-m", "orchestrator", "--version"]) == set()  # no project, no Terraform
    real = [sys.executable, "-m", "orchestrator", "apply", "dev", "--provider", "moto"]
    assert started_kinds(real) == {"terraform", "real_provider"}  # --provider moto runs the real provider
    assert started_kinds([sys.executable, "-m", "orchestrator", "bootstrap", "dev", "--provider", "moto"]) == {"terraform"}


def test_a_test_that_starts_terraform_unmarked_fails_and_marked_passes(pytester, monkeypatch):
    pytester.makeconftest((Path(__file__).parents[1] / "conftest.py").read_text())
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))  # the conftest imports the tests' helpers
    pytester.makepyfile(test_started="""
import subprocess, sys
import pytest

def _start():
    subprocess.run([sys.executable, "-m", "orchestrator", "graph", "nothing"], capture_output=True)

def test_unmarked():
    _start()

@pytest.mark.terraform
def test_marked():
    _start()
""")
    pytester.makeini("[pytest]\nmarkers =\n    terraform: x\n    moto: x\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_unmarked started terraform without the marker*"])
