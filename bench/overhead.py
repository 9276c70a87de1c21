"""How much time does the orchestrator add on top of Terraform?

Runs the same Terraform work twice on terraform_data stacks (no provider, so only Terraform and
the orchestrator are measured):
  raw   - per stack, in dependency order: init, plan -out, apply the plan, output -json
          (what a person or a shell script would run by hand), strictly sequential;
  orch  - `python -m orchestrator apply ENV --auto-approve` with --parallelism 1, then N.
It prints wall times and ratios for the fixture's 6-stack DAG and for a synthetic 50-stack DAG,
and the orchestrator's own time per stack beyond Terraform's.

    python bench/overhead.py [--stacks 50] [--parallelism 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "project"
sys.path.insert(0, str(REPO))

from orchestrator import engine  # noqa: E402
from orchestrator.terraform.bundled import prepare_environment  # noqa: E402


def synthetic_project(root: Path, count: int) -> None:
    """A DAG of ``count`` stacks: a trunk with side branches, every stack fed by an upstream output."""
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".orchestrator"))
    lines = ["stacks:", "  s00:", "    module: step", "    template: step.tfvars.j2"]
    for index in range(1, count):
        parent = (index - 1) // 2  # a binary tree: wide enough to show parallelism
        lines += [f"  s{index:02d}:", "    module: step", "    template: step.tfvars.j2", "    inputs:", f"      upstream_a: s{parent:02d}.id"]
    (root / "stacks.yaml").write_text("\n".join(lines) + "\n")


def terraform_env() -> dict:
    environ = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    prepare_environment(environ)
    return environ


def raw_sequential(root: Path, env: str) -> float:
    """Plain Terraform, one stack after another, outputs passed by hand."""
    sys.path.insert(0, str(REPO))
    from orchestrator.config import hcl
    from orchestrator.config.project import Project
    from orchestrator.run.core import prepare

    project = Project(root)
    prepared = prepare(project, env)
    binary = engine.resolve_binary().path
    environ = terraform_env()
    outputs: dict[str, dict] = {}
    work = root / ".raw"
    started = time.perf_counter()
    for name in prepared.graph.order:
        stack = prepared.graph.stacks[name]
        directory = work / name
        shutil.copytree(stack.module_dir, directory)
        (directory / "env.tfvars").write_text(prepared.rendered[name].tfvars)
        upstream = {item.variable: outputs[item.stack][item.output] for item in stack.inputs}
        (directory / "upstream.tfvars").write_text(hcl.tfvars(upstream) if upstream else "")

        def tf(*args, capture=False):
            done = subprocess.run([binary, *args], cwd=directory, env=environ, check=True, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return done.stdout

        tf("init", "-input=false", "-no-color")
        tf("plan", "-input=false", "-no-color", "-var-file=env.tfvars", "-var-file=upstream.tfvars", "-out=plan.tfplan")
        tf("apply", "-input=false", "-no-color", "plan.tfplan")
        outputs[name] = {k: v["value"] for k, v in json.loads(tf("output", "-json", capture=True)).items()}
    return time.perf_counter() - started


def orchestrated(root: Path, env: str, parallelism: int) -> tuple[float, float]:
    """Wall time of an orchestrated apply, and the part of it spent in Terraform processes."""
    shutil.rmtree(root / ".orchestrator", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "orchestrator", "apply", env, "--auto-approve", "--parallelism", str(parallelism)],
        cwd=root,
        env=dict(os.environ, ORCHESTRATOR_ROOT=str(root)),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    # Every Terraform command's duration is in the stack's log: "# exit 0 after 0.123s, ended <time>".
    in_terraform = sum(
        float(match.group(1))
        for log in (root / ".orchestrator").rglob("terraform.log")
        for match in re.finditer(r"^# exit \d+ after ([\d.]+)s", log.read_text(), re.MULTILINE)
    )
    return wall, in_terraform


def measure(label: str, root: Path, stacks: int, parallelism: int, repeat: int) -> None:
    raws, ones, manys, own = [], [], [], []
    for _ in range(repeat):
        shutil.rmtree(root / ".raw", ignore_errors=True)
        raws.append(raw_sequential(root, "alpha"))
        wall, in_terraform = orchestrated(root, "alpha", 1)
        ones.append(wall)
        own.append(wall - in_terraform)
        manys.append(orchestrated(root, "alpha", parallelism)[0])
    raw, one, many, overhead = (statistics.median(x) for x in (raws, ones, manys, own))
    print(f"{label}: {stacks} stacks, median of {repeat}")
    print(f"  raw sequential terraform      {raw:7.2f} s")
    print(f"  orchestrator --parallelism 1  {one:7.2f} s   ratio {one / raw:.3f}")
    print(f"  orchestrator --parallelism {parallelism}  {many:7.2f} s   ratio {many / raw:.3f}")
    print(f"  orchestrator's own time (wall minus its Terraform processes, parallelism 1): {overhead:.2f} s"
          f" = {overhead / stacks * 1000:.0f} ms per stack, start-up included")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        fixture = Path(temporary) / "fixture"
        shutil.copytree(FIXTURE, fixture, ignore=shutil.ignore_patterns(".orchestrator"))
        measure("fixture DAG", fixture, 6, args.parallelism, args.repeat)
        synthetic = Path(temporary) / "synthetic"
        synthetic_project(synthetic, args.stacks)
        measure("synthetic DAG", synthetic, args.stacks, args.parallelism, max(1, args.repeat // 3))


if __name__ == "__main__":
    main()
