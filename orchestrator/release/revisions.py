"""A project as it is at a git revision, read without touching the working tree.

``at_revision`` extracts ``git archive REF`` into a temporary folder; the returned project reads
its environments, templates, modules and stacks.yaml from there, while its working directories
and local state stay those of the real project (so plans of that revision read the real state).
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config.errors import InputError, Problem
from orchestrator.config.project import Project


@dataclass(frozen=True)
class RevisionProject(Project):
    """The project's files at a revision; runs (workdirs, local state) stay the real project's."""

    work_dir: Path = Path(".orchestrator")
    prefix: str = ""  # where the project lies in the repository ("" at its top)

    @property
    def runs_dir(self) -> Path:
        return self.work_dir

    def in_repository(self, path: Path) -> str:
        return (Path(self.prefix) / Path(path).resolve().relative_to(self.root.resolve())).as_posix()


def git(root: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=text)


def _usage_error(flag: str, reason: str) -> InputError:
    return InputError([Problem("<command line>", flag, reason)])


def resolve(root: Path, ref: str, flag: str) -> str:
    """The commit a ref names (full hash); a bad ref is bad input."""
    done = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise _usage_error(flag, f"{ref!r} is not a commit in the git repository at {root}")
    return done.stdout.strip()


def toplevel(root: Path) -> Path:
    done = git(root, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise _usage_error("--base", f"{root} is not inside a git repository")
    return Path(done.stdout.strip()).resolve()


def head_commit(root: Path) -> str | None:
    done = git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    return done.stdout.strip() or None


@contextmanager
def at_revision(project: Project, commit: str) -> Iterator[RevisionProject]:
    """The project at ``commit``, extracted to a temporary folder for the duration."""
    top = toplevel(project.root)
    archive = git(top, "archive", "--format=tar", commit, text=False)
    if archive.returncode != 0:
        raise _usage_error("--base", f"git archive {commit} failed: {archive.stderr.decode(errors='replace').strip()}")
    with tempfile.TemporaryDirectory(prefix="orchestrator-rev-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: refuse links and paths out of the folder
                tar.extractall(folder, filter="data")
            else:  # pragma: no cover - older patch releases; git archive writes no absolute paths
                tar.extractall(folder)
        inside = Path(folder) / os.path.relpath(project.root.resolve(), top)
        yield RevisionProject(inside, repository=top, work_dir=project.runs_dir, prefix=os.path.relpath(project.root.resolve(), top))
