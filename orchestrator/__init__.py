"""Terraform orchestrator: environments in YAML, stacks in a DAG, Terraform underneath."""

__version__ = "0.2.0"
