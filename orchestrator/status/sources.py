"""Where `status` looks: the real AWS APIs (boto3) or the local provider's store.

Both sources answer the same few questions with the same small records, so the checks and the
output of `status` are written once (``orchestrator.status.checks``). A method returns ``None`` when the
object does not exist, and raises ``SourceError`` when it could not be read (credentials, access,
network): the first is a broken path, the second a path nobody could look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol


@dataclass(frozen=True)
class VpcLink:
    status: str  # AVAILABLE | PENDING | DELETING | FAILED | INACTIVE
    message: str = ""


@dataclass(frozen=True)
class Service:
    status: str  # ACTIVE | DRAINING | INACTIVE
    desired: int
    running: int | None  # None: not observable (the local provider runs no tasks)
    pending: int | None
    rollout: str | None = None  # the PRIMARY deployment's rolloutState: COMPLETED | IN_PROGRESS | FAILED
    rollout_reason: str = ""


@dataclass(frozen=True)
class Target:
    id: str
    state: str  # initial | healthy | unhealthy | unused | draining | unavailable ...
    reason: str = ""
    description: str = ""


@dataclass(frozen=True)
class TargetHealth:
    targets: tuple[Target, ...] | None  # None: not observable (the local provider runs no tasks)


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    scheme: str  # internal | internet-facing


@dataclass(frozen=True)
class Api:
    endpoint: str


@dataclass(frozen=True)
class Rule:
    state: str  # ENABLED | DISABLED | ...


class SourceError(Exception):
    """The object could not be read (no credentials, access denied, network): not the same as missing."""


class Source(Protocol):
    label: str  # for people: "AWS us-east-1", "local provider"

    def vpc_link(self, link_id: str) -> VpcLink | None: ...
    def service(self, cluster: str, name: str) -> Service | None: ...
    def target_health(self, target_group_arn: str) -> TargetHealth | None: ...
    def load_balancer(self, arn: str) -> LoadBalancer | None: ...
    def api(self, api_id: str) -> Api | None: ...
    def rule(self, name: str) -> Rule | None: ...


# AWS -------------------------------------------------------------------------------------------
_NOT_FOUND = {
    "NotFoundException",  # apigatewayv2
    "LoadBalancerNotFound",
    "TargetGroupNotFound",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ResourceNotFoundException",  # events
}


def _client_config():
    from botocore.config import Config

    # Fail in seconds, not minutes, where there is no route to AWS.
    return Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})


class AwsSource:
    """Reads through boto3: region as given, credentials from boto3's usual chain."""

    def __init__(self, region: str, client: Callable[[str], object] | None = None, label: str | None = None):
        self.label = label or f"AWS {region}"
        if client is None:
            import boto3

            session = boto3.session.Session(region_name=region)

            def client(service: str):
                return session.client(service, config=_client_config())
        self._client_factory = client
        self._clients: dict[str, object] = {}

    @classmethod
    def on_moto(cls, region: str, endpoint: str, credentials: dict[str, str], role_arn: str | None) -> AwsSource:
        """The moto server of --provider moto, as the rehearsal's provider sees it (same role, same account)."""
        from orchestrator.local_cloud import moto_server

        session = moto_server.session(region, endpoint, role_arn, credentials, name="orchestrator-status")
        return cls(region, lambda service: session.client(service, endpoint_url=endpoint, config=_client_config()),
                   label=f"moto at {endpoint}")

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._client_factory(service)
        return self._clients[service]

    def _call(self, service: str, operation: str, **kwargs) -> dict | None:
        """One API call; None when AWS says the object does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client(service), operation)(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _NOT_FOUND:
                return None
            raise SourceError(f"{service} {operation}: {error}") from None
        except BotoCoreError as error:
            raise SourceError(f"{service} {operation}: {error}") from None

    def vpc_link(self, link_id: str) -> VpcLink | None:
        found = self._call("apigatewayv2", "get_vpc_link", VpcLinkId=link_id)
        if found is None:
            return None
        return VpcLink(found.get("VpcLinkStatus", "UNKNOWN"), found.get("VpcLinkStatusMessage", ""))

    def service(self, cluster: str, name: str) -> Service | None:
        found = self._call("ecs", "describe_services", cluster=cluster, services=[name])
        services = (found or {}).get("services") or []
        if not services:
            return None  # the failures list says MISSING
        item = services[0]
        primary = next((d for d in item.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        return Service(
            item.get("status", "UNKNOWN"),
            item.get("desiredCount", 0),
            item.get("runningCount", 0),
            item.get("pendingCount", 0),
            primary.get("rolloutState"),
            primary.get("rolloutStateReason", ""),
        )

    def target_health(self, target_group_arn: str) -> TargetHealth | None:
        found = self._call("elbv2", "describe_target_health", TargetGroupArn=target_group_arn)
        if found is None:
            return None
        targets = []
        for item in found.get("TargetHealthDescriptions", []):
            target, health = item.get("Target", {}), item.get("TargetHealth", {})
            where = f"{target.get('Id', '?')}:{target['Port']}" if target.get("Port") else target.get("Id", "?")
            targets.append(Target(where, health.get("State", "unknown"), health.get("Reason", ""), health.get("Description", "")))
        return TargetHealth(tuple(targets))

    def load_balancer(self, arn: str) -> LoadBalancer | None:
        found = self._call("elbv2", "describe_load_balancers", LoadBalancerArns=[arn])
        balancers = (found or {}).get("LoadBalancers") or []
        if not balancers:
            return None
        return LoadBalancer(balancers[0].get("LoadBalancerName", ""), balancers[0].get("Scheme", "unknown"))

    def api(self, api_id: str) -> Api | None:
        found = self._call("apigatewayv2", "get_api", ApiId=api_id)
        return None if found is None else Api(found.get("ApiEndpoint", ""))

    def rule(self, name: str) -> Rule | None:
        found = self._call("events", "describe_rule", Name=name)
        return None if found is None else Rule(found.get("State", "UNKNOWN"))


# Local provider --------------------------------------------------------------------------------
class LocalSource:
    """Reads the local provider's store (``<cloud_dir>/aws-objects.json``): what exists, as recorded.

    The local provider runs no tasks and no health checks: running counts and target health are not
    observable, and a link that exists is AVAILABLE unless its record says otherwise.
    """

    label = "local provider"

    def __init__(self, cloud_dir: Path):
        from orchestrator.local_provider.store import Store

        self.store = Store(cloud_dir)

    def vpc_link(self, link_id: str) -> VpcLink | None:
        record = self.store.find("aws_apigatewayv2_vpc_link", link_id)
        if record is None:
            return None
        status = record.get("vpc_link_status") or record.get("status") or "AVAILABLE"
        return VpcLink(status, record.get("vpc_link_status_message") or "recorded by the local provider")

    def service(self, cluster: str, name: str) -> Service | None:
        record = self.store.find("aws_ecs_service", name)  # by id (ARN) or name: one environment per store
        if record is None:
            return None
        return Service("ACTIVE", int(record.get("desired_count") or 0), None, None)

    def target_health(self, target_group_arn: str) -> TargetHealth | None:
        return None if self.store.find("aws_lb_target_group", target_group_arn) is None else TargetHealth(None)

    def load_balancer(self, arn: str) -> LoadBalancer | None:
        record = self.store.find("aws_lb", arn)
        if record is None:
            return None
        return LoadBalancer(record.get("name", ""), "internal" if record.get("internal") else "internet-facing")

    def api(self, api_id: str) -> Api | None:
        record = self.store.find("aws_apigatewayv2_api", api_id)
        return None if record is None else Api(record.get("api_endpoint", ""))

    def rule(self, name: str) -> Rule | None:
        record = self.store.find("aws_cloudwatch_event_rule", name)
        if record is None:
            return None
        return Rule(record.get("state") or ("DISABLED" if record.get("is_enabled") is False else "ENABLED"))
