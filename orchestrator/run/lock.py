"""One run per environment at a time, on this machine: an advisory lock with a readable holder.

The lock is ``flock`` on ``.orchestrator/<env>/.lock``: the kernel drops it when the holder dies, so
a crashed run never leaves a stale lock. The file says who holds it and since when, for the
message the next run prints. (Remote state has Terraform's own lock as well: S3 ``use_lockfile``.)
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestrator.config.errors import OrchestratorError


class EnvironmentLocked(OrchestratorError):
    exit_code = 1


def _holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "another run"
    return f"{holder.get('user')}@{holder.get('host')} (pid {holder.get('pid')}, {holder.get('command')}) since {holder.get('since')}"


@contextmanager
def hold(directory: Path, env: str, command: str, wait_seconds: float = 0.0) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EnvironmentLocked(
                        f"environment {env!r} is locked by {_holder(path)}; "
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
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
