"""plan, apply, destroy, policy-check and output: one run over an environment's stacks in dependency order."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from orchestrator.cli.options import Shared, project
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.exit_codes import CHECK_FAILED, FAILED, OK
from orchestrator.run import core, report, saved_plan
from orchestrator.run.types import RunOptions


def register(commands, shared: Shared) -> None:
    plan = commands.add_parser("plan", parents=[shared.per_env], help="plan every stack to a saved plan (in parallel)")
    plan.add_argument("--out", type=Path, metavar="PATH", help="also save the plan here (one --stack; e.g. Atlantis's $PLANFILE)")
    plan.add_argument("--show", action=argparse.BooleanOptionalAction, default=None,
                      help="print each stack's plan as Terraform shows it (stdout; sensitive values hidden). "
                           "Default: shown when stdout is a terminal (not with --json or --quiet)")
    plan.add_argument("--report-policy-failures", action="store_true",
                      help="report failed policy checks without failing the plan (Atlantis's plan step: its policy_check "
                           "stage decides, and a policy owner may approve)")
    plan.add_argument("--skip-unchanged-since", metavar="REF",
                      help="do not plan stacks that pr-plan would not plan against REF (\"no changes: inputs unchanged\")")
    apply = commands.add_parser("apply", parents=[shared.per_env], help="plan and apply stacks in dependency order")
    apply.add_argument("--plan-file", type=Path, metavar="PATH",
                       help="apply this saved plan (one --stack); refused if made with placeholders or stale; removed once applied")
    apply.add_argument("--accept-policy-failures", metavar="REASON",
                       help="apply even though policy checks failed, for this reason (kept in the run record; policy.owners)")
    apply.add_argument("--allow-destroy", action="store_true",
                       help="apply plans that destroy or replace objects without asking (default: ask on a terminal, refuse elsewhere)")
    for checked in (plan, apply):
        checked.add_argument("--quiet", action="store_true", help="no progress lines or summary table (Atlantis run steps)")
        checked.add_argument("--show-accepted", action="store_true",
                             help="list every accepted policy check (policy.accept) instead of one line counting them")
    policy = commands.add_parser("policy-check", parents=[shared.per_env],
                                 help=f"policy checks of a saved plan (Atlantis's policy_check stage): exit {OK} passed, {CHECK_FAILED} a check failed, {FAILED} error")
    policy.add_argument("--plan-file", type=Path, metavar="PATH", required=True, help="the saved plan (plan --out)")
    policy.add_argument("--quiet", action="store_true", help="print the checks only")
    destroy = commands.add_parser("destroy", parents=[shared.per_env], help="destroy stacks in reverse dependency order")
    output = commands.add_parser("output", parents=[shared.per_env], help="print stacks' outputs from state, per stack (sensitive ones masked)")
    output.add_argument("output_name", nargs="?", metavar="NAME",
                        help="with one --stack: print this output's raw value only (as terraform output -raw)")
    for parser in (plan, apply, policy, destroy, output):
        parser.set_defaults(handler=run)


def run(args: argparse.Namespace, console: Console) -> int:
    where = project(args)
    if getattr(args, "output_name", None):
        return _output_value(where, args, console)
    plan_out, plan_file = getattr(args, "out", None), getattr(args, "plan_file", None)
    if getattr(args, "skip_unchanged_since", None):
        from orchestrator.release import pr_plan

        selected = list(core.prepare(where, args.env, tuple(args.stack)).names)
        args.stack = pr_plan.skip_unchanged(where, args.env, selected, args.skip_unchanged_since, args.provider, plan_out, console)
        if not args.stack:
            return OK
    if (plan_out or plan_file) and len(args.stack) != 1:
        flag = "--out" if plan_out else "--plan-file"
        raise InputError([Problem("<command line>", flag, "works on exactly one stack: add --stack NAME")])
    if plan_file is not None and not plan_file.is_file():
        print(saved_plan.replay_skipped(plan_file, args.env, args.stack[0], applying=args.command == "apply"))
        return OK
    options = RunOptions(
        command=args.command,
        env=args.env,
        stacks=tuple(args.stack),
        provider=args.provider,
        state=args.state,
        parallelism=args.parallelism,
        auto_approve=args.auto_approve,
        plan_json=args.json,
        lock_wait_seconds=args.lock_wait,
        show_plan=_show_plan(args),
        plan_out=plan_out.resolve() if plan_out else None,
        plan_file=plan_file.resolve() if plan_file else None,
        accept_policy_failures=getattr(args, "accept_policy_failures", None),
        allow_destroy=getattr(args, "allow_destroy", False),
    )
    quiet = getattr(args, "quiet", False)
    prepared, results = core.run(where, options, console, quiet=quiet)
    if quiet:  # Atlantis's comment: the plan, and errors in full; no table
        for result in results:
            if result.status in ("failed", "skipped"):
                console.print(f"{result.name} {result.status}:\n{result.error}", markup=False, highlight=False, soft_wrap=True)
        if args.command == "policy-check":
            report.policy_text(console, results, prepared.env.config.policy.checks, brief_when_passed=True)
    else:
        report.summary(console, args.env, args.command, results, show_accepted=getattr(args, "show_accepted", False))
        report.highlights(console, prepared.graph, results)
    if args.json:
        print(report.document(args.env, args.command, results))
    elif args.command == "output":
        print(report.outputs_text(results), end="")
    elif options.show_plan:
        for result in results:
            if result.plan_text:
                title = "" if quiet and len(results) == 1 else f"# --- {result.name}\n"
                print(f"{title}{result.plan_text}", end="" if result.plan_text.endswith("\n") else "\n")
    return core.exit_code(args.command, results, getattr(args, "report_policy_failures", False))


def _show_plan(args: argparse.Namespace) -> bool:
    """plan --show / --no-show; by default what will change is shown to a person at a terminal, not to a
    pipe, --json or an Atlantis step (--quiet, which asks with --show)."""
    if args.command != "plan":
        return False
    if args.show is not None:
        return args.show
    return sys.stdout.isatty() and not args.json and not args.quiet


def _output_value(where, args: argparse.Namespace, console: Console) -> int:
    """output ENV --stack S NAME: the raw value alone, as `terraform output -raw NAME` prints it."""
    if len(args.stack) != 1:
        raise InputError([Problem("<command line>", "--stack", "output NAME reads one stack: add --stack STACK")])
    from orchestrator.run.types import StackFailure

    options = RunOptions(command="output", env=args.env, stacks=tuple(args.stack), provider=args.provider, state=args.state,
                         lock_wait_seconds=args.lock_wait)
    try:
        value = core.output_value(where, options, args.output_name)
    except StackFailure as failure:
        console.print(f"output failed:\n{failure}", markup=False, highlight=False, soft_wrap=True)
        return FAILED
    print(json.dumps(value) if args.json else report.raw_value(value), end="")
    return OK
