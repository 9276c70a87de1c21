"""Configuration, pure: the project, environment files and their schema and rules, the stack graph,
the module declarations, and the rendering of tfvars. Runs no Terraform and touches no cloud."""
