"""The real hashicorp/aws provider against moto: what these tests need, or a visible reason to skip.

The provider is built from source by `python -m orchestrator tools build terraform-provider-aws`
(tens of minutes the first time; see the README's "Real tools"). Without it every test here skips
with that command in its reason. moto's server runs on loopback for the session, in a private
working directory, and is stopped at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import REPO
from orchestrator.config.project import Project


def real_provider() -> tuple[Path, str] | None:
    try:
        from orchestrator.tools import real_provider_mirror
    except ImportError:
        return None
    return real_provider_mirror()


@pytest.fixture(scope="session")
def provider_mirror() -> tuple[Path, str]:
    found = real_provider()
    if found is None:
        pytest.skip("the real hashicorp/aws provider is not built here: python -m orchestrator tools build terraform-provider-aws")
    return found


@pytest.fixture(scope="session")
def moto_server(provider_mirror, tmp_path_factory):
    """One moto server for the session (as `local-cloud up` starts it), stopped at the end."""
    from orchestrator.run import local_cloud

    work = tmp_path_factory.mktemp("moto-work")
    previous = os.environ.get("ORCHESTRATOR_WORK_DIR")
    os.environ["ORCHESTRATOR_WORK_DIR"] = str(work)
    project = Project(REPO)
    try:
        server = local_cloud.up(project)
        yield server
    finally:
        local_cloud.down(project)
        if previous is None:
            os.environ.pop("ORCHESTRATOR_WORK_DIR", None)
        else:
            os.environ["ORCHESTRATOR_WORK_DIR"] = previous
