"""``apply``: downstream stacks planned while their upstreams plan, used only if nothing upstream changed.

An apply follows the DAG: a stack plans once every upstream is done, because an upstream's apply
may change the outputs it reads, or the infrastructure its data sources read. In the usual apply
(one stack changed) most upstreams change nothing, and the stacks below them still plan one after
another. Here every stack whose upstreams are all applied is planned at the start of the run, beside
the others, from the outputs its upstreams have in state. When the stack's turn comes, that plan is
used only if

- every stack above it in this run (its ancestors, not only its direct upstreams) finished with no
  changes, so nothing it reads can have moved: no ancestor applied anything; and
- the outputs it reads are still exactly those it was planned from.

Then it is the plan the stack would have made at its turn: same configuration, same inputs, same
state, and no change applied above it. Otherwise it is thrown away and the stack plans again, as
without this. The checks, the gate and the apply are unchanged: they run on whichever plan is used.
``ORCHESTRATOR_PLAN_AHEAD=0`` turns this off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from orchestrator.config.graph import StackGraph
from orchestrator.run.types import StackFailure
from orchestrator.terraform import engine

SWITCH = "ORCHESTRATOR_PLAN_AHEAD"


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class PlanAhead:
    upstream: dict  # the upstream values it was planned from
    outcome: engine.Result


def ancestors(graph: StackGraph, name: str) -> set[str]:
    """Every stack ``name`` depends on, directly or through others."""
    found, pending = set(), list(graph.stacks[name].upstreams)
    while pending:
        upstream = pending.pop()
        if upstream not in found:
            found.add(upstream)
            pending.extend(graph.stacks[upstream].upstreams)
    return found


class PlansAhead:
    """``plan(name) -> PlanAhead | None`` runs for each stack in ``names``, up to ``parallelism`` at once."""

    def __init__(self, names: list[str], plan: Callable[[str], PlanAhead | None], parallelism: int,
                 stop: threading.Event):
        self._names = names
        self._plan = plan
        self._stop = stop
        self._pool = ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="plan-ahead")
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            for name in self._names:
                self._futures[name] = self._pool.submit(self._guarded, name)

    def _guarded(self, name: str) -> PlanAhead | None:
        if self._stop.is_set():
            return None
        try:
            return self._plan(name)
        except (StackFailure, OSError):
            return None  # the stack plans at its turn, and reports what fails then

    def take(self, name: str) -> PlanAhead | None:
        """The stack's plan ahead: waited for if it is running, never started if it is not yet."""
        with self._lock:
            future = self._futures.pop(name, None)
        if future is None or future.cancel():
            return None
        return future.result()

    def close(self) -> None:
        """Plans not started are dropped; running ones are waited for (each holds its stack's state lock)."""
        with self._lock:
            futures, self._futures = list(self._futures.values()), {}
        for future in futures:
            future.cancel()
        self._pool.shutdown(wait=True)


def refusal(graph: StackGraph, name: str, ahead: PlanAhead, upstream: dict, placeholders: list[str],
            statuses: dict[str, str]) -> str | None:
    """Why the plan made ahead is not the one the stack would make now (None: it is)."""
    if placeholders:
        return "it was made with placeholders"
    moved = sorted(a for a in ancestors(graph, name) if a in statuses and statuses[a] != "no-changes")
    if moved:
        return f"{', '.join(moved)} changed or did not finish"
    if ahead.upstream != upstream:
        return "the upstream outputs it read have changed"
    return None
