"""local-cloud: the moto server that --provider moto runs against (up, down, status), and out-of-band
changes to the built-in provider's store (list, edit, delete) that rehearse drift."""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from orchestrator.cli.options import Shared, project
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.exit_codes import FAILED, OK

USAGE = {"list": "ENV [TYPE]", "edit": "ENV TYPE ID KEY=VALUE [KEY=VALUE ...]", "delete": "ENV TYPE ID"}
ARGUMENTS = {"list": (1, 2), "edit": (4, None), "delete": (3, 3)}  # how many: at least, at most


def register(commands, shared: Shared) -> None:
    local_cloud = commands.add_parser("local-cloud", parents=[shared.common],
                                      help="the moto server that --provider moto runs against: up, down or status")
    local_cloud.add_argument("action", choices=("up", "down", "status", *USAGE),
                             help="up|down|status: the moto server; list|edit|delete ENV TYPE ID [KEY=VALUE ...]: "
                                  "change the built-in provider's store out of band (docs/how-to/drift.md)")
    local_cloud.add_argument("args", nargs="*", metavar="ARG", help="list: ENV [TYPE]; edit: ENV TYPE ID KEY=VALUE ...; delete: ENV TYPE ID")
    local_cloud.set_defaults(handler=run)


def run(args: argparse.Namespace, console: Console) -> int:
    return (_edit if args.action in USAGE else _server)(args, console)


def _server(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.local_cloud import moto_server

    action = args.action
    server = {"up": moto_server.up, "down": moto_server.down, "status": moto_server.status}[action](project(args))
    if args.json:
        print(json.dumps({"command": "local-cloud", "action": action, "running": server is not None and action != "down",
                          "endpoint": server.endpoint if server else None, "pid": server.pid if server else None}))
    if server is None:
        console.print("local cloud: not running", highlight=False)
        return FAILED if action == "status" else OK
    verb = "stopped" if action == "down" else "running"
    console.print(f"local cloud: moto {verb} at {server.endpoint} (pid {server.pid}, since {server.started}; log {server.log})",
                  highlight=False)
    return OK


def _edit(args: argparse.Namespace, console: Console) -> int:
    """list|edit|delete: out-of-band changes to the built-in provider's store."""
    from orchestrator.local_cloud import edits

    arguments, action = list(args.args), args.action
    least, most = ARGUMENTS[action]
    if len(arguments) < least or (most is not None and len(arguments) > most):
        raise InputError([Problem("<command line>", f"local-cloud {action}", f"usage: local-cloud {action} {USAGE[action]}")])
    where = project(args)
    if action == "list":
        found = edits.listing(where, *arguments)
        print(json.dumps({t: list(objects) for t, objects in found.items()}, indent=2) if args.json else edits.listing_text(found))
        return OK
    if action == "delete":
        object_id = edits.delete(where, *arguments)
        console.print(f"local cloud of {arguments[0]}: deleted {arguments[1]} {object_id} (state still holds it)", highlight=False)
        return OK
    object_id, before, after = edits.edit(where, arguments[0], arguments[1], arguments[2], arguments[3:])
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    console.print(f"local cloud of {arguments[0]}: changed {', '.join(changed) or 'nothing'} of {arguments[1]} {object_id} "
                  "(state still holds the applied values)", highlight=False, markup=False)
    return OK
