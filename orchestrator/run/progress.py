"""What a person sees while stacks run: one line per stack, live, on stderr.

On a terminal a rich Live table shows each stack's state and elapsed time; elsewhere (CI, pipes)
each change of state is one plain line, so logs stay readable and never interleave.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.table import Table

STYLES = {
    "queued": "dim",
    "preparing": "cyan",
    "planning": "cyan",
    "checking": "cyan",
    "applying": "yellow",
    "destroying": "magenta",
    "ok": "green",
    "no-changes": "green",
    "failed": "bold red",
    "skipped": "dim yellow",
}


class Progress:
    def __init__(self, console: Console, title: str, live: bool | None = None):
        self.console = console
        self.title = title
        self.live_enabled = console.is_terminal if live is None else live
        self._lock = threading.Lock()
        self._state: dict[str, tuple[str, float]] = {}
        self._started: dict[str, float] = {}
        self._finished: dict[str, float] = {}
        self._live: Live | None = None
        self._asking = threading.Lock()

    def start(self, names: list[str]) -> None:
        now = time.monotonic()
        self._state = {name: ("queued", now) for name in names}
        if self.live_enabled:
            self._live = Live(self._table(), console=self.console, refresh_per_second=4, transient=True)
            self._live.start()
        else:
            self.console.print(f"{self.title}: {', '.join(names)}", highlight=False)

    def update(self, name: str, state: str, result=None) -> None:
        now = time.monotonic()
        with self._lock:
            self._started.setdefault(name, now)
            if state in ("ok", "no-changes", "failed", "skipped"):
                self._finished[name] = now
            self._state[name] = (state, now)
        if self._live is not None:
            self._live.update(self._table())
        else:
            elapsed = now - self._started[name]
            note = f" ({result.error.splitlines()[0]})" if result is not None and result.error else ""
            self.console.print(f"  {name:<14} {state:<11} {elapsed:6.1f}s{note}", highlight=False, markup=False)

    def note(self, text: str) -> None:
        """A line for the person watching (above the live table on a terminal)."""
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """One question at a time, with the live table out of the way while it is asked."""
        with self._asking:
            live = self._live
            if live is not None:
                live.stop()
            try:
                yield
            finally:
                if live is not None:
                    live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _table(self) -> Table:
        table = Table(title=self.title, title_justify="left", box=None, pad_edge=False)
        table.add_column("stack")
        table.add_column("state")
        table.add_column("elapsed", justify="right")
        now = time.monotonic()
        with self._lock:
            for name, (state, _) in self._state.items():
                started = self._started.get(name)
                end = self._finished.get(name, now)
                elapsed = f"{end - started:.1f}s" if started else ""
                table.add_row(name, f"[{STYLES.get(state, '')}]{state}[/]", elapsed)
        return table
