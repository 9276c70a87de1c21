"""`status ENV`: is the path client -> API -> VPC link -> internal ALB -> targets -> ECS tasks whole?

The stacks' outputs come from state (the core's `output` run); the live objects come from a
``Source`` (``status_sources``): AWS through boto3 for cloud environments, the local provider's
store for `local` and `--provider local`. The checks and the output are the same for both.

A check is ``ok``, ``warning`` (works, but look) or ``broken`` (requests fail, or nobody can tell);
any broken check makes the command exit 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from rich.console import Console
from rich.table import Table

from orchestrator.config import exit_codes
from orchestrator.config.project import Project
from orchestrator.config.graph import StackGraph
from orchestrator.run import core, run_record
from orchestrator.local_cloud import moto_server
from orchestrator.run.types import RunOptions, StackResult
from orchestrator.status.sources import AwsSource, LocalSource, Source, SourceError
from orchestrator.terraform.target import Target

OK, WARNING, BROKEN = "ok", "warning", "broken"
STYLES = {OK: "green", WARNING: "yellow", BROKEN: "bold red"}

# What each check needs from state: (stack, output names).
NEEDS = {
    "alb_scheme": ("alb", ("alb_arn",)),
    "vpc_link": ("vpc_link", ("vpc_link_id",)),
    "ecs_service": ("ecs", ("cluster_arn", "service_name")),
    "target_health": ("alb", ("target_group_arn",)),
    "api": ("api_gateway", ("api_id",)),
    "keepalive": ("keepalive", ("rule_name",)),
}

VPC_LINK_ADVICE = {
    "PENDING": "being provisioned; requests fail until it is AVAILABLE",
    "INACTIVE": "idle for 60 days: API Gateway removed its network interfaces; the next requests re-provision it "
    "and fail for minutes meanwhile (is the keep-alive running?)",
    "FAILED": "API Gateway could not create its network interfaces (subnets, security group, service limits?)",
    "DELETING": "being deleted",
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warning | broken
    detail: str

    def as_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def _first_error(result: StackResult) -> str:
    """Terraform's first error line, without the retry notes in front of it."""
    line = next((line for line in result.error.splitlines() if line.strip()), result.status)
    return line[line.rfind("Error:"):] if "Error:" in line else line


def _stacks_check(results: list[StackResult]) -> Check:
    unreadable: dict[str, list[str]] = {}
    for result in results:
        if result.status != "ok":
            unreadable.setdefault(_first_error(result), []).append(result.name)
    never = [r.name for r in results if r.status == "ok" and not r.outputs]
    if unreadable:
        reasons = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in unreadable.items())
        return Check("stacks", BROKEN, f"could not read the state of {reasons}")
    if never:
        return Check("stacks", BROKEN, f"never applied (no outputs in state): {', '.join(never)}")
    return Check("stacks", OK, f"all {len(results)} applied")


def _modules_check(graph: StackGraph, record: dict[str, dict]) -> Check:
    """Which commit each stack's module was last applied from (the run record), against the pin (modules.ref)."""
    def short(commit: str | None) -> str:
        return commit[:12] if commit else "uncommitted changes"

    def refs(names) -> str:
        labels = {graph.stacks[n].module_ref or "" for n in names}
        return ", ".join(sorted(short(r) if len(r) == 40 else r for r in labels))

    applied = {name: record.get(name, {}).get("module_commit") for name in graph.stacks if record.get(name, {}).get("command") == "apply"}
    pinned = {name: stack.module_commit for name, stack in graph.stacks.items() if stack.module_commit}
    behind = sorted(name for name, commit in pinned.items() if name in applied and applied[name] != commit)
    if behind:
        groups: dict[str, list[str]] = {}
        for name in behind:
            groups.setdefault(short(applied[name]), []).append(name)
        ran = "; ".join(f"{'every stack' if len(names) == len(graph.stacks) else ', '.join(names)} at {commit}"
                        for commit, names in groups.items())
        return Check("modules", WARNING, f"pinned at {refs(behind)}, but last applied {ran}: an apply moves them to the pin")
    commits = sorted({short(c) for c in applied.values()})
    ran = f"last applied from {', '.join(commits)}" if commits else "never applied"
    if pinned:
        return Check("modules", OK, f"pinned at {refs(pinned)}; {ran}")
    return Check("modules", OK, f"follow the working tree; {ran}")


def _alb_scheme(source: Source, arn: str) -> Check:
    balancer = source.load_balancer(arn)
    if balancer is None:
        return Check("alb_scheme", BROKEN, f"load balancer not found: {arn}")
    if balancer.scheme != "internal":
        return Check("alb_scheme", BROKEN, f"{balancer.name} is {balancer.scheme}: a VPC link reaches only an internal ALB; "
                     'requests get 503 {"message":"Service Unavailable"}')
    return Check("alb_scheme", OK, f"{balancer.name} is internal")


def _vpc_link(source: Source, link_id: str) -> Check:
    link = source.vpc_link(link_id)
    if link is None:
        return Check("vpc_link", BROKEN, f"VPC link {link_id} not found")
    message = f" ({link.message})" if link.message else ""
    if link.status == "AVAILABLE":
        return Check("vpc_link", OK, f"{link_id} AVAILABLE{message}")
    advice = VPC_LINK_ADVICE.get(link.status, "not AVAILABLE")
    return Check("vpc_link", BROKEN, f"{link_id} {link.status}: {advice}{message}")


def _ecs_service(source: Source, cluster: str, name: str) -> Check:
    service = source.service(cluster, name)
    if service is None:
        return Check("ecs_service", BROKEN, f"service {name} not found in {cluster}")
    if service.status != "ACTIVE":
        return Check("ecs_service", BROKEN, f"service {name} is {service.status}")
    if service.running is None:
        status = WARNING if service.desired == 0 else OK
        return Check("ecs_service", status, f"{name}: desired {service.desired} (local provider: no tasks run)")
    counts = f"{name}: running {service.running}/{service.desired}, pending {service.pending}"
    rollout = f"; rollout {service.rollout}" + (f": {service.rollout_reason}" if service.rollout_reason else "") if service.rollout else ""
    if service.desired > 0 and service.running == 0:
        return Check("ecs_service", BROKEN, f"{counts}: no task is running{rollout}")
    if service.desired == 0:
        return Check("ecs_service", WARNING, f"{counts}: scaled to zero, nothing serves requests{rollout}")
    if service.running < service.desired or service.rollout in ("IN_PROGRESS", "FAILED"):
        return Check("ecs_service", WARNING, counts + rollout)
    return Check("ecs_service", OK, counts + rollout)


def _target_health(source: Source, target_group_arn: str) -> Check:
    health = source.target_health(target_group_arn)
    group = target_group_arn.rsplit("/", 2)[-2] if target_group_arn.count("/") >= 2 else target_group_arn
    if health is None:
        return Check("target_health", BROKEN, f"target group not found: {target_group_arn}")
    if health.targets is None:
        return Check("target_health", OK, f"{group} exists (local provider: no tasks, so no targets to check)")
    healthy = [t for t in health.targets if t.state == "healthy"]
    others = [t for t in health.targets if t.state != "healthy"]
    described = ", ".join(f"{t.id} {t.state}" + (f" ({t.reason}: {t.description})" if t.reason else "") for t in others[:5])
    if len(others) > 5:
        described += f", and {len(others) - 5} more"
    summary = f"{group}: {len(healthy)} healthy, {len(others)} not healthy"
    if not healthy:
        if not health.targets:
            return Check("target_health", BROKEN, f"{group}: no targets registered")
        return Check("target_health", BROKEN, f"{summary}: {described}")
    if others:
        return Check("target_health", WARNING, f"{summary}: {described}")
    return Check("target_health", OK, summary)


def _api(source: Source, api_id: str) -> Check:
    api = source.api(api_id)
    if api is None:
        return Check("api", BROKEN, f"HTTP API {api_id} not found")
    return Check("api", OK, api.endpoint or api_id)


def _keepalive(source: Source, rule_name: str) -> Check:
    rule = source.rule(rule_name)
    if rule is None:
        return Check("keepalive", WARNING, f"rule {rule_name} not found: nothing keeps the VPC link from going INACTIVE")
    if rule.state != "ENABLED":
        return Check("keepalive", WARNING, f"rule {rule_name} is {rule.state}: the VPC link goes INACTIVE after 60 idle days")
    return Check("keepalive", OK, f"rule {rule_name} ENABLED")


CHECKS: dict[str, Callable[..., Check]] = {
    "alb_scheme": _alb_scheme,
    "vpc_link": _vpc_link,
    "ecs_service": _ecs_service,
    "target_health": _target_health,
    "api": _api,
    "keepalive": _keepalive,
}


def evaluate(outputs: dict[str, dict], source: Source, unreadable: frozenset[str] = frozenset()) -> list[Check]:
    """The path's checks, from each stack's outputs (``{}``: never applied) and a source.

    ``unreadable``: stacks whose state could not be read (their outputs are unknown, not absent).
    """
    checks = []
    for name, check in CHECKS.items():
        stack, keys = NEEDS[name]
        values = [outputs.get(stack, {}).get(key) for key in keys]
        if stack in unreadable:
            checks.append(Check(name, BROKEN, f"the state of stack {stack!r} could not be read"))
            continue
        if any(value in (None, "") for value in values):
            checks.append(Check(name, BROKEN, f"stack {stack!r} was never applied (no {', '.join(keys)} in state)"))
            continue
        try:
            checks.append(check(source, *values))
        except SourceError as error:
            checks.append(Check(name, BROKEN, f"could not read: {error}"))
    return checks


def _route_of(route: dict | None) -> str:
    if not route:
        return "no route (a worker: nothing reaches it)"
    return f"path {route['path_prefix']}" if route.get("path_prefix") else f"host {route['host']}"


def service_checks(outputs: dict[str, dict], source: Source) -> list[Check]:
    """One check per service of the ecs stack's ``services``: its route, its tasks, its targets' health."""
    ecs = outputs.get("ecs", {})
    checks = []
    for name, service in sorted((ecs.get("services") or {}).items()):
        try:
            parts = [_ecs_service(source, ecs.get("cluster_arn"), service["service_name"])]
            if service.get("target_group_arn"):
                parts.append(_target_health(source, service["target_group_arn"]))
        except SourceError as error:
            parts = [Check(name, BROKEN, f"could not read: {error}")]
        found = {part.status for part in parts}
        worst = BROKEN if BROKEN in found else WARNING if WARNING in found else OK
        detail = "; ".join([_route_of(service.get("route"))] + [part.detail for part in parts])
        checks.append(Check(f"service:{name}", worst, detail))
    return checks


def source_for(project: Project, target: Target) -> Source:
    """Where the live objects are read: the built-in provider's store, moto (as the rehearsal's provider sees it), or AWS."""
    env = target.env
    if target.built_in_provider:
        return LocalSource(target.local_cloud_dir(project))
    if target.on_moto:
        server = moto_server.up(project)
        return AwsSource.on_moto(env.config.region, server.endpoint, moto_server.CREDENTIALS, target.role_arn)
    return AwsSource(env.config.region)


def document(env: str, source: Source, checks: list[Check], results: list[StackResult], endpoint: str | None) -> dict:
    return {
        "env": env,
        "command": "status",
        "source": source.label,
        "healthy": not any(c.status == BROKEN for c in checks),
        "endpoint": endpoint,
        "checks": [c.as_dict() for c in checks],
        "stacks": [r.report() for r in results],
    }


def show(console: Console, doc: dict) -> None:
    table = Table(title=f"status {doc['env']} ({doc['source']})", title_justify="left")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for check in doc["checks"]:
        table.add_row(check["name"], f"[{STYLES[check['status']]}]{check['status']}[/]", check["detail"])
    console.print(table)
    if doc["endpoint"]:
        console.print(f"[bold]API endpoint[/]: {doc['endpoint']}", highlight=False)
    broken = [c["name"] for c in doc["checks"] if c["status"] == BROKEN]
    if broken:
        console.print(f"[bold red]path broken[/]: {', '.join(broken)}", highlight=False)
    else:
        console.print(f"[green]path healthy[/] ({doc['source']})", highlight=False)


def run(project: Project, env_name: str, provider: str, console: Console, as_json: bool = False, parallelism: int = 4,
        state: str = "auto") -> int:
    """Read outputs from state, look at the live objects, print; 0 healthy, 1 broken."""
    quiet = Console(stderr=True, quiet=True)  # the output run's progress is noise here; failures become checks
    prepared, results = core.run(project, RunOptions(command="output", env=env_name, provider=provider, parallelism=parallelism, state=state), quiet)
    target = Target.of(prepared.env, provider, state)
    source = source_for(project, target)
    outputs = {r.name: r.outputs for r in results}
    unreadable = frozenset(r.name for r in results if r.status != "ok")
    record = run_record.load(target.env_dir(project))
    checks = [_stacks_check(results), _modules_check(prepared.graph, record), *evaluate(outputs, source, unreadable),
              *service_checks(outputs, source)]
    endpoint = outputs.get("api_gateway", {}).get("api_endpoint")
    doc = document(env_name, source, checks, results, endpoint)
    show(console, doc)
    if as_json:
        print(json.dumps(doc, indent=2, default=str))
    return exit_codes.OK if doc["healthy"] else exit_codes.FAILED
