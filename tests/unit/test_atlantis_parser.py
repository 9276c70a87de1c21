"""Atlantis's own parser (tools/atlantis-check: Atlantis v0.36.0's server/core/config) accepts the
generated atlantis.yaml, keeps accepting it as environments and stacks come and go, and refuses what
Atlantis refuses. Skipped, with the command that builds it, where the checker has not been built."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import REPO, copy_project, run_cli

from orchestrator import tools

CHECKER = tools.installed("atlantis-check")
pytestmark = pytest.mark.skipif(
    CHECKER is None,
    reason="atlantis-check is not built (the source may have changed since): python -m orchestrator tools build atlantis-check",
)
SERVER_CONFIG = REPO / "tools" / "atlantis-check" / "repos.yaml"


def check(path: Path | str, *options: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECKER), *options, str(path)], capture_output=True, text=True, input=stdin, timeout=60)


def generated(root: Path) -> str:
    done = run_cli(root, "atlantis-config", "--root", str(root))
    assert done.code == 0, done.stderr
    return done.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    copy_project(root)
    return root


@pytest.mark.terraform
def test_atlantis_accepts_the_generated_config(tmp_path):
    (tmp_path / "atlantis.yaml").write_text(generated(REPO))
    done = check(tmp_path)  # as the server reads it: the repository's atlantis.yaml
    assert done.returncode == 0 and done.stdout.startswith("OK: version 3, 20 projects, 1 workflows")  # 3 x 6, and dev and staging's queue, done.stdout + done.stderr
    committed = check(REPO / "atlantis.yaml", "-repos-config", str(SERVER_CONFIG))
    assert committed.returncode == 0, committed.stdout


@pytest.mark.terraform
def test_an_added_environment_and_a_removed_stack_are_still_accepted(copy):
    shutil.copy(copy / "environments" / "staging.yaml", copy / "environments" / "qa.yaml")
    stacks = yaml.safe_load((copy / "stacks.yaml").read_text())
    del stacks["stacks"]["keepalive"]
    (copy / "stacks.yaml").write_text(yaml.safe_dump(stacks, sort_keys=False))
    text = generated(copy)
    names = {project["name"] for project in yaml.safe_load(text)["projects"]}
    assert {"qa-network", "qa-api_gateway"} <= names and not any(name.endswith("-keepalive") for name in names)
    (copy / "atlantis.yaml").write_text(text)
    done = check(copy)
    assert done.returncode == 0 and "23 projects" in done.stdout, done.stdout + done.stderr  # 4 x 5, and 3 queues


def _broken(text: str) -> dict[str, str]:
    """Ways to break the generated file, each with what Atlantis says about it."""
    config = yaml.safe_load(text)
    undefined = yaml.safe_load(text)
    undefined["projects"][0]["workflow"] = "orchestrater"
    twice = yaml.safe_load(text)
    twice["projects"][1]["name"] = twice["projects"][0]["name"]
    typo = yaml.safe_load(text)
    typo["projects"][0]["depend_on"] = typo["projects"][0].pop("execution_order_group")
    outside = yaml.safe_load(text)
    outside["projects"][0]["dir"] = "../elsewhere"
    no_version = {key: value for key, value in config.items() if key != "version"}
    return {
        'workflow "orchestrater" is not defined anywhere': yaml.safe_dump(undefined),
        "project names must be unique": yaml.safe_dump(twice),
        "field depend_on not found": yaml.safe_dump(typo),
        "cannot contain '..'": yaml.safe_dump(outside),
        "version: is required": yaml.safe_dump(no_version),
    }


@pytest.mark.parametrize("expected", list(_broken(REPO.joinpath("atlantis.yaml").read_text())))
def test_a_broken_config_is_refused_with_atlantiss_reason(tmp_path, expected):
    path = tmp_path / "atlantis.yaml"
    path.write_text(_broken((REPO / "atlantis.yaml").read_text())[expected])
    done = check(path)
    assert done.returncode == 1 and done.stdout.startswith("ERROR: "), done.stdout + done.stderr
    assert expected in done.stdout


def test_the_server_side_config_must_allow_the_custom_workflow(tmp_path):
    """What the README tells operators is needed, is needed: without it Atlantis refuses the file."""
    strict = tmp_path / "repos.yaml"
    strict.write_text("repos:\n  - id: /.*/\n")
    done = check(REPO / "atlantis.yaml", "-repos-config", str(strict))
    assert done.returncode == 1 and "allowed_overrides: [workflow]" in done.stdout
    strict.write_text("repos:\n  - id: /.*/\n    allowed_overrides: [workflow, apply_requirements]\n")
    done = check(REPO / "atlantis.yaml", "-repos-config", str(strict))
    assert done.returncode == 1 and "allow_custom_workflows: true" in done.stdout
    # prod's approval: the repo config sets apply_requirements, which the server must let it override
    strict.write_text("repos:\n  - id: /.*/\n    allow_custom_workflows: true\n    allowed_overrides: [workflow]\n")
    done = check(REPO / "atlantis.yaml", "-repos-config", str(strict))
    assert done.returncode == 1 and "allowed_overrides: [apply_requirements]" in done.stdout
    strict.write_text("repos:\n  - id: /.*/\n    allow_custom_workflows: true\n    allowed_overrides: [workflow, apply_requirements]\n")
    assert check(REPO / "atlantis.yaml", "-repos-config", str(strict)).returncode == 0


def test_standard_input_and_usage():
    assert check("-", stdin=(REPO / "atlantis.yaml").read_text()).returncode == 0
    assert check("-", stdin="version: 3\nprojects:\n- dir: .\n  bogus: 1\n").returncode == 1
    assert subprocess.run([str(CHECKER)], capture_output=True, timeout=60).returncode == 2


def readme_server_config() -> str:
    """The server-side repo config docs/how-to/run-under-atlantis.md tells people to paste (policy checks on)."""
    text = (REPO / "docs" / "how-to" / "run-under-atlantis.md").read_text()
    start = text.index("**Server-side repo config**")
    block = text[text.index("```yaml\n", start) + len("```yaml\n"):]
    return block[:block.index("```")]


def test_atlantis_accepts_the_readme_server_config_with_the_orchestrator_as_custom_policy_check(tmp_path):
    config = readme_server_config()
    parsed = yaml.safe_load(config)
    # the docs' block is what `atlantis-config --server-side` prints (and the end-to-end harness runs with)
    from orchestrator.release import atlantis as generator

    assert parsed == generator.server_config("github.com/ORG/REPO", ["ana"])
    assert parsed["repos"][0]["policy_check"] is True and parsed["repos"][0]["custom_policy_check"] is True
    assert parsed["policies"]["policy_sets"][0]["path"] == "policies/checkov" and (REPO / "policies" / "checkov").is_dir()
    server = tmp_path / "repos.yaml"
    server.write_text(config)
    done = check(REPO / "atlantis.yaml", "-repos-config", str(server), "-repo-id", "github.com/ORG/REPO")
    assert done.returncode == 0, done.stdout + done.stderr
    server.write_text(config.replace("custom_policy_check: true", "custom_policy_chek: true"))
    refused = check(REPO / "atlantis.yaml", "-repos-config", str(server), "-repo-id", "github.com/ORG/REPO")
    assert refused.returncode != 0, refused.stdout  # Atlantis's parser reads this block, it does not skip it
