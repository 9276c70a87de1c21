"""Policy checks of each stack's plan: checkov's own checks plus the project's (``policies/checkov/``).

A run that checks policies asks one checkov worker (``checkov_worker.py``) for all its stacks: it is
reached (or started) when the run starts, so checkov's import overlaps Terraform's work, and each
stack's plan JSON (the rendered values, not the module's defaults) is checked as soon as it exists.
The worker stays warm between runs (``ORCHESTRATOR_POLICY_WORKER_IDLE`` seconds, 300 by default) on
a Unix socket in a private folder of the user, one per checkov, worker and policies: the next run
does not import checkov again. ``ORCHESTRATOR_POLICY_WORKER_IDLE=0`` gives each run a worker of its
own that ends with it.
Answers are cached by what was checked (the plan without its timestamp, the stack's Terraform files,
the policies and the pinned checkov version), so a re-plan that changes nothing checks nothing again
and does not wait for the worker.

What an environment accepts is configuration (``policy.accept``: check id -> reason): a failed
check listed there is reported as accepted, with the reason, and does not fail the stack.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.config.errors import InputError, OrchestratorError, Problem
from orchestrator.runtime import runtime_dir
from orchestrator.tools import layout, pypi

TOOL = "checkov"
WORKER = Path(__file__).with_name("checkov_worker.py")
START_TIMEOUT_SECONDS = 180
IDLE_VARIABLE = "ORCHESTRATOR_POLICY_WORKER_IDLE"
DEFAULT_IDLE_SECONDS = 300
SOCKET_PATH_LIMIT = 100  # sun_path holds 108 bytes on Linux (104 on macOS)
IMPORT_TIME_VARIABLES = ("CKV_", "CHECKOV_", "BC_", "PRISMA_")  # read by checkov when it is imported


def idle_seconds() -> float:
    """How long a warm worker waits for the next run (0: no warm worker, each run has its own)."""
    given = os.environ.get(IDLE_VARIABLE, str(DEFAULT_IDLE_SECONDS))
    try:
        seconds = float(given)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise InputError([Problem(IDLE_VARIABLE, given, "give the seconds a warm policy worker waits for the next run "
                                  f"(a number, {DEFAULT_IDLE_SECONDS} by default; 0: each run has a worker of its own)")])
    return seconds


def _connect(path: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
        return connection
    except OSError:
        connection.close()
        return None


class PolicyError(OrchestratorError):
    """The policy checks could not run (exit 1, as any failure)."""


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    resource: str
    file: str | None = None
    guideline: str | None = None
    reason: str | None = None  # why it is skipped (in the code) or accepted (by the environment)

    def report(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class PolicyResult:
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)
    accepted: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        # "failed" only when something failed: Atlantis reads any "fail" in a custom policy check's output as a failure
        parts = [f"{self.passed} passed"] + ([f"{len(self.failed)} failed"] if self.failed else [])
        parts += [f"{len(self.accepted)} accepted"] if self.accepted else []
        parts += [f"{len(self.skipped)} skipped"] if self.skipped else []
        return ", ".join(parts)

    def lines(self, skipped: bool = True, accepted: bool = True) -> list[str]:
        """For people: each failed, (``accepted``) accepted and (``skipped``) skipped check on a line, then the counts."""
        out = [f"FAIL      {f.check_id} {f.resource}: {f.check_name}" + (f" ({f.guideline})" if f.guideline else "")
               for f in self.failed]
        out += [f"ACCEPTED  {f.check_id} {f.resource}: {f.check_name} - {f.reason}" for f in self.accepted] if accepted else []
        out += [f"SKIPPED   {f.check_id} {f.resource}: {f.reason or 'skipped in the code'}" for f in self.skipped] if skipped else []
        total = self.passed + len(self.failed) + len(self.accepted) + len(self.skipped)
        return out + [f"{total} checks: {self.summary()}"]

    def report(self) -> dict:
        return {
            "passed": self.passed,
            "failed": [f.report() for f in self.failed],
            "accepted": [f.report() for f in self.accepted],
            "skipped": [f.report() for f in self.skipped],
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
        }


def _finding(item: dict, reason: str | None = None) -> Finding:
    return Finding(item["check_id"], item.get("check_name") or "", item.get("resource") or "",
                   item.get("file"), item.get("guideline"), reason if reason is not None else item.get("reason"))


def evaluate(answer: dict, accept: dict[str, str]) -> PolicyResult:
    """checkov's answer for one plan, with the environment's accepted checks set apart."""
    result = PolicyResult(passed=len(answer.get("passed", [])))
    for item in answer.get("failed", []):
        if item["check_id"] in accept:
            result.accepted.append(_finding(item, accept[item["check_id"]]))
        else:
            result.failed.append(_finding(item))
    result.skipped = [_finding(item) for item in answer.get("skipped", [])]
    return result


def _digest_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def policies_digest(policy_dirs: list[Path]) -> str:
    """What the answers depend on besides the plan: the policy files (by their place in their folder,
    wherever the project is) and the worker that asks checkov."""
    digest = hashlib.sha256(WORKER.read_bytes())
    for folder in policy_dirs:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def plan_digest(plan_json: Path) -> str:
    """What the plan says, without when it was said (``timestamp``) and in a stable order (Terraform
    lists ``relevant_attributes`` in a different order from one plan of the same change to the next)."""
    document = json.loads(plan_json.read_text())
    document.pop("timestamp", None)
    document["relevant_attributes"] = sorted(document.get("relevant_attributes", []), key=lambda item: json.dumps(item, sort_keys=True))
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def state_identity(plan_file: Path) -> dict:
    """The state a saved plan was made against: the ``tfstate`` snapshot inside the plan file (read
    from the zip, no Terraform process), which is the state as refreshed for this plan. Serial and
    lineage say which state; the digest of its resources says what the refresh found, so a change
    made outside Terraform (a rule opened in the console) is checked again. {} when the plan carries none."""
    try:
        with zipfile.ZipFile(plan_file) as archive:
            state = json.loads(archive.read("tfstate"))
        found = hashlib.sha256(json.dumps(state.get("resources", []), sort_keys=True).encode()).hexdigest()
        return {"serial": state.get("serial"), "lineage": state.get("lineage"), "resources": found}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}


def module_digest(source: Path) -> str:
    """The stack's Terraform files (for a pinned stack they come from the pin's commit)."""
    return _digest_files(list(source.glob("*.tf")))


def answer_key(state: dict, inputs: str, module: str, pin: str | None, destroy: bool, policies: str, checkov: str) -> str:
    """What a check's answer depends on when the plan JSON is not read: the stack's state (serial,
    lineage), its rendered inputs (a digest of the tfvars, upstream values and secrets), its module
    files and pin, the policies and checkov's version. Same key, same plan, same answer."""
    parts = {"state": state, "inputs": inputs, "module": module, "pin": pin or "", "destroy": destroy,
             "policies": policies, "checkov": checkov}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class PolicyChecker:
    """One checkov worker for a run; ``check`` may be called from several stacks' threads."""

    def __init__(self, policy_dirs: list[Path], accept: dict[str, str], note=None, idle: float | None = None):
        self.policy_dirs = [d for d in policy_dirs if d.is_dir()]
        self.accept = dict(accept)
        self.note = note or (lambda text: None)
        self.idle_seconds = idle_seconds() if idle is None else idle
        self._process: subprocess.Popen | None = None  # the run's own worker
        self._connection: socket.socket | None = None  # or the connection to a warm one
        self._reader = self._writer = None
        self._version = ""
        self.custom: list[str] = []
        self._error: str | None = None
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._starting = False
        self._policies = policies_digest(self.policy_dirs)

    # The worker ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Reach or start the worker in the background (idempotent); ``check`` waits for it."""
        with self._lock:
            if self._starting:
                return
            self._starting = True
        threading.Thread(target=self._start, daemon=True, name="policy-worker").start()

    def _start(self) -> None:
        try:
            command = pypi.command(TOOL)
            if command is None:
                item = pypi.python_tool(TOOL)
                self.note(f"installing {item.requirement} for the policy checks into {pypi.directory(item)} (once, about a minute)")
                pypi.install(TOOL)
                command = pypi.command(TOOL)
            path = self.socket_path(command[0])
            hello = self._reach_warm(command[0], path) if path is not None else self._start_own(command[0])
            if not hello.get("ready"):
                raise PolicyError(f"checkov did not start: {hello.get('error')}")
            self._version, self.custom = hello["checkov"], hello.get("custom", [])
            if self._version != pypi.python_tool(TOOL).version:
                raise PolicyError(f"checkov {self._version} answered, not the pinned {pypi.python_tool(TOOL).version}")
            expected = [p for d in self.policy_dirs for p in d.rglob("*.py") if p.name != "__init__.py"]
            if len(self.custom) < len(expected):
                raise PolicyError(f"{len(expected)} policy files in {', '.join(map(str, self.policy_dirs))} but only "
                                  f"{len(self.custom)} checks loaded ({', '.join(self.custom) or 'none'}): a policy file "
                                  "fails to import, or a folder lacks __init__.py")
        except (OSError, ValueError, pypi.InstallError, PolicyError) as error:
            self._error = f"policy checks cannot run: {error}"
        finally:
            self._started.set()

    def socket_path(self, python: str) -> Path | None:
        """The warm worker's socket for this checkov, worker and policies (None: each run has its own)."""
        if self.idle_seconds <= 0 or (folder := runtime_dir()) is None:
            return None
        settings = sorted((k, v) for k, v in os.environ.items() if k.startswith(IMPORT_TIME_VARIABLES))
        key = hashlib.sha256(json.dumps([python, self.version(), self._policies, settings]).encode()).hexdigest()[:24]
        path = folder / f"checkov-{key}.sock"
        return path if len(str(path)) <= SOCKET_PATH_LIMIT else None

    def _spawn(self, argv: list[str], **options) -> subprocess.Popen:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                   start_new_session=True, **options)
        try:
            # Below Terraform's priority: importing checkov takes seconds of CPU, which must not slow
            # the stacks' Terraform commands (the critical path), above all when answers are cached.
            os.setpriority(os.PRIO_PROCESS, process.pid, 10)
        except (AttributeError, OSError):
            pass
        return process

    def _start_own(self, python: str) -> dict:
        """A worker for this run alone, on its stdin and stdout; it ends with ``close``."""
        self._process = self._spawn([python, str(WORKER), *map(str, self.policy_dirs)], stdin=subprocess.PIPE)
        self._reader, self._writer = self._process.stdout, self._process.stdin
        return json.loads(self._process.stdout.readline() or '{"ready": false, "error": "the worker exited"}')

    def _reach_warm(self, python: str, path: Path) -> dict:
        """Connect to the warm worker at ``path``, starting it when none answers there (one run starts
        it; the others wait on its lock file, then connect)."""
        for _attempt in range(3):
            connection = _connect(path)
            if connection is None:
                with open(path.with_suffix(".lock"), "a") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    connection = _connect(path)
                    if connection is None:
                        path.unlink(missing_ok=True)  # left by a worker that was killed
                        self.note("starting a warm policy worker (checkov is imported once, then kept "
                                  f"{self.idle_seconds:.0f} s after the last run: {IDLE_VARIABLE})")
                        server = self._spawn([python, str(WORKER), "--serve", str(path), str(self.idle_seconds),
                                              *map(str, self.policy_dirs)], stdin=subprocess.DEVNULL, cwd=path.parent)
                        started = json.loads(server.stdout.readline() or '{"ready": false, "error": "the worker exited"}')
                        server.stdout.close()
                        if not started.get("ready"):
                            return started
                        connection = _connect(path)
            if connection is None:
                continue
            self._connection = connection
            self._reader = connection.makefile("r", encoding="utf-8")
            self._writer = connection.makefile("w", encoding="utf-8")
            try:
                line = self._reader.readline()
            except OSError:  # reset: the worker was leaving (or was killed) as this run came
                line = ""
            if line:
                return json.loads(line)
            connection.close()  # and start another
        return {"ready": False, "error": f"no warm worker answered at {path}"}

    def close(self) -> None:
        """This run is done with the worker: a run's own worker is stopped now (every answer is already
        read and cached, and one never asked may still be importing checkov: waiting for it cost ~1 s);
        a warm worker is left for the next run. A thread waiting for an answer gets none at once."""
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # Checks -------------------------------------------------------------------------------------
    @property
    def policies(self) -> str:
        return self._policies

    @staticmethod
    def version() -> str:
        return pypi.python_tool(TOOL).version  # pinned: the answer does not wait for the worker to say it

    @staticmethod
    def _stored(key: str) -> Path:
        return layout.cache_root().parent / "policy" / key[:2] / f"{key}.json"

    @staticmethod
    def _store(path: Path, answer: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{threading.get_ident()}")
        temporary.write_text(json.dumps(answer))
        temporary.replace(path)

    def _cache_path(self, plan_json: Path, source: Path) -> Path:
        sources = module_digest(source)
        key = hashlib.sha256(f"{plan_digest(plan_json)}\0{sources}\0{self._policies}\0{self.version()}".encode()).hexdigest()
        return self._stored(key)

    def reused(self, key: str) -> PolicyResult | None:
        """The answer stored under ``answer_key`` (no ``show``, no checkov), or None."""
        try:
            answer = json.loads(self._stored(f"k{key}").read_text())
        except (OSError, ValueError):
            return None
        result = evaluate(answer, self.accept)
        result.cached = True
        return result

    def last(self, record: Path) -> PolicyResult | None:
        """The stack's last answer (``record``, in its working directory) when the policies and checkov
        are those of this run: a plan with no changes is checked again only when they changed."""
        try:
            saved = json.loads(record.read_text())
        except (OSError, ValueError):
            return None
        if (saved.get("policies"), saved.get("checkov")) != (self._policies, self.version()):
            return None
        result = evaluate(saved["answer"], self.accept)
        result.cached = True
        return result

    def remember(self, key: str | None, record: Path | None, answer: dict) -> None:
        """Keep an answer under its ``answer_key`` and as the stack's last answer."""
        if key is not None:
            self._store(self._stored(f"k{key}"), answer)
        if record is not None:
            self._store(record, {"policies": self._policies, "checkov": self.version(), "answer": answer})

    def raw(self, plan_json: Path, source: Path) -> tuple[dict, bool]:
        """checkov's answer for one plan (cached), and whether it came from the cache."""
        cache = self._cache_path(plan_json, source)
        try:
            return json.loads(cache.read_text()), True
        except (OSError, ValueError):
            pass
        self.start()
        if not self._started.wait(START_TIMEOUT_SECONDS) or self._error:
            raise PolicyError(self._error or f"checkov did not start within {START_TIMEOUT_SECONDS} s")
        with self._lock:
            if self._process is not None and self._process.poll() is not None:
                raise PolicyError(f"the checkov worker exited (status {self._process.returncode})")
            try:
                request = {"plan": str(plan_json), "source": str(source), "environ": dict(os.environ), "cwd": os.getcwd()}
                self._writer.write(json.dumps(request) + "\n")
                self._writer.flush()
                line = self._reader.readline()
            except (OSError, ValueError):  # closed by an interrupt, or the worker went away
                line = ""
        if not line:
            raise PolicyError("the checkov worker exited while checking a plan")
        answer = json.loads(line)
        if answer.get("error"):
            raise PolicyError(f"checkov failed on {plan_json}: {answer['error']}")
        self._store(cache, answer)
        return answer, False

    def check(self, plan_json: Path, source: Path, key: str | None = None, record: Path | None = None) -> PolicyResult:
        """Check a plan JSON; the answer is also kept under ``key`` and as the stack's last (``record``)."""
        started = time.monotonic()
        answer, cached = self.raw(plan_json, source)
        self.remember(key, record, answer)
        result = evaluate(answer, self.accept)
        result.seconds, result.cached = time.monotonic() - started, cached
        return result
