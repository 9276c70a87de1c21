"""The account behind the credentials must be one the environment allows (STS through moto)."""

import pytest
from helpers import REPO
from moto import mock_aws

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.project import Project
from orchestrator.run import accounts


@pytest.fixture
def dev():
    return EnvironmentLoader(Project(REPO)).load("dev")


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_allowed_account_passes(dev, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111111111111")
    with mock_aws():
        assert accounts.check(dev, "environments/dev.yaml") == "111111111111"


def test_other_account_is_refused(dev, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "333333333333")
    with mock_aws(), pytest.raises(InputError) as caught:
        accounts.check(dev, "environments/dev.yaml")
    assert "belong to account 333333333333, which environment 'dev' does not allow (111111111111)" in str(caught.value)
