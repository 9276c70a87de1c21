"""Domain rules that span several keys, checked before any Terraform runs.

Each rule takes a typed ``Environment`` and yields ``(key_path, reason)``. They encode what AWS
would only reject at apply time or, worse, accept and break at run time.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterator

from orchestrator.config.schema import Container, Environment

Finding = tuple[tuple, str]

# Fargate task sizes: cpu units -> valid memory (MiB).
FARGATE_MEMORY = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}

# The longest suffix a module appends to "<project>-<env>" in a name AWS limits to 32 characters.
LONGEST_NAME_SUFFIX = len("-vpclink")
AWS_NAME_LIMIT = 32
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

# The pairs below are written once here and, character for character, in the modules' variable
# validations and preconditions (tests/unit/test_rule_pairs.py checks that they stay the same).

# ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]/REPOSITORY[:TAG|@DIGEST]: the ecs module's
# local.ecr_image. Without NAT, tasks pull only from this registry of their own region.
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html
ECR_IMAGE = r"^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9._/-]+?)(?:[:@].*)?$"

# A keep-alive cron must fire every month of every year (month and year '*'), with '?' in exactly
# one of day-of-month and day-of-week, and no '#' (the n-th weekday skips months): the keepalive
# module's schedule_expression validation. Field syntax:
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
_CRON_FIELD = r"[0-9A-Za-z*,/-]+"
KEEPALIVE_CRON = rf"^cron\({_CRON_FIELD} {_CRON_FIELD} (\? \* {_CRON_FIELD}|{_CRON_FIELD} \* \?) \*\)$"
KEEPALIVE_RATE = r"^rate\(([0-9]+) (minute|hour|day)s?\)$"
# EventBridge's exact form: a positive amount, the unit singular for 1 and plural otherwise.
RATE_FORM = r"^rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)$"
RATE_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
# A VPC link goes INACTIVE after 60 idle days; the keep-alive fires at least every 30.
KEEPALIVE_MAX_MINUTES = 30 * 1440
# CloudWatch evaluates the idle alarm over hourly periods, at most 7 days (the module's limit).
IDLE_ALARM_MAX_HOURS = 168


def base_name(env: Environment, env_name: str) -> str:
    return f"{env.project}-{env_name}"


def subnet_layout(env: Environment) -> dict[str, list[str]]:
    """Private (and public) subnet CIDRs: as declared, or carved from the VPC one per AZ."""
    network = env.network
    vpc = ipaddress.ip_network(network.vpc_cidr, strict=True)
    count = network.az_count
    # Room for private + public subnets even when public ones are off, so turning them on
    # later never renumbers the private ones.
    new_prefix = min(vpc.prefixlen + (2 * count - 1).bit_length(), 28)
    carved = [str(subnet) for subnet in vpc.subnets(new_prefix=new_prefix)]
    private = network.private_subnet_cidrs or carved[:count]
    public = network.public_subnet_cidrs or (carved[count : 2 * count] if network.public_subnets else [])
    return {"private": list(private), "public": list(public) if network.public_subnets else []}


def interface_endpoints(env: Environment) -> list[str]:
    """The Interface endpoints tasks need without NAT: images, logs, and where their secrets live."""
    services = ["ecr.api", "ecr.dkr", "logs"]
    used = {arn.split(":")[2] for arn in env.app.secrets.values()}
    return services + [service for service in ("ssm", "secretsmanager") if service in used]


def _network_rules(env: Environment) -> Iterator[Finding]:
    network = env.network
    try:
        vpc = ipaddress.ip_network(network.vpc_cidr, strict=True)
    except ValueError as error:
        yield ("network", "vpc_cidr"), f"{network.vpc_cidr!r} is not an IPv4 network ({error})"
        return
    if vpc.version != 4 or not 16 <= vpc.prefixlen <= 24:
        yield ("network", "vpc_cidr"), f"a VPC CIDR must be IPv4 between /16 and /24, not /{vpc.prefixlen}"
        return
    if not vpc.is_private:
        yield ("network", "vpc_cidr"), f"{vpc} is not a private (RFC 1918) range"
    declared = {"private_subnet_cidrs": network.private_subnet_cidrs}
    if network.public_subnets:
        declared["public_subnet_cidrs"] = network.public_subnet_cidrs
    elif network.public_subnet_cidrs:
        yield ("network", "public_subnet_cidrs"), "given while public_subnets is false"
    if network.nat_gateway and not network.public_subnets:
        yield ("network", "nat_gateway"), "a NAT gateway needs public_subnets: true"
    zone_ids = network.availability_zone_ids
    if zone_ids is not None and (len(zone_ids) != network.az_count or len(set(zone_ids)) != len(zone_ids)):
        yield ("network", "availability_zone_ids"), (
            f"{len(zone_ids)} zone IDs for az_count {network.az_count}; give one distinct zone ID per AZ"
        )
    seen: list[tuple[tuple, ipaddress.IPv4Network]] = []
    for key, cidrs in declared.items():
        if cidrs is None:
            continue
        if len(cidrs) != network.az_count:
            yield ("network", key), f"{len(cidrs)} subnets for az_count {network.az_count}; give one per AZ"
        for index, text in enumerate(cidrs):
            path = ("network", key, index)
            try:
                subnet = ipaddress.ip_network(text, strict=True)
            except ValueError as error:
                yield path, f"{text!r} is not an IPv4 network ({error})"
                continue
            if not subnet.subnet_of(vpc):
                yield path, f"{subnet} is outside the VPC {vpc}"
            elif subnet.prefixlen > 28:
                yield path, f"{subnet} is smaller than /28, the smallest subnet AWS allows"
            for other_path, other in seen:
                if subnet.overlaps(other):
                    yield path, f"{subnet} overlaps {other} ({'.'.join(map(str, other_path))})"
            seen.append((path, subnet))


def _alb_rules(env: Environment) -> Iterator[Finding]:
    if not env.alb.internal:
        yield ("alb", "internal"), (
            "must be true: an API Gateway HTTP API reaches an ALB through a VPC link only when the ALB is "
            "internal; an internet-facing ALB answers {\"message\":\"Service Unavailable\"} (503)"
        )
    if env.alb.certificate_arn is not None and not re.fullmatch(
        r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", env.alb.certificate_arn
    ):
        yield ("alb", "certificate_arn"), "is not an ACM certificate ARN"
    if (env.alb.certificate_arn is None) != (env.alb.certificate_domain is None):
        yield ("alb", "certificate_domain"), (
            "give certificate_arn and certificate_domain together: API Gateway speaks HTTPS to the listener "
            "only when it knows the name to verify in the certificate"
        )
    bucket = env.alb.access_logs.bucket
    if bucket is not None and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        yield ("alb", "access_logs", "bucket"), f"{bucket!r} is not a valid S3 bucket name"
    health = env.alb.health_check
    if health.timeout_seconds >= health.interval_seconds:
        yield ("alb", "health_check", "timeout_seconds"), "must be shorter than interval_seconds"


def _container_rules(env: Environment, at: tuple, app: Container) -> Iterator[Finding]:
    """The rules of one container: the main service's (at ``("app",)``) or one of ``services``."""
    valid = FARGATE_MEMORY[app.cpu]
    if app.memory not in valid:
        shown = ", ".join(map(str, valid[:4])) + (f" ... {valid[-1]}" if len(valid) > 4 else "")
        yield (*at, "memory"), f"{app.memory} MiB is not a Fargate size for cpu {app.cpu} (valid: {shown})"
    scaling = app.autoscaling
    if scaling.enabled:
        if scaling.min_capacity > scaling.max_capacity:
            yield (*at, "autoscaling", "min_capacity"), "is greater than max_capacity"
        elif not scaling.min_capacity <= app.desired_count <= scaling.max_capacity:
            yield (*at, "desired_count"), (
                f"{app.desired_count} is outside autoscaling's {scaling.min_capacity}..{scaling.max_capacity}"
            )
    ecr = re.fullmatch(ECR_IMAGE, app.image)
    if not env.network.nat_gateway and ecr is None:
        yield (*at, "image"), (
            f"without a NAT gateway, tasks pull images only through the VPC endpoints of {env.region}'s "
            f"private ECR (<account>.dkr.ecr.{env.region}.amazonaws.com/<repository>); {app.image!r} "
            "would fail with CannotPullContainerError (or turn on network.nat_gateway)"
        )
    elif not env.network.nat_gateway and ecr.group(2) != env.region:
        yield (*at, "image"), (
            f"is in the ECR of {ecr.group(2)}, but without a NAT gateway tasks reach only the ECR of "
            f"{env.region}: replicate the image to {env.region} (or turn on network.nat_gateway)"
        )
    volumes = [re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") for path in app.writable_paths]
    for index, path in enumerate(app.writable_paths):
        if path in ("/proc", "/sys", "/dev"):
            yield (*at, "writable_paths", index), f"{path} belongs to the kernel and the runtime, not to the application"
        elif volumes.index(volumes[index]) != index:
            yield (*at, "writable_paths", index), (
                f"{path} becomes the same task volume ({volumes[index]}) as {app.writable_paths[volumes.index(volumes[index])]}"
            )
    for name, arn in app.secrets.items():
        service, region = arn.split(":")[2], arn.split(":")[3]
        if (service == "ssm") != (":parameter/" in arn):
            yield (*at, "secrets", name), f"{arn!r} is neither an SSM parameter nor a Secrets Manager secret ARN"
        elif region != env.region and not env.network.nat_gateway:
            yield (*at, "secrets", name), f"is in {region}; without NAT, tasks reach only the {service} endpoint of {env.region}"
        if name in app.environment:
            yield (*at, "secrets", name), f"is also a plain variable in {'.'.join(map(str, at))}.environment"


def _app_rules(env: Environment) -> Iterator[Finding]:
    yield from _container_rules(env, ("app",), env.app)
    for name, service in env.services.items():
        yield from _container_rules(env, ("services", name), service)


def _service_rules(env: Environment, env_name: str) -> Iterator[Finding]:
    """More services: names AWS accepts, and routes that do not shadow one another."""
    priorities: dict[int, str] = {}
    routes: dict[tuple, str] = {}
    for name, service in env.services.items():
        full = f"{base_name(env, env_name)}-{name}"
        if len(full) > AWS_NAME_LIMIT:
            yield ("services", name), (
                f"its target group and service are named {full!r} ({len(full)} characters); AWS limits target "
                f"group names to {AWS_NAME_LIMIT}: shorten the service's name"
            )
        if service.route is None:
            continue
        priority = service.route.priority
        if priority in priorities:
            yield ("services", name, "route", "priority"), f"{priority} is also services.{priorities[priority]}'s: each listener rule needs its own"
        priorities.setdefault(priority, name)
        route = ("path_prefix", service.route.path_prefix) if service.route.path_prefix else ("host", service.route.host)
        if route in routes:
            yield ("services", name, "route", route[0]), f"{route[1]!r} is also services.{routes[route]}'s route"
        routes.setdefault(route, name)


def _name_rules(env: Environment, env_name: str) -> Iterator[Finding]:
    name = base_name(env, env_name)
    if not NAME_PATTERN.fullmatch(name):
        yield ("project",), f"{name!r} must be lowercase letters, digits and single hyphens"
    if name.startswith("internal-"):
        yield ("project",), f"{name!r}: AWS refuses load balancer names that start with 'internal-'"
    limit = AWS_NAME_LIMIT - LONGEST_NAME_SUFFIX
    if len(name) > limit:
        yield ("project",), (
            f"'<project>-<env>' is {name!r} ({len(name)} characters); AWS limits load balancer and target "
            f"group names to 32, so it must be at most {limit}"
        )


def _api_rules(env: Environment) -> Iterator[Finding]:
    authorization = env.api.authorization
    if authorization.type == "JWT":
        if authorization.jwt_issuer is None:
            yield ("api", "authorization", "jwt_issuer"), "required with type JWT: the issuer whose tokens the API accepts"
        if not authorization.jwt_audience:
            yield ("api", "authorization", "jwt_audience"), (
                "name at least one audience with type JWT: without one API Gateway accepts tokens the issuer made "
                "for any application"
            )
    else:
        for key in ("jwt_issuer", "jwt_audience", "jwt_scopes"):
            if getattr(authorization, key):
                yield ("api", "authorization", key), f"applies to type JWT only, not {authorization.type}"
    if authorization.type != "NONE" and env.keepalive.path.split("?")[0] == "/":
        yield ("keepalive", "path"), (
            "the keep-alive's path stays open without authorization (its request carries no credentials), and '/' "
            "would open the application's root to everyone: use the application's health path (e.g. /health)"
        )


def _account_rules(env: Environment) -> Iterator[Finding]:
    if env.provider == "aws" and not env.allowed_account_ids:
        yield ("allowed_account_ids",), "required for an environment on the real AWS provider"
    if len(set(env.allowed_account_ids)) != len(env.allowed_account_ids):
        yield ("allowed_account_ids",), "lists an account twice"
    backend = env.backend
    if backend.type == "s3":
        if not backend.bucket:
            yield ("backend", "bucket"), "required when backend.type is s3"
        elif not re.fullmatch(r"(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", backend.bucket):
            yield ("backend", "bucket"), f"{backend.bucket!r} is not a valid S3 bucket name"
        if not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", backend.key_prefix):
            yield ("backend", "key_prefix"), "must be path segments of letters, digits, '_', '.', '-'"
    for key in env.tags:
        if key.lower().startswith("aws:"):
            yield ("tags", key), "the aws: prefix is reserved by AWS"


def schedule_minutes(schedule: str) -> int | None:
    """Minutes between two runs of a rate() schedule; None for cron()."""
    match = re.fullmatch(KEEPALIVE_RATE, schedule)
    return int(match.group(1)) * RATE_MINUTES[match.group(2)] if match else None


def idle_alarm_hours(schedule: str) -> int | None:
    """Hours of silence after which the keep-alive's idle alarm fires, derived from its schedule
    (longer than one interval, so the alarm never fires between two keep-alive requests); None
    when no hourly alarm of at most 7 days can be longer than the interval: the alarm is left out."""
    minutes = schedule_minutes(schedule)
    if minutes is None:
        fields = schedule[len("cron("):-1].split()
        daily = len(fields) == 6 and fields[2] in ("*", "?") and fields[4] in ("*", "?")
        return 48 if daily else None
    hours = minutes / 60
    if hours < 24:
        return 24
    if hours >= IDLE_ALARM_MAX_HOURS:
        return None
    return min(IDLE_ALARM_MAX_HOURS, 2 * math.ceil(hours))


def _keepalive_rules(env: Environment) -> Iterator[Finding]:
    schedule = env.keepalive.schedule
    minutes = schedule_minutes(schedule)
    if minutes is not None and not re.fullmatch(RATE_FORM, schedule):
        yield ("keepalive", "schedule"), (
            "EventBridge wants a positive amount without leading zeros, singular for 1 and plural otherwise: "
            "'rate(1 day)', 'rate(2 days)'"
        )
    elif minutes is not None and minutes > KEEPALIVE_MAX_MINUTES:
        yield ("keepalive", "schedule"), (
            "must fire at least every 30 days, well within the 60 idle days that deactivate a VPC link"
        )
    elif minutes is None and not re.fullmatch(KEEPALIVE_CRON, schedule):
        yield ("keepalive", "schedule"), (
            "a keep-alive cron must fire every month of every year: month and year '*', '?' in exactly one of "
            "day-of-month and day-of-week (EventBridge's rule), and no '#' in day-of-week"
        )


RULES = (_network_rules, _alb_rules, _app_rules, _api_rules, _account_rules, _keepalive_rules)


def check(env: Environment, env_name: str) -> list[Finding]:
    findings = [finding for rule in RULES for finding in rule(env)]
    findings.extend(_name_rules(env, env_name))
    findings.extend(_service_rules(env, env_name))
    return findings
