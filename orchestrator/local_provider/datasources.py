"""Computed values of the data sources, from the provider's configuration and the request."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import zlib
from typing import Any, Callable

from orchestrator.local_provider.templates import region_code

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "eu-west-1": "Europe (Ireland)", "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)", "eu-central-1": "Europe (Frankfurt)", "eu-central-2": "Europe (Zurich)",
    "eu-north-1": "Europe (Stockholm)", "eu-south-1": "Europe (Milan)", "eu-south-2": "Europe (Spain)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)", "ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
}
# Services with a Gateway endpoint; every other service name answers as an Interface endpoint.
GATEWAY_SERVICES = {"s3", "dynamodb"}


# DescribeAvailabilityZones filters: name -> the zone's value (values of one filter are alternatives,
# several filters must all match; * and ? are wildcards). Every zone of the local cloud is a regular, available zone of
# its region that needs no opt-in.
ZONE_FILTERS = {
    "zone-name": lambda zone: zone["name"], "zone-id": lambda zone: zone["zone_id"],
    "region-name": lambda zone: zone["region"], "group-name": lambda zone: zone["region"],
    "state": lambda zone: "available", "zone-type": lambda zone: "availability-zone",
    "opt-in-status": lambda zone: "opt-in-not-required",
}


def availability_zones(provider, config: dict) -> dict:
    region = config.get("region") or provider.region
    letters = "abc"
    zones = [{"name": f"{region}{letter}", "zone_id": f"{region_code(region)}-az{index + 1}", "region": region}
             for index, letter in enumerate(letters)]
    excluded_names = set(config.get("exclude_names") or [])
    excluded_ids = set(config.get("exclude_zone_ids") or [])
    state = config.get("state")
    for block in config.get("filter") or []:
        if block.get("name") not in ZONE_FILTERS:
            raise ValueError(f"The filter '{block.get('name')}' is invalid")  # InvalidParameterValue, as EC2 answers
    zones = [
        zone for zone in zones
        if zone["name"] not in excluded_names and zone["zone_id"] not in excluded_ids
        and state in (None, "", "available")
        and all(any(fnmatch.fnmatchcase(ZONE_FILTERS[block["name"]](zone), value) for value in block.get("values") or [])
                for block in config.get("filter") or [])
    ]
    return {"id": region, "region": region, "names": [zone["name"] for zone in zones], "group_names": [region],
            "zone_ids": [zone["zone_id"] for zone in zones]}


def caller_identity(provider, config: dict) -> dict:
    return {"id": provider.account, "account_id": provider.account,
            "arn": f"arn:{provider.partition}:iam::{provider.account}:user/local-provider",
            "user_id": "AIDA" + hashlib.sha1(provider.account.encode()).hexdigest()[:17].upper()}


def partition(provider, config: dict) -> dict:
    suffix = provider.dns_suffix
    return {"id": provider.partition, "partition": provider.partition, "dns_suffix": suffix,
            "reverse_dns_prefix": ".".join(reversed(suffix.split(".")))}


def region(provider, config: dict) -> dict:
    name = config.get("region") or config.get("name") or provider.region
    if config.get("endpoint"):
        name = config["endpoint"].split(".")[1]
    return {"id": name, "name": name, "region": name, "endpoint": f"ec2.{name}.{provider.dns_suffix}",
            "description": REGION_NAMES.get(name, name)}


def vpc_endpoint_service(provider, config: dict) -> dict:
    region_name = config.get("region") or provider.region
    reverse = ".".join(reversed(provider.dns_suffix.split(".")))
    service = config.get("service")
    service_name = config.get("service_name") or f"{reverse}.{region_name}.{service}"
    if not service:
        service = service_name.split(f".{region_name}.", 1)[-1]
    wanted = config.get("service_type")
    kind = wanted or ("Gateway" if service in GATEWAY_SERVICES else "Interface")
    if wanted == "Gateway" and service not in GATEWAY_SERVICES:
        raise ValueError(f"no matching EC2 VPC Endpoint Service found for {service_name} of type Gateway")
    digest = hashlib.sha1(f"{service_name}/{kind}".encode()).hexdigest()
    private_dns = "" if kind == "Gateway" else f"{'.'.join(reversed(service.split('.')))}.{region_name}.{provider.dns_suffix}"
    zones = availability_zones(provider, {"region": region_name})["names"]
    return {
        "id": f"vpce-svc-{digest[:17]}", "service_id": f"vpce-svc-{digest[:17]}", "service_name": service_name,
        "service_type": kind, "owner": "amazon", "acceptance_required": False, "manages_vpc_endpoints": False,
        "arn": f"arn:{provider.partition}:ec2:{region_name}:{provider.account}:vpc-endpoint-service/vpce-svc-{digest[:17]}",
        "availability_zones": zones, "base_endpoint_dns_names": [f"{service}.{region_name}.vpce.{provider.dns_suffix}"],
        "private_dns_name": private_dns, "private_dns_names": [private_dns] if private_dns else [],
        "region": region_name, "service_region": region_name, "supported_ip_address_types": ["ipv4"],
        "vpc_endpoint_policy_supported": True, "tags": {},
    }


# -- aws_iam_policy_document -----------------------------------------------------------------


def _one_or_many(values: list[str]) -> Any:
    """Like the real data source: a single value stays a string, several are sorted in reverse."""
    values = list(values)
    return values[0] if len(values) == 1 else sorted(values, reverse=True)


def _principals(blocks: list[dict]) -> Any:
    merged: dict[str, list[str]] = {}
    for block in blocks:
        merged.setdefault(block["type"], []).extend(block.get("identifiers") or [])
    if list(merged) == ["*"] and merged["*"] == ["*"]:
        return "*"
    return {kind: _one_or_many(sorted(set(ids))) for kind, ids in sorted(merged.items())}


def _conditions(blocks: list[dict]) -> dict:
    out: dict[str, dict[str, Any]] = {}
    for block in blocks:
        values = block.get("values") or []
        out.setdefault(block["test"], {})[block["variable"]] = _one_or_many(values) if len(values) == 1 else list(values)
    return out


def _statement(block: dict) -> dict:
    out: dict[str, Any] = {}
    if block.get("sid"):
        out["Sid"] = block["sid"]
    out["Effect"] = block.get("effect") or "Allow"
    for source, key in (("actions", "Action"), ("not_actions", "NotAction"),
                        ("resources", "Resource"), ("not_resources", "NotResource")):
        if block.get(source):
            out[key] = _one_or_many(block[source])
    if block.get("principals"):
        out["Principal"] = _principals(block["principals"])
    if block.get("not_principals"):
        out["NotPrincipal"] = _principals(block["not_principals"])
    if block.get("condition"):
        out["Condition"] = _conditions(block["condition"])
    return out


def _merge(statements: list[dict], extra: list[dict]) -> list[dict]:
    """Statements with a Sid replace the earlier one of the same Sid; the others are appended."""
    result = list(statements)
    for statement in extra:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(result) if sid and s.get("Sid") == sid), None)
        if index is None:
            result.append(statement)
        else:
            result[index] = statement
    return result


def iam_policy_document(provider, config: dict) -> dict:
    statements: list[dict] = []
    for source in [config.get("source_json")] + list(config.get("source_policy_documents") or []):
        if source:
            statements = _merge(statements, json.loads(source).get("Statement", []))
    statements = _merge(statements, [_statement(block) for block in config.get("statement") or []])
    for override in [config.get("override_json")] + list(config.get("override_policy_documents") or []):
        if override:
            statements = _merge(statements, json.loads(override).get("Statement", []))
    document: dict[str, Any] = {"Version": config.get("version") or "2012-10-17"}
    if config.get("policy_id"):
        document["Id"] = config["policy_id"]
    document["Statement"] = statements
    rendered = _go_json(document, indent=2)
    return {"json": rendered, "minified_json": _go_json(document), "id": str(zlib.crc32(rendered.encode()))}


def _go_json(value: Any, indent: int | None = None) -> str:
    """JSON as Go's encoding/json writes it: UTF-8 as is, but <, > and & escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=(",", ": ") if indent else (",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


READERS: dict[str, Callable[[Any, dict], dict]] = {
    "aws_availability_zones": availability_zones,
    "aws_caller_identity": caller_identity,
    "aws_iam_policy_document": iam_policy_document,
    "aws_partition": partition,
    "aws_region": region,
    "aws_vpc_endpoint_service": vpc_endpoint_service,
}

from orchestrator.local_provider.datasources_store import READERS as _STORE_READERS  # noqa: E402

READERS.update(_STORE_READERS)
