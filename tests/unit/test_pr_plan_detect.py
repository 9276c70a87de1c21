"""pr-plan's change detection by meaning, without git or Terraform: two copies of the fixture project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import FIXTURE_PROJECT

from orchestrator.config.project import Project
from orchestrator.release.pr_plan import detect, snapshots

ORDER = ["network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    copies = []
    for name in ("base", "head"):
        shutil.copytree(FIXTURE_PROJECT, tmp_path / name, ignore=shutil.ignore_patterns(".orchestrator"))
        copies.append(tmp_path / name)
    return copies[0], copies[1]


def changes(base: Path, head: Path) -> dict[str, str]:
    found = detect(snapshots(Project(base)), snapshots(Project(head)), Project(head))
    return {f"{a.env}/{a.stack}": a.reason for a in found.affected if a.direct}


def test_identical_revisions_affect_nothing(pair):
    assert changes(*pair) == {}


def test_tags_reach_every_stack_through_the_provider_settings(pair):
    base, head = pair
    alpha = head / "environments" / "alpha.yaml"
    alpha.write_text(alpha.read_text().replace("Team: fixtures", "Team: platform"))
    assert changes(base, head) == {f"alpha/{name}": "provider settings changed" for name in ORDER}


def test_wiring_change_in_stacks_yaml_affects_that_stack_in_every_environment(pair):
    base, head = pair
    stacks = head / "stacks.yaml"
    assert "placeholder: [placeholder-1, placeholder-2]" in stacks.read_text()
    stacks.write_text(stacks.read_text().replace("placeholder: [placeholder-1, placeholder-2]", "placeholder: [other]"))
    assert changes(base, head) == {"alpha/ecs": "wiring changed", "beta/ecs": "wiring changed"}


def test_module_readme_and_examples_do_not_count(pair):
    base, head = pair
    module = head / "terraform_modules" / "step"
    (module / "README.md").write_text("# step\n")
    (module / "examples").mkdir()
    (module / "examples" / "main.tf").write_text("# an example\n")
    assert changes(base, head) == {}
    (module / "extra.tf").write_text("locals {\n  unused = 1\n}\n")
    assert set(changes(base, head)) == {f"{env}/{name}" for env in ("alpha", "beta") for name in ORDER}


def test_secret_references_are_part_of_what_terraform_sees(pair):
    """A new reference, or one pointed elsewhere, changes the value the stack's Terraform gets."""
    base, head = pair
    alpha = head / "environments" / "alpha.yaml"
    plain = alpha.read_text()
    alpha.write_text(plain + "secrets:\n  network.token: {ssm: /fx/alpha/token}\n")
    assert changes(base, head) == {"alpha/network": "secret references changed"}
    shutil.copy(alpha, base / "environments" / "alpha.yaml")
    assert changes(base, head) == {}
    alpha.write_text(plain + "secrets:\n  network.token: {ssm: /fx/alpha/other-token}\n")
    assert changes(base, head) == {"alpha/network": "secret references changed"}
