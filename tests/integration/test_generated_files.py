"""atlantis.yaml and the GitHub workflows are generated and committed: --check says when they went stale, validate warns."""

from __future__ import annotations

import shutil

import pytest
from helpers import copy_project, run_cli

pytestmark = [pytest.mark.terraform]

ATLANTIS = ("atlantis-config",)
WORKFLOWS = ("ci-config", "github")


@pytest.fixture
def root(tmp_path):
    copy = tmp_path / "project"
    copy_project(copy)
    return copy


def test_a_new_environment_makes_the_generated_files_stale_until_they_are_regenerated(root):
    for command in (ATLANTIS, WORKFLOWS):
        current = run_cli(root, *command, "--check")
        assert (current.code, current.stdout) == (0, ""), current.stderr
    assert "warning" not in run_cli(root, "validate", "dev").stderr

    shutil.copy(root / "environments" / "staging.yaml", root / "environments" / "qa.yaml")
    stale = run_cli(root, *ATLANTIS, "--check")
    assert stale.code == 1, stale.stderr
    assert stale.stdout.startswith("--- a/atlantis.yaml\n+++ b/atlantis.yaml\n@@ ")
    assert "+- name: qa-network\n" in stale.stdout
    assert "regenerate it with `python -m orchestrator atlantis-config --write`" in stale.stderr
    stale = run_cli(root, *WORKFLOWS, "--check")
    assert stale.code == 1, stale.stderr
    assert "--- /dev/null\n+++ b/.github/workflows/orchestrator-apply-qa.yml\n" in stale.stdout
    assert "regenerate it with `python -m orchestrator ci-config github`" in stale.stderr
    assert not (root / ".github" / "workflows" / "orchestrator-apply-qa.yml").exists()  # --check writes nothing

    validated = run_cli(root, "validate", "dev", "--json")
    assert validated.code == 0, validated.stderr
    warned = " ".join(validated.stderr.split())
    assert "warning: atlantis.yaml is stale" in warned and "atlantis-config --write" in warned
    assert "warning: .github/workflows is stale" in warned and "ci-config github" in warned
    assert len(validated.json["warnings"]) == 2

    written = run_cli(root, *ATLANTIS, "--write")
    assert (written.code, written.stdout) == (0, "atlantis.yaml\n"), written.stderr
    assert run_cli(root, *WORKFLOWS).code == 0
    for command in (ATLANTIS, WORKFLOWS):
        assert run_cli(root, *command, "--check").code == 0
    assert run_cli(root, "validate", "qa", "--json").json["warnings"] == []

    (root / "environments" / "qa.yaml").unlink()  # a removed environment leaves its workflow behind
    gone = run_cli(root, *WORKFLOWS, "--check")
    assert gone.code == 1 and "--- a/.github/workflows/orchestrator-apply-qa.yml\n+++ /dev/null\n" in gone.stdout
