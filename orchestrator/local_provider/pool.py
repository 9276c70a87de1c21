"""The run's built-in provider processes, started once and reattached by every Terraform command.

Left to itself, Terraform starts a provider process for each use inside a command: three for a
plan, two or three for an apply, one for ``show -json``. Each start of this Python provider costs a
process, its imports, the catalog and the schema (0.1-0.3 s each), which made up about two thirds
of a stack's plan-and-apply time on the built-in provider. The pool starts the provider as a
server instead, and hands each Terraform command one idle process through Terraform's own
mechanism for that, ``TF_REATTACH_PROVIDERS`` (``Test: true``: Terraform leaves the process
running when it is done).

A process serves one Terraform command at a time (a *lease*), so nothing one command configures
(region, account, default tags, working directory) is seen by another: at each lease it is given
the command's working directory and environment and starts again from the catalog, as a fresh
process would. Commands that run at the same time get different processes; the pool grows to the
run's concurrency and keeps one spare warm. The processes end when the pool closes, or when the
orchestrator ends in any way (their stdin closes).

``ORCHESTRATOR_PROVIDER_POOL=0`` turns the pool off: Terraform starts the provider itself.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.local_provider import LAUNCHER, PROVIDER_SOURCES
from orchestrator.local_provider.plugin import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, POOL_ENV, PROTOCOL_VERSION

SWITCH = "ORCHESTRATOR_PROVIDER_POOL"
REATTACH_ENV = "TF_REATTACH_PROVIDERS"


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


class PoolError(RuntimeError):
    pass


@dataclass
class _Server:
    process: subprocess.Popen
    socket: str

    def alive(self) -> bool:
        return self.process.poll() is None

    def reattach(self) -> str:
        """``TF_REATTACH_PROVIDERS``: this process, under every name the engines give hashicorp/aws."""
        config = {"Protocol": "grpc", "ProtocolVersion": PROTOCOL_VERSION, "Pid": self.process.pid, "Test": True,
                  "Addr": {"Network": "unix", "String": self.socket}}
        return json.dumps({source: config for source in PROVIDER_SOURCES})

    def lease(self, cwd: Path, environ: Mapping[str, str]) -> None:
        line = json.dumps({"cwd": str(cwd), "environ": dict(environ)})
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline().strip()
        except (OSError, ValueError) as error:
            raise PoolError(f"provider process {self.process.pid}: {error}") from None
        if answer != "ready":
            raise PoolError(f"provider process {self.process.pid} refused the lease: {answer or 'it exited'}")

    def stop(self) -> None:
        try:
            self.process.stdin.close()  # the process stops serving at end of input
        except OSError:
            pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ProviderPool:
    """Provider processes for one run. ``environ`` is the run's environment (the processes' own)."""

    def __init__(self, cache_dir: Path, environ: Mapping[str, str], log: Path):
        self.launcher = Path(cache_dir) / LAUNCHER
        self.environ = {**environ, MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE, POOL_ENV: "1",
                        "PLUGIN_PROTOCOL_VERSIONS": str(PROTOCOL_VERSION)}
        self.environ.pop("PLUGIN_CLIENT_CERT", None)
        self.environ.pop(REATTACH_ENV, None)
        self.log = Path(log)
        self._idle: list[_Server] = []
        self._all: list[_Server] = []
        self._starting = 0
        self._closed = False
        self._cond = threading.Condition()
        self._log_lock = threading.Lock()
        self._log_mode = "w"  # the log is the last run's: started afresh by the pool's first line

    def note(self, text: str) -> None:
        """One line in the pool's log: which process started, and which command each one served."""
        with self._log_lock:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, self._log_mode, encoding="utf-8") as log:
                log.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            self._log_mode = "a"

    # Starting processes ------------------------------------------------------------------------
    def _start(self) -> _Server:
        self.note(f"starting {self.launcher}")
        with open(self.log, "ab") as log:  # the process's own errors, if any
            process = subprocess.Popen([str(self.launcher)], env=self.environ, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        handshake = process.stdout.readline().strip()
        parts = handshake.split("|")
        if len(parts) < 5 or parts[2] != "unix" or parts[4] != "grpc":
            process.kill()
            process.wait()
            raise PoolError(f"the local AWS provider did not start (handshake {handshake!r}); see {self.log}")
        server = _Server(process, parts[3])
        self.note(f"process {process.pid} serves on {server.socket}")
        with self._cond:
            self._all.append(server)
        return server

    def _start_spare(self) -> None:
        try:
            server = self._start()
        except (OSError, PoolError):
            server = None  # the next lease starts one itself and reports why it cannot
        with self._cond:
            self._starting -= 1
            if server is not None:
                if self._closed:
                    server.stop()
                else:
                    self._idle.append(server)
            self._cond.notify_all()

    def warm(self) -> None:
        """Start one process in the background, ready before the first command needs it."""
        with self._cond:
            if self._closed or self._idle or self._starting:
                return
            self._starting += 1
        threading.Thread(target=self._start_spare, name="provider-pool", daemon=True).start()

    def _take(self) -> _Server:
        with self._cond:
            if self._closed:
                raise PoolError("the provider pool is closed")
            while True:
                while not self._idle and self._starting:
                    self._cond.wait()
                server = self._idle.pop() if self._idle else None
                if server is None or server.alive():
                    break
        if server is None:
            server = self._start()
        self.warm()  # keep one spare for the next command that starts while this one runs
        return server

    # Leases --------------------------------------------------------------------------------------
    @contextmanager
    def lease(self, cwd: Path, environ: Mapping[str, str]) -> Iterator[dict[str, str]]:
        """The variables that make one Terraform command use a pooled provider process."""
        try:
            server = self._take()
            try:
                server.lease(cwd, environ)
            except PoolError:
                server.stop()
                server = self._start()
                server.lease(cwd, environ)
        except (OSError, PoolError) as error:
            # Never worse than no pool: Terraform starts the provider itself (and reports what fails).
            self.note(f"{error}; this command starts its own provider")
            yield {}
            return
        self.note(f"lease process {server.process.pid}: {cwd}")
        try:
            yield {REATTACH_ENV: server.reattach()}
        finally:
            with self._cond:
                if server.alive() and not self._closed:
                    self._idle.append(server)
                    self._cond.notify_all()
                    server = None
            if server is not None:
                server.stop()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            servers, self._all, self._idle = self._all, [], []
        for server in servers:
            server.stop()
