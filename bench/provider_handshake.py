"""How long the local AWS provider takes from exec to its go-plugin handshake line.

    python bench/provider_handshake.py [--runs N]

Starts the generated ``terraform-provider-aws`` wrapper the way Terraform does (magic cookie,
protocol versions, a client certificate in the environment), times until the handshake line is on
stdout, then asks the plugin to shut down. Target: under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestrator.local_provider import PROVIDER_SOURCE, PROVIDER_VERSION, cli_environment, platform_dir
from orchestrator.local_provider.plugin import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE
from orchestrator.local_provider.tls import server_certificate


def handshake_seconds(executable: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([str(executable)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = proc.stdout.readline().decode()
    elapsed = time.perf_counter() - started
    if not line.startswith("1|6|unix|"):
        proc.kill()
        raise SystemExit(f"unexpected handshake line: {line!r}")
    proc.terminate()
    proc.wait(timeout=5)
    return elapsed


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
        times = [handshake_seconds(executable, env) for _ in range(args.runs)]
    ms = [t * 1000 for t in times]
    print(f"handshake over {args.runs} runs: median {statistics.median(ms):.0f} ms, "
          f"min {min(ms):.0f} ms, max {max(ms):.0f} ms (target < 200 ms)")
    sys.exit(0 if statistics.median(ms) < 200 else 1)


if __name__ == "__main__":
    main()
