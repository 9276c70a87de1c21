"""The exit status of every command, declared once (DESIGN: command-line contract; docs/reference/exit-codes.md, generated from this module).

The CLI returns these; the CI workflows (``ci-config github``) and the Atlantis steps
(``atlantis-config``) that read an exit status are generated from them. 3 is never "bad input":
a script that sees 3 knows the command ran and found what it reports.
"""

from __future__ import annotations

OK = 0  # done: nothing to report
FAILED = 1  # a stack or a check failed, or could not run (nothing half-reported as success)
BAD_INPUT = 2  # bad input or usage, found before anything ran: nothing was run
CHANGES = 3  # the command ran and found what it reports: changes (pr-plan), drift (drift), a differing state bucket setting (bootstrap)
CHECK_FAILED = CHANGES  # policy-check ran and a check failed: a finding a policy owner may approve, not an error

# What each status means, in words: `orchestrator --help` prints them, and the docs' Exit status page is generated from them (docs/hooks/reference.py).
MEANINGS = {
    OK: "done; nothing to report (no changes, no drift, the checks passed)",
    FAILED: "a stack or a check failed, or could not run",
    BAD_INPUT: "bad input or usage: nothing was run",
    CHANGES: "ran and found something to act on: changes (`pr-plan`), drift (`drift`), a failed policy check (`policy-check`), "
             "a state bucket setting that differs (`bootstrap` without `--fix`)",
}


def table() -> str:
    """The statuses and their meanings, one per line (for --help)."""
    return "\n".join(f"  {code}  {meaning.replace('`', '')}" for code, meaning in MEANINGS.items())
