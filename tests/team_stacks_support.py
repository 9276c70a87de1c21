"""The queue example's files added to a project (tests/unit/test_team_stacks.py, tests/integration/test_team_stack_example.py)."""

from __future__ import annotations

import shutil

from helpers import REPO

QUEUE_ENTRY = "  queue:\n    module: queue\n"


def add_queue_stack(root) -> None:
    """Only what docs/how-to/add-a-stack.md tells a team to add: module folder, template, stacks.yaml entry."""
    shutil.copytree(REPO / "terraform_modules" / "queue", root / "terraform_modules" / "queue")
    shutil.copy(REPO / "environments" / "templates" / "queue.tfvars.j2", root / "environments" / "templates")
    stacks = root / "stacks.yaml"
    stacks.write_text(stacks.read_text().replace("stacks:\n", "stacks:\n" + QUEUE_ENTRY, 1))
