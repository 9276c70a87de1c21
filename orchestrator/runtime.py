"""The user's private folders: the runtime folder for sockets of helper processes, and the cache."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def runtime_dir() -> Path | None:
    """``$XDG_RUNTIME_DIR/orchestrator-<uid>`` (else the temporary folder's), made mode 0700.

    None when it cannot be made, or is not this user's alone: a socket there must be reachable by
    no other user, so the caller then does without (a process of its own, as before)."""
    path = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"orchestrator-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        status = path.stat()
    except OSError:
        return None
    return path if status.st_uid == os.getuid() and not status.st_mode & 0o077 else None


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/orchestrator`` (``~/.cache/orchestrator`` when it is unset or empty, as the
    XDG specification says: an empty value must not put caches in the current folder)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "orchestrator"
