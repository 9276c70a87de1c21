"""Who may run on an environment at the same time, on this machine: advisory locks with a readable holder.

Two levels, both ``flock`` (the kernel drops a lock when its holder dies, so a crashed run never
leaves a stale one):

- the environment, ``.orchestrator/<env>/.lock``: *shared* for runs that only read upstream state
  (plan, output), *exclusive* for runs that change it (apply, destroy: they move the outputs other
  stacks' plans read);
- each stack a shared run touches, ``.orchestrator/<env>/.locks/<stack>.lock``, always exclusive:
  two runs never write one stack's working directory (inputs, saved plan) at once.

So plans of independent stacks of one environment run side by side (Atlantis's ``parallel_plan``
plans ``ENV-ecs`` and ``ENV-vpc_link`` at once), two plans of the same stack do not, and an apply
has the environment to itself. The lock file says who holds it and since when, for the message the
next run prints. (Remote state has Terraform's own lock as well: S3 ``use_lockfile``.)
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from orchestrator.config.errors import OrchestratorError

# Commands that only read upstream outputs from state: many at once, one per stack.
SHARED_COMMANDS = frozenset({"plan", "output", "drift", "policy-check"})  # drift --accept writes state: exclusive


class EnvironmentLocked(OrchestratorError):
    """Another run holds the environment (exit 1, as any failure)."""


def _holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "another run"
    return f"{holder.get('user')}@{holder.get('host')} (pid {holder.get('pid')}, {holder.get('command')}) since {holder.get('since')}"


@contextmanager
def _flock(path: Path, what: str, command: str, deadline: float, shared: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EnvironmentLocked(
                        f"{what} is locked by {_holder(path)}; "
                        f"wait for it, or pass --lock-wait SECONDS to queue behind it"
                    ) from None
                time.sleep(0.2)
        holder = {
            "user": getpass.getuser(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "command": command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.ftruncate(fd, 0)  # shared: the last of the holders is named
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            if not shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def hold(directory: Path, env: str, command: str, wait_seconds: float = 0.0, stacks: tuple[str, ...] | list[str] = (),
         shared: bool | None = None) -> Iterator[None]:
    """The environment's lock (shared for plan/output, else exclusive; or as ``shared`` says), then each stack's, in name order."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    deadline = time.monotonic() + wait_seconds
    shared = command in SHARED_COMMANDS if shared is None else shared
    with ExitStack() as held:
        held.enter_context(_flock(directory / ".lock", f"environment {env!r}", command, deadline, shared))
        if shared:
            locks = directory / ".locks"
            locks.mkdir(exist_ok=True, mode=0o700)
            for stack in sorted(set(stacks)):  # one order for every run: no deadlock between two runs
                held.enter_context(_flock(locks / f"{stack}.lock", f"stack {stack!r} of environment {env!r}", command, deadline, False))
        yield


PREPARE_WAIT_SECONDS = 600


@contextmanager
def preparing(directory: Path, env: str, stack: str) -> Iterator[None]:
    """A stack's working directory while it is prepared and initialised, across processes: a run that
    reads an upstream's outputs prepares that upstream's directory too, and Atlantis plans each stack in
    a process of its own, at once (a reader met files the upstream's own plan was rewriting)."""
    locks = directory / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with _flock(locks / f"{stack}.prepare", f"the working directory of stack {stack!r} of environment {env!r}",
                "prepare", time.monotonic() + PREPARE_WAIT_SECONDS, shared=False):
        yield
