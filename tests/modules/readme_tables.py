"""The Inputs and Outputs tables of the module READMEs, generated from variables.tf and outputs.tf.

The tables sit between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``; the rest of a README
is written by hand. Variables fed by another stack's output (stacks.yaml) are marked as such.

    python tests/modules/readme_tables.py            rewrite the tables of every module README
    python tests/modules/readme_tables.py --check    exit 1 when a table is out of date

Reads the modules' own ``terraform fmt`` layout (blocks at column 0, arguments indented by two).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODULES = REPO / "terraform_modules"
STACKS_FILE = REPO / "stacks.yaml"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"

_BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)
_TOP_LEVEL = re.compile(r"^  [a-z_]+(\s*=|\s*\{)")


def _argument(body: str, name: str) -> str | None:
    """A top-level argument's expression, on one line."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if re.match(rf"^  {name}\s*=", line):
            parts = [line.split("=", 1)[1].strip()]
            for following in lines[index + 1:]:
                if _TOP_LEVEL.match(following) or not following.strip():
                    break
                parts.append(following.strip())
            text = " ".join(parts) if parts[0].startswith('"') else re.sub(r"\s+", " ", " ".join(parts))
            text = re.sub(r"([({\[])\s+", r"\1 ", text)
            text = re.sub(r"\s+([)}\]])", r" \1", text)
            return re.sub(r"\( ", "(", re.sub(r" \)", ")", text))
    return None


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def fed_variables(module: str) -> set[str]:
    stacks = yaml.safe_load(STACKS_FILE.read_text())["stacks"]
    return {v for spec in stacks.values() if spec.get("module") == module for v in (spec.get("inputs") or {})}


def tables(module: str) -> str:
    folder = MODULES / module
    fed = fed_variables(module)
    lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |",
             "|------|-------------|------|---------|:--------:|"]
    for _, name, body in _BLOCK.findall((folder / "variables.tf").read_text()):
        description = json.loads(_argument(body, "description"))
        default = _argument(body, "default")
        note = " *(from stacks.yaml)*" if name in fed else ""
        lines.append(
            f"| `{name}` | {_cell(description)}{note} | `{_cell(_argument(body, 'type'))}` | "
            f"{'`' + _cell(default) + '`' if default is not None else 'n/a'} | {'no' if default is not None else 'yes'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for _, name, body in _BLOCK.findall((folder / "outputs.tf").read_text()):
        lines.append(f"| `{name}` | {_cell(json.loads(_argument(body, 'description')))} |")
    return "\n".join(lines) + "\n"


def updated_readme(module: str) -> tuple[str, str]:
    """The README as it is, and as it should be."""
    text = (MODULES / module / "README.md").read_text()
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        return text, f"{text.rstrip()}\n\n{BEGIN}\n{tables(module)}{END}\n"
    return text, f"{head}{BEGIN}\n{tables(module)}{END}{tail}"


def modules() -> list[str]:
    return sorted(p.name for p in MODULES.iterdir() if (p / "variables.tf").is_file())


def main(argv: list[str]) -> int:
    stale = []
    for module in modules():
        current, wanted = updated_readme(module)
        if current != wanted:
            stale.append(module)
            if "--check" not in argv:
                (MODULES / module / "README.md").write_text(wanted)
    if "--check" in argv and stale:
        print(f"out of date: {', '.join(stale)}; run python tests/modules/readme_tables.py", file=sys.stderr)
        return 1
    for module in stale:
        print(f"rewrote terraform_modules/{module}/README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
