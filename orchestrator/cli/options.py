"""Options declared once and shared by the commands: the parser class, --root/--json, ENV and its run
options, --provider, --state, --parallelism, --check/--write of generated files."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config.errors import InputError, Problem
from orchestrator.config.exit_codes import BAD_INPUT, FAILED, OK
from orchestrator.config.project import Project
from orchestrator.terraform.target import STATES

PROVIDERS = ("auto", "aws", "local", "moto")
PROVIDER_VARIABLE = "ORCHESTRATOR_PROVIDER"
STATE_VARIABLE = "ORCHESTRATOR_STATE"


class Parser(argparse.ArgumentParser):
    def error(self, message):  # a usage error is bad input
        self.print_usage(sys.stderr)
        self.exit(BAD_INPUT, f"{self.prog}: error: {message}\n")


@dataclass(frozen=True)
class Shared:
    """Parent parsers a command starts from: ``common`` (--root, --json) and ``per_env`` (ENV and the run options)."""

    common: argparse.ArgumentParser
    per_env: argparse.ArgumentParser


def shared() -> Shared:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, help="project root (default: nearest folder with stacks.yaml)")
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    per_env = argparse.ArgumentParser(add_help=False, parents=[common])
    add_env_argument(per_env)
    per_env.add_argument("--stack", action="append", default=[], metavar="NAME", help="only this stack (repeatable)")
    add_provider_option(per_env)
    add_state_option(per_env)
    add_parallelism_option(per_env)
    per_env.add_argument("--auto-approve", action="store_true", help="apply without asking")
    add_lock_wait_option(per_env, "wait this long for another run of the same environment (default: refuse at once)")
    return Shared(common, per_env)


def add_env_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")


def add_lock_wait_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--lock-wait", type=float, default=0.0, metavar="SECONDS", help=help)


def add_provider_option(parser: argparse.ArgumentParser) -> None:
    """--provider, whose default a server's environment may set (ORCHESTRATOR_PROVIDER: an Atlantis server
    that runs the generated workflows offline, on the built-in provider, without another atlantis.yaml)."""
    default = os.environ.get(PROVIDER_VARIABLE) or "auto"
    if default not in PROVIDERS:
        raise InputError([Problem(f"${PROVIDER_VARIABLE}", "--provider", f"{default!r} is not one of {', '.join(PROVIDERS)}")])
    parser.add_argument("--provider", choices=PROVIDERS, default=default,
                        help=f"auto: local provider for environments that declare it, real AWS otherwise; moto: the real "
                             f"provider against a local moto server (default: ${PROVIDER_VARIABLE}, else auto)")


def add_state_option(parser: argparse.ArgumentParser) -> None:
    """--state, whose default the environment may set (ORCHESTRATOR_STATE=s3: a CI job whose rehearsals on the
    built-in provider keep state in S3 on the local cloud)."""
    default = os.environ.get(STATE_VARIABLE) or "auto"
    if default not in STATES:
        raise InputError([Problem(f"${STATE_VARIABLE}", "--state", f"{default!r} is not one of {', '.join(STATES)}")])
    parser.add_argument("--state", choices=STATES, default=default,
                        help=f"where state lives. auto: the environment's S3 backend (real AWS; on the local cloud for --provider moto), "
                             f"local state for --provider local; s3: --provider local keeps it in S3 on the local cloud too; "
                             f"local: local state for a rehearsal (default: ${STATE_VARIABLE}, else auto)")


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parallelism_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parallelism", type=_at_least_one, default=4, metavar="N", help="stacks run at once (default 4)")


def add_generated_options(parser: argparse.ArgumentParser, write_help: str | None = None) -> None:
    """--check (and --write where printing is the default) of a command that generates committed files."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help=f"write nothing; exit {FAILED} with a unified diff when the committed files differ from what would be generated, {OK} when current")
    if write_help:
        mode.add_argument("--write", action="store_true", help=write_help)


def project(args: argparse.Namespace) -> Project:
    return Project.find(args.root)
