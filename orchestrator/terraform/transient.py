"""Which Terraform failures are worth another try: declared once, as data.

Only these are retried (with exponential backoff); every other failure is final, because retrying
a real error only delays the message a person needs to read.
"""

from __future__ import annotations

import os
import random
import re

TRANSIENT_PATTERNS = (
    # AWS API throttling and brief unavailability
    r"Throttling(Exception)?\b",
    r"Rate exceeded",
    r"RequestLimitExceeded",
    r"TooManyRequestsException",
    r"SlowDown",
    r"ServiceUnavailable(Exception)?\b",
    r"RequestTimeout(Exception)?\b",
    # Network resets and timeouts
    r"connection reset by peer",
    r"i/o timeout",
    r"TLS handshake timeout",
    r"net/http: request canceled",
    r"unexpected EOF",
    # Provider registry and plugin downloads
    r"Failed to (query|install) .*(timeout|timed out|connection refused|temporary failure)",
    r"could not connect to registry",
    # A state lock held by a run that is about to finish
    r"Error acquiring the state lock",
)

# A damaged working directory (.terraform/ holds only what init produced): rebuild it and try again.
WORKDIR_DAMAGE_PATTERNS = (
    r"Failed to load the backend state file",
    r"Backend initialization required",
    r"Inconsistent dependency lock file",
    r"Required plugins are not installed",
    r"Module not installed",
    r"Missing required provider",
)

_WORKDIR_DAMAGE = re.compile("|".join(f"(?:{pattern})" for pattern in WORKDIR_DAMAGE_PATTERNS))
_TRANSIENT = re.compile("|".join(f"(?:{pattern})" for pattern in TRANSIENT_PATTERNS), re.IGNORECASE)


def is_transient(message: str) -> bool:
    return bool(_TRANSIENT.search(message or ""))


def is_workdir_damage(message: str) -> bool:
    return bool(_WORKDIR_DAMAGE.search(message or ""))


def retries() -> int:
    return int(os.environ.get("ORCHESTRATOR_RETRIES", "2"))


def backoff_seconds(attempt: int) -> float:
    """1 s, 2 s, 4 s... (scaled by ORCHESTRATOR_RETRY_BASE_SECONDS), with jitter."""
    base = float(os.environ.get("ORCHESTRATOR_RETRY_BASE_SECONDS", "1"))
    return base * (2 ** attempt) * random.uniform(0.8, 1.2)
