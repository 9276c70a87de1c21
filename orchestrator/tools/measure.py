"""What a build costs: wall time, CPU, peak memory of the process tree, disk.

Peak memory is measured two ways. ``peak_rss_bytes`` is the kernel's own figure: the largest resident
set of any single process of the tree (``wait4``'s ``ru_maxrss``, as ``/usr/bin/time -v`` reports it;
for Go builds, the biggest ``compile`` or the final ``link``). ``peak_total_rss_bytes`` is the largest
sum of the resident sets of all processes of the tree at once, sampled from /proc twice a second: what
the machine must have free.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Measured:
    returncode: int
    seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    peak_total_rss_bytes: int | None


def dir_bytes(path: Path, since: float | None = None, until: float | None = None) -> int:
    """Disk used by the files under ``path`` (allocated blocks, as du counts; hard links once);
    with ``since``/``until`` (timestamps), only the files last modified between the two."""
    total, seen, stack = 0, set(), [str(path)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif (info.st_dev, info.st_ino) not in seen and (since is None or info.st_mtime >= since) \
                        and (until is None or info.st_mtime <= until):
                    seen.add((info.st_dev, info.st_ino))
                    total += getattr(info, "st_blocks", 0) * 512 or info.st_size
    return total


def tree_rss(root: int) -> int | None:
    """Resident memory of ``root`` and all its descendants now (Linux /proc), or None elsewhere."""
    if not os.path.isdir("/proc/self"):
        return None
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    children[int(stat.read().rsplit(")", 1)[1].split()[1])].append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, ()))
    return total


def run(argv: list[str], *, cwd: Path | None, env: dict[str, str], log, on_line: Callable[[str], None],
        sample_seconds: float = 0.5) -> Measured:
    """Run ``argv``; its output (stdout and stderr) goes line by line to ``log`` and ``on_line``."""
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, text=True, errors="replace", bufsize=1)
    peak_total: list[int | None] = [tree_rss(process.pid)]
    finished = threading.Event()

    def sample():
        while not finished.wait(sample_seconds):
            now = tree_rss(process.pid)
            if now is not None:
                peak_total[0] = max(peak_total[0] or 0, now)

    def read():
        for line in process.stdout:
            log.write(line)
            on_line(line.rstrip("\n"))
        log.flush()

    threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        # wait4, not Popen.wait: the child's rusage covers every descendant it waited for.
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.terminate()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except ChildProcessError:
            pass
        process.returncode = -15
        raise
    finally:
        finished.set()
        for thread in threads:
            thread.join(timeout=5)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        returncode=process.returncode,
        seconds=time.monotonic() - started,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
        peak_total_rss_bytes=peak_total[0],
    )


_TIME_FIELDS = {
    "user": re.compile(r"User time \(seconds\): ([\d.]+)"),
    "system": re.compile(r"System time \(seconds\): ([\d.]+)"),
    "wall": re.compile(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)"),
    "maxrss_kb": re.compile(r"Maximum resident set size \(kbytes\): (\d+)"),
    "exit": re.compile(r"Exit status: (-?\d+)"),
}


def timed_command(text: str) -> str:
    """The ``Command being timed`` of a ``/usr/bin/time -v`` record ('' if none)."""
    found = re.search(r'Command being timed: "(.*)"\s*$', text, re.M)
    return found.group(1) if found else ""


def parse_gnu_time(text: str) -> dict | None:
    """The figures of a ``/usr/bin/time -v -o FILE`` record, or None if it is not one."""
    found = {name: pattern.search(text) for name, pattern in _TIME_FIELDS.items()}
    if not all(found.values()):
        return None
    seconds = 0.0
    for part in found["wall"].group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return {
        "seconds": seconds,
        "cpu_seconds": float(found["user"].group(1)) + float(found["system"].group(1)),
        "peak_rss_bytes": int(found["maxrss_kb"].group(1)) * 1024,
        "exit_status": int(found["exit"].group(1)),
    }


def file_bytes(path: Path) -> int:
    try:
        info = path.stat()
    except OSError:
        return 0
    return getattr(info, "st_blocks", 0) * 512 or info.st_size
