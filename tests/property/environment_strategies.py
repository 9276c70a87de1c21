"""Generated environments for the property tests, and their Hypothesis profiles (small in CI, longer locally).

    ORCHESTRATOR_PROPERTY_PROFILE=long python -m pytest tests/property    # a longer local run

``ci`` (the default) plans a handful of generated environments (each plan of six stacks takes
seconds); ``long`` plans dozens and validates thousands.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = {
    #          validate in-process   plan offline (CLI)   refused by the CLI
    "ci": {"validate": 60, "plan": 3, "refuse": 6},
    "long": {"validate": 2000, "plan": 40, "refuse": 150},
}
PROFILE = os.environ.get("ORCHESTRATOR_PROPERTY_PROFILE", "ci")
if PROFILE not in EXAMPLES:
    raise SystemExit(f"ORCHESTRATOR_PROPERTY_PROFILE must be one of {', '.join(EXAMPLES)}, not {PROFILE!r}")

for name in EXAMPLES:
    settings.register_profile(
        name,
        deadline=None,  # a plan takes seconds
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )
settings.load_profile(PROFILE)


def examples(kind: str) -> int:
    return EXAMPLES[PROFILE][kind]


# --- strategies ------------------------------------------------------------------------------------

import ipaddress
import string

from hypothesis import strategies as st

from orchestrator.config.rules import FARGATE_MEMORY, ECR_IMAGE
from orchestrator.local_provider.datasources import REGION_NAMES

# The local provider serves three zones in every region (az_count 2-3 plans there; how many zones a
# real account has per region is only known to AWS, and the network module's precondition says so).
REGIONS = sorted(REGION_NAMES)
LOG_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
# AWS tag characters: Unicode letters, separators and numbers, and _ . : / = + - @ (schema.TAG_CHARACTERS)
TAG_ALPHABET = st.one_of(st.characters(categories=["L", "Z", "N"], exclude_characters="\x85"), st.sampled_from("_.:/=+-@"))
HEX = "0123456789abcdef"


@st.composite
def vpc_and_subnets(draw):
    base = draw(st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]))
    block = ipaddress.ip_network(base)
    prefix = draw(st.integers(max(16, block.prefixlen), 24))
    vpc = draw(st.sampled_from(list(block.subnets(new_prefix=prefix))[:64] + list(block.subnets(new_prefix=prefix))[-4:]))
    az_count = draw(st.integers(2, 3))
    network = {"vpc_cidr": str(vpc), "az_count": az_count}
    public = draw(st.booleans())
    nat = public and draw(st.booleans())
    network.update(public_subnets=public, nat_gateway=nat)
    if draw(st.booleans()):  # explicit subnets: distinct blocks of one size inside the VPC
        wanted = az_count * (2 if public else 1)
        size = draw(st.integers(vpc.prefixlen + (wanted - 1).bit_length(), 28))
        pool = list(vpc.subnets(new_prefix=size))
        chosen = draw(st.lists(st.sampled_from(pool), min_size=wanted, max_size=wanted, unique=True))
        network["private_subnet_cidrs"] = [str(s) for s in chosen[:az_count]]
        if public:
            network["public_subnet_cidrs"] = [str(s) for s in chosen[az_count:]]
    if draw(st.booleans()):
        network["flow_logs"] = {"enabled": True, "retention_days": draw(st.sampled_from(LOG_DAYS))}
    return network


def digest():
    return st.text(HEX + "ABCDEF", min_size=64, max_size=64).map(lambda h: "sha256:" + h)


def tag():
    return st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}\Z")


def url_path():
    segment = st.text(string.ascii_letters + string.digits + "._~-", max_size=8)
    query = st.text(string.ascii_letters + string.digits + "=&%", max_size=10)
    return st.builds(lambda parts, q: "/" + "/".join(parts) + (f"?{q}" if q is not None else ""),
                     st.lists(segment, max_size=3), st.none() | query)


def matcher():
    code = st.integers(200, 499).map(str)
    return st.one_of(code, st.lists(code, min_size=2, max_size=4).map(",".join),
                     st.tuples(code, code).map(lambda c: "-".join(sorted(c))))


def schedule():
    rate = st.one_of(
        st.sampled_from(["rate(1 minute)", "rate(1 hour)", "rate(1 day)"]),
        st.integers(2, 43200).map(lambda n: f"rate({n} minutes)"),
        st.integers(2, 720).map(lambda n: f"rate({n} hours)"),
        st.integers(2, 30).map(lambda n: f"rate({n} days)"),
    )
    minute, hour = st.integers(0, 59).map(str), st.one_of(st.integers(0, 23).map(str), st.just("*"), st.just("0/6"))
    daily = st.builds(lambda m, h: f"cron({m} {h} * * ? *)", minute, hour)
    weekly = st.builds(lambda m, h, d: f"cron({m} {h} ? * {d} *)", minute, hour, st.sampled_from(["MON", "MON-FRI", "1,4", "L", "*"]))
    monthly = st.builds(lambda m, h, d: f"cron({m} {h} {d} * ? *)", minute, hour, st.sampled_from(["1", "15", "L", "1W", "1-7"]))
    return st.one_of(rate, daily, weekly, monthly)


@st.composite
def app(draw, region: str, nat: bool):
    cpu = draw(st.sampled_from(sorted(FARGATE_MEMORY)))
    account = draw(st.from_regex(r"\A[0-9]{12}\Z"))
    ecr_region = draw(st.sampled_from(REGIONS)) if nat else region
    image = draw(st.one_of(
        st.just(f"{account}.dkr.ecr.{ecr_region}.amazonaws.com/shop/web"),
        *([st.sampled_from(["public.ecr.aws/nginx/nginx", "nginx", "ghcr.io/acme/app", "registry.example.com:5000/team/app"])] if nat else []),
    ))
    assert nat or __import__("re").fullmatch(ECR_IMAGE, image)
    desired = draw(st.integers(0, 6))
    result = {
        "name": draw(st.from_regex(r"\A[a-z][a-z0-9-]{0,9}\Z")),
        "image": image,
        "image_tag": draw(st.one_of(tag(), digest())),
        "container_port": draw(st.integers(1, 65535)),
        "cpu": cpu,
        "memory": draw(st.sampled_from(FARGATE_MEMORY[cpu])),
        "desired_count": desired,
        "environment": draw(st.dictionaries(
            st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z"),
            st.text(st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\n\t"), max_size=20), max_size=3)),
    }
    if draw(st.booleans()):
        low = draw(st.integers(0, desired))
        result["autoscaling"] = {"enabled": True, "min_capacity": low, "max_capacity": draw(st.integers(max(desired, 1), 20)),
                                 "cpu_target_percent": draw(st.integers(10, 95))}
    return result


@st.composite
def environments(draw) -> dict:
    """A valid environment file (over the project's defaults.yaml)."""
    region = draw(st.sampled_from(REGIONS))
    network = draw(vpc_and_subnets())
    environment = {
        "project": draw(st.from_regex(r"\A[a-z][a-z0-9]{0,9}\Z")),
        "region": region,
        "allowed_account_ids": ["111111111111"],
        "network": network,
        "app": draw(app(region, network["nat_gateway"])),
        "alb": {
            "listener_port": draw(st.integers(1, 65535)),
            "idle_timeout_seconds": draw(st.integers(1, 4000)),
            "health_check": {"path": draw(url_path()), "matcher": draw(matcher())},
        },
        "keepalive": {"schedule": draw(schedule()), "path": draw(url_path())},
        "tags": draw(st.dictionaries(
            st.text(TAG_ALPHABET, min_size=1, max_size=12).filter(lambda k: not k.lower().startswith("aws:")),
            st.text(TAG_ALPHABET, max_size=16), max_size=3)),
        "log_retention_days": draw(st.sampled_from(LOG_DAYS)),
    }
    interval = draw(st.integers(5, 300))
    environment["alb"]["health_check"].update(interval_seconds=interval, timeout_seconds=draw(st.integers(2, min(120, interval - 1))))
    if draw(st.booleans()):  # HTTPS
        uuid = draw(st.uuids()).hex
        environment["alb"]["certificate_arn"] = (
            f"arn:aws:acm:{region}:111111111111:certificate/{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}")
        environment["alb"]["certificate_domain"] = draw(st.sampled_from(["shop.internal.example.com", "*.example.org", "a.io"]))
    return environment


# The issue's cases in one environment, planned on every run (an @example of the plan property).
ISSUE_CASES = {
    "project": "shop",
    "region": "eu-west-1",
    "allowed_account_ids": ["111111111111"],
    "network": {"vpc_cidr": "10.44.0.0/16", "public_subnets": True, "nat_gateway": True},
    "alb": {"listener_port": 443,
            "certificate_arn": "arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012",
            "certificate_domain": "shop.internal.example.com",
            "health_check": {"path": "/health?deep=1", "matcher": "200,204"}},
    "app": {"image": "public.ecr.aws/nginx/nginx", "image_tag": "sha256:" + "ab" * 32},
    "keepalive": {"schedule": "rate(1 day)"},
    "tags": {"Équipe": "plateforme + données", "CostCentre": "cc-1/2@x"},
}
