"""How long the local AWS provider takes from exec to its go-plugin handshake line.

    python bench/provider_handshake.py [--runs N]

Starts the generated ``terraform-provider-aws`` wrapper the way Terraform does (magic cookie,
protocol versions, a client certificate in the environment), times until the handshake line is on
stdout, then stops the plugin. Target: under 200 ms. The wall time depends on how busy the machine
is; the plugin's CPU time (user + system, its whole life) does much less, so both are printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestrator.local_provider import (
    PROVIDER_SOURCE,
    PROVIDER_VERSION,
    cli_environment,
    platform_dir,
)
from orchestrator.local_provider.plugin import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE
from orchestrator.local_provider.tls import server_certificate


def handshake_seconds(executable: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall time to the handshake line, CPU time of the plugin's whole short life)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([str(executable)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = proc.stdout.readline().decode()
    elapsed = time.perf_counter() - started
    if not line.startswith("1|6|unix|"):
        proc.kill()
        raise SystemExit(f"unexpected handshake line: {line!r}")
    proc.terminate()
    proc.wait(timeout=5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        extra = cli_environment(Path(tmp) / "cache", Path(tmp) / "cloud")
        executable = (Path(tmp) / "cache" / "mirror" / PROVIDER_SOURCE / PROVIDER_VERSION / platform_dir()
                      / "terraform-provider-aws")
        _, client_cert, _ = server_certificate()
        env = {**os.environ, **extra, MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "6",
               "PLUGIN_CLIENT_CERT": client_cert.decode()}
        handshake_seconds(executable, env)  # warm the file cache once
        runs = [handshake_seconds(executable, env) for _ in range(args.runs)]
    ms = [wall * 1000 for wall, _ in runs]
    cpu = [used * 1000 for _, used in runs]
    load = os.getloadavg()[0]
    print(f"handshake over {args.runs} runs: median {statistics.median(ms):.0f} ms, "
          f"min {min(ms):.0f} ms, max {max(ms):.0f} ms (target < 200 ms); "
          f"plugin CPU median {statistics.median(cpu):.0f} ms; load average {load:.1f} on {os.cpu_count()} CPUs")
    sys.exit(0 if statistics.median(ms) < 200 else 1)


if __name__ == "__main__":
    main()
