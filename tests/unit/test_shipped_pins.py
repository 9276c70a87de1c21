"""The shipped environments: dev follows the working tree's modules; staging and prod run theirs from a
commit of this repository (modules.ref), written in full so that a shallow clone can fetch it."""

from __future__ import annotations

import subprocess

import pytest
from helpers import REPO

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.run import module_pins


def test_staging_and_prod_pin_a_full_commit_and_dev_follows_the_working_tree():
    loader = EnvironmentLoader(Project(REPO))
    assert loader.load("dev").config.modules.ref is None
    for env in ("staging", "prod"):
        ref = loader.load(env).config.modules.ref
        assert ref is not None and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), (env, ref)


def test_the_pinned_commit_holds_every_module_the_stack_graph_needs():
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git clone: pinned environments need one (they say so when run)")
    project = Project(REPO)
    graph = load_graph(project)
    for env in ("staging", "prod"):
        loaded = EnvironmentLoader(project).load(env)
        runs = graph.without(loaded.absent_stacks)  # prod does not run the optional queue
        pinned = module_pins.pinned_graph(project, loaded, runs)  # refuses a module or variable missing at the pin
        assert {s.module_commit for s in pinned.stacks.values()} == {loaded.config.modules.ref}
        assert ("queue" in pinned.stacks) is (env == "staging")
