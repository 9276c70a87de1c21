"""The api_gateway module's authorization, where an inventory cannot see it: the JWT authorizer's id is
known only after apply, so that every catch-all route uses it is read from the plan's configuration
(what the route's authorizer_id refers to) and from what the plan leaves unknown.
"""

from __future__ import annotations

import pytest
from plan_inventory import HERE, ModulePlanner, local_provider_env

pytestmark = [pytest.mark.terraform]

CATCH_ALL = ('aws_apigatewayv2_route.this["ANY /{proxy+}"]', 'aws_apigatewayv2_route.this["$default"]')


@pytest.fixture(scope="module")
def planner(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-authorization")
    return ModulePlanner("api_gateway", root, local_provider_env(root))


def route_references(plan) -> list[str]:
    """What authorizer_id of aws_apigatewayv2_route.this refers to, in the module's configuration."""
    (route,) = [r for r in plan._raw["configuration"]["root_module"]["resources"]
                if r["address"] == "aws_apigatewayv2_route.this"]
    return route["expressions"].get("authorizer_id", {}).get("references", [])


def test_every_catch_all_route_uses_the_jwt_authorizer(planner):
    plan = planner.plan(HERE / "api_gateway" / "jwt.tfvars")
    assert "aws_apigatewayv2_authorizer.jwt[0].id" in route_references(plan)
    for address in CATCH_ALL:
        change = plan.resource_changes[address]["change"]
        assert change["after"]["authorization_type"] == "JWT", address
        assert change["after_unknown"].get("authorizer_id") is True, f"{address}: authorizer_id is not the authorizer's (unknown until apply) id"
    opened = plan.resource_changes['aws_apigatewayv2_route.unauthenticated["GET /health"]']["change"]
    assert opened["after"]["authorization_type"] == "NONE"
    assert opened["after"].get("authorizer_id") is None and not opened["after_unknown"].get("authorizer_id")


@pytest.mark.parametrize("case, expected", [("default", "AWS_IAM"), ("no_authorization", "NONE")])
def test_without_jwt_no_route_names_an_authorizer(planner, case, expected):
    plan = planner.plan(HERE / "api_gateway" / f"{case}.tfvars")
    assert not [a for a in plan.resource_changes if a.startswith("aws_apigatewayv2_authorizer.")]
    for address in CATCH_ALL:
        change = plan.resource_changes[address]["change"]
        assert change["after"]["authorization_type"] == expected
        assert change["after"].get("authorizer_id") is None and not change["after_unknown"].get("authorizer_id")
