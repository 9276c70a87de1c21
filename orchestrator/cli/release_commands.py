"""pr-plan and promote: commands over the whole project, not one ENV — review a change, move a release."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from orchestrator.cli.options import Shared, add_parallelism_option, add_provider_option, project
from orchestrator.config.exit_codes import CHANGES, FAILED, OK


def register(commands, shared: Shared) -> None:
    provider = argparse.ArgumentParser(add_help=False)
    add_provider_option(provider)
    pr_plan = commands.add_parser("pr-plan", parents=[shared.common, provider],
                                  help=f"plan what a change affects; write an Atlantis-style comment (exit {OK} none, {CHANGES} changes, {FAILED} error or a failed policy check)")
    pr_plan.add_argument("--base", required=True, metavar="REF", help="revision the change starts from")
    pr_plan.add_argument("--head", metavar="REF", help="revision of the change (default: the working tree)")
    pr_plan.add_argument("--comment-file", type=Path, metavar="PATH", help="write the comment to PATH (more parts: PATH.2, PATH.3, ...)")
    pr_plan.add_argument("--include-dependents", action="store_true", help="also plan stacks that may be affected through outputs")
    add_parallelism_option(pr_plan)
    pr_plan.add_argument("--env", action="append", default=[], dest="envs", metavar="ENV",
                         help="only this environment (repeatable; a CI job with one account's credentials)")
    pr_plan.set_defaults(handler=review)
    promote_parser = commands.add_parser("promote", parents=[shared.common, provider], help="move a release along the chain (promotion.yaml)")
    promote_parser.add_argument("source", metavar="SOURCE", help="environment whose deployed release is promoted")
    promote_parser.add_argument("target", metavar="TARGET", help="next environment in the chain; its YAML is edited")
    promote_parser.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    promote_parser.add_argument("--yes", action="store_true", help="write without asking")
    promote_parser.add_argument("--plan", action="store_true",
                                help="then plan TARGET as written and record what it would change, per stack (on --provider)")
    promote_parser.add_argument("--service", metavar="NAME",
                                help="promote this service of `services` alone (its image_tag and environment): not the app, not the modules' pin")
    promote_parser.set_defaults(handler=promote)


def review(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.release import pr_plan

    options = pr_plan.PrPlanOptions(args.base, args.head, args.provider, args.parallelism, args.include_dependents, tuple(args.envs))
    return pr_plan.publish(pr_plan.run(project(args), options, console), args.comment_file, args.json, console)


def promote(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.release import promote as release_promote

    options = release_promote.PromoteOptions(args.source, args.target, args.provider, args.dry_run, args.yes, args.plan, args.service)
    return release_promote.run(project(args), options, console, as_json=args.json)
