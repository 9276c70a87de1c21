"""The real hashicorp/aws provider against moto: what these tests need, or a visible reason to skip.

The provider is built from source by `python -m orchestrator tools build terraform-provider-aws`
(tens of minutes the first time; see the README's "Real tools"). Without it every test here skips
with that command in its reason. moto's server runs on loopback for the session, in a private
working directory, and is stopped at the end.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import pytest

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
    """One moto server for the session (as `local-cloud up` starts it), stopped at the end.

    It is recorded in a private project's working directory (never the developer's, and without
    touching this process's environment: other tests' runs must not find it).
    """
    from orchestrator.local_cloud import moto_server

    project = Project(tmp_path_factory.mktemp("moto-work"))
    own_directory = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_WORK_DIR"}
    with mock.patch.dict(os.environ, own_directory, clear=True):
        server = moto_server.up(project)
    try:
        yield server
    finally:
        with mock.patch.dict(os.environ, own_directory, clear=True):
            moto_server.down(project)
