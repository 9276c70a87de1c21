"""Terraform orchestrator: environments in YAML, stacks in a DAG, Terraform underneath."""

__version__ = "0.1.0"
