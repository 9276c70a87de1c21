"""ORCH_AWS_3: ECS services give their tasks no public IP.

Tasks live in private subnets and pull images and write logs through VPC endpoints; a public IP
would make them reachable around the ALB and API Gateway.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class TasksWithoutPublicIp(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="ECS service tasks get no public IP",
            id="ORCH_AWS_3",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_ecs_service"],
            guideline="policies/README.md#orch_aws_3",
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["network_configuration/[0]/assign_public_ip"]
        for block in conf.get("network_configuration") or []:
            if isinstance(block, dict) and (block.get("assign_public_ip") or [False])[0] is True:
                return CheckResult.FAILED
        return CheckResult.PASSED


check = TasksWithoutPublicIp()
