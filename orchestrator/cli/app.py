"""The command line's entry: build the parser from the command modules, parse, hand over to the
command's handler, and turn what escapes into an exit status.

Exit status: the one table of orchestrator/config/exit_codes.py (--help prints it).
With --json, one JSON document goes to stdout and everything for people to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from rich.console import Console

from orchestrator import __version__
from orchestrator.cli import (generated_commands, inspect_commands, local_cloud_commands, operate_commands, release_commands,
                              run_commands, state_commands, tools_commands)
from orchestrator.cli.options import Parser, shared
from orchestrator.config import exit_codes
from orchestrator.config.errors import InputError, OrchestratorError

DESCRIPTION = """\
Stand up and look after an application's AWS stacks (network, alb, ecs, vpc_link, api_gateway,
keepalive) with Terraform, one environment per YAML file under environments/: validate, plan and
apply them in dependency order, read their outputs and health, find drift, plan pull requests,
promote releases, generate Atlantis and GitHub Actions configs. --provider local rehearses any
environment offline on the built-in AWS provider; `apply local` needs no cloud account at all."""

# In the order --help lists them.
COMMAND_MODULES = (inspect_commands, run_commands, state_commands, operate_commands, local_cloud_commands, tools_commands,
                   release_commands, generated_commands)


def build_parser() -> argparse.ArgumentParser:
    """Every command and option; raises InputError when an ORCHESTRATOR_* default is not a valid value."""
    parser = Parser(prog="orchestrator", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog=f"exit status:\n{exit_codes.table()}")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    options = shared()
    for module in COMMAND_MODULES:
        module.register(commands, options)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """parse_args, except that `output ENV --stack S NAME` finds NAME after the options (argparse before
    Python 3.12.7 gives an optional positional its empty value at once, before the options), and that
    everything after `tf ... --` is Terraform's (terraform_args; None without --)."""
    argv, terraform_args = state_commands.split_terraform_arguments(sys.argv[1:] if argv is None else list(argv))
    args, extras = parser.parse_known_args(argv)
    if args.command == "tf":
        args.terraform_args = terraform_args
        if extras:
            parser.error(f"Terraform's arguments go after --: tf {args.env} {args.stack} -- {' '.join(extras)}")
    if args.command == "output" and args.output_name is None and len(extras) == 1 and not extras[0].startswith("-"):
        args.output_name, extras = extras[0], []
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def print_problems(console: Console, error: InputError) -> None:
    console.print(f"[bold red]error[/]: {len(error.problems)} problem(s); nothing was run", highlight=False)
    for problem in error.problems:
        console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    try:
        parser = build_parser()
    except InputError as error:
        print_problems(Console(stderr=True), error)
        sys.exit(error.exit_code)
    args = parse(parser, argv)
    # Everything a run writes (inputs, plans, state, logs) is readable by its user alone.
    os.umask(0o077)
    console = Console(stderr=True)
    try:
        code = args.handler(args, console)
    except OrchestratorError as error:
        problems = [str(p) for p in error.problems] if isinstance(error, InputError) else [str(error)]
        if isinstance(error, InputError):
            print_problems(console, error)
        else:
            console.print(f"[bold red]error[/]: {error}", highlight=False, soft_wrap=True)
        if getattr(args, "json", False):
            print(json.dumps({"env": getattr(args, "env", None), "command": args.command, "error": problems, "stacks": []}))
        code = error.exit_code
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]")
        code = 130
    sys.exit(code)
