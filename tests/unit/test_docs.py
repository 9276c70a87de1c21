"""The docs site: it builds with --strict (broken links, orphan pages), its reference pages follow the
code, and every shell block either names the test that runs it or says it is an illustration."""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys

from helpers import REPO

DOCS = REPO / "docs"
_spec = importlib.util.spec_from_file_location("docs_reference", DOCS / "hooks" / "reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)

SHELL_BLOCK = re.compile(r"^\s*```(console|sh|bash|shell|zsh)\s*$")
MARKER = re.compile(r"^<!-- (illustration|tested-by: (tests/\S+\.py)::(\w+)) -->$")


def test_the_site_builds_strict(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env={"NO_MKDOCS_2_WARNING": "1", **__import__("os").environ})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "reference" / "commands" / "index.html").exists()


def test_every_shell_block_is_tested_or_an_illustration():
    """Every fence names its language (so a shell block cannot hide as a bare fence); every console,
    sh, bash, shell or zsh block is preceded by <!-- tested-by: tests/FILE.py::TEST --> naming a test
    that exists, or by <!-- illustration -->."""
    problems = []
    for page in sorted(DOCS.rglob("*.md")):
        lines = page.read_text().splitlines()
        inside = False
        for number, line in enumerate(lines):
            if line.strip().startswith("```"):
                if not inside and line.strip() == "```":
                    problems.append(f"{page.relative_to(REPO)}:{number + 1}: a fence without a language (text, sh, yaml, ...)")
                inside = not inside
            if not SHELL_BLOCK.match(line):
                continue
            marker = MARKER.match(lines[number - 1].strip()) if number else None
            where = f"{page.relative_to(REPO)}:{number + 1}"
            if not marker:
                problems.append(f"{where}: no <!-- tested-by: ... --> or <!-- illustration --> above")
            elif marker.group(2):
                test_file = REPO / marker.group(2)
                if not test_file.exists() or not re.search(rf"^def {marker.group(3)}\(", test_file.read_text(), re.M):
                    problems.append(f"{where}: {marker.group(2)}::{marker.group(3)} does not exist")
    assert not problems, "\n".join(problems)


def _first_sh_block(text: str) -> list[str]:
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_the_tutorial_quick_start_is_the_readmes():
    # The commands themselves run in CI (.ci/run reads the README's first sh block).
    assert _first_sh_block((DOCS / "tutorial.md").read_text()) == _first_sh_block((REPO / "README.md").read_text())


def test_the_readme_stays_short():
    assert len((REPO / "README.md").read_text().splitlines()) < 200


def _parser(extra_option: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orchestrator")
    commands = parser.add_subparsers(dest="command")
    plan = commands.add_parser("plan", help="plan every stack")
    plan.add_argument("env")
    if extra_option:
        plan.add_argument("--brand-new-option", help="an option added after the page was written")
    return parser


def test_the_commands_page_follows_the_parser():
    before, after = reference.commands_page(_parser(False)), reference.commands_page(_parser(True))
    assert "--brand-new-option" not in before
    assert "`--brand-new-option`" in after and "an option added after the page was written" in after


def test_the_environment_page_follows_the_schema():
    from pydantic import Field

    from orchestrator.config.schema import Environment

    class Wider(Environment):
        brand_new_key: int = Field(7, description="a key added after the page was written")

    before = reference.environment_page(Environment.model_json_schema())
    after = reference.environment_page(Wider.model_json_schema())
    assert "brand_new_key" not in before
    assert "| `brand_new_key` | integer | `7` | a key added after the page was written |" in after


def test_the_real_pages_hold_every_command_key_and_exit_code():
    from orchestrator.cli import build_parser
    from orchestrator.config import exit_codes
    from orchestrator.config.schema import Environment

    commands = reference.build("commands_page")
    for name, _, _ in reference._subcommands(build_parser()):
        assert f"`{name}`" in commands
    environment = reference.build("environment_page")
    assert all(f"`{key}`" in environment for key in Environment.model_json_schema()["properties"])
    assert "## Rules across keys" in environment
    assert all(meaning in reference.build("exit_codes_page") for meaning in exit_codes.MEANINGS.values())
    assert "```mermaid" in reference.build("stack_graph_page")


def test_an_orphan_page_fails_the_strict_build(tmp_path):
    import shutil

    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    (docs / "orphan.md").write_text("# A page no nav entry names\n")
    config = load_config(str(REPO / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(tmp_path / "site"), strict=True)
    try:
        build(config)
    except Abort as aborted:
        assert "strict mode" in str(aborted)
    else:
        raise AssertionError("a page left out of the nav built without an error")
