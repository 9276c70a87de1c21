"""A stack a team adds itself: its section is validated from its module's variables (issue 24 part 2).

The fixture project (which has no such stack) gets the queue example's module folder, template and
stacks.yaml entry, and nothing else; no orchestrator code knows the stack.
"""

from __future__ import annotations

import pytest
from team_stacks_support import QUEUE_ENTRY, add_queue_stack

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.config.render import render_stack
from orchestrator.release import atlantis, github
from orchestrator.run.core import prepare

@pytest.fixture
def with_queue(project):
    add_queue_stack(project)
    return project


def load(root, body: str | None, env: str = "gamma"):
    if body is not None:
        (root / "environments" / f"{env}.yaml").write_text(body)
    return EnvironmentLoader(Project(root)).load(env)


def problems(root, body: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(root, body)
    return [f"{p.file}:{p.line}: {p.key}: {p.reason}" for p in caught.value.problems]


def test_the_section_takes_the_modules_defaults_and_renders(with_queue):
    env = load(with_queue, "queue:\n  max_receive_count: 3\n")
    section = env.context()["queue"]
    assert section["max_receive_count"] == 3 and section["visibility_timeout_seconds"] == 60
    rendered = render_stack(Project(with_queue), load_graph(Project(with_queue)), env, "queue")
    assert "max_receive_count             = 3\n" in rendered.tfvars
    assert 'queue_name                    = "jobs"\n' in rendered.tfvars


def test_an_environment_without_the_section_gets_the_defaults(with_queue):
    assert load(with_queue, "tags:\n  Team: x\n").context()["queue"]["queue_name"] == "jobs"


@pytest.mark.parametrize("body, expected", [
    ("queue:\n  max_recieve_count: 3\n",
     "environments/gamma.yaml:2: queue.max_recieve_count: unknown key; did you mean 'max_receive_count'?"),
    ("queue:\n  max_receive_count: three\n",
     "environments/gamma.yaml:2: queue.max_receive_count: must be a number (got string 'three')"),
    ("queue:\n  visibility_timeout_seconds: 50000\n",
     "environments/gamma.yaml:2: queue.visibility_timeout_seconds: visibility_timeout_seconds must be between 0 and 43200 (12 hours)."),
    ("queue:\n  queue_name: Jobs\n",
     "environments/gamma.yaml:2: queue.queue_name: queue_name must be 1-30 characters of lowercase letters, digits and hyphens, starting with a letter."),
    ("queue:\n  name: other\n",
     "environments/gamma.yaml:2: queue.name: is set by the orchestrator for every stack (name: the environment's "
     "resource prefix, tags: its tags); remove it here"),
    ("queu:\n  max_receive_count: 3\n",
     "environments/gamma.yaml:1: queu: unknown key; did you mean 'queue'?"),
    ("queue: [1]\n",
     "environments/gamma.yaml:1: queue: must be a mapping of the module's variables (got list)"),
])
def test_mistakes_name_file_line_key_and_reason(with_queue, body, expected):
    assert problems(with_queue, body) == [expected]


def test_built_in_sections_keep_their_pydantic_rules_next_to_a_team_stack(with_queue):
    found = problems(with_queue, "netwrok:\n  az_count: 2\nqueue:\n  max_receive_count: 0\n")
    assert sorted(found) == ["environments/gamma.yaml:1: netwrok: unknown key; did you mean 'network'?",
                             "environments/gamma.yaml:4: queue.max_receive_count: max_receive_count must be between 1 and 1000."]


def test_without_a_team_stack_an_unknown_section_is_refused_as_before(project):
    [found] = problems(project, "queue:\n  max_receive_count: 3\n")
    assert found.startswith("environments/gamma.yaml:1: queue: unknown key; valid keys: project, region,")


def test_variables_fed_by_an_upstream_are_not_environment_keys(with_queue):
    stacks = with_queue / "stacks.yaml"
    stacks.write_text(stacks.read_text().replace(QUEUE_ENTRY, QUEUE_ENTRY + "    inputs:\n      queue_name: network.id\n"))
    assert problems(with_queue, "queue:\n  queue_name: jobs\n") == [
        "environments/gamma.yaml:2: queue.queue_name: is fed by an upstream output in stacks.yaml; remove it here"]


# --- optional stacks: `optional: true` runs a team stack only where the environment sets its section ---

@pytest.fixture
def with_optional_queue(project):
    add_queue_stack(project, optional=True)
    env = project / "environments" / "alpha.yaml"
    env.write_text(env.read_text() + "queue:\n  max_receive_count: 3\n")
    for cloud in ("alpha", "beta"):  # cloud environments, so that the generated Atlantis and GitHub files list them
        path = project / "environments" / f"{cloud}.yaml"
        path.write_text(path.read_text() + "provider: aws\nallowed_account_ids: ['123456789012']\n")
    return project


def test_an_optional_stack_runs_only_where_its_section_is_set(with_optional_queue):
    project = Project(with_optional_queue)
    assert "queue" in prepare(project, "alpha").graph.stacks
    beta = prepare(project, "beta")
    assert "queue" not in beta.graph.stacks and "queue" not in beta.rendered
    assert EnvironmentLoader(project).load("beta").absent_stacks == {"queue"}


def test_generated_files_list_an_optional_stack_only_where_it_runs(with_optional_queue):
    project = Project(with_optional_queue)
    names = {entry["name"] for entry in atlantis.config(project)["projects"]}
    assert "alpha-queue" in names and "beta-queue" not in names and "beta-network" in names
    jobs = {env.name: set(github.apply_workflow(project, env)["jobs"]) for env in github.cloud_environments(project)}
    assert any("queue" in job for job in jobs["alpha"]) and not any("queue" in job for job in jobs["beta"]), jobs


def test_a_stack_in_every_environment_may_not_take_from_an_optional_one(with_optional_queue):
    stacks = with_optional_queue / "stacks.yaml"
    stacks.write_text(stacks.read_text().replace("  keepalive:\n", "  keepalive:\n    depends_on: [queue]\n", 1))
    with pytest.raises(InputError) as caught:
        load_graph(Project(with_optional_queue))
    assert [p.reason for p in caught.value.problems] == [
        "runs in every environment but takes from 'queue', which is optional: make 'keepalive' optional too "
        "(it then runs where both are set)"]


def test_only_a_team_stack_can_be_optional(project):
    stacks = project / "stacks.yaml"
    stacks.write_text(stacks.read_text().replace("  network:\n    module: step\n", "  network:\n    module: step\n    optional: true\n", 1))
    with pytest.raises(InputError) as caught:
        load_graph(Project(project))
    assert "only a stack a team adds can be optional" in caught.value.problems[0].reason
    assert caught.value.problems[0].key == "stacks.network.optional"
