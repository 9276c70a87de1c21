"""Walk a DAG with bounded parallelism: a node runs when its dependencies succeeded.

A failed node's descendants are skipped, independent branches carry on. The graph walk knows
nothing about Terraform; it calls ``run(name) -> bool`` and ``skip(name, reason)``.
"""

from __future__ import annotations

import graphlib
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait


def walk(
    dependencies: dict[str, set[str]],
    run: Callable[[str], bool],
    skip: Callable[[str, str], None],
    parallelism: int,
    priority: list[str],
    stop: threading.Event | None = None,
) -> None:
    """Run every node of ``dependencies`` (name -> names it waits for) in a valid order."""
    sorter = graphlib.TopologicalSorter(dependencies)
    sorter.prepare()
    unsuccessful: set[str] = set()
    rank = {name: index for index, name in enumerate(priority)}
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="stack") as pool:
        running = {}
        while sorter.is_active():
            for name in sorted(sorter.get_ready(), key=lambda n: rank.get(n, len(rank))):
                blocked_by = sorted(d for d in dependencies[name] if d in unsuccessful)
                if blocked_by or (stop is not None and stop.is_set()):
                    interrupted = stop is not None and stop.is_set()
                    reason = "interrupted before it started" if interrupted else f"{', '.join(blocked_by)} did not succeed"
                    skip(name, reason)
                    unsuccessful.add(name)
                    sorter.done(name)
                else:
                    running[pool.submit(run, name)] = name
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                if not future.result():
                    unsuccessful.add(name)
                sorter.done(name)
