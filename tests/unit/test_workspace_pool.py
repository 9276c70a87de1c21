"""Which working directories the run's provider pool serves: not one that declares provider aliases."""

from orchestrator.run.workspace import _aliases_aws


def test_a_directory_with_an_aws_alias_is_left_to_terraform(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    assert not _aliases_aws(tmp_path)
    (tmp_path / "providers.tf").write_text('provider "aws" {\n  alias  = "use1"\n  region = "us-east-1"\n}\n')
    assert _aliases_aws(tmp_path)
