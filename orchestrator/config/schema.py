"""The environment schema, declared once: types, required keys, defaults and ranges.

An environment is ``environments/defaults.yaml`` deep-merged with ``environments/<env>.yaml``.
Unknown keys are errors (``extra="forbid"``), so a typo never passes silently. Rules that relate
several keys (CIDR maths, the internal-ALB rule...) live in ``rules.py``.
``python -m orchestrator schema`` prints this as JSON Schema for editors.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$")]
Port = Annotated[int, Field(ge=1, le=65535)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# Tag characters every AWS service accepts: Unicode letters, separators (spaces) and numbers, and
# _ . : / = + - @; keys 1-128, values 0-256 characters. The aws: prefix is refused in rules.py.
# https://docs.aws.amazon.com/efs/latest/ug/API_Tag.html (the pattern)
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html (the general restrictions)
TAG_CHARACTERS = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
TagKey = Annotated[str, StringConstraints(pattern=rf"^{TAG_CHARACTERS}+$", min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(pattern=rf"^{TAG_CHARACTERS}*$", max_length=256)]
# An image reference is <repository>:<tag> or <repository>@sha256:<64 hex digits>; tags are the
# Docker/OCI grammar ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}); the digest is sha256 only, 64 hex digits.
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html (image)
IMAGE_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
IMAGE_DIGEST = r"sha256:[0-9a-fA-F]{64}"
# The whole reference written in app.image, as ECS and Docker take it: repository@digest or repository:tag
# (a registry's :port is followed by a '/', a tag is not).
IMAGE_REFERENCE = re.compile(r"(?P<repository>[^@]+?)(@(?P<digest>.+)|:(?P<tag>[^/:@]+))")
# A URL path: RFC 3986 path characters, with an optional query ("/path?query" is what the target
# group's health check accepts, at most 1024 characters).
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
URL_PATH = r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?"
# HTTP codes an ALB health check accepts as healthy: 200-499, one code, a list or a range.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Matcher.html
HTTP_CODE = r"(2[0-9]{2}|3[0-9]{2}|4[0-9]{2})"
MATCHER = rf"{HTTP_CODE}(-{HTTP_CODE}|(,{HTTP_CODE})*)"
# EventBridge schedules: rate(N unit), singular for 1; cron() with six fields (minutes hours
# day-of-month month day-of-week year), '?' in day-of-month or day-of-week.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
# (The exact rate and cron forms a keep-alive accepts are checked in rules.py, with a reason.)
RATE = r"rate\([0-9]+ (minute|minutes|hour|hours|day|days)\)"
CRON_FIELD = r"[0-9A-Za-z*?,/#-]+"
CRON = rf"cron\({CRON_FIELD} {CRON_FIELD} {CRON_FIELD} {CRON_FIELD} {CRON_FIELD} {CRON_FIELD}\)"
# An availability zone ID (euw1-az1): the same physical zone in every account, unlike a zone name.
ZONE_ID = r"[a-z]{2,5}[0-9]+-az[0-9]+"
ZoneId = Annotated[str, StringConstraints(pattern=rf"^{ZONE_ID}$")]
# A JWT issuer: an https URL (API Gateway reads <issuer>/.well-known/openid-configuration).
HTTPS_URL = r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?"
HttpsUrl = Annotated[str, StringConstraints(pattern=rf"^{HTTPS_URL}$", max_length=2048)]
# A directory the container may write to (a task volume over the read-only root filesystem).
WRITABLE_PATH = r"(/[A-Za-z0-9._-]+)+"
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Backend(Section):
    type: Literal["local", "s3"] = Field("local", description="Where Terraform state lives.")
    bucket: str | None = Field(None, description="S3 bucket for state (type s3).")
    key_prefix: str = Field("orchestrator", description="State key is <key_prefix>/<env>/<stack>.tfstate.")
    region: Region | None = Field(None, description="Region of the bucket; defaults to the environment's region.")
    kms_key_id: str | None = Field(None, description="KMS key for server-side encryption of state objects.")


class FlowLogs(Section):
    enabled: bool = False
    retention_days: LogRetentionDays = 365


class Network(Section):
    vpc_cidr: str = Field(..., description="IPv4 CIDR of the VPC, /16 to /24.")
    az_count: int = Field(2, ge=2, le=6, description="Availability zones; an ALB needs at least two.")
    private_subnet_cidrs: list[str] | None = Field(
        None, description="One per AZ; derived from vpc_cidr when omitted."
    )
    public_subnets: bool = Field(False, description="Create public subnets (only needed for NAT).")
    public_subnet_cidrs: list[str] | None = None
    nat_gateway: bool = Field(False, description="NAT for egress beyond the VPC endpoints.")
    availability_zone_ids: list[ZoneId] | None = Field(
        None, description="Pin the zones by zone ID (euw1-az1), one per AZ of az_count: the same physical zones in "
                          "every account. Omitted: the first available of the region's zones named a to f."
    )
    flow_logs: FlowLogs = FlowLogs()


class HealthCheck(Section):
    path: Annotated[str, StringConstraints(pattern=rf"^{URL_PATH}$", max_length=1024)] = "/"
    matcher: Annotated[str, StringConstraints(pattern=rf"^{MATCHER}$")] = Field(
        "200-399", description="Healthy HTTP codes, 200-499: one (200), a list (200,204) or a range (200-399)."
    )
    interval_seconds: int = Field(30, ge=5, le=300)
    timeout_seconds: int = Field(5, ge=2, le=120)
    healthy_threshold: int = Field(3, ge=2, le=10)
    unhealthy_threshold: int = Field(3, ge=2, le=10)


class AlbAccessLogs(Section):
    enabled: bool = Field(True, description="Access logs of the ALB to S3 (one line per request).")
    bucket: str | None = Field(
        None, description="An existing bucket that lets Elastic Load Balancing write; omitted: one made for them."
    )
    retention_days: int = Field(365, ge=1, le=36500, description="Days the made bucket keeps the logs.")
    force_destroy: bool = Field(False, description="Let destroy delete the made bucket with the logs in it.")


class Alb(Section):
    internal: bool = Field(
        True, description="Must be true: an HTTP API VPC link only reaches an internal ALB."
    )
    listener_port: Port | None = Field(None, description="Default: 443 with a certificate (HTTPS), 80 without (HTTP).")
    certificate_arn: str | None = Field(None, description="ACM certificate: the listener speaks HTTPS.")
    certificate_domain: Annotated[str, StringConstraints(pattern=r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")] | None = Field(
        None, description="With certificate_arn: the name in the certificate, which API Gateway verifies (TLS server name)."
    )
    idle_timeout_seconds: int = Field(60, ge=1, le=4000)
    deregistration_delay_seconds: int = Field(30, ge=0, le=3600)
    deletion_protection: bool = False
    access_logs: AlbAccessLogs = AlbAccessLogs()
    health_check: HealthCheck = HealthCheck()


class Autoscaling(Section):
    enabled: bool = False
    min_capacity: int = Field(1, ge=0, le=1000)
    max_capacity: int = Field(4, ge=1, le=1000)
    cpu_target_percent: int = Field(60, ge=10, le=95)


class Container(Section):
    """What the main service (``app``) and each of ``services`` run: image, size, count, environment."""

    image: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._/-]*(:[0-9]+/[a-z0-9._/-]+)?$", max_length=255)] = Field(
        ..., description="Container image repository, without tag or digest; private ECR of the region unless NAT is on."
    )
    image_tag: Annotated[str, StringConstraints(pattern=rf"^({IMAGE_TAG}|{IMAGE_DIGEST})$")] = Field(
        ..., description="Image tag, or digest sha256:<64 hex> to pin the image (rendered repo@sha256:...): what `promote` moves from one environment to the next."
    )
    container_port: Port = 8080
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = 256
    memory: int = Field(512, ge=512, le=122880, description="MiB; must be valid for the cpu size.")
    desired_count: int = Field(2, ge=0, le=1000)
    environment: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="Plain environment variables of the container (no secrets)."
    )
    autoscaling: Autoscaling = Autoscaling()
    readonly_root_filesystem: bool = Field(
        True, description="Mount the container's root filesystem read-only; the app writes only to writable_paths."
    )
    writable_paths: list[Annotated[str, StringConstraints(pattern=rf"^{WRITABLE_PATH}$")]] = Field(
        default_factory=lambda: ["/tmp"],
        description="Directories the app may write to, each a volume on the task's ephemeral storage.",
    )
    secrets: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]+:\d{12}:(parameter/|secret:).+$")]] = Field(
        default_factory=dict,
        description="Secret variables of the container: name -> ARN of an SSM parameter or Secrets Manager secret; ECS reads them at task start.",
    )

    @model_validator(mode="before")
    @classmethod
    def _reference_in_image(cls, data):
        """A digest or tag written into image: one problem saying where it goes (not a pattern error and a missing image_tag)."""
        image = data.get("image") if isinstance(data, dict) else None
        found = IMAGE_REFERENCE.fullmatch(image) if isinstance(image, str) else None
        if found:
            part = "digest" if found["digest"] else "tag"
            raise PydanticCustomError(
                "image_reference",
                "image '{image}' holds its {part}: the repository goes in image, the {part} in image_tag "
                '(image: {repository}, image_tag: "{value}"); promote moves image_tag',
                {"image": image, "part": part, "repository": found["repository"], "value": found[part]},
            )
        return data


class App(Container):
    """The main service: the ALB listener's default route, so every path no service claims."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,19}$")] = "app"


class Route(Section):
    """Where the internal ALB's one listener sends a service's requests: a path prefix or a host."""

    path_prefix: Annotated[str, StringConstraints(pattern=r"^(/[A-Za-z0-9._~-]+)+$", max_length=120)] | None = Field(
        None, description="Requests for this path and below it (/orders: /orders and /orders/*); no trailing slash."
    )
    host: Annotated[str, StringConstraints(pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")] | None = Field(
        None, description="Requests for this domain name (the API's custom domain): matched on the x-api-host header the "
                          "API's integration sets, since API Gateway does not pass the client's Host on."
    )
    priority: int = Field(..., ge=1, le=50000, description="The listener rule's priority: lower is evaluated first; unique.")

    @model_validator(mode="after")
    def _path_or_host(self):
        if (self.path_prefix is None) == (self.host is None):
            raise ValueError("give exactly one of path_prefix and host")
        return self


class Service(Container):
    """A service beside the main one: routed by path or host through the same listener, or a worker."""

    desired_count: int = Field(1, ge=0, le=1000)
    route: Route | None = Field(
        None, description="Its rule on the ALB's listener; absent: a worker, which nothing reaches (no ingress)."
    )
    health_check: HealthCheck = HealthCheck()


ServiceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,19}$")]


class ApiAuthorization(Section):
    """Who may call the API. The keep-alive's path stays open (it cannot carry credentials)."""

    type: Literal["NONE", "AWS_IAM", "JWT"] = Field(
        "NONE", description="JWT: tokens of jwt_issuer for jwt_audience; AWS_IAM: SigV4-signed requests; NONE (the "
                            "default, for development): anyone, and the policy checks report it."
    )
    jwt_issuer: HttpsUrl | None = Field(None, description="With JWT: the token issuer (iss), an https URL.")
    jwt_audience: list[NonEmpty] = Field(
        default_factory=list, description="With JWT: accepted audiences (aud or client_id); at least one."
    )
    jwt_scopes: list[NonEmpty] = Field(
        default_factory=list, description="With JWT: a token must hold one of these scopes (empty: any)."
    )


class Api(Section):
    throttling_burst_limit: int = Field(100, ge=0, le=5000)
    throttling_rate_limit: int = Field(50, ge=0, le=10000)
    access_log_retention_days: LogRetentionDays = 365
    authorization: ApiAuthorization = ApiAuthorization()


class Keepalive(Section):
    """A scheduled request through the API keeps the VPC link warm: it goes INACTIVE after 60 idle days."""

    schedule: Annotated[str, StringConstraints(pattern=rf"^({RATE}|{CRON})$")] = Field(
        "rate(1 hour)", description="EventBridge rate(N unit) (singular for 1) or cron(6 fields), at least every 30 days."
    )
    path: Annotated[str, StringConstraints(pattern=rf"^{URL_PATH}$", max_length=1024)] = "/"


# A checkov check id (CKV_AWS_91, CKV2_AWS_12) or one of the project's (ORCH_AWS_1).
CheckId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$", max_length=64)]


class Policy(Section):
    """Policy checks of every stack's plan (checkov, with the project's checks in policies/checkov/)."""

    checks: bool = Field(True, description="Check every stack's plan; apply refuses a plan that fails a check.")
    accept: dict[CheckId, Annotated[str, StringConstraints(min_length=10, max_length=500)]] = Field(
        default_factory=dict,
        description="Failed checks this environment accepts: check id -> the reason (reported beside each).",
    )
    owners: list[NonEmpty] = Field(
        default_factory=list,
        description="Who may pass --accept-policy-failures (ORCHESTRATOR_USER, else git user.email, else the login); "
                    "empty: anyone who can run apply.",
    )


class SecretReference(Section):
    """Where a secret lives; exactly one of the three. Resolved at run time, never stored."""

    env: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    ssm: Annotated[str, StringConstraints(pattern=r"^(/[\w.-]+)+$|^arn:aws[a-z-]*:ssm:.+$")] | None = None
    secretsmanager: Annotated[str, StringConstraints(pattern=r"^[\w/+=.@:-]+$", max_length=2048)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [name for name in ("env", "ssm", "secretsmanager") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of env, ssm, secretsmanager")
        return self


GitRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")]


class ModulePins(Section):
    ref: GitRef | None = Field(
        None, description="Git commit or tag whose terraform_modules/ this environment runs; absent: the working tree. "
                          "`promote SOURCE TARGET` moves it from SOURCE to TARGET.")
    stacks: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")], GitRef] = Field(
        default_factory=dict, description="A pin for one stack's module (stack -> git commit or tag), over `ref`.")


# The seed's own stacks: their settings are the sections of Environment below (and rules.py). Any other
# stack of stacks.yaml is one a team added: its section is validated from its module (module_variables).
BUILT_IN_STACKS = frozenset({"network", "alb", "ecs", "vpc_link", "api_gateway", "keepalive"})


class Environment(Section):
    """One environment: where it runs, who may touch it, and what it runs."""

    project: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=16)] = Field(
        ..., description="Short name prefixed to every resource."
    )
    region: Region
    provider: Literal["aws", "local"] = Field(
        "aws", description="What --provider auto means here: the real AWS provider or the local one."
    )
    allowed_account_ids: list[AccountId] = Field(
        default_factory=list, description="The only AWS accounts this environment may change."
    )
    require_approval: bool = Field(False, description="apply needs --auto-approve or an interactive yes.")
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)
    backend: Backend = Backend()
    log_retention_days: LogRetentionDays = 365
    log_kms_encryption: bool = Field(
        True, description="Encrypt every log group with a customer managed KMS key of its own (about 1 USD a month each)."
    )
    network: Network
    alb: Alb = Alb()
    app: App
    services: dict[ServiceName, Service] = Field(
        default_factory=dict,
        description="More services beside app, in the same cluster and behind the same VPC link: name -> service.",
    )
    api: Api = Api()
    keepalive: Keepalive = Keepalive()
    policy: Policy = Policy()
    modules: ModulePins = ModulePins()
    secrets: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*$")], SecretReference] = Field(
        default_factory=dict, description="stack.variable -> where its secret value lives (see secrets.py)."
    )
