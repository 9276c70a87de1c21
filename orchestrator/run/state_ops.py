"""`import` and `state-rm`: Terraform's state commands in one stack's working directory.

They run where every other command of the stack runs (the working directory the orchestrator
prepares, with its generated backend and provider, its rendered inputs, upstream outputs read
from state, secrets in the environment), never in the repository root, which holds no Terraform
configuration. They change state, so they hold the environment's lock alone, like apply.

Atlantis hands a comment's arguments to custom run steps as ``$COMMENT_ARGS``: comma-separated,
every character backslash-escaped (``\\a\\w\\s\\_\\v\\p\\c\\.\\t\\h\\i\\s,\\v\\p\\c\\-\\1``);
``comment_args`` reads that form back.
"""

from __future__ import annotations

from rich.console import Console

from orchestrator.config.errors import InputError, Problem
from orchestrator.config.project import Project
from orchestrator.run import accounts, core, secrets
from orchestrator.run import lock as envlock
from orchestrator.run.progress import Progress
from orchestrator.run.runner import Runner
from orchestrator.run.types import RunOptions, StackFailure, provider_mode
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


def run(project: Project, command: str, env_name: str, stack: str, args: list[str], provider: str,
        lock_wait_seconds: float, console: Console, state: str = "auto") -> str:
    """Run the state command on the stack; Terraform's output, or ``StackFailure`` with its errors."""
    check_args(command, args)
    prepared = core.prepare(project, env_name, (stack,))
    if provider_mode(prepared.env, provider) == "aws":
        accounts.check(prepared.env, project.display(prepared.env.files[-1]))
    # "plan" options: secrets are resolved, never-applied upstreams are an error (no placeholders).
    options = RunOptions(command="plan", env=env_name, stacks=(stack,), provider=provider, state=state)
    runner = Runner(project, prepared.env, prepared.graph, prepared.rendered, options, Progress(console, command, live=False))
    runner.workspaces.ensure_state_bucket()
    runner.resolve_secrets()
    with envlock.hold(runner.env_dir, env_name, command, lock_wait_seconds, (stack,)):
        try:
            directory, _, _ = runner.prepare_inputs(stack, allow_placeholders=False)
            var_files = [str(directory.env_tfvars), str(directory.upstream_tfvars)]
            terraform = runner.workspaces.terraform(stack)
            done = runner.workspaces.check(terraform.run(terraform_command(command, args, var_files)), stack)
        finally:
            runner.workspaces.close()
        return secrets.MASK.apply(done.stdout)
