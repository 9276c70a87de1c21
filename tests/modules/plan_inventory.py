"""Module plan tests: test cases as tfvars, expected plan values as YAML inventories.

Layout, one folder per module of ``terraform_modules/``::

    tests/modules/<module>/<case>.tfvars   the variables of one test case
    tests/modules/<module>/<case>.yaml     its inventory: what the plan must hold

An inventory is matched as a *subset* of the plan, so it names only what matters::

    values:                       # resource address -> attributes (nested dicts/lists matched as subsets)
      aws_lb.this:
        internal: true
    counts:                       # resource type -> number of planned resources (0 allowed)
      aws_lb: 1
    outputs:                      # output -> planned value (only outputs known at plan time)
      alb_internal: true
    error: "internal = false is refused"   # instead of the above: the plan must fail with this text

The variables a module receives from upstream stacks are not repeated in the cases: the
placeholders of ``stacks.yaml`` feed them (a case may override them), which also proves that every
placeholder passes its variable's validation.

Write (or rewrite) an inventory from the current plan, then cut it down to what the case is about::

    python tests/modules/plan_inventory.py MODULE CASE
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tftest
import yaml

from orchestrator.local_provider import cli_environment

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODULES = REPO / "terraform_modules"
STACKS_FILE = REPO / "stacks.yaml"
REGION = "eu-west-1"
PROVIDER_FILE = "_test_provider.tf"
PLACEHOLDER_FILE = "_placeholders.auto.tfvars.json"

# Planned attributes that say nothing about a module (and vary with the provider's version).
NOISE = {"tags_all", "timeouts", "region"}


@dataclass(frozen=True)
class Case:
    module: str
    name: str

    @property
    def tfvars(self) -> Path:
        return HERE / self.module / f"{self.name}.tfvars"

    @property
    def inventory(self) -> Path:
        return HERE / self.module / f"{self.name}.yaml"

    @property
    def id(self) -> str:
        return f"{self.module}/{self.name}"

    def regenerate_hint(self) -> str:
        return f"python {Path(__file__).relative_to(REPO)} {self.module} {self.name}"


def modules() -> list[str]:
    return sorted(p.name for p in MODULES.iterdir() if (p / "versions.tf").is_file())


def cases() -> list[Case]:
    return [Case(p.parent.name, p.stem) for p in sorted(HERE.glob("*/*.tfvars"))]


def placeholders(module: str) -> dict:
    """The stacks.yaml placeholders of the inputs of the stack(s) applying ``module``; a placeholder
    the environment decides (a Jinja expression) as the project's ``local`` environment decides it
    (a case that needs another value sets the variable itself)."""
    from orchestrator.config.environment import EnvironmentLoader
    from orchestrator.config.graph import load_graph
    from orchestrator.config.project import Project

    project = Project(REPO)
    context = EnvironmentLoader(project).load("local").context()
    values = {}
    for stack in load_graph(project).stacks.values():
        if stack.module == module:
            for item in stack.inputs:
                value = item.placeholder_value(context)
                if not (isinstance(value, str) and value.startswith("placeholder:")):
                    values[item.variable] = value
    return values


def local_provider_env(workdir: Path) -> dict[str, str]:
    """Environment that makes Terraform use the project's local provider."""
    env = dict(cli_environment(workdir / "plugin-cache", workdir / "cloud"))
    env.update({"CHECKPOINT_DISABLE": "1", "AWS_REGION": REGION})
    return env


class ModulePlanner:
    """A pristine copy of one module in a temporary folder, initialised once, planned per case."""

    def __init__(self, module: str, root: Path, env: dict[str, str], provider_block: str | None = None):
        self.module = module
        self.dir = root / module
        shutil.copytree(MODULES / module, self.dir, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        (self.dir / PROVIDER_FILE).write_text(provider_block or f'provider "aws" {{\n  region = "{REGION}"\n}}\n')
        (self.dir / PLACEHOLDER_FILE).write_text(json.dumps(placeholders(module), indent=2))
        self.tf = tftest.TerraformTest(self.dir, binary=os.environ.get("TERRAFORM_BINARY", "terraform"), env=env)
        self.tf.setup(backend=False, cleanup_on_exit=False)

    def validate(self) -> str:
        return self.tf.execute_command("validate", "-no-color").out

    def plan(self, tfvars: Path) -> tftest.TerraformPlanOutput:
        return self.tf.plan(output=True, tf_var_file=str(tfvars))


# --- matching ------------------------------------------------------------------------------------


def subset_problems(expected, actual, path: str = "") -> list[str]:
    """Where ``expected`` is not contained in ``actual`` (dict keys and list items, recursively)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping, plan has {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing from the plan (absent, or unknown until apply)")
            else:
                problems += subset_problems(value, actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, plan has {actual!r}"]
        problems = []
        for index, (want, have) in enumerate(zip(expected, actual)):
            problems += subset_problems(want, have, f"{path}[{index}]")
        return problems
    if expected != actual:
        return [f"{path}: expected {expected!r}, plan has {actual!r}"]
    return []


def resource_values(plan) -> dict[str, dict]:
    return {address: r["values"] for address, r in plan.resources.items() if r.get("mode", "managed") == "managed"}


def resource_counts(plan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in plan.resources.values():
        if r.get("mode", "managed") == "managed":
            counts[r["type"]] = counts.get(r["type"], 0) + 1
    return counts


def planned_outputs(plan) -> dict:
    """Outputs known at plan time (unknown ones have no value in the plan)."""
    raw = plan._raw.get("planned_values", {}).get("outputs", {})
    return {name: o["value"] for name, o in raw.items() if isinstance(o, dict) and "value" in o}


def check(plan, inventory: dict) -> list[str]:
    problems = []
    values = resource_values(plan)
    for address, expected in (inventory.get("values") or {}).items():
        if address not in values:
            problems.append(f"{address}: not in the plan (planned: {', '.join(sorted(values))})")
        else:
            problems += subset_problems(expected, values[address], address)
    counts = resource_counts(plan)
    for type_name, expected in (inventory.get("counts") or {}).items():
        if counts.get(type_name, 0) != expected:
            problems.append(f"count of {type_name}: expected {expected}, plan has {counts.get(type_name, 0)}")
    outputs = planned_outputs(plan)
    for name, expected in (inventory.get("outputs") or {}).items():
        if name not in outputs:
            problems.append(f"output {name}: not in the plan, or unknown until apply")
        else:
            problems += subset_problems(expected, outputs[name], f"output {name}")
    return problems


def normalise_text(text: str) -> str:
    """Terraform wraps and decorates its diagnostics; compare words only."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return " ".join(text.replace("│", " ").split())


# --- writing an inventory ------------------------------------------------------------------------


def _without_noise(value):
    if isinstance(value, dict):
        return {k: _without_noise(v) for k, v in value.items() if k not in NOISE and v not in (None, [], {})}
    if isinstance(value, list):
        return [_without_noise(v) for v in value]
    return value


def inventory_from_plan(plan) -> dict:
    return {
        "values": {address: _without_noise(v) for address, v in sorted(resource_values(plan).items())},
        "counts": dict(sorted(resource_counts(plan).items())),
        "outputs": dict(sorted(planned_outputs(plan).items())),
    }


def write_inventory(case: Case) -> Path:
    with tempfile.TemporaryDirectory(prefix="module-plan-") as tmp:
        env = local_provider_env(Path(tmp))
        plan = ModulePlanner(case.module, Path(tmp), env).plan(case.tfvars)
        document = inventory_from_plan(plan)
    header = (
        f"# Expected plan of terraform_modules/{case.module} with {case.name}.tfvars, matched as a subset.\n"
        f"# Written by: {case.regenerate_hint()}\n# Then cut down to what this case is about.\n"
    )
    case.inventory.write_text(header + yaml.safe_dump(document, sort_keys=False, width=100))
    return case.inventory


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    case = Case(*argv)
    if not case.tfvars.is_file():
        print(f"no test case {case.tfvars}", file=sys.stderr)
        return 2
    print(f"wrote {write_inventory(case).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main(sys.argv[1:]))


def case_problems(case: Case, planner: ModulePlanner) -> list[str]:
    """Where planning a case differs from its inventory (its expected values, or its expected refusal)."""
    inventory = yaml.safe_load(case.inventory.read_text()) or {}
    try:
        plan = planner.plan(case.tfvars)
    except tftest.TerraformTestError as failure:
        output = "\n".join(str(part) for part in failure.args)
        expected = inventory.get("error")
        if expected and normalise_text(expected) in normalise_text(output):
            return []
        return [f"the plan failed, but not with {expected!r}:\n{output}" if expected else f"the plan failed:\n{output}"]
    if "error" in inventory:
        return [f"planned, but the inventory expects the error {inventory['error']!r}"]
    return check(plan, inventory)
