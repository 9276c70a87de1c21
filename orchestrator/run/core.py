"""One command over one environment, from options to results; no argument parsing here."""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console

from orchestrator.config.environment import EnvironmentLoader, LoadedEnvironment
from orchestrator.config.errors import InputError, Problem, did_you_mean
from orchestrator.config.exit_codes import CHECK_FAILED, FAILED, OK
from orchestrator.config.graph import StackGraph, load_graph
from orchestrator.config.project import Project
from orchestrator.config.render import RenderedStack, render_all
from orchestrator.run import accounts, module_pins, run_record, saved_plan, secrets
from orchestrator.run import lock as envlock
from orchestrator.run.confirm import confirm
from orchestrator.run.outputs import OutputsReader
from orchestrator.run.progress import Progress
from orchestrator.run.runner import Runner
from orchestrator.run.types import RunOptions, StackResult
from orchestrator.run.workspace import Workspaces
from orchestrator.terraform import engine
from orchestrator.terraform.target import Target


@dataclass
class Prepared:
    env: LoadedEnvironment
    graph: StackGraph
    names: list[str]
    rendered: dict[str, RenderedStack]


def prepare(project: Project, env_name: str, stacks: tuple[str, ...] = ()) -> Prepared:
    """Everything that needs no Terraform: load and validate, check the graph, render."""
    problems = []
    env = graph = None
    try:
        env = EnvironmentLoader(project).load(env_name)
    except InputError as error:
        problems.extend(error.problems)
    try:
        graph = load_graph(project)
    except InputError as error:
        problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    absent = [name for name in stacks if name in env.absent_stacks]
    if absent:
        raise InputError([Problem("<command line>", "--stack", f"{env.name} does not run the optional stack {name!r}: "
                                  f"{project.display(env.files[-1])} sets no {name!r} section") for name in absent])
    graph = module_pins.pinned_graph(project, env, graph.without(env.absent_stacks))
    names = graph.select(list(stacks))
    rendered = render_all(project, graph, env, names)
    problems = secrets.check(env.config, graph, rendered, project.display(env.files[-1]))
    if problems:
        raise InputError(problems)
    return Prepared(env, graph, names, rendered)


def confirm_apply(console: Console, prepared: Prepared, options: RunOptions) -> None:
    """destroy always, and apply in environments marked require_approval, go on only with
    --auto-approve or a typed 'yes' (an apply elsewhere still asks before it destroys anything)."""
    if options.auto_approve:
        return
    if options.command == "destroy":
        confirm(console, f"Destroy [bold]{', '.join(prepared.names)}[/] of [bold]{options.env}[/]? Everything they hold is lost.",
                "--auto-approve", "destroy needs --auto-approve when there is no terminal to ask", "destroy was not approved")
    elif options.command == "apply" and prepared.env.config.require_approval:
        confirm(console, f"Apply [bold]{', '.join(prepared.names)}[/] to [bold]{options.env}[/]?", "--auto-approve",
                f"environment {options.env!r} requires approval and there is no terminal to ask", "apply was not approved")


def guard_account(project: Project, prepared: Prepared, provider: str, changes: bool) -> None:
    """On real AWS, before any Terraform: credentials must be there (every command), and belong to an
    account the environment allows (``changes``: commands that plan or change)."""
    if not Target.of(prepared.env, provider).on_aws:
        return
    where = project.display(prepared.env.files[-1])
    if changes:
        accounts.check(prepared.env, where)
    else:
        accounts.require_credentials(prepared.env, where)


def run(project: Project, options: RunOptions, console: Console, quiet: bool = False) -> tuple[Prepared, list[StackResult]]:
    """``quiet``: no progress lines (Atlantis captures everything a run step prints)."""
    prepared = prepare(project, options.env, options.stacks)
    confirm_apply(console, prepared, options)
    progress = Progress(Console(file=io.StringIO()) if quiet else console, f"{options.command} {options.env}", live=False if quiet else None)
    guard_account(project, prepared, options.provider, options.command in ("plan", "apply", "destroy"))
    runner = Runner(project, prepared.env, prepared.graph, prepared.rendered, options, progress)
    runner.workspaces.ensure_state_bucket()
    runner.resolve_secrets()
    if runner.workspaces.binary.note:
        console.print(f"[yellow]note[/]: {runner.workspaces.binary.note}", highlight=False, soft_wrap=True)

    engine.install_signal_forwarding(runner.interrupt)
    # Plans share the environment and lock only their stacks; applies and destroys have it alone.
    with envlock.hold(runner.env_dir, options.env, options.command, options.lock_wait_seconds, prepared.names):
        results = runner.run(prepared.names)
        run_record.save(runner.env_dir, options.command, results, {n: r.tfvars for n, r in prepared.rendered.items()},
                        module_pins.commits(project, prepared.graph, prepared.names) if options.command == "apply" else None)
    if options.plan_file is not None and options.command == "apply" and exit_code("apply", results) == OK:
        saved_plan.discard(options.plan_file)
    return prepared, results


def exit_code(command: str, results: list[StackResult], report_policy_failures: bool = False) -> int:
    """A stack that failed or was skipped fails the run; so does a failed policy check nobody accepted
    (CI, Atlantis's policy_check), as in conftest, unless ``report_policy_failures`` (Atlantis's plan
    step: the checks are reported and its policy_check stage decides). policy-check itself tells a
    failed check (CHECK_FAILED) from checks that could not run (FAILED)."""
    failed = any(r.status in ("failed", "skipped")
                 or (not report_policy_failures and r.policy is not None and not r.policy.ok and not r.policy_accepted)
                 for r in results)
    if command == "policy-check":
        return FAILED if any(r.status != "ok" for r in results) else (CHECK_FAILED if failed else OK)
    return FAILED if failed else OK


def output_value(project: Project, options: RunOptions, output: str):
    """One output of one stack, sensitive or not (``output ENV --stack S NAME``, as ``terraform output -raw``).

    Raises ``StackFailure`` when the state cannot be read, ``InputError`` when the stack has no such output.
    """
    prepared = prepare(project, options.env, options.stacks)
    stack = prepared.names[0]
    guard_account(project, prepared, options.provider, changes=False)
    workspaces = Workspaces(project, prepared.env, prepared.graph, options.provider, secrets.MASK.apply, options.state)
    try:
        with envlock.hold(workspaces.env_dir, options.env, "output", options.lock_wait_seconds, (stack,)):
            outputs = OutputsReader(workspaces).read(stack)
    finally:
        workspaces.close()
    if output not in outputs:
        hint = did_you_mean(output, sorted(outputs), "outputs") if outputs else "; it has none in state (never applied?)"
        raise InputError([Problem("<command line>", "NAME", f"stack {stack!r} of {options.env} has no output {output!r}{hint}")])
    return outputs[output]
