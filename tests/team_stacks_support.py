"""The queue example's files added to a project (tests/unit/test_team_stacks.py, tests/integration/test_team_stack_example.py)."""

from __future__ import annotations

import shutil

from helpers import REPO

QUEUE_ENTRY = "  queue:\n    module: queue\n"


def add_queue_stack(root, optional: bool = False) -> None:
    """Only what docs/how-to/add-a-stack.md tells a team to add: module folder, template, stacks.yaml entry
    (``optional``: it runs only in the environments that set a ``queue:`` section)."""
    shutil.copytree(REPO / "terraform_modules" / "queue", root / "terraform_modules" / "queue")
    shutil.copy(REPO / "environments" / "templates" / "queue.tfvars.j2", root / "environments" / "templates")
    stacks = root / "stacks.yaml"
    entry = QUEUE_ENTRY + ("    optional: true\n" if optional else "")
    stacks.write_text(stacks.read_text().replace("stacks:\n", "stacks:\n" + entry, 1))
