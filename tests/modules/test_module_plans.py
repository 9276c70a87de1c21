"""Plan every module with every test case and match the plan against the case's inventory.

One generic test collects the cases (``tests/modules/<module>/<case>.tfvars`` + ``<case>.yaml``);
see plan_inventory.py for the inventory format and the command that writes one. Also: every
module is ``terraform fmt``-clean and passes ``terraform validate``, and its README's Inputs and
Outputs tables match variables.tf and outputs.tf (see readme_tables.py).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import readme_tables
from plan_inventory import (
    MODULES,
    Case,
    ModulePlanner,
    case_problems,
    cases,
    local_provider_env,
    modules,
)

pytestmark = [pytest.mark.terraform]

TERRAFORM = os.environ.get("TERRAFORM_BINARY", "terraform")


@pytest.fixture(scope="session")
def planners(tmp_path_factory):
    """One initialised copy per module, shared by all its cases."""
    root = tmp_path_factory.mktemp("module-plans")
    env = local_provider_env(root)
    made: dict[str, ModulePlanner] = {}

    def get(module: str) -> ModulePlanner:
        if module not in made:
            made[module] = ModulePlanner(module, root, env)
        return made[module]

    return get


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_plan_matches_inventory(case: Case, planners):
    if not case.inventory.is_file():
        pytest.fail(f"{case.id} has no inventory {case.inventory.name}; write it with: {case.regenerate_hint()}")
    problems = case_problems(case, planners(case.module))
    assert not problems, (
        f"{case.id}: the plan does not match {case.inventory.name}:\n  "
        + "\n  ".join(problems)
        + f"\nIf the change is intended, rewrite the inventory with: {case.regenerate_hint()}\n"
        "and cut it down to what the case is about."
    )


@pytest.mark.parametrize("module", modules())
def test_module_is_fmt_clean(module):
    done = subprocess.run([TERRAFORM, "fmt", "-check", "-recursive", "-list=true", str(MODULES / module)],
                          capture_output=True, text=True, env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    assert done.returncode == 0, f"not terraform fmt-clean: {done.stdout}{done.stderr}\nfix with: terraform fmt -recursive terraform_modules"


@pytest.mark.parametrize("module", modules())
def test_module_validates(module, planners):
    planners(module).validate()  # raises TerraformTestError with Terraform's diagnostics


@pytest.mark.parametrize("module", modules())
def test_module_has_cases(module):
    assert any(c.module == module for c in cases()), f"terraform_modules/{module} has no test case under tests/modules/{module}/"


_BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("module", modules())
def test_module_interface_is_documented(module):
    folder = MODULES / module
    problems = []
    for tf_file in sorted(folder.glob("*.tf")):
        for kind, name, body in _BLOCK.findall(tf_file.read_text()):
            if not re.search(r"^  description\s*=", body, re.MULTILINE):
                problems.append(f"{kind} {name}: no description")
            if kind == "variable" and not re.search(r"^  type\s*=", body, re.MULTILINE):
                problems.append(f"variable {name}: no type")
    assert not problems, f"terraform_modules/{module}:\n  " + "\n  ".join(problems)
    current, wanted = readme_tables.updated_readme(module)
    assert current == wanted, (
        f"the Inputs/Outputs tables of terraform_modules/{module}/README.md are out of date; "
        "rewrite them with: python tests/modules/readme_tables.py"
    )


def test_modules_declare_no_provider_or_backend():
    """Modules are pure: the orchestrator generates provider and backend configuration."""
    offenders = []
    for tf_file in sorted(Path(MODULES).glob("*/*.tf")):
        text = tf_file.read_text()
        if re.search(r'^provider\s+"', text, re.MULTILINE) or re.search(r'^\s*backend\s+"', text, re.MULTILINE):
            offenders.append(str(tf_file.relative_to(MODULES)))
    assert not offenders, f"provider or backend blocks in modules: {offenders}"
