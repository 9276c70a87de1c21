"""atlantis-config and ci-config: the committed files generated from stacks.yaml, environments/ and
promotion.yaml, written, printed or --check'ed against what is committed."""

from __future__ import annotations

import argparse

from rich.console import Console

from orchestrator.cli.options import Shared, add_generated_options, project
from orchestrator.config.exit_codes import FAILED, OK
from orchestrator.config.project import Project


def register(commands, shared: Shared) -> None:
    atlantis_config = commands.add_parser("atlantis-config", parents=[shared.common], help="print atlantis.yaml (one project per environment and stack)")
    add_generated_options(atlantis_config, "write atlantis.yaml at the project root instead of printing it")
    atlantis_config.add_argument("--server-side", metavar="REPO_ID",
                                 help="print the Atlantis server's repo config (--repo-config) for this repository id instead "
                                      "(e.g. github.com/ORG/REPO, or /.*/)")
    atlantis_config.add_argument("--policy-owner", action="append", default=[], metavar="USER",
                                 help="with --server-side: who may `atlantis approve_policies` (repeatable)")
    atlantis_config.set_defaults(handler=atlantis)
    ci_config = commands.add_parser("ci-config", parents=[shared.common], help="write the CI workflows generated from stacks.yaml, environments/, promotion.yaml")
    ci_config.add_argument("engine", choices=("github",), help="github: .github/workflows/")
    add_generated_options(ci_config)
    ci_config.set_defaults(handler=ci)


def atlantis(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.release import atlantis as atlantis_yaml
    from orchestrator.release import generated

    where = project(args)
    if args.server_side:
        print(atlantis_yaml.render_server_config(args.server_side, args.policy_owner), end="")
    elif args.check or args.write:
        return _write_or_check(where, generated.atlantis_config(where), args.check, console)
    else:
        print(atlantis_yaml.render(where), end="")
    return OK


def ci(args: argparse.Namespace, console: Console) -> int:
    from orchestrator.release import generated

    where = project(args)
    return _write_or_check(where, generated.github_workflows(where), args.check, console)


def _write_or_check(where: Project, artefact, check: bool, console: Console) -> int:
    """Write a generated artefact, or --check it against the committed files."""
    from orchestrator.release import generated

    if not check:
        for path in generated.write(artefact):
            print(where.display(path))
        return OK
    difference = generated.diff(where, artefact)
    print(difference, end="")
    if difference:
        console.print(f"{artefact.name} is stale: regenerate it with `{artefact.regenerate}`", markup=False, highlight=False)
        return FAILED
    console.print(f"{artefact.name} is current", markup=False, highlight=False)
    return OK
