"""The package's layers, enforced: import-linter checks the contract declared in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports() -> list[str]:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if found is None:  # pragma: no cover - a test dependency
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    return [found]


def test_lower_layers_never_import_higher_ones():
    result = subprocess.run([*_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_names_every_sub_package():
    """A new sub-package must take its place in the layers, or the contract says nothing about it."""
    import tomllib

    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    named = {part.strip() for layer in contract["layers"] for part in layer.split("|")}
    packages = {f"orchestrator.{p.name}" for p in (ROOT / "orchestrator").iterdir() if (p / "__init__.py").exists()}
    assert packages <= named, f"sub-packages outside the layer contract: {sorted(packages - named)}"
