"""One rule set: every rule `validate` checks that a module checks too (a variable validation or a
precondition), listed as a pair, and the two agree on examples.

The orchestrator's side is the real thing (``schema.Environment`` and ``rules.check``); the module's
side is the module's own validation conditions, read from its variables.tf and evaluated by
Terraform itself (one ``terraform console``). ``same``: both accept exactly the same examples;
``stricter``: the orchestrator refuses some values the module takes (a project policy, say why),
but never accepts what the module refuses. Preconditions that need the provider (the ECR region of
the image, subnets inside the VPC, NAT needs public subnets) are pinned by sharing the text of
their pattern, and planned by tests/property/test_environments.py.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import hcl2
import pydantic
import pytest

from orchestrator.config import hcl, rules, schema
from orchestrator.config.schema import Environment
from orchestrator.config.rules import FARGATE_MEMORY

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "terraform_modules"
ENV_NAME = "dev"

BASE = {
    "project": "shop",
    "region": "eu-west-1",
    "provider": "local",
    "network": {"vpc_cidr": "10.10.0.0/16"},
    "app": {"image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/web", "image_tag": "1.0"},
}
HEALTH = {"path": "/", "matcher": "200-399", "interval": 30, "timeout": 5, "healthy_threshold": 3, "unhealthy_threshold": 3}
SCALING = {"enabled": True, "min_capacity": 1, "max_capacity": 4, "cpu_target_percent": 60, "memory_target_percent": None,
           "scale_in_cooldown_seconds": 300, "scale_out_cooldown_seconds": 60}
CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012"
DIGEST = "sha256:" + "0f" * 32


def merge(base: dict, patch: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        merged[key] = merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def findings(patch: dict) -> list[tuple]:
    """Key paths the orchestrator refuses in BASE + patch (schema, then rules), as `validate` does."""
    try:
        env = Environment.model_validate(merge(BASE, patch))
    except pydantic.ValidationError as error:
        return [tuple(str(p) for p in item["loc"]) for item in error.errors()]
    return [tuple(str(p) for p in key) for key, _ in rules.check(env, ENV_NAME)]


@dataclass(frozen=True)
class Pair:
    key: str  # the environment key (dotted), refused findings start with it
    module: str
    variable: str  # the module variable whose validations are the other side
    patch: Callable[[object], dict]  # example -> environment patch
    inputs: Callable[[object], dict]  # example -> module variables (as the template renders them)
    examples: tuple
    relation: str = "same"  # or "stricter", with a reason in why
    why: str = ""
    refused_keys: tuple = ()  # other keys a refusal may be reported under

    def orchestrator_accepts(self, example) -> bool:
        prefixes = [tuple(self.key.split("."))] + [tuple(k.split(".")) for k in self.refused_keys]
        return not [f for f in findings(self.patch(example)) if any(f[: len(p)] == p for p in prefixes)]


def _hc(**changes):
    return {"health_check": {**HEALTH, **changes}}


SERVICE = {"image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/orders", "image_tag": "1.0"}


def _services(**routes):
    """The ecs module's `services` as the template renders them: name -> (path_prefix, host, priority) or None."""
    rendered = {}
    for name, route in routes.items():
        rendered[name] = {
            "image": f"{SERVICE['image']}:1.0", "port": 8080, "protocol": "HTTP", "cpu": 256, "memory": 512, "desired_count": 1,
            "environment": {}, "secrets": {}, "command": None, "readonly_root_filesystem": True, "writable_paths": ["/tmp"],
            "route": None if route is None else dict(zip(("path_prefix", "host", "priority"), route)),
            "health_check": HEALTH, "autoscaling": {k: SCALING[k] for k in ("min_capacity", "max_capacity", "cpu_target_percent")} | {"enabled": False},
        }
    return {"services": rendered}


def _service_patch(**routes):
    return {"services": {name: {**SERVICE, "route": None if route is None else {
        key: value for key, value in zip(("path_prefix", "host", "priority"), route) if value is not None}}
        for name, route in routes.items()}}


PAIRS = [
    Pair("alb.health_check.matcher", "alb", "health_check", lambda v: {"alb": {"health_check": {"matcher": v}}},
         lambda v: _hc(matcher=v),
         ("200", "200-399", "200,204,302", "499", "200-499", "404", "199", "500", "200-299,404", "2000", "200,", "abc", "")),
    Pair("alb.health_check.path", "alb", "health_check", lambda v: {"alb": {"health_check": {"path": v}}},
         lambda v: _hc(path=v),
         ("/", "/health", "/health?deep=1&x=%20", "/a/b.c~d_e-f", "/x?", "health", "/a b", "/" + "a" * 1023, "/" + "a" * 1024, "/ü")),
    Pair("alb.health_check.timeout_seconds", "alb", "health_check",
         lambda v: {"alb": {"health_check": {"interval_seconds": v[0], "timeout_seconds": v[1]}}},
         lambda v: _hc(interval=v[0], timeout=v[1]),
         ((30, 5), (5, 2), (300, 120), (10, 10), (10, 30), (4, 2), (301, 5), (30, 1), (200, 121)),
         refused_keys=("alb.health_check.interval_seconds",)),
    Pair("alb.health_check.healthy_threshold", "alb", "health_check",
         lambda v: {"alb": {"health_check": {"healthy_threshold": v, "unhealthy_threshold": v}}},
         lambda v: _hc(healthy_threshold=v, unhealthy_threshold=v),
         (2, 3, 10, 1, 11), refused_keys=("alb.health_check.unhealthy_threshold",)),
    Pair("alb.internal", "alb", "internal", lambda v: {"alb": {"internal": v}}, lambda v: {"internal": v}, (True, False)),
    Pair("api.throttling_burst_limit", "api_gateway", "throttling_burst_limit", lambda v: {"api": {"throttling_burst_limit": v}},
         lambda v: {"throttling_burst_limit": v}, (0, 100, 5000, 5001, -1),
         relation="stricter", why="the schema keeps the account's default API Gateway quota (5000 burst)"),
    Pair("alb.listener_port", "alb", "listener_port", lambda v: {"alb": {"listener_port": v}}, lambda v: {"listener_port": v},
         (1, 80, 443, 8443, 65535, 0, 65536)),
    Pair("alb.idle_timeout_seconds", "alb", "idle_timeout", lambda v: {"alb": {"idle_timeout_seconds": v}},
         lambda v: {"idle_timeout": v}, (1, 60, 4000, 0, 4001)),
    Pair("alb.deregistration_delay_seconds", "alb", "target_deregistration_delay",
         lambda v: {"alb": {"deregistration_delay_seconds": v}}, lambda v: {"target_deregistration_delay": v},
         (0, 30, 3600, -1, 3601)),
    Pair("alb.certificate_arn", "alb", "listener_certificate_arn",
         lambda v: {"alb": {"certificate_arn": v, "certificate_domain": "a.example.com"}}, lambda v: {"listener_certificate_arn": v},
         (CERT, CERT.replace("arn:aws:", "arn:aws-cn:"), "arn:aws:acm:eu-west-1:111111111111:certificate/abc",
          "arn:aws:iam::111111111111:server-certificate/x"),
         relation="stricter", why="ACM certificate IDs are UUIDs: the orchestrator wants all 36 characters"),
    Pair("alb.certificate_domain", "api_gateway", "integration_tls_server_name",
         lambda v: {"alb": {"certificate_arn": CERT, "certificate_domain": v}}, lambda v: {"integration_tls_server_name": v},
         ("shop.internal.example.com", "*.example.com", "a.io", "Shop.Example.com", "no_underscore.example.com", "localhost"),
         relation="stricter", why="the orchestrator takes lowercase, dotted names only (what an ACM certificate holds)"),
    Pair("app.memory", "ecs", "task_size", lambda v: {"app": {"cpu": v[0], "memory": v[1]}},
         lambda v: {"task_size": {"cpu": v[0], "memory": v[1]}},
         tuple((cpu, memory) for cpu, valid in FARGATE_MEMORY.items() for memory in (valid[0], valid[-1], valid[0] - 1024, valid[-1] + 1024))
         + ((256, 1536), (8192, 20480), (16384, 40960)), refused_keys=("app.cpu",)),
    Pair("app.autoscaling.min_capacity", "ecs", "autoscaling",
         lambda v: {"app": {"desired_count": v[0], "autoscaling": {"enabled": True, "min_capacity": v[0], "max_capacity": v[1]}}},
         lambda v: {"autoscaling": {**SCALING, "min_capacity": v[0], "max_capacity": v[1]}},
         ((0, 1), (1, 1), (3, 12), (5, 2), (0, 0)), refused_keys=("app.autoscaling.max_capacity", "app.desired_count")),
    Pair("app.desired_count", "ecs", "desired_count", lambda v: {"app": {"desired_count": v}}, lambda v: {"desired_count": v},
         (0, 1, 1000, -1), ),
    Pair("app.container_port", "ecs", "container_port", lambda v: {"app": {"container_port": v}}, lambda v: {"container_port": v},
         (1, 80, 443, 1023, 8080, 65535, 0, 65536)),
    Pair("app.secrets", "ecs", "container_secrets", lambda v: {"app": {"secrets": {"DB": v}, "environment": {}}},
         lambda v: {"container_secrets": {"DB": v}, "container_environment": {}},
         ("arn:aws:ssm:eu-west-1:111111111111:parameter/db", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf",
          "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf:password::", "arn:aws:ssm:eu-west-1:111111111111:secret:db",
          "arn:aws:s3:::bucket", "hunter2")),
    Pair("app.image_tag", "ecs", "container_image", lambda v: {"app": {"image_tag": v}},
         lambda v: {"container_image": BASE["app"]["image"] + ("@" if v.startswith("sha256:") else ":") + v},
         ("1.0", "2026.11.3", "latest", DIGEST, "a" * 128, "a b", "sha256:abc", "a" * 129),
         relation="stricter", why="tags follow the OCI grammar and digests are sha256 with 64 hex digits; the module takes any reference without spaces"),
    Pair("log_retention_days", "ecs", "log_retention_in_days", lambda v: {"log_retention_days": v},
         lambda v: {"log_retention_in_days": v}, (1, 30, 3653, 2, 4000)),
    Pair("network.vpc_cidr", "network", "vpc_cidr_block", lambda v: {"network": {"vpc_cidr": v}}, lambda v: {"vpc_cidr_block": v},
         ("10.0.0.0/16", "172.16.0.0/24", "192.168.0.0/20", "10.0.0.0/15", "10.0.0.0/25", "10.0.1.0/16", "10.0.0.0"),
         relation="stricter", why="project policy: a VPC uses a private (RFC 1918) range"),
    Pair("network.private_subnet_cidrs", "network", "private_subnet_cidrs",
         lambda v: {"network": {"private_subnet_cidrs": v}}, lambda v: {"private_subnet_cidrs": v},
         (["10.10.0.0/24", "10.10.1.0/24"], ["10.10.0.0/28", "10.10.0.16/28"], ["10.10.0.0/29", "10.10.0.8/29"],
          ["10.10.0.0/24", "10.10.0.0/24"]),
         relation="stricter", why="the orchestrator also refuses overlapping subnets and one per AZ (AWS refuses overlaps at apply)"),
    Pair("keepalive.schedule", "keepalive", "schedule_expression", lambda v: {"keepalive": {"schedule": v}},
         lambda v: {"schedule_expression": v},
         ("rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(1 day)", "rate(30 days)", "rate(720 hours)",
          "rate(43200 minutes)", "rate(31 days)", "rate(721 hours)", "rate(1 days)", "rate(2 day)", "rate(0 minutes)",
          "rate(05 minutes)", "cron(0 12 * * ? *)", "cron(0/15 * ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(0 8 L * ? *)",
          "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(0 12 1 1 ? *)", "cron(0 12 ? * 2#1 *)", "cron(0 12 * * ? 2030)",
          "cron(0 12 * * ?)", "every day")),
    Pair("keepalive.path", "keepalive", "health_path", lambda v: {"keepalive": {"path": v}}, lambda v: {"health_path": v},
         ("/", "/health", "/health?from=keepalive", "/a%20b", "health", "/a b", "/ü", "/" + "x" * 1024)),
    Pair("network.availability_zone_ids", "network", "availability_zone_ids",
         lambda v: {"network": {"availability_zone_ids": v}}, lambda v: {"availability_zone_ids": v, "availability_zones": []},
         (["euw1-az1", "euw1-az2"], ["usgw1-az3", "apse2-az1"], ["euw1-az1"], ["euw1-az1", "euw1-az1"],
          ["eu-west-1a", "eu-west-1b"], ["euw1-az1", "usw2-lax1-az1"], ["euw1-az1", "euw1-az2", "euw1-az3"]),
         relation="stricter", why="the orchestrator wants exactly one zone per AZ of az_count; the module takes more zones than subnets"),
    Pair("alb.access_logs.bucket", "alb", "access_logs", lambda v: {"alb": {"access_logs": {"bucket": v}}},
         lambda v: {"access_logs": {"enabled": True, "bucket": v, "prefix": "alb", "retention_days": 365, "force_destroy": False}},
         ("shop-logs", "a.b-c", "abc", "ab", "Shop-Logs", "-shop", "shop_logs", "a" * 63, "a" * 64)),
    Pair("api.authorization.jwt_issuer", "api_gateway", "jwt_issuer",
         lambda v: {"api": {"authorization": {"type": "JWT", "jwt_issuer": v, "jwt_audience": ["client"]}}},
         lambda v: {"jwt_issuer": v, "authorization_type": "JWT"},
         ("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", "https://login.example.com",
          "https://idp.example.com:8443/realms/shop/", "http://login.example.com", "https://", "https://a b.com", "login.example.com")),
    Pair("services.orders.route.path_prefix", "ecs", "services", lambda v: _service_patch(orders=(v, None, 10)),
         lambda v: _services(orders=(v, None, 10)),
         ("/orders", "/api/v2", "/a.b~c_d-e", "orders", "/orders/", "/", "/or ders", "/orders/*", "//x")),
    Pair("services.orders.route.priority", "ecs", "services", lambda v: _service_patch(orders=("/orders", None, v)),
         lambda v: _services(orders=("/orders", None, v)), (1, 10, 50000, 0, 50001, -3)),
    Pair("services.orders.route", "ecs", "services", lambda v: _service_patch(orders=(*v, 10)),
         lambda v: _services(orders=(*v, 10)),
         (("/orders", None), (None, "orders.example.com"), ("/orders", "orders.example.com"), (None, None))),
    Pair("services.admin.route.priority", "ecs", "services",
         lambda v: _service_patch(orders=("/orders", None, 10), admin=("/admin", None, v)),
         lambda v: _services(orders=("/orders", None, 10), admin=("/admin", None, v)), (11, 20, 10)),
    Pair("app.writable_paths", "ecs", "container_writable_paths", lambda v: {"app": {"writable_paths": v}},
         lambda v: {"container_writable_paths": v},
         (["/tmp"], ["/tmp", "/var/cache/nginx"], [], ["/"], ["/proc"], ["tmp"], ["/a b"], ["/tmp", "/tmp"],
          ["/var/cache", "/var-cache"], ["/tmp/"])),
    Pair("project", "alb", "name", lambda v: {"project": v}, lambda v: {"name": f"{v}-{ENV_NAME}"},
         ("shop", "a", "abcdefghijklmnopqrst", "abcdefghijklmnopqrstu", "internal", "shop1", "Shop", "1shop", "shop-"),
         relation="stricter", why="the orchestrator keeps 8 characters for the longest suffix a module appends (-vpclink) and wants single hyphens"),
]


def conditions(module: str, variable: str) -> list[str]:
    document = hcl2.load((MODULES / module / "variables.tf").open())
    for block in document["variable"]:
        name = next(iter(block)).strip('"')
        if name == variable:
            return [v["condition"][2:-1] for v in block[next(iter(block))].get("validation", [])]
    raise AssertionError(f"{module} declares no variable {variable}")


def module_verdicts(items: list[tuple[Pair, object]], tmp: Path) -> list[bool]:
    """Whether each example passes every validation of its module variable, evaluated by Terraform."""
    expressions = []
    for pair, example in items:
        values = pair.inputs(example)
        checks = []
        for condition in conditions(pair.module, pair.variable):
            text = re.sub(r"\bvar\.([a-z_]+)", lambda m: f"({hcl.literal(values[m.group(1)])})", condition)
            checks.append(f"try({text}, false)")
        expressions.append(f"alltrue([{', '.join(checks)}])")
    terraform = shutil.which("terraform")
    # one expression a line in a configuration (console's own input lines are limited to 64 KiB)
    (tmp / "main.tf").write_text("locals {\n  verdicts = [\n" + "".join(f"    {e},\n" for e in expressions) + "  ]\n}\n")
    done = subprocess.run([terraform, "console"], input="jsonencode(local.verdicts)\n", cwd=tmp,
                          capture_output=True, text=True, timeout=120, env={"CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    items = [(pair, example) for pair in PAIRS for example in pair.examples]
    return dict(zip([(pair.key, repr(example)) for pair, example in items], module_verdicts(items, tmp_path_factory.mktemp("console"))))


@pytest.mark.terraform
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.key}~{p.module}.{p.variable}")
def test_orchestrator_and_module_agree(pair, verdicts):
    disagreements = []
    seen = set()
    for example in pair.examples:
        ours, theirs = pair.orchestrator_accepts(example), verdicts[(pair.key, repr(example))]
        seen.add((ours, theirs))
        if pair.relation == "same" and ours != theirs or ours and not theirs:
            disagreements.append(f"{example!r}: validate {'accepts' if ours else 'refuses'}, module {'accepts' if theirs else 'refuses'}")
    assert not disagreements, "\n".join(disagreements)
    assert (True, True) in seen and (False, False) in seen, f"{pair.key}: examples must show both an accepted and a refused value"
    if pair.relation == "stricter":
        assert pair.why, "say why the orchestrator is stricter"


def hcl_string(pattern: str) -> str:
    return pattern.replace("\\", "\\\\").replace('"', '\\"')


@pytest.mark.parametrize(("pattern", "file"), [
    (rules.ECR_IMAGE, "ecs/main.tf"),
    (rules.KEEPALIVE_CRON, "keepalive/variables.tf"),
    (rules.RATE_FORM, "keepalive/variables.tf"),
    (rules.KEEPALIVE_RATE, "keepalive/variables.tf"),
    (f"^{schema.URL_PATH}$", "keepalive/variables.tf"),
    (f"^{schema.URL_PATH}$", "alb/variables.tf"),
    (f"^{schema.MATCHER}$", "alb/variables.tf"),
    (f"^{schema.ZONE_ID}$", "network/variables.tf"),
    (f"^{schema.HTTPS_URL}$", "api_gateway/variables.tf"),
    (f"^{schema.WRITABLE_PATH}$", "ecs/variables.tf"),
])
def test_patterns_are_written_once_and_copied_verbatim(pattern, file):
    assert f'"{hcl_string(pattern)}"' in (MODULES / file).read_text()


def test_every_rule_of_the_orchestrator_is_paired_or_has_no_module_side():
    """A new schema section or rule function must be added to PAIRS, or here with the reason it has none."""
    paired = {pair.key.split(".")[0] for pair in PAIRS}
    without_module_side = {
        "provider": "the orchestrator's own setting",
        "allowed_account_ids": "the generated provider block (allowed_account_ids), not a module",
        "require_approval": "the orchestrator's own setting",
        "policy": "the orchestrator's own setting (policy checks of plans)",
        "tags": "default_tags of the generated provider block; the pattern is AWS's (schema.TAG_CHARACTERS)",
        "backend": "the generated backend block",
        "secrets": "checked against the modules' sensitive variables by secrets.check",
        "region": "the generated provider block",
        "log_kms_encryption": "a switch of the log groups' keys (any bool is valid on both sides)",
        "modules": "which commit the modules come from (run/module_pins.py), not an input of a module",
        "services": "each service is an app (the app rules run for it) plus the route pairs above",
    }
    assert set(Environment.model_fields) <= paired | set(without_module_side) | {"alb", "app", "network", "keepalive"}
    assert [rule.__name__ for rule in rules.RULES] == ["_network_rules", "_alb_rules", "_app_rules", "_api_rules", "_account_rules", "_keepalive_rules"]
