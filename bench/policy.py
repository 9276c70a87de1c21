"""What the policy stage adds to a whole-environment plan.

Plans the `local` environment (6 stacks, built-in provider) in a private copy of the project:
  off   - policy.checks: false;
  cold  - checks on, nothing cached (a fresh policy cache; checkov already installed);
  warm  - checks on, the same plans checked before (answers from the cache).
Prints the median wall time of each, what the checks add, and the checks' own time per stack.

    python bench/policy.py [--repeat 3] [--env local]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestrator.tools import layout, pypi  # noqa: E402


def plan(root: Path, env: str, cache_home: Path) -> tuple[float, dict]:
    environ = {**os.environ, "ORCHESTRATOR_ROOT": str(root), "XDG_CACHE_HOME": str(cache_home)}
    environ.pop("ORCHESTRATOR_WORK_DIR", None)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "orchestrator", "plan", env, "--json"], cwd=root, env=environ,
                          capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"plan failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout)


def cache_home(base: Path, name: str) -> Path:
    """An XDG cache of its own (an empty policy cache) that shares the installed tools."""
    home = base / name
    (home / "orchestrator").mkdir(parents=True)
    (home / "orchestrator" / "tools").symlink_to(layout.cache_root())
    return home


def set_checks(root: Path, env: str, on: bool) -> None:
    path = root / "environments" / f"{env}.yaml"
    config = yaml.safe_load(path.read_text())
    config.setdefault("policy", {})["checks"] = on
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--env", default="local")
    args = parser.parse_args()
    pypi.install("checkov")
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        root = base / "project"
        shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", ".orchestrator", "__pycache__", "*.egg-info"))
        times: dict[str, list[float]] = {"off": [], "cold": [], "warm": []}
        per_stack: dict[str, list[float]] = {"cold": [], "warm": []}
        plan(root, args.env, cache_home(base, "first"))  # providers installed, working directories made
        for run in range(args.repeat):
            set_checks(root, args.env, False)
            times["off"].append(plan(root, args.env, cache_home(base, f"off{run}"))[0])
            set_checks(root, args.env, True)
            home = cache_home(base, f"on{run}")
            for kind in ("cold", "warm"):
                seconds, document = plan(root, args.env, home)
                times[kind].append(seconds)
                per_stack[kind] += [s["policy"]["seconds"] for s in document["stacks"] if s.get("policy")]
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"plan {args.env}, {args.repeat} runs each, median wall time:")
    for kind, label in (("off", "checks off"), ("cold", "checks on, cold cache"), ("warm", "checks on, warm cache")):
        extra = f"  (+{median[kind] - median['off']:.2f} s)" if kind != "off" else ""
        print(f"  {label:<24} {median[kind]:6.2f} s{extra}")
    for kind in ("cold", "warm"):
        values = per_stack[kind]
        print(f"  checks per stack, {kind}: median {statistics.median(values):.3f} s, max {max(values):.3f} s "
              "(includes waiting for checkov to start, for the first stack)")


if __name__ == "__main__":
    main()
