"""Where a project's files are: environments, templates, modules, the stack graph, run state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config.errors import InputError, Problem

STACKS_FILE = "stacks.yaml"


@dataclass(frozen=True)
class Project:
    root: Path
    # The git repository the project's files came from, when they were extracted from it (a revision
    # pr-plan reads); None: the repository holding ``root``, if any.
    repository: Path | None = None

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        """The nearest directory at or above ``start`` (or $ORCHESTRATOR_ROOT) holding stacks.yaml."""
        named = os.environ.get("ORCHESTRATOR_ROOT")
        start = Path(named or start or Path.cwd()).resolve()
        for candidate in (start, *start.parents):
            if (candidate / STACKS_FILE).is_file():
                return cls(candidate)
            if named:
                break
        raise InputError(
            [Problem(str(start), "", f"no {STACKS_FILE} here or above; run inside a project or pass --root")]
        )

    def in_repository(self, path: Path) -> str:
        """``path`` relative to the top of the project's git repository (``repository``)."""
        return Path(path).resolve().relative_to(self.repository.resolve()).as_posix()

    @property
    def stacks_file(self) -> Path:
        return self.root / STACKS_FILE

    @property
    def environments_dir(self) -> Path:
        return self.root / "environments"

    @property
    def defaults_file(self) -> Path:
        return self.environments_dir / "defaults.yaml"

    @property
    def templates_dir(self) -> Path:
        return self.environments_dir / "templates"

    @property
    def modules_dir(self) -> Path:
        return self.root / "terraform_modules"

    @property
    def runs_dir(self) -> Path:
        """Working directories, plans, logs and local state: never inside module sources."""
        return Path(os.environ.get("ORCHESTRATOR_WORK_DIR") or self.root / ".orchestrator")

    def contains(self, path: Path) -> bool:
        """True when ``path`` (after following symlinks) lies inside the project."""
        try:
            Path(path).resolve().relative_to(self.root.resolve())
            return True
        except ValueError:
            return False

    def display(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)
