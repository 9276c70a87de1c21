"""An isolated Terraform working directory per environment, provider mode and stack.

The module's files are copied in (module sources stay pristine, two environments never share a
directory), and the backend and provider configuration are generated beside them. State of
local backends lives outside the working directory, so a broken working directory can be
rebuilt without losing anything.

    .orchestrator/<env>[.local]/<stack>/        working directory (.local: --provider local rehearsal) (terraform -chdir=...)
        _orchestrator_backend.tf                 generated
        _orchestrator_provider.tf                generated when the module needs AWS
        env.tfvars, upstream.tfvars              rendered inputs (mode 0600)
        plan.tfplan, plan.json           the saved plan and its JSON
        plan.tfplan.meta.json            what the plan was made from (upstream outputs, inputs)
        terraform.log                            everything Terraform printed
    .orchestrator/<env>[.local]/state/<stack>.tfstate   local backend state
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config import hcl, module_info
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import Stack
from orchestrator.config.project import Project

GENERATED_PREFIX = "_orchestrator_"
_SKIP = {".terraform", ".terraform.lock.hcl", "README.md", "examples", "tests"}


def _write_private(path: Path, text: str) -> None:
    """Write atomically with mode 0600: inputs and plans may hold values worth protecting."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    temporary.replace(path)


def meta_path(plan_file: Path) -> Path:
    """The record kept beside a saved plan: what it was made from."""
    return plan_file.with_name(plan_file.name + ".meta.json")


LOCK_FILE = ".terraform.lock.hcl"


@dataclass(frozen=True)
class Workdir:
    path: Path
    state_file: Path | None  # local backend only
    locked: bool = False  # holds the project's committed lock file: init must not change it

    @property
    def env_tfvars(self) -> Path:
        return self.path / "env.tfvars"

    @property
    def upstream_tfvars(self) -> Path:
        return self.path / "upstream.tfvars"

    @property
    def plan_file(self) -> Path:
        return self.path / "plan.tfplan"

    @property
    def plan_json(self) -> Path:
        return self.path / "plan.json"

    @property
    def plan_meta(self) -> Path:
        return meta_path(self.plan_file)

    @property
    def log(self) -> Path:
        return self.path / "terraform.log"

    @property
    def init_stamp(self) -> Path:
        return self.path / ".terraform" / "orchestrator-init.sha256"

    def write_inputs(self, env_tfvars: str, upstream_values: dict) -> None:
        _write_private(self.env_tfvars, env_tfvars)
        _write_private(self.upstream_tfvars, hcl.tfvars(upstream_values) if upstream_values else "")

    def write_json(self, path: Path, value, redact=None) -> None:
        text = json.dumps(value, indent=2, sort_keys=True)
        _write_private(path, redact(text) if redact else text)

    def init_fingerprint(self, extra: str) -> str:
        digest = hashlib.sha256(extra.encode())
        if self.locked:
            digest.update(b"lock\0" + (self.path / LOCK_FILE).read_bytes())
        for tf_file in sorted(self.path.glob("*.tf")):
            text = tf_file.read_text(encoding="utf-8")
            if tf_file.name.startswith(GENERATED_PREFIX) or "required_providers" in text or "backend" in text:
                digest.update(tf_file.name.encode() + b"\0" + text.encode())
        return digest.hexdigest()

    def needs_init(self, fingerprint: str) -> bool:
        try:
            return self.init_stamp.read_text() != fingerprint
        except OSError:
            return True

    def mark_initialised(self, fingerprint: str) -> None:
        self.init_stamp.write_text(fingerprint)

    def backend_cache_damaged(self) -> bool:
        """Is init's record of the backend (``.terraform/terraform.tfstate``, not state) unreadable?

        Checked before Terraform runs, because Terraform's wording for it differs between versions
        (1.11: "Failed to load state", 1.15: "Failed to load the backend state file").
        """
        cache = self.path / ".terraform" / "terraform.tfstate"
        try:
            json.loads(cache.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            return True
        return False

    def reset_terraform_dir(self) -> None:
        """Drop what init produced (providers, modules, backend cache); state lives elsewhere."""
        shutil.rmtree(self.path / ".terraform", ignore_errors=True)
        (self.path / ".terraform.lock.hcl").unlink(missing_ok=True)

    def forget_plan(self) -> None:
        for path in (self.plan_file, self.plan_json, self.plan_meta):
            path.unlink(missing_ok=True)


# Where each provider mode runs. "aws": the real provider against the cloud the environment names;
# "local": the built-in stand-in; "moto": the real provider against moto's AWS API on loopback.
# The two rehearsals of a cloud environment live apart from its real runs (ENV.local/, ENV.moto/).
MODES = ("aws", "local", "moto")

# The services the modules (and the orchestrator's secret resolution) call, by the AWS provider's
# endpoint names: a moto rehearsal points every one of them at the moto server.
MOTO_SERVICES = ("apigatewayv2", "appautoscaling", "cloudwatch", "ec2", "ecs", "elbv2", "events", "iam",
                 "kms", "logs", "s3", "secretsmanager", "ssm", "sts")
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


def moto_role_arn(env: LoadedEnvironment) -> str | None:
    """The role a rehearsal on moto assumes, so that it acts in the environment's own account (None: no accounts listed)."""
    accounts = sorted(env.config.allowed_account_ids or [])
    return f"arn:aws:iam::{accounts[0]}:role/{MOTO_ROLE}" if accounts else None


def env_dir(project: Project, env: LoadedEnvironment, mode: str) -> Path:
    if mode == "moto":
        return project.runs_dir / f"{env.name}.moto"
    rehearsal = mode == "local" and env.config.provider != "local"
    return project.runs_dir / (f"{env.name}.local" if rehearsal else env.name)


# Where state lives (--state): "auto" is the S3 backend the environment declares for the real provider
# (aws, and moto: the rehearsal keeps state in S3 on the local cloud) and local state for the built-in
# provider; "s3" gives the built-in provider the S3 backend too, on the local cloud.
STATES = ("auto", "local", "s3")


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


def state_key(env: LoadedEnvironment, stack: Stack, mode: str) -> str:
    """``<key_prefix>/<env>/<stack>.tfstate``; the built-in provider's rehearsal of a real environment
    (``--provider local --state s3``) keeps it under ``<env>.local`` instead, beside (never over) the
    real provider's rehearsal on the same local cloud."""
    name = env.name + (".local" if mode == "local" and env.config.provider != "local" else "")
    return f"{env.config.backend.key_prefix}/{name}/{stack.name}.tfstate"


def _backend_block(project: Project, env: LoadedEnvironment, stack: Stack, mode: str, state: str = "auto") -> tuple[str, Path | None]:
    backend = env.config.backend
    if state_backend(env, mode, state) == "local":
        path = env_dir(project, env, mode) / "state" / f"{stack.name}.tfstate"
        return f'terraform {{\n  backend "local" {{\n    path = {hcl.string(str(path))}\n  }}\n}}\n', path
    settings = {
        "bucket": backend.bucket,
        "key": state_key(env, stack, mode),
        "region": backend.region or env.config.region,
        "encrypt": True,
        "use_lockfile": True,  # native S3 locking, no DynamoDB table
    }
    if backend.kms_key_id:
        settings["kms_key_id"] = backend.kms_key_id
    body = "\n".join(f"    {key} = {hcl.literal(value)}" for key, value in settings.items())
    return f'terraform {{\n  backend "s3" {{\n{body}\n  }}\n}}\n', None


def _provider_block(env: LoadedEnvironment, moto_endpoint: str | None = None) -> str:
    config = env.config
    lines = ['provider "aws" {', f"  region = {hcl.string(config.region)}"]
    if config.allowed_account_ids:
        lines.append(f"  allowed_account_ids = {hcl.literal(list(config.allowed_account_ids))}")
    if moto_endpoint:
        # Fake credentials come from the environment (AWS_ACCESS_KEY_ID=testing); moto answers STS.
        lines += ["  skip_metadata_api_check     = true", "  skip_region_validation      = true", "  s3_use_path_style           = true"]
        if role_arn := moto_role_arn(env):
            lines += ["  assume_role {", f"    role_arn = {hcl.string(role_arn)}", "  }"]
        lines += ["  endpoints {", *(f"    {service} = {hcl.string(moto_endpoint)}" for service in MOTO_SERVICES), "  }"]
    lines += ["  default_tags {", f"    tags = {hcl.literal(env.tags())}", "  }", "}"]
    return "\n".join(lines) + "\n"


def _moto_override(info: module_info.ModuleInfo) -> str:
    """Override blocks (Terraform merges them into the module) ignoring MOTO_GAPS, with the module's own ignores kept."""
    blocks = []
    for address, ignored in info.resources:
        type_name, name = address.split(".", 1)
        if type_name in MOTO_GAPS:
            attributes, gap = MOTO_GAPS[type_name]
            keep = ", ".join(sorted(set(ignored) | set(attributes)))
            blocks.append(f'# moto: {gap}\nresource "{type_name}" "{name}" {{\n  lifecycle {{\n    ignore_changes = [{keep}]\n  }}\n}}\n')
    return "\n".join(blocks)


def module_files(module_dir: Path) -> list[Path]:
    """The files of a module a working directory receives (relative paths): not its docs, examples or tests."""
    return sorted(
        path.relative_to(module_dir)
        for path in module_dir.rglob("*")
        if path.is_file()
        and path.relative_to(module_dir).parts[0] not in _SKIP
        and not any(part.startswith(".") for part in path.relative_to(module_dir).parts)
    )


def real_provider_cli_configuration(mirror: Path) -> str:
    """A Terraform CLI configuration that installs hashicorp/aws from ``mirror`` (the provider built
    here, ``orchestrator.tools.real_provider_mirror``) and every other provider from its usual origin."""
    return (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {hcl.string(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )


def local_cloud_dir(project: Project, env: LoadedEnvironment) -> Path:
    """Where the local provider keeps the "cloud" of an environment (one store for all its stacks)."""
    return env_dir(project, env, "local") / "cloud"


def prepare(project: Project, env: LoadedEnvironment, stack: Stack, mode: str, moto_endpoint: str | None = None,
            state: str = "auto") -> Workdir:
    """Create or refresh the stack's working directory; keeps .terraform/, plans and logs."""
    path = env_dir(project, env, mode) / stack.name
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    wanted = {relative.as_posix(): (stack.module_dir / relative).read_bytes() for relative in module_files(stack.module_dir)}
    backend, state_file = _backend_block(project, env, stack, mode, state)
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    wanted[f"{GENERATED_PREFIX}backend.tf"] = backend.encode()
    info = module_info.read(stack.module_dir)
    if "aws" in info.providers:
        wanted[f"{GENERATED_PREFIX}provider.tf"] = _provider_block(env, moto_endpoint if mode == "moto" else None).encode()
    if mode == "moto" and (override := _moto_override(info)):
        wanted[MOTO_OVERRIDE] = override.encode()
    _converge(path, wanted)
    # Runs against the cloud install exactly the provider versions of the project's lock file. The
    # local stand-in is not the registry's package, and the moto rehearsal runs the provider built
    # here from source (tools build), so their runs keep a lock file of their own.
    project_lock = project.root / LOCK_FILE
    locked = mode == "aws" and project_lock.is_file()
    if locked:
        shutil.copyfile(project_lock, path / LOCK_FILE)
    elif _same_bytes(path / LOCK_FILE, project_lock):
        (path / LOCK_FILE).unlink()  # left by a run against the cloud in the same directory
    return Workdir(path, state_file, locked)


def _converge(path: Path, wanted: dict[str, bytes]) -> None:
    """Make the directory's configuration exactly ``wanted`` (relative path -> bytes), touching only what
    differs, each file replaced whole (a temporary file renamed): another process may be running
    Terraform here meanwhile (a run reading this stack's outputs as an upstream's, Atlantis planning each
    stack in a process of its own), and must never see a file missing or half written."""
    for old in path.iterdir():  # what an earlier run copied or generated: the module may have lost a file since
        if old.is_file() and (old.suffix == ".tf" or old.name.endswith(".tf.json")) and old.name not in wanted:
            old.unlink()
        elif old.is_dir() and old.name != ".terraform" and not old.name.startswith("."):
            if not any(name.startswith(f"{old.name}/") for name in wanted):
                shutil.rmtree(old)
                continue
            for stale in [f for f in old.rglob("*") if f.is_file() and f.relative_to(path).as_posix() not in wanted]:
                stale.unlink()
    for relative, content in wanted.items():
        target = path / relative
        try:
            if target.read_bytes() == content:
                continue
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, target)


def _same_bytes(one: Path, other: Path) -> bool:
    try:
        return one.read_bytes() == other.read_bytes()
    except OSError:
        return False
