"""The small template language of the catalog's ``apply`` values (see the legend in catalog.yaml)."""

from __future__ import annotations

import datetime
import random
import re
import string
import uuid
from typing import Any, Callable

# In ``plan_known`` values: this part is known only after apply.
UNKNOWN_MARK = "(known after apply)"

# `${...}` is left alone: it belongs to the value (flow log formats, IAM policy variables).
_FIELD = re.compile(r"(?<!\$)\{([^{}\"]+)\}")

# Hosted zone ids of ALBs and S3 website endpoints per region (AWS publishes them); others fall back.
ELB_ZONE_IDS = {
    "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8",
    "eu-west-3": "Z3Q77PNBQS71R4", "eu-central-1": "Z215JYRZR1TBD5", "eu-north-1": "Z23TAZ7KN5JHOH",
}
S3_ZONE_IDS = {
    "us-east-1": "Z3AQBSTGFYJSTF", "us-east-2": "Z2O1EMRO9K5GLX", "us-west-2": "Z3BJ6K6RIION7M",
    "eu-west-1": "Z1BKCTXD74EZPE", "eu-west-2": "Z3GKZC51ZF0DB4", "eu-central-1": "Z21DNDUVLTQW6Q",
}


def region_code(region: str) -> str:
    """``eu-west-1`` -> ``euw1``, the prefix of availability zone ids."""
    parts = region.split("-")
    return parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1] if len(parts) >= 3 else region


def az_id(zone: str) -> str:
    """``eu-west-1b`` -> ``euw1-az2``."""
    if not zone or not zone[-1].isalpha():
        return ""
    return f"{region_code(zone[:-1])}-az{ord(zone[-1]) - ord('a') + 1}"


def _random(alphabet: str, n: int) -> str:
    return "".join(random.choice(alphabet) for _ in range(n))


class Context:
    """Values a template can name: the object's attributes and facts about the provider."""

    def __init__(self, attrs: dict[str, Any], facts: dict[str, Any], lookup: Callable[[str, str, str], Any],
                 sequence: Callable[[str], int] | None = None):
        self.attrs = attrs
        self.facts = facts
        self.lookup = lookup
        self.sequence = sequence

    def with_attrs(self, extra: dict[str, Any]) -> "Context":
        return Context({**self.attrs, **extra}, self.facts, self.lookup, self.sequence)

    def get(self, key: str) -> Any:
        if key in self.attrs:
            return self.attrs[key]
        if key in self.facts:
            return self.facts[key]
        for prefix, alphabet in (("hex", "0123456789abcdef"), ("digits", string.digits),
                                 ("alnum", string.ascii_lowercase + string.digits),
                                 ("ALNUM", string.ascii_uppercase + string.digits)):
            if key.startswith(prefix) and key[len(prefix):].isdigit():
                return _random(alphabet, int(key[len(prefix):]))
        if key.startswith("sequence:") and self.sequence is not None:
            return self.sequence(f"{self.facts.get('type', '')}/{text(self.attrs.get(key[len('sequence:'):]))}")
        if key == "uuid":
            return str(uuid.uuid4())
        if key == "now":
            return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if key == "public_ipv4":
            return f"{random.choice((3, 18, 34, 52, 54))}.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        region = self.facts.get("region", "")
        if key == "elb_zone_id":
            return ELB_ZONE_IDS.get(region, "Z32O12XQLNTSW2")
        if key == "s3_zone_id":
            return S3_ZONE_IDS.get(region, "Z1BKCTXD74EZPE")
        raise KeyError(key)


def text(value: Any) -> str:
    """A value as it appears inside a string (Terraform's way: true, 5, empty for null)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _filter(value: Any, spec: str, ctx: Context) -> Any:
    name, _, arg = spec.partition(":")
    if name == "default":
        return value if value not in (None, "", []) else arg
    if name == "first":
        return sorted(value)[0] if value else None
    if name == "after":
        return text(value).partition(arg)[2]
    if name == "after_last":
        return text(value).rpartition(arg)[2]
    if name == "replace":
        old, _, new = arg.partition(">")
        return text(value).replace(old, new)
    if name == "map":
        table = dict(pair.split("=", 1) for pair in arg.split(";"))
        return table.get(text(value), table.get("*", value))
    if name == "lookup":
        type_name, _, attr = arg.partition(".")
        return ctx.lookup(type_name, text(value), attr) if value else None
    if name == "host_ip":
        import ipaddress

        try:
            network = ipaddress.ip_network(text(value), strict=False)
        except ValueError:
            return ""
        return str(network.network_address + min(network.num_addresses - 2, random.randint(4, 250)))
    if name == "lstrip":
        return text(value).lstrip(arg)
    if name == "fqdn":
        # a record name inside its hosted zone (the zone's name read from the store when it is there)
        zone = ctx.lookup("aws_route53_zone", text(ctx.attrs.get(arg)), "name") if ctx.attrs.get(arg) else None
        name_text, zone_text = text(value).rstrip(".").lower(), text(zone).rstrip(".").lower()
        if not zone_text or name_text == zone_text or name_text.endswith("." + zone_text):
            return name_text
        return f"{name_text}.{zone_text}"
    if name == "digest":
        # the same input gives the same value (an account's DNS validation record for a domain)
        import hashlib

        length, _, salt = arg.partition(":")
        return hashlib.sha256(f"{ctx.facts.get('account')}:{salt}:{text(value)}".encode()).hexdigest()[:int(length)]
    if name == "azid":
        return az_id(text(value))
    raise ValueError(f"unknown template filter {name!r}")


def _field(expr: str, ctx: Context) -> str:
    if "?" in expr:
        condition, _, output = expr.partition("?")
        name, eq, wanted = condition.partition("=")
        value = ctx.get(name)
        holds = text(value) == wanted if eq else value not in (None, False, "", [], {})
        return output if holds else ""
    key, *filters = expr.split("|")
    value = ctx.get(key)
    for spec in filters:
        value = _filter(value, spec, ctx)
    return text(value)


def render(template: Any, ctx: Context) -> Any:
    """Render a catalog value: strings are templates, lists and objects are rendered inside."""
    if isinstance(template, str):
        return _FIELD.sub(lambda m: _field(m.group(1), ctx), template)
    if isinstance(template, list):
        return [render(v, ctx) for v in template]
    if isinstance(template, dict):
        if set(template) == {"each", "value"}:
            # `each` names one attribute or several, whose values (lists or single values) are joined;
            # `{item}` is the element at hand.
            names = template["each"] if isinstance(template["each"], list) else [template["each"]]
            items = []
            for name in names:
                value = ctx.get(name)
                items += value if isinstance(value, list) else ([] if value in (None, "") else [value])
            return [render(template["value"], ctx.with_attrs({"item": item})) for item in dict.fromkeys(items)]
        if set(template) >= {"if", "then"}:
            name, _, wanted = template["if"].partition("=")
            chosen = template["then"] if text(ctx.get(name)) == wanted else template.get("else")
            return render(chosen, ctx)
        return {k: render(v, ctx) for k, v in template.items()}
    return template
