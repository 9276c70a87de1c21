"""How long `apply local` takes, and where the time goes (target: <= 6 s on the 2-core machine).

Applies the `local` environment's whole DAG (6 stacks, five deep, built-in provider) as a user
would, `python -m orchestrator apply local --auto-approve` with the bundled Terraform, in a fresh
private copy of the project each time. Variants, each run --repeat times:

  pool      the default: the run's pool of provider processes, reattached by every command
  no-pool   ORCHESTRATOR_PROVIDER_POOL=0: Terraform starts the provider itself for each use
  policy    the default with the policy stage on (checkov; its cache warmed by one run first)

The policy stage is off in pool and no-pool (`policy: {checks: false}` in the copy), as in
bench/peers.py: its cost is bench/policy.py's subject. For the median run of each variant, the
breakdown along the critical path (the chain of stacks that finished last): Python start-up
(launch to the first Terraform command), each Terraform command kind (init, plan, show, apply,
output; each counted from where the one before it ended, so an init done ahead, while an upstream
ran, counts nothing), the orchestrator's own time between them, and its end (summary, exit). It reads every
command's duration and end time from the stacks' terraform.log ("# exit 0 after 0.512s, ended
<time>"). The provider's start is what a plan or an apply costs more without the pool.

The engine is the bundled Terraform unless --terraform names another (it becomes TERRAFORM_BIN).

    python bench/apply_local.py [--repeat 5] [--variants pool,no-pool,policy] [--terraform bundled] [--json FILE]
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
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestrator.config.graph import load_graph  # noqa: E402
from orchestrator.config.project import Project  # noqa: E402
from orchestrator.terraform.engine import resolve_binary  # noqa: E402

ENV = "local"
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", ".orchestrator", "__pycache__", "*.egg-info", ".pytest_cache",
                                     ".hypothesis", ".ruff_cache", ".import_linter_cache", "node_modules")
EXIT_LINE = re.compile(r"^# exit (\d+) after ([\d.]+)s, ended (\S+)$")
VARIANTS = {
    "pool": {"policy": False, "environ": {}},
    "no-pool": {"policy": False, "environ": {"ORCHESTRATOR_PROVIDER_POOL": "0"}},
    "policy": {"policy": True, "environ": {}},
}


def fresh_copy(work: Path, policy: bool) -> Path:
    root = work / "project"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO, root, ignore=COPY_IGNORE, symlinks=True)
    if not policy:
        env_file = root / "environments" / f"{ENV}.yaml"
        data = yaml.safe_load(env_file.read_text())
        data.setdefault("policy", {})["checks"] = False
        env_file.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def commands(log: Path) -> list[dict]:
    """Every Terraform command in a stack's log: its kind, duration and start and end (epoch seconds)."""
    found, kind = [], None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("$ "):
            kind = line[2:].split()[0]
        match = EXIT_LINE.match(line)
        if match and kind:
            seconds = float(match.group(2))
            ended = datetime.fromisoformat(match.group(3)).timestamp()
            found.append({"kind": kind, "code": int(match.group(1)), "seconds": seconds, "start": ended - seconds, "end": ended})
            kind = None
    return found


def critical_path(by_stack: dict[str, list[dict]], upstreams: dict[str, set[str]]) -> list[str]:
    """The stack that finished last, then the upstream it waited for longest, and so on."""
    last = max(by_stack, key=lambda name: by_stack[name][-1]["end"])
    path = [last]
    while True:
        waited = [u for u in upstreams[path[-1]] if u in by_stack]
        if not waited:
            return list(reversed(path))
        path.append(max(waited, key=lambda name: by_stack[name][-1]["end"]))


def breakdown(on_path: list[dict], first: float) -> tuple[dict[str, float], float]:
    """Seconds of the critical path per command kind, and the gaps between its commands (``on_path``:
    the path's stacks in order, each stack's commands in order).

    Only what lies on the path counts: a command done ahead (an init while an upstream ran) adds
    nothing, and a command counts from where the one before it ended."""
    kinds, between, cursor = defaultdict(float), 0.0, first
    for command in on_path:  # in path order: stack after stack, each stack's commands in order
        between += max(0.0, command["start"] - cursor)
        kinds[command["kind"]] += max(0.0, command["end"] - max(command["start"], cursor))
        cursor = max(cursor, command["end"])
    return dict(kinds), between


def run_once(work: Path, variant: str, upstreams: dict[str, set[str]], terraform: str) -> dict:
    settings = VARIANTS[variant]
    root = fresh_copy(work, settings["policy"])
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "ORCHESTRATOR_"))}
    environ.update(settings["environ"], ORCHESTRATOR_ROOT=str(root), TERRAFORM_BIN=terraform)
    argv = [sys.executable, "-m", "orchestrator", "apply", ENV, "--auto-approve"]
    launched, started = time.time(), time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=environ, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{variant}: {' '.join(argv)} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    by_stack = {log.parent.name: commands(log) for log in (root / ".orchestrator" / ENV).glob("*/terraform.log")}
    path = critical_path(by_stack, upstreams)
    on_path = [c for name in path for c in by_stack[name]]
    first = min(c["start"] for cs in by_stack.values() for c in cs)
    kinds, between = breakdown(on_path, first)
    every = [c for cs in by_stack.values() for c in cs]
    return {
        "variant": variant, "wall": wall, "path": path,
        "startup": first - launched, "between": between, "end": launched + wall - on_path[-1]["end"],
        "kinds": kinds,
        "per_command": {kind: statistics.median(c["seconds"] for c in every if c["kind"] == kind)
                        for kind in {c["kind"] for c in every}},
        "processes": len(every),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variants", default="pool,no-pool", help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--terraform", default="bundled", help="TERRAFORM_BIN for the runs (default: bundled)")
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    graph = load_graph(Project(REPO))
    upstreams = {name: set(stack.upstreams) for name, stack in graph.stacks.items()}
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-apply-local-") as temporary:
        work = Path(temporary)
        for variant in variants:
            if VARIANTS[variant]["policy"]:
                run_once(work, variant, upstreams, args.terraform)  # fills checkov's answer cache; not counted
            runs[variant] = []
            for attempt in range(args.repeat):
                result = run_once(work, variant, upstreams, args.terraform)
                runs[variant].append(result)
                print(f"{variant:8} run {attempt + 1}: {result['wall']:.2f} s", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    binary = resolve_binary({**os.environ, "TERRAFORM_BIN": args.terraform}).path
    engine = subprocess.run([binary, "version"], capture_output=True, text=True).stdout.splitlines()[:1]
    print(f"\n`apply {ENV} --auto-approve`, whole DAG, fresh copy each run; {engine[0] if engine else binary}; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the end; median (min-max) of {args.repeat}")
    print(f"{'variant':9} {'wall':>22}  Terraform processes")
    for variant, results in runs.items():
        walls = [r["wall"] for r in results]
        print(f"{variant:9} {statistics.median(walls):6.2f} s ({min(walls):.2f}-{max(walls):.2f})   {results[0]['processes']}")
    for variant, results in runs.items():
        median = sorted(results, key=lambda r: r["wall"])[len(results) // 2]
        print(f"\n{variant}: the median run ({median['wall']:.2f} s), critical path {' -> '.join(median['path'])}")
        rows = [("Python start-up (launch to first command)", median["startup"])]
        for kind in ("init", "plan", "show", "apply", "output"):
            if kind in median["kinds"]:
                rows.append((f"terraform {kind} (on the path)", median["kinds"][kind]))
        rows += [("orchestrator between commands", median["between"]), ("end (summary, exit)", median["end"])]
        for label, seconds in rows:
            print(f"  {label:44} {seconds:5.2f} s")
        per = ", ".join(f"{k} {v:.2f} s" for k, v in sorted(median["per_command"].items()))
        print(f"  one command, median over the run: {per}")
    if "pool" in runs and "no-pool" in runs:
        for kind in ("plan", "apply"):
            with_pool = statistics.median(r["per_command"][kind] for r in runs["pool"])
            without = statistics.median(r["per_command"][kind] for r in runs["no-pool"])
            print(f"provider start, {kind}: {without:.2f} s without the pool, {with_pool:.2f} s with it "
                  f"({without - with_pool:+.2f} s per command is Terraform starting the provider)")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
