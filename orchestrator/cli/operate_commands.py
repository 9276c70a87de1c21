"""status, drift and bootstrap: how an environment's cloud stands, what changed outside Terraform, and
the state bucket its runs need."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from orchestrator.cli.options import Shared, add_env_argument, add_provider_option, project
from orchestrator.config.exit_codes import CHANGES, FAILED, OK
from orchestrator.run import report


def register(commands, shared: Shared) -> None:
    commands.add_parser("status", parents=[shared.per_env],
                        help="is the path API -> VPC link -> internal ALB -> ECS whole? (exit 1 if broken)").set_defaults(handler=status)
    drift_parser = commands.add_parser("drift", parents=[shared.per_env],
                                       help=f"refresh-only plan of every stack: what changed outside Terraform (exit {OK} none, {CHANGES} drift, {FAILED} error)")
    drift_parser.add_argument("--report-file", type=Path, metavar="PATH", help="write the Markdown report to PATH (more parts: PATH.2, ...)")
    drift_parser.add_argument("--remediate", choices=("plan", "apply"), help="then plan (or apply, with approval) what brings the cloud back to main")
    drift_parser.add_argument("--accept", action="store_true", help="write the cloud's values into state (no object touched) and name the YAML keys that keep them")
    drift_parser.set_defaults(handler=drift)
    bootstrap_parser = commands.add_parser("bootstrap", parents=[shared.common],
                                           help=f"create the environment's state bucket and check its settings (exit {OK} as expected, "
                                                f"{CHANGES} a setting differs, {FAILED} the credentials cannot)")
    add_env_argument(bootstrap_parser)
    add_provider_option(bootstrap_parser)
    bootstrap_parser.add_argument("--fix", action="store_true", help="bring every differing setting to what is expected (never weakening one)")
    bootstrap_parser.set_defaults(handler=bootstrap)


def status(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.status import checks

    return checks.run(project(args), args.env, args.provider, console, args.json, args.parallelism, args.state)


def drift(args: argparse.Namespace, console: Console) -> int:
    """drift ENV: exit 0 no drift, 3 drift, 1 error."""
    from orchestrator.release import drift_report
    from orchestrator.run import drift as drift_run

    options = drift_run.DriftOptions(args.env, tuple(args.stack), args.provider, args.parallelism, args.auto_approve,
                                     args.lock_wait, args.remediate, args.accept, args.state)
    outcome = drift_run.run(project(args), options, console)
    report.summary(console, args.env, "drift", [s.result for s in outcome.stacks])
    parts = drift_report.render(outcome)
    written = [str(p) for p in drift_report.write(parts, args.report_file)] if args.report_file else []
    if args.json:
        print(json.dumps({**outcome.document(), "report_files": written}, indent=2, default=str))
    elif not args.report_file:
        print("\n<!-- orchestrator: next comment part -->\n".join(parts), end="")
    verdict = {OK: "no drift", CHANGES: "drift detected", FAILED: "error"}[outcome.exit_code]
    console.print(f"drift {args.env}: {verdict} (exit {outcome.exit_code})", highlight=False)
    return outcome.exit_code


def bootstrap(args: argparse.Namespace, console: Console) -> int:
    """bootstrap ENV: exit 0 as expected (created, fixed), 3 a setting differs, 1 the credentials cannot."""
    from orchestrator.config.environment import EnvironmentLoader
    from orchestrator.run import bootstrap as state_bucket
    from orchestrator.terraform.target import Target

    where = project(args)
    env = EnvironmentLoader(where).load(args.env)
    outcome = state_bucket.run(where, Target(env, Target.of(env, args.provider).mode, "s3"), args.fix)
    if args.json:
        print(json.dumps(outcome.document(), indent=2))
    verb = "created" if outcome.created else "found"
    console.print(f"bootstrap {args.env}: state bucket {outcome.bucket} {verb} in account {outcome.account} ({outcome.target})",
                  markup=False, highlight=False)
    for setting in outcome.settings:
        line = f"  {setting['name']:<30} {setting['status']}"
        if setting["status"] == "differs":
            line += f": expected {json.dumps(setting['expected'])}, found {json.dumps(setting['actual'])}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if outcome.exit_code == CHANGES:
        provider = "" if args.provider == "auto" else f" --provider {args.provider}"
        console.print(f"run `python -m orchestrator bootstrap {args.env}{provider} --fix` to bring them to what state needs", highlight=False)
    return outcome.exit_code
