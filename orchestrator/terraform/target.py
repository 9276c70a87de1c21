"""Where an environment's stacks run, as one object: the target.

A target is the provider the stacks run on and the place their state lives:

- ``aws``: the real provider against the account the environment names, state in its S3 backend;
- ``local``: the built-in stand-in provider (``local_provider``), state in a local file (or, with
  ``--state s3``, in S3 on the local cloud);
- ``moto``: the real provider built here against the local cloud (moto), state in S3 there.

Everything that differs between them is answered here, once: the runs' folder, the backend and
provider blocks a working directory gets, whether the project's provider lock file applies, and
whether the local cloud is needed. The rehearsals of a cloud environment live apart from its real
runs (``ENV.local/``, ``ENV.moto/``), and their backend block is the one a real account gets: only
the process environment says where S3 is (``local_cloud.moto_server``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.config import hcl, module_info
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import Stack
from orchestrator.config.project import Project

GENERATED_PREFIX = "_orchestrator_"

MODES = ("aws", "local", "moto")
# --state: "auto" is the S3 backend the environment declares for the real provider (aws, and moto: the
# rehearsal keeps state in S3 on the local cloud) and local state for the built-in provider; "s3" gives
# the built-in provider the S3 backend too, on the local cloud; "local" a local file for a rehearsal.
STATES = ("auto", "local", "s3")

# The services the modules (and the orchestrator's secret resolution) call, by the AWS provider's
# endpoint names: a moto rehearsal points every one of them at the moto server.
MOTO_SERVICES = ("apigatewayv2", "appautoscaling", "cloudwatch", "ec2", "ecs", "elbv2", "events", "iam",
                 "kms", "logs", "s3", "secretsmanager", "sqs", "ssm", "sts")
MOTO_ROLE = "orchestrator-rehearsal"  # assumed in the environment's account, so allowed_account_ids hold
# What moto answers without (measured with bench/conformance.py): a rehearsal's override file makes
# Terraform ignore exactly these attributes of these types, so a re-plan after apply is clean; the
# modules stay as they are for AWS. Type -> (attributes, the moto gap).
MOTO_GAPS = {
    "aws_vpc_security_group_ingress_rule": (("description",), "DescribeSecurityGroupRules drops Description of rules that reference a security group or a prefix list"),
    "aws_vpc_security_group_egress_rule": (("description",), "DescribeSecurityGroupRules drops Description of rules that reference a security group or a prefix list"),
    "aws_ecs_service": (("health_check_grace_period_seconds",), "DescribeServices answers healthCheckGracePeriodSeconds 0 whatever was set"),
}
MOTO_OVERRIDE = f"{GENERATED_PREFIX}moto_override.tf"
BACKEND_FILE = f"{GENERATED_PREFIX}backend.tf"
PROVIDER_FILE = f"{GENERATED_PREFIX}provider.tf"


def state_backend(env: LoadedEnvironment, mode: str, requested: str = "auto") -> str:
    """local | s3: where the stacks of ``env`` keep state when run in ``mode`` (bad input when it cannot)."""
    declared = env.config.backend.type
    if requested == "s3" and declared != "s3":
        raise InputError([Problem("--state", "s3", f"environment {env.name!r} declares no S3 backend (backend.type: {declared})")])
    if requested == "local" and mode == "aws" and declared == "s3":
        raise InputError([Problem("--state", "local", f"environment {env.name!r} keeps its state in S3; local state is for rehearsals "
                                                      "(--provider local or moto)")])
    if declared == "local" or requested == "local" or (requested == "auto" and mode == "local"):
        return "local"
    return "s3"


@dataclass(frozen=True)
class Target:
    env: LoadedEnvironment
    mode: str  # aws | local | moto
    state: str  # local | s3

    @classmethod
    def of(cls, env: LoadedEnvironment, provider: str = "auto", state: str = "auto") -> Target:
        """``--provider`` (auto: what the environment declares) and ``--state``; bad input when they cannot go together."""
        mode = ("local" if env.config.provider == "local" else "aws") if provider == "auto" else provider
        return cls(env, mode, state_backend(env, mode, state))

    @property
    def on_aws(self) -> bool:
        """The real provider against a real account: credentials and the account guard apply."""
        return self.mode == "aws"

    @property
    def built_in_provider(self) -> bool:
        return self.mode == "local"

    @property
    def on_moto(self) -> bool:
        """The real provider built here, against the local cloud."""
        return self.mode == "moto"

    @property
    def state_on_local_cloud(self) -> bool:
        """A rehearsal's S3 state lives on the local cloud, as production's lives in the account."""
        return self.state == "s3" and not self.on_aws

    @property
    def needs_local_cloud(self) -> bool:
        return self.on_moto or self.state_on_local_cloud

    @property
    def rehearsal_of_cloud_environment(self) -> bool:
        """The built-in provider standing in for an environment that runs on AWS (``ENV.local/``)."""
        return self.built_in_provider and self.env.config.provider != "local"

    @property
    def locks_provider_versions(self) -> bool:
        """Runs against the cloud install exactly the provider versions of the project's lock file. The
        built-in stand-in is not the registry's package, and the moto rehearsal runs the provider built
        here from source (tools build), so their runs keep a lock file of their own."""
        return self.on_aws

    @property
    def label(self) -> str:
        return self.mode

    @property
    def role_arn(self) -> str | None:
        """The role a rehearsal on moto assumes, so that it acts in the environment's own account (None: no accounts listed)."""
        accounts = sorted(self.env.config.allowed_account_ids or [])
        return f"arn:aws:iam::{accounts[0]}:role/{MOTO_ROLE}" if accounts else None

    def env_dir(self, project: Project) -> Path:
        if self.on_moto:
            return project.runs_dir / f"{self.env.name}.moto"
        return project.runs_dir / (f"{self.env.name}.local" if self.rehearsal_of_cloud_environment else self.env.name)

    def local_cloud_dir(self, project: Project) -> Path:
        """Where the built-in provider keeps the "cloud" of the environment (one store for all its stacks)."""
        return Target(self.env, "local", self.state).env_dir(project) / "cloud"

    def state_key(self, stack: Stack) -> str:
        """``<key_prefix>/<env>/<stack>.tfstate``; the built-in provider's rehearsal of a real environment
        (``--provider local --state s3``) keeps it under ``<env>.local`` instead, beside (never over) the
        real provider's rehearsal on the same local cloud."""
        name = self.env.name + (".local" if self.rehearsal_of_cloud_environment else "")
        return f"{self.env.config.backend.key_prefix}/{name}/{stack.name}.tfstate"

    def local_state_file(self, project: Project, stack: Stack) -> Path | None:
        """The stack's state file when state is local (None: it is kept in S3)."""
        return self.env_dir(project) / "state" / f"{stack.name}.tfstate" if self.state == "local" else None

    def backend_block(self, project: Project, stack: Stack) -> tuple[str, Path | None]:
        """The backend block, and the state file when state is local."""
        backend = self.env.config.backend
        if path := self.local_state_file(project, stack):
            return f'terraform {{\n  backend "local" {{\n    path = {hcl.string(str(path))}\n  }}\n}}\n', path
        settings = {
            "bucket": backend.bucket,
            "key": self.state_key(stack),
            "region": backend.region or self.env.config.region,
            "encrypt": True,
            "use_lockfile": True,  # native S3 locking, no DynamoDB table
        }
        if backend.kms_key_id:
            settings["kms_key_id"] = backend.kms_key_id
        body = "\n".join(f"    {key} = {hcl.literal(value)}" for key, value in settings.items())
        return f'terraform {{\n  backend "s3" {{\n{body}\n  }}\n}}\n', None

    def provider_block(self, moto_endpoint: str | None = None) -> str:
        """The aws provider block; on moto, the provider's endpoints are the server at ``moto_endpoint``."""
        config = self.env.config
        lines = ['provider "aws" {', f"  region = {hcl.string(config.region)}"]
        if config.allowed_account_ids:
            lines.append(f"  allowed_account_ids = {hcl.literal(list(config.allowed_account_ids))}")
        if self.on_moto and moto_endpoint:
            # Fake credentials come from the environment (AWS_ACCESS_KEY_ID=testing); moto answers STS.
            lines += ["  skip_metadata_api_check     = true", "  skip_region_validation      = true", "  s3_use_path_style           = true"]
            if role_arn := self.role_arn:
                lines += ["  assume_role {", f"    role_arn = {hcl.string(role_arn)}", "  }"]
            lines += ["  endpoints {", *(f"    {service} = {hcl.string(moto_endpoint)}" for service in MOTO_SERVICES), "  }"]
        lines += ["  default_tags {", f"    tags = {hcl.literal(self.env.tags())}", "  }", "}"]
        return "\n".join(lines) + "\n"

    def generated_files(self, project: Project, stack: Stack, moto_endpoint: str | None = None) -> tuple[dict[str, bytes], Path | None]:
        """What a working directory of ``stack`` gets beside the module's files (name -> bytes), and the local state file."""
        backend, state_file = self.backend_block(project, stack)
        files = {BACKEND_FILE: backend.encode()}
        info = module_info.read(stack.module_dir)
        if "aws" in info.providers:
            files[PROVIDER_FILE] = self.provider_block(moto_endpoint).encode()
        if self.on_moto and (override := moto_override(info)):
            files[MOTO_OVERRIDE] = override.encode()
        return files, state_file


def moto_override(info: module_info.ModuleInfo) -> str:
    """Override blocks (Terraform merges them into the module) ignoring MOTO_GAPS, with the module's own ignores kept."""
    blocks = []
    for address, ignored in info.resources:
        type_name, name = address.split(".", 1)
        if type_name in MOTO_GAPS:
            attributes, gap = MOTO_GAPS[type_name]
            keep = ", ".join(sorted(set(ignored) | set(attributes)))
            blocks.append(f'# moto: {gap}\nresource "{type_name}" "{name}" {{\n  lifecycle {{\n    ignore_changes = [{keep}]\n  }}\n}}\n')
    return "\n".join(blocks)
