"""Files generated from the project and committed with it: atlantis.yaml and the GitHub workflows.

Each is an ``Artefact``: the files it is made of, with the text each should hold now, and the command
that writes them. The same description serves ``--write`` (write them), ``--check`` (a unified diff of
the committed files against what would be generated; exit 1 when they differ) and ``validate``, which
warns when a committed artefact no longer matches the environments (an environment was added, say).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config.errors import OrchestratorError
from orchestrator.config.project import Project
from orchestrator.release import atlantis, github


@dataclass(frozen=True)
class Artefact:
    name: str  # what people call it
    regenerate: str  # the command that writes it
    files: dict[Path, str | None]  # each file and the text it should hold (None: a generated file that should be gone)


def atlantis_config(project: Project) -> Artefact:
    return Artefact(atlantis.FILE_NAME, "python -m orchestrator atlantis-config --write",
                    {project.root / atlantis.FILE_NAME: atlantis.render(project)})


def github_workflows(project: Project) -> Artefact:
    return Artefact(github.WORKFLOWS_DIR, "python -m orchestrator ci-config github", github.planned(project))


ARTEFACTS = (atlantis_config, github_workflows)


def unified_diff(before: str | None, after: str | None, name: str) -> str:
    """A diff as git prints it; None is a file that does not exist."""
    return "".join(difflib.unified_diff((before or "").splitlines(True), (after or "").splitlines(True),
                                        f"a/{name}" if before is not None else "/dev/null",
                                        f"b/{name}" if after is not None else "/dev/null"))


def diff(project: Project, artefact: Artefact) -> str:
    """How the files on disk differ from what would be generated ("" when current)."""
    parts = []
    for path, wanted in artefact.files.items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != wanted:
            parts.append(unified_diff(current, wanted, project.display(path)))
    return "".join(parts)


def write(artefact: Artefact) -> list[Path]:
    """Write the artefact's files, remove those that should be gone; the files written."""
    for path, wanted in artefact.files.items():
        if wanted is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted, encoding="utf-8")
    return [path for path, wanted in artefact.files.items() if wanted is not None]


def stale_warnings(project: Project) -> list[str]:
    """For validate: each committed artefact that no longer matches the project (one that is not there is not used)."""
    warnings = []
    for make in ARTEFACTS:
        try:
            artefact = make(project)
        except OrchestratorError as error:  # another environment does not load: validate of that one says why
            warnings.append(f"cannot tell whether the generated files are current: {error}")
            continue
        used = any(path.is_file() for path in artefact.files)
        if used and diff(project, artefact):
            warnings.append(f"{artefact.name} is stale (it no longer matches stacks.yaml and environments/): "
                            f"regenerate it with `{artefact.regenerate}`; `--check` shows the difference")
    return warnings
