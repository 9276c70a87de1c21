"""Run a command over an environment's stacks: plan, apply, destroy, output.

The core takes a ``RunOptions`` value (the CLI never reaches further than that), prepares each
stack's working directory, and drives Terraform through ``engine``. Plans read their upstreams'
outputs from state, so they all run side by side; applies and destroys follow the DAG.
Placeholders stand in for outputs of never-applied upstreams in plans and are never applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.config import hcl, module_info
from orchestrator.run import scheduler, secrets
from orchestrator.terraform import engine, transient, workdir
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import StackGraph
from orchestrator.run.progress import Progress
from orchestrator.config.project import Project
from orchestrator.config.render import RenderedStack


@dataclass(frozen=True)
class RunOptions:
    command: str  # plan | apply | destroy | output
    env: str
    stacks: tuple[str, ...] = ()
    provider: str = "auto"  # auto | aws | local
    parallelism: int = 4
    auto_approve: bool = False
    plan_json: bool = False  # write `terraform show -json` of every saved plan
    plan_out: Path | None = None  # plan: also save the plan (and its record) here (one stack)
    plan_file: Path | None = None  # apply: apply this saved plan instead of planning (one stack)
    lock_wait_seconds: float = 0.0  # wait this long for another run of the environment to finish
    show_plan: bool = False  # keep `terraform show` of every saved plan (the text people review)


@dataclass
class StackResult:
    name: str
    status: str = "queued"  # ok | failed | skipped | no-changes (and queued while running)
    changes: dict = field(default_factory=lambda: {"add": 0, "change": 0, "destroy": 0})
    workdir: str | None = None
    plan_json: str | None = None
    outputs: dict = field(default_factory=dict)
    seconds: float = 0.0
    terraform_seconds: float = 0.0
    placeholders: list[str] = field(default_factory=list)
    error: str = ""
    log: str | None = None
    plan_text: str = ""
    sensitive: set = field(default_factory=set)
    started_at: float | None = None
    finished_at: float | None = None

    def report(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "changes": self.changes,
            "workdir": self.workdir,
            "plan_json": self.plan_json,
            "outputs": {k: ("(sensitive)" if k in self.sensitive else v) for k, v in self.outputs.items()},
            "seconds": round(self.seconds, 3),
            "terraform_seconds": round(self.terraform_seconds, 3),
            "placeholders": self.placeholders,
            "error": self.error or None,
            "log": self.log,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


def uses_local_provider(env: LoadedEnvironment, provider: str) -> bool:
    """--provider local, or auto on an environment that declares the local provider."""
    return provider == "local" or (provider == "auto" and env.config.provider == "local")


class StackFailure(Exception):
    """A Terraform step of one stack failed; the message holds Terraform's own error lines."""


def fingerprint(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _error_lines(result: engine.Result, log: Path) -> str:
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
    return secrets.MASK.apply("\n".join(lines[:12])) or f"terraform {result.command} exited with {result.returncode}"


class Runner:
    def __init__(
        self,
        project: Project,
        env: LoadedEnvironment,
        graph: StackGraph,
        rendered: dict[str, RenderedStack],
        options: RunOptions,
        progress: Progress,
    ):
        self.project = project
        self.env = env
        self.graph = graph
        self.rendered = rendered
        self.options = options
        self.progress = progress
        self.local_provider = uses_local_provider(env, options.provider)
        self.env_dir = workdir.env_dir(project, env, self.local_provider)
        self.binary = engine.resolve_binary()
        self.environ = self._terraform_environment()
        self.results: dict[str, StackResult] = {}
        self._locks: dict[str, threading.Lock] = {name: threading.Lock() for name in graph.stacks}
        self._output_locks: dict[str, threading.Lock] = {name: threading.Lock() for name in graph.stacks}
        self._workdirs: dict[str, workdir.Workdir] = {}
        self._state_outputs: dict[str, dict] = {}
        self._sensitive: dict[str, set] = {}
        self._sensitive_inputs: dict[str, set] = {}
        self._secret_environ: dict[str, dict[str, str]] = {}
        self.secret_values, problems = secrets.resolve(env.config, project.display(env.files[-1]))
        if problems:
            raise InputError(problems)
        self.stop = threading.Event()

    # Environment of every Terraform process ---------------------------------------------------
    def _terraform_environment(self) -> dict[str, str]:
        from orchestrator.terraform import bundled as bundled_terraform

        environ = dict(os.environ)
        environ.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
        environ.pop("TF_WORKSPACE", None)
        bundled_terraform.prepare_environment(environ)
        needs_aws = any("aws" in module_info.read(s.module_dir).providers for s in self.graph.stacks.values())
        if self.local_provider:
            # Never mix the stand-in provider with a real plugin cache.
            environ.pop("TF_PLUGIN_CACHE_DIR", None)
            if needs_aws:
                try:
                    from orchestrator.local_provider import cli_environment
                except ImportError as error:  # pragma: no cover - packaging problem
                    raise InputError([Problem("--provider", "local", f"the local AWS provider is unavailable: {error}")]) from None
                environ.update(cli_environment(self.project.runs_dir / "local-provider", workdir.local_cloud_dir(self.project, self.env)))
        else:
            cache = environ.get("TF_PLUGIN_CACHE_DIR") or str(Path.home() / ".cache" / "orchestrator" / "plugin-cache")
            Path(cache).mkdir(parents=True, exist_ok=True)
            environ["TF_PLUGIN_CACHE_DIR"] = cache
        return environ

    # One stack's steps -------------------------------------------------------------------------
    def terraform(self, name: str) -> engine.Terraform:
        directory = self._workdirs[name]
        environ = {**self.environ, **self._secret_environ.get(name, {})}
        return engine.Terraform(directory.path, directory.log, environ, self.binary, secrets.MASK.apply)

    def _check(self, result: engine.Result, name: str, ok_codes=(0,)) -> engine.Result:
        if name in self.results:
            self.results[name].terraform_seconds += result.seconds
        if result.returncode not in ok_codes or result.interrupted and result.returncode != 0:
            raise StackFailure(_error_lines(result, self._workdirs[name].log))
        return result

    def ensure_initialised(self, name: str) -> workdir.Workdir:
        """Prepare the working directory and run init when its configuration changed. Locked per stack."""
        with self._locks[name]:
            if name in self._workdirs:
                return self._workdirs[name]
            directory = workdir.prepare(self.project, self.env, self.graph.stacks[name], self.local_provider)
            self._workdirs[name] = directory
            stamp = directory.init_fingerprint(f"{self.binary.path}\n{self.environ.get('TF_CLI_CONFIG_FILE')}")
            if directory.needs_init(stamp):
                with engine.plugin_cache_lock(self.environ.get("TF_PLUGIN_CACHE_DIR")):
                    self._check(self.terraform(name).init(), name)
                directory.mark_initialised(stamp)
            return directory

    def state_outputs(self, name: str, with_sensitive: bool = True) -> dict:
        """Outputs of a stack as recorded in its state ({} when never applied).

        After an apply, the apply's own stream gave every output but the sensitive ones; state is
        read again only when a sensitive value is actually needed.
        """
        with self._output_locks[name]:
            partial = name in self._state_outputs and not self._sensitive[name] <= set(self._state_outputs[name])
            if name not in self._state_outputs or (with_sensitive and partial):
                self.ensure_initialised(name)
                result = self._check(self.terraform(name).output_json(), name)
                raw = json.loads(result.stdout or "{}")
                self._state_outputs[name] = {key: item["value"] for key, item in raw.items()}
                self._sensitive[name] = {key for key, item in raw.items() if item.get("sensitive")}
            return self._state_outputs[name]

    def upstream_values(self, name: str, allow_placeholders: bool) -> tuple[dict, list[str]]:
        """Values for the stack's upstream-fed variables, and which of them are placeholders."""
        values, placeholders, sensitive = {}, [], self._sensitive_inputs.setdefault(name, set())
        for item in self.graph.stacks[name].inputs:
            outputs = self.state_outputs(item.stack, with_sensitive=False)
            if item.output in self._sensitive.get(item.stack, ()):
                outputs = self.state_outputs(item.stack)
            if item.output in outputs:
                values[item.variable] = outputs[item.output]
                if item.output in self._sensitive.get(item.stack, ()):
                    sensitive.add(item.variable)
                    secrets.MASK.add(outputs[item.output])
            elif allow_placeholders:
                values[item.variable] = item.placeholder_value()
                placeholders.append(item.reference)
            else:
                raise StackFailure(
                    f"upstream output {item.reference} is not in state: apply stack {item.stack!r} first"
                )
        return values, placeholders

    def plan(self, name: str, destroy: bool = False) -> bool:
        """Plan to the saved plan file; True when the plan has changes."""
        result = self.results[name]
        directory = self.ensure_initialised(name)
        upstream, placeholders = self.upstream_values(name, allow_placeholders=self.options.command == "plan" or destroy)
        result.placeholders = placeholders
        directory.forget_plan()
        # Sensitive upstream outputs travel like secrets: in the process environment, not in a file.
        hidden = self._sensitive_inputs.get(name, set())
        directory.write_inputs(self.rendered[name].tfvars, {k: v for k, v in upstream.items() if k not in hidden})
        self._secret_environ[name] = {
            **{f"TF_VAR_{k}": v for k, v in self.secret_values.get(name, {}).items()},
            **{f"TF_VAR_{k}": v if isinstance(v, str) else hcl.literal(v) for k, v in upstream.items() if k in hidden},
        }
        self.progress.update(name, "planning")
        outcome = self._check(
            self.terraform(name).plan([directory.env_tfvars, directory.upstream_tfvars], directory.plan_file, destroy=destroy),
            name,
            ok_codes=(0, 2),
        )
        for message in engine.json_messages(outcome.stdout):
            if message.get("type") == "change_summary":
                counts = message["changes"]
                result.changes = {"add": counts.get("add", 0), "change": counts.get("change", 0), "destroy": counts.get("remove", 0)}
        directory.write_json(
            directory.plan_meta,
            {
                "env": self.env.name,
                "stack": name,
                "destroy": destroy,
                "upstream_fingerprint": fingerprint(upstream),
                "placeholders": placeholders,
                "inputs_sha256": self._inputs_sha256(name),
                "changes": result.changes,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
        if self.options.plan_out is not None:
            shutil.copyfile(directory.plan_file, self.options.plan_out)
            shutil.copyfile(directory.plan_meta, workdir.meta_path(self.options.plan_out))
        if self.options.show_plan:
            shown = self._check(self.terraform(name).show(directory.plan_file), name)
            result.plan_text = secrets.MASK.apply(shown.stdout)
        if self.options.plan_json:
            shown = self._check(self.terraform(name).show_json(directory.plan_file), name)
            directory.plan_json.write_text(secrets.MASK.apply(shown.stdout))
            result.plan_json = str(directory.plan_json)
        return outcome.returncode == 2

    def _inputs_sha256(self, name: str) -> str:
        return hashlib.sha256(self.rendered[name].tfvars.encode()).hexdigest()

    def apply_saved_plan(self, name: str, plan_file: Path | None = None) -> None:
        """Apply exactly a saved plan, after checking the record of what it was made from."""
        directory = self._workdirs[name]
        plan_file = plan_file or directory.plan_file
        try:
            meta = json.loads(workdir.meta_path(plan_file).read_text())
        except (OSError, ValueError):
            raise StackFailure(f"{plan_file}: no readable record of what this plan was made from; make it with `plan --out`") from None
        if not plan_file.is_file():
            raise StackFailure(f"{plan_file}: the saved plan does not exist; plan again")
        if meta["placeholders"] and not meta["destroy"]:
            raise StackFailure(f"refusing to apply a plan made with placeholders for {', '.join(meta['placeholders'])}")
        if plan_file != directory.plan_file:
            # A plan made earlier (Atlantis, CI): refuse it when what it was made from has moved on.
            if (meta.get("env"), meta.get("stack")) != (self.env.name, name):
                raise StackFailure(f"{plan_file} is a plan of {meta.get('env')}/{meta.get('stack')}, not {self.env.name}/{name}")
            upstream, _ = self.upstream_values(name, allow_placeholders=False)
            if fingerprint(upstream) != meta["upstream_fingerprint"]:
                raise StackFailure("stale plan: the outputs of its upstream stacks changed since it was made; plan again")
            if self._inputs_sha256(name) != meta["inputs_sha256"]:
                raise StackFailure("stale plan: this environment's inputs for the stack changed since it was made; plan again")
            self.results[name].changes = meta.get("changes", self.results[name].changes)
        self.progress.update(name, "destroying" if meta["destroy"] else "applying")
        outcome = self._check(self.terraform(name).apply(plan_file), name)
        # The apply's own stream carries the new outputs, all but the sensitive values.
        with self._output_locks[name]:
            self._state_outputs.pop(name, None)
            for message in engine.json_messages(outcome.stdout):
                if message.get("type") == "outputs" and not meta["destroy"]:
                    raw = message["outputs"]
                    self._state_outputs[name] = {key: item["value"] for key, item in raw.items() if "value" in item}
                    self._sensitive[name] = {key for key, item in raw.items() if item.get("sensitive")}

    def _rebuild_workdir(self, name: str, failure: StackFailure) -> None:
        """Start the stack's .terraform/ afresh; nothing in it is state."""
        self._append_log(name, f"# working directory damaged, rebuilding .terraform/: {failure}\n")
        with self._locks[name]:
            directory = self._workdirs.pop(name, None)
            if directory is not None:
                directory.reset_terraform_dir()

    def _append_log(self, name: str, text: str) -> None:
        if name in self._workdirs:
            with open(self._workdirs[name].log, "a", encoding="utf-8") as log:
                log.write(text)

    # Commands ----------------------------------------------------------------------------------
    def _guarded(self, name: str, step) -> bool:
        """Run one stack's job; turn every failure into the stack's result, never an exception."""
        result = self.results[name]
        started = time.monotonic()
        result.started_at = time.time()
        self.progress.update(name, "preparing")
        try:
            rebuilt = False
            for attempt in range(transient.retries() + 1):
                try:
                    step(name)
                    break
                except StackFailure as failure:
                    if not rebuilt and not self.stop.is_set() and transient.is_workdir_damage(str(failure)):
                        rebuilt = True
                        self._rebuild_workdir(name, failure)
                        step(name)
                        break
                    if self.stop.is_set() or attempt == transient.retries() or not transient.is_transient(str(failure)):
                        raise
                    delay = transient.backoff_seconds(attempt)
                    self.progress.update(name, f"retry {attempt + 1} in {delay:.0f}s")
                    self._append_log(name, f"# transient failure, retry {attempt + 1} in {delay:.1f}s: {failure}\n")
                    if self.stop.wait(delay):
                        raise
        except StackFailure as failure:
            result.status, result.error = "failed", str(failure)
        except Exception as error:  # a bug must still leave a readable summary
            result.status, result.error = "failed", f"internal error: {error!r}\n{traceback.format_exc(limit=3)}"
        finally:
            result.seconds = time.monotonic() - started
            result.finished_at = time.time()
            if name in self._workdirs:
                result.workdir = str(self._workdirs[name].path)
                result.log = str(self._workdirs[name].log)
            self.progress.update(name, result.status, result)
        return result.status in ("ok", "no-changes")

    def _plan_job(self, name: str) -> None:
        changed = self.plan(name)
        self.results[name].status = "ok" if changed else "no-changes"

    def _apply_job(self, name: str) -> None:
        result = self.results[name]
        if self.plan(name):
            self.apply_saved_plan(name)
            result.status = "ok"
        else:
            result.status = "no-changes"
        self._report_outputs(name)

    def _apply_plan_file_job(self, name: str) -> None:
        result = self.results[name]
        self.ensure_initialised(name)
        self.apply_saved_plan(name, self.options.plan_file)
        result.status = "ok"
        self._report_outputs(name)

    def _destroy_job(self, name: str) -> None:
        result = self.results[name]
        if self.plan(name, destroy=True):
            self.apply_saved_plan(name)
            result.status = "ok"
        else:
            result.status = "no-changes"

    def _output_job(self, name: str) -> None:
        self._report_outputs(name)
        self.results[name].status = "ok"

    def _report_outputs(self, name: str) -> None:
        """Outputs for the summary and --json: sensitive ones are only named (shown masked)."""
        result = self.results[name]
        result.outputs = {**self.state_outputs(name, with_sensitive=False), **{key: None for key in self._sensitive[name]}}
        result.sensitive = self._sensitive[name]

    def _skip(self, name: str, reason: str) -> None:
        result = self.results[name]
        result.status, result.error = "skipped", reason
        self.progress.update(name, "skipped", result)

    def run(self, names: list[str]) -> list[StackResult]:
        for name in names:
            self.results[name] = StackResult(name)
        self.progress.start(names)
        command = self.options.command
        selected = set(names)
        if command == "destroy":
            # Reverse order: a stack goes only after every selected stack that depends on it.
            dependencies = {n: {d for d in self.graph.downstreams(n) if d in selected} for n in names}
            job = self._destroy_job
        elif command == "apply":
            dependencies = {n: {u for u in self.graph.stacks[n].upstreams if u in selected} for n in names}
            job = self._apply_plan_file_job if self.options.plan_file else self._apply_job
        else:
            # Plans and outputs read upstream outputs from state: nothing to wait for.
            dependencies = {n: set() for n in names}
            job = self._plan_job if command == "plan" else self._output_job
        try:
            scheduler.walk(
                dependencies,
                lambda name: self._guarded(name, job),
                self._skip,
                self.options.parallelism,
                names if command != "destroy" else list(reversed(names)),
                self.stop,
            )
        finally:
            self.progress.stop()
        return [self.results[name] for name in names]
