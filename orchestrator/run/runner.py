"""Run a command over an environment's stacks: plan, apply, destroy, output.

The core takes a ``RunOptions`` value (the CLI never reaches further than that). The runner
drives each stack's steps through its ``Workspaces`` (working directories, the Terraform that runs
in them) and reads upstream outputs through an ``OutputsReader``. Plans and outputs read their
upstreams' outputs from state, so they all run side by side; applies and destroys follow the DAG.
Placeholders stand in for outputs of never-applied upstreams in plans and are never applied.
"""

from __future__ import annotations

import json
import select
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path

from orchestrator.config import hcl
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError
from orchestrator.config.graph import StackGraph
from orchestrator.config.project import Project
from orchestrator.config.render import RenderedStack
from orchestrator.local_cloud import moto_server
from orchestrator.policy import checks as policy_checks
from orchestrator.run import module_pins, plans_ahead, policy_gate, replacements, saved_plan, scheduler, secrets
from orchestrator.run.outputs import OutputsReader
from orchestrator.run.progress import Progress
from orchestrator.run.types import (
    USES_SECRETS,
    WAITS_FOR,
    RunOptions,
    StackFailure,
    StackResult,
)
from orchestrator.run.workspace import Workspaces
from orchestrator.terraform import engine, transient, workdir


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
        self.env = env
        self.graph = graph
        self.rendered = rendered
        self.options = options
        self.progress = progress
        self.workspaces = Workspaces(project, env, graph, options.provider, secrets.MASK.apply, options.state)
        self.outputs = OutputsReader(self.workspaces)
        self.env_dir = self.workspaces.env_dir
        self.results: dict[str, StackResult] = {}
        self.secret_values: dict[str, dict[str, str]] = {}
        self.stop = threading.Event()
        self.policy = policy_gate.checker(project, env, options.command, progress.note)
        self.pins = module_pins.pins(env, graph)
        self.shown: dict[str, tuple[Path, int]] = {}  # stack -> the plan file (and its mtime) shown as plan.json
        # Commands that apply nothing check aside: the answers are awaited only before the report.
        self.aside_errors: dict[str, str] = {}
        self.aside_checked: set[str] = set()
        self.checks_aside: list | None = [] if options.command in ("plan",) else None
        self.acceptance = policy_gate.acceptance(env, options.accept_policy_failures, project.display(env.files[-1]))
        self.plans_ahead: plans_ahead.PlansAhead | None = None  # apply: see orchestrator.run.plans_ahead

    def resolve_secrets(self) -> None:
        """Resolve the environment's secret references (commands that hand them to Terraform only)."""
        if self.options.command not in USES_SECRETS:
            return
        where = self.workspaces.project.display(self.env.files[-1])
        options = {}
        if self.workspaces.target.on_moto and secrets.references(self.env.config):
            server = self.workspaces.moto_server
            options = {"endpoint_url": server.endpoint, **{k.lower(): v for k, v in moto_server.CREDENTIALS.items()}}
        self.secret_values, problems = secrets.resolve(self.env.config, where, client_options=options)
        if problems:
            raise InputError(problems)

    # One stack's steps -------------------------------------------------------------------------
    def upstream_values(self, name: str, allow_placeholders: bool) -> tuple[dict, list[str]]:
        """Values for the stack's upstream-fed variables, and which of them are placeholders."""
        values, placeholders = {}, []
        sensitive = self.workspaces[name].sensitive_inputs
        for item in self.graph.stacks[name].inputs:
            outputs = self.outputs.read(item.stack, with_sensitive=False)
            if item.output in self.outputs.sensitive(item.stack):
                outputs = self.outputs.read(item.stack)
            if item.output in outputs:
                values[item.variable] = outputs[item.output]
                if item.output in self.outputs.sensitive(item.stack):
                    sensitive.add(item.variable)
                    secrets.MASK.add(outputs[item.output])
            elif allow_placeholders:
                values[item.variable] = item.placeholder_value(self.env.context())
                placeholders.append(item.reference)
            else:
                raise StackFailure(
                    f"upstream output {item.reference} is not in state: apply stack {item.stack!r} first"
                )
        return values, placeholders

    def prepare_inputs(self, name: str, allow_placeholders: bool) -> tuple[workdir.Workdir, dict, list[str]]:
        """Initialise the stack's working directory and hand it its inputs (also for import and state rm)."""
        space = self.workspaces[name]
        directory = self.workspaces.ensure_initialised(name)
        upstream, placeholders = self.upstream_values(name, allow_placeholders)
        # Sensitive upstream outputs travel like secrets: in the process environment, not in a file.
        hidden = space.sensitive_inputs
        directory.write_inputs(self.rendered[name].tfvars, {k: v for k, v in upstream.items() if k not in hidden})
        space.secret_environ = {
            **{f"TF_VAR_{k}": v for k, v in self.secret_values.get(name, {}).items()},
            **{f"TF_VAR_{k}": v if isinstance(v, str) else hcl.literal(v) for k, v in upstream.items() if k in hidden},
        }
        return directory, upstream, placeholders

    def plan(self, name: str, destroy: bool = False) -> bool:
        """Plan to the saved plan file; True when the plan has changes."""
        result = self.results[name]
        ahead = self.plans_ahead.take(name) if self.plans_ahead is not None and not destroy else None
        directory, upstream, placeholders = self.prepare_inputs(name, allow_placeholders=self.options.command == "plan" or destroy)
        result.placeholders = placeholders
        terraform = self.workspaces.terraform(name)
        reason = "none was made" if ahead is None else plans_ahead.refusal(
            self.graph, name, ahead, upstream, placeholders, {n: r.status for n, r in self.results.items()})
        if reason is None:
            outcome = ahead.outcome
            self.workspaces.append_log(name, "# the plan made ahead of its upstreams is used: none of them changed anything\n")
        else:
            if ahead is not None:
                self.workspaces.append_log(name, f"# the plan made ahead of its upstreams is not used ({reason}): planning again\n")
            directory.forget_plan()
            self.progress.update(name, "planning")
            outcome = self.workspaces.check(
                terraform.plan([directory.env_tfvars, directory.upstream_tfvars], directory.plan_file, destroy=destroy),
                name,
                ok_codes=(0, 2),
            )
        for message in engine.json_messages(outcome.stdout):
            if message.get("type") == "change_summary":
                counts = message["changes"]
                result.changes = {"add": counts.get("add", 0), "change": counts.get("change", 0), "destroy": counts.get("remove", 0)}
        meta = saved_plan.record(self.env.name, name, destroy, upstream, placeholders, self.rendered[name].tfvars, result.changes)
        directory.write_json(directory.plan_meta, meta)
        if self.options.plan_out is not None:
            shutil.copyfile(directory.plan_file, self.options.plan_out)
            shutil.copyfile(directory.plan_meta, workdir.meta_path(self.options.plan_out))
        if self.options.show_plan:
            shown = self.workspaces.check(terraform.show(directory.plan_file), name)
            result.plan_text = secrets.MASK.apply(shown.stdout)
        needs_json = self.options.plan_json or self.options.plan_file or (result.changes["destroy"] and not destroy)
        if needs_json:
            self.write_plan_json(name, directory.plan_file)
        if not destroy and self.policy is not None:
            key = self.answer_key(name, directory, upstream, destroy)
            checked = lambda: self.check_policies(name, key, changed=outcome.returncode == 2)  # noqa: E731
            if self.checks_aside is not None:
                self.checks_aside.append((name, threading.Thread(target=self._aside, args=(name, checked), name=f"check-{name}")))
                self.checks_aside[-1][1].start()
            else:
                checked()
        return outcome.returncode == 2

    def plan_ahead(self, name: str) -> plans_ahead.PlanAhead | None:
        """The stack's plan from the outputs its upstreams have in state now (None: one is not applied)."""
        directory, upstream, _ = self.prepare_inputs(name, allow_placeholders=False)
        directory.forget_plan()
        self.progress.update(name, "planning ahead")
        outcome = self.workspaces.check(
            self.workspaces.terraform(name).plan([directory.env_tfvars, directory.upstream_tfvars], directory.plan_file),
            name,
            ok_codes=(0, 2),
        )
        return None if outcome.interrupted else plans_ahead.PlanAhead(upstream, outcome)

    def answer_key(self, name: str, directory: workdir.Workdir, upstream: dict, destroy: bool) -> str:
        """What the stack's check answer depends on, read without ``terraform show`` (see policy.checks.answer_key)."""
        inputs = saved_plan.fingerprint({"tfvars": self.rendered[name].tfvars, "upstream": upstream,
                                         "secrets": self.workspaces[name].secret_environ, "provider": self.options.provider})
        return policy_checks.answer_key(
            policy_checks.state_identity(directory.plan_file), inputs, policy_checks.module_digest(directory.path),
            self.pins.get(name), destroy, self.policy.policies, self.policy.version())

    def _aside(self, name: str, checked) -> None:
        """A plan-only run's checks of one stack, beside the other stacks' plans; a failure fails the stack."""
        try:
            checked()
        except StackFailure as failure:
            self.aside_errors[name] = str(failure)
        except Exception as error:  # noqa: BLE001 - a bug must still leave a readable summary
            self.aside_errors[name] = f"internal error: {error!r}"
        finally:
            self.workspaces.release(name)

    def wait_for_checks(self) -> None:
        """Every answer before the run reports (plan-only runs check aside)."""
        for name, thread in self.checks_aside or []:
            thread.join()
            result = self.results[name]
            if name in self.aside_errors and result.status != "failed":
                result.status, result.error = "failed", self.aside_errors[name]
                self.progress.update(name, result.status, result)
            elif name in self.aside_checked:  # its line said "checking": say how it ended
                self.progress.update(name, result.status, result)

    def check_policies(self, name: str, key: str | None = None, changed: bool = True) -> None:
        """The policy checks of the stack's plan (when the run checks policies). With ``key``
        (``answer_key``), an answer kept under it is reused without ``show``; a plan without changes
        reuses the stack's last answer unless the policies or checkov changed since."""
        if self.policy is None:
            return
        directory = self.workspaces[name].workdir
        record = directory.path / "policy-answer.json"
        if key is not None:
            reused = (None if changed else self.policy.last(record)) or self.policy.reused(key)
            if reused is not None:
                self.results[name].policy = reused
                return
        self.progress.update(name, "checking")
        self.aside_checked.add(name)
        try:
            if key is not None:  # the plan this run made (a saved plan's JSON is written by its caller)
                self.write_plan_json(name, directory.plan_file)
            self.results[name].policy = self.policy.check(directory.plan_json, directory.path, key, record)
        except policy_gate.PolicyError as error:
            self.halt_if_interrupted("during its policy checks")  # the worker was stopped by the signal
            raise StackFailure(str(error)) from None

    def halt_if_interrupted(self, when: str) -> None:
        """After Ctrl-C (or SIGTERM) nothing new may start: no apply, no next step."""
        if self.stop.is_set():
            raise StackFailure(f"interrupted {when}; nothing was applied to this stack")

    def interrupt(self) -> None:
        """The signal handler's part: stop starting work, and stop the policy worker (a stack waiting
        for its answer then stops at once instead of going on to apply)."""
        self.stop.set()
        if self.policy is not None:
            self.policy.close()

    def gate(self, name: str) -> None:
        """Between a stack's plan and its apply: the policy checks, then any loss of objects."""
        result = self.results[name]
        if result.policy is not None:
            reason = policy_gate.refusal(result.policy, self.workspaces.project.display(self.env.files[-1]), self.acceptance)
            if reason:
                raise StackFailure(reason)
            if not result.policy.ok:
                result.policy_accepted = {"by": self.acceptance.by, "reason": self.acceptance.reason}
        lost = [str(d) for d in result.deletions if d.loss]  # a new revision of a revisioned type is no loss
        if lost:
            with self.progress.paused():
                reason = policy_gate.destroy_refusal(name, lost, self.options.auto_approve or self.options.allow_destroy, self._ask)
            if reason:
                raise StackFailure(reason)

    def _ask(self, question: str) -> bool:
        """A typed 'yes' on the terminal; asked from a stack's thread, which the signal handler cannot
        interrupt, so stdin is polled and an interrupt ends the question (as a 'no')."""
        self.progress.note(question.rstrip())
        answer = ""
        while not self.stop.is_set():
            ready, _, _ = select.select([sys.stdin], [], [], 0.2)
            if ready:
                answer = sys.stdin.readline()
                break
        self.halt_if_interrupted("while asking before the apply")
        return answer.strip() == "yes"

    def apply_saved_plan(self, name: str, plan_file: Path | None = None) -> None:
        """Apply exactly a saved plan, after checking the record of what it was made from."""
        directory = self.workspaces[name].workdir
        external = plan_file is not None and plan_file != directory.plan_file
        plan_file = plan_file or directory.plan_file
        try:
            meta = json.loads(workdir.meta_path(plan_file).read_text())
        except (OSError, ValueError):
            raise StackFailure(f"{plan_file}: no readable record of what this plan was made from; make it with `plan --out`") from None
        if not plan_file.is_file():
            raise StackFailure(f"{plan_file}: the saved plan does not exist; plan again")
        # A plan made earlier (Atlantis, CI) is refused when what it was made from has moved on.
        upstream = self.upstream_values(name, allow_placeholders=False)[0] if external and not meta["placeholders"] else None
        reason = saved_plan.refusal(meta, self.env.name, name, self.rendered[name].tfvars, upstream)
        if reason:
            raise StackFailure(f"{plan_file}: {reason}" if external else reason)
        if external:
            self.results[name].changes = meta.get("changes", self.results[name].changes)
        self.progress.update(name, "destroying" if meta["destroy"] else "applying")
        outcome = self.workspaces.check(self.workspaces.terraform(name).apply(plan_file), name)
        self.outputs.remember_apply(name, outcome.stdout, destroyed=meta["destroy"])

    # Jobs: one per command ---------------------------------------------------------------------
    def _plan_job(self, name: str) -> None:
        changed = self.plan(name)
        self.results[name].status = "ok" if changed else "no-changes"

    def inspect_saved_plan(self, name: str, plan_file: Path) -> None:
        """A plan made earlier (``plan --out``, Atlantis): its JSON, its changes and its policy checks."""
        result = self.results[name]
        self.workspaces.ensure_initialised(name)
        try:
            result.changes = json.loads(workdir.meta_path(plan_file).read_text()).get("changes", result.changes)
        except (OSError, ValueError):
            pass  # apply_saved_plan refuses a plan without its record, with the reason
        self.write_plan_json(name, plan_file)
        self.check_policies(name)

    def write_plan_json(self, name: str, plan_file: Path) -> None:
        """`terraform show -json` of a saved plan, masked, as the stack's plan.json (policy checks read it):
        once per plan file and run, whoever asks (checks, the comment, the destroy gate, ``--json``)."""
        space = self.workspaces[name]
        if self.shown.get(name) == (plan_file, plan_file.stat().st_mtime_ns):
            return
        shown = self.workspaces.check(self.workspaces.terraform(name).show_json(plan_file), name)
        masked = secrets.mask_plan(json.loads(shown.stdout), space.sensitive_inputs | set(self.secret_values.get(name, {})))
        space.workdir.write_json(space.workdir.plan_json, masked, redact=secrets.MASK.apply)
        self.results[name].plan_json = str(space.workdir.plan_json)
        self.results[name].deletions = replacements.deletions(masked)
        self.shown[name] = (plan_file, plan_file.stat().st_mtime_ns)

    def replan_reviewed(self, name: str, plan_file: Path, meta: dict) -> bool:
        """A reviewed plan made with placeholders (a new environment under Atlantis: its stacks were all
        planned before any was applied), now that its upstreams are applied: plan again against their
        real outputs, and go on with that plan only if it does exactly what was reviewed (the same
        objects, the same actions; only values that were placeholders differ). True: it has changes."""
        if meta.get("inputs_sha256") != saved_plan.inputs_sha256(self.rendered[name].tfvars):
            raise StackFailure(f"{plan_file}: stale plan: this environment's inputs for the stack changed since it was made; plan again")
        reviewed = json.loads(Path(self.results[name].plan_json).read_text())
        changed = self.plan(name)
        fresh = json.loads(Path(self.results[name].plan_json).read_text())
        reason = saved_plan.reshaped(reviewed, fresh)
        if reason:
            raise StackFailure(f"{plan_file}: {reason}")
        return changed

    def _apply_job(self, name: str) -> None:
        plan_file = self.options.plan_file
        if plan_file is None:
            changed = self.plan(name)
        elif (meta := saved_plan.read_meta(plan_file)) and meta.get("placeholders") and not meta.get("destroy"):
            self.workspaces.ensure_initialised(name)
            self.write_plan_json(name, plan_file)  # what was reviewed; its checks are those of the new plan
            changed, plan_file = self.replan_reviewed(name, plan_file, meta), None
        else:
            self.inspect_saved_plan(name, plan_file)
            changed = True
        if changed:
            self.gate(name)
            self.halt_if_interrupted("before its apply")
            self.apply_saved_plan(name, plan_file)
        self.results[name].status = "ok" if changed else "no-changes"
        self._report_outputs(name)

    def _destroy_job(self, name: str) -> None:
        if self.plan(name, destroy=True):
            self.halt_if_interrupted("before its destroy")
            self.apply_saved_plan(name)
            self.results[name].status = "ok"
        else:
            self.results[name].status = "no-changes"

    def _policy_check_job(self, name: str) -> None:
        self.inspect_saved_plan(name, self.options.plan_file)
        self.results[name].status = "ok"

    def _output_job(self, name: str) -> None:
        self._report_outputs(name)
        self.results[name].status = "ok"

    JOBS = {"plan": _plan_job, "apply": _apply_job, "destroy": _destroy_job, "output": _output_job,
            "policy-check": _policy_check_job}

    def _report_outputs(self, name: str) -> None:
        result = self.results[name]
        result.outputs, result.sensitive = self.outputs.for_report(name)

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
                        self.workspaces.rebuild(name, str(failure))
                        step(name)
                        break
                    if self.stop.is_set() or attempt == transient.retries() or not transient.is_transient(str(failure)):
                        raise
                    delay = transient.backoff_seconds(attempt)
                    self.progress.update(name, f"retry {attempt + 1} in {delay:.0f}s")
                    self.workspaces.append_log(name, f"# transient failure, retry {attempt + 1} in {delay:.1f}s: {failure}\n")
                    if self.stop.wait(delay):
                        raise
        except StackFailure as failure:
            result.status, result.error = "failed", str(failure)
        except Exception as error:  # a bug must still leave a readable summary
            result.status, result.error = "failed", f"internal error: {error!r}\n{traceback.format_exc(limit=3)}"
        finally:
            if not any(aside == name for aside, _ in self.checks_aside or []):
                self.workspaces.release(name)  # else when its checks are done (``_aside``)
            space = self.workspaces[name]
            result.seconds = time.monotonic() - started
            result.terraform_seconds = space.terraform_seconds
            result.finished_at = time.time()
            if space.workdir is not None:
                result.workdir = str(space.workdir.path)
                result.log = str(space.workdir.log)
            self.progress.update(name, result.status, result)
        return result.status in ("ok", "no-changes")

    def _skip(self, name: str, reason: str) -> None:
        result = self.results[name]
        result.status, result.error = "skipped", reason
        self.progress.update(name, "skipped", result)

    def dependencies(self, names: list[str]) -> dict[str, set[str]]:
        """What each selected stack waits for, by the command's direction (``WAITS_FOR``)."""
        selected = set(names)
        waits_for = WAITS_FOR[self.options.command]
        if waits_for == "upstreams":
            return {n: {u for u in self.graph.stacks[n].upstreams if u in selected} for n in names}
        if waits_for == "downstreams":
            return {n: {d for d in self.graph.downstreams(n) if d in selected} for n in names}
        return {n: set() for n in names}

    def initialise_ahead(self, dependencies: dict[str, set[str]], order: list[str]) -> threading.Thread | None:
        """While the first stacks run, initialise the ones that wait for them: init needs no upstream
        output, so it need not be on the critical path. A failure here is left to the stack's own job,
        which runs init again and reports it."""
        waiting = [name for name in order if dependencies[name]]
        if not waiting:
            return None

        def initialise() -> None:
            for name in waiting:
                if self.stop.is_set():
                    return
                try:
                    self.workspaces.ensure_initialised(name)
                except Exception:  # noqa: BLE001 - see the docstring
                    pass

        thread = threading.Thread(target=initialise, name="initialise-ahead", daemon=True)
        thread.start()
        return thread

    def run(self, names: list[str]) -> list[StackResult]:
        for name in names:
            self.results[name] = StackResult(name)
        self.progress.start(names)
        job = self.JOBS[self.options.command]
        if self.policy is not None:
            self.policy.start()  # checkov's import overlaps Terraform's first steps
        dependencies = self.dependencies(names)
        order = names if self.options.command != "destroy" else list(reversed(names))
        ahead = None
        try:
            ahead = self.initialise_ahead(dependencies, order)
            if self.options.command == "apply" and self.options.plan_file is None and plans_ahead.enabled():
                downstream = [name for name in order if dependencies[name]]
                if downstream:
                    self.plans_ahead = plans_ahead.PlansAhead(downstream, self.plan_ahead, self.options.parallelism, self.stop)
                    self.plans_ahead.start()
            scheduler.walk(
                dependencies,
                lambda name: self._guarded(name, lambda n: job(self, n)),
                self._skip,
                self.options.parallelism,
                order,
                self.stop,
            )
            self.wait_for_checks()
        finally:
            if self.plans_ahead is not None:
                self.plans_ahead.close()  # no plan may outlive the run (nor hold a state lock after it)
            if ahead is not None:
                ahead.join()  # no init may outlive the run (and its environment lock)
            self.progress.stop()
            self.workspaces.close()
            if self.policy is not None:
                self.policy.close()
        return [self.results[name] for name in names]
