"""import, state-rm and tf: Terraform itself in one stack's prepared working directory."""

from __future__ import annotations

import argparse

from rich.console import Console

from orchestrator.cli.options import (Shared, add_env_argument, add_lock_wait_option, add_provider_option, add_state_option,
                                      project)
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.exit_codes import FAILED, OK
from orchestrator.run import state_ops
from orchestrator.run.types import StackFailure


def register(commands, shared: Shared) -> None:
    for name, usage in (("import", "ADDRESS ID"), ("state-rm", "ADDRESS [ADDRESS ...]")):
        state = commands.add_parser(name, parents=[shared.per_env], help=f"terraform {name.replace('-', ' ')} {usage} in one stack's working directory")
        state.add_argument("args", nargs="*", metavar="ARG", help=usage)
        state.add_argument("--comment-args", metavar="ARGS", help="the arguments as Atlantis's $COMMENT_ARGS (escaped, comma-separated)")
        state.add_argument("--quiet", action="store_true", help="print Terraform's output only")
        state.set_defaults(handler=state_command)
    tf = commands.add_parser("tf", parents=[shared.common], help="Terraform itself in one stack's prepared working directory: "
                             "tf ENV STACK -- state list|show|mv|rm, console, force-unlock, providers, output, import, ...")
    add_env_argument(tf)
    tf.add_argument("stack", metavar="STACK", help="the stack whose working directory, inputs and state Terraform gets")
    add_provider_option(tf)
    add_state_option(tf)
    add_lock_wait_option(tf, "wait this long for another run of the environment")
    tf.set_defaults(handler=passthrough)


def split_terraform_arguments(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """`tf ENV STACK [options] -- ARGS`: everything after -- is Terraform's (None without --)."""
    words = [word for word in argv if not word.startswith("-")]
    if words[:1] != ["tf"] or "--" not in argv:
        return argv, None
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def state_command(args: argparse.Namespace, console: Console) -> int:
    """import / state-rm in the stack's working directory."""
    if len(args.stack) != 1:
        raise InputError([Problem("<command line>", "--stack", f"{args.command} works on exactly one stack: add --stack NAME")])
    arguments = list(args.args) + (state_ops.comment_args(args.comment_args) if args.comment_args else [])
    try:
        output = state_ops.run(project(args), args.command, args.env, args.stack[0], arguments, args.provider, args.lock_wait, console,
                               args.state)
    except StackFailure as failure:
        console.print(f"{args.command} failed:\n{failure}", markup=False, highlight=False, soft_wrap=True)
        return FAILED
    print(output, end="")
    return OK


def passthrough(args: argparse.Namespace, console: Console) -> int:
    """tf ENV STACK -- ARGS: Terraform's own exit status (or 2 for bad input, 1 when the directory cannot be prepared)."""
    if args.terraform_args is None:
        raise InputError([Problem("<command line>", "tf", "put Terraform's arguments after --: tf ENV STACK -- state list")])
    try:
        return state_ops.passthrough(project(args), args.env, args.stack, args.terraform_args, args.provider, args.lock_wait, console,
                                     args.state)
    except StackFailure as failure:
        console.print(f"tf failed:\n{failure}", markup=False, highlight=False, soft_wrap=True)
        return FAILED
