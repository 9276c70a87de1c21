"""render, validate, graph and schema: what an environment and the stack graph are, without Terraform."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape

from orchestrator.cli.options import Shared, project
from orchestrator.config.exit_codes import OK
from orchestrator.run import core


def register(commands, shared: Shared) -> None:
    commands.add_parser("render", parents=[shared.per_env], help="print each stack's rendered tfvars").set_defaults(handler=render)
    commands.add_parser("validate", parents=[shared.per_env],
                        help="check environment, graph and templates; runs no Terraform").set_defaults(handler=validate)
    graph_parser = commands.add_parser("graph", parents=[shared.per_env], help="print the stack DAG")
    graph_parser.add_argument("--format", choices=("text", "mermaid", "dot"), default="text")
    graph_parser.set_defaults(handler=graph)
    commands.add_parser("schema", parents=[shared.common], help="print the environment JSON Schema").set_defaults(handler=schema)


def render(args, console: Console) -> int:
    where = project(args)
    prepared = core.prepare(where, args.env, tuple(args.stack))
    if args.json:
        print(json.dumps({"env": args.env, "command": "render", "stacks": {n: r.tfvars for n, r in prepared.rendered.items()}}, indent=2))
        return OK
    for name, rendered in prepared.rendered.items():
        print(f"# --- {name} ({where.display(prepared.graph.stacks[name].template)})")
        print(rendered.tfvars, end="")
    return OK


def validate(args, console: Console) -> int:
    from orchestrator.release import generated

    where = project(args)
    prepared = core.prepare(where, args.env, tuple(args.stack))
    warnings = generated.stale_warnings(where)
    if args.json:
        print(json.dumps({"env": args.env, "command": "validate", "valid": True, "stacks": prepared.names, "warnings": warnings}))
    console.print(f"[green]{args.env} is valid[/]: {len(prepared.names)} stacks render cleanly", highlight=False)
    for warning in warnings:
        console.print("[yellow]warning[/]: " + escape(warning), highlight=False, soft_wrap=True)
    return OK


def graph(args, console: Console) -> int:
    prepared = core.prepare(project(args), args.env, tuple(args.stack))
    if args.json:
        print(json.dumps({"env": args.env, "command": "graph", "edges": prepared.graph.edges(), "order": prepared.graph.order}))
    else:
        print({"text": prepared.graph.as_text, "mermaid": prepared.graph.as_mermaid, "dot": prepared.graph.as_dot}[args.format]())
    return OK


def schema(args, console: Console) -> int:
    from orchestrator.config.schema import Environment

    print(json.dumps(Environment.model_json_schema(), indent=2))
    return OK
