"""The command line: one module per command or command group (``*_commands.py``), the options they
share declared once (``options.py``), and the entry that parses and hands over (``app.py``).

A command module registers its sub-parsers with ``register(commands, shared)`` and gives each a
``handler(args, console) -> exit status``; the rules of a run live in the layers below, not here.
"""

from orchestrator.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
