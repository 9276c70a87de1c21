"""Change review and release: pr-plan and its comment, revisions, atlantis.yaml, promote."""
