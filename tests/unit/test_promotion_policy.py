"""promotion.yaml is read like every project file: safe loader, limits, schema, problems with lines."""

import shutil

import pytest
from helpers import REPO

from orchestrator.config.errors import InputError
from orchestrator.config.project import Project
from orchestrator.release.promote import load_policy


@pytest.fixture
def project(tmp_path):
    shutil.copy(REPO / "promotion.yaml", tmp_path / "promotion.yaml")
    return tmp_path


def problems(root) -> list[str]:
    with pytest.raises(InputError) as refused:
        load_policy(Project(root))
    return [str(p) for p in refused.value.problems]


def test_the_project_policy_loads():
    policy = load_policy(Project(REPO))
    assert policy.chain == ("dev", "staging", "prod") and policy.stack == "ecs"
    assert [p.key for p in policy.promotable] == ["app.image_tag", "app.environment", "queue.visibility_timeout_seconds"]
    assert [(p.read, p.output) for p in policy.promotable] == [
        ("image_tag", None), ("container_environment", None), (None, "visibility_timeout_seconds")]  # a team stack's key


def test_duplicate_keys_are_refused(project):
    path = project / "promotion.yaml"
    path.write_text(path.read_text() + "stack: alb\n")
    assert any("duplicate" in p and "stack" in p for p in problems(project))


def test_unknown_keys_and_wrong_types_name_key_and_line(project):
    path = project / "promotion.yaml"
    path.write_text(path.read_text().replace("stack: ecs", "stak: ecs").replace("chain: [dev, staging, prod]", "chain: dev"))
    found = problems(project)
    assert any("stak" in p and "unknown key; did you mean 'stack'?" in p for p in found), found
    assert "promotion.yaml:6: chain: Input should be a valid list (got 'dev')" in found


def test_oversized_files_are_refused(project):
    (project / "promotion.yaml").write_text("chain: [dev, prod]\n#" + "x" * 1_100_000 + "\n")
    assert any("the limit is" in p for p in problems(project))
