"""A command over an environment's stacks: the runner, its scheduler, lock, progress, report,
run record and secrets; ``core`` takes a ``RunOptions`` value and returns the results."""
