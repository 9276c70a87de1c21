"""ORCHESTRATOR_PROVIDER: the default of every --provider (an Atlantis server running the workflows offline)."""

from __future__ import annotations

import pytest

from orchestrator import cli
from orchestrator.config.errors import InputError


@pytest.mark.parametrize("argv", [["plan", "staging"], ["pr-plan", "--base", "main"], ["promote", "dev", "staging"]])
def test_the_server_environment_sets_the_default_and_the_flag_still_wins(monkeypatch, argv):
    monkeypatch.setenv("ORCHESTRATOR_PROVIDER", "local")
    assert cli.build_parser().parse_args(argv).provider == "local"
    assert cli.build_parser().parse_args([*argv, "--provider", "moto"]).provider == "moto"
    monkeypatch.delenv("ORCHESTRATOR_PROVIDER")
    assert cli.build_parser().parse_args(argv).provider == "auto"


def test_an_unknown_value_is_bad_input_naming_the_variable(monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_PROVIDER", "loacl")
    with pytest.raises(InputError) as caught:
        cli.build_parser()
    assert str(caught.value.problems[0]) == "$ORCHESTRATOR_PROVIDER: --provider: 'loacl' is not one of auto, aws, local, moto"
