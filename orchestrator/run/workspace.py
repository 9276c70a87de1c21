"""The working directories of one environment's stacks, and the Terraform that runs in them.

One ``StackWorkspace`` per stack holds everything the run knows about that stack's directory
(instead of one dictionary per fact). Building a ``Workspaces`` has no side effect: the Terraform
binary is resolved, the local provider's mirror written and the plugin cache created only when the
first Terraform command is about to run.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.config import module_info
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import Stack, StackGraph
from orchestrator.config.project import Project
from orchestrator.local_provider import pool
from orchestrator.local_cloud import moto_server
from orchestrator.run import bootstrap, lock
from orchestrator.run.types import StackFailure
from orchestrator.terraform import bundled, engine, real_provider_pool, workdir
from orchestrator.terraform.target import Target


@dataclass
class StackWorkspace:
    stack: Stack
    init_lock: threading.Lock = field(default_factory=threading.Lock)
    output_lock: threading.Lock = field(default_factory=threading.Lock)
    workdir: workdir.Workdir | None = None
    outputs: dict | None = None  # from state (or the last apply's stream); None: not read yet
    sensitive_outputs: set[str] = field(default_factory=set)
    sensitive_inputs: set[str] = field(default_factory=set)  # variables fed by a sensitive upstream output
    secret_environ: dict[str, str] = field(default_factory=dict)  # TF_VAR_* of secrets and sensitive inputs
    terraform_seconds: float = 0.0
    initialised: bool = False  # init succeeded for the current working directory


def error_lines(result: engine.Result, log: Path, redact: Callable[[str], str]) -> str:
    """Terraform's error diagnostics of a failed step, for the summary."""
    lines = []
    for message in engine.json_messages(result.stdout):
        diagnostic = message.get("diagnostic") or {}
        if diagnostic.get("severity") == "error":
            text = diagnostic.get("summary", "")
            if diagnostic.get("address"):
                text = f"{diagnostic['address']}: {text}"
            if diagnostic.get("detail"):
                text += f": {diagnostic['detail']}"
            lines.append(text)
    if not lines:
        try:
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        except OSError:
            tail = []
        start = next((i for i, line in enumerate(tail) if "Error" in line), max(0, len(tail) - 8))
        lines = [line.strip("│╷╵ ") for line in tail[start:] if line.strip("│╷╵ ")]
    if result.interrupted:
        lines.insert(0, "interrupted")
    return redact("\n".join(lines[:12])) or f"terraform {result.command} exited with {result.returncode}"


_LOCK_FIELD = re.compile(r"^\s*(ID|Who|Created):\s*(.+?)\s*$", re.MULTILINE)


def held_lock(output: str) -> tuple[str, str, str] | None:
    """(lock ID, who, created) from Terraform's "Error acquiring the state lock" (its Lock Info), or None."""
    text = output.replace("\\n", "\n")  # the JSON diagnostics escape their newlines
    if "Error acquiring the state lock" not in text:
        return None
    fields = dict(_LOCK_FIELD.findall(text))
    return (fields["ID"], fields.get("Who", ""), fields.get("Created", "")) if "ID" in fields else None


class Workspaces:
    def __init__(self, project: Project, env: LoadedEnvironment, graph: StackGraph, provider: str,
                 redact: Callable[[str], str], state: str = "auto"):
        self.project = project
        self.env = env
        self.graph = graph
        self.redact = redact
        self.target = Target.of(env, provider, state)
        self.env_dir = self.target.env_dir(project)
        self.stacks = {name: StackWorkspace(stack) for name, stack in graph.stacks.items()}
        self._setup_lock = threading.Lock()
        # the provider's processes reattached by Terraform's commands (the built-in one's, or the real one's)
        self.provider_pool: pool.ProviderPool | real_provider_pool.RealProviderPool | None = None

    def __getitem__(self, name: str) -> StackWorkspace:
        return self.stacks[name]

    @functools.cached_property
    def binary(self) -> engine.Binary:
        return engine.resolve_binary()

    @functools.cached_property
    def environ(self) -> dict[str, str]:
        """The environment of every Terraform process of the run (prepared on first use)."""
        with self._setup_lock:
            environ = dict(os.environ)
            environ.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
            environ.pop("TF_WORKSPACE", None)
            bundled.prepare_environment(environ)
            needs_aws = any("aws" in module_info.read(s.module_dir).providers for s in self.graph.stacks.values())
            if self.target.built_in_provider:
                # Never mix the stand-in provider with a real plugin cache.
                environ.pop("TF_PLUGIN_CACHE_DIR", None)
                if needs_aws:
                    try:
                        from orchestrator.local_provider import cli_environment
                    except ImportError as error:  # pragma: no cover - packaging problem
                        raise InputError([Problem("--provider", "local", f"the local AWS provider is unavailable: {error}")]) from None
                    cache_dir = self.project.runs_dir / "local-provider"
                    environ.update(cli_environment(cache_dir, self.target.local_cloud_dir(self.project)))
                    # (cached_property takes no lock on Python 3.12+: two threads may both get here)
                    if pool.enabled(environ) and self.provider_pool is None:
                        self.provider_pool = pool.ProviderPool(cache_dir, environ, self.env_dir / "provider-pool.log")
                        self.provider_pool.warm()
            elif self.target.on_moto:
                # The provider built here from source, against the moto server only.
                environ.pop("TF_PLUGIN_CACHE_DIR", None)
                environ["TF_CLI_CONFIG_FILE"] = str(self._real_provider_cli_config())
            if self.target.needs_local_cloud:
                # Fake credentials only: none of the user's may be sent to the local cloud, nor mixed with its own.
                for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
                    environ.pop(name, None)
                # Every endpoint there for the provider on moto; S3 and STS alone for state kept there.
                environ.update(self.moto_server.environment() if self.target.on_moto else self.moto_server.state_environment())
            if self.target.on_aws:
                cache = environ.get("TF_PLUGIN_CACHE_DIR") or str(Path.home() / ".cache" / "orchestrator" / "plugin-cache")
                Path(cache).mkdir(parents=True, exist_ok=True)
                environ["TF_PLUGIN_CACHE_DIR"] = cache
            if not self.target.built_in_provider and needs_aws and pool.enabled(environ) and self.provider_pool is None:
                # The real provider: one process per stack, reattached by each of its commands.
                self.provider_pool = real_provider_pool.RealProviderPool.create(self.env_dir / "provider-pool.log")
            return environ

    @functools.cached_property
    def poolable(self) -> frozenset[str]:
        """The stacks a pooled provider process can serve: one process serves one provider configuration,
        so not a module that declares several for aws (aliases). Those are left to Terraform."""
        return frozenset(name for name, stack in self.graph.stacks.items()
                         if "aws" not in module_info.read(stack.module_dir).aliased_providers)

    @functools.cached_property
    def moto_server(self) -> moto_server.Server:
        """The local cloud of --provider moto (started when no command has started it yet)."""
        return moto_server.up(self.project)

    def ensure_state_bucket(self) -> None:
        """Before a rehearsal keeps state in S3 on the local cloud: its bucket, bootstrapped (created when missing)."""
        if self.target.state_on_local_cloud:
            bootstrap.on_local_cloud(self.project, self.env)

    def _real_provider_cli_config(self) -> Path:
        """A CLI configuration that installs hashicorp/aws from the mirror of the provider built here."""
        try:
            from orchestrator.tools import real_provider_mirror
        except ImportError:  # pragma: no cover - packaging problem
            real_provider_mirror = None
        found = real_provider_mirror() if real_provider_mirror else None
        if found is None:
            raise InputError([Problem("--provider", "moto", "needs the real AWS provider built from source: "
                                      "python -m orchestrator tools build terraform-provider-aws (see docs/contributing/index.md, Real tools)")])
        mirror, _version = found
        config = self.project.runs_dir / "local-cloud" / "real-provider.tfrc"
        config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        config.write_text(workdir.real_provider_cli_configuration(mirror))
        return config

    def local_state_file(self, name: str) -> Path | None:
        """The stack's state file when state is local, else None."""
        return self.target.local_state_file(self.project, self.stacks[name].stack)

    def terraform(self, name: str) -> engine.Terraform:
        space = self.stacks[name]
        environ = {**self.environ, **space.secret_environ}
        lease = self.provider_pool.lease if self.provider_pool and name in self.poolable else None
        return engine.Terraform(space.workdir.path, space.workdir.log, environ, self.binary, self.redact, lease)

    def release(self, name: str) -> None:
        """The run is done with the stack: its real-provider process need not wait for another command."""
        space = self.stacks[name]
        if isinstance(self.provider_pool, real_provider_pool.RealProviderPool) and space.workdir is not None:
            self.provider_pool.release(space.workdir.path)

    def close(self) -> None:
        """Stop the run's provider processes (they also stop by themselves when the orchestrator ends)."""
        if self.provider_pool is not None:
            self.provider_pool.close()

    def check(self, result: engine.Result, name: str, ok_codes=(0,)) -> engine.Result:
        """Count the step's time; a failed step raises ``StackFailure`` with Terraform's error lines."""
        space = self.stacks[name]
        space.terraform_seconds += result.seconds
        if result.returncode not in ok_codes or result.interrupted and result.returncode != 0:
            raise StackFailure(error_lines(result, space.workdir.log, self.redact) + self.lock_hint(name, result))
        return result

    def lock_hint(self, name: str, result: engine.Result) -> str:
        """When another run holds the stack's state lock: whose it is, since when, and the command that
        clears it once no run is active (a run killed outright leaves its lock behind)."""
        try:
            log = self.stacks[name].workdir.log.read_text(encoding="utf-8", errors="replace")[-20000:]
        except OSError:
            log = ""
        held = held_lock(result.stdout + "\n" + log)
        if held is None:
            return ""
        lock_id, who, created = held
        command = (f"python -m orchestrator tf {self.env.name} {name} --provider {self.target.mode} --state {self.target.state} "
                   f"-- force-unlock -force {lock_id}")
        return (f"\nthe state lock of {name} is held by {who or 'another run'} since {created or 'an unknown time'} "
                f"(lock ID {lock_id}): wait for that run, or, if none is running (a killed run leaves its lock), clear it: {command}")

    def ensure_initialised(self, name: str) -> workdir.Workdir:
        """Prepare the working directory and run init when its configuration changed. Locked per stack."""
        space = self.stacks[name]
        with space.init_lock:
            if space.initialised:
                return space.workdir
            with lock.preparing(self.env_dir, self.env.name, name):
                return self._initialise(name, space)

    def _initialise(self, name: str, space) -> workdir.Workdir:
        """Prepare and initialise (under the stack's preparation lock and its thread lock)."""
        endpoint = self.moto_server.endpoint if self.target.on_moto else None
        directory = workdir.prepare(self.project, self.target, space.stack, endpoint)
        space.workdir = directory
        if directory.backend_cache_damaged():
            self.append_log(name, "# .terraform/terraform.tfstate (init's backend record) is unreadable: rebuilding .terraform/\n")
            directory.reset_terraform_dir()
        stamp = directory.init_fingerprint(f"{self.binary.path}\n{self.environ.get('TF_CLI_CONFIG_FILE')}")
        if directory.needs_init(stamp):
            with engine.plugin_cache_lock(self.environ.get("TF_PLUGIN_CACHE_DIR")):
                self.check(self.terraform(name).init(readonly_lock=directory.locked), name)
            directory.mark_initialised(stamp)
        space.initialised = True  # only now: after a failed init (say, the run's init ahead), the next call runs it again
        return directory

    def rebuild(self, name: str, reason: str) -> None:
        """Start the stack's .terraform/ afresh; nothing in it is state."""
        self.append_log(name, f"# working directory damaged, rebuilding .terraform/: {reason}\n")
        space = self.stacks[name]
        with space.init_lock:
            if space.workdir is not None:
                space.workdir.reset_terraform_dir()
                space.workdir = None
            space.initialised = False

    def append_log(self, name: str, text: str) -> None:
        directory = self.stacks[name].workdir
        if directory is not None:
            with open(directory.log, "a", encoding="utf-8") as log:
                log.write(text)
