"""The exceptions the core raises; the CLI turns them into exit codes in one place."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from orchestrator.config import exit_codes


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (file and key path) and why."""

    file: str
    key: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"


def did_you_mean(name: str, known, listed_as: str = "known") -> str:
    """A hint after an unknown name: the closest known one, else the known ones ("" when none is known)."""
    known = [str(item) for item in known]
    close = difflib.get_close_matches(str(name), known, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; {listed_as}: {', '.join(known)}" if known else ""


class OrchestratorError(Exception):
    exit_code = exit_codes.FAILED


class InputError(OrchestratorError):
    """Bad input or usage, found before any Terraform process started (exit 2)."""

    exit_code = exit_codes.BAD_INPUT

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class RunFailed(OrchestratorError):
    """At least one stack failed (exit 1)."""

    exit_code = exit_codes.FAILED
