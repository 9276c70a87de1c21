"""Module declarations read with a real HCL parser, cached by content."""

from pathlib import Path

import pytest
from helpers import FIXTURE_PROJECT, REPO

from orchestrator.config import module_info


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    module_info._read.cache_clear()


def test_the_fixture_module():
    info = module_info.read(FIXTURE_PROJECT / "terraform_modules" / "step")
    assert {"name", "payload", "upstream_a", "upstream_b", "token"} <= info.variables
    assert info.sensitive_variables == {"token"}
    assert info.outputs == {"id", "value", "list", "token"}
    assert info.providers == frozenset()


def test_the_project_modules_need_aws():
    for module in ("network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"):
        info = module_info.read(REPO / "terraform_modules" / module)
        assert info.providers == {"aws"} and info.variables and info.outputs, module


def test_any_valid_layout_is_understood(tmp_path):
    """One-line blocks, odd spacing, a heredoc: the layouts a line scanner gets wrong."""
    (tmp_path / "a.tf").write_text(
        'variable "one" { type = string }\n'
        'variable "two" {\n  description = <<-EOT\n    }\n    variable "fake" {\n  EOT\n  sensitive   =   true\n}\n'
        'output "o" { value = var.one }\n'
    )
    (tmp_path / "b.tf").write_text(
        'terraform {\n  required_providers {\n    random = { source = "hashicorp/random" }\n  }\n}\n'
        '  variable "indented" {\n    sensitive = false\n  }\n'
    )
    info = module_info.read(tmp_path)
    assert info.variables == {"one", "two", "indented"}
    assert info.sensitive_variables == {"two"}
    assert info.outputs == {"o"} and info.providers == {"random"}
    assert info.aliased_providers == frozenset()


def test_providers_with_several_configurations(tmp_path):
    """A provider block with an alias, or configuration_aliases: one pooled provider process cannot serve it."""
    (tmp_path / "providers.tf").write_text('provider "aws" {\n  alias  = "use1"\n  region = "us-east-1"\n}\n')
    (tmp_path / "versions.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n'
        '    random = { source = "hashicorp/random", configuration_aliases = [random.other] }\n  }\n}\n')
    assert module_info.read(tmp_path).aliased_providers == {"aws", "random"}
    for module in ("network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"):
        assert module_info.read(REPO / "terraform_modules" / module).aliased_providers == frozenset(), module


def test_invalid_hcl_names_the_file(tmp_path):
    (tmp_path / "broken.tf").write_text('variable "x" {\n')
    with pytest.raises(ValueError, match="broken.tf: not valid HCL"):
        module_info.read(tmp_path)


def test_declarations_are_parsed_once_per_content(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text('variable "x" {}\n')
    assert module_info.read(tmp_path).variables == {"x"}
    module_info._read.cache_clear()
    monkeypatch.setattr(module_info, "parse", lambda texts: pytest.fail("parsed again"))
    assert module_info.read(tmp_path).variables == {"x"}  # from the disk cache
    (tmp_path / "main.tf").write_text('variable "y" {}\n')
    with pytest.raises(pytest.fail.Exception):
        module_info.read(tmp_path)  # new content: parsed again
