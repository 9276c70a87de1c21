"""The real hashicorp/aws provider: one process per stack, reattached by each of the stack's commands.

Left to itself, Terraform starts the provider afresh for each use inside a command: three times
for a plan, twice for the apply of a saved plan, once for ``show -json``. Each start of the real
provider builds and sends its schema again (about a second of CPU: ``docs/measured/benchmarks.md``).
Here the stack's first command after ``init`` starts the provider once, as Terraform's own
debugging mode does (``terraform-provider-aws -debug``), and every later command of that stack in
the run reaches it through ``TF_REATTACH_PROVIDERS``.

What a process serves, and so what it can carry from one command to the next, is narrow:

- **One stack.** A process is keyed by the stack's working directory (the provider resolves
  relative file paths, such as a Lambda package's, against its own), the exact provider binary
  ``init`` installed there (from the lock file), and the command's whole environment (credentials,
  profile, region, endpoints are read from it). A different key gets a different process.
- **One command at a time** (a *lease*), and **one provider configuration**: a configuration with
  aliases, or a child module with a provider block of its own, would have several configurations
  share a process, so Terraform starts those itself. Every command configures the provider again.
- **Nothing after a failure.** A command that failed or was interrupted hands its process back to
  be stopped, not reused.
- **No logs of its own by default.** The provider's logging is off (Terraform discards it too unless
  ``TF_LOG`` is set); with any ``TF_LOG*`` variable set the pool is not used, so the provider logs
  into Terraform's log as usual.
- **A socket only this user reaches**: in the user's 0700 runtime folder (``orchestrator.runtime``);
  without one the pool is not used.

A process stops when its stack's work in the run is done, when more than ``IDLE_LIMIT`` wait
unused, when the run ends, or when the orchestrator dies (a small watchdog beside each one,
``provider_watchdog.py``, stops it when its input closes). ``ORCHESTRATOR_PROVIDER_POOL=0`` turns
the pool off, as for the built-in provider.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.runtime import runtime_dir

REATTACH_ENV = "TF_REATTACH_PROVIDERS"
PROVIDER_TYPE = "hashicorp/aws"
REGISTRIES = ("registry.terraform.io", "registry.opentofu.org")
IDLE_LIMIT = 2  # processes kept waiting for a later command of their stack (about 0.5 GB each)
START_TIMEOUT_SECONDS = 60.0
WATCHDOG = Path(__file__).with_name("provider_watchdog.py")
# The provider's own logging, off: Terraform filters it away unless TF_LOG is set, and here nothing would.
QUIET = {"TF_LOG_PROVIDER_AWS": "off", "TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_MUX": "off",
         "TF_LOG_SDK_HELPER_SCHEMA": "off", "TF_LOG_SDK_FRAMEWORK": "off"}
_PROVIDER_BLOCK = re.compile(r'\bprovider\s+"?aws"?\s*\{')
_LOCKED = re.compile(r'provider\s+"(?P<source>[^"]+)"\s*\{[^}]*?\bversion\s*=\s*"(?P<version>[^"]+)"', re.S)


def _platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def installed_provider(workdir: Path, environ: Mapping[str, str]) -> tuple[str, Path] | None:
    """(source address, binary) of the aws provider ``init`` installed in ``workdir``, from its lock
    file; None when there is not exactly one (then Terraform starts the provider itself)."""
    try:
        lock = (workdir / ".terraform.lock.hcl").read_text(encoding="utf-8")
    except OSError:
        return None
    data_dir = workdir / environ.get("TF_DATA_DIR", ".terraform")
    for match in _LOCKED.finditer(lock):
        source = match["source"]
        if source not in (f"{registry}/{PROVIDER_TYPE}" for registry in REGISTRIES):
            continue
        folder = data_dir / "providers" / source / match["version"] / _platform()
        try:
            binaries = [path for path in folder.iterdir()
                        if path.name.startswith("terraform-provider-aws") and os.access(path, os.X_OK)]
        except OSError:
            return None
        return (source, binaries[0].resolve()) if len(binaries) == 1 else None
    return None


def one_configuration(workdir: Path, environ: Mapping[str, str]) -> bool:
    """Whether every aws resource of the configuration uses one provider configuration: at most one
    ``provider "aws"`` block in the root module, none in a child module (read after ``init``)."""
    def blocks(folder: Path) -> int | None:
        count = 0
        for path in sorted(folder.glob("*.tf")) + sorted(folder.glob("*.tf.json")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            if path.name.endswith(".json"):
                try:
                    providers = json.loads(text).get("provider", {})
                except (ValueError, AttributeError):
                    return None
                found = providers.get("aws", []) if isinstance(providers, dict) else providers
                count += len(found) if isinstance(found, list) else 1
            else:
                count += len(_PROVIDER_BLOCK.findall(text))
                if "configuration_aliases" in text:
                    return None
        return count

    root = blocks(workdir)
    if root is None or root > 1:
        return False
    manifest = workdir / environ.get("TF_DATA_DIR", ".terraform") / "modules" / "modules.json"
    try:
        modules = json.loads(manifest.read_text(encoding="utf-8")).get("Modules", [])
    except FileNotFoundError:
        return True  # no module calls
    except (OSError, ValueError, AttributeError):
        return False
    for module in modules:
        if module.get("Key"):
            if blocks((workdir / module.get("Dir", "")).resolve()) != 0:
                return False
    return True


def usable(environ: Mapping[str, str]) -> bool:
    """Logging asked for (any ``TF_LOG*``) keeps the provider where Terraform logs it."""
    return not any(name.startswith("TF_LOG") for name in environ)


def folder_deleted(pid: int) -> bool:
    """Whether process ``pid`` works in a folder deleted since it started (Linux's /proc; else False)."""
    try:
        return os.readlink(f"/proc/{pid}/cwd").endswith(" (deleted)")
    except OSError:
        return False


class PoolError(RuntimeError):
    pass


@dataclass
class _Process:
    key: str
    workdir: str
    watchdog: subprocess.Popen
    reattach: str
    pid: int

    def alive(self) -> bool:
        return self.watchdog.poll() is None

    def in_its_folder(self) -> bool:
        """False when the folder it started in was deleted since (where /proc tells)."""
        return not folder_deleted(self.pid)

    def stop(self) -> None:
        """Close the watchdog's input: it interrupts the provider, which stops serving and exits."""
        try:
            self.watchdog.stdin.close()
        except OSError:
            pass
        try:
            self.watchdog.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.watchdog.kill()
            self.watchdog.wait()


class Lease(dict):
    """The variables that make one command reattach; ``spoiled`` after a failure (not reused)."""
    spoiled = False


class RealProviderPool:
    def __init__(self, log: Path, socket_dir: Path):
        self.log = Path(log)
        self.socket_dir = socket_dir
        self._idle: list[_Process] = []
        self._lock = threading.Lock()
        self._closed = False
        self._busy: dict[str, int] = {}  # working directory -> commands running there
        self._released: set[str] = set()
        self._log_mode = "w"  # the log is the last run's: started afresh by the pool's first line

    @classmethod
    def create(cls, log: Path) -> RealProviderPool | None:
        folder = runtime_dir()
        return cls(log, folder) if folder is not None else None

    def note(self, text: str) -> None:
        with self._lock:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, self._log_mode, encoding="utf-8") as log:
                log.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            self._log_mode = "a"

    @staticmethod
    def key(workdir: Path, binary: Path, environ: Mapping[str, str]) -> str:
        program = binary.stat()
        identity = [str(workdir), str(binary), program.st_size, program.st_mtime_ns, sorted(environ.items())]
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()

    def _start(self, key: str, source: str, binary: Path, workdir: Path, environ: Mapping[str, str]) -> _Process:
        provider_env = {**environ, **QUIET, "PLUGIN_UNIX_SOCKET_DIR": str(self.socket_dir)}
        provider_env.pop(REATTACH_ENV, None)
        self.note(f"starting {binary} -debug in {workdir}")
        with open(self.log, "ab") as log:
            watchdog = subprocess.Popen([sys.executable, str(WATCHDOG), str(binary), "-debug"], cwd=workdir,
                                        env=provider_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                        start_new_session=True)
        found: dict = {}

        def read_handshake() -> None:
            for raw in watchdog.stdout:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith(f"{REATTACH_ENV}="):
                    try:
                        found.update(json.loads(line.split("=", 1)[1].strip("'")))
                    except ValueError:
                        pass
                    return

        reader = threading.Thread(target=read_handshake, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_SECONDS)
        configs = list(found.values())
        process = _Process(key, str(workdir), watchdog, json.dumps({source: configs[0] if configs else {}}),
                           int(configs[0].get("Pid", 0)) if configs else 0)
        if len(configs) != 1 or configs[0].get("Addr", {}).get("Network") != "unix":
            process.stop()  # through the watchdog, so that a provider that started late stops too
            raise PoolError(f"{binary} did not start in debug mode (see {self.log})")
        return process

    @contextmanager
    def lease(self, workdir: Path, environ: Mapping[str, str]) -> Iterator[dict[str, str]]:
        workdir = Path(workdir)
        found = installed_provider(workdir, environ) if usable(environ) else None
        if found is None or self._closed or not one_configuration(workdir, environ):
            yield {}  # Terraform starts the provider itself, as without the pool
            return
        source, binary = found
        try:
            key = self.key(workdir, binary, environ)
            with self._lock:
                process = next((p for p in self._idle if p.key == key and p.alive() and p.in_its_folder()), None)
                if process is not None:
                    self._idle.remove(process)
                self._busy[str(workdir)] = self._busy.get(str(workdir), 0) + 1
                self._released.discard(str(workdir))
            if process is None:
                process = self._start(key, source, binary, workdir, environ)
                self.note(f"process {process.pid} serves {workdir}")
        except (OSError, PoolError) as error:
            self._done_with(workdir)
            self.note(f"{workdir}: {error}; this command starts its own provider")
            yield {}
            return
        lease = Lease({REATTACH_ENV: process.reattach})
        self.note(f"lease process {process.pid}: {workdir}")
        try:
            yield lease
        except BaseException:
            lease.spoiled = True
            raise
        finally:
            keep = not lease.spoiled and process.alive()
            stopped: list[_Process] = [] if keep else [process]
            with self._lock:
                released = self._done_with(workdir, locked=True)
                if keep and not self._closed and not released:
                    self._idle.append(process)
                    while len(self._idle) > IDLE_LIMIT:
                        stopped.append(self._idle.pop(0))  # the one unused longest
                elif keep:
                    stopped.append(process)
            for old in stopped:
                old.stop()
                self.note(f"process {old.pid} stopped")

    def _done_with(self, workdir: Path, locked: bool = False) -> bool:
        """Count a command of ``workdir`` as finished; True when its stack was released meanwhile."""
        if not locked:
            with self._lock:
                return self._done_with(workdir, locked=True)
        name = str(workdir)
        self._busy[name] = self._busy.get(name, 1) - 1
        return name in self._released and self._busy[name] <= 0

    def release(self, workdir: Path) -> None:
        """The stack's work in this run is done: stop its process now rather than at the run's end."""
        name = str(Path(workdir))
        with self._lock:
            if self._busy.get(name, 0) > 0:
                self._released.add(name)  # stopped when its command hands it back
                return
            stopped = [p for p in self._idle if p.workdir == name]
            self._idle = [p for p in self._idle if p.workdir != name]
        for process in stopped:
            process.stop()
            self.note(f"process {process.pid} stopped ({name} done)")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            processes, self._idle = self._idle, []
        for process in processes:
            process.stop()
