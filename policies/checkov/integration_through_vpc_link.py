"""ORCH_AWS_4: API Gateway reaches the application through the VPC link only.

An HTTP_PROXY integration over the INTERNET connection type would send requests to a public URL,
around the VPC link and the internal ALB.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class IntegrationThroughVpcLink(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="API Gateway HTTP_PROXY integrations go through a VPC link",
            id="ORCH_AWS_4",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_apigatewayv2_integration"],
            guideline="policies/README.md#orch_aws_4",
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["integration_type", "connection_type"]
        if (conf.get("integration_type") or [""])[0] != "HTTP_PROXY":
            return CheckResult.PASSED
        return CheckResult.PASSED if (conf.get("connection_type") or [""])[0] == "VPC_LINK" else CheckResult.FAILED


check = IntegrationThroughVpcLink()
