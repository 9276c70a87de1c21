"""Data sources answered from the store: VPCs, subnets, security groups, SSM parameters, hosted zones.

They find objects the way the EC2 API filters them (``filter { name = "tag:Name", values = [...] }``,
``vpc-id``, ``default-for-az``, wildcards), and fail like the real provider when nothing or more than
one object matches. Every account has a default VPC per region, with a default subnet per zone and a
default security group: :func:`default_network_objects` builds them, the provider stores them on
first use.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from typing import Any

# EC2 filter names -> attributes of the stored objects
FILTER_ATTRS = {
    "vpc-id": "vpc_id", "subnet-id": "id", "group-id": "id", "group-name": "name", "cidr-block": "cidr_block",
    "cidr": "cidr_block", "cidrBlock": "cidr_block", "availability-zone": "availability_zone",
    "availabilityZone": "availability_zone", "availability-zone-id": "availability_zone_id",
    "default-for-az": "default_for_az", "defaultForAz": "default_for_az", "isDefault": "default",
    "is-default": "default", "state": "state", "owner-id": "owner_id", "description": "description",
    "dhcp-options-id": "dhcp_options_id", "map-public-ip-on-launch": "map_public_ip_on_launch",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _stable_hex(*parts: str, n: int = 17) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:n]


def default_network_objects(provider, region: str) -> list[tuple[str, dict]]:
    """(type, object) of the region's default VPC, subnets (172.31.N*16.0/20 per zone) and security group."""
    key = f"{provider.account}:{region}"
    vpc_id = f"vpc-{_stable_hex(key, 'vpc')}"
    arn = f"arn:{provider.partition}:ec2:{region}:{provider.account}"
    vpc = {"id": vpc_id, "arn": f"{arn}:vpc/{vpc_id}", "cidr_block": "172.31.0.0/16", "default": True,
           "enable_dns_support": True, "enable_dns_hostnames": True, "instance_tenancy": "default",
           "default_network_acl_id": f"acl-{_stable_hex(key, 'acl')}",
           "default_route_table_id": f"rtb-{_stable_hex(key, 'rtb')}",
           "main_route_table_id": f"rtb-{_stable_hex(key, 'rtb')}",
           "default_security_group_id": f"sg-{_stable_hex(key, 'sg')}",
           "dhcp_options_id": f"dopt-{_stable_hex(key, 'dopt')}", "owner_id": provider.account,
           "ipv6_cidr_block": "", "ipv6_association_id": "", "region": region, "tags": {}, "tags_all": {}}
    objects: list[tuple[str, dict]] = [("aws_vpc", vpc)]
    from orchestrator.local_provider.templates import az_id

    for i, letter in enumerate("abc"):
        zone = f"{region}{letter}"
        subnet_id = f"subnet-{_stable_hex(key, zone)}"
        objects.append(("aws_subnet", {
            "id": subnet_id, "arn": f"{arn}:subnet/{subnet_id}", "vpc_id": vpc_id, "cidr_block": f"172.31.{16 * i}.0/20",
            "availability_zone": zone, "availability_zone_id": az_id(zone), "default_for_az": True,
            "map_public_ip_on_launch": True, "owner_id": provider.account, "region": region, "tags": {}, "tags_all": {},
            "ipv6_cidr_block": "", "ipv6_native": False, "assign_ipv6_address_on_creation": False,
            "private_dns_hostname_type_on_launch": "ip-name"}))
    objects.append(("aws_security_group", {
        "id": vpc["default_security_group_id"], "arn": f"{arn}:security-group/{vpc['default_security_group_id']}",
        "name": "default", "description": "default VPC security group", "vpc_id": vpc_id,
        "owner_id": provider.account, "region": region, "tags": {}, "tags_all": {}}))
    objects.append(("default_vpc", {"id": region, "vpc_id": vpc_id}))
    return objects


def _matches(obj: dict, config: dict, simple: dict[str, str]) -> bool:
    """Whether a stored object passes the data source's arguments and ``filter`` blocks."""
    for argument, attr in simple.items():
        wanted = config.get(argument)
        if wanted is not None and _text(obj.get(attr)) != _text(wanted):
            return False
    for key, value in (config.get("tags") or {}).items():
        if (obj.get("tags") or {}).get(key) != value:
            return False
    for block in config.get("filter") or []:
        name, values = block.get("name", ""), [_text(v) for v in block.get("values") or []]
        if name.startswith("tag:"):
            have = [_text((obj.get("tags") or {}).get(name[4:]))] if name[4:] in (obj.get("tags") or {}) else []
        elif name == "tag-key":
            have = list(obj.get("tags") or {})
        else:
            have = [_text(obj.get(FILTER_ATTRS.get(name, name.replace("-", "_")), "available" if name == "state" else None))]
        if not any(fnmatch.fnmatchcase(h, v) for h in have for v in values):
            return False
    return True


def _find(provider, type_name: str, config: dict, simple: dict[str, str], what: str, many: bool = False):
    region = config.get("region") or provider.region
    provider.default_network(region)
    found = [o for o in provider.store.all().get(type_name, {}).values()
             if o.get("region", region) == region and _matches(o, config, simple)]
    if many:
        return sorted(found, key=lambda o: o["id"])
    if not found:
        raise ValueError(f"no matching {what} found")
    if len(found) > 1:
        raise ValueError(f"multiple {what}s matched; use additional constraints to reduce matches to a single {what}")
    return found[0]


def vpc(provider, config: dict) -> dict:
    found = _find(provider, "aws_vpc", config, {"id": "id", "cidr_block": "cidr_block", "default": "default",
                                                 "dhcp_options_id": "dhcp_options_id"}, "EC2 VPC")
    associations = [{"association_id": f"vpc-cidr-assoc-{_stable_hex(found['id'], 'primary')}",
                     "cidr_block": found.get("cidr_block"), "state": "associated"}]
    for assoc in provider.store.all().get("aws_vpc_ipv4_cidr_block_association", {}).values():
        if assoc.get("vpc_id") == found["id"]:
            associations.append({"association_id": assoc["id"], "cidr_block": assoc.get("cidr_block"), "state": "associated"})
    return {**found, "default": bool(found.get("default")), "state": "available", "cidr_block_associations": associations}


_SUBNET_ARGS = {"id": "id", "vpc_id": "vpc_id", "cidr_block": "cidr_block", "availability_zone": "availability_zone",
                "availability_zone_id": "availability_zone_id", "default_for_az": "default_for_az",
                "ipv6_cidr_block": "ipv6_cidr_block"}


def subnet(provider, config: dict) -> dict:
    found = _find(provider, "aws_subnet", config, _SUBNET_ARGS, "EC2 Subnet")
    return {**found, "default_for_az": bool(found.get("default_for_az")), "state": "available",
            "available_ip_address_count": 251}


def subnets(provider, config: dict) -> dict:
    found = _find(provider, "aws_subnet", config, {}, "EC2 Subnet", many=True)
    return {"id": config.get("region") or provider.region, "ids": [o["id"] for o in found]}


def security_group(provider, config: dict) -> dict:
    return _find(provider, "aws_security_group", config, {"id": "id", "name": "name", "vpc_id": "vpc_id"},
                 "EC2 Security Group")


def ssm_parameter(provider, config: dict) -> dict:
    """A parameter of the store, or one of AWS's public parameters (/aws/service/...: AMI ids)."""
    name = config.get("name") or ""
    region = config.get("region") or provider.region
    arn = f"arn:{provider.partition}:ssm:{region}:{provider.account}:parameter/{name.lstrip('/')}"
    stored = provider.store.get("aws_ssm_parameter", name)
    if stored is not None:
        value = stored.get("value") or stored.get("insecure_value") or ""
        return {"id": name, "arn": stored.get("arn") or arn, "type": stored.get("type"), "value": value,
                "insecure_value": value if stored.get("type") != "SecureString" else "", "version": stored.get("version", 1)}
    if name.startswith("/aws/service/"):
        image = f"ami-{_stable_hex(region, name)}"
        value = image if not name.endswith("recommended") else json.dumps(
            {"image_id": image, "image_name": name.rsplit("/", 2)[-2], "schema_version": 1})
        return {"id": name, "arn": f"arn:{provider.partition}:ssm:{region}::parameter{name}", "type": "String",
                "value": value, "insecure_value": value, "version": 1}
    raise ValueError(f"reading SSM Parameter ({name}): couldn't find resource")


def route53_zone(provider, config: dict) -> dict:
    zone_id, name = config.get("zone_id"), (config.get("name") or "").rstrip(".").lower()
    for zone in provider.store.all().get("aws_route53_zone", {}).values():
        private = bool(zone.get("vpc"))
        if zone_id and zone.get("zone_id") != zone_id:
            continue
        if name and (zone.get("name") or "").rstrip(".").lower() != name:
            continue
        if config.get("private_zone") is not None and bool(config["private_zone"]) != private:
            continue
        return {**zone, "private_zone": private, "caller_reference": zone.get("id"), "resource_record_set_count": 2,
                "linked_service_description": "", "linked_service_principal": ""}
    raise ValueError("no matching Route 53 Hosted Zone found")


def canonical_user_id(provider, config: dict) -> dict:
    return {"id": hashlib.sha256(provider.account.encode()).hexdigest(), "display_name": "local-provider"}


# AWS-managed prefix lists (Gateway endpoint services)
MANAGED_PREFIX_LISTS = {"s3": "pl-6da54004", "dynamodb": "pl-6ea54007"}


def prefix_list(provider, config: dict) -> dict:
    region = config.get("region") or provider.region
    reverse = ".".join(reversed(provider.dns_suffix.split(".")))
    for service, list_id in MANAGED_PREFIX_LISTS.items():
        name = f"{reverse}.{region}.{service}"
        if config.get("prefix_list_id") in (None, list_id) and config.get("name") in (None, name):
            return {"id": list_id, "name": name, "cidr_blocks": ["52.218.0.0/17"] if service == "s3" else ["52.94.0.0/22"]}
    raise ValueError("no matching EC2 Prefix List found")


def managed_prefix_list(provider, config: dict) -> dict:
    found = _find(provider, "aws_ec2_managed_prefix_list", config, {"id": "id", "name": "name"}, "EC2 Managed Prefix List")
    return {**found, "entries": found.get("entry") or []}


def ami(provider, config: dict) -> dict:
    """An image as the owners publish it: a stable id per name pattern and region."""
    region = config.get("region") or provider.region
    pattern = config.get("name_regex") or ",".join(
        v for f in config.get("filter") or [] if f.get("name") == "name" for v in f.get("values") or [])
    image = f"ami-{_stable_hex(region, pattern or 'image')}"
    name = (pattern or "image").replace("*", "2026.06.01").strip("^$")
    owner = (config.get("owners") or ["amazon"])[0]
    return {"id": image, "image_id": image, "name": name, "architecture": "x86_64", "owner_id": owner,
            "image_owner_alias": "amazon", "state": "available", "root_device_type": "ebs",
            "root_device_name": "/dev/xvda", "virtualization_type": "hvm", "hypervisor": "xen", "public": True,
            "platform_details": "Linux/UNIX", "usage_operation": "RunInstances", "image_type": "machine",
            "creation_date": "2026-06-01T00:00:00.000Z", "arn": f"arn:{provider.partition}:ec2:{region}::image/{image}"}


def arn(provider, config: dict) -> dict:
    parts = (config.get("arn") or "").split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"invalid ARN: {config.get('arn')}")
    return {"id": config["arn"], "partition": parts[1], "service": parts[2], "region": parts[3], "account": parts[4],
            "resource": parts[5]}


READERS = {
    "aws_ami": ami, "aws_arn": arn,
    "aws_vpc": vpc, "aws_subnet": subnet, "aws_subnets": subnets, "aws_security_group": security_group,
    "aws_ssm_parameter": ssm_parameter, "aws_route53_zone": route53_zone, "aws_canonical_user_id": canonical_user_id,
    "aws_prefix_list": prefix_list, "aws_ec2_managed_prefix_list": managed_prefix_list,
}
