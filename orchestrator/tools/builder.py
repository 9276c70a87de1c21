"""Build the catalog's tools with Go, into the cache, once.

A build runs in a staging folder (``<key>/.build-<pid>/``); only when Go exits 0 is the binary moved
to ``<key>/bin/`` (a rename: it appears whole or not at all), and only then is ``build.json`` written.
A failed or interrupted build leaves its log and ``failed.json``, never a binary. A binary already in
``bin/`` is not rebuilt; one built outside this builder (no ``build.json``) is adopted after checking,
with ``go version -m``, that it is this tool at this version with these ldflags.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from orchestrator.tools import layout, measure
from orchestrator.tools.catalog import TOOLS, Tool, tool


@dataclass
class Step:
    argv: list[str]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    name: str
    status: str  # built | cached | adopted | failed
    binary: Path | None = None
    record: dict | None = None
    error: str = ""


class Reporter:
    """What a build shows while it runs; the CLI draws it with rich. This one shows nothing."""

    def started(self, item: Tool, directory: Path) -> None: ...
    def step(self, item: Tool, step: Step) -> None: ...
    def line(self, item: Tool, text: str) -> None: ...
    def finished(self, item: Tool, result: Result) -> None: ...
    def waiting(self, holder: str) -> None: ...


def ldflags_arg(item: Tool) -> list[str]:
    return [f"-ldflags={' '.join(item.ldflags)}"] if item.ldflags else []


def install_step(item: Tool, go: str, gobin: Path) -> Step:
    """``go install`` of PACKAGE@VERSION into ``gobin`` (method ``install``)."""
    return Step([go, "install", "-v", "-trimpath", *ldflags_arg(item), f"{item.package}@{item.version}"],
                env={"GOBIN": str(gobin)})


def download_step(item: Tool, go: str) -> Step:
    """``go mod download -json MODULE@VERSION``: its ``Dir`` is where a ``module`` build runs."""
    return Step([go, "mod", "download", "-json", f"{item.module}@{item.version}"])


def build_step(item: Tool, go: str, out: Path, module_dir: Path) -> Step:
    """``go build -o OUT ./PKG`` inside ``module_dir`` (methods ``module`` and ``source``)."""
    if item.method == "module":
        relative = item.package[len(item.module):].lstrip("/") if item.package.startswith(item.module) else ""
        target = f"./{relative}" if relative else "."
    else:
        target = "."
    return Step([go, "build", "-v", "-trimpath", *ldflags_arg(item), "-o", str(out), target],
                cwd=module_dir, env={"GOFLAGS": _goflags("-mod=readonly")})


def _goflags(extra: str) -> str:
    flags = os.environ.get("GOFLAGS", "").split()
    return " ".join([f for f in flags if not f.startswith("-mod=")] + [extra])


def _go() -> str | None:
    return shutil.which("go")


def _go_env(go: str, *names: str) -> dict[str, str]:
    done = subprocess.run([go, "env", *names], capture_output=True, text=True, timeout=60)
    values = done.stdout.splitlines() if done.returncode == 0 else []
    return dict(zip(names, values)) if len(values) == len(names) else {}


def _escape(module_path: str) -> str:
    """The module cache's case encoding: every upper-case letter becomes '!' and its lower case."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in module_path)


def build_info(go: str, binary: Path) -> dict | None:
    """``go version -m``: the main module, its dependencies and the build settings, or None."""
    try:
        done = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    info: dict = {"deps": [], "settings": {}}
    first, _, go_version = done.stdout.partition("\n")[0].rpartition(": ")
    info["go"] = go_version.strip() if first else ""
    for line in done.stdout.splitlines():
        parts = line.strip().split("\t")
        if parts[0] == "path" and len(parts) > 1:
            info["path"] = parts[1]
        elif parts[0] == "mod" and len(parts) > 2:
            info["mod"] = (parts[1], parts[2])
        elif parts[0] == "dep" and len(parts) > 2:
            info["deps"].append((parts[1], parts[2]))
        elif parts[0] == "=>" and len(parts) > 2 and info["deps"]:
            info["deps"][-1] = (parts[1], parts[2])  # a replacement: what was really built
        elif parts[0] == "build" and len(parts) > 1 and "=" in parts[1]:
            name, value = parts[1].split("=", 1)
            info["settings"][name] = value.strip('"')
    return info


def matches(item: Tool, info: dict | None, command: str = "") -> str:
    """Why the binary that ``info`` describes is not this tool's pinned build ('' when it is).

    With -trimpath, Go leaves -ldflags out of the build info (golang.org/issue/52372), so the ldflags
    are checked there only when recorded, and else in ``command``: the command line that built it (the
    ``Command being timed`` of a ``/usr/bin/time -v`` record), when there is one.
    """
    if info is None:
        return "go version -m cannot read it"
    if info.get("path") != item.package:
        return f"it is {info.get('path')}, not {item.package}"
    if item.method == "install" and info.get("mod") != (item.module, item.version):
        return f"module {info.get('mod')}, not {(item.module, item.version)}"
    settings, ldflags = info["settings"], " ".join(item.ldflags)
    if settings.get("-trimpath") != "true":
        return "not built with -trimpath"
    if "-ldflags" in settings and settings["-ldflags"] != ldflags:
        return f"ldflags {settings['-ldflags']!r}, not {ldflags!r}"
    if command and (ldflags not in command or f"{item.package}@{item.version}" not in command):
        return f"built by {command!r}, not with -ldflags={ldflags!r} {item.package}@{item.version}"
    return ""


def modules_footprint(modcache: str, item: Tool, info: dict | None) -> tuple[int, int]:
    """(bytes, count) the modules this binary was built from take in the module cache (sources and zips)."""
    if not modcache or info is None:
        return 0, 0
    modules = set(info["deps"]) | {(item.module, item.version)}
    root, total = Path(modcache), 0
    for path, version in modules:
        total += measure.dir_bytes(root / f"{_escape(path)}@{version}")
        for download in (root / "cache" / "download" / _escape(path) / "@v").glob(f"{version}.*"):
            total += measure.file_bytes(download)
    return total, len(modules)


@contextlib.contextmanager
def _build_lock(reporter: Reporter) -> Iterator[None]:
    """One tools build at a time on this machine: two Go builds on two cores make both crawl."""
    root = layout.cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            reporter.waiting(handle.read().strip() or "another process")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {_now()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _base_record(item: Tool, key: str) -> dict:
    return {
        "name": item.name, "module": item.module, "package": item.package, "version": item.version,
        "key": key, "release": item.release, "method": item.method, "ldflags": " ".join(item.ldflags),
    }


def _disk(item: Tool, directory: Path, binary: Path, modcache: str, info: dict | None) -> dict:
    footprint, count = modules_footprint(modcache, item, info)
    return {
        "tool_dir_bytes": measure.dir_bytes(directory),
        "binary_bytes": binary.stat().st_size,
        "modules_bytes": footprint,
        "modules": count,
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _adopt(item: Tool, directory: Path, binary: Path, go: str | None) -> Result:
    """A binary built outside this builder (the same command by hand): check it, then record it."""
    if go is None:
        return Result(item.name, "mismatch", binary, error="go is not on PATH to check it")
    time_record = directory / "build.time"
    text = time_record.read_text(errors="replace") if time_record.is_file() else ""
    timing = measure.parse_gnu_time(text)
    if timing and timing["exit_status"] != 0:
        return Result(item.name, "mismatch", binary, error=f"build.time records exit status {timing['exit_status']}")
    info = build_info(go, binary)
    why = matches(item, info, measure.timed_command(text))
    if why:
        return Result(item.name, "mismatch", binary, error=why)
    cache = _go_env(go, "GOMODCACHE", "GOCACHE")
    # The build cache's share: what it holds that was written while that build ran.
    ended = time_record.stat().st_mtime if timing else None
    written = measure.dir_bytes(Path(cache["GOCACHE"]), since=ended - timing["seconds"], until=ended) if timing and cache else None
    record = _base_record(item, directory.name) | {
        "status": "ok",
        "measured_by": "adopted: the /usr/bin/time -v record (build.time) of the same go install; build cache: "
                       "what it holds that was written during that build" if timing
                       else "adopted: built outside this builder, cost not measured",
        "built_at": datetime.fromtimestamp(binary.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": timing and timing["seconds"],
        "cpu_seconds": timing and timing["cpu_seconds"],
        "peak_rss_bytes": timing and timing["peak_rss_bytes"],
        "peak_total_rss_bytes": None,
        "commands": [{"command_line": measure.timed_command(text)}] if timing else [],
        "sha256": _sha256(binary),
        "go": (info or {}).get("go") or _go_version(go),
        "disk": _disk(item, directory, binary, cache.get("GOMODCACHE", ""), info)
                | {"module_cache_growth_bytes": None, "build_cache_growth_bytes": written},
    }
    layout.write_json(directory / layout.RECORD, record)
    return Result(item.name, "adopted", binary, record)


def _go_version(go: str) -> str:
    done = subprocess.run([go, "version"], capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def _last_error(log: Path, limit: int = 20) -> str:
    """The lines of the log that say what went wrong (Go's errors), else its tail."""
    try:
        lines = [line.rstrip() for line in log.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    body = [line for line in lines if line and not line.startswith(("#", "$"))]
    errors = [line for line in body if not line.startswith("go: downloading") and
              (line.startswith(("go: ", "go build", "#")) or ": " in line)]
    chosen = errors[-limit:] if errors else body[-limit:]
    return "\n".join(chosen)


def build(item: Tool, reporter: Reporter | None = None, force: bool = False) -> Result:
    """Build ``item`` unless its binary is already in the cache; see the module's docstring."""
    reporter = reporter or Reporter()
    directory, go = layout.tool_dir(item), _go()
    binary = directory / "bin" / item.binary
    if binary.is_file() and not force:
        if (directory / layout.RECORD).is_file():
            result = Result(item.name, "cached", binary, layout.read_json(directory / layout.RECORD))
            reporter.finished(item, result)
            return result
        with _build_lock(reporter):
            result = _adopt(item, directory, binary, go)
        if result.status != "mismatch":
            reporter.finished(item, result)
            return result
        aside = directory / f"{item.binary}.mismatched"  # kept, but out of bin/: it no longer looks built
        os.replace(binary, aside)
        reporter.line(item, f"existing {binary} is not this build ({result.error}): moved to {aside}; rebuilding")
    if item.method == "source" and not item.source_dir.is_dir():
        return _failed(item, directory, f"source folder {item.source_dir} not found", reporter)
    if go is None:
        return _failed(item, directory, "go is not on PATH (https://go.dev/dl/)", reporter)
    with _build_lock(reporter):
        return _build_locked(item, directory, binary, go, reporter)


def _failed(item: Tool, directory: Path, error: str, reporter: Reporter, extra: dict | None = None) -> Result:
    directory.mkdir(parents=True, exist_ok=True)
    layout.write_json(directory / layout.FAILURE, _base_record(item, directory.name) | {
        "status": "failed", "failed_at": _now(), "error": error, "log": str(directory / layout.LOG)} | (extra or {}))
    result = Result(item.name, "failed", None, error=error)
    reporter.finished(item, result)
    return result


class _Run:
    """One build's steps, each measured, their output in build.log; the totals over all steps."""

    def __init__(self, item: Tool, log, reporter: Reporter):
        self.item, self.log, self.reporter = item, log, reporter
        self.steps: list[Step] = []
        self.started = time.monotonic()
        self.cpu_seconds, self.peak_rss_bytes, self.peak_total_rss_bytes = 0.0, 0, None

    def __call__(self, step: Step, collect: list[str] | None = None) -> measure.Measured:
        self.steps.append(step)
        self.reporter.step(self.item, step)
        env_text = "".join(f"{k}={v} " for k, v in {**dict(self.item.env), **step.env}.items())
        self.log.write(f"$ {f'cd {step.cwd} && ' if step.cwd else ''}{env_text}{' '.join(step.argv)}\n")
        self.log.flush()

        def on_line(text: str) -> None:
            if collect is not None:
                collect.append(text)
            self.reporter.line(self.item, text)

        done = measure.run(step.argv, cwd=step.cwd, env={**os.environ, **dict(self.item.env), **step.env},
                           log=self.log, on_line=on_line)
        self.cpu_seconds += done.cpu_seconds
        self.peak_rss_bytes = max(self.peak_rss_bytes, done.peak_rss_bytes)
        if done.peak_total_rss_bytes is not None:
            self.peak_total_rss_bytes = max(self.peak_total_rss_bytes or 0, done.peak_total_rss_bytes)
        self.log.write(f"# exit {done.returncode} after {done.seconds:.1f} s\n")
        self.log.flush()
        return done

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> dict:
        return {"seconds": round(self.seconds, 1), "cpu_seconds": round(self.cpu_seconds, 1),
                "peak_rss_bytes": self.peak_rss_bytes, "peak_total_rss_bytes": self.peak_total_rss_bytes,
                "commands": [{"argv": s.argv, "cwd": str(s.cwd) if s.cwd else None, "env": {**dict(self.item.env), **s.env}}
                             for s in self.steps]}


def _run_steps(item: Tool, go: str, run: _Run, staged: Path) -> str:
    """Run the tool's build steps; '' on success, else the error."""
    if item.method == "install":
        done = run(install_step(item, go, staged.parent))
    else:
        module_dir = _download(item, go, run) if item.method == "module" else item.source_dir
        if isinstance(module_dir, str):
            return module_dir
        done = run(build_step(item, go, staged, module_dir))
    if done.returncode != 0:
        return _last_error(Path(run.log.name)) or f"go exited {done.returncode}"
    if not staged.is_file():
        return f"go exited 0 but {staged.name} was not produced"
    return ""


def _build_locked(item: Tool, directory: Path, binary: Path, go: str, reporter: Reporter) -> Result:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(".build-*"):  # left by a build that was killed: never a result
        shutil.rmtree(stale, ignore_errors=True)
    stage = directory / f".build-{os.getpid()}"
    staged = stage / "bin" / item.binary
    staged.parent.mkdir(parents=True)
    cache = _go_env(go, "GOMODCACHE", "GOCACHE")
    before = {name: measure.dir_bytes(Path(path)) for name, path in cache.items()}
    reporter.started(item, directory)
    try:
        with open(directory / layout.LOG, "w") as log:
            log.write(f"# {item.name} {item.version} ({item.release}), method {item.method}, started {_now()}\n")
            log.write(f"# {_go_version(go)}\n")
            run = _Run(item, log, reporter)
            error = _run_steps(item, go, run, staged)
            if error:
                log.write(f"# failed after {run.seconds:.1f} s\n")
                return _failed(item, directory, error, reporter, run.summary())
            binary.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, binary)  # the binary appears whole, and only now
            log.write(f"# built {binary} in {run.seconds:.1f} s\n")
    except BaseException:
        with contextlib.suppress(Exception):
            _failed(item, directory, "interrupted", reporter)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    after = {name: measure.dir_bytes(Path(path)) for name, path in cache.items()}
    info = build_info(go, binary)
    record = _base_record(item, directory.name) | {
        "status": "ok",
        "measured_by": "builder: wait4 rusage of each go command; total RSS sampled from /proc",
        "built_at": _now(),
        **run.summary(),
        "sha256": _sha256(binary),
        "go": (info or {}).get("go") or _go_version(go),
        "disk": _disk(item, directory, binary, cache.get("GOMODCACHE", ""), info) | {
            "module_cache_growth_bytes": after["GOMODCACHE"] - before["GOMODCACHE"] if cache else None,
            "build_cache_growth_bytes": after["GOCACHE"] - before["GOCACHE"] if cache else None,
        },
    }
    layout.write_json(directory / layout.RECORD, record)
    with contextlib.suppress(FileNotFoundError):
        (directory / layout.FAILURE).unlink()
    result = Result(item.name, "built", binary, record)
    reporter.finished(item, result)
    return result


def _download(item: Tool, go: str, run) -> Path | str:
    """Download the module; its folder in the module cache, or the error."""
    lines: list[str] = []
    done = run(download_step(item, go), lines)
    text = "\n".join(lines)
    start = text.find("{")
    try:
        answer = json.loads(text[start:text.rindex("}") + 1]) if start >= 0 else {}
    except ValueError:
        answer = {}
    if done.returncode != 0 or answer.get("Error") or not answer.get("Dir"):
        return answer.get("Error") or _tail(text) or f"go mod download exited {done.returncode}"
    return Path(answer["Dir"])


def _tail(text: str, limit: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-limit:])


def build_many(names: list[str], reporter: Reporter | None = None, force: bool = False) -> list[Result]:
    """Build the named tools (all of them when ``names`` is empty), in the catalog's order."""
    chosen = [tool(name) for name in names] if names else list(TOOLS)
    return [build(item, reporter, force) for item in chosen]
