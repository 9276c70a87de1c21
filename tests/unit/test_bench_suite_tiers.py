"""bench/suite_tiers.py sums a JUnit report per tier from the markers tests/conftest.py writes into it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from helpers import REPO

sys.path.insert(0, str(REPO / "bench"))
import suite_tiers as tiers  # noqa: E402

REPORT = textwrap.dedent("""\
    <testsuites><testsuite name="pytest" time="100.0">
      <testcase classname="tests.unit.test_a" name="test_pure" time="0.5">
        <properties><property name="markers" value="" /></properties></testcase>
      <testcase classname="tests.integration.test_b" name="test_plan" time="20.0">
        <properties><property name="markers" value="terraform" /></properties></testcase>
      <testcase classname="tests.integration.test_c" name="test_slow_apply" time="70.0">
        <properties><property name="markers" value="slow terraform" /></properties></testcase>
      <testcase classname="tests.atlantis.test_d" name="test_harness" time="0.1">
        <properties><property name="markers" value="atlantis slow" /></properties><skipped /></testcase>
    </testsuite></testsuites>
""")


def test_each_tier_sums_its_tests_and_rows_overlap(tmp_path):
    (tmp_path / "suite.xml").write_text(REPORT)
    found, everything = tiers.tiers_of(tmp_path / "suite.xml")
    assert (found["fast"].tests, found["fast"].seconds) == (1, 0.5)
    assert (found["terraform"].tests, found["terraform"].seconds) == (2, 90.0)
    assert (found["slow"].tests, found["slow"].skipped) == (2, 1)
    assert (everything.tests, everything.skipped, everything.seconds) == (4, 1, 100.0)
    assert "| terraform | 2 (0) | 90 s | integration.test_c::test_slow_apply (70 s) |" in tiers.table(found, everything)


def test_a_report_without_markers_is_refused_naming_the_test(tmp_path):
    (tmp_path / "other.xml").write_text('<testsuite><testcase classname="x" name="test_y" time="1" /></testsuite>')
    with pytest.raises(SystemExit, match="test_y has no 'markers' property"):
        tiers.tiers_of(tmp_path / "other.xml")


def test_conftest_writes_the_markers_into_a_junit_report(tmp_path):
    """A real pytest run: the marker property reaches the report that the script reads."""
    (tmp_path / "test_marked.py").write_text(
        "import pytest\n@pytest.mark.slow\ndef test_marked():\n    pass\ndef test_plain():\n    pass\n")
    (tmp_path / "conftest.py").write_text((REPO / "tests" / "conftest.py").read_text())
    report = tmp_path / "suite.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                    "-o", "markers=slow", str(tmp_path / "test_marked.py")],
                   cwd=tmp_path, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO / "tests")})
    found, everything = tiers.tiers_of(report)
    assert (found["slow"].tests, found["fast"].tests, everything.tests) == (1, 1, 2)
