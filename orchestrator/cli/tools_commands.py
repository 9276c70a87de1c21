"""`tools build [NAME ...] [--all]` and `tools list`: the real tools, built with Go into the cache.

Exit status: 0 every tool asked for is built, 1 a build failed, 2 usage (an unknown name, nothing asked).
"""

from __future__ import annotations

import argparse
import json
import time

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestrator.cli.options import Shared
from orchestrator.config.exit_codes import BAD_INPUT, FAILED, OK
from orchestrator.tools import layout, pypi
from orchestrator.tools.builder import Reporter, Result, Step, build_many
from orchestrator.tools.catalog import TOOLS, Tool


def register(commands, shared: Shared) -> None:
    """Add the `tools` sub-command to the orchestrator's sub-parsers."""
    common = shared.common
    tools = commands.add_parser("tools", help="build (Go) and list the real tools: AWS provider, tofu, terragrunt, ...")
    tools.set_defaults(handler=run)
    actions = tools.add_subparsers(dest="tools_command", required=True, metavar="build|list")
    build = actions.add_parser("build", parents=[common], help="build tools into the cache (idempotent)")
    build.add_argument("names", nargs="*", metavar="NAME",
                       help=f"tool to build: {', '.join(t.name for t in TOOLS)}; to install from PyPI: {', '.join(t.name for t in pypi.PYTHON_TOOLS)}")
    build.add_argument("--all", action="store_true", help="build every tool")
    build.add_argument("--force", action="store_true", help="rebuild even if built")
    actions.add_parser("list", parents=[common], help="the tools, their pinned versions, built or not, what building cost")


def run(args, console: Console) -> int:
    if args.tools_command == "list":
        return _list(console, getattr(args, "json", False))
    python_names = {t.name for t in pypi.PYTHON_TOOLS}
    known = {t.name for t in TOOLS} | python_names
    unknown = [name for name in args.names if name not in known]
    if unknown or bool(args.names) == bool(args.all):
        reason = (f"unknown tool(s): {', '.join(unknown)}" if unknown else
                  "name tools to build, or --all (not both)")
        console.print(f"[bold red]error[/]: tools build: {reason}; known: {', '.join(sorted(known))}", highlight=False)
        return BAD_INPUT
    installs = [name for name in (python_names if args.all else args.names) if name in python_names]
    if not _install_python_tools(installs, console):
        return FAILED
    go_names = [name for name in args.names if name not in python_names]
    if args.names and not go_names:
        return OK
    with _RichReporter(console) as reporter:
        results = build_many(go_names, reporter, force=args.force)
    if getattr(args, "json", False):
        print(json.dumps([_result_json(result) for result in results], indent=2))
    for result in results:
        if result.status == "failed":
            console.print(f"[bold red]{result.name} failed[/]: see {layout.tool_dir(_tool(result.name)) / layout.LOG}",
                          highlight=False)
            console.print(escape(result.error), highlight=False, soft_wrap=True)
    return FAILED if any(result.status == "failed" for result in results) else OK


def _install_python_tools(names: list[str], console: Console) -> bool:
    """Install the named PyPI tools into their own environments; False when one fails."""
    for name in names:
        item = pypi.python_tool(name)
        if pypi.interpreter(name) is None:
            console.print(f"installing {item.requirement} into {pypi.directory(item)} (log: {pypi.directory(item) / layout.LOG})",
                          highlight=False)
        try:
            python = pypi.install(name)
        except pypi.InstallError as error:
            console.print(f"[bold red]{name} failed[/]: {escape(str(error))}", highlight=False)
            return False
        record = layout.read_json(pypi.directory(item) / layout.RECORD) or {}
        console.print(f"[green]{name}: installed[/] {item.version} in {duration(record.get('seconds'))}, "
                      f"{size(record.get('disk', {}).get('tool_dir_bytes'))} → {python} -m {item.entry}", highlight=False)
    return True


def _tool(name: str) -> Tool:
    return next(t for t in TOOLS if t.name == name)


def _result_json(result: Result) -> dict:
    return {"name": result.name, "status": result.status, "binary": str(result.binary) if result.binary else None,
            "error": result.error or None, "record": result.record}


def _list(console: Console, as_json: bool) -> int:
    if as_json:
        print(json.dumps([_state(t) for t in TOOLS], indent=2))
    else:
        # piped to a file, the table keeps its rows on one line each rather than folding at 80 columns
        wide = console if console.is_terminal else Console(file=console.file, width=max(console.width, 180))
        wide.print(_table(list(TOOLS)))
        for item in pypi.PYTHON_TOOLS:
            record = layout.read_json(pypi.directory(item) / layout.RECORD) if pypi.interpreter(item.name) else None
            state = (f"installed ({duration(record.get('seconds'))}, {size(record.get('disk', {}).get('tool_dir_bytes'))})"
                     if record else "not installed")
            wide.print(f"{item.name} {item.version} (PyPI, own virtual environment): {state}; {item.note}", highlight=False)
        console.print(f"cache: {layout.cache_root()}", highlight=False)
    return OK


def _state(item: Tool) -> dict:
    binary = layout.installed(item.name)
    return {"name": item.name, "module": item.module, "package": item.package, "version": item.version,
            "release": item.release, "method": item.method, "directory": str(layout.tool_dir(item)),
            "built": binary is not None, "binary": str(binary) if binary else None,
            "record": layout.record(item.name) if binary else None,
            "failure": None if binary else layout.failure(item.name)}


def size(value: int | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return "-"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{seconds:.1f}s"


def _table(items: list[Tool]) -> Table:
    table = Table(title="real tools", title_justify="left")
    for column in ("tool", "pinned version", "release", "built", "time (CPU)", "peak RSS: one process / all",
                   "disk: tool / modules / build cache"):
        table.add_column(column, overflow="fold")
    for item in items:
        state = _state(item)
        record, failure = state["record"] or {}, state["failure"]
        built = "[green]yes[/]" if state["built"] else "[red]failed[/]" if failure else "no"
        disk = record.get("disk", {})
        table.add_row(
            item.name, item.version, item.release, built,
            f"{duration(record.get('seconds'))} ({duration(record.get('cpu_seconds'))})" if record else "-",
            f"{size(record.get('peak_rss_bytes'))} / {size(record.get('peak_total_rss_bytes'))}" if record else "-",
            f"{size(disk.get('tool_dir_bytes'))} / {size(disk.get('modules_bytes'))} / {size(disk.get('build_cache_growth_bytes'))}"
            if record else "-",
        )
    return table


class _RichReporter(Reporter):
    """A live line per tool (modules downloaded, packages compiled, the latest); plain lines without a terminal."""

    PLAIN_EVERY = 60.0

    def __init__(self, console: Console):
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[tool]}[/]"), TextColumn("{task.description}"),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, int] = {}
        self.counts: dict[str, list[int]] = {}
        self.plain_at: dict[str, float] = {}

    def __enter__(self):
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.progress.stop()

    def _say(self, text: str) -> None:
        if self.live:
            self.progress.console.print(text, highlight=False)
        else:
            self.console.print(text, highlight=False, soft_wrap=True)

    def waiting(self, holder: str) -> None:
        self._say(f"waiting for another tools build ({holder})")

    def started(self, item: Tool, directory) -> None:
        self.counts[item.name] = [0, 0]
        self.plain_at[item.name] = time.monotonic()
        self.tasks[item.name] = self.progress.add_task("starting", tool=item.name, total=None)
        self._say(f"building {item.name} {item.version} ({item.release}); log: {directory / layout.LOG}")

    def step(self, item: Tool, step: Step) -> None:
        self._update(item, " ".join(step.argv[1:3]))

    def line(self, item: Tool, text: str) -> None:
        counts = self.counts.setdefault(item.name, [0, 0])
        if text.startswith("go: downloading"):
            counts[0] += 1
        elif text and " " not in text.strip():  # `go build -v` prints each package it compiles
            counts[1] += 1
        self._update(item, text)

    def _update(self, item: Tool, latest: str) -> None:
        downloaded, compiled = self.counts.get(item.name, [0, 0])
        description = f"{downloaded} modules downloaded, {compiled} packages compiled · {escape(latest[-70:])}"
        if item.name in self.tasks:
            self.progress.update(self.tasks[item.name], description=description)
        now = time.monotonic()
        if not self.live and now - self.plain_at.get(item.name, now) >= self.PLAIN_EVERY:
            self.plain_at[item.name] = now
            self._say(f"{item.name}: {downloaded} modules downloaded, {compiled} packages compiled")

    def finished(self, item: Tool, result: Result) -> None:
        if item.name in self.tasks:
            self.progress.update(self.tasks[item.name], description=f"{result.status}", total=1, completed=1)
        record = result.record or {}
        cost = (f" in {duration(record.get('seconds'))}, peak RSS {size(record.get('peak_rss_bytes'))}"
                if result.status in ("built", "adopted") else "")
        colour = "red" if result.status == "failed" else "green"
        self._say(f"[{colour}]{item.name}: {result.status}[/]{cost}" + (f" → {result.binary}" if result.binary else ""))
