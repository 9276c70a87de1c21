"""pr-plan --env: a CI job that holds one account's credentials plans that environment only."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import FIXTURE_PROJECT

from orchestrator.config.project import Project
from orchestrator.release.pr_plan import detect, only_envs, snapshots


def test_only_the_named_environments_are_kept(tmp_path: Path):
    base, head = tmp_path / "base", tmp_path / "head"
    for root in (base, head):
        shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    template = next((head / "environments" / "templates").glob("*.j2"))
    template.write_text(template.read_text() + "\n# changed\n")
    shutil.copy(head / "environments" / "alpha.yaml", head / "environments" / "gamma.yaml")
    (head / "environments" / "beta.yaml").write_text("netwrok: {}\n")  # does not load at the head
    found = detect(snapshots(Project(base)), snapshots(Project(head)), Project(head))
    assert {a.env for a in found.affected} == {"alpha", "gamma"} and found.errors

    alpha = only_envs(found, ("alpha",))
    assert {a.env for a in alpha.affected} == {"alpha"} and not alpha.errors and not alpha.removed
    beta = only_envs(found, ("beta",))
    assert not beta.affected and beta.errors and all(e.startswith("beta:") for e in beta.errors)
    both = only_envs(found, ("alpha", "gamma"))
    assert {a.env for a in both.affected} == {"alpha", "gamma"}
    assert only_envs(found, ()) is found
