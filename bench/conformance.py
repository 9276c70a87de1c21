"""The modules and the environments on the real hashicorp/aws provider, against moto: the report.

Needs the provider built from source (`python -m orchestrator tools build terraform-provider-aws`).
Starts moto's server in a private working directory, then measures and prints, as Markdown:
  modules       - per module: `terraform validate`, and how many of its test cases plan as their
                  inventory says (tests/modules/<module>/*.yaml) on the real provider;
  environments  - per environment, through the orchestrator with `--provider moto`: validate,
                  plan, apply, re-plan (must show no changes), destroy, each with its wall time.
The same checks run as tests in tests/conformance/ (this script only tabulates them).

    python bench/conformance.py [--env local --env dev ...] [--no-modules | --no-environments]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "modules"))
sys.path.insert(0, str(REPO / "tests" / "conformance"))

ENVIRONMENTS = ["local", "dev", "staging", "prod"]


def orchestrator(root: Path, work: Path, *args: str) -> tuple[bool, float, dict | None, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "orchestrator", *args, "--json"], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "ORCHESTRATOR_ROOT": str(root), "ORCHESTRATOR_WORK_DIR": str(work)},
                          stdin=subprocess.DEVNULL, timeout=3600)
    try:
        document = json.loads(done.stdout)
    except ValueError:
        document = None
    return done.returncode == 0, time.monotonic() - started, document, done.stderr[-2000:]


def first_error(document: dict | None, stderr: str) -> str:
    for stack in (document or {}).get("stacks", []):
        if stack.get("error"):
            return f"{stack['name']}: {stack['error'].splitlines()[0]}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def environments(root: Path, work: Path, names: list[str]) -> list[str]:
    rows = ["| environment | validate | plan | apply | re-plan | destroy |", "|---|---|---|---|---|---|"]
    notes = []
    for env in names:
        cells = []
        phases = [("validate", ["validate", env]), ("plan", ["plan", env, "--provider", "moto"]),
                  ("apply", ["apply", env, "--provider", "moto", "--auto-approve"]),
                  ("re-plan", ["plan", env, "--provider", "moto"]),
                  ("destroy", ["destroy", env, "--provider", "moto", "--auto-approve"])]
        for phase, args in phases:
            ok, seconds, document, stderr = orchestrator(root, work, *args)
            if ok and phase == "re-plan":
                changed = [s["name"] for s in document["stacks"] if s["status"] != "no-changes"]
                if changed:
                    ok = False
                    notes.append(f"- {env} re-plan: changes in {', '.join(changed)}")
            if not ok and phase != "re-plan":
                notes.append(f"- {env} {phase}: {first_error(document, stderr)}")
            cells.append(f"{'pass' if ok else 'FAIL'} ({seconds:.0f} s)")
            print(f"{env} {phase}: {'pass' if ok else 'FAIL'} in {seconds:.1f}s", file=sys.stderr)
        rows.append(f"| {env} | " + " | ".join(cells) + " |")
    return rows + ([""] + notes if notes else [])


def modules(mirror: Path, endpoint: str, scratch: Path) -> list[str]:
    from plan_inventory import ModulePlanner, case_problems, cases, modules as module_names
    from test_modules_on_the_real_provider import moto_provider_block, real_provider_env

    scratch.mkdir(parents=True, exist_ok=True)
    env = real_provider_env(scratch, mirror, endpoint)
    rows = ["| module | validate | test cases planned as their inventory says |", "|---|---|---|"]
    notes = []
    for module in module_names():
        planner = ModulePlanner(module, scratch, env, provider_block=moto_provider_block(endpoint))
        valid = "Success" in planner.validate()
        mine = [c for c in cases() if c.module == module]
        passed = 0
        for case in mine:
            problems = case_problems(case, planner)
            if problems:
                notes.append(f"- {case.id}: {problems[0].splitlines()[-1]}")
            else:
                passed += 1
        rows.append(f"| {module} | {'pass' if valid else 'FAIL'} | {passed}/{len(mine)} |")
        print(f"{module}: validate {'pass' if valid else 'FAIL'}, {passed}/{len(mine)} cases", file=sys.stderr)
    return rows + ([""] + notes if notes else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", action="append", choices=ENVIRONMENTS, help="environments (default: all four)")
    parser.add_argument("--no-modules", action="store_true")
    parser.add_argument("--no-environments", action="store_true", help="the modules' table only")
    args = parser.parse_args()
    from orchestrator.config.project import Project
    from orchestrator.local_cloud import moto_server
    from orchestrator.tools import real_provider_mirror

    found = real_provider_mirror()
    if found is None:
        print("the real provider is not built: python -m orchestrator tools build terraform-provider-aws", file=sys.stderr)
        return 2
    mirror, version = found
    scratch = Path(tempfile.mkdtemp(prefix="conformance-"))
    work = scratch / "work"
    root = scratch / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", ".orchestrator", "__pycache__", "*.egg-info",
                                                              ".terraform", "*.tfstate*", ".pytest_cache"))
    os.environ["ORCHESTRATOR_WORK_DIR"] = str(work)
    project = Project(root)
    server = moto_server.up(project)
    try:
        print(f"hashicorp/aws {version} (built from source) against moto at {server.endpoint}\n")
        if not args.no_modules:
            print("\n".join(modules(mirror, server.endpoint, scratch / "modules")) + "\n")
        if not args.no_environments:
            print("\n".join(environments(root, work, args.env or ENVIRONMENTS)))
    finally:
        moto_server.down(project)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
