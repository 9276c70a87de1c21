"""ORCH_AWS_2: no security group admits traffic from the whole internet.

Nothing in this architecture is reached from the internet but API Gateway, which is not in the
VPC: every ingress rule names a security group (the VPC link's, the ALB's) or a VPC range.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ANYWHERE = {"0.0.0.0/0", "::/0"}


def _values(conf, key):
    found = conf.get(key) or []
    flat = []
    for item in found:
        flat.extend(item if isinstance(item, list) else [item])
    return [value for value in flat if isinstance(value, str)]


class NoIngressFromAnywhere(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="No security group rule admits ingress from 0.0.0.0/0 or ::/0",
            id="ORCH_AWS_2",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group"],
            guideline="policies/README.md#orch_aws_2",
        )

    def scan_resource_conf(self, conf):
        resource = self.entity_type
        if resource == "aws_vpc_security_group_ingress_rule":
            open_to = set(_values(conf, "cidr_ipv4") + _values(conf, "cidr_ipv6")) & ANYWHERE
        elif resource == "aws_security_group_rule":
            if _values(conf, "type") != ["ingress"]:
                return CheckResult.PASSED
            open_to = set(_values(conf, "cidr_blocks") + _values(conf, "ipv6_cidr_blocks")) & ANYWHERE
        else:
            open_to = set()
            for rules in conf.get("ingress") or []:
                for rule in rules if isinstance(rules, list) else [rules]:
                    if isinstance(rule, dict):
                        open_to |= set(_values(rule, "cidr_blocks") + _values(rule, "ipv6_cidr_blocks")) & ANYWHERE
        return CheckResult.FAILED if open_to else CheckResult.PASSED


check = NoIngressFromAnywhere()
