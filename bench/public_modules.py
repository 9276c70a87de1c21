"""How far the public terraform-aws-modules examples get on the built-in local AWS provider.

    python bench/public_modules.py [--mirrors DIR] [--work DIR] [--json FILE] [--only SUBSTRING]

For each example of terraform-aws-modules vpc, alb, ecs, apigateway-v2 and security-group that needs
only the aws provider: ``init``, ``validate``, ``plan``, ``apply``, then ``plan -detailed-exitcode``
(clean = exit 0), with the provider block and sources as written. Registry sources of
terraform-aws-modules (``terraform-aws-modules/acm/aws``) are rewritten to local copies of those
repositories (and their ``version`` argument dropped); nothing else is changed.

The repositories come from ``fetch github:terraform-aws-modules/terraform-aws-NAME`` (git directories
under ``--mirrors``, default /work/.mirror); they are exported under ``--work`` (default
/tmp/public-modules-bench), never into the project. Prints one line per example and the totals;
``--json`` writes the details (stage reached, first error) as well.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.terraform.engine import resolve_binary  # noqa: E402
from orchestrator.local_provider import cli_environment  # noqa: E402

MEASURED = ("vpc", "alb", "ecs", "apigateway-v2", "security-group")
# Modules the examples call from the registry (terraform-aws-modules/NAME/aws).
HELPERS = ("vpc", "alb", "security-group", "acm", "s3-bucket", "autoscaling", "lambda", "ecs")
STAGES = ("init", "validate", "plan", "apply", "replan")
_REGISTRY = re.compile(r'(source\s*=\s*)"terraform-aws-modules/([a-z0-9-]+)/aws(//[^"]*)?"')
_LOCAL = re.compile(r'source\s*=\s*"(\.{1,2}/[^"]*)"')
_PROVIDER = re.compile(r'source\s*=\s*"(?:registry\.terraform\.io/)?([a-z0-9-]+/[a-z0-9-]+)"')


def export(mirrors: Path, name: str, dest: Path) -> bool:
    """The newest snapshot of terraform-aws-modules/terraform-aws-NAME, exported to ``dest``."""
    git_dir = mirrors / f"terraform-aws-modules+terraform-aws-{name}" / "repo"
    if not git_dir.is_dir():
        return False
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    files = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split()
    for path in files:
        if not path.endswith((".tf", ".json", ".tpl", ".yaml", ".yml", ".py", ".sh", ".zip", ".txt")):
            continue
        shown = subprocess.run(["git", "-C", str(git_dir), "show", f"HEAD:{path}"], capture_output=True)
        if shown.returncode == 0:
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            (dest / path).write_bytes(shown.stdout)
    return True


def rewrite_registry_sources(tf_file: Path, registry: Path) -> None:
    """terraform-aws-modules registry sources -> local copies; their version constraint dropped."""
    text = tf_file.read_text()
    if not _REGISTRY.search(text):
        return
    out, in_rewritten_module = [], False
    for line in text.splitlines(keepends=True):
        match = _REGISTRY.search(line)
        if match:
            target = registry / match.group(2) / (match.group(3) or "").lstrip("/")
            line = line[:match.start()] + f'{match.group(1)}"{os.path.relpath(target, tf_file.parent)}"' + line[match.end():]
            in_rewritten_module = True
        elif in_rewritten_module and re.match(r"\s*version\s*=", line):
            continue
        elif line.startswith("}"):
            in_rewritten_module = False
        out.append(line)
    tf_file.write_text("".join(out))


def module_dirs(root: Path) -> list[Path]:
    """``root`` and every local module it calls, transitively."""
    seen, todo = [], [root.resolve()]
    while todo:
        current = todo.pop()
        if current in seen or not current.is_dir():
            continue
        seen.append(current)
        for tf in current.glob("*.tf"):
            todo += [(current / m).resolve() for m in _LOCAL.findall(tf.read_text())]
    return seen


def providers_needed(root: Path) -> set[str]:
    needed = set()
    for directory in module_dirs(root):
        for tf in directory.glob("*.tf"):
            text = tf.read_text()
            for block in re.findall(r"required_providers\s*\{(.*?)\n\s*\}", text, re.S):
                needed |= set(_PROVIDER.findall(block))
            needed |= {f"resource:{p}" for p in re.findall(r'^\s*(?:resource|data)\s+"([a-z0-9]+)_', text, re.M)
                       if p not in ("aws", "terraform")}
    return needed


def run(workdir: Path, args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([resolve_binary().path, f"-chdir={workdir}", *args], capture_output=True, text=True,
                          env={**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", **env},
                          timeout=timeout, stdin=subprocess.DEVNULL)


def first_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("Error:") or line.startswith("│ Error:"):
            detail = " ".join(x.strip("│ ") for x in lines[i:i + 8] if x.strip("│ "))
            return detail[:400]
    return (output.strip().splitlines() or [""])[-1][:400]


def measure(example: Path, cache: Path) -> dict:
    """Run the five stages on one example; stop at the first that fails."""
    env = cli_environment(cache, example / ".local-cloud")
    env["AWS_REGION"] = env.get("AWS_REGION", "eu-west-1")
    steps = {
        "init": ["init", "-no-color", "-input=false", "-backend=false"],
        "validate": ["validate", "-no-color"],
        "plan": ["plan", "-no-color", "-input=false", "-out=tfplan", "-lock=false"],
        "apply": ["apply", "-no-color", "-input=false", "-lock=false", "tfplan"],
        "replan": ["plan", "-no-color", "-input=false", "-detailed-exitcode", "-lock=false"],
    }
    result = {"example": str(example), "passed": [], "error": ""}
    for stage in STAGES:
        started = time.monotonic()
        try:
            done = run(example, steps[stage], env)
        except subprocess.TimeoutExpired:
            result["error"] = f"{stage}: timed out"
            break
        result[f"{stage}_seconds"] = round(time.monotonic() - started, 1)
        if done.returncode != 0:
            if stage == "replan" and done.returncode == 2:
                changes = [line.strip() for line in done.stdout.splitlines()
                           if re.match(r"\s*#\s.*(will|must) be", line)]
                result["error"] = "replan: not clean: " + "; ".join(changes)[:600]
            else:
                result["error"] = f"{stage}: {first_error(done.stdout + done.stderr)}"
            break
        result["passed"].append(stage)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/public-modules-bench"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", default="")
    args = parser.parse_args()

    registry = args.work / "registry"
    for name in dict.fromkeys(MEASURED + HELPERS):
        if not export(args.mirrors, name, registry / name):
            print(f"missing: fetch github:terraform-aws-modules/terraform-aws-{name}", file=sys.stderr)
    for tf in registry.rglob("*.tf"):
        rewrite_registry_sources(tf, registry)

    results, excluded = [], []
    for name in MEASURED:
        for example in sorted(p for p in (registry / name / "examples").iterdir() if p.is_dir()):
            if args.only not in f"{name}/{example.name}":
                continue
            others = {p for p in providers_needed(example) if p != "hashicorp/aws"}
            if others:
                excluded.append({"example": f"{name}/{example.name}", "needs": sorted(others)})
                continue
            outcome = measure(example, args.work / "cache")
            outcome["example"] = f"{name}/{example.name}"
            results.append(outcome)
            reached = outcome["passed"][-1] if outcome["passed"] else "-"
            print(f"{outcome['example']:<40} {reached:<9} {outcome['error'][:160]}", flush=True)

    totals = {stage: sum(stage in r["passed"] for r in results) for stage in STAGES}
    print(f"\n{len(results)} examples need only hashicorp/aws ({len(excluded)} others left out: "
          + ", ".join(f"{e['example']} ({'/'.join(e['needs'])})" for e in excluded) + ")")
    print("  ".join(f"{stage}: {totals[stage]}/{len(results)}" for stage in STAGES))
    if args.json:
        args.json.write_text(json.dumps({"totals": totals, "examples": results, "excluded": excluded}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
