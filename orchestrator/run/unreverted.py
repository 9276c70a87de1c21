"""Drift that no apply puts back, and the command that removes it.

A rule opened in the console on a security group whose rules the module keeps as separate resources
shows in the refresh as the group's ``ingress`` growing; yet the configuration does not set
``ingress``, so no plan takes the rule away: Terraform does not know it exists. Drift reports name such
additions (an attribute the configuration leaves unset that gained entries outside Terraform) with a
command that removes them where the run's target is: ``local-cloud edit`` on the built-in provider's
store, the AWS CLI otherwise (against the local cloud's endpoint for ``--provider moto``).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from orchestrator.terraform.target import Target

IGNORED = frozenset({"id", "arn", "tags", "tags_all"})  # identity, and tags (default_tags put them back)


@dataclass(frozen=True)
class Unreverted:
    address: str
    type: str
    object_id: str | None
    attribute: str
    added: list  # the entries (or map items) added outside Terraform
    command: str | None  # removes them, as printed; None: no command for this type
    note: str

    def document(self) -> dict:
        return {"address": self.address, "type": self.type, "id": self.object_id, "attribute": self.attribute,
                "added": self.added, "command": self.command, "note": self.note}


def configured(plan: dict, address: str, attribute: str) -> bool:
    """Whether the configuration of ``address`` (root module) sets ``attribute`` at all."""
    base = address.split("[")[0]
    for resource in (plan.get("configuration") or {}).get("root_module", {}).get("resources", []):
        if resource.get("address") == base:
            return attribute in (resource.get("expressions") or {})
    return True  # not found: assume Terraform manages it rather than suggest removing something


def _added(before: Any, after: Any) -> list:
    if isinstance(before, list | type(None)) and isinstance(after, list):
        return [item for item in after if item not in (before or [])]
    if isinstance(before, dict | type(None)) and isinstance(after, dict):
        return [{key: value} for key, value in after.items() if (before or {}).get(key) != value]
    return []


def find(plan: dict, env: str, target: Target) -> list[Unreverted]:
    """What the refresh-only ``plan`` shows added outside Terraform where the configuration sets nothing."""
    found = []
    for entry in plan.get("resource_drift") or []:
        change = entry.get("change") or {}
        before, after = change.get("before"), change.get("after")
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue  # deleted outside Terraform: the next apply creates it again
        for attribute in sorted(set(after) - IGNORED):
            added = _added(before.get(attribute), after.get(attribute))
            if not added or configured(plan, entry["address"], attribute):
                continue
            object_id = after.get("id")
            command, note = _removal(env, target, entry.get("type", ""), object_id, attribute, before.get(attribute), after.get(attribute), added)
            found.append(Unreverted(entry["address"], entry.get("type", ""), object_id, attribute, added, command, note))
    return found


def _removal(env: str, target: Target, type_name: str, object_id: str | None, attribute: str, old: Any, new: Any,
             added: list) -> tuple[str | None, str]:
    why = f"the configuration does not set {attribute}, so no apply removes what was added"
    if target.built_in_provider and object_id:
        value = json.dumps(old if old is not None else type(new)(), separators=(",", ":"))
        return (f"python -m orchestrator local-cloud edit {shlex.quote(env)} {type_name} {shlex.quote(object_id)} "
                f"{shlex.quote(f'{attribute}={value}')}", f"{why}; this puts the applied value back in the built-in provider's store")
    if type_name == "aws_security_group" and attribute in ("ingress", "egress") and object_id:
        permissions = [_ip_permission(rule) for rule in added]
        endpoint = " --endpoint-url URL" if target.on_moto else ""
        note = why + ("; URL: the local cloud's endpoint (`python -m orchestrator local-cloud status`), credentials as the "
                      "rehearsal's (the environment's role)" if target.on_moto else "")
        return (f"aws ec2 revoke-security-group-{attribute} --region {target.env.config.region} --group-id {shlex.quote(object_id)} "
                f"--ip-permissions {shlex.quote(json.dumps(permissions, separators=(',', ':')))}{endpoint}", note)
    return None, f"{why}: remove it in the console or with the AWS CLI"


def _ip_permission(rule: dict) -> dict:
    """A rule of the provider's ``ingress``/``egress`` as EC2's IpPermissions."""
    permission = {"IpProtocol": str(rule.get("protocol", "-1"))}
    if permission["IpProtocol"] not in ("-1", "all"):
        permission.update(FromPort=rule.get("from_port"), ToPort=rule.get("to_port"))
    if rule.get("cidr_blocks"):
        permission["IpRanges"] = [{"CidrIp": cidr} for cidr in rule["cidr_blocks"]]
    if rule.get("ipv6_cidr_blocks"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": cidr} for cidr in rule["ipv6_cidr_blocks"]]
    if rule.get("prefix_list_ids"):
        permission["PrefixListIds"] = [{"PrefixListId": pl} for pl in rule["prefix_list_ids"]]
    if rule.get("security_groups"):
        permission["UserIdGroupPairs"] = [{"GroupId": group} for group in rule["security_groups"]]
    return permission
