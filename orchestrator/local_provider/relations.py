"""Checks the catalog declares as data, worded like the real provider's SDKs and the AWS API.

- ``rules`` relate arguments of one object: ``conflicts``, ``exactly_one_of``, ``at_least_one_of``,
  ``required_with`` (the first requires the others) and ``{when: {attr: [values]}, required: [...]}``. Wording follows terraform-plugin-sdk
  v2 (``"name": conflicts with name_prefix``) or, for types the real provider implements with
  terraform-plugin-framework (``framework: true``), the framework validators ("Invalid Attribute
  Combination").
- ``null_elements``: SDK v2 refuses a null element in a list or set argument ("Null value found in list").
- ``refuse``: what the AWS API refuses at apply (a VPC larger than /16, a subnet outside its VPC).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from orchestrator.local_provider import cty

Problem = tuple[str, str, tuple]  # summary, detail, attribute path


def _state(config: dict, name: str) -> str:
    value = config.get(name)
    if value is cty.UNKNOWN:
        return "unknown"
    return "unset" if value is None or value == [] else "set"  # an absent block is an empty list


def check_rules(rules: list[dict], config: dict, framework: bool) -> list[Problem]:
    problems: list[Problem] = []
    for rule in rules:
        problems += _check_rule(rule, config, framework)
    return problems


def _check_rule(rule: dict, config: dict, framework: bool) -> list[Problem]:
    kind = next(k for k in ("conflicts", "exactly_one_of", "at_least_one_of", "required_with", "when") if k in rule)
    if kind == "when":
        return _required_when(rule, config)
    names = list(rule[kind])
    states = {n: _state(config, n) for n in names}
    chosen = [n for n in names if states[n] == "set"]
    undecided = "unknown" in states.values()
    listed = ",".join(sorted(names))
    if kind == "conflicts" and len(chosen) > 1:
        if framework:
            return [("Invalid Attribute Combination",
                     f"These attributes cannot be configured together: [{','.join(names)}]", (chosen[0],))]
        return [(f'"{a}": conflicts with {b}', "", (a,)) for a in chosen for b in chosen if a != b]
    if kind == "exactly_one_of":
        if framework:
            text = f"Exactly one of these attributes must be configured: [{','.join(names)}]"
            if len(chosen) > 1:
                return [("Invalid Attribute Combination", text, (chosen[0],))]
            return [] if chosen or undecided else [("Missing Attribute Configuration", text, ())]
        if len(chosen) > 1:
            return [(f'"{n}": only one of `{listed}` can be specified, but `{",".join(chosen)}` were specified.',
                     "", (n,)) for n in chosen]
        return [] if chosen or undecided else [(f'"{n}": one of `{listed}` must be specified', "", (n,))
                                               for n in sorted(names)]
    if kind == "at_least_one_of" and not chosen and not undecided:
        if framework:
            return [("Missing Attribute Configuration",
                     f"At least one of these attributes must be configured: [{','.join(names)}]", ())]
        return [(f'"{n}": one of `{listed}` must be specified', "", (n,)) for n in sorted(names)]
    if kind == "required_with" and states[names[0]] == "set" and not undecided and len(chosen) < len(names):
        return [(f'"{names[0]}": all of `{listed}` must be specified', "", (names[0],))]
    return []


def _required_when(rule: dict, config: dict) -> list[Problem]:
    """The real provider's "Attribute X must be specified when Y is V." (errs.NewAttributeRequiredWhenError)."""
    current = {}
    for other, values in rule["when"].items():
        value = config.get(other)
        current[other] = rule.get("default", {}).get(other) if value is None else value
        if current[other] is cty.UNKNOWN or str(current[other]) not in [str(v) for v in values]:
            return []
    other = next(iter(rule["when"]))
    missing = [name for name in rule["required"] if config.get(name) is None]
    # the real CustomizeDiff stops at the first missing argument
    return [("Invalid Attribute Combination", f'Attribute "{name}" must be specified when "{other}" is "{current[other]}".',
             (other,)) for name in missing[:1]]


def null_elements(value: Any, t: Any, path: tuple = ()) -> list[Problem]:
    """terraform-plugin-sdk v2's check: no null element in a list or set argument, at any depth."""
    if value is None or value is cty.UNKNOWN or isinstance(t, str):
        return []
    kind, inner = t
    problems: list[Problem] = []
    if kind == "object":
        for name, member in inner.items():
            problems += null_elements(value.get(name), member, path + (name,))
    elif kind == "map":
        for key, item in value.items():
            problems += null_elements(item, inner, path)
    else:
        for i, item in enumerate(value):
            where = path + (i,) if kind == "list" else path
            if item is None:
                problems.append(("Null value found in list", "Null values are not allowed for this attribute value.",
                                 where))
            else:
                problems += null_elements(item, inner, where)
    return problems


# -- what the AWS API refuses at apply ---------------------------------------------------------

def _network(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def refusals(refuse: list[dict], value: dict, objects: Callable[[str], list[dict]]) -> list[str]:
    """Error messages for the ``refuse`` entries ``value`` breaks; ``objects(type)`` lists the store's objects.

    ``{cidr: ATTR, prefix: [LOW, HIGH], error: CODE}``: the block's prefix length must lie in the range;
    ``{cidr: ATTR, within: ["TYPE.ATTR where MATCH = KEY", ...], error: CODE}``: the block must lie in one
    of those (e.g. the VPC's primary block or one of its associated blocks).
    """
    problems = []
    for entry in refuse:
        cidr = value.get(entry["cidr"])
        network = _network(cidr) if cidr else None
        if network is None:
            continue
        if "prefix" in entry:
            low, high = entry["prefix"]
            if not low <= network.prefixlen <= high:
                problems.append(f"{entry['error']}: The CIDR '{cidr}' is invalid.")
        if "within" in entry:
            parents = []
            for source in entry["within"]:
                target, _, condition = source.partition(" where ")
                type_name, _, attr = target.partition(".")
                match, _, key = (s.strip() for s in condition.partition("="))
                parents += [obj.get(attr) for obj in objects(type_name) if obj.get(match) == value.get(key)]
            nets = [n for n in (_network(p) for p in parents if p) if n is not None]
            if nets and not any(network.version == n.version and network.subnet_of(n) for n in nets):
                problems.append(f"{entry['error']}: The CIDR '{cidr}' is invalid.")
    return problems


def cidr_network_problem(key: str, value: str, version: int) -> str:
    """verify.ValidIPv4CIDRNetworkAddress / ValidIPv6CIDRNetworkAddress of the real provider."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError as error:
        return f"{value!r} is not a valid CIDR block: {error}".replace("'", '"')
    if network.version != version:
        return f'"{value}" is not a valid IPv{version} CIDR block'
    if str(network) != value:
        return f'"{value}" is not a valid IPv{version} CIDR block; did you mean "{network}"?'
    return ""
