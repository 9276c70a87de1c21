"""Python tools from PyPI, pinned, each in its own virtual environment in the tools cache.

checkov pins its own dependency tree (its ``bc-python-hcl2`` is imported as ``hcl2``, as is the
``python-hcl2`` the orchestrator reads modules with), so it cannot share the orchestrator's
environment. It is installed once, by the first command that needs it or by
``python -m orchestrator tools build checkov``, into
``<cache>/<name>/<version>/venv`` and run as ``<venv>/bin/python -m <entry>``.

The environment is made in a staging folder and renamed into place only when pip exits 0, so a
failed or interrupted install never looks installed; ``build.json`` records what it cost.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.tools import layout, measure


@dataclass(frozen=True)
class PythonTool:
    name: str
    version: str
    entry: str  # the module run with ``python -m``
    note: str = ""

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


PYTHON_TOOLS: tuple[PythonTool, ...] = (
    PythonTool("checkov", "3.3.30", "checkov.main", note="policy checks of plans (orchestrator/policy) and of the modules"),
)
_BY_NAME = {item.name: item for item in PYTHON_TOOLS}


class InstallError(RuntimeError):
    pass


def python_tool(name: str) -> PythonTool:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown Python tool {name!r}; known: {', '.join(_BY_NAME)}") from None


def directory(item: PythonTool) -> Path:
    return layout.cache_root() / item.name / item.version


def interpreter(name: str) -> Path | None:
    """The Python of the tool's environment, when the tool is installed; else None."""
    item = python_tool(name)
    python = directory(item) / "venv" / "bin" / "python"
    return python if python.exists() and (directory(item) / layout.RECORD).is_file() else None


def command(name: str) -> list[str] | None:
    """How to run the installed tool (``[python, -m, entry]``), or None."""
    python = interpreter(name)
    return [str(python), "-m", python_tool(name).entry] if python else None


def install(name: str, on_line: Callable[[str], None] | None = None) -> Path:
    """Install the pinned tool unless it is installed; its interpreter. Raises InstallError."""
    found = interpreter(name)
    if found is not None:
        return found
    item = python_tool(name)
    folder = directory(item)
    folder.mkdir(parents=True, exist_ok=True)
    with _lock(folder):
        found = interpreter(name)
        if found is not None:  # installed by another process while this one waited
            return found
        return _install_locked(item, folder, on_line or (lambda text: None))


@contextlib.contextmanager
def _lock(folder: Path):
    import fcntl

    with open(folder / ".install.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _install_locked(item: PythonTool, folder: Path, on_line: Callable[[str], None]) -> Path:
    for stale in folder.glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)
    stage = folder / f".build-{os.getpid()}"
    venv = stage / "venv"
    started = time.monotonic()
    cpu, peak = 0.0, 0
    with open(folder / layout.LOG, "w") as log:
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
             item.requirement],
        ]
        try:
            for argv in steps:
                log.write(f"$ {' '.join(argv)}\n")
                log.flush()
                done = measure.run(argv, cwd=None, env={**os.environ, "PIP_NO_INPUT": "1"}, log=log, on_line=on_line)
                cpu, peak = cpu + done.cpu_seconds, max(peak, done.peak_rss_bytes)
                if done.returncode != 0:
                    shutil.rmtree(stage, ignore_errors=True)
                    raise InstallError(f"installing {item.requirement} failed (exit {done.returncode}); see {folder / layout.LOG}")
            target = folder / "venv"
            shutil.rmtree(target, ignore_errors=True)  # a half-made one from before the record existed
            os.replace(venv, target)  # `python -m` needs no script shebangs: the rename is safe
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    _check(item, folder)
    layout.write_json(folder / layout.RECORD, {
        "name": item.name, "version": item.version, "requirement": item.requirement, "method": "pypi",
        "status": "ok", "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.monotonic() - started, 1), "cpu_seconds": round(cpu, 1), "peak_rss_bytes": peak,
        "disk": {"tool_dir_bytes": measure.dir_bytes(folder)},
    })
    return folder / "venv" / "bin" / "python"


def _check(item: PythonTool, folder: Path) -> None:
    """The installed tool answers with its pinned version (else the install is not kept)."""
    python = folder / "venv" / "bin" / "python"
    done = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({item.name!r}))"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or done.stdout.strip() != item.version:
        shutil.rmtree(folder / "venv", ignore_errors=True)
        raise InstallError(f"{item.name}: installed version {done.stdout.strip() or done.stderr.strip()!r}, not {item.version}")
