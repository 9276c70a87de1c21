"""Run a provider in debug mode for as long as this script's input stays open.

``python provider_watchdog.py BINARY ARGS...``: starts the provider (its output passes through: the
reattach line the pool reads), and interrupts it when standard input closes, that is when the
orchestrator stops it or dies in any way. A provider in debug mode otherwise serves until
interrupted, and would outlive an orchestrator that was killed. Standalone: imports nothing of
the project, so it starts in a few tens of milliseconds.
"""

import signal
import subprocess
import sys
import threading


def main() -> int:
    provider = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopped through its input, never by a terminal's Ctrl-C

    def stop_at_end_of_input() -> None:
        sys.stdin.buffer.read()
        provider.send_signal(signal.SIGINT)  # the provider's own stop signal in debug mode
        try:
            provider.wait(timeout=10)
        except subprocess.TimeoutExpired:
            provider.kill()

    threading.Thread(target=stop_at_end_of_input, daemon=True).start()
    return provider.wait()


if __name__ == "__main__":
    sys.exit(main())
