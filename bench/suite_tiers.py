"""Where the test suite's time goes, per tier: read a JUnit report of a full run and sum it by marker.

tests/conftest.py writes each test's tier markers into the report (a ``markers`` property), so one run
of the whole suite gives every tier's figure; nothing is run twice.

    PYTEST_ADDOPTS=--junitxml=/tmp/suite.xml bash .ci/run      # or: python -m pytest --junitxml=/tmp/suite.xml
    python bench/suite_tiers.py /tmp/suite.xml

A test's time is its setup, call and teardown; a module-scoped fixture counts in the first test that
uses it. The rows overlap (a test marked ``terraform`` and ``slow`` counts in both); ``fast`` is the
maintainer's loop, the tests with no tier marker.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

TIERS = ("fast", "terraform", "moto", "real_provider", "atlantis", "slow")


@dataclass
class Tier:
    tests: int = 0
    seconds: float = 0.0
    skipped: int = 0
    slowest: list[tuple[float, str]] = field(default_factory=list)


def tiers_of(report: Path) -> tuple[dict[str, Tier], Tier]:
    """Each tier's count, summed time and slowest tests; and the whole run (its wall time)."""
    root = ElementTree.parse(report).getroot()
    found = {name: Tier() for name in TIERS}
    everything = Tier()
    for case in root.iter("testcase"):
        markers = next((p.get("value", "").split() for p in case.iter("property") if p.get("name") == "markers"), None)
        if markers is None:
            raise SystemExit(f"{report}: test {case.get('name')} has no 'markers' property; "
                             "was the report written by this project's test suite (tests/conftest.py)?")
        seconds = float(case.get("time", 0))
        everything.tests += 1
        everything.skipped += case.find("skipped") is not None
        for name in markers or ["fast"]:
            tier = found[name]
            tier.tests += 1
            tier.seconds += seconds
            tier.skipped += case.find("skipped") is not None
            tier.slowest.append((seconds, f"{case.get('classname')}::{case.get('name')}"))
    everything.seconds = sum(float(suite.get("time", 0)) for suite in root.iter("testsuite"))
    return found, everything


def table(found: dict[str, Tier], everything: Tier) -> str:
    lines = ["| tier | tests (skipped) | summed time | slowest test |", "|---|---|---|---|"]
    for name, tier in found.items():
        slowest = max(tier.slowest, default=(0.0, "-"))
        lines.append(f"| {name} | {tier.tests} ({tier.skipped}) | {minutes(tier.seconds)} | "
                     f"{slowest[1].removeprefix('tests.')} ({minutes(slowest[0])}) |")
    lines.append(f"| everything (the run's wall time) | {everything.tests} ({everything.skipped}) | {minutes(everything.seconds)} | |")
    return "\n".join(lines)


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a JUnit XML report of a run of the suite (pytest --junitxml)")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.error(f"{args.report}: no such file; run the suite with --junitxml={args.report} first")
    print(table(*tiers_of(args.report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
