"""The one confirmation prompt: go on only after a typed 'yes' on a terminal, or a flag that says so."""

from __future__ import annotations

import sys

from rich.console import Console

from orchestrator.config.errors import InputError, Problem


def confirm(console: Console, question: str, flag: str, no_terminal: str, declined: str) -> None:
    """Ask ``question``; without a terminal refuse with ``no_terminal`` (the user must pass ``flag``)."""
    if not sys.stdin.isatty():
        raise InputError([Problem("<command line>", flag, no_terminal)])
    console.print(f"{question} Type 'yes' to go on: ", end="")
    if input().strip() != "yes":
        raise InputError([Problem("<command line>", flag, declined)])
