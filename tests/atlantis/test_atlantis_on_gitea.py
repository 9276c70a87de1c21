"""The generated atlantis.yaml under a real Atlantis 0.36.0 and a real Gitea 1.27.3, offline.

Pull requests are opened, commented, approved and merged through Gitea's API, as people do; Atlantis
gets Gitea's webhooks and runs the generated workflows, whose steps run the orchestrator of this
checkout on the built-in provider (ORCHESTRATOR_PROVIDER=local on the server). The stacks' state and
the built-in provider's store live in the server's ORCHESTRATOR_WORK_DIR, where the test reads them.

Where the tools are not built, every test skips with the command that builds them.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from atlantis_harness import Harness, python_bin
from helpers import PROJECT_COPY_IGNORE, REPO
from orchestrator.release import atlantis as atlantis_config
from orchestrator.tools import layout
from orchestrator.tools.catalog import tool

pytestmark = [pytest.mark.atlantis, pytest.mark.slow]

STACKS = ["network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"]


def gitea_source() -> Path | None:
    """The downloaded Gitea module: a build without bindata reads its locales and templates there."""
    done = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True) if layout.installed("gitea") else None
    if done is None or done.returncode != 0:
        return None
    item = tool("gitea")
    source = Path(done.stdout.strip()) / f"{item.module}@{item.version}"
    return source if (source / "options" / "locale").is_dir() else None


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    missing = [name for name in ("gitea", "atlantis") if layout.installed(name) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: python -m orchestrator tools build gitea atlantis")
    source = gitea_source()
    if source is None:
        pytest.skip("the Gitea module is not in the Go module cache: python -m orchestrator tools build gitea --force")
    from orchestrator.tools import pypi

    pypi.install("checkov")  # the policy_check stage; once per machine
    root = tmp_path_factory.mktemp("atlantis-e2e")
    h = Harness(root, layout.installed("gitea"), source, layout.installed("atlantis"))
    try:
        h.start_gitea()
        h.create_repository(REPO, PROJECT_COPY_IGNORE)
        yield h
    finally:
        h.close()


@pytest.fixture(scope="module")
def server(harness):
    """Atlantis with the server-side config the docs give, on the default (branch) checkout strategy.
    Atlantis names a Gitea repository by host without port, owner and name."""
    config = atlantis_config.render_server_config("127.0.0.1/author/infra", ["reviewer"])
    harness.start_atlantis("branch", config, python_bin(), layout.cache_root().parent.parent)
    yield harness
    harness.stop_atlantis()


def work_dir(h: Harness) -> Path:
    return h.root / "atlantis-branch" / "orchestrator" / "author" / "infra"


def state(h: Harness, env: str, stack: str) -> dict | None:
    path = work_dir(h) / f"{env}.local" / "state" / f"{stack}.tfstate"
    return json.loads(path.read_text()) if path.is_file() else None


def edit_yaml(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def projects_in(comment: str) -> list[str]:
    """The projects an Atlantis comment reports on, in its order."""
    return list(dict.fromkeys(re.findall(r"project: `([^`]+)`", comment)))


def apply_until_done(h: Harness, number: int, rounds: int = len(STACKS)) -> list[str]:
    """Bare `atlantis apply` as many times as needed: 0.36.0 reads the pull's status once per command,
    so a project whose dependency was applied by the same command is refused until the next one."""
    answers = []
    for _ in range(rounds):
        answer = h.ask(number, "atlantis apply", "Ran Apply")
        answer = answer[answer.index("Ran Apply"):]
        assert h.BUSY not in answer, answer[:4000]
        answers.append(answer)
        if "Can't apply your project unless you apply its dependencies" not in answer:
            break
    return answers


def test_a_new_environment_is_planned_whole_and_brought_up_in_order_by_bare_apply(server):
    h = server

    def add_staging_task(clone: Path) -> None:
        edit_yaml(clone / "environments" / "staging.yaml", lambda d: d["app"].update(desired_count=3))

    number = h.open_pull_request("staging-tasks", "staging: one more task", add_staging_task)
    plan = h.answer(number, 0, "Ran Plan")
    assert sorted(projects_in(plan)) == sorted(f"staging-{s}" for s in STACKS)  # staging only: dev and prod untouched
    assert "Plan Error" not in plan and "is currently locked by another command" not in plan, plan[:6000]
    assert "6 projects, 6 with changes, 0 with no changes, 0 failed" in plan

    [answer] = apply_until_done(h, number)  # one bare apply: the groups in DAG order
    assert "Apply Error" not in answer and "Apply Failed" not in answer, answer[:6000]
    for stack in STACKS:
        assert state(h, "staging", stack)["resources"], stack  # in the local cloud
    assert projects_in(answer)[0] == "staging-network"  # the first group applied first
    h.merge(number)


def test_a_one_stack_change_on_an_applied_environment_plans_one_stack_and_applies(server):
    h = server
    assert state(h, "staging", "ecs") is not None, "needs the previous test's staging"

    def one_more_task(clone: Path) -> None:
        edit_yaml(clone / "environments" / "staging.yaml", lambda d: d["app"].update(desired_count=4))

    number = h.open_pull_request("staging-one-more", "staging: four tasks", one_more_task)
    plan = h.answer(number, 0, "Ran Plan")
    assert "6 projects, 1 with changes, 5 with no changes, 0 failed" in plan, plan[:6000]
    assert plan.count("No changes. Your infrastructure matches the configuration.") == 5
    before = state(h, "staging", "ecs")["serial"]
    applied = h.ask(number, "atlantis apply", "Ran Apply")  # bare: every pending plan, in DAG order, at once
    applied = applied[applied.index("Ran Apply"):]
    assert "Apply Error" not in applied and "Apply Failed" not in applied, applied[:6000]
    assert state(h, "staging", "ecs")["serial"] > before
    h.merge(number)


def test_apply_waits_for_approval_where_the_environment_requires_it(server):
    h = server

    def prod_tag(clone: Path) -> None:
        edit_yaml(clone / "environments" / "prod.yaml", lambda d: d.setdefault("tags", {}).update(Reviewed="yes"))

    number = h.open_pull_request("prod-tag", "prod: a tag", prod_tag)
    plan = h.answer(number, 0, "Ran Plan")
    assert sorted(projects_in(plan)) == sorted(f"prod-{s}" for s in STACKS)
    refused = h.ask(number, "atlantis apply -p prod-network", "Apply")
    assert "must be approved" in refused and state(h, "prod", "network") is None
    h.approve(number)
    applied = h.ask(number, "atlantis apply -p prod-network", "Ran Apply")
    assert "Apply Error" not in applied and "must be approved" not in applied, applied[:6000]
    assert state(h, "prod", "network")["resources"]
