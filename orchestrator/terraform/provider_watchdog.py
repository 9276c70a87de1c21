"""Run a provider in debug mode for as long as this script's input stays open.

``python provider_watchdog.py BINARY ARGS...``: starts the provider (its output passes through: the
reattach line the pool reads), and interrupts it when standard input closes, that is when the
orchestrator stops it or dies in any way. A provider in debug mode otherwise serves until
interrupted, and would outlive an orchestrator that was killed. The watchdog's own end stops it too:
SIGTERM or SIGHUP interrupt it first, and on Linux the kernel interrupts it when the watchdog dies
any other way (``PR_SET_PDEATHSIG``). Standalone: imports nothing of the project, so it starts in a
few tens of milliseconds.
"""

import ctypes
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1


def _interrupt_when_parent_dies() -> None:
    """In the provider, before it runs: SIGINT (its stop signal in debug mode) when the watchdog dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)
    except (OSError, AttributeError):
        pass  # not Linux: the input's end and the signals below still stop it


def main() -> int:
    provider = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,
                                preexec_fn=_interrupt_when_parent_dies if sys.platform == "linux" else None)
    stopping = threading.Lock()

    def stop(*_signal) -> None:
        if not stopping.acquire(blocking=False):
            return
        provider.send_signal(signal.SIGINT)
        try:
            provider.wait(timeout=10)
        except subprocess.TimeoutExpired:
            provider.kill()

    def stop_at_end_of_input() -> None:
        sys.stdin.buffer.read()
        stop()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopped through its input, never by a terminal's Ctrl-C
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_: (stop(), sys.exit(0)))
    threading.Thread(target=stop_at_end_of_input, daemon=True).start()
    return provider.wait()


if __name__ == "__main__":
    sys.exit(main())
