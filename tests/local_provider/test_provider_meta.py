"""`terraform { provider_meta "aws" {...} }`, which every public terraform-aws-modules module declares."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.terraform]


def test_provider_meta_is_accepted_at_plan_and_apply(workspace):
    workspace.write(
        'terraform {\n  provider_meta "aws" {\n    user_agent = ["github.com/terraform-aws-modules/terraform-aws-vpc"]\n'
        '  }\n}\nresource "aws_vpc" "meta" {\n  cidr_block = "10.9.0.0/16"\n}\n'
    )
    plan = workspace.plan_json()
    assert workspace.changes(plan) == {"aws_vpc.meta": ["create"]}
    workspace.tf("apply", "-no-color", "-input=false", "tfplan")
    assert "aws_vpc.meta" in workspace.state()
    workspace.tf("destroy", "-no-color", "-input=false", "-auto-approve")


def test_unserved_type_is_the_only_error_and_names_the_stand_in(workspace):
    """Terraform's own 'does not support resource type' (which blames hashicorp/aws) never shows."""
    workspace.write('resource "aws_no_such_thing" "x" {\n  name = "x"\n}\n')
    run = workspace.tf("plan", "-no-color", "-input=false", check=False)
    assert run.code == 1
    assert "does not support" not in run.output
    assert run.output.count("does not serve resource type aws_no_such_thing") == 1
