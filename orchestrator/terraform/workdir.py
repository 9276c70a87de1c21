"""An isolated Terraform working directory per environment, target and stack (``target.Target``).

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

from orchestrator.config import hcl
from orchestrator.config.graph import Stack
from orchestrator.config.project import Project
from orchestrator.terraform.target import GENERATED_PREFIX, Target

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


def prepare(project: Project, target: Target, stack: Stack, moto_endpoint: str | None = None) -> Workdir:
    """Create or refresh the stack's working directory for ``target``; keeps .terraform/, plans and logs."""
    path = target.env_dir(project) / stack.name
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    wanted = {relative.as_posix(): (stack.module_dir / relative).read_bytes() for relative in module_files(stack.module_dir)}
    generated, state_file = target.generated_files(project, stack, moto_endpoint)
    wanted.update(generated)
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _converge(path, wanted)
    project_lock = project.root / LOCK_FILE
    locked = target.locks_provider_versions and project_lock.is_file()
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
