"""import, state-rm and tf: Terraform itself in one stack's prepared working directory."""

from __future__ import annotations

import argparse
import json

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
    listing = commands.add_parser("state-history", parents=[shared.common],
                                  help="the versions of one stack's state in S3: when, serial, lineage, size (newest first)")
    restore = commands.add_parser("state-restore", parents=[shared.common],
                                  help="write a version of one stack's state back as the newest (same lineage only; asks first)")
    for parser in (listing, restore):
        add_env_argument(parser)
        parser.add_argument("stack", metavar="STACK", help="the stack whose state object is read")
        add_provider_option(parser)
        add_state_option(parser)
    restore.add_argument("version", metavar="VERSION", help="the version id, as state-history lists it")
    restore.add_argument("--auto-approve", action="store_true", help="restore without asking")
    add_lock_wait_option(restore, "wait this long for another run of the environment")
    listing.set_defaults(handler=state_history)
    restore.set_defaults(handler=state_restore)
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


def state_history(args: argparse.Namespace, console: Console) -> int:
    """state-history ENV STACK: a table for people, the versions as JSON with --json."""
    from rich.table import Table

    from orchestrator.run import state_history as history

    state = history.locate(project(args), args.env, args.stack, args.provider, args.state)
    versions = history.history(state)
    if args.json:
        print(json.dumps({"env": args.env, "command": "state-history", "stack": args.stack, "bucket": state.bucket, "key": state.key,
                          "versions": [v.document() for v in versions]}, indent=2))
        return OK
    table = Table(title=f"state of {args.stack} in {args.env}: s3://{state.bucket}/{state.key} ({state.where})", title_justify="left")
    for column in ("version", "modified", "serial", "lineage", "size", "uploaded by", ""):
        table.add_column(column)
    for v in versions:
        what = "deleted" if v.deleted else ("unreadable" if not v.readable else "")
        table.add_row(v.version_id, v.modified, "" if v.serial is None else str(v.serial), v.lineage or "", str(v.size),
                      v.uploaded_by or "", ", ".join(filter(None, ["latest" if v.latest else "", what])))
    Console().print(table)
    return OK


def state_restore(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.run import state_history as history

    done = history.restore(project(args), args.env, args.stack, args.version, args.provider, args.state, args.auto_approve,
                           args.lock_wait, console)
    if args.json:
        print(json.dumps(done, indent=2))
    flags = "".join(f" --{name} {value}" for name, value in (("provider", args.provider), ("state", args.state)) if value != "auto")
    console.print(f"state of {args.stack} in {args.env} restored from version {done['restored']}: now version "
                  f"{done['new_version']}, serial {done['serial']}; `python -m orchestrator plan {args.env} --stack {args.stack}{flags}` "
                  "shows what differs from the cloud", markup=False, highlight=False)
    return OK


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
