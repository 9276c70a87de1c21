"""`import`, `state-rm` and `tf ENV STACK -- ARGS`: Terraform's own commands in one stack's working directory.

They run where every other command of the stack runs (the working directory the orchestrator
prepares, with its generated backend and provider, its rendered inputs, upstream outputs read
from state, secrets in the environment), never in the repository root, which holds no Terraform
configuration. They change state, so they hold the environment's lock alone, like apply. ``tf``
passes the user's arguments through (``PASSTHROUGH``: what it passes, which of them write state and
which take the stack's inputs) on the user's terminal; readers share the lock, as plans do.

Atlantis hands a comment's arguments to custom run steps as ``$COMMENT_ARGS``: comma-separated,
every character backslash-escaped (``\\a\\w\\s\\_\\v\\p\\c\\.\\t\\h\\i\\s,\\v\\p\\c\\-\\1``);
``comment_args`` reads that form back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from orchestrator.config.errors import InputError, Problem
from orchestrator.config.project import Project
from orchestrator.run import core, secrets
from orchestrator.run import lock as envlock
from orchestrator.run.progress import Progress
from orchestrator.run.runner import Runner
from orchestrator.run.types import RunOptions
from orchestrator.run.workspace import Workspaces
from orchestrator.terraform import engine

COMMANDS = ("import", "state-rm")


def comment_args(text: str) -> list[str]:
    """Atlantis's ``$COMMENT_ARGS`` (comma-separated, each character escaped) as a list of arguments."""
    args, current, escaped = [], "", False
    for char in text:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ",":
            args.append(current)
            current = ""
        else:
            current += char
    if current or args:
        args.append(current)
    return [arg for arg in args if arg]


def check_args(command: str, args: list[str]) -> None:
    """import takes ADDRESS ID; state-rm one or more ADDRESSes; Terraform flags are not passed through."""
    flags = [arg for arg in args if arg.startswith("-")]
    wrong = (command == "import" and len(args) != 2) or (command == "state-rm" and not args)
    if flags or wrong:
        usage = "ADDRESS ID" if command == "import" else "ADDRESS [ADDRESS ...]"
        reason = f"takes {usage}" + (f"; flags are not passed to Terraform ({', '.join(flags)})" if flags else f", not {args!r}")
        raise InputError([Problem("<command line>", command, reason)])


def terraform_command(command: str, args: list[str], var_files: list[str]) -> engine.Command:
    flag = engine.python_terraform.IsFlagged
    if command == "import":
        return engine.Command("import", tuple(args), (("no_color", flag), ("input", False), ("var_file", var_files)))
    return engine.Command("state rm", tuple(args), (("no_color", flag),))


@contextmanager
def _stack_terraform(project: Project, env_name: str, stack: str, provider: str, lock_wait_seconds: float, console: Console,
                     label: str, writes: bool, inputs: bool, state: str = "auto") -> Iterator[tuple[Workspaces, list[str]]]:
    """The stack's working directory, initialised, under the environment's lock (exclusive when ``writes``);
    with ``inputs``, its rendered inputs and upstream outputs written (secrets resolved) and their var files."""
    prepared = core.prepare(project, env_name, (stack,))
    core.guard_account(project, prepared, provider, changes=writes)
    # "plan" options: secrets are resolved, never-applied upstreams are an error (no placeholders).
    options = RunOptions(command="plan" if inputs else "output", env=env_name, stacks=(stack,), provider=provider, state=state)
    runner = Runner(project, prepared.env, prepared.graph, prepared.rendered, options, Progress(console, label, live=False))
    runner.workspaces.ensure_state_bucket()
    runner.resolve_secrets()
    with envlock.hold(runner.env_dir, env_name, label, lock_wait_seconds, (stack,), shared=not writes):
        try:
            var_files = []
            if inputs:
                directory, _, _ = runner.prepare_inputs(stack, allow_placeholders=False)
                var_files = [str(directory.env_tfvars), str(directory.upstream_tfvars)]
            else:
                runner.workspaces.ensure_initialised(stack)
            yield runner.workspaces, var_files
        finally:
            runner.workspaces.close()


def run(project: Project, command: str, env_name: str, stack: str, args: list[str], provider: str,
        lock_wait_seconds: float, console: Console, state: str = "auto") -> str:
    """Run the state command on the stack; Terraform's output, or ``StackFailure`` with its errors."""
    check_args(command, args)
    with _stack_terraform(project, env_name, stack, provider, lock_wait_seconds, console, command, writes=True, inputs=True,
                          state=state) as (workspaces, var_files):
        done = workspaces.check(workspaces.terraform(stack).run(terraform_command(command, args, var_files)), stack)
    return secrets.MASK.apply(done.stdout)


# `tf ENV STACK -- ARGS`: the Terraform subcommands passed through, whether each writes state (the
# environment's lock exclusive, the account checked as for apply) and takes the stack's inputs (-var-file).
# plan, apply, destroy, refresh and init are the orchestrator's own: through it they get the policy
# checks, the placeholder and stale-plan guards, approvals and the generated backend.
PASSTHROUGH = {
    "state list": (False, False), "state show": (False, False), "state pull": (False, False),
    "state mv": (True, False), "state rm": (True, False), "state push": (True, False), "state replace-provider": (True, False),
    "force-unlock": (True, False), "taint": (True, False), "untaint": (True, False), "import": (True, True),
    "console": (False, True), "providers": (False, False), "output": (False, False), "show": (False, False),
    "validate": (False, False), "graph": (False, False), "version": (False, False),
}
OWN_COMMANDS = ("plan", "apply", "destroy", "refresh", "init")


def passthrough_subcommand(args: list[str]) -> str:
    """The Terraform subcommand ARGS start with, when ``tf`` passes it through; else an ``InputError`` saying why."""
    subcommand = " ".join(args[:2]) if args[:1] == ["state"] else " ".join(args[:1])
    if subcommand in PASSTHROUGH:
        return subcommand
    if subcommand in OWN_COMMANDS:
        reason = f"run `python -m orchestrator {subcommand} ENV --stack STACK` instead: the orchestrator runs it with its checks and guards"
    else:
        reason = f"passes through {', '.join(PASSTHROUGH)}; not {subcommand or 'nothing'!r}"
    raise InputError([Problem("<command line>", "tf", reason)])


def passthrough(project: Project, env_name: str, stack: str, args: list[str], provider: str, lock_wait_seconds: float,
                console: Console, state: str = "auto") -> int:
    """Terraform's own ARGS in the stack's prepared working directory, on the terminal; its exit status."""
    subcommand = passthrough_subcommand(args)
    writes, inputs = PASSTHROUGH[subcommand]
    words = len(subcommand.split())
    with _stack_terraform(project, env_name, stack, provider, lock_wait_seconds, console, f"tf {subcommand}", writes, inputs,
                          state) as (workspaces, var_files):
        argv = [*args[:words], *(f"-var-file={path}" for path in var_files), *args[words:]]
        return workspaces.terraform(stack).passthrough(argv)
