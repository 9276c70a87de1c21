"""Where state lives: the rehearsal on moto writes production's backend file; --state chooses for the built-in provider."""

from __future__ import annotations

import pytest

from helpers import REPO
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.terraform import workdir
from orchestrator.terraform.target import MODES, Target, state_backend

BACKEND = "_orchestrator_backend.tf"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(tmp_path / "work"))
    return Project(REPO)


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_the_moto_rehearsal_writes_the_backend_file_of_the_real_account(project, env_name):
    env = EnvironmentLoader(project).load(env_name)
    for stack in load_graph(project).stacks.values():
        real = workdir.prepare(project, Target.of(env, "aws"), stack)
        rehearsal = workdir.prepare(project, Target.of(env, "moto"), stack, "http://127.0.0.1:4566")
        assert (rehearsal.path / BACKEND).read_text() == (real.path / BACKEND).read_text()  # no endpoint, no path style
        assert rehearsal.state_file is None
    text = (real.path / BACKEND).read_text()
    assert 'backend "s3"' in text and "use_lockfile = true" in text and "encrypt = true" in text
    assert f'key = "shopfront/{env_name}/{stack.name}.tfstate"' in text


def test_the_built_in_providers_s3_state_differs_only_in_its_key(project):
    """The one documented difference: --provider local --state s3 keeps state under <env>.local, beside moto's rehearsal."""
    env = EnvironmentLoader(project).load("staging")
    stack = load_graph(project).stacks["network"]
    real = (workdir.prepare(project, Target.of(env, "aws"), stack).path / BACKEND).read_text()
    local = (workdir.prepare(project, Target.of(env, "local", "s3"), stack).path / BACKEND).read_text()
    assert local == real.replace('key = "shopfront/staging/network.tfstate"', 'key = "shopfront/staging.local/network.tfstate"')
    assert local != real
    default = workdir.prepare(project, Target.of(env, "local"), stack)
    assert 'backend "local"' in (default.path / BACKEND).read_text() and default.state_file is not None


def test_where_state_lives_by_mode_and_choice(project):
    loader = EnvironmentLoader(project)
    staging, local = loader.load("staging"), loader.load("local")
    assert [state_backend(staging, mode) for mode in MODES] == ["s3", "local", "s3"]
    assert state_backend(staging, "local", "s3") == "s3"
    assert state_backend(staging, "moto", "local") == "local"  # the old rehearsal, on request
    assert state_backend(local, "local") == "local"
    with pytest.raises(InputError, match="keeps its state in S3"):
        state_backend(staging, "aws", "local")
    with pytest.raises(InputError, match="declares no S3 backend"):
        state_backend(local, "local", "s3")


def test_one_target_answers_what_the_modes_used_to_branch_on(project):
    """Target.of is the one place --provider and --state become a target; every fact follows from it."""
    loader = EnvironmentLoader(project)
    staging, local = loader.load("staging"), loader.load("local")
    real, moto, rehearsal = Target.of(staging), Target.of(staging, "moto"), Target.of(staging, "local", "s3")
    assert (real.mode, real.state, moto.mode, moto.state) == ("aws", "s3", "moto", "s3")
    assert real.on_aws and real.locks_provider_versions and not real.needs_local_cloud
    assert moto.needs_local_cloud and moto.state_on_local_cloud and not moto.locks_provider_versions
    assert rehearsal.built_in_provider and rehearsal.state_on_local_cloud and rehearsal.rehearsal_of_cloud_environment
    assert Target.of(local).built_in_provider and not Target.of(local).rehearsal_of_cloud_environment
    assert [t.env_dir(project).name for t in (real, moto, rehearsal, Target.of(local))] == ["staging", "staging.moto", "staging.local", "local"]
    assert rehearsal.local_cloud_dir(project) == Target.of(staging, "local").env_dir(project) / "cloud"
    assert moto.role_arn == f"arn:aws:iam::{sorted(staging.config.allowed_account_ids)[0]}:role/orchestrator-rehearsal"
