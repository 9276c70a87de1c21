"""ORCH_AWS_1: every load balancer is internal.

An HTTP API's VPC link reaches only an internal load balancer, and the architecture's promise is
that API Gateway is the one way in: an internet-facing ALB would be a second, unthrottled door.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class InternalLoadBalancer(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="Load balancer is internal (reached only through the API Gateway VPC link)",
            id="ORCH_AWS_1",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_lb", "aws_alb"],
            guideline="policies/README.md#orch_aws_1",
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["internal"]
        internal = conf.get("internal", [False])
        return CheckResult.PASSED if internal and internal[0] is True else CheckResult.FAILED


check = InternalLoadBalancer()
