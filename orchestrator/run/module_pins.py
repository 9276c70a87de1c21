"""Modules pinned per environment: each stack's module as it is at a git commit or tag.

An environment may run ``terraform_modules/`` as it was at a ref (``modules.ref``, or one stack's
``modules.stacks.<stack>``) instead of as it is in the working tree, so that a module edit merged for
dev reaches staging and prod only when ``promote`` moves their pin. The module's folder is taken from
the repository at that commit (``git archive``) into a cache of the runs (one folder per commit and
module, written once, atomically) and the stack graph points there: everything downstream (module
declarations, the tfvars check, working directories, fingerprints, pr-plan's change detection) reads
the module at the pin without knowing it. Templates follow the working tree; a template that renders a
variable the pinned module does not declare is refused, naming the ref.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from orchestrator.config import module_info
from orchestrator.config.environment import LoadedEnvironment
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.graph import StackGraph
from orchestrator.config.project import Project


def _git(repository: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess:
    # never a credential prompt in the middle of a run: a fetch that needs one fails and says so
    environ = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=text, env=environ, timeout=300)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 1, "" if text else b"", f"git {args[0]} took more than 300 s" if text else b"")


def repository_of(project: Project) -> Path | None:
    if project.repository is not None:
        return project.repository
    done = _git(project.root, "rev-parse", "--show-toplevel")
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 else None


def _with_repository(project: Project, repository: Path) -> Project:
    return project if project.repository is not None else dataclasses.replace(project, repository=repository)


def pins(env: LoadedEnvironment, graph: StackGraph) -> dict[str, str]:
    """stack -> the ref its module is pinned to (stacks without a pin follow the working tree; optional
    stacks the environment does not run need no module at its pin)."""
    config = env.config.modules
    return {name: config.stacks.get(name) or config.ref for name in graph.stacks
            if (config.stacks.get(name) or config.ref) and name not in env.absent_stacks}


def pinned_graph(project: Project, env: LoadedEnvironment, graph: StackGraph) -> StackGraph:
    """``graph`` with each pinned stack's module taken from its ref; bad input naming the ref otherwise."""
    wanted = pins(env, graph)
    if not wanted:
        return graph
    where = project.display(env.files[-1])
    repository = repository_of(project)
    if repository is None:
        raise InputError([Problem(where, "modules.ref", f"pins modules to {sorted(set(wanted.values()))}, but {project.root} "
                                                        "is not in a git repository to take them from")])
    problems, stacks, commits = [], dict(graph.stacks), {}
    for name, ref in wanted.items():
        key = f"modules.stacks.{name}" if env.config.modules.stacks.get(name) else "modules.ref"
        if ref not in commits:
            commits[ref], missing = _commit_of(repository, ref)
            if commits[ref] is None:
                problems.append(Problem(where, key, missing))
        commit = commits[ref]
        if commit is None:
            continue
        stack = graph.stacks[name]
        label = ref if ref.startswith(commit[:7]) else f"{ref} ({commit[:12]})"
        relative = _with_repository(project, repository).in_repository(stack.module_dir)
        folder = _materialise(project, repository, commit, relative)
        if folder is None:
            problems.append(Problem(where, key, f"module {stack.module!r} (stack {name}) is not in {label}: "
                                                f"{relative}/ does not exist at that commit"))
            continue
        declared = module_info.read(folder).variables
        for item in stack.inputs:
            if item.variable not in declared:
                problems.append(Problem(where, key, f"module {stack.module!r} at {label} declares no variable {item.variable!r}, "
                                                    f"which stacks.yaml feeds from {item.reference}"))
        stacks[name] = dataclasses.replace(stack, module_dir=folder, module_ref=label, module_commit=commit)
    if problems:
        raise InputError(problems)
    return StackGraph(stacks, dict(graph.highlights))


def _commit_of(repository: Path, ref: str) -> tuple[str | None, str]:
    """The commit ``ref`` names, fetched from the remote when this clone lacks it; or why not.

    Clones made for CI and pull-request automation are shallow and single-branch (Atlantis's default
    checkout is ``git clone --depth=1 --single-branch``): a pinned commit or tag is usually not in them.
    It is fetched from ``origin``, that one commit only (``--depth=1``), and kept for the next run.
    """
    kept = f"refs/pins/{ref}"  # where a ref fetched before is kept (a tag fetched alone makes no tag)
    found = _verify(repository, ref) or _verify(repository, kept)
    if found:
        return found, ""
    remote = _git(repository, "remote", "get-url", "origin")
    if remote.returncode != 0:
        return None, f"{ref!r} is not a commit or tag of the repository at {repository} (and it has no remote 'origin' to fetch it from)"
    shallow = _git(repository, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    print(f"fetching modules at {ref} from origin ({'a shallow' if shallow else 'this'} clone lacks that commit)", file=sys.stderr)
    fetched = _git(repository, "fetch", "--quiet", "--no-tags", "--depth=1", "origin", ref)
    found = _verify(repository, ref) or (_verify(repository, "FETCH_HEAD") if fetched.returncode == 0 else None)
    if found:
        _git(repository, "update-ref", kept, found)
        return found, ""
    why = (fetched.stderr.strip().splitlines() or ["no such ref"])[-1]
    if all(c in "0123456789abcdef" for c in ref) and len(ref) < 40:
        why += " (an abbreviated commit cannot be fetched: write its full 40-character hash)"
    return None, (f"{ref!r} is not a commit or tag of the repository at {repository}, nor could it be fetched "
                  f"from origin: {why}")


def _verify(repository: Path, ref: str) -> str | None:
    done = _git(repository, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return done.stdout.strip() if done.returncode == 0 else None


def commits(project: Project, graph: StackGraph, names: list[str]) -> dict[str, str | None]:
    """stack -> the commit its module comes from: the pin's, or the working tree's HEAD when the module
    has no uncommitted change there (None otherwise: no commit holds what runs)."""
    repository = repository_of(project)
    head = _git(repository, "rev-parse", "--verify", "--quiet", "HEAD").stdout.strip() if repository else ""
    found = {}
    for name in names:
        stack = graph.stacks[name]
        if stack.module_commit:
            found[name] = stack.module_commit
        elif head and not _git(repository, "status", "--porcelain", "--", str(stack.module_dir)).stdout.strip():
            found[name] = head
        else:
            found[name] = None
    return found


def changed_files(project: Project, old: str, new: str, module_dirs: list[Path]) -> list[str]:
    """``git diff --stat``-like lines of what differs in these module folders between two commits."""
    repository = repository_of(project)
    relative = [_with_repository(project, repository).in_repository(d) for d in module_dirs]
    done = _git(repository, "diff", "--stat=200", old, new, "--", *relative)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def resolve(project: Project, ref: str) -> str | None:
    repository = repository_of(project)
    return _commit_of(repository, ref)[0] if repository else None


def _materialise(project: Project, repository: Path, commit: str, relative: str) -> Path | None:
    """The module folder ``relative`` at ``commit``, extracted once into the runs' cache; None when absent there."""
    folder = project.runs_dir / "modules" / commit / relative
    if folder.is_dir():
        return folder
    archive = _git(repository, "archive", "--format=tar", commit, "--", relative, text=False)
    if archive.returncode != 0:
        return None
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".extract-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):  # refuse links and paths out of the folder
                tar.extractall(scratch, filter="data")
            else:  # pragma: no cover - older patch releases; git archive writes no absolute paths
                tar.extractall(scratch)
        extracted = Path(scratch) / relative
        if not extracted.is_dir():
            return None
        try:
            os.replace(extracted, folder)  # whole or not at all: another run may be extracting the same
        except OSError:
            if not folder.is_dir():
                raise
            shutil.rmtree(extracted, ignore_errors=True)
    return folder
