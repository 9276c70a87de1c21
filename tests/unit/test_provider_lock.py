"""The committed lock file: every real-provider run installs exactly the provider versions it names."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import REPO
from packaging.specifiers import SpecifierSet

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.terraform import workdir
from orchestrator.terraform.target import Target

AWS = "registry.terraform.io/hashicorp/aws"


def locked_providers() -> dict[str, dict]:
    import hcl2
    from hcl2 import SerializationOptions

    document = hcl2.loads((REPO / ".terraform.lock.hcl").read_text(),
                          serialization_options=SerializationOptions(strip_string_quotes=True, explicit_blocks=False))
    return {address: body for block in document["provider"] for address, body in block.items()}


def test_the_lock_pins_aws_within_every_module_constraint_and_for_every_platform():
    import hcl2
    from hcl2 import SerializationOptions

    locked = locked_providers()
    assert set(locked) == {AWS}
    version = locked[AWS]["version"]
    for module in sorted((REPO / "terraform_modules").iterdir()):
        versions = hcl2.loads((module / "versions.tf").read_text(), serialization_options=SerializationOptions(strip_string_quotes=True))
        constraint = versions["terraform"][0]["required_providers"][0]["aws"]["version"]
        assert version in SpecifierSet(constraint.replace(" ", "")), (module.name, constraint)
    # zh: hashes are the registry's package checksums, one per platform it publishes
    assert sum(h.startswith("zh:") for h in locked[AWS]["hashes"]) >= 10


def test_the_local_stand_in_reports_the_locked_version():
    from orchestrator.local_provider import PROVIDER_VERSION

    assert PROVIDER_VERSION == locked_providers()[AWS]["version"]


def test_real_provider_workdirs_hold_the_lock_and_local_ones_do_not(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_WORK_DIR", str(tmp_path))
    project = Project(REPO)
    env = EnvironmentLoader(project).load("dev")
    stack = load_graph(project).stacks["network"]
    real = workdir.prepare(project, Target.of(env, "aws"), stack)
    assert real.locked and (real.path / ".terraform.lock.hcl").read_bytes() == (REPO / ".terraform.lock.hcl").read_bytes()
    local = workdir.prepare(project, Target.of(env, "local"), stack)
    assert not local.locked and not (local.path / ".terraform.lock.hcl").exists()
    assert real.path.is_relative_to(tmp_path) and local.path != real.path


@pytest.mark.terraform
def test_init_with_the_lock_refuses_a_package_it_does_not_name(tmp_path):
    """-lockfile=readonly is real: the local stand-in (same version, other checksum) is refused."""
    from orchestrator.local_provider import cli_environment
    from orchestrator.terraform import bundled, engine

    (tmp_path / "versions.tf").write_text((REPO / "terraform_modules" / "vpc_link" / "versions.tf").read_text())
    (tmp_path / ".terraform.lock.hcl").write_bytes((REPO / ".terraform.lock.hcl").read_bytes())
    environ = {**__import__("os").environ, **cli_environment(tmp_path / "provider", tmp_path / "cloud")}
    bundled.prepare_environment(environ)
    argv = engine.init_command(readonly_lock=True).argv(engine.resolve_binary().path)
    done = subprocess.run(argv, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "checksum" in done.stderr.lower() or "hash" in done.stderr.lower(), done.stderr
    assert (tmp_path / ".terraform.lock.hcl").read_bytes() == (REPO / ".terraform.lock.hcl").read_bytes()
