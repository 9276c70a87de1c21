"""Command line: parse arguments into values, hand them to the core, turn outcomes into exit codes.

Exit status: the one table of orchestrator/config/exit_codes.py (--help prints it).
With --json, one JSON document goes to stdout and everything for people to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from orchestrator import __version__
from orchestrator.config import exit_codes
from orchestrator.config.errors import InputError, OrchestratorError, Problem
from orchestrator.config.exit_codes import BAD_INPUT, CHANGES, CHECK_FAILED, FAILED, OK
from orchestrator.config.project import Project
from orchestrator.run import core, report, saved_plan
from orchestrator.run.types import RunOptions
from orchestrator.terraform import workdir
from orchestrator.tools import cli as tools_cli

STACK_COMMANDS = ("plan", "apply", "destroy", "output")


DESCRIPTION = """\
Stand up and look after an application's AWS stacks (network, alb, ecs, vpc_link, api_gateway,
keepalive) with Terraform, one environment per YAML file under environments/: validate, plan and
apply them in dependency order, read their outputs and health, find drift, plan pull requests,
promote releases, generate Atlantis and GitHub Actions configs. --provider local rehearses any
environment offline on the built-in AWS provider; `apply local` needs no cloud account at all."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # a usage error is bad input
        self.print_usage(sys.stderr)
        self.exit(BAD_INPUT, f"{self.prog}: error: {message}\n")


PROVIDERS = ("auto", "aws", "local", "moto")
PROVIDER_VARIABLE = "ORCHESTRATOR_PROVIDER"


def add_provider_option(parser: argparse.ArgumentParser) -> None:
    """--provider, whose default a server's environment may set (ORCHESTRATOR_PROVIDER: an Atlantis server
    that runs the generated workflows offline, on the built-in provider, without another atlantis.yaml)."""
    default = os.environ.get(PROVIDER_VARIABLE) or "auto"
    if default not in PROVIDERS:
        raise InputError([Problem(f"${PROVIDER_VARIABLE}", "--provider", f"{default!r} is not one of {', '.join(PROVIDERS)}")])
    parser.add_argument("--provider", choices=PROVIDERS, default=default,
                        help=f"auto: local provider for environments that declare it, real AWS otherwise; moto: the real "
                             f"provider against a local moto server (default: ${PROVIDER_VARIABLE}, else auto)")


STATE_VARIABLE = "ORCHESTRATOR_STATE"


def add_state_option(parser: argparse.ArgumentParser) -> None:
    """--state, whose default the environment may set (ORCHESTRATOR_STATE=s3: a CI job whose rehearsals on the
    built-in provider keep state in S3 on the local cloud)."""
    default = os.environ.get(STATE_VARIABLE) or "auto"
    if default not in workdir.STATES:
        raise InputError([Problem(f"${STATE_VARIABLE}", "--state", f"{default!r} is not one of {', '.join(workdir.STATES)}")])
    parser.add_argument("--state", choices=workdir.STATES, default=default,
                        help=f"where state lives. auto: the environment's S3 backend (real AWS; on the local cloud for --provider moto), "
                             f"local state for --provider local; s3: --provider local keeps it in S3 on the local cloud too; "
                             f"local: local state for a rehearsal (default: ${STATE_VARIABLE}, else auto)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="orchestrator", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog=f"exit status:\n{exit_codes.table()}")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, help="project root (default: nearest folder with stacks.yaml)")
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    per_env = argparse.ArgumentParser(add_help=False, parents=[common])
    per_env.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")
    per_env.add_argument("--stack", action="append", default=[], metavar="NAME", help="only this stack (repeatable)")
    add_provider_option(per_env)
    add_state_option(per_env)
    per_env.add_argument("--parallelism", type=int, default=4, metavar="N", help="stacks run at once (default 4)")
    per_env.add_argument("--auto-approve", action="store_true", help="apply without asking")
    per_env.add_argument("--lock-wait", type=float, default=0.0, metavar="SECONDS",
                         help="wait this long for another run of the same environment (default: refuse at once)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("render", parents=[per_env], help="print each stack's rendered tfvars")
    commands.add_parser("validate", parents=[per_env], help="check environment, graph and templates; runs no Terraform")
    plan = commands.add_parser("plan", parents=[per_env], help="plan every stack to a saved plan (in parallel)")
    plan.add_argument("--out", type=Path, metavar="PATH", help="also save the plan here (one --stack; e.g. Atlantis's $PLANFILE)")
    plan.add_argument("--show", action="store_true", help="print each saved plan as Terraform shows it (stdout; sensitive values hidden)")
    plan.add_argument("--report-policy-failures", action="store_true",
                      help="report failed policy checks without failing the plan (Atlantis's plan step: its policy_check "
                           "stage decides, and a policy owner may approve)")
    plan.add_argument("--skip-unchanged-since", metavar="REF",
                      help="do not plan stacks that pr-plan would not plan against REF (\"no changes: inputs unchanged\")")
    apply = commands.add_parser("apply", parents=[per_env], help="plan and apply stacks in dependency order")
    apply.add_argument("--plan-file", type=Path, metavar="PATH",
                       help="apply this saved plan (one --stack); refused if made with placeholders or stale; removed once applied")
    apply.add_argument("--accept-policy-failures", metavar="REASON",
                       help="apply even though policy checks failed, for this reason (kept in the run record; policy.owners)")
    apply.add_argument("--allow-destroy", action="store_true",
                       help="apply plans that destroy or replace objects without asking (default: ask on a terminal, refuse elsewhere)")
    for quiet in (plan, apply):
        quiet.add_argument("--quiet", action="store_true", help="no progress lines or summary table (Atlantis run steps)")
    for name, usage in (("import", "ADDRESS ID"), ("state-rm", "ADDRESS [ADDRESS ...]")):
        state = commands.add_parser(name, parents=[per_env], help=f"terraform {name.replace('-', ' ')} {usage} in one stack's working directory")
        state.add_argument("args", nargs="*", metavar="ARG", help=usage)
        state.add_argument("--comment-args", metavar="ARGS", help="the arguments as Atlantis's $COMMENT_ARGS (escaped, comma-separated)")
        state.add_argument("--quiet", action="store_true", help="print Terraform's output only")
    tf = commands.add_parser("tf", parents=[common], help="Terraform itself in one stack's prepared working directory: "
                             "tf ENV STACK -- state list|show|mv|rm, console, force-unlock, providers, output, import, ...")
    tf.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")
    tf.add_argument("stack", metavar="STACK", help="the stack whose working directory, inputs and state Terraform gets")
    add_provider_option(tf)
    add_state_option(tf)
    tf.add_argument("--lock-wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another run of the environment")
    policy = commands.add_parser("policy-check", parents=[per_env],
                                 help=f"policy checks of a saved plan (Atlantis's policy_check stage): exit {OK} passed, {CHECK_FAILED} a check failed, {FAILED} error")
    policy.add_argument("--plan-file", type=Path, metavar="PATH", required=True, help="the saved plan (plan --out)")
    policy.add_argument("--quiet", action="store_true", help="print the checks only")
    commands.add_parser("destroy", parents=[per_env], help="destroy stacks in reverse dependency order")
    output = commands.add_parser("output", parents=[per_env], help="print stacks' outputs from state, per stack (sensitive ones masked)")
    output.add_argument("output_name", nargs="?", metavar="NAME",
                        help="with one --stack: print this output's raw value only (as terraform output -raw)")
    commands.add_parser("status", parents=[per_env], help="is the path API -> VPC link -> internal ALB -> ECS whole? (exit 1 if broken)")
    graph = commands.add_parser("graph", parents=[per_env], help="print the stack DAG")
    graph.add_argument("--format", choices=("text", "mermaid", "dot"), default="text")
    commands.add_parser("schema", parents=[common], help="print the environment JSON Schema")
    local_cloud = commands.add_parser("local-cloud", parents=[common],
                                      help="the moto server that --provider moto runs against: up, down or status")
    local_cloud.add_argument("action", choices=("up", "down", "status", "list", "edit", "delete"),
                             help="up|down|status: the moto server; list|edit|delete ENV TYPE ID [KEY=VALUE ...]: "
                                  "change the built-in provider's store out of band (README, Drift)")
    local_cloud.add_argument("args", nargs="*", metavar="ARG", help="list: ENV [TYPE]; edit: ENV TYPE ID KEY=VALUE ...; delete: ENV TYPE ID")
    drift = commands.add_parser("drift", parents=[per_env],
                                help=f"refresh-only plan of every stack: what changed outside Terraform (exit {OK} none, {CHANGES} drift, {FAILED} error)")
    drift.add_argument("--report-file", type=Path, metavar="PATH", help="write the Markdown report to PATH (more parts: PATH.2, ...)")
    drift.add_argument("--remediate", choices=("plan", "apply"), help="then plan (or apply, with approval) what brings the cloud back to main")
    drift.add_argument("--accept", action="store_true", help="write the cloud's values into state (no object touched) and name the YAML keys that keep them")
    bootstrap = commands.add_parser("bootstrap", parents=[common],
                                    help=f"create the environment's state bucket and check its settings (exit {OK} as expected, "
                                         f"{CHANGES} a setting differs, {FAILED} the credentials cannot)")
    bootstrap.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")
    add_provider_option(bootstrap)
    bootstrap.add_argument("--fix", action="store_true", help="bring every differing setting to what is expected (never weakening one)")
    tools_cli.register(commands, common)
    _release_commands(commands, common)
    return parser


def _release_commands(commands, common: argparse.ArgumentParser) -> None:
    """pr-plan, atlantis-config and promote: commands over the whole project, not one ENV."""
    provider = argparse.ArgumentParser(add_help=False)
    add_provider_option(provider)
    pr_plan = commands.add_parser("pr-plan", parents=[common, provider],
                                  help=f"plan what a change affects; write an Atlantis-style comment (exit {OK} none, {CHANGES} changes, {FAILED} error or a failed policy check)")
    pr_plan.add_argument("--base", required=True, metavar="REF", help="revision the change starts from")
    pr_plan.add_argument("--head", metavar="REF", help="revision of the change (default: the working tree)")
    pr_plan.add_argument("--comment-file", type=Path, metavar="PATH", help="write the comment to PATH (more parts: PATH.2, PATH.3, ...)")
    pr_plan.add_argument("--include-dependents", action="store_true", help="also plan stacks that may be affected through outputs")
    pr_plan.add_argument("--parallelism", type=int, default=4, metavar="N", help="stacks run at once (default 4)")
    pr_plan.add_argument("--env", action="append", default=[], dest="envs", metavar="ENV",
                         help="only this environment (repeatable; a CI job with one account's credentials)")
    atlantis_config = commands.add_parser("atlantis-config", parents=[common], help="print atlantis.yaml (one project per environment and stack)")
    _generated_options(atlantis_config, "write atlantis.yaml at the project root instead of printing it")
    atlantis_config.add_argument("--server-side", metavar="REPO_ID",
                                 help="print the Atlantis server's repo config (--repo-config) for this repository id instead "
                                      "(e.g. github.com/ORG/REPO, or /.*/)")
    atlantis_config.add_argument("--policy-owner", action="append", default=[], metavar="USER",
                                 help="with --server-side: who may `atlantis approve_policies` (repeatable)")
    ci_config = commands.add_parser("ci-config", parents=[common], help="write the CI workflows generated from stacks.yaml, environments/, promotion.yaml")
    ci_config.add_argument("engine", choices=("github",), help="github: .github/workflows/")
    _generated_options(ci_config)
    promote = commands.add_parser("promote", parents=[common, provider], help="move a release along the chain (promotion.yaml)")
    promote.add_argument("source", metavar="SOURCE", help="environment whose deployed release is promoted")
    promote.add_argument("target", metavar="TARGET", help="next environment in the chain; its YAML is edited")
    promote.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    promote.add_argument("--yes", action="store_true", help="write without asking")


def _generated_options(parser: argparse.ArgumentParser, write_help: str | None = None) -> None:
    """--check (and --write where printing is the default) of a command that generates committed files."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help=f"write nothing; exit {FAILED} with a unified diff when the committed files differ from what would be generated, {OK} when current")
    if write_help:
        mode.add_argument("--write", action="store_true", help=write_help)


def _generated(project: Project, artefact, check: bool, console: Console) -> int:
    """Write a generated artefact, or --check it against the committed files."""
    from orchestrator.release import generated

    if not check:
        for path in generated.write(artefact):
            print(project.display(path))
        return OK
    difference = generated.diff(project, artefact)
    print(difference, end="")
    if difference:
        console.print(f"{artefact.name} is stale: regenerate it with `{artefact.regenerate}`", markup=False, highlight=False)
        return FAILED
    console.print(f"{artefact.name} is current", markup=False, highlight=False)
    return OK


def _release_dispatch(args, console: Console) -> int:
    project = _project(args)
    if args.command == "pr-plan":
        from orchestrator.release import pr_plan

        if args.parallelism < 1:
            raise InputError([Problem("<command line>", "--parallelism", "must be at least 1")])
        options = pr_plan.PrPlanOptions(args.base, args.head, args.provider, args.parallelism, args.include_dependents, tuple(args.envs))
        return pr_plan.publish(pr_plan.run(project, options, console), args.comment_file, args.json, console)
    if args.command == "atlantis-config":
        from orchestrator.release import atlantis

        if args.server_side:
            print(atlantis.render_server_config(args.server_side, args.policy_owner), end="")
        elif args.check or args.write:
            from orchestrator.release import generated

            return _generated(project, generated.atlantis_config(project), args.check, console)
        else:
            print(atlantis.render(project), end="")
        return OK
    if args.command == "ci-config":
        from orchestrator.release import generated

        return _generated(project, generated.github_workflows(project), args.check, console)
    from orchestrator.release import promote

    options = promote.PromoteOptions(args.source, args.target, args.provider, args.dry_run, args.yes)
    return promote.run(project, options, console, as_json=args.json)


def _local_cloud(project: Project, action: str, as_json: bool, console: Console) -> int:
    from orchestrator.run import local_cloud

    server = {"up": local_cloud.up, "down": local_cloud.down, "status": local_cloud.status}[action](project)
    if as_json:
        print(json.dumps({"command": "local-cloud", "action": action, "running": server is not None and action != "down",
                          "endpoint": server.endpoint if server else None, "pid": server.pid if server else None}))
    if server is None:
        console.print("local cloud: not running", highlight=False)
        return FAILED if action == "status" else OK
    verb = "stopped" if action == "down" else "running"
    console.print(f"local cloud: moto {verb} at {server.endpoint} (pid {server.pid}, since {server.started}; log {server.log})",
                  highlight=False)
    return OK


def _drift(project: Project, args, console: Console) -> int:
    """drift ENV: exit 0 no drift, 3 drift, 1 error."""
    from orchestrator.release import drift_report
    from orchestrator.run import drift

    options = drift.DriftOptions(args.env, tuple(args.stack), args.provider, args.parallelism, args.auto_approve,
                                 args.lock_wait, args.remediate, args.accept, args.state)
    outcome = drift.run(project, options, console)
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


def _bootstrap(project: Project, args, console: Console) -> int:
    """bootstrap ENV: exit 0 as expected (created, fixed), 3 a setting differs, 1 the credentials cannot."""
    from orchestrator.config.environment import EnvironmentLoader
    from orchestrator.run import bootstrap
    from orchestrator.run.types import provider_mode

    env = EnvironmentLoader(project).load(args.env)
    outcome = bootstrap.run(project, env, provider_mode(env, args.provider), args.fix)
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


def _cloud_edit(project: Project, args, console: Console) -> int:
    """local-cloud list|edit|delete: out-of-band changes to the built-in provider's store."""
    from orchestrator.run import cloud_edit

    arguments, action = list(args.args), args.action
    need = {"list": 1, "edit": 4, "delete": 3}[action]
    if len(arguments) < need or (action == "delete" and len(arguments) > 3) or (action == "list" and len(arguments) > 2):
        usage = {"list": "ENV [TYPE]", "edit": "ENV TYPE ID KEY=VALUE [KEY=VALUE ...]", "delete": "ENV TYPE ID"}[action]
        raise InputError([Problem("<command line>", f"local-cloud {action}", f"usage: local-cloud {action} {usage}")])
    if action == "list":
        found = cloud_edit.listing(project, *arguments)
        print(json.dumps({t: list(objects) for t, objects in found.items()}, indent=2) if args.json else cloud_edit.listing_text(found))
        return OK
    if action == "delete":
        object_id = cloud_edit.delete(project, *arguments)
        console.print(f"local cloud of {arguments[0]}: deleted {arguments[1]} {object_id} (state still holds it)", highlight=False)
        return OK
    object_id, before, after = cloud_edit.edit(project, arguments[0], arguments[1], arguments[2], arguments[3:])
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    console.print(f"local cloud of {arguments[0]}: changed {', '.join(changed) or 'nothing'} of {arguments[1]} {object_id} "
                  "(state still holds the applied values)", highlight=False, markup=False)
    return OK


def _project(args) -> Project:
    return Project.find(args.root)


def _print_problems(console: Console, error: InputError) -> None:
    console.print(f"[bold red]error[/]: {len(error.problems)} problem(s); nothing was run", highlight=False)
    for problem in error.problems:
        console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


def _dispatch(args, console: Console) -> int:
    if args.command == "schema":
        from orchestrator.config.schema import Environment

        print(json.dumps(Environment.model_json_schema(), indent=2))
        return OK
    if args.command in ("pr-plan", "atlantis-config", "ci-config", "promote"):
        return _release_dispatch(args, console)
    if args.command == "tools":
        return tools_cli.run(args, console)
    if args.command == "tf":
        return _terraform_passthrough(_project(args), args, console)
    if args.command == "local-cloud" and args.action in ("list", "edit", "delete"):
        return _cloud_edit(_project(args), args, console)
    if args.command == "local-cloud":
        return _local_cloud(_project(args), args.action, args.json, console)
    if args.command == "bootstrap":
        return _bootstrap(_project(args), args, console)
    if args.parallelism < 1:
        raise InputError([Problem("<command line>", "--parallelism", "must be at least 1")])
    project = _project(args)
    if args.command == "status":
        from orchestrator.status import checks as status

        return status.run(project, args.env, args.provider, console, args.json, args.parallelism, args.state)
    if args.command == "drift":
        return _drift(project, args, console)
    if args.command in ("render", "validate", "graph"):
        prepared = core.prepare(project, args.env, tuple(args.stack))
        if args.command == "graph":
            text = {"text": prepared.graph.as_text, "mermaid": prepared.graph.as_mermaid, "dot": prepared.graph.as_dot}[args.format]()
            print(json.dumps({"env": args.env, "command": "graph", "edges": prepared.graph.edges(), "order": prepared.graph.order}) if args.json else text)
        elif args.command == "render":
            if args.json:
                print(json.dumps({"env": args.env, "command": "render", "stacks": {n: r.tfvars for n, r in prepared.rendered.items()}}, indent=2))
            else:
                for name, rendered in prepared.rendered.items():
                    print(f"# --- {name} ({project.display(prepared.graph.stacks[name].template)})")
                    print(rendered.tfvars, end="")
        else:
            from orchestrator.release import generated

            warnings = generated.stale_warnings(project)
            if args.json:
                print(json.dumps({"env": args.env, "command": "validate", "valid": True, "stacks": prepared.names, "warnings": warnings}))
            console.print(f"[green]{args.env} is valid[/]: {len(prepared.names)} stacks render cleanly", highlight=False)
            for warning in warnings:
                console.print("[yellow]warning[/]: " + escape(warning), highlight=False, soft_wrap=True)
        return OK
    if args.command in ("import", "state-rm"):
        return _state_command(project, args, console)
    if getattr(args, "output_name", None):
        return _output_value(project, args, console)
    if getattr(args, "skip_unchanged_since", None):
        from orchestrator.release import pr_plan

        selected = list(core.prepare(project, args.env, tuple(args.stack)).names)
        skipped, note = pr_plan.unchanged_since(project, args.env, selected, args.skip_unchanged_since, args.provider)
        if note:
            console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
        for name, why in skipped.items():
            print(f"# --- {name}\n{why}" if len(selected) > 1 else why)
        if skipped and len(skipped) == len(selected):
            if args.out:  # an earlier plan of this stack must not be applied; applying this record applies nothing
                args.out.unlink(missing_ok=True)
                workdir.meta_path(args.out).write_text(json.dumps(saved_plan.skipped(args.env, selected[0], skipped[selected[0]])))
            return OK
        args.stack = [name for name in selected if name not in skipped]
    plan_out, plan_file = getattr(args, "out", None), getattr(args, "plan_file", None)
    if (plan_out or plan_file) and len(args.stack) != 1:
        flag = "--out" if plan_out else "--plan-file"
        raise InputError([Problem("<command line>", flag, "works on exactly one stack: add --stack NAME")])
    if plan_file is not None and not plan_file.is_file():
        reason = saved_plan.skipped_reason(saved_plan.read_meta(plan_file), args.env, args.stack[0])
        if reason is None:
            raise InputError([Problem(str(plan_file), "--plan-file", "no such saved plan")])
        print(reason)  # nothing was planned, so nothing is applied (or checked)
        if args.command == "apply":
            workdir.meta_path(plan_file).unlink(missing_ok=True)
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
        show_plan=getattr(args, "show", False),
        plan_out=plan_out.resolve() if plan_out else None,
        plan_file=plan_file.resolve() if plan_file else None,
        accept_policy_failures=getattr(args, "accept_policy_failures", None),
        allow_destroy=getattr(args, "allow_destroy", False),
    )
    quiet = getattr(args, "quiet", False)
    prepared, results = core.run(project, options, console, quiet=quiet)
    # A plan whose policy checks fail is a failure too (CI, Atlantis's policy_check), as in conftest.
    # With --report-policy-failures (Atlantis's plan step) the checks are reported and the policy_check stage decides.
    policy_counts = not getattr(args, "report_policy_failures", False)
    failed = any(r.status in ("failed", "skipped") or (policy_counts and r.policy is not None and not r.policy.ok and not r.policy_accepted)
                 for r in results)
    if quiet:  # Atlantis's comment: the plan, and errors in full; no table
        for result in results:
            if result.status in ("failed", "skipped"):
                console.print(f"{result.name} {result.status}:\n{result.error}", markup=False, highlight=False, soft_wrap=True)
        if args.command == "policy-check":
            report.policy_text(console, results, prepared.env.config.policy.checks, brief_when_passed=True)
    else:
        report.summary(console, args.env, args.command, results)
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
    if args.command == "policy-check":  # passed, a check failed, or the checks could not run
        return FAILED if any(r.status != "ok" for r in results) else (CHECK_FAILED if failed else OK)
    if plan_file is not None and not failed:  # applied: as Atlantis does with its own plan files
        plan_file.unlink(missing_ok=True)
        plan_file.with_name(plan_file.name + ".meta.json").unlink(missing_ok=True)
    return FAILED if failed else OK


def _state_command(project: Project, args, console: Console) -> int:
    """import / state-rm in the stack's working directory."""
    if len(args.stack) != 1:
        raise InputError([Problem("<command line>", "--stack", f"{args.command} works on exactly one stack: add --stack NAME")])
    from orchestrator.run import state_ops
    from orchestrator.run.types import StackFailure

    arguments = list(args.args) + (state_ops.comment_args(args.comment_args) if args.comment_args else [])
    try:
        output = state_ops.run(project, args.command, args.env, args.stack[0], arguments, args.provider, args.lock_wait, console,
                               args.state)
    except StackFailure as failure:
        console.print(f"{args.command} failed:\n{failure}", markup=False, highlight=False, soft_wrap=True)
        return FAILED
    print(output, end="")
    return OK


def _terraform_passthrough(project: Project, args, console: Console) -> int:
    """tf ENV STACK -- ARGS: Terraform's own exit status (or 2 for bad input, 1 when the directory cannot be prepared)."""
    from orchestrator.run import state_ops
    from orchestrator.run.types import StackFailure

    if args.terraform_args is None:
        raise InputError([Problem("<command line>", "tf", "put Terraform's arguments after --: tf ENV STACK -- state list")])
    try:
        return state_ops.passthrough(project, args.env, args.stack, args.terraform_args, args.provider, args.lock_wait, console,
                                     args.state)
    except StackFailure as failure:
        console.print(f"tf failed:\n{failure}", markup=False, highlight=False, soft_wrap=True)
        return FAILED


def _output_value(project: Project, args, console: Console) -> int:
    """output ENV --stack S NAME: the raw value alone, as `terraform output -raw NAME` prints it."""
    if len(args.stack) != 1:
        raise InputError([Problem("<command line>", "--stack", "output NAME reads one stack: add --stack STACK")])
    from orchestrator.run.types import StackFailure

    options = RunOptions(command="output", env=args.env, stacks=tuple(args.stack), provider=args.provider, lock_wait_seconds=args.lock_wait)
    try:
        value = core.output_value(project, options, args.output_name)
    except StackFailure as failure:
        console.print(f"output failed:\n{failure}", markup=False, highlight=False, soft_wrap=True)
        return FAILED
    print(json.dumps(value) if args.json else report.raw_value(value), end="")
    return OK


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """parse_args, except that `output ENV --stack S NAME` finds NAME after the options (argparse before
    Python 3.12.7 gives an optional positional its empty value at once, before the options), and that
    everything after `tf ... --` is Terraform's (terraform_args; None without --)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    words = [word for word in argv if not word.startswith("-")]
    cut = argv.index("--") if words[:1] == ["tf"] and "--" in argv else len(argv)
    args, extras = parser.parse_known_args(argv[:cut])
    if args.command == "tf":
        args.terraform_args = argv[cut + 1:] if cut < len(argv) else None
        if extras:
            parser.error(f"Terraform's arguments go after --: tf {args.env} {args.stack} -- {' '.join(extras)}")
    if args.command == "output" and args.output_name is None and len(extras) == 1 and not extras[0].startswith("-"):
        args.output_name, extras = extras[0], []
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: list[str] | None = None) -> None:
    try:
        parser = _parser()
    except InputError as error:
        _print_problems(Console(stderr=True), error)
        sys.exit(error.exit_code)
    args = _parse(parser, argv)
    # Everything a run writes (inputs, plans, state, logs) is readable by its user alone.
    os.umask(0o077)
    console = Console(stderr=True)
    try:
        code = _dispatch(args, console)
    except OrchestratorError as error:
        problems = [str(p) for p in error.problems] if isinstance(error, InputError) else [str(error)]
        if isinstance(error, InputError):
            _print_problems(console, error)
        else:
            console.print(f"[bold red]error[/]: {error}", highlight=False, soft_wrap=True)
        if getattr(args, "json", False):
            print(json.dumps({"env": getattr(args, "env", None), "command": args.command, "error": problems, "stacks": []}))
        code = error.exit_code
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]")
        code = 130
    sys.exit(code)
